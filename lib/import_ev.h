/* Helpers the log parsers share: names, numbers, status bits and verbatim attributes of struct ct_event. */
#ifndef CT_IMPORT_EV_H
#define CT_IMPORT_EV_H

#include <stddef.h>
#include <stdint.h>
#include "ct_event.h"
#include "numparse.h"

/* Longest line (text) or flow (XML) a log may hold; conntrack prints at most 1023 bytes
 * plus a timestamp prefix and a [USERSPACE] suffix. */
#define IMPORT_LINE_MAX 65536

/* A parser's verdict on one line or flow: what is wrong, for "file:line: what". */
struct import_err {
	char msg[256];
};

/* Sets e->msg from a printf format; returns -1. */
int import_fail(struct import_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies a line (len bytes, no newline; any bytes) into buf, which has
 * IMPORT_LINE_MAX + 1 bytes, NUL-terminated and without a DOS line end.
 * Returns its length, or -1 with e set: longer than IMPORT_LINE_MAX, or a
 * control byte other than a tab (binary data). */
int import_line_copy(const char *line, size_t len, char *buf, struct import_err *e);

/* Splits the event line p at its spaces, in place, into tok (room for max).
 * Returns the number of fields, or -1 with e set: none, or more than max. */
int import_split(char *p, char **tok, int max, struct import_err *e);

/* Parses an address: fills t->l3 (AF_INET or AF_INET6) and src or dst. Returns 0 or -1. */
int import_addr(const char *s, struct ct_tuple *t, int dst);

/* Non-zero when the protocol's tuples carry ports (or GRE keys). */
int import_proto_has_ports(int proto);

/* Fills the status bits the output shows or implies: confirmed, seen-reply
 * unless unreplied, the flag word ("ASSURED", "OFFLOAD", "HW_OFFLOAD" or
 * NULL) and NAT when the reply tuple is not the original's mirror. */
void import_set_status(struct ct_event *ev, int unreplied, int assured, int offload,
		       int hw_offload);

/* Gives ev start/stop timestamps that print as delta-time=delta, ending at ev->t_us. */
void import_set_delta(struct ct_event *ev, uint64_t delta);

/* Appends a verbatim attribute to ev->extra: a u32 (network order), or a
 * nest holding one NUL-terminated string. Return 0, or -1 when full. */
int import_extra_u32(struct ct_event *ev, uint16_t type, uint32_t v);
int import_extra_str(struct ct_event *ev, uint16_t nest, uint16_t type, const char *s);

/* Parses " [USERSPACE] portid=N[ progname=NAME]" (s starts with the space)
 * into ev->portid and ev->progname. Returns 0, or -1 with e set. */
int import_userspace(const char *s, struct ct_event *ev, struct import_err *e);

/* Sets labels from "a,b" (names from conntrack's label map, or bit
 * numbers). Returns 0, or -1 with e set. */
int import_labels(struct ct_event *ev, const char *list, struct import_err *e);

#endif
