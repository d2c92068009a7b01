/* Internal to the store: the cursor that store_events() and store_flows() return. */
#ifndef CT_STORE_CURSOR_H
#define CT_STORE_CURSOR_H

#include "store_flow_cache.h"
#include "store_internal.h"

/* An event block's header, as a block statement's row gives it: what an
 * error about the block names. */
struct blkhead {
	int64_t id, n, first_us, last_us, min_flow, max_flow;
};

struct store_cursor {
	struct store *st;

	/* flows (lib/store_read.c) */
	int of_flows;			/* a cursor of store_flows() */
	sqlite3_stmt *s;
	int64_t *ids;			/* with a type mask: the flows with such events, sorted */
	size_t nids;
	int64_t last_flow;		/* the id of the flow read last */
	int64_t row_snapshot;		/* the snapshot it was read in (st->snapshots),
					 * 0 when none was open or s left its row */

	/* events (lib/store_events.c) */
	int own_txn;			/* the read transaction is the cursor's */
	int drop;			/* the record returned was its flow's last:
					 * the flow leaves the cache */
	int64_t event_id;
	struct store_query q;		/* copy; q.where points at the caller's */
	unsigned type_mask;
	int filtered;			/* flow pre-filters: only flows in the cache match,
					 * or with match, those it lists */
	uint8_t *match;			/* many flows match: their ids, a bit each;
					 * the cache holds their rows as met */
	size_t match_bytes;
	int selective;			/* and few: sel[] is sorted by id */
	struct cflow *sel;
	size_t nsel;
	struct flow_cache cache;	/* the rows of the flows met, by id */
	sqlite3_stmt *prefetch;		/* unfiltered: the next flows from an id */
	sqlite3_stmt *blocks;		/* the blocks' headers (SQLite reads every
					 * column a statement returns: their
					 * blobs come apart, by id) */
	sqlite3_stmt *bloom_stmt, *data_stmt;
	int64_t bloom_id;		/* the block whose filter bloom_stmt holds */
	uint8_t *data;			/* the current block's records */
	size_t dlen, dcap;
	struct evblock_reader rd;
	int64_t first_event;		/* the block's first record's id */
	int64_t next_event;		/* the id after the last block's records: the
					 * next block's first is not below it */
	struct blkhead cur;		/* the block rd reads */
	int in_block;
	int blocks_done;		/* the reading from the start has ended */

	/* a snapshot given up while the output waited (lib/store_release.c):
	 * the next store_next() takes a new one and reads on after block
	 * front_id, the events before upto only (the first snapshot's) */
	int released;
	int broken;			/* giving it up failed (reported): no more events */
	int bounded;			/* upto is set */
	int64_t upto;
	int64_t prunes_seen;		/* the last retention step the first snapshot had */
	int64_t last_us;		/* the time of the event read last (of a flow: its start) */

	/* selective, in a read transaction of its own: the blocks are searched
	 * from both ends, and the search ends when every event of the flows is
	 * found (lib/store_events.c) */
	int both_ends;
	int back_first;			/* the flows are among the newer half
					 * (see choose_first_end) */
	int64_t left;			/* their events not found yet */
	sqlite3_stmt *back;		/* the blocks' headers, last first */
	int64_t front_id, back_id;	/* the block each end reached last */
	int back_done;
	uint8_t *held;			/* what the search from the end found */
	size_t held_len, held_cap;
	size_t *seg;			/* where each block's part of held starts */
	size_t nseg, seg_cap;
	size_t held_pos;		/* the next held event to return */
};

/* Prepares c->blocks, and with both_ends c->back (the same blocks, last
 * first): the blocks to read in order, by session, time window, after an
 * event id, for a selective query within its flows' span, and once the
 * cursor was released after the block it reached and within its first
 * snapshot. Returns 0 or -1 (reported). */
int store_cursor_blocks(struct store_cursor *c);

/* Takes a released cursor up again in a new snapshot (lib/store_release.c).
 * Returns 0, or -1 (reported) and the cursor then gives no more events or
 * flows. */
int store_cursor_resume(struct store_cursor *c);

/* Fills f with the part of its events of the flow store_next_flow() filled
 * fl with from c, when c's statement is still on its row, read in the
 * snapshot still open (its count of events holds for the blocks read now).
 * Returns 1, or 0 when it is not (f untouched). */
int store_flow_row(const struct store_cursor *c, const struct store_flow *fl, struct cflow *f);

/* Prepares c->s, the statement of a cursor of store_flows() (c->q, and
 * once the cursor was released its flows after the last one read, up to
 * the first snapshot's last). Returns 0 or -1 (reported). */
int store_cursor_flows(struct store_cursor *c);

#endif
