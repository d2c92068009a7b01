/* Schema migrations: the steps from each older version, in SQL (schema/migrate-N.sql) and in C (version 5 events packed into blocks, the events of each type counted in blocks from before version 7). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "log.h"
#include "store_internal.h"

extern const char ct_sql_migrate_2[], ct_sql_migrate_3[], ct_sql_migrate_4[], ct_sql_migrate_5[],
	ct_sql_migrate_6[], ct_sql_migrate_7[], ct_sql_migrate_8[], ct_sql_migrate_9[],
	ct_sql_migrate_10[];

/* Version 5 to 7: packs table events into event_blocks, then drops it (a
 * version 6 file has none: nothing to do). Returns 0 or -1 (reported). */
static int events_to_blocks(struct store *st)
{
	static const char sql[] =
		"SELECT e.flow, e.t_us, e.type, e.status, e.timeout, e.state, e.tcpinfo, e.mark,"
		" e.o_packets, e.o_bytes, e.r_packets, e.r_bytes, e.t_start, e.t_stop, e.ktime,"
		" e.portid, e.progname, e.extra, coalesce(e.session, f.session, 0)"
		" FROM events e LEFT JOIN flows f ON f.id = e.flow ORDER BY e.id";
	static struct ct_event ev;
	int64_t saved = st->session, n_tables;
	sqlite3_stmt *s;
	uint64_t v;
	int rc, n, failed = 0;

	if (store_one_int(st, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
			  " AND name = 'events'", "cannot migrate the events", &n_tables))
		return -1;
	if (!n_tables)	/* version 6 already: events are in blocks */
		return 0;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot migrate the events");
	st->in_txn = 1;
	while (!failed && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&ev, 0, offsetof(struct ct_event, extra));
		ev.extra_len = 0;
		ev.t_us = sqlite3_column_int64(s, 1);
		ev.type = sqlite3_column_int(s, 2);
		v = 0;
		store_read_opt(s, 3, &v, &ev.has, CT_HAS_STATUS);
		ev.status = (uint32_t)v;
		store_read_opt(s, 4, &v, &ev.has, CT_HAS_TIMEOUT);
		ev.timeout = (uint32_t)v;
		store_read_opt(s, 5, &v, &ev.has, CT_HAS_STATE);
		ev.state = (uint8_t)v;
		store_read_opt(s, 6, &ev.tcpinfo, &ev.has, CT_HAS_TCPINFO);
		store_read_opt(s, 7, &v, &ev.has, CT_HAS_MARK);
		ev.mark = (uint32_t)v;
		store_read_opt(s, 8, &ev.pkts_orig, &ev.has, CT_HAS_COUNTERS_ORIG);
		store_read_opt(s, 9, &ev.bytes_orig, &ev.has, 0);
		store_read_opt(s, 10, &ev.pkts_reply, &ev.has, CT_HAS_COUNTERS_REPLY);
		store_read_opt(s, 11, &ev.bytes_reply, &ev.has, 0);
		store_read_opt(s, 12, &ev.ts_start, &ev.has, CT_HAS_TS_START);
		store_read_opt(s, 13, &ev.ts_stop, &ev.has, CT_HAS_TS_STOP);
		store_read_opt(s, 14, &ev.ktime, &ev.has, CT_HAS_KTIME);
		ev.portid = (uint32_t)sqlite3_column_int64(s, 15);
		if (sqlite3_column_type(s, 16) != SQLITE_NULL)
			snprintf(ev.progname, sizeof(ev.progname), "%s",
				 (const char *)sqlite3_column_text(s, 16));
		n = sqlite3_column_bytes(s, 17);
		if (n > 0 && n <= (int)sizeof(ev.extra)) {
			memcpy(ev.extra, sqlite3_column_blob(s, 17), n);
			ev.extra_len = n;
		}
		st->session = sqlite3_column_int64(s, 18);
		failed = store_block_add(st, sqlite3_column_int64(s, 0), &ev) != 0;
	}
	if (!failed && rc != SQLITE_DONE)
		failed = store_fail(st, "cannot migrate the events") != 0;
	sqlite3_finalize(s);
	if (!failed)
		failed = store_flush_block(st) != 0;
	store_close_block(st);
	st->in_txn = 0;
	st->session = saved;
	if (failed || store_exec(st, "DROP TABLE events", "cannot migrate the events"))
		return -1;
	return 0;
}

/* Version 6 to 7: counts the events of each type in the blocks written
 * before (event_blocks.types NULL). Returns 0 or -1 (reported). */
static int block_types(struct store *st)
{
	sqlite3_stmt *s = NULL, *u = NULL;
	uint8_t *buf = NULL;
	size_t cap = 0, len;
	int rc, failed = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT b.id, d.data FROM event_blocks b"
			       " JOIN event_data d ON d.id = b.id WHERE b.types IS NULL", -1, &s,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "UPDATE event_blocks SET types = ? WHERE id = ?", -1, &u,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "cannot count the events of each block");
	}
	while (!failed && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t types;
		int k = evblock_unpack(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1),
				       NULL, NULL, &buf, &cap, &len);

		if (k == -2) {	/* (memory short: said) */
			failed = -1;
			break;
		}
		if (k || evblock_count_types(buf, len, &types)) {
			failed = log_error("event block %lld is damaged",
					   (long long)sqlite3_column_int64(s, 0));
			break;
		}
		sqlite3_bind_int64(u, 1, (int64_t)types);
		sqlite3_bind_int64(u, 2, sqlite3_column_int64(s, 0));
		if (sqlite3_step(u) != SQLITE_DONE)
			failed = store_fail(st, "cannot count the events of each block");
		sqlite3_reset(u);
	}
	if (!failed && rc != SQLITE_DONE)
		failed = store_fail(st, "cannot count the events of each block");
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	free(buf);
	return failed ? -1 : 0;
}

/* Version 7's C half: events of a version 5 file packed into blocks, and
 * the events of each type counted in blocks from version 6. */
static int migrate_to_7(struct store *st)
{
	return events_to_blocks(st) || block_types(st) ? -1 : 0;
}

/* The steps from each older version (schema/migrate-N.sql), and what must
 * be done in C after the SQL (above). */
static const struct {
	int to;
	const char *sql;
	int (*then)(struct store *st);
} migrations[] = {
	{ 2, ct_sql_migrate_2, NULL },
	{ 3, ct_sql_migrate_3, NULL },
	{ 4, ct_sql_migrate_4, NULL },
	{ 5, ct_sql_migrate_5, NULL },
	{ 6, ct_sql_migrate_6, NULL },
	/* events become blocks once the blocks have their version 7 columns */
	{ 7, ct_sql_migrate_7, migrate_to_7 },
	{ 8, ct_sql_migrate_8, NULL },
	{ 9, ct_sql_migrate_9, NULL },
	{ 10, ct_sql_migrate_10, NULL },
};

int store_migrate(struct store *st, int version)
{
	size_t i;

	if (store_exec(st, "BEGIN IMMEDIATE", "cannot migrate the schema"))
		return -1;
	for (i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
		if (migrations[i].to <= version)
			continue;
		if (store_exec(st, migrations[i].sql, "cannot migrate the schema") ||
		    (migrations[i].then && migrations[i].then(st)) ||
		    store_set_version(st, migrations[i].to)) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	if (store_exec(st, "COMMIT", "cannot migrate the schema"))
		return -1;
	log_info("'%s': schema upgraded from version %d to %d", st->path, version,
		 STORE_SCHEMA_VERSION);
	return 0;
}
