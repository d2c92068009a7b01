/* A randomized model check of the store: flows, events and ends written with commits, rollbacks, folds, retention, restarts, a second writer and a crash in between, and what readers see compared each time with a plain model of the same history. */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sqlite3.h>

#include "store.h"
#include "store_flows.h"
#include "store_prune.h"
#include "store_query.h"
#include "store_sql.h"
#include "unit.h"

/* The model of one flow: what the flows table should say of it, and its tuple. */
struct mflow {
	int64_t id, first_us, last_us, end_us;
	int64_t pkts_o, bytes_o, pkts_r, bytes_r;
	uint32_t status, mark;
	int nevents, end_kind, state;
	unsigned has;		/* CT_HAS_STATUS, _MARK, _STATE, _COUNTERS_ORIG, _COUNTERS_REPLY */
	int v6, proto, addr, dport, sport;
	int owner;		/* the writer that made it, and writes its events */
	int imported;		/* made by the import session (writer 1) */
};

/* The model of one stored event. */
struct mevent {
	int64_t flow, t_us;
	int type, has_status;
	uint32_t status;
};

/* What one check asks the readers: alive at instants, a source address, a
 * destination port within a window, and the events of some flows. */
struct probe {
	int64_t at[3], since, until, flow[3];
	int v6, addr, dport, all_events;
};

/* A write undone by a rollback: flow ix as it was before. */
struct undo {
	size_t ix;
	struct mflow old;
};

static char dir[] = "/tmp/ct-model-XXXXXX";
static char path[64];
static struct store *st;
static int64_t session, now_us = 1764000000000000LL;
static int writer;		/* which writer st is (two_writers_phase) */
static uint64_t rs = 0x2545f4914f6cdd1dULL;

static struct mflow *fl;	/* in id order: ids are handed out in turn */
static size_t nfl, capfl;
static struct mevent *evs;
static size_t nev, capev;
static size_t *open_ix, nopen, capopen;	/* indices in fl of flows not ended */
static struct undo *undo;
static size_t nundo, capundo;
static size_t txn_nfl, txn_nev;	/* the model's size when the transaction began */

static const int dports[] = { 53, 80, 443, 8080 };

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static int coin(int pct)
{
	return (int)(rnd() % 100) < pct;
}

/* Grows *p (of *cap elements of size) to hold n; aborts when memory is out. */
static void grow(void *p, size_t *cap, size_t n, size_t size)
{
	void **pp = p;

	if (n <= *cap)
		return;
	*cap = *cap ? *cap * 2 : 1024;
	if (*cap < n)
		*cap = n;
	if (!(*pp = realloc(*pp, *cap * size))) {
		perror("realloc");
		abort();
	}
}

/* A growing text, for what the model expects and what a reader got. */
struct text {
	char *s;
	size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL, t->cap - t->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < t->cap - t->len)
			break;
		t->cap = t->cap ? t->cap * 2 : 65536;
		if (!(t->s = realloc(t->s, t->cap))) {
			perror("realloc");
			abort();
		}
	}
	t->len += (size_t)n;
}

static void tuple(struct ct_tuple *t, const struct mflow *f, int reply)
{
	uint8_t a[16] = { 0 }, b[16] = { 0 };

	t->l3 = f->v6 ? AF_INET6 : AF_INET;
	t->proto = (uint8_t)f->proto;
	if (f->v6) {
		a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8, a[15] = (uint8_t)(1 + f->addr);
		memcpy(b, a, 16);
		b[15] = 0xff;
	} else {
		a[0] = 10, a[3] = (uint8_t)(1 + f->addr);
		b[0] = 10, b[1] = 9, b[3] = 1;
	}
	memcpy(t->src, reply ? b : a, 16);
	memcpy(t->dst, reply ? a : b, 16);
	t->has_ports = 1;
	t->sport = (uint16_t)(reply ? f->dport : f->sport);
	t->dport = (uint16_t)(reply ? f->sport : f->dport);
}

static void make_event(struct ct_event *ev, const struct mflow *f, int type)
{
	memset(ev, 0, sizeof(*ev));
	now_us += (int64_t)(rnd() % 400);
	ev->type = type;
	ev->t_us = now_us;
	ev->family = f->v6 ? AF_INET6 : AF_INET;
	tuple(&ev->orig, f, 0);
	tuple(&ev->reply, f, 1);
	ev->has = CT_HAS_ID;
	ev->id = (uint32_t)(f->sport * 7919u + (uint32_t)f->addr);
	if (coin(40)) {
		ev->has |= CT_HAS_STATUS;
		ev->status = (uint32_t)(rnd() % 1024);
	}
	if (coin(15)) {
		ev->has |= CT_HAS_MARK;
		ev->mark = (uint32_t)rnd();
	}
	if (coin(30)) {
		ev->has |= CT_HAS_STATE;
		ev->state = (uint8_t)(rnd() % 10);
	}
}

/* Keeps flow ix as it is, for a rollback (flows new in the transaction go
 * with it anyway). */
static void remember(size_t ix)
{
	if (ix >= txn_nfl)
		return;
	grow(&undo, &capundo, nundo + 1, sizeof(*undo));
	undo[nundo].ix = ix;
	undo[nundo++].old = fl[ix];
}

/* The model's side of storing ev for flow f. */
static void model_event(struct mflow *f, const struct ct_event *ev)
{
	if (!f->nevents || ev->t_us > f->last_us)
		f->last_us = ev->t_us;
	f->nevents++;
	if (ev->has & CT_HAS_STATUS) {
		f->status = ev->status;
		f->has |= CT_HAS_STATUS;
	}
	if (ev->has & CT_HAS_MARK) {
		f->mark = ev->mark;
		f->has |= CT_HAS_MARK;
	}
	if (ev->has & CT_HAS_STATE) {	/* the last known state, from any event */
		f->state = ev->state;
		f->has |= CT_HAS_STATE;
	}
	grow(&evs, &capev, nev + 1, sizeof(*evs));
	/* (its padding too: crash_phase sends the model through a pipe) */
	memset(&evs[nev], 0, sizeof(*evs));
	evs[nev].flow = f->id;
	evs[nev].t_us = ev->t_us;
	evs[nev].type = ev->type;
	evs[nev].has_status = !!(ev->has & CT_HAS_STATUS);
	evs[nev].status = ev->status;
	nev++;
}

static void op_new(void)
{
	struct mflow f = { 0 };
	struct ct_event ev;

	f.v6 = coin(30);
	f.proto = coin(50) ? 6 : 17;
	f.addr = (int)(rnd() % 6);
	f.dport = dports[rnd() % 4];
	f.sport = 1024 + (int)(rnd() % 60000);
	f.owner = writer;
	f.imported = writer == 1;
	make_event(&ev, &f, CT_EV_NEW);
	f.id = store_flow_insert(st, session, &ev, 0);
	CHECK(f.id > (nfl ? fl[nfl - 1].id : 0));
	if (f.id <= (nfl ? fl[nfl - 1].id : 0))
		return;		/* (reported) */
	CHECK(store_event_insert(st, f.id, &ev) == 0);
	f.first_us = ev.t_us;
	model_event(&f, &ev);
	grow(&fl, &capfl, nfl + 1, sizeof(*fl));
	fl[nfl] = f;
	grow(&open_ix, &capopen, nopen + 1, sizeof(*open_ix));
	open_ix[nopen++] = nfl++;
}

/* An open flow of this writer at random (its place in open_ix in *k), or
 * -1 when a few tries find none. */
static long pick_open(size_t *k)
{
	int tries;

	for (tries = 0; nopen && tries < 32; tries++) {
		*k = rnd() % nopen;
		if (fl[open_ix[*k]].owner == writer)
			return (long)open_ix[*k];
	}
	return -1;
}

static void op_update(void)
{
	struct ct_event ev;
	size_t k;
	long ix = pick_open(&k);

	if (ix < 0)
		return;
	remember((size_t)ix);
	make_event(&ev, &fl[ix], CT_EV_UPDATE);
	CHECK(store_event_insert(st, fl[ix].id, &ev) == 0);
	model_event(&fl[ix], &ev);
}

/* Ends an open flow: destroyed (with an event that may carry its final
 * state and counters) or end unknown (no event). */
static void op_end(int destroyed)
{
	struct ct_event ev;
	struct mflow *f;
	size_t k;
	long ix = pick_open(&k);

	if (ix < 0)
		return;
	remember((size_t)ix);
	f = &fl[ix];
	if (destroyed) {
		make_event(&ev, f, CT_EV_DESTROY);
		if (coin(60)) {
			ev.has |= CT_HAS_STATE;
			ev.state = (uint8_t)(rnd() % 10);
		}
		if (coin(70)) {
			ev.has |= CT_HAS_COUNTERS_ORIG | CT_HAS_COUNTERS_REPLY;
			ev.pkts_orig = rnd() % 100000;
			ev.bytes_orig = rnd() % 100000000;
			ev.pkts_reply = rnd() % 1000;
			ev.bytes_reply = rnd() % 1000000;
		}
		CHECK(store_event_insert(st, f->id, &ev) == 0);
		CHECK(store_flow_end(st, f->id, f->first_us, ev.t_us, 1, &ev) == 0);
		model_event(f, &ev);
		if (ev.has & CT_HAS_COUNTERS_ORIG) {
			f->pkts_o = (int64_t)ev.pkts_orig;
			f->bytes_o = (int64_t)ev.bytes_orig;
			f->pkts_r = (int64_t)ev.pkts_reply;
			f->bytes_r = (int64_t)ev.bytes_reply;
			f->has |= CT_HAS_COUNTERS_ORIG | CT_HAS_COUNTERS_REPLY;
		}
		f->end_us = ev.t_us;
	} else {
		now_us += (int64_t)(rnd() % 400);
		CHECK(store_flow_end(st, f->id, f->first_us, now_us, 2, NULL) == 0);
		f->end_us = now_us;
	}
	f->end_kind = destroyed ? 1 : 2;
	open_ix[k] = open_ix[--nopen];
}

static void list_open(void)
{
	size_t i;

	nopen = 0;
	for (i = 0; i < nfl; i++)
		if (!fl[i].end_kind) {
			grow(&open_ix, &capopen, nopen + 1, sizeof(*open_ix));
			open_ix[nopen++] = i;
		}
}

/* The model's side of a transaction that begins: what a rollback goes back to. */
static void began(void)
{
	nundo = 0;
	txn_nfl = nfl;
	txn_nev = nev;
}

/* Commits, and begins the next transaction when again. */
static void commit(int again)
{
	CHECK(store_commit(st) == 0);
	began();
	if (again)
		CHECK(store_begin(st) == 0);
}

static void rollback(int again)
{
	store_rollback(st);
	while (nundo) {
		nundo--;
		fl[undo[nundo].ix] = undo[nundo].old;
	}
	nfl = txn_nfl;
	nev = txn_nev;
	list_open();
	if (again)
		CHECK(store_begin(st) == 0);
}

/* One random write (or none) in the open transaction. */
static void step(void)
{
	int r = (int)(rnd() % 100);

	if (r < 30 || nopen < 8)
		op_new();
	else if (r < 65)
		op_update();
	else if (r < 95)
		op_end(1);
	else
		op_end(2);
}

static struct mflow *flow_by_id(int64_t id)
{
	size_t lo = 0, hi = nfl;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (fl[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nfl && fl[lo].id == id ? &fl[lo] : NULL;
}

static int sport_of(int64_t id)
{
	const struct mflow *f = flow_by_id(id);

	return f ? f->sport : -1;
}

static int alive(const struct mflow *f, int64_t lo, int64_t hi)
{
	return f->first_us <= hi && (!f->end_kind || f->end_us >= lo);
}

static void put_opt(struct text *t, int set, int64_t v)
{
	if (set)
		put(t, " %lld", (long long)v);
	else
		put(t, " -");
}

static void put_event(struct text *t, int64_t flow, int type, int64_t t_us, int has_status,
		      uint32_t status, int sport)
{
	put(t, "  %lld %d %lld", (long long)flow, type, (long long)t_us);
	put_opt(t, has_status, status);
	put(t, " %d\n", sport);
}

/* What the model says a reader must see for probe p. */
static void expect(const struct probe *p, struct text *t)
{
	size_t i, j;

	t->len = 0;
	put(t, "flows\n");
	for (i = 0; i < nfl; i++) {
		const struct mflow *f = &fl[i];

		put(t, "  %lld %lld", (long long)f->id, (long long)f->first_us);
		put_opt(t, f->end_kind, f->end_us);
		put_opt(t, f->end_kind, f->end_kind);
		put(t, " %d %lld", f->nevents, (long long)f->last_us);
		put_opt(t, f->has & CT_HAS_STATUS, f->status);
		put_opt(t, f->has & CT_HAS_MARK, f->mark);
		put_opt(t, f->has & CT_HAS_STATE, f->state);
		put_opt(t, f->has & CT_HAS_COUNTERS_ORIG, f->pkts_o);
		put_opt(t, f->has & CT_HAS_COUNTERS_ORIG, f->bytes_o);
		put_opt(t, f->has & CT_HAS_COUNTERS_REPLY, f->pkts_r);
		put_opt(t, f->has & CT_HAS_COUNTERS_REPLY, f->bytes_r);
		put(t, "\n");
	}
	for (j = 0; j < 3; j++) {
		put(t, "alive at %lld:", (long long)p->at[j]);
		for (i = 0; i < nfl; i++)
			if (alive(&fl[i], p->at[j], p->at[j]))
				put(t, " %lld", (long long)fl[i].id);
		put(t, "\n");
	}
	put(t, "source %d/%d:", p->v6, p->addr);
	for (i = 0; i < nfl; i++)
		if (fl[i].v6 == p->v6 && fl[i].addr == p->addr)
			put(t, " %lld", (long long)fl[i].id);
	put(t, "\ndport %d in [%lld, %lld]:", p->dport, (long long)p->since, (long long)p->until);
	for (i = 0; i < nfl; i++)
		if (fl[i].dport == p->dport && alive(&fl[i], p->since, p->until))
			put(t, " %lld", (long long)fl[i].id);
	put(t, "\n");
	for (j = 0; j < 3; j++) {
		put(t, "events of %lld\n", (long long)p->flow[j]);
		for (i = 0; i < nev; i++)
			if (evs[i].flow == p->flow[j])
				put_event(t, evs[i].flow, evs[i].type, evs[i].t_us, evs[i].has_status,
					  evs[i].status, sport_of(evs[i].flow));
	}
	/* the events of many flows: a filter a large history reads otherwise */
	put(t, "events from source %d/%d\n", p->v6, p->addr);
	for (i = 0; i < nev; i++) {
		const struct mflow *f = flow_by_id(evs[i].flow);

		if (f && f->v6 == p->v6 && f->addr == p->addr)
			put_event(t, evs[i].flow, evs[i].type, evs[i].t_us, evs[i].has_status,
				  evs[i].status, sport_of(evs[i].flow));
	}
	if (p->all_events) {
		put(t, "events\n");
		for (i = 0; i < nev; i++)
			put_event(t, evs[i].flow, evs[i].type, evs[i].t_us, evs[i].has_status,
				  evs[i].status, sport_of(evs[i].flow));
	}
}

/* The ids a query on flows returns, on one line. */
static void put_ids(struct store *rd, struct text *t, const struct store_query *q)
{
	sqlite3_stmt *s = store_query_prepare(rd, q, "SELECT f.id", "ORDER BY f.id");

	CHECK(s != NULL);
	while (s && sqlite3_step(s) == SQLITE_ROW)
		put(t, " %lld", (long long)sqlite3_column_int64(s, 0));
	put(t, "\n");
	sqlite3_finalize(s);
}

static void put_events(struct store *rd, struct text *t, const struct store_query *q)
{
	struct store_cursor *c = store_events(rd, q);
	struct ct_event ev;
	int64_t flow;
	int rc = -1;

	CHECK(c != NULL);
	while (c && (rc = store_next(c, &ev, &flow)) > 0)
		put_event(t, flow, ev.type, ev.t_us, !!(ev.has & CT_HAS_STATUS), ev.status,
			  ev.orig.sport);
	CHECK(rc == 0);
	store_cursor_free(c);
}

/* What reader rd sees for probe p, in expect()'s form. */
static void observe(struct store *rd, const struct probe *p, struct text *t)
{
	const struct mflow src = { .v6 = p->v6, .addr = p->addr };	/* the source asked */
	struct ct_tuple tp;
	struct store_query q;
	sqlite3_stmt *s;
	size_t j;
	int col;

	t->len = 0;
	put(t, "flows\n");
	CHECK(sqlite3_prepare_v2(store_db(rd), "SELECT id, first_us, end_us, end_kind, nevents,"
				 " last_us, status, mark, state, o_packets, o_bytes, r_packets,"
				 " r_bytes FROM flows ORDER BY id", -1, &s, NULL) == SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		put(t, " ");
		for (col = 0; col < 13; col++)
			put_opt(t, sqlite3_column_type(s, col) != SQLITE_NULL,
				sqlite3_column_int64(s, col));
		put(t, "\n");
	}
	sqlite3_finalize(s);
	for (j = 0; j < 3; j++) {
		memset(&q, 0, sizeof(q));
		q.pf = STORE_PF_AT;
		q.at_us = p->at[j];
		put(t, "alive at %lld:", (long long)p->at[j]);
		put_ids(rd, t, &q);
	}
	memset(&q, 0, sizeof(q));
	tuple(&tp, &src, 0);
	q.src.len = p->v6 ? 16 : 4;
	memcpy(q.src.lo, tp.src, 16);
	memcpy(q.src.hi, tp.src, 16);
	put(t, "source %d/%d:", p->v6, p->addr);
	put_ids(rd, t, &q);
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_DPORT | STORE_PF_SINCE | STORE_PF_UNTIL;
	q.dport = p->dport;
	q.since_us = p->since;
	q.until_us = p->until;
	put(t, "dport %d in [%lld, %lld]:", p->dport, (long long)p->since, (long long)p->until);
	put_ids(rd, t, &q);
	for (j = 0; j < 3; j++) {
		memset(&q, 0, sizeof(q));
		q.pf = STORE_PF_FLOW;
		q.flow = p->flow[j];
		put(t, "events of %lld\n", (long long)p->flow[j]);
		put_events(rd, t, &q);
	}
	memset(&q, 0, sizeof(q));
	q.src.len = p->v6 ? 16 : 4;
	memcpy(q.src.lo, tp.src, 16);
	memcpy(q.src.hi, tp.src, 16);
	put(t, "events from source %d/%d\n", p->v6, p->addr);
	put_events(rd, t, &q);
	if (p->all_events) {
		memset(&q, 0, sizeof(q));
		put(t, "events\n");
		put_events(rd, t, &q);
	}
}

static void make_probe(struct probe *p, int all_events)
{
	int64_t t0 = nfl ? fl[0].first_us : now_us;
	size_t j;

	/* anywhere in the history, and near its end, where changes wait */
	for (j = 0; j < 3; j++) {
		p->at[j] = j ? now_us - (int64_t)(rnd() % 300000) :
			       t0 + (int64_t)(rnd() % (uint64_t)(now_us - t0 + 1));
		p->flow[j] = nfl ? fl[j ? nfl - 1 - rnd() % (nfl < 500 ? nfl : 500) :
					  rnd() % nfl].id : 1;
	}
	p->since = coin(50) ? now_us - (int64_t)(rnd() % 300000) :
			      t0 + (int64_t)(rnd() % (uint64_t)(now_us - t0 + 1));
	p->until = p->since + (int64_t)(rnd() % 200000);
	p->v6 = coin(30);
	p->addr = (int)(rnd() % 6);
	p->dport = dports[rnd() % 4];
	p->all_events = all_events;
}

/* Reports where two texts part (60 bytes of each from there), and whether
 * they do. With MODEL_DUMP set in the environment, the whole texts go to
 * /tmp/model.want and /tmp/model.got (the last pair that differed). */
static int differ(const char *what, const struct text *want, const struct text *got)
{
	size_t i = 0;

	if (want->len == got->len && (!want->len || !memcmp(want->s, got->s, want->len)))
		return 0;
	while (i < want->len && i < got->len && want->s[i] == got->s[i])
		i++;
	if (getenv("MODEL_DUMP")) {
		FILE *a = fopen("/tmp/model.want", "w"), *b = fopen("/tmp/model.got", "w");

		fwrite(want->s, 1, want->len, a);
		fwrite(got->s, 1, got->len, b);
		fclose(a);
		fclose(b);
	}
	i = i > 20 ? i - 20 : 0;
	fprintf(stderr, "  %s: from byte %zu the model says\n    \"%.*s\"\n"
		"  the reader saw\n    \"%.*s\"\n", what, i,
		(int)(want->len - i < 60 ? want->len - i : 60), want->s ? want->s + i : "",
		(int)(got->len - i < 60 ? got->len - i : 60), got->s ? got->s + i : "");
	return 1;
}

/* A reader opened now sees what the model says (committed state only: call
 * it right after a commit). */
static void check_new_reader(const char *what, int all_events)
{
	static struct text want, got;
	struct probe p;
	struct store *rd = store_open(path, STORE_READ);

	CHECK(rd != NULL);
	if (!rd)
		return;
	make_probe(&p, all_events);
	expect(&p, &want);
	observe(rd, &p, &got);
	CHECK(!differ(what, &want, &got));
	/* again as a large history is read: the matching flows' ids in a
	 * bitmap, their rows loaded as their events come */
	setenv("CT_MATCH_ROWS_MAX", "1", 1);
	observe(rd, &p, &got);
	CHECK(!differ(what, &want, &got));
	unsetenv("CT_MATCH_ROWS_MAX");
	store_close(rd);
}

static int note_open(int64_t flow, const struct ct_event *ev, void *data)
{
	(void)ev;
	put(data, " %lld", (long long)flow);
	return 0;
}

/* The model's open flows: all of them (as open_ranges lists them), or as
 * store_each_open_flow() should list them, a recorder's only. */
static void expect_open(struct text *t, int recorded_only)
{
	size_t i;

	t->len = 0;
	for (i = 0; i < nfl; i++)
		if (!fl[i].end_kind && !(recorded_only && fl[i].imported))
			put(t, " %lld", (long long)fl[i].id);
}

/* Closes the writer (which folds) and opens it again as a restarted
 * recorder would: its open flows must be the model's. */
static void restart(void)
{
	static struct text want, got;
	struct store *rd;
	sqlite3_stmt *s = NULL;

	CHECK(store_commit(st) == 0);
	store_close(st);
	/* closed: nothing waits, so open_ranges lists the open flows exactly */
	expect_open(&want, 0);
	got.len = 0;
	rd = store_open(path, STORE_READ);
	CHECK(rd && sqlite3_prepare_v2(store_db(rd), "SELECT id FROM " STORE_OPEN_FLOW_IDS " ORDER BY id",
				       -1, &s, NULL) == SQLITE_OK);
	while (rd && sqlite3_step(s) == SQLITE_ROW)
		put(&got, " %lld", (long long)sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
	store_close(rd);
	CHECK(!differ("open_ranges after a close", &want, &got));
	st = store_open(path, STORE_WRITE);
	CHECK(st != NULL);
	if (!st)
		exit(unit_done("t_store_model"));
	session = store_session_start(st, "record", NULL, now_us);
	CHECK(session > 0);
	expect_open(&want, 1);
	got.len = 0;
	CHECK(store_each_open_flow(st, note_open, &got) == 0);
	CHECK(!differ("open flows after a restart", &want, &got));
	began();
	CHECK(store_begin(st) == 0);
}

/* Random transactions: mostly small, some rolled back, some with a fold
 * first; readers check after some commits, and one old reader keeps its
 * snapshot across many. */
static void random_phase(int txns)
{
	static struct text old_want, got;
	struct probe old_probe;
	struct store *old = NULL;
	int i, n;

	for (i = 0; i < txns; i++) {
		if (coin(5))
			CHECK(store_fold(st) == 0);
		for (n = (int)(rnd() % (coin(10) ? 3000 : 200)); n > 0; n--)
			step();
		if (coin(4)) {
			rollback(1);
			continue;
		}
		commit(1);
		if (i % 40 == 0)
			check_new_reader("a new reader", i % 160 == 0);
		if (i % 60 == 10 && !old) {
			old = store_open(path, STORE_READ);
			CHECK(old != NULL);
			make_probe(&old_probe, 0);
			expect(&old_probe, &old_want);
		} else if (i % 60 == 50 && old) {
			/* its snapshot, whatever was committed and folded since */
			observe(old, &old_probe, &got);
			CHECK(!differ("an old reader", &old_want, &got));
			CHECK(store_read_snapshot(old) == 0);
			expect(&old_probe, &old_want);
			observe(old, &old_probe, &got);
			CHECK(!differ("an old reader's next snapshot", &old_want, &got));
			store_close(old);
			old = NULL;
		}
		/* (not under an old reader: closing would wait for it to checkpoint) */
		if (!old && coin(3))
			restart();
	}
	store_close(old);
}

/* Transactions larger than the store holds in memory (new flows, changes),
 * rolled back and then committed; then enough changes between commits to
 * fold by their number. */
static void big_phase(void)
{
	int i, k;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < 20000; i++)
			op_new();
		for (i = 0; i < 20000; i++)
			op_update();
		for (i = 0; i < 3000; i++)
			op_end(coin(90));
		if (k == 0)
			rollback(1);
		else
			commit(1);
	}
	check_new_reader("after a big transaction", 1);
	CHECK(store_fold(st) == 0);
	commit(1);
	for (k = 0; k < 8; k++) {
		for (i = 0; i < 9000; i++)
			op_update();
		for (i = 0; i < 300; i++)
			op_end(1);
		commit(1);
	}
	check_new_reader("after many changes", 1);
}

/* Retention between two transactions, as the recorder runs it: the ends
 * folded first, then the flows that ended before an instant go with their
 * events, and whole blocks of older events. The model keeps what the store
 * says it kept of the events older than that instant (whole blocks go), and
 * checks that it kept every newer one of the flows left. */
static void prune_phase(void)
{
	struct prune_result r;
	int64_t t0 = nfl ? fl[0].first_us : now_us, before = t0 + (now_us - t0) / 3;
	uint8_t *kept = calloc(nev + 1, 1);
	sqlite3_stmt *s = NULL;
	size_t i, j, newer_lost = 0;
	int64_t flows = 0, events = 0;

	CHECK(store_fold(st) == 0);
	commit(0);
	do {
		CHECK(store_prune_step(st, before, 5000, now_us, &r) == 0);
		flows += r.flows;
		events += r.events;
	} while (r.flows + r.events > 0);
	CHECK(flows > 0 && events > 0);		/* or this tested nothing */
	/* the events left: event ids are handed out in turn, the i-th is i + 1 */
	CHECK(kept && sqlite3_prepare_v2(store_db(st), "SELECT first_event, n FROM event_blocks",
					 -1, &s, NULL) == SQLITE_OK);
	while (kept && s && sqlite3_step(s) == SQLITE_ROW)
		for (i = 0; i < (size_t)sqlite3_column_int64(s, 1); i++) {
			size_t id = (size_t)sqlite3_column_int64(s, 0) + i;

			if (id >= 1 && id <= nev)
				kept[id - 1] = 1;
		}
	sqlite3_finalize(s);
	for (i = j = 0; kept && i < nev; i++) {
		const struct mflow *f = flow_by_id(evs[i].flow);
		int gone = f->end_kind && f->end_us < before;

		if (!gone && !kept[i] && evs[i].t_us >= before)
			newer_lost++;
		if (!gone && kept[i])
			evs[j++] = evs[i];
	}
	CHECK(newer_lost == 0);
	if (kept)
		nev = j;
	for (i = j = 0; i < nfl; i++)
		if (!(fl[i].end_kind && fl[i].end_us < before))
			fl[j++] = fl[i];
	nfl = j;
	free(kept);
	list_open();
	check_new_reader("after retention", 1);
	CHECK(store_begin(st) == 0);
	began();
}

/* A second writer on the same database (an import while ctrecord records):
 * the two take turns, each writing its own flows; each folds, now and then,
 * the changes both left waiting. */
static void two_writers_phase(void)
{
	struct store *w[2];
	int64_t sess[2];
	size_t k;
	int i, n;

	CHECK(store_commit(st) == 0);
	w[0] = st;
	sess[0] = session;
	w[1] = store_open(path, STORE_WRITE);
	CHECK(w[1] != NULL);
	if (!w[1]) {
		CHECK(store_begin(st) == 0);
		return;
	}
	sess[1] = store_session_start(w[1], "import", "model", now_us);
	CHECK(sess[1] > 0);
	for (i = 0; i < 200; i++) {
		writer = (int)(rnd() % 2);
		st = w[writer];
		session = sess[writer];
		CHECK(store_begin(st) == 0);
		began();
		if (coin(10))
			CHECK(store_fold(st) == 0);
		for (n = (int)(rnd() % 200); n > 0; n--)
			step();
		if (coin(5))
			rollback(0);
		else
			commit(0);
		if (i % 30 == 0)
			check_new_reader("two writers", i % 90 == 0);
	}
	store_close(w[1]);	/* folds all that waits, the other's changes too */
	st = w[0];
	session = sess[0];
	writer = 0;
	for (k = 0; k < nfl; k++)
		fl[k].owner = 0;
	check_new_reader("two writers, one closed", 1);
	CHECK(store_begin(st) == 0);
	began();
}

/* Reads the model a child wrote (crash_phase). Returns 1, or 0 (reported). */
static int read_model(int fd)
{
	FILE *in = fdopen(fd, "r");
	size_t n = 0, m = 0;
	int ok = in && fread(&now_us, sizeof(now_us), 1, in) == 1 &&
		 fread(&n, sizeof(n), 1, in) == 1;

	if (ok) {
		grow(&fl, &capfl, n, sizeof(*fl));
		ok = fread(fl, sizeof(*fl), n, in) == n && fread(&m, sizeof(m), 1, in) == 1;
	}
	if (ok) {
		grow(&evs, &capev, m, sizeof(*evs));
		ok = fread(evs, sizeof(*evs), m, in) == m;
	}
	if (in)
		fclose(in);
	CHECK(ok);
	nfl = ok ? n : 0;
	nev = ok ? m : 0;
	return ok;
}

/* A recorder killed with changes waiting: a child writes, commits and dies
 * without closing; a reader, a restarted writer and its fold must agree
 * with the model the child had. */
static void crash_phase(void)
{
	static struct text want_open, got;
	pid_t pid;
	int status, fd[2], ok;

	CHECK(store_commit(st) == 0);
	store_close(st);
	st = NULL;
	CHECK(pipe(fd) == 0);
	pid = fork();
	if (pid == 0) {
		int i;

		close(fd[0]);
		st = store_open(path, STORE_WRITE);
		if (!st || (session = store_session_start(st, "record", NULL, now_us)) < 0 ||
		    store_begin(st))
			_exit(1);
		began();
		for (i = 0; i < 37; i++) {
			int n;

			for (n = 0; n < 150; n++)
				step();
			commit(1);
		}
		store_rollback(st);
		/* the model as the child left it: the parent's from here on */
		if (write(fd[1], &now_us, sizeof(now_us)) != sizeof(now_us) ||
		    write(fd[1], &nfl, sizeof(nfl)) != sizeof(nfl) ||
		    write(fd[1], fl, nfl * sizeof(*fl)) != (ssize_t)(nfl * sizeof(*fl)) ||
		    write(fd[1], &nev, sizeof(nev)) != sizeof(nev))
			_exit(1);
		for (i = 0; i < (int)nev; i += 4096) {
			size_t n = nev - (size_t)i < 4096 ? nev - (size_t)i : 4096;

			if (write(fd[1], evs + i, n * sizeof(*evs)) != (ssize_t)(n * sizeof(*evs)))
				_exit(1);
		}
		_exit(unit_failures ? 1 : 0);
	}
	close(fd[1]);
	ok = read_model(fd[0]);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	if (!ok)
		return;
	list_open();
	check_new_reader("after the crash", 1);
	st = store_open(path, STORE_WRITE);
	CHECK(st != NULL);
	if (!st)
		return;
	expect_open(&want_open, 1);
	got.len = 0;
	CHECK(store_each_open_flow(st, note_open, &got) == 0);
	CHECK(!differ("open flows after the crash", &want_open, &got));
	CHECK(store_begin(st) == 0);
	CHECK(store_pending_changes(st) > 0);	/* or the crash tested nothing */
	store_rollback(st);
	store_close(st);	/* folds */
	st = NULL;
	check_new_reader("after the crash, folded", 1);
}

int main(void)
{
	if (unit_tmpdir(dir, "model.db", path, sizeof(path)))
		return 1;
	st = store_open(path, STORE_WRITE);
	CHECK(st != NULL);
	if (!st)
		return unit_done("t_store_model");
	session = store_session_start(st, "record", NULL, now_us);
	CHECK(session > 0 && store_begin(st) == 0);
	random_phase(400);
	prune_phase();
	big_phase();
	random_phase(200);
	two_writers_phase();
	random_phase(60);
	crash_phase();
	printf("t_store_model: %zu flows, %zu events\n", nfl, nev);
	return unit_rmdir(dir, unit_done("t_store_model"));
}
