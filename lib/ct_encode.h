/* Rebuilds the ctnetlink message an event arrived in, from a struct ct_event. */
#ifndef CT_ENCODE_H
#define CT_ENCODE_H

#include <linux/netlink.h>
#include "ct_event.h"

/* Room enough for any message ct_encode() writes. */
#define CT_ENCODE_BUFSZ (8192 + CT_EXTRA_MAX)

/* Writes into buf (CT_ENCODE_BUFSZ bytes, aligned) a netlink message that
 * carries exactly the attributes recorded in ev: type, flags and portid as
 * the kernel set them, fields with their presence bits, ev->extra verbatim.
 * A field is not synthesized when extra already holds that attribute.
 * Returns the message; never fails for an ev produced by ct_decode() or
 * read from the store. */
struct nlmsghdr *ct_encode(const struct ct_event *ev, void *buf);

#endif
