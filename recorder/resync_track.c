/* The writer's bookkeeping of table dumps: which dump it is reading, when the flows one found missing may end, what a rollback or a reopen undoes. */
#include "flowmap.h"
#include "log.h"
#include "queue.h"
#include "receiver.h"
#include "record.h"
#include "resync.h"
#include "resync_track.h"
#include "store.h"

/* Is seq after *told (wrapping)? Then it becomes *told. */
static int newer(uint32_t seq, uint32_t *told)
{
	if ((int32_t)(seq - *told) <= 0)
		return 0;
	*told = seq;
	return 1;
}

static int note_gap(struct resync_track *t, const struct qitem *it)
{
	int fresh = newer(it->seq, &t->gap_told);

	t->rec->n.gaps++;
	if (!t->gap_warned && fresh)
		log_warn("the kernel dropped events (ENOBUFS): history has a gap; resyncing"
			 " from a table dump (raise --buffer-size)");
	t->gap_warned = 1;
	return store_gap_insert(t->rec->st, t->rec->session, it->t_us, "enobufs", -1);
}

/* The flows a dump found missing from the table are ended "end unknown" at
 * the dump's end (t_us), but only once every event the kernel made before
 * then is stored: their DESTROY may still be in the socket. The receiver
 * marks that point with the sync item the ask (sync) names. */
static void await_sync(struct resync_track *t, int64_t t_us, uint32_t sync)
{
	t->done_us = t_us;
	t->sync = sync;
}

void resync_track_await(struct resync_track *t, int64_t t_us)
{
	await_sync(t, t_us, receiver_ask_sync(t->rx));
}

/* Ends the flows a dump found missing, once the sync item it waits for comes. */
static int sync_arrived(struct resync_track *t, const struct qitem *it)
{
	if (!t->done_us || (int32_t)(it->seq - t->sync) < 0)
		return 0;
	return resync_track_finish(t);
}

/* An item of the dump the receiver queued after a loss, which it reached
 * after every event made before the dump: the open flows are compared with
 * the table as it was then, not as it is when the writer gets there (the
 * kernel reports ENOBUFS before the events still in the socket, and under
 * a storm the writer lags). A dump that a rollback cut (the disk was full)
 * after a commit inside it cannot say which flows vanished: another one is
 * asked for. A dump begun before a reopen's is skipped: that one, newer,
 * took its place (the open flows it would be compared with are gone). */
static int dump_item(struct resync_track *t, const struct qitem *it)
{
	long n;

	if (it->kind == QITEM_DUMP_BEGIN)
		t->dump_stale = (int32_t)(it->seq - t->reopen_dumps) <= 0;
	if (t->dump_stale) {
		t->dump_stale = it->kind != QITEM_DUMP_END;
		return 0;
	}
	switch (it->kind) {
	case QITEM_DUMP_BEGIN:
		resync_begin(t->rec);
		t->in_dump = 1;
		t->dump_committed = t->dump_spoiled = 0;
		t->dump_entries = 0;
		return 0;
	case QITEM_DUMP:
		n = resync_datagram(t->rec, it->data, it->len, it->t_us);
		if (n < 0)
			return -1;
		t->dump_entries += n;
		return 0;
	default:	/* QITEM_DUMP_END */
		t->in_dump = 0;
		if (t->dump_spoiled) {
			receiver_ask_dump(t->rx);
			return 0;
		}
		n = resync_end(t->rec);
		t->gap_warned = 0;
		if (n)
			await_sync(t, it->t_us, it->seq);
		if (t->verbose && newer(it->seq, &t->dump_told))
			log_info("resync: %ld entries in the table; %zu open flows, %ld missing"
				 " from it", t->dump_entries, flowmap_count(t->rec->open), n);
		return 0;
	}
}

int resync_track_item(struct resync_track *t, const struct qitem *it)
{
	switch (it->kind) {
	case QITEM_GAP:
		return note_gap(t, it);
	case QITEM_SYNC:
		return sync_arrived(t, it);
	default:
		return dump_item(t, it);
	}
}

void resync_track_begin(struct resync_track *t)
{
	t->saved_done_us = t->done_us;
}

void resync_track_commit(struct resync_track *t)
{
	t->dump_committed |= t->in_dump;
	if (!t->in_dump)
		t->dump_spoiled = 0;
}

void resync_track_rollback(struct resync_track *t)
{
	/* A dump is read again from its start, unless a commit came inside it */
	t->dump_spoiled |= t->in_dump && t->dump_committed;
	t->in_dump = t->dump_spoiled;
	/* the open flows are read again: which vanished (found by a dump, or
	 * ended since) is lost */
	if (t->done_us || t->saved_done_us)
		receiver_ask_dump(t->rx);
	t->done_us = 0;
}

void resync_track_reopen(struct resync_track *t)
{
	t->done_us = 0;
	t->reopen_dumps = __atomic_load_n(&t->rx->dumps, __ATOMIC_SEQ_CST);
}

int resync_track_finish(struct resync_track *t)
{
	int64_t t_us = t->done_us;

	if (!t_us)
		return 0;
	t->done_us = 0;
	return resync_finish(t->rec, t_us);
}
