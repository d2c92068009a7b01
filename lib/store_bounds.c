/* The most that the flows of a query can hold (tuple shapes, counters, ids, durations): what list's table makes room for past the rows it measured. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store_internal.h"
#include "store_query.h"

/* Each tuple's shape as a number, proto * 8 + 4 for IPv6 + 0 (nothing
 * after the addresses), 1 (ports or keys) or 2 (ICMP fields); the reply's
 * is the original's when m.r_l3 is NULL (its mirror). The distinct ones in
 * a list: an aggregate over all rows, without GROUP BY, which would sort
 * every row. */
#define SHAPE(l3, ports, icmp) \
	"(f.proto * 8 + 4 * (" l3 " = 10) + CASE WHEN " icmp " IS NOT NULL THEN 2" \
	" WHEN " ports " IS NOT NULL THEN 1 ELSE 0 END)"
static const char bounds_head[] =
	"SELECT group_concat(DISTINCT " SHAPE("f.o_l3", "f.o_sport", "m.o_itype") "),"
	" group_concat(DISTINCT CASE WHEN m.r_l3 IS NOT NULL THEN "
	SHAPE("m.r_l3", "m.r_sport", "m.r_itype") " END),"
	" max(f.o_packets), min(f.o_packets), max(f.r_packets), min(f.r_packets),"
	" max(f.o_bytes), min(f.o_bytes), max(f.r_bytes), min(f.r_bytes), max(f.id),"
	" max(CASE WHEN f.end_kind = 1 THEN f.end_dur END)";

/* Adds the shapes listed in column col (comma-separated; NULL: none). */
static void add_shapes(sqlite3_stmt *s, int col, struct store_flow_bounds *b)
{
	const char *p = (const char *)sqlite3_column_text(s, col);
	char *end;
	long k;

	while (p && *p) {
		k = strtol(p, &end, 10);
		if (end == p || k < 0 || k >= 256 * 8 || k % 4 == 3)
			break;	/* (none such: the SQL above makes them) */
		b->shapes[k / 8] |= 1 << ((k % 8 >= 4 ? STORE_SHAPE_V6 : 0) * 3 + k % 4);
		p = *end == ',' ? end + 1 : end;
	}
}

/* Raises *v to column col's largest value as the counter's unsigned 64
 * bits: a value of 2^63 or more is stored negative (its min). */
static void counter(sqlite3_stmt *s, int col, uint64_t *v)
{
	uint64_t max = (uint64_t)sqlite3_column_int64(s, col);

	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return;
	if (sqlite3_column_int64(s, col + 1) < 0)
		max = UINT64_MAX;
	if (max > *v)
		*v = max;
}

int store_flow_bounds(struct store *st, const struct store_query *q, int64_t after,
		      struct store_flow_bounds *b)
{
	struct store_query bq = *q;
	sqlite3_stmt *s;
	int rc;

	memset(b, 0, sizeof(*b));
	b->max_dur_us = -1;
	bq.pf |= STORE_PF_IDS;
	bq.ids_after = after;
	bq.ids_upto = INT64_MAX;
	s = store_query_prepare(st, &bq, bounds_head, "");
	if (!s)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		add_shapes(s, 0, b);
		add_shapes(s, 1, b);
		counter(s, 2, &b->pkts_orig);
		counter(s, 4, &b->pkts_reply);
		counter(s, 6, &b->bytes_orig);
		counter(s, 8, &b->bytes_reply);
		b->max_id = sqlite3_column_int64(s, 10);
		if (sqlite3_column_type(s, 11) != SQLITE_NULL)
			b->max_dur_us = sqlite3_column_int64(s, 11);
		rc = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	sqlite3_set_authorizer(st->db, NULL, NULL);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "cannot read flows");
}
