/* Reading stored events back into struct ct_event: the event blocks in order, joined with their flows' tuples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "log.h"
#include "store_cursor.h"
#include "store_query.h"

/* At most this many matching flows make a query "selective": only the blocks
 * that may hold their events (time, id range, Bloom filter) are decoded. */
#define SELECTIVE_MAX 256

#define TOMB ((size_t)-1)	/* the idx of a slot whose entry was removed */
#define GONE INT64_MIN		/* the id of a removed entry */

/* The flow columns every flow read here selects, in struct cflow's order. */
#define FLOW_COLS "f.id, f.family, f.ct_id, m.zone, f.proto, " STORE_TUPLE_COLS "," \
	" f.first_us, coalesce(f.last_us, f.first_us)"
enum { K_ID, K_FAMILY, K_CTID, K_ZONE, K_PROTO, K_ORIG, K_REPLY = K_ORIG + 9,
       K_FIRST = K_REPLY + 9, K_LAST };

static int read_cflow(sqlite3_stmt *s, struct cflow *f)
{
	memset(f, 0, sizeof(*f));
	f->id = sqlite3_column_int64(s, K_ID);
	f->family = sqlite3_column_int(s, K_FAMILY);
	if (sqlite3_column_type(s, K_CTID) != SQLITE_NULL) {
		f->ct_id = (uint32_t)sqlite3_column_int64(s, K_CTID);
		f->has |= CT_HAS_ID;
	}
	if (sqlite3_column_type(s, K_ZONE) != SQLITE_NULL) {
		f->zone = sqlite3_column_int(s, K_ZONE);
		f->has |= CT_HAS_ZONE;
	}
	if (store_read_tuple(s, K_ORIG, &f->orig) ||
	    store_read_reply(s, K_REPLY, &f->orig, &f->reply))
		return log_error("flow %lld has a malformed tuple", (long long)f->id);
	f->orig.proto = f->reply.proto = sqlite3_column_int(s, K_PROTO);
	f->first_us = sqlite3_column_int64(s, K_FIRST);
	f->last_us = sqlite3_column_int64(s, K_LAST);
	return 0;
}

/* Flow ids are dense and mostly read in order: the id itself as the hash
 * keeps neighbours in neighbouring slots (and in the cache). */
static size_t hash_id(int64_t id, size_t nslots)
{
	return (size_t)id & (nslots - 1);
}

static struct cflow *cache_find(struct store_cursor *c, int64_t id)
{
	size_t i;

	if (!c->nslots)
		return NULL;
	for (i = hash_id(id, c->nslots); c->slot[i].idx; i = (i + 1) & (c->nslots - 1))
		if (c->slot[i].id == id && c->slot[i].idx != TOMB)
			return &c->fl[c->slot[i].idx - 1];
	return NULL;
}

/* Rebuilds the table with room for twice the live entries, dropping removed ones. */
static int cache_grow(struct store_cursor *c)
{
	size_t live = c->nfl - c->nfree, n = 1024, k, j = 0, i;
	struct cslot *slot;

	while (n < (live + 1) * 4)
		n *= 2;
	slot = calloc(n, sizeof(*slot));
	if (!slot)
		return log_error("out of memory");
	/* compact fl[]: removed entries have id GONE */
	for (k = 0; k < c->nfl; k++)
		if (c->fl[k].id != GONE)
			c->fl[j++] = c->fl[k];
	c->nfl = j;
	c->nfree = 0;
	for (k = 0; k < c->nfl; k++) {
		for (i = hash_id(c->fl[k].id, n); slot[i].idx; i = (i + 1) & (n - 1))
			;
		slot[i].id = c->fl[k].id;
		slot[i].idx = k + 1;
	}
	free(c->slot);
	c->slot = slot;
	c->nslots = n;
	return 0;
}

static int cache_add(struct store_cursor *c, const struct cflow *f)
{
	size_t i;

	if (cache_find(c, f->id))
		return 0;
	if ((c->nfl + 1) * 2 > c->nslots && cache_grow(c))
		return -1;
	if (c->nfl == c->fl_cap) {
		size_t cap = c->fl_cap ? c->fl_cap * 2 : 1024;
		struct cflow *p = realloc(c->fl, cap * sizeof(*p));

		if (!p)
			return log_error("out of memory");
		c->fl = p;
		c->fl_cap = cap;
	}
	c->fl[c->nfl] = *f;
	for (i = hash_id(f->id, c->nslots); c->slot[i].idx && c->slot[i].idx != TOMB;
	     i = (i + 1) & (c->nslots - 1))
		;
	c->slot[i].id = f->id;
	c->slot[i].idx = ++c->nfl;
	return 0;
}

static void cache_remove(struct store_cursor *c, int64_t id)
{
	size_t i;

	for (i = hash_id(id, c->nslots); c->slot[i].idx; i = (i + 1) & (c->nslots - 1))
		if (c->slot[i].id == id && c->slot[i].idx != TOMB) {
			c->fl[c->slot[i].idx - 1].id = GONE;
			c->slot[i].idx = TOMB;
			c->nfree++;
			return;
		}
}

/* Unfiltered: loads the flows from id on (the next events are mostly theirs).
 * Returns the flow, NULL when there is none of that id (pruned), or sets *err. */
static struct cflow *prefetch(struct store_cursor *c, int64_t id, int *err)
{
	static const char sql[] = "SELECT " FLOW_COLS " FROM " STORE_FLOWS_FROM " WHERE f.id >= ?"
				  " ORDER BY f.id LIMIT 512";
	struct cflow f;
	int rc;

	if (!c->prefetch &&
	    sqlite3_prepare_v2(store_db(c->st), sql, -1, &c->prefetch, NULL) != SQLITE_OK) {
		*err = store_fail(c->st, "cannot read flows");
		return NULL;
	}
	sqlite3_reset(c->prefetch);
	sqlite3_bind_int64(c->prefetch, 1, id);
	while ((rc = sqlite3_step(c->prefetch)) == SQLITE_ROW) {
		if (read_cflow(c->prefetch, &f) || cache_add(c, &f)) {
			*err = -1;
			return NULL;
		}
	}
	if (rc != SQLITE_DONE) {
		*err = store_fail(c->st, "cannot read flows");
		return NULL;
	}
	return cache_find(c, id);
}

static int cmp_cflow(const void *a, const void *b)
{
	int64_t x = ((const struct cflow *)a)->id, y = ((const struct cflow *)b)->id;

	return (x > y) - (x < y);
}

/* Filtered: loads every flow that passes the pre-filters. */
static int load_matching(struct store_cursor *c)
{
	struct store_query fq = c->q;
	struct cflow f;
	sqlite3_stmt *s;
	int rc;

	/* what is left for the events themselves */
	fq.type_mask = 0;
	fq.pf &= ~(STORE_PF_SINCE | STORE_PF_UNTIL | STORE_PF_AFTER | STORE_PF_SESSION);
	s = store_query_prepare(c->st, &fq, "SELECT " FLOW_COLS, "ORDER BY f.id");
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (read_cflow(s, &f) || cache_add(c, &f)) {
			sqlite3_finalize(s);
			return -1;
		}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(c->st, "cannot read flows");
	if (c->nfl <= SELECTIVE_MAX) {
		c->selective = 1;
		c->nsel = c->nfl;
		c->sel = malloc((c->nsel ? c->nsel : 1) * sizeof(*c->sel));
		if (!c->sel)
			return log_error("out of memory");
		memcpy(c->sel, c->fl, c->nsel * sizeof(*c->sel));
		qsort(c->sel, c->nsel, sizeof(*c->sel), cmp_cflow);
	}
	return 0;
}

static int is_filtered(const struct store_query *q)
{
	return q->src.len || q->dst.len || q->rsrc.len || q->rdst.len || q->where ||
	       (q->pf & (STORE_PF_FAMILY | STORE_PF_PROTO | STORE_PF_SPORT | STORE_PF_DPORT |
			 STORE_PF_RSPORT | STORE_PF_RDPORT | STORE_PF_AT | STORE_PF_FLOW));
}

/* The blocks to read, in order: by session, time window, after an event id,
 * and for a selective query within its flows' span. */
static int prepare_blocks(struct store_cursor *c)
{
	const struct store_query *q = &c->q;
	int64_t lo = INT64_MIN, hi = INT64_MAX;
	char sql[768];
	size_t i;

	if (q->pf & STORE_PF_SINCE)
		lo = q->since_us;
	if (q->pf & STORE_PF_UNTIL)
		hi = q->until_us;
	if (c->selective) {
		int64_t a = INT64_MAX, b = INT64_MIN;

		for (i = 0; i < c->nsel; i++) {
			if (c->sel[i].first_us < a)
				a = c->sel[i].first_us;
			if (c->sel[i].last_us > b)
				b = c->sel[i].last_us;
		}
		if (a > lo)
			lo = a;
		if (b < hi)
			hi = b;
	}
	snprintf(sql, sizeof(sql),
		 "SELECT id, first_event, n, min_flow, max_flow, first_us, last_us"
		 " FROM event_blocks WHERE last_us >= ?1 AND first_us <= ?2"
		 " AND first_event + n > ?3%s%s ORDER BY id",
		 /* ids and first_event grow together: the block of event ?3, found
		  * from the end (replay --follow asks for the last few) */
		 q->pf & STORE_PF_AFTER ? " AND id >= coalesce((SELECT id FROM event_blocks"
		 " WHERE first_event <= ?3 ORDER BY id DESC LIMIT 1), 0)" : "",
		 q->pf & STORE_PF_SESSION ? " AND session = ?4" : "");
	if (sqlite3_prepare_v2(store_db(c->st), sql, -1, &c->blocks, NULL) != SQLITE_OK)
		return store_fail(c->st, "cannot read events");
	sqlite3_bind_int64(c->blocks, 1, lo);
	sqlite3_bind_int64(c->blocks, 2, hi);
	sqlite3_bind_int64(c->blocks, 3, q->pf & STORE_PF_AFTER ? q->after_id + 1 : INT64_MIN);
	if (q->pf & STORE_PF_SESSION)
		sqlite3_bind_int64(c->blocks, 4, q->session);
	return 0;
}

struct store_cursor *store_events(struct store *st, const struct store_query *q)
{
	struct store_cursor *c = calloc(1, sizeof(*c));

	if (!c) {
		log_error("out of memory");
		return NULL;
	}
	c->st = st;
	c->q = *q;
	c->type_mask = q->type_mask ? q->type_mask :
		1 << CT_EV_NEW | 1 << CT_EV_UPDATE | 1 << CT_EV_DESTROY;
	c->filtered = is_filtered(q);
	if ((c->filtered && load_matching(c)) || prepare_blocks(c)) {
		store_cursor_free(c);
		return NULL;
	}
	return c;
}

/* For a selective query: may the block hold an event of one of its flows? */
/* Runs the one-column statement *s (prepared from sql on first use) for
 * block id. Returns SQLITE_ROW with the column ready, or another code. */
static int block_column(struct store_cursor *c, sqlite3_stmt **s, const char *sql, int64_t id)
{
	if (!*s && sqlite3_prepare_v2(store_db(c->st), sql, -1, s, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	sqlite3_reset(*s);
	sqlite3_bind_int64(*s, 1, id);
	return sqlite3_step(*s);
}

/* For a selective query: may the block hold an event of one of its flows?
 * Its id range and time span first, then its Bloom filter, read only then.
 * Returns 1, 0, or -1 (reported). */
static int block_wanted(struct store_cursor *c, sqlite3_stmt *s)
{
	int64_t id = sqlite3_column_int64(s, 0);
	int64_t min_flow = sqlite3_column_int64(s, 3), max_flow = sqlite3_column_int64(s, 4);
	int64_t t0 = sqlite3_column_int64(s, 5), t1 = sqlite3_column_int64(s, 6);
	int have_bloom = 0;
	size_t i;

	for (i = 0; i < c->nsel; i++) {
		const struct cflow *f = &c->sel[i];

		if (f->id < min_flow || f->id > max_flow || f->last_us < t0 || f->first_us > t1)
			continue;
		if (!have_bloom) {
			if (block_column(c, &c->bloom_stmt, "SELECT bloom FROM event_data"
					 " WHERE id = ?", id) != SQLITE_ROW)
				return store_fail(c->st, "cannot read events");
			have_bloom = 1;
		}
		if (evblock_bloom_has(sqlite3_column_blob(c->bloom_stmt, 0),
				      sqlite3_column_bytes(c->bloom_stmt, 0), f->id))
			return 1;
	}
	return 0;
}

/* Moves to the next block worth decoding. Returns 1, 0 at the end, -1. */
static int next_block(struct store_cursor *c)
{
	sqlite3_stmt *s = c->blocks;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		int wanted = c->selective ? block_wanted(c, s) : 1;
		sqlite3_stmt *d;

		if (wanted < 0)
			return -1;
		if (!wanted)
			continue;
		if (block_column(c, &c->data_stmt, "SELECT data FROM event_data WHERE id = ?",
				 id) != SQLITE_ROW)
			return store_fail(c->st, "cannot read events");
		d = c->data_stmt;
		if (evblock_unpack(sqlite3_column_blob(d, 0), sqlite3_column_bytes(d, 0), &c->data,
				   &c->dcap, &c->dlen) ||
		    evblock_reader_init(&c->rd, c->data, c->dlen))
			return log_error("event block %lld is damaged", (long long)id);
		c->first_event = sqlite3_column_int64(s, 1);
		c->idx = 0;
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(c->st, "cannot read events");
}

/* The flow of an event record: NULL when it does not match (or is gone). */
static struct cflow *flow_of(struct store_cursor *c, int64_t id, int *err)
{
	struct cflow *f = cache_find(c, id);

	if (f || c->filtered)
		return f;
	return prefetch(c, id, err);
}

int64_t store_cursor_event_id(const struct store_cursor *c)
{
	return c->event_id;
}

int store_next(struct store_cursor *c, struct ct_event *ev, int64_t *flow)
{
	for (;;) {
		struct cflow *f;
		int rc, err = 0;

		if (!c->in_block) {
			rc = next_block(c);
			if (rc <= 0)
				return rc;
			c->in_block = 1;
		}
		rc = evblock_next(&c->rd, ev, flow);
		if (rc < 0)
			return log_error("event block of event %lld is damaged",
					 (long long)(c->first_event + c->idx));
		if (rc == 0) {
			c->in_block = 0;
			continue;
		}
		c->event_id = c->first_event + c->idx++;
		if ((c->q.pf & STORE_PF_AFTER) && c->event_id <= c->q.after_id)
			continue;
		if (!(c->type_mask & 1u << ev->type))
			continue;
		if (((c->q.pf & STORE_PF_SINCE) && ev->t_us < c->q.since_us) ||
		    ((c->q.pf & STORE_PF_UNTIL) && ev->t_us > c->q.until_us))
			continue;
		f = flow_of(c, *flow, &err);
		if (err)
			return -1;
		if (!f)
			continue;
		ev->family = f->family;
		ev->orig = f->orig;
		ev->reply = f->reply;
		ev->has |= f->has;
		ev->id = f->ct_id;
		ev->zone = f->zone;
		/* an ended flow has no later events: forget it (not when the
		 * cache is the filter, where absence means "does not match") */
		if (ev->type == CT_EV_DESTROY && !c->filtered)
			cache_remove(c, *flow);
		return 1;
	}
}

void store_cursor_free(struct store_cursor *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->s);
	free(c->ids);
	sqlite3_finalize(c->blocks);
	sqlite3_finalize(c->bloom_stmt);
	sqlite3_finalize(c->data_stmt);
	sqlite3_finalize(c->prefetch);
	free(c->data);
	free(c->fl);
	free(c->slot);
	free(c->sel);
	free(c);
}
