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

/* One short transaction: removes at most limit flows that ended before
 * before_us (the oldest first) with their events, and at most limit events
 * older than before_us of flows still open. before_us = INT64_MAX removes the
 * oldest ended flows whatever their age (for a size limit). Records what it
 * removed in table prunes. Returns 0 or -1 (reported); r says how much went:
 * nothing left to do when r->flows + r->events == 0. */
int store_prune_step(struct store *st, int64_t before_us, int limit, int64_t now_us,
		     struct prune_result *r);

/* Bytes the database's pages in use take (free pages excluded), or -1. */
int64_t store_used_bytes(struct store *st);

#endif
