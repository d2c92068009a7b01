/* What a restarted recorder or a continued import needs from earlier sessions: their open flows and where they stopped. */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store_flows.h"
#include "store_sql.h"
#include "store_internal.h"

/* The columns each_open_flow() reads, and the flows they come from; a
 * WHERE clause on f (the flows) follows. */
#define OPEN_FLOWS_SELECT \
	"SELECT f.id, f.family, f.proto, f.ct_id, m.zone, " STORE_TUPLE_COLS ", f.first_us" \
	" FROM " STORE_OPEN_FLOW_IDS " o CROSS JOIN flows f ON f.id = o.id" \
	" LEFT JOIN flows_more m ON m.id = f.id" \
	" WHERE f.end_dur IS NULL"

/* Calls cb for each flow sql (an OPEN_FLOWS_SELECT, by flow id, its ?1 bound
 * to session when that is not 0) reads, but those whose end waits to be
 * folded. Returns 0 or -1 (reported). */
static int each_open_flow(struct store *st, const char *sql, int64_t session,
			  store_open_flow_cb cb, void *data)
{
	static struct ct_event ev;
	int64_t *ended, id;
	size_t nended, k = 0;
	sqlite3_stmt *s;
	int rc, failed = 0;

	/* flows whose end waits to be folded are not open */
	if ((st->in_txn && store_flush_flows(st)) || store_pending_load(st) ||
	    !(ended = store_pending_ends(st, &nended)))
		return -1;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		free(ended);
		return store_fail(st, "cannot read the open flows");
	}
	if (session)
		sqlite3_bind_int64(s, 1, session);
	while (!failed && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		while (k < nended && ended[k] < id)
			k++;
		if (k < nended && ended[k] == id)
			continue;
		memset(&ev, 0, offsetof(struct ct_event, extra));
		ev.extra_len = 0;
		ev.family = sqlite3_column_int(s, 1);
		ev.t_us = sqlite3_column_int64(s, 23);	/* first_us */
		if (store_read_tuple(s, 5, &ev.orig) || store_read_reply(s, 14, &ev.orig, &ev.reply))
			continue;	/* cannot be matched anyway */
		ev.orig.proto = ev.reply.proto = sqlite3_column_int(s, 2);
		if (sqlite3_column_type(s, 3) != SQLITE_NULL) {
			ev.id = (uint32_t)sqlite3_column_int64(s, 3);
			ev.has |= CT_HAS_ID;
		}
		if (sqlite3_column_type(s, 4) != SQLITE_NULL) {
			ev.zone = sqlite3_column_int(s, 4);
			ev.has |= CT_HAS_ZONE;
		}
		failed = cb(id, &ev, data) != 0;
	}
	if (!failed && rc != SQLITE_DONE)
		store_fail(st, "cannot read the open flows");
	sqlite3_finalize(s);
	free(ended);
	return failed || rc != SQLITE_DONE ? -1 : 0;
}

int store_each_open_flow(struct store *st, store_open_flow_cb cb, void *data)
{
	static const char sql[] = OPEN_FLOWS_SELECT
		/* a recorder's: an imported log's flows are not this table's */
		" AND f.session IN (SELECT id FROM sessions WHERE kind = 'record')"
		" ORDER BY f.id";

	return each_open_flow(st, sql, 0, cb, data);
}

int store_each_open_import_flow(struct store *st, int64_t session, store_open_flow_cb cb,
				void *data)
{
	static const char sql[] =
		"WITH RECURSIVE chain(id) AS (SELECT ?1 UNION"
		" SELECT i.continues FROM imports i JOIN chain c ON i.session = c.id"
		" WHERE i.continues IS NOT NULL) "
		OPEN_FLOWS_SELECT " AND f.session IN chain ORDER BY f.id";

	return each_open_flow(st, sql, session, cb, data);
}

int store_last_stop(struct store *st, int64_t current, int64_t *t_us, int *clean)
{
	static const char sql[] =
		"SELECT s.stopped_us, max(s.started_us,"
		"  coalesce((SELECT last_us FROM event_blocks ORDER BY id DESC LIMIT 1), 0))"
		" FROM sessions s WHERE s.kind = 'record' AND s.id < ?1"
		" ORDER BY s.id DESC LIMIT 1";
	sqlite3_stmt *s;
	int rc, found = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read the previous session");
	sqlite3_bind_int64(s, 1, current);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		found = 1;
		*clean = sqlite3_column_type(s, 0) != SQLITE_NULL;
		*t_us = sqlite3_column_int64(s, *clean ? 0 : 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, "cannot read the previous session");
	return found;
}
