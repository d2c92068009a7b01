/* Parses one line of `conntrack -E` text output (any -o variant) into a struct ct_event. */
#ifndef CT_IMPORT_TEXT_H
#define CT_IMPORT_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "ct_event.h"
#include "import_ev.h"

/* What import_text_line() found besides the event (bits of *how). */
enum {
	IMPORT_TIMED = 1,	/* a "[sec.usec]\t" prefix gave the time */
	IMPORT_CUT = 2,		/* conntrack cut the line at 1023 bytes: its last field is lost */
};

/* conntrack -E formats an event into 1024 bytes: a longer line (many labels)
 * is cut at this length, before its [USERSPACE] suffix. */
#define IMPORT_CONNTRACK_CUT 1023

/* Parses line (len bytes, no newline; it need not be NUL-terminated and
 * may hold any bytes) into ev: exactly the attributes the text shows.
 * ev->t_us comes from a "[sec.usec]\t" prefix when there is one (IMPORT_TIMED
 * in *how), else it is now_us. *klast carries the kernel time of the last
 * line with [start=] or [stop=] from line to line of a log (0 before the
 * first): those have no zone, and in the hour passed twice when summer time
 * ends the prefix, else the log's order, tells which pass (ktime_choose()). A line that conntrack cut (IMPORT_CUT) loses
 * its last, unfinished field; of a cut labels= field, the names before its
 * last comma are kept.
 * Returns 0, or -1 with e->msg saying what is wrong. */
int import_text_line(const char *line, size_t len, int64_t now_us, uint64_t *klast,
		     struct ct_event *ev, int *how, struct import_err *e);

/* What import_conntrack_line() says of a line. */
enum {
	IMPORT_EVENT_LINE = 0,	/* not one of conntrack's own: an event (or wrong) */
	IMPORT_OWN_LINE = 1,	/* conntrack's own, to pass over */
	IMPORT_ENOBUFS_LINE = 2,	/* its ENOBUFS warning: events were lost there */
	IMPORT_UNPRINTED_LINE = 3,	/* its warning of an event it could not print */
};

/* Whether line p (n bytes, no newline) is one conntrack -E writes besides
 * its events, which a log holds when its standard error went into it too:
 * the ENOBUFS warning's three lines, the closing count and its other
 * "conntrack v1.4.7 (conntrack-tools): ..." lines (an error that ended a
 * run, and the "Try `conntrack -h' ..." after it), its other warnings
 * ("WARNING: ignoring ..."), the error that ends its event loop ("failed to
 * received netlink event: ..."), the error of -o labels without a label map
 * (its perror(): "nfct_labelmap_new: No such file or directory"); or, on
 * its standard output, the NOTICE of -b (the socket buffer's size). IMPORT_EVENT_LINE, IMPORT_OWN_LINE,
 * IMPORT_ENOBUFS_LINE, or IMPORT_UNPRINTED_LINE for -o save's "WARNING:
 * unsupported l3proto N, skipping." (an event of a family other than IPv4
 * and IPv6, whose save line conntrack left unfinished:
 * import_save_unprinted()). */
int import_conntrack_line(const char *p, size_t n);

#endif
