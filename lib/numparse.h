/* Reading a decimal number strictly: digits only, the whole string, within a bound. */
#ifndef CT_NUMPARSE_H
#define CT_NUMPARSE_H

#include <stdint.h>

/* Parses a decimal unsigned number of the whole string s (no sign, no
 * spaces, no leading '+', at most max, which may be UINT64_MAX). Returns 0,
 * or -1 when s is not such a number. */
int num_parse(const char *s, uint64_t max, uint64_t *v);

#endif
