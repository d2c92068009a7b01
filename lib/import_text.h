/* Parses one line of `conntrack -E` text output (any -o variant) into a struct ct_event. */
#ifndef CT_IMPORT_TEXT_H
#define CT_IMPORT_TEXT_H

#include <stddef.h>
#include "ct_event.h"
#include "import_ev.h"

/* Parses line (len bytes, no newline; it need not be NUL-terminated and
 * may hold any bytes) into ev: exactly the attributes the text shows.
 * ev->t_us comes from a "[sec.usec]\t" prefix when there is one (*timed = 1),
 * else it is now_us (*timed = 0).
 * Returns 0, or -1 with e->msg saying what is wrong. */
int import_text_line(const char *line, size_t len, int64_t now_us, struct ct_event *ev,
		     int *timed, struct import_err *e);

#endif
