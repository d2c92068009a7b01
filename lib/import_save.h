/* Parses one line of `conntrack -E -o save` (a conntrack command line: -A, -U or -D and the entry's options) into a struct ct_event. */
#ifndef CT_IMPORT_SAVE_H
#define CT_IMPORT_SAVE_H

#include <stddef.h>
#include "ct_event.h"
#include "import_ev.h"

/* Parses line (len bytes, no newline; it need not be NUL-terminated and
 * may hold any bytes) into ev: the verb (-A NEW, -U UPDATE, -D DESTROY),
 * then exactly the options conntrack 1.4.7's ct_save_snprintf() prints, in
 * any order, each once: -t, -u, -c, -w, --orig-zone, --reply-zone, -s, -d,
 * -r or -g, -q or -n, then -p and its protocol's options, and the
 * [USERSPACE] suffix. A save line carries no time: ev->t_us is now_us.
 * What save does not print is absent from ev (kernel id, mark, labels,
 * counters, start and stop times, TCP's window scales and flags); the
 * status is -u's bits with CONFIRMED, and NAT's where -g or -n says so, or
 * where the reply's port differs but not its address (conntrack prints -r
 * and -q then, NAT or not); the ICMP reply tuple is the kernel's inverse of
 * the original's (an echo's reply type, the same code and id).
 * Returns 0, or -1 with e->msg saying what is wrong: an unknown option, a
 * value that is not one, an option given twice, a tuple that lacks a
 * part, or a -g/-r (-n/-q) that conntrack would not have printed there. */
int import_save_line(const char *line, size_t len, int64_t now_us, struct ct_event *ev,
		     struct import_err *e);

/* Whether line (len bytes, no newline) is what conntrack 1.4.7's -o save
 * prints of an event whose family it cannot print (ct_save_snprintf() stops
 * after the generic options, warning "unsupported l3proto" on its standard
 * error, and event_cb() prints what it wrote): the verb, then nothing but
 * -t, -u, -c, -w, --orig-zone and --reply-zone with their values (no tuple,
 * no -p), and the [USERSPACE] suffix. Such a line holds no flow to import. */
int import_save_unprinted(const char *line, size_t len);

#endif
