/* The rows of the flows an events cursor holds, by id: an array and an open-addressing index over it that keeps runs of consecutive ids together. */
#include <stdlib.h>

#include "grow.h"
#include "log.h"
#include "store_flow_cache.h"

#define TOMB ((size_t)-1)	/* the idx of a slot whose row was removed */

/* The cache's first sizes: a selective query holds a few flows, and the
 * 1,024 rows it used to start with (156 KB) came from an mmap of their own,
 * with its system calls and page faults, in every `ctquery show`. */
#define FIRST_ROWS 16
#define FIRST_SLOTS 64

/* Flow ids are dense and mostly read in order: 64 consecutive ids keep 64
 * neighbouring slots (and cache lines), and each run of 64 goes where
 * Fibonacci hashing of id / 64 puts it. The id itself as the hash (until
 * session 8) filled one long run of slots with the flows a filter keeps
 * (the TCP ones of a storm), and looking up an id that is not there (each
 * UDP event's) walked the run: `replay -p tcp` on the 1.1M-flow history
 * took 11 s, 91% of it here. */
static size_t hash_id(int64_t id, size_t nslots)
{
	uint64_t run = ((uint64_t)id >> 6) * 0x9E3779B97F4A7C15ULL;

	return ((size_t)(run >> (64 - __builtin_ctzll(nslots))) & ~(size_t)63) |
	       ((size_t)id & 63);
}

struct cflow *flow_cache_find(const struct flow_cache *fc, int64_t id)
{
	size_t i;

	if (!fc->nslots)
		return NULL;
	for (i = hash_id(id, fc->nslots); fc->slot[i].idx; i = (i + 1) & (fc->nslots - 1))
		if (fc->slot[i].id == id && fc->slot[i].idx != TOMB)
			return &fc->fl[fc->slot[i].idx - 1];
	return NULL;
}

/* Rebuilds the index with room for twice the live rows, dropping removed ones. */
static int grow_index(struct flow_cache *fc)
{
	size_t live = fc->n - fc->nfree, n = FIRST_SLOTS, k, j = 0, i;
	struct cslot *slot;

	while (n < (live + 1) * 4)
		n *= 2;
	slot = calloc(n, sizeof(*slot));
	if (!slot)
		return log_error("out of memory");
	for (k = 0; k < fc->n; k++)
		if (fc->fl[k].id != FLOW_CACHE_GONE)
			fc->fl[j++] = fc->fl[k];
	fc->n = j;
	fc->nfree = 0;
	for (k = 0; k < fc->n; k++) {
		for (i = hash_id(fc->fl[k].id, n); slot[i].idx; i = (i + 1) & (n - 1))
			;
		slot[i].id = fc->fl[k].id;
		slot[i].idx = k + 1;
	}
	free(fc->slot);
	fc->slot = slot;
	fc->nslots = n;
	return 0;
}

int flow_cache_add(struct flow_cache *fc, const struct cflow *f)
{
	struct cflow *p;
	size_t i;

	if (flow_cache_find(fc, f->id))
		return 0;
	if ((fc->n + 1) * 2 > fc->nslots && grow_index(fc))
		return -1;
	if (!(p = grow_array(fc->fl, &fc->cap, fc->n, sizeof(*p), FIRST_ROWS)))
		return -1;
	fc->fl = p;
	fc->fl[fc->n] = *f;
	for (i = hash_id(f->id, fc->nslots); fc->slot[i].idx && fc->slot[i].idx != TOMB;
	     i = (i + 1) & (fc->nslots - 1))
		;
	fc->slot[i].id = f->id;
	fc->slot[i].idx = ++fc->n;
	return 0;
}

void flow_cache_remove(struct flow_cache *fc, int64_t id)
{
	size_t i;

	if (!fc->nslots)
		return;
	for (i = hash_id(id, fc->nslots); fc->slot[i].idx; i = (i + 1) & (fc->nslots - 1))
		if (fc->slot[i].id == id && fc->slot[i].idx != TOMB) {
			fc->fl[fc->slot[i].idx - 1].id = FLOW_CACHE_GONE;
			fc->slot[i].idx = TOMB;
			fc->nfree++;
			return;
		}
}

void flow_cache_free(struct flow_cache *fc)
{
	free(fc->fl);
	free(fc->slot);
	*fc = (struct flow_cache){ 0 };
}
