/* Retention: removing the oldest history in small steps, and saying what was removed. */
#ifndef CT_STORE_PRUNE_H
#define CT_STORE_PRUNE_H

#include <stdint.h>

struct store;

/* What one step removed. */
struct prune_result {
	int64_t flows, events;
	int64_t before_us;	/* history before this instant is gone (0: nothing removed) */
};

/* One short transaction. With a time bound: removes the blocks of events
 * all older than before_us, at most limit / 100 of them (at least one),
 * and at most limit flows that ended before it, the oldest ids first.
 * With before_us = INT64_MAX (a size limit): removes the limit oldest
 * blocks (at least one) whatever their age, and every flow that ended
 * before the oldest event left. Keys go when no flow left in their range
 * has them. Records what it removed in table prunes. Returns 0 or -1
 * (reported); r says how much went: nothing left to do when r->flows +
 * r->events == 0. */
int store_prune_step(struct store *st, int64_t before_us, int limit, int64_t now_us,
		     struct prune_result *r);

/* Bytes the database's pages in use take (free pages excluded), or -1. */
int64_t store_used_bytes(struct store *st);

/* The blocks of events stored, or -1 (reported). */
int64_t store_block_count(struct store *st);

#endif
