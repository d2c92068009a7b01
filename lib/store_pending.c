/* Changes to flows already written (later events, ends), held across commits and folded into their rows in id order; each flush's changes are also kept in flow_pending, so that neither a crash nor a reader misses them. */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "grow.h"
#include "log.h"
#include "radix_sort.h"
#include "varint.h"

#include "store_internal.h"

/* Fold when this many changes of flows are pending (with those not written
 * yet, fewer than FOLD_AT + STORE_CHANGES_FLUSH_AT: about 4 MiB; and a
 * reader applies fewer than FOLD_AT of them, about 12 ms), or at the
 * commit this many commits after the first of them (10 s of 100 ms
 * commits). A fold rewrites every page of flows its changes touch, and the
 * ends of a busy host's open flows touch them all: folding every tenth
 * commit wrote 124-142 bytes an event where this writes 86 (the bench's
 * steady host, tests/bench/steady.sh). */
#define FOLD_AT 32768
#define FOLD_COMMITS 100

/* What a coded change holds, in its flags. */
enum {
	PC_EVENTS = 1 << 0,	/* nevents, last_us */
	PC_STATUS = 1 << 1,
	PC_MARK = 1 << 2,
	PC_STATE = 1 << 3,
	PC_COUNTERS_ORIG = 1 << 4,
	PC_COUNTERS_REPLY = 1 << 5,
	PC_END_SHIFT = 6,	/* end_kind (0: none) in bits 6-7; then end_us, first_us */
};

void pchange_merge(struct pchange *into, const struct pchange *later)
{
	if (later->nevents) {
		if (!into->nevents || later->last_us > into->last_us)
			into->last_us = later->last_us;
		into->nevents += later->nevents;
	}
	if (later->has & CT_HAS_STATUS)
		into->status = later->status;
	if (later->has & CT_HAS_MARK)
		into->mark = later->mark;
	if (later->has & CT_HAS_STATE)
		into->state = later->state;
	if (later->has & CT_HAS_COUNTERS_ORIG) {
		into->pkts_orig = later->pkts_orig;
		into->bytes_orig = later->bytes_orig;
	}
	if (later->has & CT_HAS_COUNTERS_REPLY) {
		into->pkts_reply = later->pkts_reply;
		into->bytes_reply = later->bytes_reply;
	}
	into->has |= later->has & (CT_HAS_STATUS | CT_HAS_MARK | CT_HAS_STATE |
				   CT_HAS_COUNTERS_ORIG | CT_HAS_COUNTERS_REPLY);
	if (later->end_kind) {
		into->end_kind = later->end_kind;
		into->end_us = later->end_us;
		into->first_us = later->first_us;
	}
}

/* The coded form of a change: at most 1 + 10 varints. */
#define CODED_MAX (1 + 10 * VARINT_MAX)

/* Codes p after a change of flow prev at out (the id as a signed
 * difference: changes come in the order of their events); returns the end. */
static uint8_t *code(uint8_t *out, const struct pchange *p, int64_t prev)
{
	unsigned f = (p->nevents ? PC_EVENTS : 0) | (unsigned)p->end_kind << PC_END_SHIFT |
		     (p->has & CT_HAS_STATUS ? PC_STATUS : 0) | (p->has & CT_HAS_MARK ? PC_MARK : 0) |
		     (p->has & CT_HAS_STATE ? PC_STATE : 0) |
		     (p->has & CT_HAS_COUNTERS_ORIG ? PC_COUNTERS_ORIG : 0) |
		     (p->has & CT_HAS_COUNTERS_REPLY ? PC_COUNTERS_REPLY : 0);

	int64_t d = p->id - prev;

	out = varint_put(out, (uint64_t)d << 1 ^ (uint64_t)(d >> 63));	/* zigzag */
	out = varint_put(out, f);
	if (f & PC_EVENTS) {
		out = varint_put(out, (uint64_t)p->nevents);
		out = varint_put(out, (uint64_t)p->last_us);
	}
	if (p->end_kind) {
		out = varint_put(out, (uint64_t)p->end_us);
		out = varint_put(out, (uint64_t)p->first_us);
	}
	if (f & PC_STATUS)
		out = varint_put(out, p->status);
	if (f & PC_MARK)
		out = varint_put(out, p->mark);
	if (f & PC_STATE)
		out = varint_put(out, p->state);
	if (f & PC_COUNTERS_ORIG) {
		out = varint_put(out, p->pkts_orig);
		out = varint_put(out, p->bytes_orig);
	}
	if (f & PC_COUNTERS_REPLY) {
		out = varint_put(out, p->pkts_reply);
		out = varint_put(out, p->bytes_reply);
	}
	return out;
}

/* Decodes the start of a change at *in, after flow *prev: its flow into
 * *prev, what it holds into *f. Returns 0 or -1. */
static int decode_head(const uint8_t **in, const uint8_t *end, int64_t *prev, uint64_t *f)
{
	uint64_t d;

	if (varint_get(in, end, &d) || varint_get(in, end, f) || *f >> 8 ||
	    (*f >> PC_END_SHIFT) > 2)
		return -1;
	/* (a delta that passes 2^63: a damaged row, undefined in int64_t) */
	if (__builtin_add_overflow(*prev, (int64_t)(d >> 1) ^ -(int64_t)(d & 1), prev))
		return -1;
	return *prev > 0 ? 0 : -1;
}

/* Reads a varint at *in into *v, which must be at most max: the largest
 * its field holds (a larger one was cut to the field, silently). Returns 0,
 * or -1 (damaged). */
static int get_max(const uint8_t **in, const uint8_t *end, uint64_t max, uint64_t *v)
{
	return varint_get(in, end, v) || *v > max ? -1 : 0;
}

/* Moves *in past the values of a change holding f, checking what
 * decode_values() checks (a count of events from 1 to 2^63 - 1; status,
 * mark and state within their fields) and passing over the rest. Returns
 * 0, or -1 where decode_values() would. */
static int skip_values(const uint8_t **in, const uint8_t *end, uint64_t f)
{
	uint64_t v;

	if ((f & PC_EVENTS) && (get_max(in, end, INT64_MAX, &v) || !v))
		return -1;
	if (varint_skip(in, end, !!(f & PC_EVENTS) + (f >> PC_END_SHIFT ? 2 : 0)) ||
	    ((f & PC_STATUS) && get_max(in, end, UINT32_MAX, &v)) ||
	    ((f & PC_MARK) && get_max(in, end, UINT32_MAX, &v)) ||
	    ((f & PC_STATE) && get_max(in, end, UINT8_MAX, &v)))
		return -1;
	return varint_skip(in, end, (f & PC_COUNTERS_ORIG ? 2 : 0) + (f & PC_COUNTERS_REPLY ? 2 : 0));
}

/* Decodes the values of a change holding f at *in into p (of flow id).
 * Returns 0 or -1. */
static int decode_values(const uint8_t **in, const uint8_t *end, uint64_t f, int64_t id,
			 struct pchange *p)
{
	uint64_t v[2];

	memset(p, 0, sizeof(*p));
	p->id = id;
	p->end_kind = (uint8_t)(f >> PC_END_SHIFT);
	if (f & PC_EVENTS) {
		if (get_max(in, end, INT64_MAX, &v[0]) || !v[0] || varint_get(in, end, &v[1]))
			return -1;
		p->nevents = (int64_t)v[0];
		p->last_us = (int64_t)v[1];
	}
	if (p->end_kind) {
		if (varint_get(in, end, &v[0]) || varint_get(in, end, &v[1]))
			return -1;
		p->end_us = (int64_t)v[0];
		p->first_us = (int64_t)v[1];
	}
	if (f & PC_STATUS) {
		if (get_max(in, end, UINT32_MAX, &v[0]))
			return -1;
		p->status = (uint32_t)v[0];
		p->has |= CT_HAS_STATUS;
	}
	if (f & PC_MARK) {
		if (get_max(in, end, UINT32_MAX, &v[0]))
			return -1;
		p->mark = (uint32_t)v[0];
		p->has |= CT_HAS_MARK;
	}
	if (f & PC_STATE) {
		if (get_max(in, end, UINT8_MAX, &v[0]))
			return -1;
		p->state = (uint8_t)v[0];
		p->has |= CT_HAS_STATE;
	}
	if (f & PC_COUNTERS_ORIG) {
		if (varint_get(in, end, &v[0]) || varint_get(in, end, &v[1]))
			return -1;
		p->pkts_orig = v[0];
		p->bytes_orig = v[1];
		p->has |= CT_HAS_COUNTERS_ORIG;
	}
	if (f & PC_COUNTERS_REPLY) {
		if (varint_get(in, end, &v[0]) || varint_get(in, end, &v[1]))
			return -1;
		p->pkts_reply = v[0];
		p->bytes_reply = v[1];
		p->has |= CT_HAS_COUNTERS_REPLY;
	}
	return 0;
}

/* Decodes one change at *in (after flow *prev) into p. Returns 0 or -1. */
static int decode(const uint8_t **in, const uint8_t *end, int64_t *prev, struct pchange *p)
{
	uint64_t f;

	return decode_head(in, end, prev, &f) || decode_values(in, end, f, *prev, p) ? -1 : 0;
}

/* What decode_row() calls for each change. */
struct row_fn {
	int (*fn)(const struct pchange *c, void *arg);
	void *arg;
};

/* What a row's reader returns when the row is damaged (not reported:
 * read_rows() says which row). */
#define DAMAGED (-2)

/* Decodes a flow_pending row's data, calling fn for each change in turn.
 * Returns 0, DAMAGED, or fn's -1. */
static int decode_row(const uint8_t *data, size_t len, void *arg)
{
	const struct row_fn *r = arg;
	const uint8_t *p = data, *end = p + len;
	int64_t prev = 0;
	struct pchange c;

	while (p < end) {
		if (decode(&p, end, &prev, &c))
			return DAMAGED;
		if (r->fn(&c, r->arg))
			return -1;
	}
	return 0;
}

/* Reads flow_pending's rows in order, calling row() with each one's data;
 * sets *rows and *last (its last seq). Returns 0, or -1 (reported) when
 * SQLite fails or row() returns -1 (reported by it) or DAMAGED. */
static int read_rows(struct store *st, int (*row)(const uint8_t *data, size_t len, void *arg),
		     void *arg, int64_t *rows, int64_t *last)
{
	sqlite3_stmt *s;
	int rc;

	*rows = *last = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT seq, data FROM main.flow_pending ORDER BY seq",
			       -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read the changes of flows");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int r;

		++*rows;
		*last = sqlite3_column_int64(s, 0);
		r = row(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), arg);
		if (r == DAMAGED)
			log_error("row %lld of flow_pending in '%s' is damaged: the changes of flows in"
				  " it cannot be read (their events are intact); to go on without them:"
				  " sqlite3 '%s' 'DELETE FROM flow_pending WHERE seq = %lld'",
				  (long long)*last, st->path, st->path, (long long)*last);
		if (r)
			break;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return -1;
	return rc == SQLITE_DONE ? 0 : store_fail(st, "cannot read the changes of flows");
}

int store_pending_read(struct store *st, int (*fn)(const struct pchange *c, void *arg),
		       void *arg, int64_t *rows, int64_t *last)
{
	struct row_fn r = { fn, arg };

	return read_rows(st, decode_row, &r, rows, last);
}

/* Appends a flow_pending row's data to the raw changes and lists each of
 * its changes, reading only their heads and the values decode_values()
 * checks (skip_values()), passing over the others: store_pending_decode()
 * then finds nothing damaged. Returns 0, DAMAGED, or -1 (out of memory,
 * reported). */
static int index_row(const uint8_t *data, size_t len, void *arg)
{
	struct pending_raw *raw = arg;
	uint8_t *d;
	const uint8_t *p, *end;
	int64_t prev = 0;

	if (!len)	/* no changes (its data NULL; no room to grow to) */
		return 0;
	if (!(d = grow_to(raw->data, &raw->cap, raw->len + len, 1, 1 << 16)))
		return -1;
	raw->data = d;
	memcpy(raw->data + raw->len, data, len);
	p = raw->data + raw->len;
	end = p + len;
	raw->len += len;
	while (p < end) {
		const uint8_t *start = p;
		struct radix_item *c;
		uint64_t f;

		if (!(c = grow_array(raw->chg, &raw->cap_n, raw->n, sizeof(*c), 4096)))
			return -1;
		raw->chg = c;
		if (decode_head(&p, end, &prev, &f) || skip_values(&p, end, f))
			return DAMAGED;
		raw->chg[raw->n].key = (uint64_t)prev;
		raw->chg[raw->n++].val = (uint64_t)(start - raw->data);
	}
	return 0;
}

int store_pending_scan(struct store *st, struct pending_raw *raw)
{
	int64_t rows, last;

	raw->len = raw->n = 0;
	return read_rows(st, index_row, raw, &rows, &last);
}

void store_pending_decode(const struct pending_raw *raw, const struct radix_item *chg,
			  struct pchange *c)
{
	const uint8_t *p = raw->data + chg->val, *end = raw->data + raw->len;
	uint64_t d, f;

	/* (index_row() checked it whole; the id is known: its delta passed over) */
	if (varint_get(&p, end, &d) || varint_get(&p, end, &f) ||
	    decode_values(&p, end, f, (int64_t)chg->key, c)) {
		memset(c, 0, sizeof(*c));
		c->id = (int64_t)chg->key;
	}
}

void store_pending_raw_free(struct pending_raw *raw)
{
	free(raw->data);
	free(raw->chg);
	memset(raw, 0, sizeof(*raw));
}

/* Appends a copy of c to the writer's list of changes. Returns 0 or -1
 * (out of memory, reported). */
static int append(const struct pchange *c, void *arg)
{
	struct store *st = arg;
	struct pchange *p;

	if (!st->nchg)
		st->pend_commits = 0;
	if (!(p = grow_array(st->chg, &st->chg_cap, st->nchg, sizeof(*p), 1024)))
		return -1;
	st->chg = p;
	st->chg[st->nchg++] = *c;
	return 0;
}

struct pchange *store_change_for(struct store *st, int64_t flow)
{
	struct pchange c;

	/* the events of a flow often come together (a DESTROY and its end) */
	if (st->nchg > st->chg_written && st->chg[st->nchg - 1].id == flow)
		return &st->chg[st->nchg - 1];
	if (st->nchg - st->chg_written >= STORE_CHANGES_FLUSH_AT && store_flush_flows(st))
		return NULL;
	memset(&c, 0, sizeof(c));
	c.id = flow;
	return append(&c, st) ? NULL : &st->chg[st->nchg - 1];
}

int store_pending_write(struct store *st)
{
	size_t i, n = st->nchg - st->chg_written;
	sqlite3_stmt *s;
	uint8_t *buf, *end;
	int64_t prev = 0;
	int rc;

	if (!n)
		return 0;
	buf = malloc(n * CODED_MAX);
	if (!buf)
		return log_error("out of memory");
	for (i = st->chg_written, end = buf; i < st->nchg; prev = st->chg[i].id, i++)
		end = code(end, &st->chg[i], prev);
	s = store_stmt(st, STMT_PENDING_INSERT);
	if (!s) {
		free(buf);
		return -1;
	}
	sqlite3_bind_blob(s, 1, buf, (int)(end - buf), SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	free(buf);
	if (rc != SQLITE_DONE)
		return store_fail(st, "cannot store the changes of flows");
	st->pend_rows++;
	st->pend_last = sqlite3_last_insert_rowid(st->db);
	st->chg_written = st->nchg;
	return st->nchg >= FOLD_AT ? store_fold(st) : 0;
}

/* Has another writer changed flow_pending since this one last did? (Its
 * seq is AUTOINCREMENT: never handed out twice.) Marks the changes stale
 * then. Returns 0 or -1 (reported). */
static int check_others(struct store *st)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT count(*), coalesce(max(seq), 0) FROM flow_pending",
			       -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read the changes of flows");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && (sqlite3_column_int64(s, 0) != st->pend_rows ||
				 (st->pend_rows && sqlite3_column_int64(s, 1) != st->pend_last)))
		st->pend_stale = 1;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, "cannot read the changes of flows");
}

int store_pending_load(struct store *st)
{
	if (!st->pend_stale && st->in_txn && check_others(st))
		return -1;
	if (!st->pend_stale)
		return 0;
	st->nchg = st->chg_written = 0;
	if (store_pending_read(st, append, st, &st->pend_rows, &st->pend_last)) {
		st->pend_broken = 1;	/* (reported: not again at close) */
		return -1;
	}
	st->chg_written = st->nchg;
	st->pend_stale = 0;
	st->pend_commits = 0;
	return 0;
}

int store_each_merged(const struct pchange *c, size_t n,
		      int (*fn)(const struct pchange *merged, void *arg), void *arg)
{
	struct radix_item *order;	/* by flow, then in the order they came */
	struct pchange merged;
	size_t i;
	int rc = 0;

	if (!n)
		return 0;
	order = malloc(2 * n * sizeof(*order));
	if (!order)
		return log_error("out of memory");
	for (i = 0; i < n; i++) {
		order[i].key = (uint64_t)c[i].id;	/* ids are positive */
		order[i].val = i;
	}
	radix_sort(order, order + n, n);
	for (i = 0; i < n && !rc; i++) {
		if (!i || order[i].key != order[i - 1].key)
			merged = c[order[i].val];
		else
			pchange_merge(&merged, &c[order[i].val]);
		if (i + 1 == n || order[i + 1].key != order[i].key)
			rc = fn(&merged, arg);
	}
	free(order);
	return rc ? -1 : 0;
}

/* Folds one flow's merged changes (store_each_merged). */
static int fold_one(const struct pchange *merged, void *arg)
{
	return store_flow_update(arg, merged);
}

int store_fold(struct store *st)
{
	if (store_pending_load(st))
		return -1;
	if (!st->nchg)
		return 0;
	/* in id order, each page of flows is rewritten once; a flow's changes
	 * merged first, into one UPDATE */
	if (store_each_merged(st->chg, st->nchg, fold_one, st))
		return -1;
	if (store_exec(st, "DELETE FROM flow_pending", "cannot fold the changes of flows"))
		return -1;
	st->nchg = st->chg_written = 0;
	st->pend_rows = 0;
	return store_keys_flush(st);
}

size_t store_pending_changes(const struct store *st)
{
	return st->nchg;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t *store_pending_ends(const struct store *st, size_t *n)
{
	int64_t *ids = malloc((st->nchg ? st->nchg : 1) * sizeof(*ids));
	size_t i;

	*n = 0;
	if (!ids) {
		log_error("out of memory");
		return NULL;
	}
	for (i = 0; i < st->nchg; i++)
		if (st->chg[i].end_kind)
			ids[(*n)++] = st->chg[i].id;
	qsort(ids, *n, sizeof(*ids), cmp_i64);
	return ids;
}

int store_fold_due(struct store *st)
{
	return st->nchg && ++st->pend_commits >= FOLD_COMMITS;
}
