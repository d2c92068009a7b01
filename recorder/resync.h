/* After the kernel dropped events: a table dump reconciles the open flows with what really exists. */
#ifndef CT_RESYNC_H
#define CT_RESYNC_H

#include <stddef.h>
#include <stdint.h>

struct recorder;

/* A dump in steps, as the receiving thread queues it after a loss:
 * resync_begin() before its first datagram, resync_datagram() for each
 * (entries without an open flow become flows first seen mid-life,
 * ORIGIN_UNSEEN, at t_us), resync_end() after the last, which marks the
 * open flows the dump did not list as vanished and returns how many. The
 * open flows must be those of every event made before the dump began.
 * resync_datagram() returns the entries it held, or -1 (reported). Inside a
 * transaction. */
void resync_begin(struct recorder *r);
long resync_datagram(struct recorder *r, const void *buf, size_t n, int64_t t_us);
long resync_end(struct recorder *r);

/* The three at once, reading the table now: entries without an open flow
 * become flows of the given origin (ORIGIN_DUMP at start). Sets *entries
 * (the table's size) and *vanished. Returns 0 or -1 (reported). Runs inside
 * a transaction. */
int resync_dump(struct recorder *r, int origin, long *entries, long *vanished);

/* Ends every flow still marked vanished as "end unknown" at t_us: called once
 * every event made before the dump ended has been stored (a DESTROY among
 * them ends its flow properly). Returns 0 or -1 (reported). */
int resync_finish(struct recorder *r, int64_t t_us);

#endif
