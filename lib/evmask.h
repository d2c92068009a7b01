/* Parses conntrack's -e event mask (NEW,UPDATE,DESTROY,ALL). */
#ifndef CT_EVMASK_H
#define CT_EVMASK_H

/* Adds to *mask the bits (1 << CT_EV_*) of the comma-separated list: a
 * repeated -e adds up, as in conntrack. Returns 0, or -1 after reporting
 * an unknown word or an empty list (*mask then unchanged). */
int evmask_parse(const char *list, unsigned *mask);

#endif
