/* Parses one line of `conntrack -E` text output (any -o variant) into a struct ct_event. */
#ifndef CT_IMPORT_TEXT_H
#define CT_IMPORT_TEXT_H

#include <stddef.h>
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
 * in *how), else it is now_us. A line that conntrack cut (IMPORT_CUT) loses
 * its last, unfinished field; of a cut labels= field, the names before its
 * last comma are kept.
 * Returns 0, or -1 with e->msg saying what is wrong. */
int import_text_line(const char *line, size_t len, int64_t now_us, struct ct_event *ev,
		     int *how, struct import_err *e);

#endif
