/* Writes conntrack's XML events in the documented, indented layout (shared/seed/events.xml). */
#ifndef CT_PRETTY_H
#define CT_PRETTY_H

#include <stdio.h>

/* Writes the document's start: the XML declaration and <conntrack>. */
void ct_pretty_begin(FILE *out);

/* Writes one <flow> element, given as the one-line XML conntrack prints
 * (text after </flow>, such as the [USERSPACE] suffix, is not part of it).
 * Returns 0, or -1 when the line is not well-formed (reported). */
int ct_pretty_flow(const char *line, FILE *out);

/* Writes </conntrack>. */
void ct_pretty_end(FILE *out);

#endif
