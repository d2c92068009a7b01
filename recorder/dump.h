/* Table dumps: read from the kernel directly, or through the privileged dumper process. */
#ifndef CT_DUMP_H
#define CT_DUMP_H

#include <stddef.h>
#include <linux/netlink.h>

/* Called for each conntrack entry of a dump; returns 0 to go on, -1 to stop. */
typedef int (*dump_entry_cb)(const struct nlmsghdr *nlh, void *data);

/* Called for each datagram of a dump, as received; returns MNL_CB_OK to go
 * on, MNL_CB_STOP after the one that ends the dump (NLMSG_DONE: see
 * mnl_cb_run), MNL_CB_ERROR to fail, with errno set. */
typedef int (*dump_datagram_cb)(const void *buf, size_t n, void *arg);

/* From now on, dumps are asked of the dumper process at the other end of fd. */
void dump_use_dumper(int fd);

/* Dumps the conntrack table (both families), calling cb for each entry.
 * Returns the number of entries, or -1 (reported once, by cb or here). */
long dump_table(dump_entry_cb cb, void *data);

/* Dumps the conntrack table (both families), handing fn each datagram.
 * Returns 0, or -1 with errno set (nothing reported). Safe from two threads:
 * one dump at a time. */
int dump_datagrams(dump_datagram_cb fn, void *arg);

/* The dumper's side: answers each request byte read from fd with the
 * kernel's dump datagrams, until fd closes. Returns when it does. */
void dump_serve(int fd);

#endif
