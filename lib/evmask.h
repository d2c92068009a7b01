/* Parses conntrack's -e event mask (NEW,UPDATES,DESTROY,ALL, or abbreviations of them). */
#ifndef CT_EVMASK_H
#define CT_EVMASK_H

/* Adds to *mask the bits (1 << CT_EV_*) of the comma-separated list: a
 * repeated -e adds up, as in conntrack. Each word is read as conntrack
 * 1.4.7 reads it (ct_words.h): an abbreviation in any case ("DES", "n",
 * "U" for UPDATES, "A" for ALL); one of SRC_NAT or DST_NAT ("S", "D") is
 * ignored with a warning, as conntrack ignores it. Returns 0, or -1 after
 * reporting an unknown word, an empty one, or a list of none but ignored
 * words (*mask then unchanged, and no warning given). */
int evmask_parse(const char *list, unsigned *mask);

#endif
