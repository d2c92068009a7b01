/* Retention: removing the oldest history in small steps, and saying what was removed. */
#include <stdint.h>
#include <sqlite3.h>

#include "store_internal.h"
#include "store_prune.h"

/* Runs sql, with ?1 = before_us and ?2 = limit where it has them; returns
 * the rows it changed, or -1. */
static int64_t change(struct store *st, const char *sql, int64_t before_us, int limit)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot prune");
	if (sqlite3_bind_parameter_count(s) >= 2) {
		sqlite3_bind_int64(s, 1, before_us);
		sqlite3_bind_int(s, 2, limit);
	}
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "cannot prune");
	return sqlite3_changes64(st->db);
}

static int64_t one_value(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read the database's size");
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int store_prune_step(struct store *st, int64_t before_us, int limit, int64_t now_us,
		     struct prune_result *r)
{
	/* The flows to go, remembered so their events and rows go together. */
	static const char pick[] =
		"CREATE TEMP TABLE IF NOT EXISTS prune_pick (id INTEGER PRIMARY KEY, end_us INTEGER);"
		" DELETE FROM prune_pick;";
	static const char fill[] =
		"INSERT INTO prune_pick SELECT id, end_us FROM flows"
		" WHERE end_us < ?1 ORDER BY end_us LIMIT ?2";
	static const char del_flows[] =
		"DELETE FROM flows WHERE id IN (SELECT id FROM prune_pick)";
	/* Whole blocks go, those whose every event is older than the bound
	 * (at most limit / 100 blocks of up to 4096 events a step): events of
	 * flows still open go with them; events of removed flows in blocks that
	 * stay are left, and never read again. */
	static const char pick_blocks[] =
		"CREATE TEMP TABLE IF NOT EXISTS prune_blocks (id INTEGER PRIMARY KEY, n INTEGER);"
		" DELETE FROM prune_blocks;";
	static const char fill_blocks[] =
		"INSERT INTO prune_blocks SELECT id, n FROM event_blocks WHERE last_us < ?1"
		" ORDER BY last_us LIMIT ?2";
	static const char del_blocks[] =
		"DELETE FROM event_blocks WHERE id IN (SELECT id FROM prune_blocks)";
	int64_t n, before = 0;

	r->flows = r->events = r->before_us = 0;
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, "cannot prune");
	if (sqlite3_exec(st->db, pick, NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, "cannot prune");
		goto fail;
	}
	if (change(st, fill, before_us, limit) < 0 ||
	    (before = one_value(st, "SELECT coalesce(max(end_us), 0) FROM prune_pick")) < 0 ||
	    (n = change(st, del_flows, 0, 0)) < 0)
		goto fail;
	r->flows = n;
	/* A time limit removes every event before it; a size limit (no time)
	 * the events up to the flows just removed. */
	if (sqlite3_exec(st->db, pick_blocks, NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, "cannot prune");
		goto fail;
	}
	if (change(st, fill_blocks, before_us != INT64_MAX ? before_us : before,
		   limit / 100 > 0 ? limit / 100 : 1) < 0 ||
	    (n = one_value(st, "SELECT coalesce(sum(n), 0) FROM prune_blocks")) < 0 ||
	    change(st, del_blocks, 0, 0) < 0)
		goto fail;
	r->events = n;
	if (n && before_us != INT64_MAX)
		before = before_us;
	r->before_us = before;
	if (r->flows + r->events) {
		sqlite3_stmt *s;

		if (sqlite3_prepare_v2(st->db, "INSERT INTO prunes (t_us, before_us, flows, events)"
				       " VALUES (?,?,?,?)", -1, &s, NULL) != SQLITE_OK) {
			store_fail(st, "cannot note the pruning");
			goto fail;
		}
		sqlite3_bind_int64(s, 1, now_us);
		sqlite3_bind_int64(s, 2, before);
		sqlite3_bind_int64(s, 3, r->flows);
		sqlite3_bind_int64(s, 4, r->events);
		n = sqlite3_step(s);
		sqlite3_finalize(s);
		if (n != SQLITE_DONE) {
			store_fail(st, "cannot note the pruning");
			goto fail;
		}
	}
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, "cannot prune");
		goto fail;
	}
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int64_t store_used_bytes(struct store *st)
{
	int64_t pages = one_value(st, "PRAGMA page_count");
	int64_t free_pages = one_value(st, "PRAGMA freelist_count");
	int64_t size = one_value(st, "PRAGMA page_size");

	if (pages < 0 || free_pages < 0 || size < 0)
		return -1;
	return (pages - free_pages) * size;
}
