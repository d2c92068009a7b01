/* The documented view that --where expressions see (flows_v), its SQL helper functions, and the checks that keep such an expression one expression that only reads. */
#include <arpa/inet.h>
#include <string.h>
#include <sqlite3.h>

#include "ct_names.h"
#include "log.h"
#include "store_internal.h"
#include "store_sql.h"
#include "store_where.h"

/* A counter column as the kernel's unsigned 64-bit value: one of 2^63 or
 * more is stored as the signed integer of the same bits (SQLite has no
 * larger integer), which a condition such as bytes_orig > 1000 found
 * negative. It becomes a REAL then, exact to 2^-52 of the value. */
#define U64(col) "(CASE WHEN " col " < 0 THEN " col " + 18446744073709551616.0 ELSE " col " END)"

/* The documented view that --where expressions see, one row per flow, open
 * for a WHERE of its own (see add_where in store_query.c). Its tables are vf
 * and vm, so that such a condition can name the flow f of the enclosing
 * query. */
const char store_where_view[] =
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
	" CASE WHEN end_dur >= 0 THEN end_dur / 1000000.0 END AS duration,"
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

int store_where_authorize(void *arg, int action, const char *a, const char *b, const char *db,
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
	if (!(sql = sqlite3_mprintf("SELECT id FROM %s" WHERE_OPEN "%s" WHERE_CLOSE, store_where_view,
				    expr)))
		return log_error("out of memory");
	sqlite3_set_authorizer(st->db, store_where_authorize, NULL);
	rc = prepare_whole(st, sql, &s);
	sqlite3_free(sql);
	if (rc == SQLITE_OK) {
		/* "1) LIMIT (3" is one statement above but no expression: it
		 * closes the parenthesis and goes on with clauses of the query.
		 * Inside CASE ... END no clause can follow. */
		sqlite3_finalize(s);
		s = NULL;
		if (!(sql = sqlite3_mprintf("SELECT CASE WHEN (%s" WHERE_CLOSE " THEN 1 END FROM %s"
					    WHERE_OPEN "1)", expr, store_where_view)))
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
