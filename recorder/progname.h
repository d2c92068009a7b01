/* Finds the program that owns a netlink port, as conntrack -E does for [USERSPACE] events. */
#ifndef CT_PROGNAME_H
#define CT_PROGNAME_H

#include <stddef.h>
#include <stdint.h>

/* Writes into name (size bytes) the command name of the process holding the
 * NETLINK_NETFILTER socket bound to portid, found through /proc/net/netlink
 * and /proc/PID/fd. Returns 0, or -1 when it cannot be found (name is "").
 * Without the right to read other users' /proc/PID/fd (after --user), the
 * process whose pid is the portid is taken on trust, as the kernel gives a
 * process's first netlink socket its pid.
 * The last answer is cached per (portid, socket inode), as conntrack does,
 * and reused without looking for up to a second for the same portid. */
int progname_of_portid(uint32_t portid, char *name, size_t size);

#endif
