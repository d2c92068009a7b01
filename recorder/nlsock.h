/* The recorder's netlink event subscription, and the kernel setting it depends on. */
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

/* Warns when net.netfilter.nf_conntrack_events is not 1: with 0 the kernel
 * sends nothing, with 2 ("auto") nothing for entries made while no listener
 * runs, not even their end. */
void nlsock_check_events_sysctl(void);

/* Warns when net.netfilter.nf_conntrack_acct is 0: the kernel then counts no
 * packets and bytes, and a flow's DESTROY carries none (a connection gets
 * its counters when it is made, so setting it later counts only the next). */
void nlsock_check_acct_sysctl(void);

#endif
