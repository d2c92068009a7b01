/* Unit tests of the store: schema, versioning, and every event field back as it went in. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sqlite3.h>

#include "store.h"
#include "store_flows.h"
#include "store_query.h"
#include "store_sql.h"
#include "unit.h"

static char dir[] = "/tmp/ct-unit-XXXXXX";
static char path[64];

static void sample(struct ct_event *ev, int type, int64_t t_us)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->family = AF_INET6;
	ev->t_us = t_us;
	ev->orig.l3 = ev->reply.l3 = AF_INET6;
	ev->orig.proto = ev->reply.proto = 6;
	inet_pton(AF_INET6, "2001:db8::1", ev->orig.src);
	inet_pton(AF_INET6, "2001:db8::2", ev->orig.dst);
	memcpy(ev->reply.src, ev->orig.dst, 16);
	memcpy(ev->reply.dst, ev->orig.src, 16);
	ev->orig.has_ports = ev->reply.has_ports = 1;
	ev->orig.sport = ev->reply.dport = 40000;
	ev->orig.dport = ev->reply.sport = 22;
	ev->has = CT_HAS_STATUS | CT_HAS_ID;
	ev->status = 0x8;
	ev->id = 0xfffffff0u;
}

/* Every field a DESTROY can carry, including verbatim bytes and a progname. */
static void fill_destroy(struct ct_event *ev)
{
	ev->has |= CT_HAS_TIMEOUT | CT_HAS_MARK | CT_HAS_ZONE | CT_HAS_COUNTERS_ORIG |
		   CT_HAS_COUNTERS_REPLY | CT_HAS_TS_START | CT_HAS_TS_STOP | CT_HAS_KTIME |
		   CT_HAS_STATE | CT_HAS_TCPINFO;
	ev->timeout = 0xffffffffu;
	ev->mark = 0x80000001u;
	ev->zone = 65535;
	ev->pkts_orig = 1;
	ev->bytes_orig = 0x7fffffffffffffffULL;
	ev->pkts_reply = 0;
	ev->bytes_reply = 0;
	ev->ts_start = 1764180000123456789ULL;
	ev->ts_stop = 1764180001123456789ULL;
	ev->ktime = 1764180001200000000ULL;
	ev->state = 7;
	ev->tcpinfo = CT_TCPI_HAS_STATE | CT_TCPI_HAS_FLAGS_O | CT_TCPI_HAS_FLAGS_R |
		      0xffffULL << 16 | 0x1234ULL << 32;
	ev->portid = 3000000000u;
	strcpy(ev->progname, "conntrack");
	ev->extra_len = 8;
	memcpy(ev->extra, "\x08\x00\x0b\x00\x00\x00\x00\x02", 8);
}

static int same_event(const struct ct_event *a, const struct ct_event *b)
{
	return !memcmp(a, b, offsetof(struct ct_event, extra)) &&
	       a->extra_len == b->extra_len && !memcmp(a->extra, b->extra, a->extra_len);
}

/* The store at p open for writing, a recording session started (its id in
 * *session) and a transaction begun; NULL when it cannot be opened (a
 * failed check). */
static struct store *open_recording(const char *p, int64_t *session)
{
	struct store *st = store_open(p, STORE_WRITE);

	CHECK(st != NULL);
	if (!st)
		return NULL;
	*session = store_session_start(st, "record", NULL, 1);
	CHECK(*session > 0 && store_begin(st) == 0);
	return st;
}

static void test_roundtrip(void)
{
	static struct ct_event in[3], out;
	struct store_query q = { 0 };
	struct store_cursor *c;
	struct store *st;
	int64_t session, flow, f;
	int i = 0;

	st = store_open(path, STORE_WRITE);
	CHECK(st != NULL);
	if (!st)
		return;
	session = store_session_start(st, "record", NULL, 1);
	CHECK(session > 0);
	sample(&in[0], CT_EV_NEW, 1000);
	sample(&in[1], CT_EV_UPDATE, 2000);
	sample(&in[2], CT_EV_DESTROY, 3000);
	for (i = 0; i < 3; i++) {
		in[i].has |= CT_HAS_ZONE;
		in[i].zone = 65535;
	}
	fill_destroy(&in[2]);
	CHECK(store_begin(st) == 0);
	flow = store_flow_insert(st, session, &in[0], 0);
	CHECK(flow > 0);
	for (i = 0; i < 3; i++)
		CHECK(store_event_insert(st, flow, &in[i]) == 0);
	CHECK(store_flow_end(st, flow, in[0].t_us, 3000, 1, &in[2]) == 0);
	CHECK(store_commit(st) == 0);

	c = store_events(st, &q);
	for (i = 0; c && store_next(c, &out, &f) > 0; i++) {
		CHECK(f == flow);
		CHECK(i < 3 && same_event(&out, &in[i]));
	}
	CHECK(i == 3);
	store_cursor_free(c);

	q.type_mask = 1 << CT_EV_DESTROY;
	c = store_events(st, &q);
	CHECK(c && store_next(c, &out, &f) == 1 && out.type == CT_EV_DESTROY);
	CHECK(store_next(c, &out, &f) == 0);
	store_cursor_free(c);
	store_close(st);
}

/* The common questions are answered from an index, not a scan. */
/* A flow that ends in a later transaction without an event of its own
 * there (resync's "end unknown", or a flush between an event and its end)
 * keeps the time of its last event; an event there moves it. */
static void test_end_without_event(void)
{
	static struct ct_event ev;
	int64_t session, a, b;
	struct store *st = open_recording(path, &session);
	sqlite3_stmt *s;

	if (!st)
		return;
	sample(&ev, CT_EV_NEW, 1000);
	a = store_flow_insert(st, session, &ev, 0);
	CHECK(store_event_insert(st, a, &ev) == 0);
	b = store_flow_insert(st, session, &ev, 0);
	CHECK(store_event_insert(st, b, &ev) == 0);
	CHECK(store_commit(st) == 0);
	CHECK(store_begin(st) == 0);
	CHECK(store_flow_end(st, a, 1000, 9000, 2, NULL) == 0);
	sample(&ev, CT_EV_DESTROY, 5000);
	CHECK(store_event_insert(st, b, &ev) == 0);
	CHECK(store_commit(st) == 0);
	CHECK(store_begin(st) == 0);	/* the end of b alone, after a flush */
	CHECK(store_flow_end(st, b, 1000, 5000, 1, &ev) == 0);
	CHECK(store_commit(st) == 0);
	CHECK(store_pending_changes(st) == 3);
	CHECK(store_begin(st) == 0 && store_fold(st) == 0 && store_commit(st) == 0);
	CHECK(store_pending_changes(st) == 0);
	CHECK(sqlite3_prepare_v2(store_db(st), "SELECT id, last_us, end_us, nevents FROM flows"
				 " WHERE id IN (?, ?) ORDER BY id", -1, &s, NULL) == SQLITE_OK);
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	CHECK(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 1) == 1000 &&
	      sqlite3_column_int64(s, 2) == 9000 && sqlite3_column_int64(s, 3) == 1);
	CHECK(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 1) == 5000 &&
	      sqlite3_column_int64(s, 2) == 5000 && sqlite3_column_int64(s, 3) == 2);
	sqlite3_finalize(s);
	store_close(st);
}

/* Many new flows in one transaction are written several rows a statement
 * (store_write.c): each row holds its own flow's values. */
static void test_many_new_flows(void)
{
	static struct ct_event ev;
	int64_t session, id[100];
	struct store *st = open_recording(path, &session);
	sqlite3_stmt *s;
	int i, ok = 0;

	if (!st)
		return;
	for (i = 0; i < 100; i++) {
		sample(&ev, CT_EV_NEW, 10000 + i);
		ev.orig.sport = ev.reply.dport = (uint16_t)(1000 + i);
		ev.id = (uint32_t)i;
		if (i % 3 == 0) {
			ev.has |= CT_HAS_MARK;
			ev.mark = (uint32_t)i;
		}
		id[i] = store_flow_insert(st, session, &ev, 0);
		CHECK(id[i] > 0 && store_event_insert(st, id[i], &ev) == 0);
		if (i % 7 == 0) {
			sample(&ev, CT_EV_DESTROY, 20000 + i);
			ev.orig.sport = ev.reply.dport = (uint16_t)(1000 + i);
			CHECK(store_event_insert(st, id[i], &ev) == 0);
			CHECK(store_flow_end(st, id[i], 10000 + i, 20000 + i, 1, &ev) == 0);
		}
	}
	CHECK(store_commit(st) == 0);
	CHECK(sqlite3_prepare_v2(store_db(st), "SELECT id, o_sport, ct_id, first_us, mark,"
				 " nevents, end_us FROM flows WHERE id BETWEEN ? AND ? ORDER BY id",
				 -1, &s, NULL) == SQLITE_OK);
	sqlite3_bind_int64(s, 1, id[0]);
	sqlite3_bind_int64(s, 2, id[99]);
	for (i = 0; i < 100 && sqlite3_step(s) == SQLITE_ROW; i++)
		ok += sqlite3_column_int64(s, 0) == id[i] && sqlite3_column_int(s, 1) == 1000 + i &&
		      sqlite3_column_int64(s, 2) == i && sqlite3_column_int64(s, 3) == 10000 + i &&
		      (i % 3 ? sqlite3_column_type(s, 4) == SQLITE_NULL :
			       sqlite3_column_int64(s, 4) == i) &&
		      sqlite3_column_int(s, 5) == (i % 7 ? 1 : 2) &&
		      (i % 7 ? sqlite3_column_type(s, 6) == SQLITE_NULL :
			       sqlite3_column_int64(s, 6) == 20000 + i);
	CHECK(ok == 100);
	sqlite3_finalize(s);
	store_close(st);
}

/* A column as text, NULL as nothing. */
static const char *text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t ? (const char *)t : "";
}

/* Appends the ids of q's flows to out (*n bytes used of size). */
static void where_ids(struct store *rd, const struct store_query *q, char *out, size_t size,
		      size_t *n)
{
	sqlite3_stmt *s = store_query_prepare(rd, q, "SELECT f.id", "ORDER BY f.id");

	CHECK(s != NULL);
	while (s && sqlite3_step(s) == SQLITE_ROW && *n < size)
		*n += snprintf(out + *n, size - *n, " %lld", (long long)sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
}

/* What a reader gets of flows (ends, counts, last values; alive at an
 * instant, and of those and of all the destroyed ones, by --where; a flow's
 * events), as text, one flow a line. */
static void describe(struct store *rd, char *out, size_t size)
{
	struct store_query q = { .pf = STORE_PF_AT, .at_us = 3500 };
	struct store_cursor *c;
	struct ct_event ev;
	sqlite3_stmt *s;
	int64_t flow;
	size_t n = 0;

	out[0] = 0;
	CHECK(sqlite3_prepare_v2(store_db(rd), "SELECT id, end_us, end_kind, nevents, last_us,"
				 " status, state, o_packets, r_bytes FROM flows ORDER BY id", -1, &s,
				 NULL) == SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW && n < size)
		n += snprintf(out + n, size - n, "%s|%s|%s|%s|%s|%s|%s|%s|%s\n", text(s, 0),
			      text(s, 1), text(s, 2), text(s, 3), text(s, 4), text(s, 5),
			      text(s, 6), text(s, 7), text(s, 8));
	sqlite3_finalize(s);
	s = store_query_prepare(rd, &q, "SELECT f.id", "ORDER BY f.id");
	CHECK(s != NULL);
	n += snprintf(out + n, size - n, "alive at 3500:");
	while (s && sqlite3_step(s) == SQLITE_ROW && n < size)
		n += snprintf(out + n, size - n, " %lld", (long long)sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
	/* --where over a flow picked by time, and alone (the view reads the
	 * flows with their changes too) */
	q.where = "ended = 'destroyed'";
	n += snprintf(out + n, size - n, "\nof those, destroyed:");
	where_ids(rd, &q, out, size, &n);
	q.pf = 0;
	n += snprintf(out + n, size - n, "\ndestroyed:");
	where_ids(rd, &q, out, size, &n);
	q.where = NULL;
	q.pf = STORE_PF_FLOW;
	q.flow = 2;
	c = store_events(rd, &q);
	CHECK(c != NULL);
	n += snprintf(out + n, size - n, "\nevents of 2:");
	while (c && store_next(c, &ev, &flow) > 0 && n < size)
		n += snprintf(out + n, size - n, " %d@%lld", ev.type, (long long)ev.t_us);
	store_cursor_free(c);
}

/* Notes an open flow's id (store_each_open_flow). */
static int note_open(int64_t flow, const struct ct_event *ev, void *data)
{
	char *ids = data;

	(void)ev;
	snprintf(ids + strlen(ids), 64 - strlen(ids), " %lld", (long long)flow);
	return 0;
}

/* Changes to flows already written wait in flow_pending until folded: a
 * reader sees them applied all the same, before and after the fold, and a
 * writer that died before folding leaves them for the next one. */
static void test_pending(void)
{
	static const char expect[] =
		"1|||1|1000|8|||\n"
		"2|4000|1|3|4000|9|3|1|0\n"
		"3|3000|1|2|3000|8|7|1|0\n"
		"alive at 3500: 1 2\n"
		"of those, destroyed: 2\n"
		"destroyed: 2 3\n"
		"events of 2: 1@1000 2@2000 3@4000";
	static struct ct_event ev;
	char pend_path[80], before[1024], after[1024], open_ids[64];
	struct store *st, *rd, *other;
	sqlite3_stmt *s = NULL;
	int64_t session, id[3];
	pid_t pid;
	int i, status;

	snprintf(pend_path, sizeof(pend_path), "%s/pending.db", dir);
	if (!(st = open_recording(pend_path, &session)))
		return;
	for (i = 0; i < 3; i++) {
		sample(&ev, CT_EV_NEW, 1000);
		ev.orig.sport = (uint16_t)(40000 + i);
		id[i] = store_flow_insert(st, session, &ev, 0);
		CHECK(store_event_insert(st, id[i], &ev) == 0);
	}
	CHECK(store_commit(st) == 0);
	/* later: 2 an UPDATE, 3 its DESTROY; later still, 2 its DESTROY */
	CHECK(store_begin(st) == 0);
	sample(&ev, CT_EV_UPDATE, 2000);
	ev.status = 9;
	CHECK(store_event_insert(st, id[1], &ev) == 0);
	sample(&ev, CT_EV_DESTROY, 3000);
	fill_destroy(&ev);
	ev.has &= ~CT_HAS_MARK;
	ev.status = 8;
	CHECK(store_event_insert(st, id[2], &ev) == 0);
	CHECK(store_flow_end(st, id[2], 1000, 3000, 1, &ev) == 0);
	CHECK(store_commit(st) == 0);
	CHECK(store_begin(st) == 0);
	sample(&ev, CT_EV_DESTROY, 4000);
	ev.has = CT_HAS_STATE | CT_HAS_COUNTERS_ORIG | CT_HAS_COUNTERS_REPLY;
	ev.state = 3;
	ev.pkts_orig = 1;
	CHECK(store_event_insert(st, id[1], &ev) == 0);
	CHECK(store_flow_end(st, id[1], 1000, 4000, 1, &ev) == 0);
	CHECK(store_commit(st) == 0);
	CHECK(store_pending_changes(st) == 3);

	/* a rolled back change is not kept; the committed ones are read again */
	CHECK(store_begin(st) == 0);
	sample(&ev, CT_EV_UPDATE, 5000);
	CHECK(store_event_insert(st, id[0], &ev) == 0);
	store_rollback(st);
	CHECK(store_begin(st) == 0 && store_pending_changes(st) == 3);
	store_rollback(st);

	rd = store_open(pend_path, STORE_READ);
	CHECK(rd != NULL);
	if (rd)
		describe(rd, before, sizeof(before));
	CHECK(strcmp(before, expect) == 0);
	if (strcmp(before, expect))
		fprintf(stderr, "  read with changes pending:\n%s\n", before);
	/* the reader keeps its snapshot until it asks for the next one */
	CHECK(store_begin(st) == 0 && store_fold(st) == 0 && store_commit(st) == 0);
	CHECK(store_pending_changes(st) == 0);
	if (rd) {
		describe(rd, after, sizeof(after));
		CHECK(strcmp(after, expect) == 0);
		CHECK(store_read_snapshot(rd) == 0);
		describe(rd, after, sizeof(after));
		CHECK(strcmp(after, expect) == 0);
		if (strcmp(after, expect))
			fprintf(stderr, "  read after the fold:\n%s\n", after);
	}
	store_close(rd);
	store_close(st);

	/* a writer that dies with a change pending */
	pid = fork();
	if (pid == 0) {
		st = store_open(pend_path, STORE_WRITE);
		if (!st || store_begin(st))
			_exit(1);
		sample(&ev, CT_EV_NEW, 5500);
		ev.orig.sport = 40003;
		if (store_flow_insert(st, 1, &ev, 0) != 4 || store_event_insert(st, 4, &ev) ||
		    store_commit(st) || store_begin(st))
			_exit(1);
		sample(&ev, CT_EV_UPDATE, 6000);
		ev.status = 10;
		if (store_event_insert(st, id[0], &ev))
			_exit(1);
		sample(&ev, CT_EV_DESTROY, 6000);
		if (store_event_insert(st, 4, &ev) || store_flow_end(st, 4, 5500, 6000, 1, &ev) ||
		    store_commit(st) || store_pending_changes(st) != 2)
			_exit(1);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	rd = store_open(pend_path, STORE_READ);
	if (rd)
		describe(rd, before, sizeof(before));
	CHECK(strncmp(before, "1|||2|6000|10|||\n", 17) == 0);
	if (strncmp(before, "1|||2|6000|10|||\n", 17))
		fprintf(stderr, "  read after the crash:\n%s\n", before);
	store_close(rd);
	st = store_open(pend_path, STORE_WRITE);
	/* a restarted recorder continues flow 1 but not 4, whose end waits */
	open_ids[0] = 0;
	CHECK(st && store_each_open_flow(st, note_open, open_ids) == 0);
	CHECK(strcmp(open_ids, " 1") == 0);
	CHECK(st && store_begin(st) == 0 && store_pending_changes(st) == 2);
	store_rollback(st);
	store_close(st);	/* folds */
	rd = store_open(pend_path, STORE_READ);
	if (rd)
		describe(rd, after, sizeof(after));
	CHECK(strcmp(before, after) == 0);
	CHECK(rd && sqlite3_prepare_v2(store_db(rd), "SELECT count(*) FROM main.flow_pending", -1,
				       &s, NULL) == SQLITE_OK);
	CHECK(rd && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 0);
	sqlite3_finalize(s);
	store_close(rd);

	/* another writer (an import into the live database) folds this one's
	 * change: this one must not fold it again */
	st = store_open(pend_path, STORE_WRITE);
	CHECK(st && store_begin(st) == 0);
	sample(&ev, CT_EV_UPDATE, 7000);
	CHECK(st && store_event_insert(st, id[0], &ev) == 0 && store_commit(st) == 0);
	other = store_open(pend_path, STORE_WRITE);
	CHECK(other && store_begin(other) == 0);
	CHECK(store_pending_changes(other) == 1);
	CHECK(store_fold(other) == 0 && store_commit(other) == 0);
	store_close(other);
	CHECK(st && store_begin(st) == 0 && store_pending_changes(st) == 0);
	store_rollback(st);
	store_close(st);
	rd = store_open(pend_path, STORE_READ);
	if (rd)
		describe(rd, after, sizeof(after));
	CHECK(strncmp(after, "1|||3|7000|8|||\n", 16) == 0);
	if (strncmp(after, "1|||3|7000|8|||\n", 16))
		fprintf(stderr, "  read after two writers:\n%s\n", after);
	store_close(rd);
}

static void test_query_plans(void)
{
	static const char *const sql[] = {
		"SELECT id FROM event_blocks WHERE last_us >= 5",
		"SELECT rng FROM flow_keys WHERE kind = 1 AND val = x'0a000001'",
		"SELECT rng FROM flow_keys WHERE kind = 3 AND val = 443",
		"SELECT * FROM flows WHERE id = 3",
		/* open flows: open_ranges is read whole (a row per range of 1024
		 * flow ids with an open one), flows by id */
		"SELECT f.* FROM " STORE_OPEN_FLOW_IDS " o CROSS JOIN flows f ON f.id = o.id"
		" WHERE f.end_dur IS NULL",
	};
	struct store *st = store_open(path, STORE_READ);
	size_t i;

	CHECK(st != NULL);
	for (i = 0; st && i < sizeof(sql) / sizeof(sql[0]); i++) {
		char q[256], plan[512] = "";
		sqlite3_stmt *s;

		snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql[i]);
		CHECK(sqlite3_prepare_v2(store_db(st), q, -1, &s, NULL) == SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW)
			strncat(plan, (const char *)sqlite3_column_text(s, 3),
				sizeof(plan) - strlen(plan) - 1);
		sqlite3_finalize(s);
		CHECK(strstr(plan, "SEARCH") != NULL &&
		      (strstr(plan, "SCAN") == NULL ||
		       (strstr(sql[i], "open_ranges") && !strstr(plan, "SCAN f"))));
		if (!strstr(plan, "SEARCH"))
			fprintf(stderr, "  plan of %s: %s\n", sql[i], plan);
	}
	store_close(st);
}

/* Reads a whole file into a malloc'd string, or NULL. */
static char *slurp(const char *file)
{
	FILE *f = fopen(file, "r");
	char *buf = NULL;
	long n;

	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
	    (buf = calloc(1, n + 1)) && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

/* A version-1 database (what the first release wrote, made from version 5's
 * schema, tests/unit/schema-v5.sql) with two flows and their events rows is
 * brought up to date: events packed into blocks read back the same, a
 * mirrored reply tuple is not stored twice, a NAT one is. */
static void test_migration(void)
{
	static struct ct_event in[3], out;
	char old[96], *names = NULL, *v5 = slurp("tests/unit/schema-v5.sql");
	struct store_query q = { 0 };
	struct store_cursor *c;
	struct store *st;
	sqlite3 *db;
	sqlite3_stmt *s;
	int version = 0, i, mirrored = -1;
	int64_t f;

	CHECK(v5 != NULL);
	if (!v5)
		return;
	snprintf(old, sizeof(old), "%s/v1.db", dir);
	CHECK(sqlite3_open(old, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, v5, NULL, NULL, NULL) == SQLITE_OK);
	free(v5);
	/* flow 1 without NAT, flow 2 with a DNAT reply; events as version 1 kept them */
	CHECK(sqlite3_exec(db, "PRAGMA application_id = 1668575843;"
			   " INSERT INTO sessions (id, kind, started_us, version) VALUES (1, 'record', 1, '0');"
			   " INSERT INTO flows (id, session, family, proto, o_l3, o_src, o_dst, o_sport, o_dport,"
			   "  r_l3, r_src, r_dst, r_sport, r_dport, origin, first_us, end_us, end_kind)"
			   " VALUES (1, 1, 2, 17, 2, x'0a000001', x'0a000002', 1000, 53,"
			   "  2, x'0a000002', x'0a000001', 53, 1000, 0, 1000, 3000, 1),"
			   " (2, 1, 2, 17, 2, x'0a000001', x'0a000009', 1001, 53,"
			   "  2, x'c0a80001', x'0a000001', 53, 1001, 0, 1500, NULL, NULL);"
			   " INSERT INTO events (flow, t_us, type, status, timeout, mark, t_start, progname,"
			   "  portid) VALUES (1, 1000, 1, 8, 30, 0, 999000123, NULL, NULL),"
			   " (2, 1500, 1, 8, 30, 7, NULL, NULL, NULL),"
			   " (1, 3000, 3, 520, NULL, 0, 999000123, 'conntrack', 4242);"
			   " DROP TABLE imports; DROP TABLE prunes; DROP INDEX flows_end;"
			   " DROP INDEX flows_span;"
			   " ALTER TABLE events DROP COLUMN session;"
			   " PRAGMA user_version = 1", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);

	/* what the reader must give back */
	for (i = 0; i < 3; i++) {
		in[i].type = i == 2 ? CT_EV_DESTROY : CT_EV_NEW;
		in[i].t_us = i == 0 ? 1000 : i == 1 ? 1500 : 3000;
		in[i].has = CT_HAS_STATUS | CT_HAS_MARK | (i < 2 ? CT_HAS_TIMEOUT : 0) |
			    (i != 1 ? CT_HAS_TS_START : 0);
		in[i].status = i == 2 ? 520 : 8;
		in[i].timeout = 30;
		in[i].mark = i == 1 ? 7 : 0;
		in[i].ts_start = 999000123;
	}
	in[2].portid = 4242;
	strcpy(in[2].progname, "conntrack");

	CHECK(store_open(old, STORE_READ) == NULL);	/* only the writer migrates */
	st = store_open(old, STORE_WRITE);
	CHECK(st != NULL);
	if (!st)
		return;
	CHECK(sqlite3_prepare_v2(store_db(st), "SELECT (SELECT user_version FROM pragma_user_version),"
				 " group_concat(name) FROM sqlite_master WHERE name IN"
				 " ('imports', 'prunes', 'open_ranges', 'flows_open', 'flow_keys', 'events',"
				 " 'event_blocks')", -1, &s, NULL) == SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW) {
		version = sqlite3_column_int(s, 0);
		names = sqlite3_mprintf("%s", sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	CHECK(version == STORE_SCHEMA_VERSION);
	CHECK(names && strstr(names, "imports") && strstr(names, "prunes") &&
	      strstr(names, "open_ranges") && !strstr(names, "flows_open") &&
	      strstr(names, "flow_keys") &&
	      strstr(names, "event_blocks") &&
	      !strstr(names, "events,") && strcmp(names + strlen(names) - 6, "events"));
	sqlite3_free(names);
	CHECK(sqlite3_prepare_v2(store_db(st), "SELECT group_concat(coalesce(r_l3, 'mirror')"
				 " || ':' || nevents || ':' || coalesce(mark, '-')) FROM flows f"
				 " LEFT JOIN flows_more m ON m.id = f.id",
				 -1, &s, NULL) == SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		mirrored = !strcmp((const char *)sqlite3_column_text(s, 0), "mirror:2:0,2:1:7");
	sqlite3_finalize(s);
	CHECK(mirrored == 1);
	c = store_events(st, &q);
	for (i = 0; c && store_next(c, &out, &f) > 0; i++) {
		CHECK(i < 3 && f == (i == 1 ? 2 : 1));
		CHECK(i < 3 && out.type == in[i].type && out.t_us == in[i].t_us &&
		      out.has == in[i].has && out.status == in[i].status &&
		      out.mark == in[i].mark && out.ts_start == (in[i].has & CT_HAS_TS_START ?
								 in[i].ts_start : 0) &&
		      out.portid == in[i].portid && !strcmp(out.progname, in[i].progname));
		CHECK(i < 3 && out.orig.sport == (i == 1 ? 1001 : 1000) &&
		      out.reply.dport == out.orig.sport && out.reply.sport == 53 &&
		      out.reply.src[0] == (i == 1 ? 192 : 10));
	}
	CHECK(i == 3);
	store_cursor_free(c);
	store_close(st);
	st = store_open(old, STORE_READ);	/* and now anyone reads it */
	CHECK(st != NULL);
	store_close(st);
}

static void test_refusals(void)
{
	char other[96];
	sqlite3 *db;
	FILE *f;

	/* Read-only never creates a file. */
	snprintf(other, sizeof(other), "%s/missing.db", dir);
	CHECK(store_open(other, STORE_READ) == NULL);
	CHECK(access(other, F_OK) != 0);

	/* A newer schema is refused. */
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(store_open(path, STORE_READ) == NULL);
	CHECK(store_open(path, STORE_WRITE) == NULL);

	/* A file that is not a database, and a database that is not ours. */
	snprintf(other, sizeof(other), "%s/junk.db", dir);
	f = fopen(other, "w");
	fputs("this is not a database, just text long enough to be looked at\n", f);
	fclose(f);
	CHECK(store_open(other, STORE_WRITE) == NULL);
	snprintf(other, sizeof(other), "%s/foreign.db", dir);
	CHECK(sqlite3_open(other, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(store_open(other, STORE_WRITE) == NULL);
}

/* A damaged row of flow_pending (its changes are coded by hand here) is
 * refused by a reader with an error, whichever part of a change is bad:
 * never read as no change or as part of one. */
static void test_pending_damaged(void)
{
	static const char *const bad[] = {
		"X'02'",				/* a flow, nothing it holds */
		"X'0201' || X'00' || X'01'",		/* 0 events */
		"X'0201' || X'01' || X'8080808080808080808001'",	/* a value of 11 bytes */
		"X'0201' || X'01' || X'81'",		/* a value cut short */
		"X'02' || X'8002'",			/* what it holds: unknown bits */
		"X'0201' || X'01' || X'01' || X'0201'",	/* then a change cut short */
	};
	static struct ct_event ev;
	char dbpath[80], sql[160];
	struct store *st, *rd;
	sqlite3 *db;
	int64_t session, id;
	size_t i;

	snprintf(dbpath, sizeof(dbpath), "%s/damaged.db", dir);
	if (!(st = open_recording(dbpath, &session)))
		return;
	sample(&ev, CT_EV_NEW, 1000);
	id = store_flow_insert(st, session, &ev, 0);
	CHECK(id == 1 && store_event_insert(st, id, &ev) == 0 && store_commit(st) == 0);
	store_close(st);
	/* the good form first: flow 1, one event at 2 (PC_EVENTS: count, last_us) */
	for (i = 0; i <= sizeof(bad) / sizeof(*bad); i++) {
		CHECK(sqlite3_open(dbpath, &db) == SQLITE_OK);
		snprintf(sql, sizeof(sql), "DELETE FROM flow_pending; INSERT INTO flow_pending (data)"
			 " VALUES (%s)", i ? bad[i - 1] : "X'0201' || X'01' || X'02'");
		CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
		sqlite3_close(db);
		rd = store_open(dbpath, STORE_READ);
		CHECK(i ? rd == NULL : rd != NULL);
		if (i ? rd != NULL : rd == NULL)
			fprintf(stderr, "  flow_pending holding %s: %s\n", i ? bad[i - 1] : "a good change",
				rd ? "read" : "refused");
		store_close(rd);
	}
}

int main(void)
{
	if (unit_tmpdir(dir, "flows.db", path, sizeof(path)))
		return 1;
	test_roundtrip();
	test_end_without_event();
	test_many_new_flows();
	test_pending();
	test_pending_damaged();
	test_query_plans();
	test_migration();
	test_refusals();
	return unit_rmdir(dir, unit_done("t_store"));
}
