/* The store's derived tables as SQL to put in a FROM clause: what were views in the schema before version 10. */
#ifndef CT_STORE_SQL_H
#define CT_STORE_SQL_H

/* Not views: every reader's connection parses the whole schema when it
 * first prepares a statement, and these two took 29% of that (a quarter of
 * a millisecond for each ctquery run); version 10 dropped them. */

/* The flow ids open_ranges lists (candidates: check end_dur IS NULL):
 * columns id, range_first_us (the range's first_us). */
#define STORE_OPEN_FLOW_IDS \
	"(SELECT (o.rng << 10) + 1 + j.value AS id, o.first_us AS range_first_us" \
	" FROM open_ranges o, json_each(o.ids) j)"

/* The keys of each flow, as flow_keys holds them (columns id, kind, val,
 * rng): the one definition that retention and the tests use; the writer
 * computes the same in C (lib/store_keys.c). */
#define STORE_FLOW_KEYS_OF \
	"(SELECT id, 1 AS kind, o_src AS val, (id - 1) >> 10 AS rng FROM flows" \
	" UNION ALL SELECT id, 2, o_dst, (id - 1) >> 10 FROM flows" \
	" UNION ALL SELECT id, 3, o_dport, (id - 1) >> 10 FROM flows WHERE o_dport IS NOT NULL" \
	" UNION ALL SELECT id, 4, length(end_dur) * 17592186044416 + (first_us >> 20)," \
	" (id - 1) >> 10 FROM flows WHERE end_dur IS NOT NULL)"

#endif
