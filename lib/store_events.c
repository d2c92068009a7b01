/* Reading stored events back into struct ct_event: the event blocks in order, joined with their flows' tuples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "grow.h"
#include "log.h"
#include "store_cursor.h"
#include "store_query.h"
#include "timeparse.h"

/* At most this many matching flows make a query "selective": only the blocks
 * that may hold their events (time, id range, Bloom filter) are decoded. */
#define SELECTIVE_MAX 256
/* Beyond this many matching flows a filter keeps their ids in a bitmap and
 * their rows only while their events are read (as without a filter): a
 * broad filter over a long history held every matching row, 345 MB for
 * `replay -s 127.0.0.0/8` over 1.1M flows. */
#define MATCH_ROWS_MAX 65536

/* MATCH_ROWS_MAX, or CT_MATCH_ROWS_MAX from the environment: the tests set
 * it low to read small histories the way of large ones. */
static size_t match_rows_max(void)
{
	const char *e = getenv("CT_MATCH_ROWS_MAX");

	return e && *e ? (size_t)strtoull(e, NULL, 10) : MATCH_ROWS_MAX;
}

/* A selective query also searches the blocks from the last one back (a flow's
 * events are mostly at its start and its end, blocks apart) and stops once
 * its flows' stored events are all found, the blocks between unread. What
 * the search from the end finds waits in memory, at most this many bytes,
 * until the reading from the start reaches it. */
#define HELD_MAX (1 << 20)

/* The flow columns every flow read here selects, in struct cflow's order. */
#define FLOW_COLS "f.id, f.family, f.ct_id, m.zone, f.proto, " STORE_TUPLE_COLS "," \
	" f.first_us, coalesce(f.last_us, f.first_us), f.nevents, f.end_us IS NOT NULL"
enum { K_ID, K_FAMILY, K_CTID, K_ZONE, K_PROTO, K_ORIG, K_REPLY = K_ORIG + 9,
       K_FIRST = K_REPLY + 9, K_LAST, K_NEVENTS, K_ENDED };

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
	f->nevents = sqlite3_column_int64(s, K_NEVENTS);
	f->ended = (uint8_t)sqlite3_column_int(s, K_ENDED);
	return 0;
}

/* Is flow id one that matches (with c->match)? */
static int matches(const struct store_cursor *c, int64_t id)
{
	uint64_t k = (uint64_t)id;

	return id > 0 && k / 8 < c->match_bytes && (c->match[k / 8] >> (k % 8) & 1);
}

/* Lists flow id (from 1, in any order: a bit each up to the largest, an
 * eighth of a byte a flow of the history) as matching. Returns 0 or -1
 * (reported). */
static int match_add(struct store_cursor *c, int64_t id)
{
	uint64_t k = (uint64_t)id;

	if (id <= 0)
		return log_error("internal error: flow id %lld", (long long)id);
	if (k / 8 >= c->match_bytes) {
		size_t n = c->match_bytes ? c->match_bytes : 4096;
		uint8_t *m;

		while (n <= k / 8)
			n *= 2;
		if (!(m = realloc(c->match, n)))
			return log_error("out of memory");
		memset(m + c->match_bytes, 0, n - c->match_bytes);
		c->match = m;
		c->match_bytes = n;
	}
	c->match[k / 8] |= (uint8_t)(1u << (k % 8));
	return 0;
}

/* From the rows of the matching flows held so far to their ids in a bitmap:
 * the rows go. Returns 0 or -1 (reported). */
static int match_from_rows(struct store_cursor *c)
{
	size_t k;

	/* (nothing was removed) */
	for (k = 0; k < c->cache.n; k++)
		if (match_add(c, c->cache.fl[k].id))
			return -1;
	flow_cache_free(&c->cache);
	return 0;
}

/* Unfiltered, or many flows matching: loads the flows from id on (the next
 * events are mostly theirs), with a bitmap only those it lists, but for
 * those whose last event came before t_us: they ended before this event of
 * id (their DESTROY read, or passed over) and nothing would take them out
 * of the cache again. With DESTROY events coming in another order than the
 * flows' ids (the kernel's timeouts), `replay -e DESTROY` kept such rows of
 * the whole history, 180 MB over 1.1M flows. Returns the flow, NULL when
 * there is none of that id (pruned), or sets *err. */
static struct cflow *prefetch(struct store_cursor *c, int64_t id, int64_t t_us, int *err)
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
		if (c->match && !matches(c, sqlite3_column_int64(c->prefetch, 0)))
			continue;
		if (read_cflow(c->prefetch, &f) ||
		    ((f.id == id || f.last_us >= t_us) && flow_cache_add(&c->cache, &f))) {
			*err = -1;
			return NULL;
		}
	}
	if (rc != SQLITE_DONE) {
		*err = store_fail(c->st, "cannot read flows");
		return NULL;
	}
	return flow_cache_find(&c->cache, id);
}

static int cmp_cflow(const void *a, const void *b)
{
	int64_t x = ((const struct cflow *)a)->id, y = ((const struct cflow *)b)->id;

	return (x > y) - (x < y);
}

/* With few flows matching (their rows in the cache, not a bitmap): the
 * query is selective, sel[] their rows sorted by id. Returns 0 or -1
 * (reported). */
static int select_few(struct store_cursor *c)
{
	size_t i;

	if (c->match || c->cache.n > SELECTIVE_MAX)
		return 0;
	c->selective = 1;
	c->nsel = c->cache.n;
	c->sel = malloc((c->nsel ? c->nsel : 1) * sizeof(*c->sel));
	if (!c->sel)
		return log_error("out of memory");
	if (c->nsel) {	/* (cache.fl is NULL when no flow matched) */
		memcpy(c->sel, c->cache.fl, c->nsel * sizeof(*c->sel));
		qsort(c->sel, c->nsel, sizeof(*c->sel), cmp_cflow);
	}
	/* their counts hold for the blocks read in the same snapshot:
	 * only a transaction of the cursor's own is sure to be a read */
	c->both_ends = c->own_txn || c->st->snapshot;
	for (i = 0; i < c->nsel; i++)
		c->left += c->sel[i].nevents;
	c->back_id = INT64_MAX;
	c->front_id = INT64_MIN;
	return 0;
}

/* Filtered: the flows that pass the pre-filters: their rows, or beyond
 * match_rows_max() of them their ids (the rows then come as their events do).
 * In any order: sorting them (by id) held every row in SQLite's sorter. */
static int load_matching(struct store_cursor *c)
{
	struct store_query fq = c->q;
	size_t rows_max = match_rows_max();
	struct cflow f;
	sqlite3_stmt *s;
	int rc;

	/* what is left for the events themselves */
	fq.type_mask = 0;
	fq.pf &= ~(STORE_PF_SINCE | STORE_PF_UNTIL | STORE_PF_AFTER | STORE_PF_SESSION);
	s = store_query_prepare(c->st, &fq, "SELECT " FLOW_COLS, "");
	if (!s)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (c->match ? match_add(c, sqlite3_column_int64(s, 0)) :
		    read_cflow(s, &f) || flow_cache_add(&c->cache, &f) ||
		    (c->cache.n > rows_max && match_from_rows(c))) {
			sqlite3_finalize(s);
			return -1;
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(c->st, "cannot read flows");
	return select_few(c);
}

/* Sets c->back_first when the selected flows are all among the newer half
 * of the flows. Each end's first step passes over every block before the
 * first that can hold their events (inside SQLite, a row at a time): from
 * the start that is most of the history for a recent flow, from the end for
 * an old one. So for recent flows the search from the start begins at the
 * first block of their time, found through the index of the blocks' ends
 * (few blocks end after a recent time; for an old flow that would be most).
 * It does not change what is found. Returns 0 or -1 (reported). */
static int choose_first_end(struct store_cursor *c)
{
	int64_t top;

	if (store_one_int(c->st, "SELECT coalesce(max(id), 0) FROM main.flows",
			  "cannot read flows", &top))
		return -1;
	c->back_first = c->sel[0].id > top / 2;	/* (sel is sorted by id) */
	return 0;
}

/* BEGIN or COMMIT of the cursor's own read transaction: statements of ours,
 * so without the authorizer a --where expression leaves installed (it would
 * refuse them). Returns an SQLite result code. */
static int txn_exec(struct store_cursor *c, const char *sql)
{
	sqlite3 *db = store_db(c->st);

	sqlite3_set_authorizer(db, NULL, NULL);
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int is_filtered(const struct store_query *q)
{
	return q->src.len || q->dst.len || q->rsrc.len || q->rdst.len || q->where ||
	       (q->pf & (STORE_PF_FAMILY | STORE_PF_PROTO | STORE_PF_SPORT | STORE_PF_DPORT |
			 STORE_PF_RSPORT | STORE_PF_RDPORT | STORE_PF_AT | STORE_PF_FLOW));
}

/* Narrows a selective query's blocks to those its flows' events can be in:
 * up to the latest of them (*hi), from the block of the first (flow ids
 * *min_id on; *from_us, the time the first of them reached). Not from that
 * time: after a step back of the wall clock a flow's later events are timed
 * before its first (conntrack -E's times, as the recorder stores them). */
static void selected_span(const struct store_cursor *c, int64_t *from_us, int64_t *hi,
			  int64_t *min_id)
{
	int64_t a = INT64_MAX, b = INT64_MIN;
	size_t i;

	for (i = 0; i < c->nsel; i++) {
		if (c->sel[i].first_us < a)
			a = c->sel[i].first_us;
		if (c->sel[i].last_us > b)
			b = c->sel[i].last_us;
	}
	if (a > *from_us)
		*from_us = a;
	if (b < *hi)
		*hi = b;
	*min_id = c->nsel ? c->sel[0].id : INT64_MAX;	/* (sel is sorted by id) */
}

/* After a failed prepare: was it for want of the index event_blocks_time
 * (schema/schema.sql), which someone dropped? Says so (once: the blocks
 * are read without it, from the start) and returns 1; else 0. */
static int no_time_index(struct store *st)
{
	static int said;

	if (!strstr(sqlite3_errmsg(store_db(st)), "no such index: event_blocks_time"))
		return 0;
	if (!said++)
		log_warn("'%s' lacks its index event_blocks_time: read without it, more slowly;"
			 " 'ctrecord --db %s --upgrade' makes it again", st->path, st->path);
	return 1;
}

int store_cursor_blocks(struct store_cursor *c)
{
	const struct store_query *q = &c->q;
	int64_t lo = INT64_MIN, hi = INT64_MAX, from_us, min_id = INT64_MIN;
	char sql[768];
	int k;

	if (q->pf & STORE_PF_SINCE)
		lo = q->since_us;
	if (q->pf & STORE_PF_UNTIL)
		hi = q->until_us;
	from_us = lo;
	if (c->selective)
		selected_span(c, &from_us, &hi, &min_id);
	if (c->both_ends && c->nsel && choose_first_end(c))
		return -1;
	for (k = 0; k < 1 + c->both_ends; k++) {
		sqlite3_stmt **s = k ? &c->back : &c->blocks;

again:
		snprintf(sql, sizeof(sql),
			 "SELECT id, first_event, n, min_flow, max_flow, first_us, last_us"
			 " FROM event_blocks WHERE last_us >= ?1 AND first_us <= ?2"
			 " AND max_flow >= ?7 AND first_event + n > ?3%s%s%s%s ORDER BY id%s",
			 /* recent flows: the first block of their time, through the
			  * index of the blocks' ends (few end after a recent time),
			  * where the scan from the start would read every block before;
			  * from the index alone (a bound: the rows are checked again) */
			 c->back_first && !k ? " AND id >= coalesce((SELECT min(id) FROM"
			 " event_blocks INDEXED BY event_blocks_time WHERE last_us >= ?8), 0)" :
			 "",
			 /* ids and first_event grow together: the block of event ?3,
			  * found from the end (replay --follow asks for the last few) */
			 q->pf & STORE_PF_AFTER ? " AND id >= coalesce((SELECT id FROM"
			 " event_blocks WHERE first_event <= ?3 ORDER BY id DESC LIMIT 1), 0)" :
			 "", q->pf & STORE_PF_SESSION ? " AND session = ?4" : "",
			 /* taken up again: after the block reached, within the first snapshot */
			 c->released ? " AND id > ?5 AND first_event < ?6" : "", k ? " DESC" : "");
		if (sqlite3_prepare_v2(store_db(c->st), sql, -1, s, NULL) != SQLITE_OK) {
			if (c->back_first && !k && no_time_index(c->st)) {
				c->back_first = 0;	/* (the same blocks, from the start) */
				goto again;
			}
			return store_fail(c->st, "cannot read events");
		}
		sqlite3_bind_int64(*s, 1, lo);
		sqlite3_bind_int64(*s, 2, hi);
		sqlite3_bind_int64(*s, 3, q->pf & STORE_PF_AFTER ? q->after_id + 1 : INT64_MIN);
		sqlite3_bind_int64(*s, 7, min_id);
		sqlite3_bind_int64(*s, 8, from_us);
		if (q->pf & STORE_PF_SESSION)
			sqlite3_bind_int64(*s, 4, q->session);
		if (c->released) {
			sqlite3_bind_int64(*s, 5, c->front_id);
			sqlite3_bind_int64(*s, 6, c->upto);
		}
	}
	return 0;
}

/* A new cursor over q's events, nothing prepared yet; NULL (reported). */
static struct store_cursor *cursor_new(struct store *st, const struct store_query *q)
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
	return c;
}

struct store_cursor *store_events(struct store *st, const struct store_query *q)
{
	struct store_cursor *c = cursor_new(st, q);

	if (!c)
		return NULL;
	/* The flows and their events from one snapshot (a read transaction of
	 * its own, unless the caller has one open): the search from both ends
	 * trusts the flows' counts of their events. */
	if (c->filtered && sqlite3_get_autocommit(store_db(st))) {
		if (txn_exec(c, "BEGIN") != SQLITE_OK) {
			store_fail(st, "cannot read events");
			free(c);
			return NULL;
		}
		c->own_txn = 1;
	}
	if ((c->filtered && load_matching(c)) || store_cursor_blocks(c)) {
		store_cursor_free(c);
		return NULL;
	}
	return c;
}

struct store_cursor *store_flow_events(struct store_cursor *flows, const struct store_flow *fl,
				       unsigned type_mask)
{
	struct store_query q = { .type_mask = type_mask, .pf = STORE_PF_FLOW, .flow = fl->id };
	struct store_cursor *c;
	struct cflow f;

	if (!store_flow_row(flows, fl, &f))
		return store_events(flows->st, &q);
	if (!(c = cursor_new(flows->st, &q)))
		return NULL;
	if (flow_cache_add(&c->cache, &f) || select_few(c) || store_cursor_blocks(c)) {
		store_cursor_free(c);
		return NULL;
	}
	return c;
}

/* Reports block h as damaged, saying which events are lost to the reader
 * and how to read around them. Returns -1. */
static int block_damaged(const struct blkhead *h)
{
	char from[40], to[40];

	time_format(from, sizeof(from), h->first_us, 1);
	time_format(to, sizeof(to), h->last_us, 1);
	return log_error("event block %lld is damaged: its %lld events, received from %s to %s,"
			 " cannot be read (--until and --since read the history around them)",
			 (long long)h->id, (long long)h->n, from, to);
}

/* Runs the one-column statement *s (prepared from sql on first use) for
 * block h's row of event_data. Returns 0 with the column ready, or -1
 * (reported: the row gone is the block damaged). */
static int block_column(struct store_cursor *c, sqlite3_stmt **s, const char *sql,
			const struct blkhead *h)
{
	int rc;

	if (!*s && sqlite3_prepare_v2(store_db(c->st), sql, -1, s, NULL) != SQLITE_OK)
		return store_fail(c->st, "cannot read events");
	sqlite3_reset(*s);
	sqlite3_bind_int64(*s, 1, h->id);
	rc = sqlite3_step(*s);
	if (rc == SQLITE_DONE)	/* (its row of event_data is gone) */
		return block_damaged(h);
	return rc == SQLITE_ROW ? 0 : store_fail(c->st, "cannot read events");
}

/* The header of blk's row (a block statement's: id, first_event, n,
 * min_flow, max_flow, first_us, last_us). */
static void blkhead_of(sqlite3_stmt *blk, struct blkhead *h)
{
	h->id = sqlite3_column_int64(blk, 0);
	h->n = sqlite3_column_int64(blk, 2);
	h->min_flow = sqlite3_column_int64(blk, 3);
	h->max_flow = sqlite3_column_int64(blk, 4);
	h->first_us = sqlite3_column_int64(blk, 5);
	h->last_us = sqlite3_column_int64(blk, 6);
}

/* May block h hold an event of flow f: its flow ids, and a time up to f's
 * latest? (Not one after f's first: the wall clock may have been set back
 * since, see selected_span().) */
static int in_span(const struct cflow *f, const struct blkhead *h)
{
	return f->id >= h->min_flow && f->id <= h->max_flow && f->last_us >= h->first_us;
}

/* For a selective query: may the block hold an event of one of its flows?
 * Its id range and time span first, then its Bloom filter, read only then
 * (and kept for load_block). Returns 1, 0, or -1 (reported). */
static int block_wanted(struct store_cursor *c, sqlite3_stmt *s)
{
	struct blkhead h;
	int have_bloom = 0;
	size_t i;

	blkhead_of(s, &h);
	for (i = 0; i < c->nsel; i++) {
		const struct cflow *f = &c->sel[i];

		if (!in_span(f, &h))
			continue;
		if (!have_bloom) {
			c->bloom_id = 0;
			if (block_column(c, &c->bloom_stmt, "SELECT bloom FROM event_data"
					 " WHERE id = ?", &h))
				return -1;
			c->bloom_id = h.id;
			have_bloom = 1;
		}
		if (evblock_bloom_has(sqlite3_column_blob(c->bloom_stmt, 0),
				      sqlite3_column_bytes(c->bloom_stmt, 0), f->id))
			return 1;
	}
	return 0;
}

/* What segment_wanted() needs: the cursor, the block, its filter. */
struct seg_filter {
	const struct store_cursor *c;
	const struct blkhead *h;
	const uint8_t *bloom;
	size_t len;
};

/* For evblock_unpack: may segment i hold an event of the selective query's
 * flows? Its own Bloom filter says (a block from before version 10 has
 * one for all). */
static int segment_wanted(void *arg, unsigned i)
{
	const struct seg_filter *sf = arg;
	const uint8_t *f;
	size_t n, k;

	if (!evblock_bloom_segment(sf->bloom, sf->len, i, &f, &n))
		return 1;
	for (k = 0; k < sf->c->nsel; k++)
		if (in_span(&sf->c->sel[k], sf->h) && evblock_bloom_has(f, n, sf->c->sel[k].id))
			return 1;
	return 0;
}

/* Reads the records of block h into c->data and sets rd to read them: for
 * a selective query, those of the segments that may hold its flows' (its
 * filter was read by block_wanted). Returns 0 or -1 (reported). */
static int load_block(struct store_cursor *c, const struct blkhead *h, struct evblock_reader *rd)
{
	struct seg_filter sf = { c, h, NULL, 0 };
	sqlite3_stmt *d;
	int rc;

	if (c->selective && c->bloom_id == h->id) {
		sf.bloom = sqlite3_column_blob(c->bloom_stmt, 0);
		sf.len = (size_t)sqlite3_column_bytes(c->bloom_stmt, 0);
	}
	if (block_column(c, &c->data_stmt, "SELECT data FROM event_data WHERE id = ?", h))
		return -1;
	d = c->data_stmt;
	rc = evblock_unpack(sqlite3_column_blob(d, 0), sqlite3_column_bytes(d, 0),
			    sf.bloom ? segment_wanted : NULL, &sf, &c->data, &c->dcap, &c->dlen);
	if (rc == -2)	/* (memory short: said) */
		return -1;
	/* (a header whose n or flow range disagrees with the records, a
	 * damaged or edited row, would have them read as another block's) */
	if (rc || evblock_reader_init(rd, c->data, c->dlen) || rd->n != h->n)
		return block_damaged(h);
	return 0;
}

/* Is the flow of a record of block h outside the block's flow range (its
 * header or its data damaged)? */
static int outside(const struct blkhead *h, int64_t flow)
{
	return flow < h->min_flow || flow > h->max_flow;
}

/* The flow of an event record at t_us: NULL when it does not match (or is gone). */
static struct cflow *flow_of(struct store_cursor *c, int64_t id, int64_t t_us, int *err)
{
	struct cflow *f = flow_cache_find(&c->cache, id);

	if (f || (c->filtered && !(c->match && matches(c, id))))
		return f;
	return prefetch(c, id, t_us, err);
}

/* Is flow one of the cursor's (evblock_next_wanted)? With both_ends, the
 * cache holds exactly the flows wanted. */
static int in_cache(void *arg, int64_t flow)
{
	const struct store_cursor *c = arg;

	return flow_cache_find(&c->cache, flow) != NULL;
}

/* The id of the record rd read last, in the block whose first is first_event. */
static int64_t record_id(const struct evblock_reader *rd, int64_t first_event)
{
	return first_event + (int64_t)(rd->n - rd->left) - 1;
}

/* Is the record of type, one of f's, the last f has? Its DESTROY, or
 * (counted) the last of the records of a flow that ended otherwise: an
 * end unknown (a gap, a restart) has no event, and such flows stayed in
 * the cache of a replay, 14 MB a 100,000 of them. Counts the record. */
static int last_record(struct cflow *f, int type)
{
	return type == CT_EV_DESTROY || (++f->nread >= f->nevents && f->ended);
}

/* Is the cache of rows of flows a cache (not the filter itself)? Then a
 * flow leaves it after its last record. */
static int cache_forgets(const struct store_cursor *c)
{
	return !c->both_ends && (!c->filtered || c->match);
}

/* The flow of record ev (of flow, event id) when the query wants the record:
 * NULL when it does not (or the flow is gone), or sets *err. A selective
 * query counts here every record of its flows, wanted or not. */
static struct cflow *record_flow(struct store_cursor *c, const struct ct_event *ev,
				 int64_t flow, int64_t event_id, int *err)
{
	struct cflow *f = NULL;

	if (c->both_ends) {
		if (!(f = flow_cache_find(&c->cache, flow)))
			return NULL;
		c->left--;
	}
	if (((c->q.pf & STORE_PF_AFTER) && event_id <= c->q.after_id) ||
	    !(c->type_mask & 1u << ev->type) ||
	    ((c->q.pf & STORE_PF_SINCE) && ev->t_us < c->q.since_us) ||
	    ((c->q.pf & STORE_PF_UNTIL) && ev->t_us > c->q.until_us)) {
		/* not wanted, but maybe the flow's last (with -e NEW or
		 * UPDATE its DESTROY): the cache kept every flow otherwise */
		if (cache_forgets(c) && (f = flow_cache_find(&c->cache, flow)) &&
		    last_record(f, ev->type))
			flow_cache_remove(&c->cache, flow);
		return NULL;
	}
	if (!f)
		f = flow_of(c, flow, ev->t_us, err);
	c->drop = f && cache_forgets(c) && last_record(f, ev->type);
	return f;
}

/* Adds the flow's part of the event: what the records leave out. */
static void complete(struct ct_event *ev, const struct cflow *f)
{
	ev->family = f->family;
	ev->orig = f->orig;
	ev->reply = f->reply;
	ev->has |= f->has;
	ev->id = f->ct_id;
	ev->zone = f->zone;
}

/* An event the search from the end holds: this, then the event's bytes up
 * to its verbatim attributes, and those (size bytes in all). */
struct held {
	int64_t flow, id;
	size_t size;
};
#define HELD_HEAD offsetof(struct ct_event, extra)
#define HELD_SPACE(size) ((sizeof(struct held) + (size) + 7) & ~(size_t)7)

/* Holds ev. Returns 0, or -1 when HELD_MAX would be passed (or memory is
 * short: then the reading from the start reads that block instead). */
static int hold(struct store_cursor *c, const struct ct_event *ev, int64_t flow, int64_t id)
{
	struct held h = { flow, id, HELD_HEAD + ev->extra_len };
	size_t need = c->held_len + HELD_SPACE(h.size);

	if (need > HELD_MAX)
		return -1;
	if (need > c->held_cap) {
		size_t cap = c->held_cap ? c->held_cap : 16384;
		uint8_t *p;

		while (cap < need)
			cap *= 2;
		if (!(p = realloc(c->held, cap)))
			return -1;
		c->held = p;
		c->held_cap = cap;
	}
	memcpy(c->held + c->held_len, &h, sizeof(h));
	memcpy(c->held + c->held_len + sizeof(h), ev, HELD_HEAD);
	memcpy(c->held + c->held_len + sizeof(h) + HELD_HEAD, ev->extra, ev->extra_len);
	c->held_len = need;
	return 0;
}

/* One step of a selective query's search from the end: the next block back
 * (ev is room to decode in). A block that may hold events of the flows is
 * read whole: its records of them count as found, the wanted ones are held.
 * The search ends where the reading from the start has been, or when the
 * held events would take too much room. Returns 0 or -1 (reported). */
static int search_back(struct store_cursor *c, struct ct_event *ev)
{
	sqlite3_stmt *s = c->back;
	struct evblock_reader rd;
	struct blkhead h;
	size_t start = c->held_len;
	int64_t id, first_event, flow, left = c->left;
	int rc, err = 0;

	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE ||
	    (rc == SQLITE_ROW && sqlite3_column_int64(s, 0) <= c->front_id)) {
		c->back_done = 1;
		return 0;
	}
	if (rc != SQLITE_ROW)
		return store_fail(c->st, "cannot read events");
	id = sqlite3_column_int64(s, 0);
	first_event = sqlite3_column_int64(s, 1);
	rc = block_wanted(c, s);
	if (rc <= 0) {
		if (rc == 0)
			c->back_id = id;
		return rc;
	}
	blkhead_of(s, &h);
	if (load_block(c, &h, &rd))
		return -1;
	/* (once all are found, the block's other records are not theirs; other
	 * flows' records are passed over) */
	while (c->left > 0 && (rc = evblock_next_wanted(&rd, ev, &flow, in_cache, c)) > 0) {
		int64_t event_id = record_id(&rd, first_event);
		struct cflow *f;

		if (outside(&h, flow))
			return block_damaged(&h);
		f = record_flow(c, ev, flow, event_id, &err);
		if (err)
			return -1;
		if (!f)
			continue;
		complete(ev, f);
		if (hold(c, ev, flow, event_id)) {
			/* the reading from the start takes this block and the rest */
			c->held_len = start;
			c->left = left;
			c->back_done = 1;
			return 0;
		}
	}
	if (rc < 0)
		return block_damaged(&h);
	if (c->held_len > start) {
		size_t *p = grow_array(c->seg, &c->seg_cap, c->nseg, sizeof(*p), 16);

		if (!p)
			return -1;
		c->seg = p;
		c->seg[c->nseg++] = start;
	}
	c->back_id = id;
	return 0;
}

/* After the reading from the start: the next event the search from the end
 * held. Its blocks were reached last first, each block's events in order.
 * Returns 1, or 0 when there is none left. */
static int next_held(struct store_cursor *c, struct ct_event *ev, int64_t *flow)
{
	while (c->nseg) {
		size_t at = c->seg[c->nseg - 1] + c->held_pos;
		struct held h;

		if (at < c->held_len) {
			memcpy(&h, c->held + at, sizeof(h));
			memcpy(ev, c->held + at + sizeof(h), HELD_HEAD);
			ev->extra_len = h.size - HELD_HEAD;
			memcpy(ev->extra, c->held + at + sizeof(h) + HELD_HEAD, ev->extra_len);
			*flow = h.flow;
			c->event_id = h.id;
			c->held_pos += HELD_SPACE(h.size);
			return 1;
		}
		c->held_len = c->seg[--c->nseg];
		c->held_pos = 0;
	}
	return 0;
}

/* At the end of a selective read from both ends that had every event of its
 * flows to find (no bound of time, session or event id): the events its
 * flows count that it did not find. Retention removes events of flows still
 * open, and a prune step says so; else the blocks misled the search (a
 * header's flow range, a Bloom filter), which passed over them. Returns 0,
 * or -1 (reported). */
static int check_all_found(struct store_cursor *c)
{
	int64_t steps, before_us, flows, events;

	if (c->left <= 0 || !c->both_ends || c->released ||
	    (c->q.pf & (STORE_PF_SINCE | STORE_PF_UNTIL | STORE_PF_AFTER | STORE_PF_SESSION)))
		return 0;
	if (store_prune_totals(c->st, &steps, &before_us, &flows, &events))
		return -1;
	if (steps && events)
		return 0;
	return log_error("events of the flows asked for cannot be found (%lld), and nothing was"
			 " pruned: the database's blocks of events are damaged", (long long)c->left);
}

/* Moves to the next block worth decoding (ev is room for the search from the
 * end). Returns 1, 0 at the end, -1. */
static int next_block(struct store_cursor *c, struct ct_event *ev)
{
	sqlite3_stmt *s = c->blocks;
	int rc;

	for (;;) {
		int64_t id;
		int wanted = 1;

		if (c->both_ends) {
			/* every stored event of the flows found: the rest has none */
			if (c->left <= 0)
				return 0;
			if (!c->back_done && search_back(c, ev))
				return -1;
		}
		if ((rc = sqlite3_step(s)) != SQLITE_ROW)
			break;
		id = sqlite3_column_int64(s, 0);
		if (c->both_ends && id >= c->back_id)	/* the search from the end was there */
			return 0;
		c->front_id = id;
		if (c->selective)
			wanted = block_wanted(c, s);
		if (wanted < 0)
			return -1;
		if (!wanted)
			continue;
		blkhead_of(s, &c->cur);
		/* event ids grow from block to block: a block that repeats
		 * another's (a row copied by hand) would be read twice */
		if (sqlite3_column_int64(s, 1) < c->next_event)
			return block_damaged(&c->cur);
		if (load_block(c, &c->cur, &c->rd))
			return -1;
		c->first_event = sqlite3_column_int64(s, 1);
		c->next_event = c->first_event + c->cur.n;
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(c->st, "cannot read events");
}

int64_t store_cursor_event_id(const struct store_cursor *c)
{
	return c->event_id;
}

int store_next(struct store_cursor *c, struct ct_event *ev, int64_t *flow)
{
	if (c->broken || (c->released && store_cursor_resume(c)))
		return -1;
	for (;;) {
		struct cflow *f;
		int rc, err = 0;

		if (!c->in_block) {
			rc = c->blocks_done ? 0 : next_block(c, ev);
			if (rc < 0)
				return -1;
			if (rc == 0) {
				c->blocks_done = 1;
				if (check_all_found(c))
					return -1;
				return next_held(c, ev, flow);
			}
			c->in_block = 1;
		}
		/* the flows' events all found: the rest of the block is not theirs */
		if (!c->both_ends)
			rc = evblock_next(&c->rd, ev, flow);
		else
			rc = c->left <= 0 ? 0 : evblock_next_wanted(&c->rd, ev, flow, in_cache, c);
		if (rc < 0 || (rc > 0 && outside(&c->cur, *flow)))	/* the block read from the start */
			return block_damaged(&c->cur);
		if (rc == 0) {
			c->in_block = 0;
			continue;
		}
		c->event_id = record_id(&c->rd, c->first_event);
		if (c->bounded && c->event_id >= c->upto) {
			/* stored after the first snapshot: the rest is too */
			c->in_block = 0;
			c->blocks_done = 1;
			continue;
		}
		f = record_flow(c, ev, *flow, c->event_id, &err);
		if (err)
			return -1;
		if (!f)
			continue;
		complete(ev, f);
		c->last_us = ev->t_us;
		/* an ended flow has no later events: forget it (not when the
		 * cache is the filter, where absence means "does not match") */
		if (c->drop)
			flow_cache_remove(&c->cache, *flow);
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
	sqlite3_finalize(c->back);
	sqlite3_finalize(c->bloom_stmt);
	sqlite3_finalize(c->data_stmt);
	sqlite3_finalize(c->prefetch);
	if (c->own_txn)		/* a read transaction: nothing to keep or lose */
		txn_exec(c, "COMMIT");
	free(c->data);
	flow_cache_free(&c->cache);
	free(c->match);
	free(c->sel);
	free(c->held);
	free(c->seg);
	free(c);
}
