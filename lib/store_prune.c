/* Retention: removing the oldest history in small steps, and saying what was removed. */
#include <stdint.h>
#include <sqlite3.h>

#include "store_internal.h"
#include "store_prune.h"
#include "store_sql.h"

/* Runs sql, with ?1 = before_us and ?2 = limit where it has them; returns
 * the rows it changed, or -1. */
static int64_t change(struct store *st, const char *sql, int64_t before_us, int limit)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot prune");
	if (sqlite3_bind_parameter_count(s) >= 1)
		sqlite3_bind_int64(s, 1, before_us);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int(s, 2, limit);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "cannot prune");
	return sqlite3_changes64(st->db);
}

/* A count, size or time read by sql, or -1 (reported about what). */
static int64_t one_value(struct store *st, const char *sql, const char *what)
{
	int64_t v;

	return store_one_int(st, sql, what, &v) ? -1 : v;
}

/* Runs each for every row that rows selects, with that row's columns as
 * ?1, ?2...: one lookup by key each (SQLite would scan for an IN over the
 * keys of STORE_FLOW_KEYS_OF, or over several columns). Returns 0 or -1 (reported). */
static int for_each_row(struct store *st, const char *rows, const char *each)
{
	sqlite3_stmt *s = NULL, *e = NULL;
	int rc = SQLITE_ERROR;

	int i;

	if (sqlite3_prepare_v2(st->db, rows, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, each, -1, &e, NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(s); i++)
			sqlite3_bind_value(e, i + 1, sqlite3_column_value(s, i));
		rc = sqlite3_step(e);
		sqlite3_reset(e);
		if (rc != SQLITE_DONE)
			break;
	}
out:
	/* (reported before finalizing: a statement that did not fail, finalized
	 * after, leaves SQLite's message at "not an error") */
	if (rc != SQLITE_DONE)
		store_fail(st, "cannot prune");
	sqlite3_finalize(s);
	sqlite3_finalize(e);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The bound a size limit prunes to: the oldest event time left (INT64_MAX
 * when no event is left). */
static int64_t oldest_event(struct store *st)
{
	return one_value(st, "SELECT coalesce(min(first_us), 9223372036854775807)"
			 " FROM event_blocks", "cannot prune");
}

int store_prune_step(struct store *st, int64_t before_us, int limit, int64_t now_us,
		     struct prune_result *r)
{
	/* Flows ended before the bound, oldest ids first, go with the keys
	 * that no flow left in their ranges has (store_prune_drop_keys). */
	static const char pick_flows[] =
		"CREATE TEMP TABLE IF NOT EXISTS prune_pick (id INTEGER PRIMARY KEY);"
		" CREATE TEMP TABLE IF NOT EXISTS prune_keys (kind, val, rng);"
		" DELETE FROM prune_pick; DELETE FROM prune_keys;";
	static const char fill_flows[] =
		"INSERT INTO prune_pick SELECT id FROM flows WHERE end_us < ?1 ORDER BY id LIMIT ?2";
	/* The same flows for a size limit, all of them, found through the
	 * ranges whose flow_keys list an ended flow started before ?1 (kind 4,
	 * every duration class d: d * 2^44 + first_us >> 20): the bound is the
	 * oldest event left, so few ranges qualify, where scanning every flow
	 * at every step made pruning a large history quadratic. */
	static const char fill_flows_by_size[] =
		"INSERT INTO prune_pick SELECT f.id FROM"
		" (WITH RECURSIVE c(d) AS (SELECT 1 UNION ALL SELECT d + 1 FROM c WHERE d < 20)"
		" SELECT DISTINCT k.rng FROM c CROSS JOIN flow_keys k ON k.kind = 4"
		" AND k.val BETWEEN c.d << 44 AND (c.d << 44) + (?1 >> 20)) r"
		" CROSS JOIN flows f ON f.id BETWEEN (r.rng << 10) + 1 AND (r.rng << 10) + 1024"
		" WHERE f.end_us < ?1";
	static const char del_flows[] =
		"DELETE FROM flows WHERE id IN (SELECT id FROM prune_pick)";
	static const char del_more[] =
		"DELETE FROM flows_more WHERE id IN (SELECT id FROM prune_pick)";
	/* Whole blocks go (at most limit / 100 of up to 4096 events a step):
	 * with a time limit those whose every event is older, with a size limit
	 * the oldest one. Events of flows still open go with them; events of removed
	 * flows in blocks that stay are left, and never read again. The newest
	 * block stays: the next block's id and first event id follow its own,
	 * and without it they started again from 1, below what readers (replay
	 * --follow, a released cursor) had read, which then never saw them. */
	static const char pick_blocks[] =
		"CREATE TEMP TABLE IF NOT EXISTS prune_blocks (id INTEGER PRIMARY KEY, n INTEGER);"
		" DELETE FROM prune_blocks;";
	static const char old_blocks[] =
		"INSERT INTO prune_blocks SELECT id, n FROM event_blocks WHERE last_us < ?1"
		" AND id < (SELECT max(id) FROM event_blocks) ORDER BY id LIMIT ?2";
	static const char first_blocks[] =
		"INSERT INTO prune_blocks SELECT id, n FROM event_blocks WHERE ?1"
		" AND id < (SELECT max(id) FROM event_blocks) ORDER BY id LIMIT ?2";
	static const char del_blocks[] =
		"DELETE FROM event_blocks WHERE id IN (SELECT id FROM prune_blocks)";
	static const char del_data[] =
		"DELETE FROM event_data WHERE id IN (SELECT id FROM prune_blocks)";
	int by_size = before_us == INT64_MAX;
	int64_t n, before = before_us;

	r->flows = r->events = r->before_us = 0;
	if (store_exec(st, "BEGIN IMMEDIATE", "cannot prune"))
		return -1;
	if (store_exec(st, pick_blocks, "cannot prune"))
		goto fail;
	/* a size limit: the blocks the caller asked for; the flows go with their events */
	if (change(st, by_size ? first_blocks : old_blocks, by_size ? 1 : before_us,
		   by_size ? (limit < 1 ? 1 : limit) : limit < 100 ? 1 : limit / 100) < 0 ||
	    (n = one_value(st, "SELECT coalesce(sum(n), 0) FROM prune_blocks", "cannot prune")) < 0 ||
	    change(st, del_blocks, 0, 0) < 0 || change(st, del_data, 0, 0) < 0)
		goto fail;
	r->events = n;
	/* a size limit: the flows that ended before what is left of the events */
	if (by_size && (before = oldest_event(st)) < 0)
		goto fail;
	if (store_exec(st, pick_flows, "cannot prune"))
		goto fail;
	/* (a size limit: all of them, so that no flow is left older than the
	 * history kept) */
	if (change(st, by_size ? fill_flows_by_size : fill_flows, before, limit) < 0 ||
	    for_each_row(st, "SELECT id FROM prune_pick", "INSERT INTO prune_keys SELECT kind, val,"
			 " rng FROM " STORE_FLOW_KEYS_OF " WHERE id = ?1") ||
	    change(st, del_more, 0, 0) < 0 || (n = change(st, del_flows, 0, 0)) < 0 ||
	    store_prune_drop_keys(st))
		goto fail;
	r->flows = n;
	if (before == INT64_MAX)	/* no event left at all */
		before = now_us;
	r->before_us = r->flows + r->events ? before : 0;
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
	if (store_exec(st, "COMMIT", "cannot prune"))
		goto fail;
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int64_t store_used_bytes(struct store *st)
{
	static const char what[] = "cannot read the database's size";
	int64_t pages = one_value(st, "PRAGMA page_count", what);
	int64_t free_pages = one_value(st, "PRAGMA freelist_count", what);
	int64_t size = one_value(st, "PRAGMA page_size", what);

	if (pages < 0 || free_pages < 0 || size < 0)
		return -1;
	return (pages - free_pages) * size;
}

int64_t store_block_count(struct store *st)
{
	return one_value(st, "SELECT count(*) FROM event_blocks", "cannot count the blocks of events");
}
