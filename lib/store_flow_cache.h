/* Internal to the store: the rows of the flows an events cursor holds, by id (lib/store_flow_cache.c). */
#ifndef CT_STORE_FLOW_CACHE_H
#define CT_STORE_FLOW_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ct_event.h"

/* A flow's part of its events: what the event records leave out. */
struct cflow {
	int64_t id;
	int64_t first_us, last_us;
	int64_t nevents;		/* events stored for it (flows.nevents): in a
					 * snapshot, its records in the blocks */
	int64_t nread;			/* its records read since it was cached */
	uint32_t has, ct_id;		/* has: CT_HAS_ID, CT_HAS_ZONE */
	uint16_t zone;
	uint8_t family;
	uint8_t ended;			/* it has an end (destroyed or unknown) */
	struct ct_tuple orig, reply;
};

/* A slot of the index: the id, and its entry's index + 1 (0 empty). */
struct cslot {
	int64_t id;
	size_t idx;
};

/* Rows in the order they were added, and an open-addressing index over
 * them. All zero is an empty cache. Until the first removal, fl[0..n) are
 * exactly the rows added; after one, removed rows stay in fl[] with the id
 * FLOW_CACHE_GONE until the index next grows. */
struct flow_cache {
	struct cflow *fl;
	size_t n, cap;
	struct cslot *slot;
	size_t nslots;
	size_t nfree;			/* rows removed (their slots hold tombstones) */
};

#define FLOW_CACHE_GONE INT64_MIN	/* the id of a removed row */

/* The row of flow id, or NULL. The pointer holds until the next add. */
struct cflow *flow_cache_find(const struct flow_cache *fc, int64_t id);

/* Adds a copy of f, unless a row of its id is there (then nothing changes).
 * Returns 0, or -1 (reported: out of memory) with the same rows as before. */
int flow_cache_add(struct flow_cache *fc, const struct cflow *f);

/* Removes the row of flow id, if any. */
void flow_cache_remove(struct flow_cache *fc, int64_t id);

/* Frees what the cache holds and leaves it empty. */
void flow_cache_free(struct flow_cache *fc);

#endif
