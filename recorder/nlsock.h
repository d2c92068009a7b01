/* The recorder's netlink sockets: the event subscription and table dumps. */
#ifndef CT_NLSOCK_H
#define CT_NLSOCK_H

#include <stddef.h>
#include <linux/netlink.h>

struct mnl_socket;

/* Opens a NETLINK_NETFILTER socket subscribed to the conntrack event groups
 * in groups (NF_NETLINK_CONNTRACK_* bits) with a receive buffer of bufsize
 * bytes, forced past rmem_max when allowed. With reliable, asks the kernel to
 * report failed deliveries to it (NETLINK_BROADCAST_ERROR), which makes it
 * keep and re-deliver DESTROY events, as conntrackd's NetlinkEventsReliable.
 * Returns NULL after reporting. */
struct mnl_socket *nlsock_events(unsigned groups, size_t bufsize, int reliable);

/* Called for each conntrack entry of a dump; returns 0 to go on, -1 to stop. */
typedef int (*nlsock_dump_cb)(const struct nlmsghdr *nlh, void *data);

/* Dumps the conntrack table (both families) on a socket of its own, calling
 * cb for each entry. Returns the number of entries, or -1 (reported). */
long nlsock_dump(nlsock_dump_cb cb, void *data);

#endif
