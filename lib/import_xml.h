/* Reads the XML of `conntrack -E -o xml[,...]` as a stream, one <flow> at a time, into struct ct_event. */
#ifndef CT_IMPORT_XML_H
#define CT_IMPORT_XML_H

#include <stdint.h>
#include "ct_event.h"
#include "import_ev.h"

struct import_xml;

/* Reads the document through read(ctx, buf, len), which returns the bytes
 * read, 0 at the end or -1 on error (as libxml2's xmlInputReadCallback).
 * Returns NULL when out of memory. */
struct import_xml *import_xml_new(int (*read)(void *ctx, char *buf, int len), void *ctx);

/* Reads the next <flow> (and a [USERSPACE] suffix after it) into ev: exactly
 * the attributes it shows. ev->t_us comes from <when> (*timed = 1), else it
 * is now_us (*timed = 0). A document cut off after a whole flow, without
 * </conntrack>, ends normally. Returns 1 with ev filled, 0 at the end, or -1
 * with e->msg saying what is wrong; *line is the input line of the flow or of the error. */
int import_xml_next(struct import_xml *x, int64_t now_us, struct ct_event *ev, int *timed,
		    struct import_err *e, long *line);

/* As import_xml_new(), for a log read from where it grew, after `lines`
 * lines, maybe inside a document (between two flows): the input is read
 * after the start of a document of its own, unless it begins one itself;
 * its lines are numbered from lines + 1. */
struct import_xml *import_xml_new_grown(int (*read)(void *ctx, char *buf, int len), void *ctx,
					long lines);

void import_xml_free(struct import_xml *x);

#endif
