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

/* The two parts of that message, for a reader that builds part of the
 * conntrack object with nfct_set_attr*() (see ct_format.c). */
#define CT_ENC_FIELDS	1u	/* tuples, zone, status, timeout, TCP protoinfo, mark, id */
#define CT_ENC_REST	2u	/* counters, timestamps, event time, ev->extra */
#define CT_ENC_ALL	(CT_ENC_FIELDS | CT_ENC_REST)

/* As ct_encode(), with only the given parts, in the same order. */
struct nlmsghdr *ct_encode_parts(const struct ct_event *ev, void *buf, unsigned int parts);

#endif
