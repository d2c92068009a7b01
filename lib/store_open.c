/* The writer's set of open flows, and its rows in open_ranges (schema/schema.sql): one row per range of 1024 flow ids. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "clock.h"
#include "log.h"
#include "store_internal.h"

#define RANGE_SHIFT 10
#define RANGE_IDS (1 << RANGE_SHIFT)

/* Ranges whose flows only ended are written at most this often: until then
 * their rows still list those flows (readers check end_dur IS NULL). */
#define SWEEP_US 10000000

enum { DIRTY_BIRTH = 1, DIRTY_END = 2 };

struct orange {
	int64_t rng;
	int64_t first_us;	/* at most the first_us of any flow it listed */
	uint64_t bits[RANGE_IDS / 64];
	uint16_t n;		/* bits set */
	uint8_t dirty;		/* DIRTY_* since the row was last written */
	uint8_t in_db;		/* a row exists */
};

static int64_t rng_of(int64_t id)
{
	return (id - 1) >> RANGE_SHIFT;
}

/* The range rng, or where it would be inserted (*found says which). */
static size_t find(const struct store_openset *o, int64_t rng, int *found)
{
	size_t lo = 0, hi = o->n;

	if (o->n && o->r[o->n - 1].rng <= rng) {	/* the newest range: most births */
		*found = o->r[o->n - 1].rng == rng;
		return *found ? o->n - 1 : o->n;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (o->r[mid].rng < rng)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < o->n && o->r[lo].rng == rng;
	return lo;
}

/* The range rng, added (empty) when missing. NULL: out of memory (reported). */
static struct orange *get(struct store_openset *o, int64_t rng)
{
	int found;
	size_t i = find(o, rng, &found);

	if (found)
		return &o->r[i];
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct orange *r = realloc(o->r, cap * sizeof(*r));

		if (!r) {
			log_error("out of memory");
			return NULL;
		}
		o->r = r;
		o->cap = cap;
	}
	memmove(&o->r[i + 1], &o->r[i], (o->n - i) * sizeof(*o->r));
	o->n++;
	memset(&o->r[i], 0, sizeof(*o->r));
	o->r[i].rng = rng;
	o->r[i].first_us = INT64_MAX;
	return &o->r[i];
}

int store_open_add(struct store *st, int64_t id, int64_t first_us)
{
	unsigned k = (unsigned)((id - 1) & (RANGE_IDS - 1));
	uint64_t bit = 1ULL << (k % 64);
	struct orange *r = get(&st->open, rng_of(id));

	if (!r)
		return -1;
	if (!(r->bits[k / 64] & bit)) {
		r->bits[k / 64] |= bit;
		r->n++;
	}
	if (first_us < r->first_us)
		r->first_us = first_us;
	r->dirty |= DIRTY_BIRTH;
	return 0;
}

void store_open_end(struct store *st, int64_t id)
{
	unsigned k = (unsigned)((id - 1) & (RANGE_IDS - 1));
	uint64_t bit = 1ULL << (k % 64);
	int found;
	size_t i = find(&st->open, rng_of(id), &found);
	struct orange *r = found ? &st->open.r[i] : NULL;

	if (r && (r->bits[k / 64] & bit)) {
		r->bits[k / 64] &= ~bit;
		r->n--;
		r->dirty |= DIRTY_END;
	}
}

/* Writes an offset in a range (below 1024) in decimal at p; returns the end.
 * (sprintf took 4% of the writer's instructions here.) */
static char *put_offset(char *p, unsigned k)
{
	if (k >= 1000)
		*p++ = '0' + k / 1000;
	if (k >= 100)
		*p++ = '0' + k / 100 % 10;
	if (k >= 10)
		*p++ = '0' + k / 10 % 10;
	*p++ = '0' + k % 10;
	return p;
}

/* Writes range r's row as the set has it: replaced, or deleted when empty. */
static int write_range(struct store *st, struct orange *r)
{
	char *text, *p;
	sqlite3_stmt *s;
	unsigned k;

	if (!r->n) {
		if (r->in_db) {
			s = store_stmt(st, STMT_OPEN_DEL);
			if (!s)
				return -1;
			sqlite3_bind_int64(s, 1, r->rng);
			if (sqlite3_step(s) != SQLITE_DONE) {
				sqlite3_reset(s);
				return store_fail(st, "cannot list the open flows");
			}
			sqlite3_reset(s);
		}
		r->in_db = 0;
		r->dirty = 0;
		return 0;
	}
	/* "[" + up to 1024 offsets of up to 4 digits and a comma + "]" */
	text = p = malloc(2 + RANGE_IDS * 5 + 1);
	if (!text)
		return log_error("out of memory");
	*p++ = '[';
	for (k = 0; k < RANGE_IDS; k++)
		if (r->bits[k / 64] & (1ULL << (k % 64))) {
			if (p[-1] != '[')
				*p++ = ',';
			p = put_offset(p, k);
		}
	*p++ = ']';
	s = store_stmt(st, STMT_OPEN_PUT);
	if (!s) {
		free(text);
		return -1;
	}
	sqlite3_bind_int64(s, 1, r->rng);
	sqlite3_bind_int64(s, 2, r->first_us);
	sqlite3_bind_text(s, 3, text, (int)(p - text), free);
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return store_fail(st, "cannot list the open flows");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	r->in_db = 1;
	r->dirty = 0;
	return 0;
}

int store_open_flush(struct store *st, int all)
{
	struct store_openset *o = &st->open;
	int64_t now = clock_mono_us();
	size_t i, kept = 0;

	if (!all && now - o->swept_us >= SWEEP_US)
		all = 1;
	for (i = 0; i < o->n; i++) {
		struct orange *r = &o->r[i];

		if (((r->dirty & DIRTY_BIRTH) || (all && r->dirty)) && write_range(st, r))
			return -1;
	}
	if (all) {
		o->swept_us = now;
		for (i = 0; i < o->n; i++)	/* forget the empty ranges */
			if (o->r[i].n || o->r[i].in_db)
				o->r[kept++] = o->r[i];
		o->n = kept;
	}
	return 0;
}

int store_open_load(struct store *st)
{
	static const char sql[] =
		"SELECT o.rng, o.first_us, f.id, f.first_us FROM open_ranges o"
		" LEFT JOIN json_each(o.ids) j LEFT JOIN flows f"
		" ON f.id = (o.rng << 10) + 1 + j.value AND f.end_dur IS NULL ORDER BY o.rng";
	struct store_openset *o = &st->open;
	sqlite3_stmt *s;
	int rc;

	o->n = 0;
	o->stale = 0;
	o->swept_us = clock_mono_us();
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read the open flows");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct orange *r;

		if (sqlite3_column_type(s, 2) != SQLITE_NULL &&
		    store_open_add(st, sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3)))
			break;
		if (!(r = get(o, sqlite3_column_int64(s, 0))))
			break;
		if (sqlite3_column_int64(s, 1) < r->first_us)
			r->first_us = sqlite3_column_int64(s, 1);
		/* loaded, not born: rewritten at the next sweep, as it may
		 * list flows that ended (or none) */
		r->in_db = 1;
		r->dirty = DIRTY_END;
	}
	if (rc == SQLITE_ROW) {		/* out of memory, reported */
		sqlite3_finalize(s);
		return -1;
	}
	if (rc != SQLITE_DONE)
		store_fail(st, "cannot read the open flows");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

void store_open_free(struct store *st)
{
	free(st->open.r);
	memset(&st->open, 0, sizeof(st->open));
}
