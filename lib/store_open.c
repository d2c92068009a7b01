/* The writer's changes to open_ranges (schema/schema.sql, one row per range of 1024 flow ids): flows born and ended since the rows were written, merged into them so that other writers' flows stay listed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "clock.h"
#include "grow.h"
#include "log.h"
#include "store_internal.h"

#define RANGE_SHIFT 10
#define RANGE_IDS (1 << RANGE_SHIFT)
#define WORDS (RANGE_IDS / 64)

/* Ranges whose flows only ended are written at most this often: until then
 * their rows still list those flows (readers check end_dur IS NULL). */
#define SWEEP_US 10000000

enum { DIRTY_BIRTH = 1, DIRTY_END = 2 };

/* What changed in a range since its row was written. */
struct orange {
	int64_t rng;
	int64_t first_us;	/* the least first_us of the flows born, INT64_MAX if none */
	uint64_t born[WORDS];	/* open flows the row does not list yet */
	uint64_t ended[WORDS];	/* flows the row may list that ended */
	uint8_t dirty;		/* DIRTY_* */
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

/* The range rng, added (unchanged) when missing. NULL: out of memory (reported). */
static struct orange *get(struct store_openset *o, int64_t rng)
{
	struct orange *r;
	int found;
	size_t i = find(o, rng, &found);

	if (found)
		return &o->r[i];
	if (!(r = grow_array(o->r, &o->cap, o->n, sizeof(*r), 64)))
		return NULL;
	o->r = r;
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
	struct orange *r = get(&st->open, rng_of(id));

	if (!r)
		return -1;
	r->born[k / 64] |= 1ULL << (k % 64);
	r->ended[k / 64] &= ~(1ULL << (k % 64));
	if (first_us < r->first_us)
		r->first_us = first_us;
	r->dirty |= DIRTY_BIRTH;
	return 0;
}

int store_open_end(struct store *st, int64_t id)
{
	unsigned k = (unsigned)((id - 1) & (RANGE_IDS - 1));
	uint64_t bit = 1ULL << (k % 64);
	struct orange *r = get(&st->open, rng_of(id));

	if (!r)
		return -1;
	if (r->born[k / 64] & bit) {	/* never written: nothing to take back */
		r->born[k / 64] &= ~bit;
		return 0;
	}
	r->ended[k / 64] |= bit;
	r->dirty |= DIRTY_END;
	return 0;
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

/* Sets in bits the offsets a row's ids text lists ("[0,1,5]"; anything
 * else in it is skipped). */
static void parse_ids(const unsigned char *t, uint64_t *bits)
{
	unsigned k = 0;
	int in_num = 0;

	for (; t && *t; t++) {
		if (*t >= '0' && *t <= '9') {
			k = k * 10 + (unsigned)(*t - '0');
			in_num = 1;
			continue;
		}
		if (in_num && k < RANGE_IDS)
			bits[k / 64] |= 1ULL << (k % 64);
		k = 0;
		in_num = 0;
	}
}

/* Reads range rng's row: its offsets into bits, its first_us into *first_us.
 * Returns 1 when there is a row, 0 when none, -1 (reported). */
static int read_range(struct store *st, int64_t rng, uint64_t *bits, int64_t *first_us)
{
	sqlite3_stmt *s = store_stmt(st, STMT_OPEN_GET);
	int rc;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, rng);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*first_us = sqlite3_column_int64(s, 0);
		parse_ids(sqlite3_column_text(s, 1), bits);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, "cannot read the open flows");
	return rc == SQLITE_ROW;
}

/* Writes range r's row: what it listed, with r's births and without its
 * ends; deleted when that leaves none. */
static int write_range(struct store *st, const struct orange *r)
{
	uint64_t bits[WORDS] = { 0 };
	int64_t first_us = INT64_MAX;
	int had = read_range(st, r->rng, bits, &first_us), any = 0;
	char *text, *p;
	sqlite3_stmt *s;
	unsigned k;

	if (had < 0)
		return -1;
	for (k = 0; k < WORDS; k++) {
		bits[k] = (bits[k] | r->born[k]) & ~r->ended[k];
		any |= bits[k] != 0;
	}
	if (r->first_us < first_us)
		first_us = r->first_us;
	if (!any) {
		if (!had)
			return 0;
		s = store_stmt(st, STMT_OPEN_DEL);
		if (!s)
			return -1;
		sqlite3_bind_int64(s, 1, r->rng);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlite3_reset(s);
			return store_fail(st, "cannot list the open flows");
		}
		sqlite3_reset(s);
		return 0;
	}
	/* "[" + up to 1024 offsets of up to 4 digits and a comma + "]" */
	text = p = malloc(2 + RANGE_IDS * 5 + 1);
	if (!text)
		return log_error("out of memory");
	*p++ = '[';
	for (k = 0; k < RANGE_IDS; k++)
		if (bits[k / 64] & (1ULL << (k % 64))) {
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
	sqlite3_bind_int64(s, 2, first_us);
	sqlite3_bind_text(s, 3, text, (int)(p - text), free);
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return store_fail(st, "cannot list the open flows");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return 0;
}

/* After a rollback: the changes kept in memory are gone, and some the rows
 * were to lose with them (ends not swept yet). Marks as ended, in every
 * range, the flows its row lists that have ended (or are gone), to be
 * written with the other changes. Returns 0 or -1 (reported). */
static int list_ended(struct store *st)
{
	static const char sql[] =
		"SELECT o.rng, j.value FROM open_ranges o, json_each(o.ids) j"
		" WHERE NOT EXISTS (SELECT 1 FROM flows f"
		"  WHERE f.id = (o.rng << 10) + 1 + j.value AND f.end_dur IS NULL)";
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read the open flows");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t k = sqlite3_column_int64(s, 1);

		if (k >= 0 && k < RANGE_IDS &&
		    store_open_end(st, (sqlite3_column_int64(s, 0) << RANGE_SHIFT) + 1 + k))
			break;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)	/* out of memory, reported */
		return -1;
	if (rc != SQLITE_DONE)
		return store_fail(st, "cannot read the open flows");
	st->open.stale = 0;
	return 0;
}

int store_open_flush(struct store *st, int all)
{
	struct store_openset *o = &st->open;
	int64_t now = clock_mono_us();
	size_t i, kept = 0;

	if (o->stale && list_ended(st))
		return -1;
	if (!all && now - o->swept_us >= SWEEP_US)
		all = 1;
	for (i = 0; i < o->n; i++) {
		struct orange *r = &o->r[i];

		if ((r->dirty & DIRTY_BIRTH) || (all && r->dirty)) {
			if (write_range(st, r))
				return -1;
			r->dirty = 0;
		}
	}
	/* a range written (or a birth taken back) has nothing left to write */
	for (i = 0; i < o->n; i++)
		if (o->r[i].dirty)
			o->r[kept++] = o->r[i];
	o->n = kept;
	if (all)
		o->swept_us = now;
	return 0;
}

int store_open_pending(const struct store *st)
{
	return st->open.n > 0;
}

void store_open_forget(struct store *st)
{
	st->open.n = 0;
	st->open.stale = 1;
	st->open.swept_us = clock_mono_us();
}

void store_open_free(struct store *st)
{
	free(st->open.r);
	memset(&st->open, 0, sizeof(st->open));
}
