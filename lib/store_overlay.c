/* What a reader sees of flows: their rows with the changes still waiting in flow_pending applied, as the writer will fold them, through a temporary view that takes the table's name. */
#include <stdint.h>
#include <stdlib.h>
#include <sqlite3.h>

#include "log.h"

#include "store_internal.h"

/* The changes as columns, in store_bind_change_at()'s order: absent values NULL. */
static const char table_sql[] =
	"CREATE TEMP TABLE flow_changes (id INTEGER PRIMARY KEY, last_us, nevents, status, mark,"
	" end_us, end_kind, state, o_packets, o_bytes, r_packets, r_bytes)";

/* An unqualified "flows" names the temp schema's first: every query reads
 * through this view while it exists. Each column as the writer's UPDATE
 * (STMT_FLOW_UPDATE in lib/store.c) will leave it. */
#define LAST_DUR "coalesce(max(f.last_dur, c.last_us - f.first_us), f.last_dur," \
	" c.last_us - f.first_us)"
#define END_DUR "coalesce(c.end_us - f.first_us, f.end_dur)"
static const char view_sql[] =
	"CREATE TEMP VIEW flows AS SELECT f.id AS id, f.session AS session, f.ct_id AS ct_id,"
	" f.family AS family, f.proto AS proto, f.o_l3 AS o_l3, f.o_src AS o_src,"
	" f.o_dst AS o_dst, f.o_sport AS o_sport, f.o_dport AS o_dport, f.origin AS origin,"
	" f.first_us AS first_us, " END_DUR " AS end_dur,"
	" coalesce(c.end_kind, f.end_kind) AS end_kind, coalesce(c.state, f.state) AS state,"
	" coalesce(c.o_packets, f.o_packets) AS o_packets,"
	" coalesce(c.o_bytes, f.o_bytes) AS o_bytes,"
	" coalesce(c.r_packets, f.r_packets) AS r_packets,"
	" coalesce(c.r_bytes, f.r_bytes) AS r_bytes, " LAST_DUR " AS last_dur,"
	" f.nevents + coalesce(c.nevents, 0) AS nevents,"
	" coalesce(c.status, f.status) AS status, coalesce(c.mark, f.mark) AS mark,"
	" f.first_us + " END_DUR " AS end_us, f.first_us + " LAST_DUR " AS last_us"
	" FROM main.flows f LEFT JOIN temp.flow_changes c ON c.id = f.id";

/* The changes read from flow_pending, in the order they came. */
struct changes {
	struct pflow *c;
	size_t n, cap;
};

/* Keeps a change read (store_pending_read). Returns 0 or -1 (reported). */
static int keep(const struct pflow *c, void *arg)
{
	struct changes *ch = arg;

	if (ch->n == ch->cap) {
		size_t cap = ch->cap ? ch->cap * 2 : 1024;
		struct pflow *p = realloc(ch->c, cap * sizeof(*p));

		if (!p)
			return log_error("out of memory");
		ch->c = p;
		ch->cap = cap;
	}
	ch->c[ch->n++] = *c;
	return 0;
}

/* Rows of temp.flow_changes an INSERT statement takes (one step for many). */
#define FILL_BATCH 32
#define CHANGE_COLUMNS 12
#define CHANGE_ROW "(?,?,?,?,?,?,?,?,?,?,?,?)"
#define CHANGE_ROWS_8 CHANGE_ROW "," CHANGE_ROW "," CHANGE_ROW "," CHANGE_ROW "," \
	CHANGE_ROW "," CHANGE_ROW "," CHANGE_ROW "," CHANGE_ROW
static const char insert_one_sql[] = "INSERT INTO temp.flow_changes VALUES " CHANGE_ROW;
static const char insert_many_sql[] = "INSERT INTO temp.flow_changes VALUES "
	CHANGE_ROWS_8 "," CHANGE_ROWS_8 "," CHANGE_ROWS_8 "," CHANGE_ROWS_8;

/* The rows being inserted: the statements and the merged changes not yet in. */
struct filling {
	sqlite3_stmt *one, *many;
	struct pflow batch[FILL_BATCH];
	int n;
};

/* Steps s, a bound INSERT, and resets it. Returns 0 or -1. */
static int step_insert(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Takes one flow's merged changes (store_each_merged): FILL_BATCH at a time
 * into the table. Returns 0 or -1. */
static int insert_one(const struct pflow *merged, void *arg)
{
	struct filling *f = arg;
	int i;

	f->batch[f->n++] = *merged;
	if (f->n < FILL_BATCH)
		return 0;
	for (i = 0; i < FILL_BATCH; i++)
		store_bind_change_at(f->many, i * CHANGE_COLUMNS, &f->batch[i]);
	f->n = 0;
	return step_insert(f->many);
}

/* Fills temp.flow_changes with the changes, a row per flow, in id order
 * (rows appended: the cheapest insert). Returns 0 or -1 (reported). */
static int fill(struct store *st, const struct changes *ch)
{
	struct filling f = { .n = 0 };
	int i, rc = -1;

	if (sqlite3_exec(st->db, "DELETE FROM temp.flow_changes", NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(st->db, insert_one_sql, -1, &f.one, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(st->db, insert_many_sql, -1, &f.many, NULL) == SQLITE_OK &&
	    !store_each_merged(ch->c, ch->n, insert_one, &f)) {
		for (i = 0, rc = 0; i < f.n && !rc; i++) {
			store_bind_change_at(f.one, 0, &f.batch[i]);
			rc = step_insert(f.one);
		}
	}
	sqlite3_finalize(f.one);
	sqlite3_finalize(f.many);
	return rc ? store_fail(st, "cannot read the changes of flows") : 0;
}

/* Brings the temp objects in line with the changes: the view while there
 * are some, nothing (the table itself, at full speed) when there are none. */
static int apply(struct store *st, const struct changes *ch)
{
	if (ch->n && !st->overlay) {
		if (sqlite3_exec(st->db, table_sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, view_sql, NULL, NULL, NULL) != SQLITE_OK)
			return store_fail(st, "cannot read the changes of flows");
		st->overlay = 1;
	} else if (!ch->n && st->overlay) {
		if (sqlite3_exec(st->db, "DROP VIEW temp.flows; DROP TABLE temp.flow_changes", NULL,
				 NULL, NULL) != SQLITE_OK)
			return store_fail(st, "cannot read the changes of flows");
		st->overlay = 0;
	}
	return ch->n ? fill(st, ch) : 0;
}

int store_read_snapshot(struct store *st)
{
	struct changes ch = { 0 };
	int64_t rows, last;
	int rc;

	sqlite3_set_authorizer(st->db, NULL, NULL);	/* a --where's: our statements */
	if (!sqlite3_get_autocommit(st->db) &&
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, "cannot end a read");
	if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, "cannot start a read");
	/* (the first read fixes the snapshot: this one) */
	rc = store_pending_read(st, keep, &ch, &rows, &last);
	if (!rc && (ch.n || st->overlay)) {
		/* query_only covers the temp schema too: lifted for our own writes there */
		if (sqlite3_exec(st->db, "PRAGMA query_only = 0", NULL, NULL, NULL) != SQLITE_OK)
			rc = store_fail(st, "cannot read the changes of flows");
		else
			rc = apply(st, &ch);
		if (sqlite3_exec(st->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK && !rc)
			rc = store_fail(st, "cannot read the changes of flows");
	}
	free(ch.c);
	st->snapshot = !rc;
	return rc;
}
