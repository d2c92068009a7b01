/* Table dumps: read from the kernel directly, or through the privileged dumper process. */
#ifndef CT_DUMP_H
#define CT_DUMP_H

#include <stddef.h>

/* Called for each datagram of a dump, as received; returns MNL_CB_OK to go
 * on, MNL_CB_STOP after the one that ends the dump (NLMSG_DONE: see
 * mnl_cb_run), MNL_CB_ERROR to fail, with errno set. */
typedef int (*dump_datagram_cb)(const void *buf, size_t n, void *arg);

/* Who dumps: each thread has its own channel to a dumper (a dumper sends a
 * whole dump at once: one that waited for the other's reader would wait
 * for good). */
enum dump_channel { DUMP_WRITER, DUMP_RECEIVER, DUMP_CHANNELS };

/* From now on, dumps are asked of the dumper processes at the other end of
 * these descriptors. */
void dump_use_dumpers(int writer_fd, int receiver_fd);

/* Dumps the conntrack table (both families), handing fn each datagram.
 * Returns 0, or -1 with errno set (nothing reported). */
int dump_datagrams(enum dump_channel ch, dump_datagram_cb fn, void *arg);

/* The dumper's side: answers each request byte read from fd with the
 * kernel's dump datagrams, until fd closes. Returns when it does. */
void dump_serve(int fd);

#endif
