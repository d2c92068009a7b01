/* Writing flows, events, gaps and undecodable messages into the database. */
#include <sys/socket.h>
#include <sqlite3.h>

#include "store_internal.h"

static size_t addr_len(const struct ct_tuple *t)
{
	return t->l3 == AF_INET6 ? 16 : 4;
}

/* Binds one tuple into 9 consecutive parameters starting at i. */
static void bind_tuple(sqlite3_stmt *s, int i, const struct ct_tuple *t)
{
	sqlite3_bind_int(s, i, t->l3);
	sqlite3_bind_blob(s, i + 1, t->src, addr_len(t), SQLITE_STATIC);
	sqlite3_bind_blob(s, i + 2, t->dst, addr_len(t), SQLITE_STATIC);
	if (t->has_ports) {
		sqlite3_bind_int(s, i + 3, t->sport);
		sqlite3_bind_int(s, i + 4, t->dport);
	}
	if (t->has_icmp) {
		sqlite3_bind_int(s, i + 5, t->itype);
		sqlite3_bind_int(s, i + 6, t->icode);
		sqlite3_bind_int(s, i + 7, t->iid);
	}
	if (t->has_zone)
		sqlite3_bind_int(s, i + 8, t->zone);
}

/* Steps a bound write statement and resets it. */
static int run(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, what);
}

int64_t store_flow_insert(struct store *st, int64_t session, const struct ct_event *ev,
			  int origin)
{
	sqlite3_stmt *s = store_stmt(st, STMT_FLOW_INSERT);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, session);
	if (ev->has & CT_HAS_ID)
		sqlite3_bind_int64(s, 2, ev->id);
	sqlite3_bind_int(s, 3, ev->family);
	sqlite3_bind_int(s, 4, ev->orig.proto);
	if (ev->has & CT_HAS_ZONE)
		sqlite3_bind_int(s, 5, ev->zone);
	bind_tuple(s, 6, &ev->orig);
	bind_tuple(s, 15, &ev->reply);
	sqlite3_bind_int(s, 24, origin);
	sqlite3_bind_int64(s, 25, ev->t_us);
	if (run(st, s, "cannot store a flow"))
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int store_flow_end(struct store *st, int64_t flow, int64_t t_us, int end_kind,
		   const struct ct_event *ev)
{
	sqlite3_stmt *s = store_stmt(st, STMT_FLOW_END);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, flow);
	sqlite3_bind_int64(s, 2, t_us);
	sqlite3_bind_int(s, 3, end_kind);
	if (ev && (ev->has & CT_HAS_STATE))
		sqlite3_bind_int(s, 4, ev->state);
	if (ev && (ev->has & CT_HAS_COUNTERS_ORIG)) {
		sqlite3_bind_int64(s, 5, ev->pkts_orig);
		sqlite3_bind_int64(s, 6, ev->bytes_orig);
	}
	if (ev && (ev->has & CT_HAS_COUNTERS_REPLY)) {
		sqlite3_bind_int64(s, 7, ev->pkts_reply);
		sqlite3_bind_int64(s, 8, ev->bytes_reply);
	}
	return run(st, s, "cannot end a flow");
}

int store_event_insert(struct store *st, int64_t flow, const struct ct_event *ev)
{
	sqlite3_stmt *s = store_stmt(st, STMT_EVENT_INSERT);
	uint32_t has = ev->has;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, flow);
	sqlite3_bind_int64(s, 2, ev->t_us);
	sqlite3_bind_int(s, 3, ev->type);
	if (has & CT_HAS_STATUS)
		sqlite3_bind_int64(s, 4, ev->status);
	if (has & CT_HAS_TIMEOUT)
		sqlite3_bind_int64(s, 5, ev->timeout);
	if (has & CT_HAS_STATE)
		sqlite3_bind_int(s, 6, ev->state);
	if (has & CT_HAS_TCPINFO)
		sqlite3_bind_int64(s, 7, (int64_t)ev->tcpinfo);
	if (has & CT_HAS_MARK)
		sqlite3_bind_int64(s, 8, ev->mark);
	if (has & CT_HAS_COUNTERS_ORIG) {
		sqlite3_bind_int64(s, 9, (int64_t)ev->pkts_orig);
		sqlite3_bind_int64(s, 10, (int64_t)ev->bytes_orig);
	}
	if (has & CT_HAS_COUNTERS_REPLY) {
		sqlite3_bind_int64(s, 11, (int64_t)ev->pkts_reply);
		sqlite3_bind_int64(s, 12, (int64_t)ev->bytes_reply);
	}
	if (has & CT_HAS_TS_START)
		sqlite3_bind_int64(s, 13, (int64_t)ev->ts_start);
	if (has & CT_HAS_TS_STOP)
		sqlite3_bind_int64(s, 14, (int64_t)ev->ts_stop);
	if (has & CT_HAS_KTIME)
		sqlite3_bind_int64(s, 15, (int64_t)ev->ktime);
	if (ev->portid) {
		sqlite3_bind_int64(s, 16, ev->portid);
		if (ev->progname[0])
			sqlite3_bind_text(s, 17, ev->progname, -1, SQLITE_STATIC);
	}
	if (ev->extra_len)
		sqlite3_bind_blob(s, 18, ev->extra, ev->extra_len, SQLITE_STATIC);
	if (st->session)
		sqlite3_bind_int64(s, 19, st->session);
	return run(st, s, "cannot store an event");
}

int store_gap_insert(struct store *st, int64_t session, int64_t t_us, const char *kind,
		     int64_t lost)
{
	sqlite3_stmt *s = store_stmt(st, STMT_GAP_INSERT);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, session);
	sqlite3_bind_int64(s, 2, t_us);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	if (lost >= 0)
		sqlite3_bind_int64(s, 4, lost);
	return run(st, s, "cannot store a gap");
}

int store_unparsed_insert(struct store *st, int64_t session, int64_t t_us,
			  const void *msg, size_t len)
{
	sqlite3_stmt *s = store_stmt(st, STMT_UNPARSED_INSERT);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, session);
	sqlite3_bind_int64(s, 2, t_us);
	sqlite3_bind_blob(s, 3, msg, len, SQLITE_STATIC);
	return run(st, s, "cannot store an undecodable message");
}

int64_t store_import_find(struct store *st, const char *digest)
{
	const char *sql = "SELECT session FROM imports WHERE digest = ? ORDER BY id LIMIT 1";
	sqlite3_stmt *s;
	int64_t id = -1;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot look up earlier imports");
	sqlite3_bind_text(s, 1, digest, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		id = 0;
	else
		store_fail(st, "cannot look up earlier imports");
	sqlite3_finalize(s);
	return id;
}

int store_import_insert(struct store *st, int64_t session, const char *digest,
			int64_t bytes, const char *format, int64_t events, int64_t untimed)
{
	const char *sql = "INSERT INTO imports (session, digest, bytes, format, events, untimed)"
			  " VALUES (?,?,?,?,?,?)";
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot record the import");
	sqlite3_bind_int64(s, 1, session);
	sqlite3_bind_text(s, 2, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, bytes);
	sqlite3_bind_text(s, 4, format, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, events);
	sqlite3_bind_int64(s, 6, untimed);
	rc = run(st, s, "cannot record the import");
	sqlite3_finalize(s);
	return rc;
}
