/* Builds the store's filtered SELECTs: flow pre-filters as bound parameters, time windows, and a --where expression over the view of lib/store_where.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "log.h"
#include "store_query.h"
#include "store_sql.h"
#include "store_where.h"

/* The statement text being built, and its parameters in order. */
#define STORE_QUERY_MAX_ARGS 128
struct qbuf {
	char *sql;	/* grown as needed: a --where expression has no bound */
	size_t len, size;
	int n;
	struct { int blob; int64_t v; const void *p; int plen; } arg[STORE_QUERY_MAX_ARGS];
	int overflow;
	int nomem;	/* (the text could not grow: out of memory) */
};

static void add(struct qbuf *b, const char *text)
{
	size_t n = strlen(text);
	char *p;

	if (b->len + n >= b->size) {
		size_t size = b->size ? b->size : 8192;

		while (size <= b->len + n)
			size *= 2;
		if (b->overflow || !(p = realloc(b->sql, size))) {
			b->nomem |= !b->overflow;
			b->overflow = 1;
			return;
		}
		b->sql = p;
		b->size = size;
	}
	memcpy(b->sql + b->len, text, n + 1);
	b->len += n;
}

/* Appends " AND " cond, where each "?" in cond takes the next value. */
static void cond_int(struct qbuf *b, const char *cond, int64_t v, int times)
{
	add(b, " AND ");
	add(b, cond);
	while (times-- > 0 && b->n < STORE_QUERY_MAX_ARGS) {
		b->arg[b->n].blob = 0;
		b->arg[b->n++].v = v;
	}
}

/* Appends text, then takes v as the value of its next "?". */
static void add_int(struct qbuf *b, const char *text, int64_t v)
{
	add(b, text);
	if (b->n >= STORE_QUERY_MAX_ARGS) {
		b->overflow = 1;
		return;
	}
	b->arg[b->n].blob = 0;
	b->arg[b->n++].v = v;
}

static void arg_blob(struct qbuf *b, const void *p, int len)
{
	if (b->n >= STORE_QUERY_MAX_ARGS) {
		b->overflow = 1;
		return;
	}
	b->arg[b->n].blob = 1;
	b->arg[b->n].p = p;
	b->arg[b->n++].plen = len;
}

static void cond_range(struct qbuf *b, const char *col, const struct store_range *r)
{
	char text[128];

	if (!r->len)
		return;
	if (!memcmp(r->lo, r->hi, r->len)) {
		snprintf(text, sizeof(text), " AND %s = ?", col);
		add(b, text);
		arg_blob(b, r->lo, r->len);
		return;
	}
	snprintf(text, sizeof(text), " AND %s BETWEEN ? AND ? AND length(%s) = %d", col, col,
		 r->len);
	add(b, text);
	arg_blob(b, r->lo, r->len);
	arg_blob(b, r->hi, r->len);
}

/* The ranges of 1024 flow ids that flow_keys lists for a key condition:
 * appends "SELECT rng FROM flow_keys WHERE ..." (kind 1 source, 2 destination). */
static void keys_addr(struct qbuf *b, int kind, const struct store_range *r)
{
	char text[160];

	if (!memcmp(r->lo, r->hi, r->len)) {
		snprintf(text, sizeof(text), "SELECT rng FROM flow_keys WHERE kind = %d AND val = ?",
			 kind);
		add(b, text);
		arg_blob(b, r->lo, r->len);
		return;
	}
	snprintf(text, sizeof(text), "SELECT DISTINCT rng FROM flow_keys WHERE kind = %d AND val BETWEEN ?"
		 " AND ? AND length(val) = %d", kind, r->len);
	add(b, text);
	arg_blob(b, r->lo, r->len);
	arg_blob(b, r->hi, r->len);
}

/* Does q name a key that flow_keys lists (an address, a destination port)? */
static int has_keys(const struct store_query *q)
{
	return q->src.len || q->dst.len || (q->pf & STORE_PF_DPORT);
}

/* Appends the ranges where flow_keys lists, for some duration class d (a
 * duration of d digits, under 10^d µs), an ended flow that started in
 * [lo - 10^d, hi]: those that may hold a flow alive in [lo, hi] that ended.
 * An open bound (INT64_MIN, INT64_MAX) makes the ranges open. One range
 * search per class, from a VALUES list of their bounds (20 UNIONed SELECTs
 * cost more to compile than to run). in_order: the ranges come in order, so
 * that the flows read through them are too (else in any order). */
static void span_ranges(struct qbuf *b, int64_t lo, int64_t hi, int in_order)
{
	int64_t p = 1, from;
	int d;

	add(b, in_order ? "SELECT flow_keys.rng" : "SELECT DISTINCT flow_keys.rng");
	add(b, " FROM (VALUES ");
	for (d = 1; d <= 20; d++) {
		/* 10^d; from 10^19 on, no lower bound (int64 ends there) */
		p = d <= 18 ? p * 10 : INT64_MAX;
		from = p == INT64_MAX || lo < p ? 0 : lo - p;
		add_int(b, d > 1 ? ",(?" : "(?", ((int64_t)d << 44) + (from >> 20));
		add_int(b, ",?)", ((int64_t)d << 44) + ((hi < 0 ? 0 : hi) >> 20));
	}
	add(b, ") b CROSS JOIN flow_keys ON flow_keys.kind = 4"
	    " AND flow_keys.val BETWEEN b.column1 AND b.column2");
	if (in_order)
		add(b, " GROUP BY flow_keys.rng");
}

/* The time window q asks for flows (alive at --at, or within --since and
 * --until); returns 0 when it asks none. */
static int flow_window(const struct store_query *q, int64_t *lo, int64_t *hi)
{
	if (q->pf & STORE_PF_AT) {
		*lo = *hi = q->at_us;
		return 1;
	}
	if (!(q->pf & (STORE_PF_SINCE | STORE_PF_UNTIL)))
		return 0;
	*lo = q->pf & STORE_PF_SINCE ? q->since_us : INT64_MIN;
	*hi = q->pf & STORE_PF_UNTIL ? q->until_us : INT64_MAX;
	return 1;
}

/* The ranges holding a flow with every key q names (their intersection). */
static void key_intersection(struct qbuf *b, const struct store_query *q)
{
	const char *sep = "";

	if (q->src.len) {
		keys_addr(b, 1, &q->src);
		sep = " INTERSECT ";
	}
	if (q->dst.len) {
		add(b, sep);
		keys_addr(b, 2, &q->dst);
		sep = " INTERSECT ";
	}
	if (q->pf & STORE_PF_DPORT) {
		add(b, sep);
		add_int(b, "SELECT rng FROM flow_keys WHERE kind = 3 AND val = ?", q->dport);
	}
}

/* The ranges holding a flow with every key q names, and, with a time
 * window, that may hold a flow alive in it: ended (by duration class) or
 * still open. The keys' ranges are listed once (kr); each of the window's
 * ranges, many in a long window, is looked up among them, and only those
 * found are kept in a temporary table (an INTERSECT of the two lists kept
 * both whole). */
static void key_ranges(struct qbuf *b, const struct store_query *q)
{
	int64_t lo, hi;

	if (!flow_window(q, &lo, &hi)) {
		key_intersection(b, q);
		return;
	}
	add(b, "WITH kr(rng) AS MATERIALIZED (");
	key_intersection(b, q);
	add(b, ") ");
	span_ranges(b, lo, hi, 0);
	add(b, " WHERE flow_keys.rng IN kr");
	add_int(b, " UNION SELECT rng FROM open_ranges WHERE first_us <= ? AND rng IN kr", hi);
}

/* Flows alive in [lo, hi], as a list of ids: the open ones started by hi
 * (listed in open_ranges), and those alive then in the ranges of span_ranges().
 * So the rows read stay near the answer even in the middle of a long
 * history. */
static void alive_by_keys(struct qbuf *b, int64_t lo, int64_t hi)
{
	add_int(b, " AND f.id IN (SELECT f3.id FROM " STORE_OPEN_FLOW_IDS " o CROSS JOIN flows f3"
		" ON f3.id = o.id WHERE o.range_first_us <= ?", hi);
	/* (open_ranges also lists a flow whose end waits in flow_pending) */
	add_int(b, " AND f3.first_us <= ?", hi);
	add_int(b, " AND (f3.end_dur IS NULL OR f3.end_us >= ?)", lo);
	add(b, " UNION ALL SELECT f2.id FROM (");
	span_ranges(b, lo, hi, 1);
	add(b, ") k CROSS JOIN flows f2 ON f2.id BETWEEN (k.rng << 10) + 1 AND (k.rng << 10) + 1024");
	add_int(b, " WHERE f2.end_us >= ?", lo);
	add_int(b, " AND f2.first_us <= ?)", hi);
}

/* Flows alive at some instant of [lo, hi] (either bound may be open).
 * probe: as a list of flow ids found through flow_keys, for when nothing
 * else narrows the flows; else as plain conditions. */
static void cond_alive(struct qbuf *b, int64_t lo, int64_t hi, int probe)
{
	if (probe) {
		alive_by_keys(b, lo, hi);
		return;
	}
	add_int(b, " AND f.first_us <= ?", hi);
	add_int(b, " AND (f.end_us IS NULL OR f.end_us >= ?)", lo);
}

/* Does a condition besides --where pick the flows to read (a flow id, the
 * ranges of a key, those of a time window)? */
static int flows_picked(const struct store_query *q)
{
	return has_keys(q) ||
	       (q->pf & (STORE_PF_FLOW | STORE_PF_AT | STORE_PF_SINCE | STORE_PF_UNTIL));
}

/* Appends the --where expression as a condition on the flow f, framed as
 * store_check_where() framed it (so it parses as it did there). When other
 * conditions pick the flows, it is asked of each of them, over f's own row
 * of flows_v (found by its id): the list of every flow where it is true,
 * built first, then drove the search of f instead (each key range passed
 * over all of it). Else that list is what picks the flows. */
static void add_where(struct qbuf *b, const struct store_query *q)
{
	if (flows_picked(q)) {
		add(b, " AND EXISTS (SELECT id FROM ");
		add(b, store_where_view);
		add(b, " WHERE vf.id = f.id");
	} else {
		add(b, " AND f.id IN (SELECT id FROM ");
		add(b, store_where_view);
	}
	add(b, WHERE_OPEN);
	add(b, q->where);
	add(b, WHERE_CLOSE ")");
}

/* probe: no single flow is asked for. The events' own conditions (types,
 * times of events, session, after) are lib/store_events.c's. */
static void build_where(struct qbuf *b, const struct store_query *q, int probe)
{
	unsigned pf = q->pf;

	add(b, " WHERE 1");
	if (pf & STORE_PF_FLOW)
		cond_int(b, "f.id = ?", q->flow, 1);
	if (pf & STORE_PF_SESSION)
		cond_int(b, "f.session = ?", q->session, 1);
	if (pf & STORE_PF_IDS) {
		cond_int(b, "f.id > ?", q->ids_after, 1);
		cond_int(b, "f.id <= ?", q->ids_upto, 1);
	}
	/* SQLite checks a row's conditions in this order, and stops at the
	 * first false: a port first, which most rows fail, then the protocol,
	 * which most pass (-p udp --dport 10077 over the bench's 1.1M-flow
	 * history: 28,585 virtual machine steps instead of 36,959) */
	if (pf & STORE_PF_SPORT)
		cond_int(b, "f.o_sport = ?", q->sport, 1);
	if (pf & STORE_PF_DPORT)
		cond_int(b, "f.o_dport = ?", q->dport, 1);
	/* a NULL reply tuple is the original's mirror */
	if (pf & STORE_PF_RSPORT)
		cond_int(b, "(CASE WHEN m.r_l3 IS NULL THEN f.o_dport ELSE m.r_sport END) = ?",
			 q->rsport, 1);
	if (pf & STORE_PF_RDPORT)
		cond_int(b, "(CASE WHEN m.r_l3 IS NULL THEN f.o_sport ELSE m.r_dport END) = ?",
			 q->rdport, 1);
	cond_range(b, "f.o_src", &q->src);
	cond_range(b, "f.o_dst", &q->dst);
	cond_range(b, "coalesce(m.r_src, f.o_dst)", &q->rsrc);
	cond_range(b, "coalesce(m.r_dst, f.o_src)", &q->rdst);
	if (pf & STORE_PF_PROTO)
		cond_int(b, "f.proto = ?", q->proto, 1);
	if (pf & STORE_PF_FAMILY)
		cond_int(b, "f.family = ?", q->family, 1);
	if (pf & STORE_PF_AT)
		cond_alive(b, q->at_us, q->at_us, probe);
	if (pf & (STORE_PF_SINCE | STORE_PF_UNTIL)) {
		cond_alive(b, pf & STORE_PF_SINCE ? q->since_us : INT64_MIN,
			   pf & STORE_PF_UNTIL ? q->until_us : INT64_MAX, probe);
	}
	if (q->where)
		add_where(b, q);
}

sqlite3_stmt *store_query_prepare(struct store *st, const struct store_query *q,
				  const char *head, const char *order)
{
	struct qbuf *b = calloc(1, sizeof(*b));
	sqlite3_stmt *s = NULL;
	const char *tail = NULL;
	int i, by_keys;

	if (!b) {
		log_error("out of memory");
		return NULL;
	}
	if (q->where && store_check_where(st, q->where))
		goto out;
	/* A flow id is one row; an address or a port picks the ranges of flow
	 * ids that flow_keys lists for it (the conditions then check each row);
	 * a time condition alone lists ids through flow_keys and open_ranges. */
	by_keys = !(q->pf & STORE_PF_FLOW) && has_keys(q);
	add(b, head);
	if (by_keys) {
		add(b, " FROM (");
		key_ranges(b, q);
		add(b, ") k CROSS JOIN flows f ON f.id BETWEEN (k.rng << 10) + 1"
		    " AND (k.rng << 10) + 1024 LEFT JOIN flows_more m ON m.id = f.id");
	} else {
		add(b, " FROM " STORE_FLOWS_FROM);
	}
	build_where(b, q, !by_keys && !(q->pf & STORE_PF_FLOW));
	add(b, " ");
	add(b, order);
	if (b->overflow) {
		log_error(b->nomem ? "out of memory" : "the query is too long");
		goto out;
	}
	sqlite3_set_authorizer(st->db, q->where ? store_where_authorize : NULL, NULL);
	if (sqlite3_prepare_v2(st->db, b->sql, -1, &s, &tail) != SQLITE_OK) {
		store_fail(st, "cannot prepare the query");
		s = NULL;
		goto out;
	}
	for (i = 0; i < b->n; i++) {
		if (b->arg[i].blob)
			sqlite3_bind_blob(s, i + 1, b->arg[i].p, b->arg[i].plen, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(s, i + 1, b->arg[i].v);
	}
out:
	free(b->sql);
	free(b);
	return s;
}

int store_query_plan(struct store *st, const struct store_query *q, char *buf, size_t size)
{
	sqlite3_stmt *s = store_query_prepare(st, q, "SELECT f.id", "");
	sqlite3_stmt *p = NULL;
	size_t len = 0;
	char *sql;
	int rc, i;

	if (!s)
		return -1;
	sql = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sqlite3_sql(s));
	sqlite3_set_authorizer(st->db, NULL, NULL);
	rc = sql ? sqlite3_prepare_v2(st->db, sql, -1, &p, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "cannot explain the query");
	}
	for (i = 1; i <= sqlite3_bind_parameter_count(s); i++)
		sqlite3_bind_int(p, i, 0);
	buf[0] = 0;
	while (sqlite3_step(p) == SQLITE_ROW && len < size)
		len += snprintf(buf + len, size - len, "%s\n",
				(const char *)sqlite3_column_text(p, 3));
	sqlite3_finalize(p);
	sqlite3_finalize(s);
	return 0;
}
