/* Parses conntrack's -e event mask (NEW,UPDATE,DESTROY,ALL). */
#ifndef CT_EVMASK_H
#define CT_EVMASK_H

/* Sets *mask to bits (1 << CT_EV_*) for the comma-separated list. Returns 0,
 * or -1 after reporting the unknown word. */
int evmask_parse(const char *list, unsigned *mask);

#endif
