/* A cursor over events or flows gives up its snapshot while its reader's output waits, and takes a new one up where it was. */
#include <sqlite3.h>

#include "log.h"
#include "store_cursor.h"
#include "timeparse.h"

/* Runs the one-integer statement sql; *v is 0 when it returns no row.
 * Returns 0 or -1 (reported). */
static int read_int(struct store *st, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read events");
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(st, "cannot read events");
}

/* Ids and first_event grow together (schema/schema.sql): the last block's
 * end is the end of the events, without reading every block. */
static const char events_end_sql[] =
	"SELECT first_event + n FROM event_blocks ORDER BY id DESC LIMIT 1";
static const char last_prune_sql[] = "SELECT max(id) FROM prunes";

/* The flows' ids: AUTOINCREMENT, so the largest is the last stored. */
static const char flows_end_sql[] = "SELECT max(id) FROM main.flows";

/* Notes, once, where the first snapshot ends (its last event or flow) and
 * the last retention step it saw: the next snapshots keep to the first.
 * Returns 0 or -1 (reported). */
static int note_bounds(struct store_cursor *c)
{
	if (c->bounded)
		return 0;
	if (read_int(c->st, c->of_flows ? flows_end_sql : events_end_sql, &c->upto) ||
	    read_int(c->st, last_prune_sql, &c->prunes_seen))
		return -1;
	c->bounded = 1;
	return 0;
}

int store_cursor_release(struct store_cursor *c)
{
	if (c->released || c->broken)
		return 0;
	if (!c->of_flows && c->both_ends && !c->blocks_done) {
		/* A selective query's search from the end counts its flows'
		 * events, which holds in one snapshot only: it ends here, what
		 * it found is dropped, and the reading from the start reads on
		 * to the end instead (their events are found there). */
		c->both_ends = 0;
		c->back_done = 1;
		c->held_len = c->held_pos = c->nseg = 0;
	}
	if (note_bounds(c)) {
		c->broken = 1;
		return -1;
	}
	/* none of the cursor's statements may keep the read open; the ones
	 * bound to where the reading is are made again */
	sqlite3_finalize(c->s);
	sqlite3_finalize(c->blocks);
	sqlite3_finalize(c->back);
	c->s = c->blocks = c->back = NULL;
	sqlite3_reset(c->prefetch);
	sqlite3_reset(c->bloom_stmt);
	sqlite3_reset(c->data_stmt);
	c->own_txn = 0;		/* (ended here: store_cursor_free() has none to end) */
	if (store_read_end(c->st)) {
		c->broken = 1;
		return -1;
	}
	c->released = 1;
	return 1;
}

/* Says so when retention removed history while c was released, and some of
 * what c has still to read may be gone with it. Returns 0 or -1 (reported). */
static int check_pruned(struct store_cursor *c)
{
	int64_t last, before_us;
	char when[40];

	if (read_int(c->st, last_prune_sql, &last))
		return -1;
	if (last == c->prunes_seen)
		return 0;
	c->prunes_seen = last;
	if (read_int(c->st, "SELECT max(before_us) FROM prunes", &before_us))
		return -1;
	if (before_us <= c->last_us)
		return 0;
	time_format(when, sizeof(when), before_us, 0);
	log_warn("retention removed the history before %s while the output waited:"
		 " what had not been read of it yet is missing", when);
	return 0;
}

int store_cursor_resume(struct store_cursor *c)
{
	if (store_read_snapshot(c->st) || check_pruned(c) ||
	    (c->of_flows ? store_cursor_flows(c) : !c->blocks_done && store_cursor_blocks(c))) {
		c->broken = 1;
		return -1;
	}
	c->released = 0;
	return 0;
}
