/* Unit tests of reading one flow's (or a few flows') events: the blocks searched from both ends give what a full read gives, and read fewer blocks. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sqlite3.h>

#include "store_cursor.h"
#include "unit.h"

static char dir[] = "/tmp/ct-unit-XXXXXX";
static char path[64];

/* The flows the queries ask for (10.9.0.N), among fillers (10.1.x.x). */
enum { A, B, C, E, NTARGET };
static int64_t target[NTARGET];
static int64_t t_end;

/* An event of a flow from src to 10.0.0.1:53, at t_us. */
static void make(struct ct_event *ev, int type, const char *src, int64_t t_us)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->family = AF_INET;
	ev->t_us = t_us;
	ev->orig.l3 = ev->reply.l3 = AF_INET;
	ev->orig.proto = ev->reply.proto = 17;
	inet_pton(AF_INET, src, ev->orig.src);
	inet_pton(AF_INET, "10.0.0.1", ev->orig.dst);
	memcpy(ev->reply.src, ev->orig.dst, 4);
	memcpy(ev->reply.dst, ev->orig.src, 4);
	ev->orig.has_ports = ev->reply.has_ports = 1;
	ev->orig.sport = ev->reply.dport = 40000;
	ev->orig.dport = ev->reply.sport = 53;
	ev->has = CT_HAS_STATUS | CT_HAS_TIMEOUT;
	ev->status = 8;
	ev->timeout = (uint32_t)(t_us % 1000);
}

/* Writes the history: A at the very start and the very end, B all along, C
 * within one block, E at the start and then many events with 3000 bytes of
 * verbatim attributes at the end (more than the search from the end holds),
 * and between them fillers of two events each. A flow of a lower id than
 * theirs has an event in every block, so that every block's flow id range
 * holds them all. About 60 blocks. */
static int write_history(void)
{
	static struct ct_event ev;
	struct store *st = store_open(path, STORE_WRITE);
	int64_t t = 1000000, session, filler, low;
	char src[32];
	int i, ok = 1;

	if (!st)
		return -1;
	session = store_session_start(st, "record", NULL, t);
	ok &= session > 0 && store_begin(st) == 0;
#define EVENT(flow, type, addr) do { \
		make(&ev, type, addr, t += 10); \
		ok &= store_event_insert(st, flow, &ev) == 0; \
	} while (0)
#define NEWFLOW(var, addr) do { \
		make(&ev, CT_EV_NEW, addr, t += 10); \
		ok &= (var = store_flow_insert(st, session, &ev, 0)) > 0; \
		ok &= store_event_insert(st, var, &ev) == 0; \
	} while (0)
	NEWFLOW(low, "10.2.0.1");
	NEWFLOW(target[A], "10.9.0.1");
	NEWFLOW(target[B], "10.9.0.2");
	NEWFLOW(target[E], "10.9.0.5");
	for (i = 0; i < 12000; i++) {
		snprintf(src, sizeof(src), "10.1.%d.%d", i >> 8, i & 255);
		NEWFLOW(filler, src);
		EVENT(filler, CT_EV_DESTROY, src);
		ok &= store_flow_end(st, filler, t - 10, t, 1, &ev) == 0;
		if (i % 1500 == 0)
			EVENT(target[B], CT_EV_UPDATE, "10.9.0.2");
		if (i % 500 == 0)
			EVENT(low, CT_EV_UPDATE, "10.2.0.1");
		if (i == 4500) {
			NEWFLOW(target[C], "10.9.0.3");
			EVENT(target[C], CT_EV_DUMP, "10.9.0.3");
			EVENT(target[C], CT_EV_DESTROY, "10.9.0.3");
			ok &= store_flow_end(st, target[C], t - 20, t, 1, &ev) == 0;
		}
	}
	for (i = 0; i < 1200; i++) {
		make(&ev, CT_EV_UPDATE, "10.9.0.5", t += 10);
		ev.extra_len = 3000;
		memset(ev.extra, i & 0xff, ev.extra_len);
		ok &= store_event_insert(st, target[E], &ev) == 0;
		if (i % 5 == 0)
			EVENT(low, CT_EV_UPDATE, "10.2.0.1");
	}
	EVENT(target[E], CT_EV_DESTROY, "10.9.0.5");
	EVENT(target[B], CT_EV_DESTROY, "10.9.0.2");
	EVENT(target[A], CT_EV_DESTROY, "10.9.0.1");
	EVENT(low, CT_EV_DESTROY, "10.2.0.1");
#undef EVENT
#undef NEWFLOW
	t_end = t;
	ok &= store_commit(st) == 0;
	store_close(st);
	return ok ? 0 : -1;
}

struct got {
	int64_t flow, id;
	struct ct_event ev;
};

static int is_target(int64_t flow, unsigned which);

/* Reads what q selects into *out (malloc'd), only the events of the flows in
 * which when it is not 0; counts the Bloom filters read and the blocks
 * decoded. Returns the number of events, -1 on error. */
static long read_all(struct store *st, const struct store_query *q, unsigned which,
		     struct got **out, int *blooms, int *blocks)
{
	struct store_cursor *c = store_events(st, q);
	size_t n = 0, cap = 256;
	struct got *g = malloc(cap * sizeof(*g));
	int rc;

	*out = g;
	if (!c || !g) {
		store_cursor_free(c);
		return -1;
	}
	for (;;) {
		if (n == cap && !(g = *out = realloc(g, (cap *= 2) * sizeof(*g))))
			break;
		if ((rc = store_next(c, &g[n].ev, &g[n].flow)) <= 0)
			break;
		if (!which || is_target(g[n].flow, which))
			g[n++].id = store_cursor_event_id(c);
	}
	*blooms = c->bloom_stmt ? sqlite3_stmt_status(c->bloom_stmt, SQLITE_STMTSTATUS_RUN, 0) : 0;
	*blocks = c->data_stmt ? sqlite3_stmt_status(c->data_stmt, SQLITE_STMTSTATUS_RUN, 0) : 0;
	store_cursor_free(c);
	return g && rc == 0 ? (long)n : -1;
}

static int is_target(int64_t flow, unsigned which)
{
	int i;

	for (i = 0; i < NTARGET; i++)
		if ((which & 1u << i) && flow == target[i])
			return 1;
	return 0;
}

/* q (for the flows in which) gives, in order, the events that reading every
 * event of the history gives for them. Returns the Bloom filters read, or -1. */
static int check_same(struct store *st, const struct store_query *q, unsigned which,
		      long *events)
{
	struct store_query all = { .type_mask = q->type_mask };
	struct got *ref, *got;
	long nref, ngot, i, j = 0;
	int blooms, blocks, same = 1;

	nref = read_all(st, &all, which, &ref, &blooms, &blocks);
	ngot = read_all(st, q, 0, &got, &blooms, &blocks);
	CHECK(nref > 0 && ngot > 0);
	for (i = 0; i < nref && same; i++) {
		if (((q->pf & STORE_PF_SINCE) && ref[i].ev.t_us < q->since_us) ||
		    ((q->pf & STORE_PF_UNTIL) && ref[i].ev.t_us > q->until_us))
			continue;
		same = j < ngot && got[j].flow == ref[i].flow && got[j].id == ref[i].id &&
		       !memcmp(&got[j].ev, &ref[i].ev, offsetof(struct ct_event, extra)) &&
		       got[j].ev.extra_len == ref[i].ev.extra_len &&
		       !memcmp(got[j].ev.extra, ref[i].ev.extra, ref[i].ev.extra_len);
		j++;
	}
	CHECK(same && j == ngot);
	if (!same || j != ngot)
		fprintf(stderr, "  flows %#x: %ld events, %ld expected (first difference at %ld)\n",
			which, ngot, j, j - 1);
	*events = ngot;
	free(ref);
	free(got);
	return same && j == ngot ? blooms : -1;
}

static void test_both_ends(void)
{
	struct store *st = store_open(path, STORE_READ);
	struct store_query q = { .pf = STORE_PF_FLOW };
	long n;
	int blooms;

	CHECK(st != NULL);
	if (!st)
		return;
	/* A: its first and last events, in the first and the last block: the
	 * blocks between (all in its time span and flow id range, each a Bloom
	 * filter to read) are not even looked at */
	q.flow = target[A];
	blooms = check_same(st, &q, 1 << A, &n);
	CHECK(n == 2);
	CHECK(blooms == 2);
	/* B: events in every block, C within one, E beyond what is held */
	q.flow = target[B];
	CHECK(check_same(st, &q, 1 << B, &n) > 2 && n == 10);
	q.flow = target[C];
	q.type_mask = 1 << CT_EV_NEW | 1 << CT_EV_UPDATE | 1 << CT_EV_DESTROY | 1 << CT_EV_DUMP;
	CHECK(check_same(st, &q, 1 << C, &n) >= 1 && n == 3);
	q.type_mask = 0;	/* the DUMP left out, still counted as found */
	CHECK(check_same(st, &q, 1 << C, &n) >= 1 && n == 2);
	q.flow = target[E];
	CHECK(check_same(st, &q, 1 << E, &n) > 2 && n == 1202);
	/* several flows at once, and a time window */
	q.pf = 0;
	q.src.len = 4;
	inet_pton(AF_INET, "10.9.0.0", q.src.lo);
	inet_pton(AF_INET, "10.9.0.255", q.src.hi);
	CHECK(check_same(st, &q, 1 << A | 1 << B | 1 << C | 1 << E, &n) > 0 && n == 2 + 10 + 2 + 1202);
	q.pf = STORE_PF_SINCE | STORE_PF_UNTIL;
	q.since_us = 1000000 + 10 * 3000;
	q.until_us = t_end - 10 * 100;
	CHECK(check_same(st, &q, 1 << A | 1 << B | 1 << C | 1 << E, &n) > 0 && n > 1000);
	/* a window's bounds are in it: one from B's second event to its
	 * second last holds both */
	{
		struct store_query qb = { .pf = STORE_PF_FLOW, .flow = target[B] };
		struct got *g;
		int bl, bk;
		long nb = read_all(st, &qb, 0, &g, &bl, &bk);

		CHECK(nb == 10);
		if (nb == 10) {
			qb.pf |= STORE_PF_SINCE | STORE_PF_UNTIL;
			qb.since_us = g[1].ev.t_us;
			qb.until_us = g[8].ev.t_us;
			CHECK(check_same(st, &qb, 1 << B, &n) >= 0 && n == 8);
		}
		free(g);
	}
	store_close(st);
}

/* The same part of a flow's events? (Field by field: the rows are read
 * into a cflow each its own way.) */
static int same_cflow(const struct cflow *a, const struct cflow *b)
{
	return a->id == b->id && a->first_us == b->first_us && a->last_us == b->last_us &&
	       a->nevents == b->nevents && a->has == b->has && a->ct_id == b->ct_id &&
	       a->zone == b->zone && a->family == b->family && a->ended == b->ended &&
	       !memcmp(&a->orig, &b->orig, sizeof(a->orig)) &&
	       !memcmp(&a->reply, &b->reply, sizeof(a->reply));
}

/* Reads c and ref to their ends: the same events, in the same order?
 * Returns how many, or -1 when they differ (or fail). */
static long same_events(struct store_cursor *c, struct store_cursor *ref)
{
	static struct ct_event ev, rev;
	int64_t flow, rflow;
	long n = 0;
	int rc, rrc;

	while ((rc = store_next(c, &ev, &flow)) > 0 && (rrc = store_next(ref, &rev, &rflow)) > 0) {
		if (flow != rflow || store_cursor_event_id(c) != store_cursor_event_id(ref) ||
		    memcmp(&ev, &rev, offsetof(struct ct_event, extra)) ||
		    ev.extra_len != rev.extra_len || memcmp(ev.extra, rev.extra, ev.extra_len))
			return -1;
		n++;
	}
	return rc == 0 && store_next(ref, &rev, &rflow) == 0 ? n : -1;
}

/* The events of a flow just read by store_flows() (show's way: its row not
 * read again) are those store_events() gives for its id, from the same
 * part of the row; and so they are once the row's snapshot has ended (read
 * again then). nevents: each flow's, in target's order. */
static void test_flow_events(const long *nevents)
{
	static const unsigned mask = 1 << CT_EV_NEW | 1 << CT_EV_UPDATE | 1 << CT_EV_DESTROY |
				     1 << CT_EV_DUMP;
	static struct store_flow fl;
	struct store *st = store_open(path, STORE_READ);
	int i, k;

	CHECK(st != NULL);
	for (i = 0; st && i < NTARGET; i++)
		for (k = 0; k < 2; k++) {
			struct store_query q = { .pf = STORE_PF_FLOW, .flow = target[i],
						 .type_mask = mask };
			struct store_cursor *fc = store_flows(st, &q), *c = NULL, *ref = NULL;

			CHECK(fc != NULL && store_next_flow(fc, &fl) == 1);
			if (k)
				CHECK(store_read_snapshot(st) == 0);
			if (fc) {
				struct cflow row;

				/* the row used as it is in its own snapshot only */
				CHECK(store_flow_row(fc, &fl, &row) == !k);
				c = store_flow_events(fc, &fl, mask);
				ref = store_events(st, &q);
			}
			CHECK(c && ref && c->nsel == 1 && ref->nsel == 1 &&
			      c->both_ends == ref->both_ends);
			if (c && ref && c->nsel == 1 && ref->nsel == 1) {
				CHECK(same_cflow(&c->sel[0], &ref->sel[0]));
				CHECK(same_events(c, ref) == nevents[i]);
			}
			store_cursor_free(ref);
			store_cursor_free(c);
			if (fc) {	/* (past the flow: no row to use) */
				struct cflow row;

				CHECK(store_next_flow(fc, &fl) == 0 && !store_flow_row(fc, &fl, &row));
			}
			store_cursor_free(fc);
		}
	store_close(st);
}

/* A flow whose row has no last_us (NULL in a row of an older version): its
 * events' time span is from its start, either way. */
static void test_flow_events_no_last(void)
{
	static const long nevents[NTARGET] = { 2, 10, 3, 1202 };
	sqlite3 *db;
	char sql[96];

	snprintf(sql, sizeof(sql), "UPDATE flows SET last_dur = NULL WHERE id = %lld",
		 (long long)target[C]);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	test_flow_events(nevents);
}

/* A reader reads in one snapshot until it asks for the next, also after a
 * --where expression (whose authorizer refuses BEGIN and COMMIT). */
static void test_where(void)
{
	struct store_query q = { .pf = STORE_PF_FLOW, .flow = target[C],
				 .where = "src = '10.9.0.3'" };
	struct store *st = store_open(path, STORE_READ);
	long n;
	int i;

	CHECK(st != NULL);
	for (i = 0; st && i < 2; i++) {
		CHECK(check_same(st, &q, 1 << C, &n) >= 1 && n == 2);
		CHECK(!sqlite3_get_autocommit(store_db(st)));
		CHECK(store_read_snapshot(st) == 0);
	}
	store_close(st);
}

/* Runs sql on the test database. */
static void edit(const char *sql)
{
	sqlite3 *db;

	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
}

/* A flow that lost events it counts has the blocks searched to the end.
 * With nothing pruned that is damage (the blocks misled the search): an
 * error. Pruned blocks (a prune step says so): the same events, found the
 * long way. */
static void test_count_too_high(void)
{
	struct store_query q = { .pf = STORE_PF_FLOW, .flow = target[A] };
	struct store_cursor *c;
	static struct ct_event ev;
	struct store *st;
	char sql[96];
	int64_t flow;
	long n;
	int rc;

	snprintf(sql, sizeof(sql), "UPDATE flows SET nevents = nevents + 1 WHERE id = %lld",
		 (long long)target[A]);
	edit(sql);
	st = store_open(path, STORE_READ);
	CHECK(st != NULL);
	if (!st)
		return;
	c = store_events(st, &q);
	CHECK(c != NULL);
	n = 0;
	while (c && (rc = store_next(c, &ev, &flow)) > 0)
		n++;
	CHECK(c && rc < 0 && n <= 2);
	store_cursor_free(c);
	store_close(st);
	edit("INSERT INTO prunes (t_us, before_us, flows, events) VALUES (1, 1, 0, 1)");
	st = store_open(path, STORE_READ);
	CHECK(st != NULL);
	if (!st)
		return;
	CHECK(check_same(st, &q, 1 << A, &n) > 50 && n == 2);
	store_close(st);
}

/* Reading every event, or only one type of them, keeps no flow that ended
 * in the cursor's cache: flows opened in id order and ended in the reverse
 * order (the kernel's timeouts end them in no order of ours), then flows
 * whose end is unknown (no DESTROY: a restart, a gap). -e NEW kept every
 * flow of the history (its DESTROY events not read), -e DESTROY each flow
 * it had read the end of (loaded again with the flows after an earlier
 * one), and every read kept the flows of unknown end. */
static void test_cache_of_ended(void)
{
	static struct ct_event ev;
	static const unsigned masks[] = { 0, 1 << CT_EV_NEW, 1 << CT_EV_DESTROY };
	enum { N = 3000, M = 1000 };
	static int64_t flow[N];
	char p[96], src[32];
	struct store *st;
	int64_t t = 1000000, session;
	size_t k;
	int i, ok = 1;

	snprintf(p, sizeof(p), "%s/ended.db", dir);
	st = store_open(p, STORE_WRITE);
	CHECK(st != NULL);
	if (!st)
		return;
	session = store_session_start(st, "record", NULL, t);
	ok &= session > 0 && store_begin(st) == 0;
	for (i = 0; i < N; i++) {
		snprintf(src, sizeof(src), "10.3.%d.%d", i >> 8, i & 255);
		make(&ev, CT_EV_NEW, src, t += 10);
		ok &= (flow[i] = store_flow_insert(st, session, &ev, 0)) > 0;
		ok &= store_event_insert(st, flow[i], &ev) == 0;
	}
	for (i = N - 1; i >= 0; i--) {
		snprintf(src, sizeof(src), "10.3.%d.%d", i >> 8, i & 255);
		make(&ev, CT_EV_DESTROY, src, t += 10);
		ok &= store_event_insert(st, flow[i], &ev) == 0;
		ok &= store_flow_end(st, flow[i], 1000000 + 10 * (i + 1), t, 1, &ev) == 0;
	}
	for (i = 0; i < M; i++) {
		int64_t unknown;

		snprintf(src, sizeof(src), "10.4.%d.%d", i >> 8, i & 255);
		make(&ev, CT_EV_NEW, src, t += 10);
		ok &= (unknown = store_flow_insert(st, session, &ev, 0)) > 0;
		ok &= store_event_insert(st, unknown, &ev) == 0;
		make(&ev, CT_EV_UPDATE, src, t += 10);
		ok &= store_event_insert(st, unknown, &ev) == 0;
		ok &= store_flow_end(st, unknown, t - 10, t + 5, 2, NULL) == 0;
	}
	ok &= store_commit(st) == 0;
	store_close(st);
	CHECK(ok);
	st = store_open(p, STORE_READ);
	CHECK(st != NULL);
	for (k = 0; st && k < sizeof(masks) / sizeof(*masks); k++) {
		struct store_query q = { .type_mask = masks[k] };
		struct store_cursor *c = store_events(st, &q);
		int64_t f;
		long n = 0;
		int rc;

		CHECK(c != NULL);
		if (!c)
			break;
		while ((rc = store_next(c, &ev, &f)) > 0)
			n++;
		CHECK(rc == 0 && n == (masks[k] == 1 << CT_EV_NEW ? N + M :
				       masks[k] ? N : 2 * N + 2 * M));
		CHECK(c->cache.n - c->cache.nfree == 0);
		if (c->cache.n - c->cache.nfree)
			fprintf(stderr, "  type mask %#x: %zu ended flows left in the cache\n",
				masks[k], c->cache.n - c->cache.nfree);
		store_cursor_free(c);
	}
	store_close(st);
}

int main(void)
{
	if (unit_tmpdir(dir, "flows.db", path, sizeof(path)))
		return 1;
	CHECK(write_history() == 0);
	test_both_ends();
	test_flow_events((const long[NTARGET]){ 2, 10, 3, 1202 });
	test_where();
	test_count_too_high();
	test_cache_of_ended();
	test_flow_events_no_last();
	return unit_rmdir(dir, unit_done("t_events"));
}
