/* The event blocks being written: filling, writing at commit or when full, and where the next one starts. */
#include <stdlib.h>
#include <sqlite3.h>

#include "log.h"
#include "store_internal.h"

int store_blocks_begin(struct store *st)
{
	int64_t last = 0;

	/* ids never come back: AUTOINCREMENT's sequence remembers the largest */
	if (store_one_int(st, "SELECT max(coalesce((SELECT max(id) FROM flows), 0),"
			  " coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'flows'), 0)) + 1",
			  "cannot begin a transaction", &st->next_flow))
		return -1;
	/* another writer (an import) added a block since: ours stays as it is */
	if (st->blk_row &&
	    (store_one_int(st, "SELECT coalesce(max(id), 0) FROM event_blocks",
			   "cannot begin a transaction", &last) ||
	     last != st->blk_row))
		store_close_block(st);
	return 0;
}

void store_close_block(struct store *st)
{
	evblock_reset(&st->blk);
	st->blk_row = 0;
	st->blk_written = 0;
}

int store_flush_block(struct store *st)
{
	sqlite3_stmt *s, *d;
	uint8_t *bloom, *data;
	size_t blen, dlen;
	int rc;

	if (!st->blk.n || st->blk.n == st->blk_written)
		return 0;
	s = store_stmt(st, st->blk_row ? STMT_BLOCK_UPDATE : STMT_BLOCK_INSERT);
	d = store_stmt(st, STMT_DATA_PUT);
	if (!s || !d)
		return -1;
	sqlite3_bind_int64(s, 1, st->blk_row);
	sqlite3_bind_int64(s, 2, st->blk_session);
	sqlite3_bind_int64(s, 3, st->blk.n);
	sqlite3_bind_int64(s, 4, st->blk.min_t);
	sqlite3_bind_int64(s, 5, st->blk.max_t);
	sqlite3_bind_int64(s, 6, st->blk.min_flow);
	sqlite3_bind_int64(s, 7, st->blk.max_flow);
	sqlite3_bind_int64(s, 8, (int64_t)evblock_types(&st->blk));
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "cannot store events");
	if (!st->blk_row)
		st->blk_row = sqlite3_last_insert_rowid(st->db);
	else if (sqlite3_changes(st->db) != 1)
		return log_error("internal error: event block %lld vanished",
				 (long long)st->blk_row);
	blen = evblock_bloom(&st->blk, &bloom);
	if (!bloom)
		return -1;
	data = evblock_pack(&st->blk, &dlen);
	if (!data) {
		free(bloom);
		return -1;
	}
	sqlite3_bind_int64(d, 1, st->blk_row);
	sqlite3_bind_blob(d, 2, bloom, (int)blen, free);
	sqlite3_bind_blob(d, 3, data, (int)dlen, free);
	rc = sqlite3_step(d);
	sqlite3_reset(d);
	sqlite3_clear_bindings(d);
	if (rc != SQLITE_DONE)
		return store_fail(st, "cannot store events");
	st->blk_written = st->blk.n;
	return 0;
}

int store_block_add(struct store *st, int64_t flow, const struct ct_event *ev)
{
	if (st->blk.n && st->blk_session != st->session) {
		if (store_flush_block(st))
			return -1;
		store_close_block(st);
	}
	if (!st->blk.n)
		st->blk_session = st->session;
	if (evblock_add(&st->blk, flow, ev))
		return -1;
	if (!evblock_full(&st->blk))
		return 0;
	if (store_flush_block(st))
		return -1;
	store_close_block(st);
	return 0;
}
