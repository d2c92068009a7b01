/* Writes the common events' `conntrack -E` text lines directly, byte for byte as libnetfilter_conntrack would, without building its objects. */
#ifndef CT_TEXT_H
#define CT_TEXT_H

#include <stddef.h>
#include "ct_event.h"

/* Room enough for any line ct_text_format() writes. Its longest line (IPv6
 * tuples of 39-character addresses, GRE keys, 20-digit counters, every
 * optional piece) has 531 bytes: conntrack's cut at 1023 never applies. */
#define CT_TEXT_BUFSZ 640

/* Writes into line what nfct_snprintf_labels(line, 1024, ct, type,
 * NFCT_O_DEFAULT, flags, NULL) writes (libnetfilter_conntrack 1.0.9), where
 * ct is the object ct_fmt_build(ev, ct) builds and type the NFCT_T_* of
 * ev->type (NFCT_T_UNKNOWN for CT_EV_DUMP). flags may hold
 * NFCT_OF_SHOW_LAYER3 and NFCT_OF_ID.
 * Returns the length of the line (NUL-terminated), or -1, with line's
 * contents undefined, for what it leaves to the library: any other flag,
 * ev->extra_len != 0, an unknown event type, a family other than AF_INET
 * and AF_INET6 or a tuple of another family than the event's, or size below
 * CT_TEXT_BUFSZ. Every layer-4 protocol is handled.
 * Reentrant; reads time(NULL) for the delta-time of a flow that has a start
 * time and no (or a zero) stop time, as the library does. */
int ct_text_format(const struct ct_event *ev, unsigned int flags, char *line, size_t size);

#endif
