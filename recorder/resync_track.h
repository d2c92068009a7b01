/* The writer's bookkeeping of table dumps: which dump it is reading, when the flows one found missing may end, what a rollback or a reopen undoes. */
#ifndef CT_RESYNC_TRACK_H
#define CT_RESYNC_TRACK_H

#include <stdint.h>

struct qitem;
struct recorder;
struct receiver;

struct resync_track {
	struct recorder *rec;
	struct receiver *rx;
	int verbose;
	int gap_warned;		/* events were lost, no dump since */
	/* The newest gap and dump end said on stderr: items read again after a
	 * rollback are not reported again (neither is rolled back). */
	uint32_t gap_told, dump_told;
	int in_dump;		/* between the receiver's QITEM_DUMP_BEGIN and _END */
	int dump_committed;	/* a commit came inside it */
	int dump_spoiled;	/* then a rollback: its first part is not read again */
	int dump_stale;		/* it began before the last reopen's dump: skipped */
	long dump_entries;
	uint32_t reopen_dumps;	/* the receiver's dumps begun before the last reopen's */
	int64_t done_us;	/* a dump's end: the flows it found missing wait to end */
	uint32_t sync;		/* the receiver's sync ask that ends them */
	int64_t saved_done_us;	/* done_us when the transaction began */
};

/* One queued item that is not events: a gap (QITEM_GAP), a sync mark or an
 * item of the receiver's dump. Inside a transaction. Returns 0 or -1
 * (reported). */
int resync_track_item(struct resync_track *t, const struct qitem *it);

/* After a dump of the writer's own (start, reopen) that found vanished
 * flows missing at t_us: they end once the receiver answers a sync ask. */
void resync_track_await(struct resync_track *t, int64_t t_us);

/* The writer's transactions: begun, committed, rolled back (the open flows
 * then read again from the database). */
void resync_track_begin(struct resync_track *t);
void resync_track_commit(struct resync_track *t);
void resync_track_rollback(struct resync_track *t);

/* Before a reopen's dump: the receiver's dumps begun so far are skipped,
 * and nothing waits to end (the open flows are read again). */
void resync_track_reopen(struct resync_track *t);

/* At the end, every event read: ends the flows still waiting. Inside a
 * transaction. Returns 0 or -1 (reported). */
int resync_track_finish(struct resync_track *t);

#endif
