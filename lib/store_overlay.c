/* What a reader sees of flows: their rows with the changes still waiting in flow_pending applied, as the writer will fold them, through a temporary view that takes the table's name and reads the changes from memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "grow.h"
#include "log.h"

#include "store_internal.h"

/* The changes, one merged change a flow (st->ovl), are the virtual table
 * ct_flow_changes of the reader's connection: columns in
 * store_change_column()'s order, unset values NULL. A lookup by id is a
 * binary search; nothing is copied into SQLite. A flow's changes are decoded
 * and merged when first asked for: a query that reads a few flows does not
 * decode the changes of all (the snapshot only reads their heads). Whoever
 * reads the store (one thread at a time) may fill an entry in. */
static const char vtab_sql[] =
	"CREATE TABLE x(id INTEGER, last_us INTEGER, nevents INTEGER, status INTEGER,"
	" mark INTEGER, end_us INTEGER, end_kind INTEGER, state INTEGER, o_packets INTEGER,"
	" o_bytes INTEGER, r_packets INTEGER, r_bytes INTEGER)";

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
	" FROM main.flows f LEFT JOIN ct_flow_changes c ON c.id = f.id";

struct ovl_vtab {
	sqlite3_vtab base;
	struct store *st;
};

/* A flow's entry in st->ovl: its changes, st->praw.chg[first..first + n)
 * (sorted by flow, in the order they were made), merged into c once asked. */
struct ovl_entry {
	struct pchange c;
	size_t first, n;
	int merged;
};

/* A scan of the changes: [at, end) of st->ovl. */
struct ovl_cursor {
	sqlite3_vtab_cursor base;
	struct ovl_entry *at, *end;
};

/* e's merged change (decoded and merged on the first call). */
static const struct pchange *merged(struct store *st, struct ovl_entry *e)
{
	struct pchange c;
	size_t i;

	if (e->merged)
		return &e->c;
	store_pending_decode(&st->praw, &st->praw.chg[e->first], &e->c);
	for (i = 1; i < e->n; i++) {
		store_pending_decode(&st->praw, &st->praw.chg[e->first + i], &c);
		pchange_merge(&e->c, &c);
	}
	e->merged = 1;
	return &e->c;
}

/* The entry of flow id, or NULL. */
static struct ovl_entry *find(const struct store *st, int64_t id)
{
	size_t lo = 0, hi = st->novl;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->ovl[mid].c.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->novl && st->ovl[lo].c.id == id ? &st->ovl[lo] : NULL;
}

static int ovl_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		       sqlite3_vtab **vtab, char **err)
{
	struct ovl_vtab *t;
	int rc;

	(void)argc; (void)argv; (void)err;
	rc = sqlite3_declare_vtab(db, vtab_sql);
	if (rc != SQLITE_OK)
		return rc;
	t = sqlite3_malloc(sizeof(*t));
	if (!t)
		return SQLITE_NOMEM;
	memset(t, 0, sizeof(*t));
	t->st = aux;
	*vtab = &t->base;
	return SQLITE_OK;
}

static int ovl_disconnect(sqlite3_vtab *vtab)
{
	sqlite3_free(vtab);
	return SQLITE_OK;
}

/* idxNum 1: one id, equal to the first argument; 0: every change. */
static int ovl_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
	struct ovl_vtab *t = (struct ovl_vtab *)vtab;
	int i;

	for (i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];

		if (c->usable && c->op == SQLITE_INDEX_CONSTRAINT_EQ &&
		    (c->iColumn == 0 || c->iColumn == -1)) {
			info->aConstraintUsage[i].argvIndex = 1;
			info->aConstraintUsage[i].omit = 1;
			info->idxNum = 1;
			info->idxFlags = SQLITE_INDEX_SCAN_UNIQUE;
			info->estimatedCost = 1;
			info->estimatedRows = 1;
			return SQLITE_OK;
		}
	}
	info->idxNum = 0;
	info->estimatedCost = (double)t->st->novl + 1;
	info->estimatedRows = (sqlite3_int64)t->st->novl + 1;
	return SQLITE_OK;
}

static int ovl_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **cur)
{
	struct ovl_cursor *c = sqlite3_malloc(sizeof(*c));

	(void)vtab;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	*cur = &c->base;
	return SQLITE_OK;
}

static int ovl_close(sqlite3_vtab_cursor *cur)
{
	sqlite3_free(cur);
	return SQLITE_OK;
}

static int ovl_filter(sqlite3_vtab_cursor *cur, int idx, const char *idx_str, int argc,
		      sqlite3_value **argv)
{
	struct ovl_cursor *c = (struct ovl_cursor *)cur;
	const struct store *st = ((struct ovl_vtab *)cur->pVtab)->st;

	(void)idx_str;
	c->at = st->ovl;
	c->end = c->at + st->novl;
	if (idx != 1 || argc < 1)
		return SQLITE_OK;
	c->end = c->at;		/* no such id: nothing */
	if (sqlite3_value_numeric_type(argv[0]) != SQLITE_INTEGER)
		return SQLITE_OK;
	c->at = find(st, sqlite3_value_int64(argv[0]));
	c->end = c->at ? c->at + 1 : c->at;
	return SQLITE_OK;
}

static int ovl_next(sqlite3_vtab_cursor *cur)
{
	((struct ovl_cursor *)cur)->at++;
	return SQLITE_OK;
}

static int ovl_eof(sqlite3_vtab_cursor *cur)
{
	const struct ovl_cursor *c = (const struct ovl_cursor *)cur;

	return c->at >= c->end;
}

static int ovl_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	struct store *st = ((struct ovl_vtab *)cur->pVtab)->st;
	int64_t v;

	if (store_change_column(merged(st, ((struct ovl_cursor *)cur)->at), col, &v))
		sqlite3_result_int64(ctx, v);
	else
		sqlite3_result_null(ctx);
	return SQLITE_OK;
}

static int ovl_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = ((struct ovl_cursor *)cur)->at->c.id;
	return SQLITE_OK;
}

/* Eponymous only (no xCreate): it exists on the connection it is registered on. */
static const sqlite3_module ovl_module = {
	.xConnect = ovl_connect,
	.xBestIndex = ovl_best_index,
	.xDisconnect = ovl_disconnect,
	.xOpen = ovl_open,
	.xClose = ovl_close,
	.xFilter = ovl_filter,
	.xNext = ovl_next,
	.xEof = ovl_eof,
	.xColumn = ovl_column,
	.xRowid = ovl_rowid,
};

/* Reads the changes waiting into st->praw, sorted by flow, and lists an
 * entry a flow in st->ovl. Returns 0 or -1 (reported). */
static int read_changes(struct store *st)
{
	struct pending_raw *raw = &st->praw;
	struct radix_item *tmp;
	size_t i;

	st->novl = 0;
	if (store_pending_scan(st, raw))
		return -1;
	if (!raw->n)
		return 0;
	tmp = malloc(raw->n * sizeof(*tmp));
	if (!tmp)
		return log_error("out of memory");
	radix_sort(raw->chg, tmp, raw->n);	/* stable: a flow's in the order made */
	free(tmp);
	for (i = 0; i < raw->n; i++) {
		struct ovl_entry *e;

		if (st->novl && st->ovl[st->novl - 1].c.id == (int64_t)raw->chg[i].key) {
			st->ovl[st->novl - 1].n++;
			continue;
		}
		if (!(e = grow_array(st->ovl, &st->ovl_cap, st->novl, sizeof(*e), 1024)))
			return -1;
		st->ovl = e;
		e = &st->ovl[st->novl++];
		memset(e, 0, sizeof(*e));
		e->c.id = (int64_t)raw->chg[i].key;
		e->first = i;
		e->n = 1;
	}
	return 0;
}

/* Brings the temp view in line with the changes: there while there are
 * some, gone (the table itself, at full speed) when there are none. */
static int apply(struct store *st)
{
	if (!st->ovl_module) {
		if (sqlite3_create_module_v2(st->db, "ct_flow_changes", &ovl_module, st,
					     NULL) != SQLITE_OK)
			return store_fail(st, "cannot read the changes of flows");
		st->ovl_module = 1;
	}
	if (st->novl && !st->overlay) {
		if (store_exec(st, view_sql, "cannot read the changes of flows"))
			return -1;
		st->overlay = 1;
	} else if (!st->novl && st->overlay) {
		if (store_exec(st, "DROP VIEW temp.flows", "cannot read the changes of flows"))
			return -1;
		st->overlay = 0;
	}
	return 0;
}

int store_read_end(struct store *st)
{
	sqlite3_set_authorizer(st->db, NULL, NULL);	/* a --where's: our statements */
	st->snapshot = 0;
	if (!sqlite3_get_autocommit(st->db))
		return store_exec(st, "COMMIT", "cannot end a read");
	return 0;
}

int store_read_snapshot(struct store *st)
{
	if (store_read_end(st))
		return -1;
	if (store_exec(st, "BEGIN", "cannot start a read"))
		return -1;
	return store_read_fill(st);
}

int store_read_fill(struct store *st)
{
	int rc;

	/* (the first read fixes the snapshot: this one, or store_open's check
	 * of the schema in the same transaction) */
	rc = read_changes(st);
	if (!rc && (st->novl || st->overlay)) {
		/* query_only covers the temp schema too: lifted for the view */
		rc = store_exec(st, "PRAGMA query_only = 0", "cannot read the changes of flows");
		if (!rc)
			rc = apply(st);
		/* (its own failure reported when nothing failed before it) */
		if (sqlite3_exec(st->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK && !rc)
			rc = store_fail(st, "cannot read the changes of flows");
	}
	if (rc)
		st->novl = 0;	/* (a view left behind reads no change) */
	st->snapshot = !rc;
	st->snapshots++;
	return rc;
}
