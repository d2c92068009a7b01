/* Writes the common events' `conntrack -E -o xml` lines directly, byte for byte as libnetfilter_conntrack would, without building its objects. */
#ifndef CT_XML_H
#define CT_XML_H

#include <stddef.h>
#include "ct_event.h"

/* Room enough for any line ct_xml_format() writes before it decides whether
 * to keep it: the longest (IPv6 tuples of 39-character addresses, GRE keys,
 * zones, 20-digit counters and timestamps, every optional element, a <when>
 * of a seven-character year such as -290308) has under 1220 bytes. */
#define CT_XML_BUFSZ 1280

/* Writes into line what nfct_snprintf_labels(line, 1024, ct, type,
 * NFCT_O_XML, flags, NULL) writes (libnetfilter_conntrack 1.0.9), where ct
 * is the object ct_fmt_build(ev, ct) builds and type the NFCT_T_* of
 * ev->type (NFCT_T_UNKNOWN for CT_EV_DUMP). flags may hold
 * NFCT_OF_SHOW_LAYER3 and NFCT_OF_ID (neither changes XML: <id> prints
 * whenever the id is set), NFCT_OF_TIMESTAMP (<timestamp>, numbers) and
 * NFCT_OF_TIME: then <when> holds ev->t_us in local time, as format_line()
 * in ct_format.c puts it in place of the library's time of formatting.
 * Returns the length of the line (NUL-terminated), or -1, with line's
 * contents undefined, for what it leaves to the library: any other flag,
 * ev->extra_len != 0, an unknown event type, a family other than AF_INET
 * and AF_INET6 or a tuple of another family than the event's, a line of
 * 1023 bytes or more (conntrack cuts those; only possible with
 * NFCT_OF_TIMESTAMP or NFCT_OF_TIME), a t_us localtime_r() cannot convert
 * (with NFCT_OF_TIME), or size below CT_XML_BUFSZ. Every layer-4 protocol
 * is handled.
 * Reentrant; reads time(NULL) for the <deltatime> of a flow that has a start
 * time and no stop time, as the library does, and calls localtime_r() for
 * NFCT_OF_TIME. */
int ct_xml_format(const struct ct_event *ev, unsigned int flags, char *line, size_t size);

#endif
