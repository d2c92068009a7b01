/* Writes events as `conntrack -E -o save` printed them: each one a conntrack command line. */
#ifndef CT_SAVE_H
#define CT_SAVE_H

#include <stddef.h>
#include "ct_event.h"

/* conntrack's buffer, room enough for any line ct_save_format() writes: the
 * longest (IPv6 addresses of 39 characters, SCTP, every option at its
 * widest) has under 500 bytes, so conntrack's cut at 1023 never applies. */
#define CT_SAVE_BUFSZ 1024

/* Writes into line (CT_SAVE_BUFSZ bytes) what conntrack 1.4.7's
 * ct_save_snprintf() writes for the object ct_fmt_build(ev, ...) builds,
 * the leading verb by ev->type. Returns the line's length, or -1 when the
 * library cannot parse the event's attributes (nothing reported). */
int ct_save_format(const struct ct_event *ev, char *line);

#endif
