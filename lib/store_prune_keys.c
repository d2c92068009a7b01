/* After pruning: the keys of the removed flows that no flow left in their range still has, removed from flow_keys. */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "log.h"
#include "store_internal.h"

/* The keys of the flows left in one range, as 64-bit hashes in an open
 * addressing table (0: empty). A collision can only keep a key that should
 * have gone: flow_keys may list a range too many, never one too few. */
struct keyset {
	uint64_t *h;
	size_t cap, n;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9E3779B97F4A7C15ULL;
	return h ^ (h >> 32);
}

/* The hash of key (kind, val) as flow_keys holds val: a blob or an integer. */
static uint64_t key_hash(int kind, sqlite3_value *val)
{
	uint64_t h = mix(0x5bd1e995ULL, (uint64_t)kind);

	if (sqlite3_value_type(val) == SQLITE_BLOB) {
		const unsigned char *p = sqlite3_value_blob(val);
		int i, n = sqlite3_value_bytes(val);

		for (i = 0; i < n; i++)
			h = mix(h, p[i] | 0x100u);
	} else {
		h = mix(h, (uint64_t)sqlite3_value_int64(val));
	}
	return h ? h : 1;
}

static int keyset_add(struct keyset *s, uint64_t h)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8192;
		uint64_t *t = calloc(cap, sizeof(*t)), *old = s->h;

		if (!t)
			return log_error("out of memory");
		s->h = t;
		s->cap = cap;
		s->n = 0;
		for (i = 0; old && i < cap / 2; i++)
			if (old[i])
				keyset_add(s, old[i]);
		free(old);
	}
	for (i = h & (s->cap - 1); s->h[i]; i = (i + 1) & (s->cap - 1))
		if (s->h[i] == h)
			return 0;
	s->h[i] = h;
	s->n++;
	return 0;
}

static int keyset_has(const struct keyset *s, uint64_t h)
{
	size_t i;

	for (i = h & (s->cap - 1); s->h[i]; i = (i + 1) & (s->cap - 1))
		if (s->h[i] == h)
			return 1;
	return 0;
}

/* Fills s with the keys of the flows left in range rng (as STORE_FLOW_KEYS_OF
 * gives them). Returns 0 or -1 (reported). */
static int keys_left(struct store *st, sqlite3_stmt *rows, int64_t rng, struct keyset *s)
{
	int rc, col;

	if (s->h)
		memset(s->h, 0, s->cap * sizeof(*s->h));
	s->n = 0;
	sqlite3_bind_int64(rows, 1, (rng << 10) + 1);
	sqlite3_bind_int64(rows, 2, (rng << 10) + 1024);
	while ((rc = sqlite3_step(rows)) == SQLITE_ROW)
		for (col = 0; col < 4; col++)
			if (sqlite3_column_type(rows, col) != SQLITE_NULL &&
			    keyset_add(s, key_hash(col + 1, sqlite3_column_value(rows, col)))) {
				sqlite3_reset(rows);
				return -1;
			}
	sqlite3_reset(rows);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "cannot prune");
}

int store_prune_drop_keys(struct store *st)
{
	/* the columns of STORE_FLOW_KEYS_OF's four kinds, in kind order */
	static const char rows_sql[] =
		"SELECT o_src, o_dst, o_dport, length(end_dur) * 17592186044416 + (first_us >> 20)"
		" FROM flows WHERE id BETWEEN ?1 AND ?2";
	sqlite3_stmt *cands = NULL, *rows = NULL, *del = NULL;
	struct keyset left = { 0 };
	int64_t rng = -1;
	int rc = SQLITE_ERROR, reported = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT kind, val, rng FROM prune_keys ORDER BY rng", -1,
			       &cands, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, rows_sql, -1, &rows, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "DELETE FROM flow_keys WHERE kind = ?1 AND val = ?2"
			       " AND rng = ?3", -1, &del, NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(cands)) == SQLITE_ROW) {
		int kind = sqlite3_column_int(cands, 0);
		sqlite3_value *val = sqlite3_column_value(cands, 1);

		if (sqlite3_column_int64(cands, 2) != rng) {
			rng = sqlite3_column_int64(cands, 2);
			if (keys_left(st, rows, rng, &left)) {
				reported = 1;
				break;
			}
		}
		if (left.h && keyset_has(&left, key_hash(kind, val)))
			continue;
		sqlite3_bind_int(del, 1, kind);
		sqlite3_bind_value(del, 2, val);
		sqlite3_bind_int64(del, 3, rng);
		rc = sqlite3_step(del);
		sqlite3_reset(del);
		if (rc != SQLITE_DONE)
			break;
	}
out:
	/* (reported before finalizing, as for_each_row() in store_prune.c) */
	if (!reported && rc != SQLITE_DONE)
		store_fail(st, "cannot prune");
	free(left.h);
	sqlite3_finalize(cands);
	sqlite3_finalize(rows);
	sqlite3_finalize(del);
	return rc == SQLITE_DONE && !reported ? 0 : -1;
}
