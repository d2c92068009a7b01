/* Table dumps: read from the kernel directly, or through the privileged dumper process. */
#ifndef CT_DUMP_H
#define CT_DUMP_H

#include <linux/netlink.h>

/* Called for each conntrack entry of a dump; returns 0 to go on, -1 to stop. */
typedef int (*dump_entry_cb)(const struct nlmsghdr *nlh, void *data);

/* From now on, dumps are asked of the dumper process at the other end of fd. */
void dump_use_dumper(int fd);

/* Dumps the conntrack table (both families), calling cb for each entry.
 * Returns the number of entries, or -1 (reported once, by cb or here). */
long dump_table(dump_entry_cb cb, void *data);

/* The dumper's side: answers each request byte read from fd with the
 * kernel's dump datagrams, until fd closes. Returns when it does. */
void dump_serve(int fd);

#endif
