/* What a reader sees of flows: their rows with the changes still waiting in flow_pending applied, as the writer will fold them, through a temporary view that takes the table's name. */
#include <stdint.h>
#include <sqlite3.h>

#include "log.h"

#include "store_internal.h"

/* The changes as columns, in store_bind_change()'s order: absent values NULL. */
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

/* Fills temp.flow_changes with the set. Returns 0 or -1 (reported). */
static int fill(struct store *st, const struct pflow_set *set)
{
	sqlite3_stmt *s;
	size_t i;
	int rc = SQLITE_DONE;

	if (sqlite3_exec(st->db, "DELETE FROM temp.flow_changes", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "INSERT INTO temp.flow_changes VALUES"
			       " (?,?,?,?,?,?,?,?,?,?,?,?)", -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read the changes of flows");
	for (i = 0; i < set->n && rc == SQLITE_DONE; i++) {
		store_bind_change(s, &set->pf[i]);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "cannot read the changes of flows");
}

/* Merges a change into the set (arg). Returns 0 or -1 (reported). */
static int merge(const struct pflow *c, void *arg)
{
	struct pflow *p = pflow_set_get(arg, c->id);

	if (!p)
		return -1;
	pflow_merge(p, c);
	return 0;
}

/* Reads flow_pending into set. Returns 0 or -1 (reported). */
static int read_pending(struct store *st, struct pflow_set *set)
{
	int64_t rows, last;

	return store_pending_read(st, merge, set, &rows, &last);
}

/* Brings the temp objects in line with set: the view while there are
 * changes, nothing (the table itself, at full speed) when there are none. */
static int apply(struct store *st, const struct pflow_set *set)
{
	if (set->n && !st->overlay) {
		if (sqlite3_exec(st->db, table_sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, view_sql, NULL, NULL, NULL) != SQLITE_OK)
			return store_fail(st, "cannot read the changes of flows");
		st->overlay = 1;
	} else if (!set->n && st->overlay) {
		if (sqlite3_exec(st->db, "DROP VIEW temp.flows; DROP TABLE temp.flow_changes", NULL,
				 NULL, NULL) != SQLITE_OK)
			return store_fail(st, "cannot read the changes of flows");
		st->overlay = 0;
	}
	return set->n ? fill(st, set) : 0;
}

int store_read_snapshot(struct store *st)
{
	struct pflow_set set = { 0 };
	int rc;

	sqlite3_set_authorizer(st->db, NULL, NULL);	/* a --where's: our statements */
	if (!sqlite3_get_autocommit(st->db) &&
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, "cannot end a read");
	if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, "cannot start a read");
	/* (the first read fixes the snapshot: this one) */
	rc = read_pending(st, &set);
	if (!rc && (set.n || st->overlay)) {
		/* query_only covers the temp schema too: lifted for our own writes there */
		if (sqlite3_exec(st->db, "PRAGMA query_only = 0", NULL, NULL, NULL) != SQLITE_OK)
			rc = store_fail(st, "cannot read the changes of flows");
		else
			rc = apply(st, &set);
		if (sqlite3_exec(st->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK && !rc)
			rc = store_fail(st, "cannot read the changes of flows");
	}
	pflow_set_clear(&set, 1);
	st->snapshot = !rc;
	return rc;
}
