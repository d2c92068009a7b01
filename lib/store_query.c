/* Builds the store's filtered SELECTs: flow pre-filters as bound parameters, time windows, and --where over a read-only view. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "ct_names.h"
#include "log.h"
#include "store_query.h"
#include "store_sql.h"

/* A counter column as the kernel's unsigned 64-bit value: one of 2^63 or
 * more is stored as the signed integer of the same bits (SQLite has no
 * larger integer), which a condition such as bytes_orig > 1000 found
 * negative. It becomes a REAL then, exact to 2^-52 of the value. */
#define U64(col) "(CASE WHEN " col " < 0 THEN " col " + 18446744073709551616.0 ELSE " col " END)"

/* The documented view that --where expressions see, one row per flow, open
 * for a WHERE of its own (see add_where). Its tables are vf and vm, so that
 * such a condition can name the flow f of the enclosing query. */
static const char view_head[] =
	"(SELECT"
	" vf.id AS id, session, ct_id,"
	" CASE family WHEN 2 THEN 'ipv4' WHEN 10 THEN 'ipv6' END AS family,"
	" proto, ct_proto_name(proto) AS proto_name,"
	" ct_addr(o_src) AS src, ct_addr(o_dst) AS dst, o_sport AS sport, o_dport AS dport,"
	" ct_addr(coalesce(r_src, o_dst)) AS reply_src, ct_addr(coalesce(r_dst, o_src)) AS reply_dst,"
	" CASE WHEN r_l3 IS NULL THEN o_dport ELSE r_sport END AS reply_sport,"
	" CASE WHEN r_l3 IS NULL THEN o_sport ELSE r_dport END AS reply_dport,"
	" o_itype AS icmp_type, o_icode AS icmp_code, o_iid AS icmp_id,"
	" zone, o_zone AS orig_zone, CASE WHEN r_l3 IS NULL THEN o_zone ELSE r_zone END AS reply_zone,"
	" first_us, end_us, first_us / 1000000.0 AS start, end_us / 1000000.0 AS end,"
	" end_dur / 1000000.0 AS duration,"
	" CASE end_kind WHEN 1 THEN 'destroyed' WHEN 2 THEN 'unknown' ELSE 'open' END AS ended,"
	" CASE origin WHEN 0 THEN 'new' WHEN 1 THEN 'dump' ELSE 'gap' END AS origin,"
	" state, ct_state_name(proto, state) AS state_name,"
	" " U64("o_packets") " AS packets_orig, " U64("o_bytes") " AS bytes_orig,"
	" " U64("r_packets") " AS packets_reply, " U64("r_bytes") " AS bytes_reply,"
	/* (a sum past 2^63 - 1 is a REAL: SQLite's + does that) */
	" " U64("coalesce(o_packets, 0)") " + " U64("coalesce(r_packets, 0)") " AS packets,"
	" " U64("coalesce(o_bytes, 0)") " + " U64("coalesce(r_bytes, 0)") " AS bytes,"
	" (r_l3 IS NOT NULL AND (o_src != r_dst OR coalesce(o_sport, -1) != coalesce(r_dport, -1)))"
	" AS snat,"
	" (r_l3 IS NOT NULL AND (o_dst != r_src OR coalesce(o_dport, -1) != coalesce(r_sport, -1)))"
	" AS dnat,"
	" last_us, last_us / 1000000.0 AS last, nevents AS events"
	" FROM flows vf LEFT JOIN main.flows_more vm ON vm.id = vf.id";

/* What follows the view, around a --where expression, in store_check_where
 * as in the query: a newline before the closing parenthesis ends a --
 * comment, so the expression stays whole and one. */
#define WHERE_OPEN ") AS flows_v WHERE ("
#define WHERE_CLOSE "\n)"

static void fn_addr(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	char buf[INET6_ADDRSTRLEN];
	int n = sqlite3_value_bytes(argv[0]);
	const void *p = sqlite3_value_blob(argv[0]);

	(void)argc;
	if ((n != 4 && n != 16) || !p ||
	    !inet_ntop(n == 4 ? AF_INET : AF_INET6, p, buf, sizeof(buf))) {
		sqlite3_result_null(cx);
		return;
	}
	sqlite3_result_text(cx, buf, -1, SQLITE_TRANSIENT);
}

/* ct_proto_name(proto): the name conntrack prints, or the number as text. */
static void fn_proto(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const char *name = ct_proto_name(sqlite3_value_int(argv[0]));

	(void)argc;
	if (name)
		sqlite3_result_text(cx, name, -1, SQLITE_STATIC);
	else
		sqlite3_result_text(cx, (const char *)sqlite3_value_text(argv[0]), -1,
				    SQLITE_TRANSIENT);
}

/* ct_state_name(proto, state): TCP, SCTP or DCCP state names, else NULL. */
static void fn_state(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const char *name = sqlite3_value_type(argv[1]) == SQLITE_NULL ? NULL :
		ct_state_name(sqlite3_value_int(argv[0]), sqlite3_value_int(argv[1]));

	(void)argc;
	if (name)
		sqlite3_result_text(cx, name, -1, SQLITE_STATIC);
	else
		sqlite3_result_null(cx);
}

/* Refuses anything a --where expression could do beyond reading. */
static int authorize(void *arg, int action, const char *a, const char *b, const char *db,
		     const char *trigger)
{
	(void)arg; (void)a; (void)db; (void)trigger;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_FUNCTION:	/* (its name is the second argument) */
		return b && (!strcmp(b, "load_extension") || !strcmp(b, "readfile") ||
			     !strcmp(b, "writefile")) ? SQLITE_DENY : SQLITE_OK;
	default:
		return SQLITE_DENY;
	}
}

/* Registers the view's helper functions (the view itself is inlined as a
 * subquery: a read-only connection cannot create even a TEMP view). Also
 * declares json_each's table (STORE_OPEN_FLOW_IDS uses it): that is done on
 * its first use in a connection, an update of the schema the authorizer of
 * the --where queries would refuse. */
static int setup_view(struct store *st)
{
	sqlite3 *db = st->db;
	sqlite3_stmt *s = NULL;

	if (sqlite3_create_function(db, "ct_addr", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				    fn_addr, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "ct_proto_name", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				    NULL, fn_proto, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "ct_state_name", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				    NULL, fn_state, NULL, NULL) != SQLITE_OK)
		return store_fail(st, "cannot register the --where functions");
	sqlite3_set_authorizer(db, NULL, NULL);
	if (sqlite3_prepare_v2(db, "SELECT id FROM " STORE_OPEN_FLOW_IDS, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read the open flows");
	sqlite3_finalize(s);
	return 0;
}

/* The statement text being built, and its parameters in order. */
#define STORE_QUERY_MAX_ARGS 128
struct qbuf {
	char *sql;	/* grown as needed: a --where expression has no bound */
	size_t len, size;
	int n;
	struct { int blob; int64_t v; const void *p; int plen; } arg[STORE_QUERY_MAX_ARGS];
	int overflow;
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

/* Prepares sql into *s. Returns SQLite's code, or SQLITE_MISMATCH (with *s
 * finalized) when more than one statement follows. */
static int prepare_whole(struct store *st, const char *sql, sqlite3_stmt **s)
{
	const char *tail = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, s, &tail);

	if (rc == SQLITE_OK && tail && tail[strspn(tail, " \t\r\n;")]) {
		sqlite3_finalize(*s);
		*s = NULL;
		return SQLITE_MISMATCH;
	}
	return rc;
}

int store_check_where(struct store *st, const char *expr)
{
	char *sql;
	sqlite3_stmt *s = NULL;
	int rc;

	if (!expr[strspn(expr, " \t\r\n")])
		return log_error("--where '%s': an empty expression", expr);
	if (setup_view(st))
		return -1;
	if (!(sql = sqlite3_mprintf("SELECT id FROM %s" WHERE_OPEN "%s" WHERE_CLOSE, view_head,
				    expr)))
		return log_error("out of memory");
	sqlite3_set_authorizer(st->db, authorize, NULL);
	rc = prepare_whole(st, sql, &s);
	sqlite3_free(sql);
	if (rc == SQLITE_OK) {
		/* "1) LIMIT (3" is one statement above but no expression: it
		 * closes the parenthesis and goes on with clauses of the query.
		 * Inside CASE ... END no clause can follow. */
		sqlite3_finalize(s);
		s = NULL;
		if (!(sql = sqlite3_mprintf("SELECT CASE WHEN (%s" WHERE_CLOSE " THEN 1 END FROM %s"
					    WHERE_OPEN "1)", expr, view_head)))
			return log_error("out of memory");
		rc = prepare_whole(st, sql, &s);
		sqlite3_free(sql);
		if (rc == SQLITE_ERROR)
			rc = SQLITE_MISMATCH;
	}
	if (rc == SQLITE_MISMATCH)
		log_error("--where '%s': only one expression is allowed", expr);
	else if (rc != SQLITE_OK)
		log_error("--where '%s': %s", expr, sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? 0 : -1;
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
		add(b, view_head);
		add(b, " WHERE vf.id = f.id");
	} else {
		add(b, " AND f.id IN (SELECT id FROM ");
		add(b, view_head);
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
		log_error("the query is too long");
		goto out;
	}
	sqlite3_set_authorizer(st->db, q->where ? authorize : NULL, NULL);
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
