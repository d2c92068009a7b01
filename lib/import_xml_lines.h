/* Between an XML log of conntrack -E and the XML reader: conntrack's own lines blanked, its cut lines closed. */
#ifndef CT_IMPORT_XML_LINES_H
#define CT_IMPORT_XML_LINES_H

#include <stdint.h>

struct xml_lines;

/* A filter over read(ctx, buf, len) (a count, 0 at the end, -1 on an error
 * it reported). NULL when out of memory. */
struct xml_lines *xml_lines_new(int (*read)(void *ctx, char *buf, int len), void *ctx);
void xml_lines_free(struct xml_lines *l);

/* Before the first read: the input's first line is number lines + 1 (a
 * log read from where it grew). */
void xml_lines_from(struct xml_lines *l, long lines);

/* Reads the input with, line by line:
 * - conntrack's own lines, which its standard error puts in the log too
 *   (import_conntrack_line(): the ENOBUFS warning, the closing count, the
 *   NOTICE of -b), left blank: the XML around them then parses, and the
 *   line numbers stay;
 * - a <flow> line that conntrack cut at 1023 bytes (its buffer: an event
 *   with many labels) cut back to its last whole part (a child of the
 *   <flow> or of a <meta>: a <labels> or <when> cut goes whole) and closed;
 * - the [USERSPACE] suffix after a <flow> (or after the 1023 bytes of one
 *   cut) with '<', '>' and '&' escaped: the program's name is printed as
 *   it is.
 * - a last line without its newline that is not whole (xml_line_partial():
 *   the log still being written) left out (xml_lines_unended()).
 * Lines longer than 4096 bytes are not conntrack's: they pass as they are.
 * Returns a count, 0 at the end, -1 on a read error (reported by read). */
int xml_lines_read(void *l, char *buf, int len);

/* Whether the last line of a log, p (n bytes, without a newline), is
 * one conntrack was still writing: not blank, without a "</flow>" (a
 * whole <flow> whose newline is missing is read), and not "</conntrack>". */
int xml_line_partial(const char *p, size_t n);

/* The number of the last line, left out as xml_line_partial(); else 0. */
long xml_lines_unended(const struct xml_lines *l);

/* The lines cut (and closed), and the first one's number. */
uint64_t xml_lines_cut(const struct xml_lines *l, long *first);

/* The number of the next ENOBUFS line before line `before` not taken yet
 * (taking it), or 0 when there is none. */
long xml_lines_gap(struct xml_lines *l, long before);

#endif
