/* Turns a ctnetlink event message into a struct ct_event, keeping what it cannot decode verbatim. */
#ifndef CT_DECODE_H
#define CT_DECODE_H

#include <linux/netlink.h>
#include "ct_event.h"

/* Decodes one ctnetlink conntrack message (event or dump entry) into ev;
 * ev->t_us and ev->progname are left to the caller. Attributes that have no
 * field in ct_event, or that hold something unexpected, are copied verbatim
 * into ev->extra. Returns 0, or -1 when the message is not a conntrack
 * message, lacks a tuple, or is malformed (ev is then undefined). */
int ct_decode(const struct nlmsghdr *nlh, struct ct_event *ev);

#endif
