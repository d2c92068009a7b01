/* Unit test of lib/store_flow_cache.c: adds, finds and removes against a plain array of what should be there, in the orders a cursor uses (runs of ids, scattered ids, removal at each flow's end). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_flow_cache.h"
#include "unit.h"

#define IDS (1 << 16)

/* model[id]: 0 absent, else the first_us the row of id was added with. */
static int64_t model[IDS];

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int add(struct flow_cache *fc, int64_t id, int64_t first_us)
{
	struct cflow f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	f.first_us = first_us;
	if (flow_cache_add(fc, &f))
		return -1;
	if (!model[id])
		model[id] = first_us;	/* (an id already there keeps its row) */
	return 0;
}

static void del(struct flow_cache *fc, int64_t id)
{
	flow_cache_remove(fc, id);
	model[id] = 0;
}

/* Every id agrees with the model; the live rows are as many as it holds. */
static void check_all(const struct flow_cache *fc, const char *what)
{
	size_t live = 0, found = 0, wrong = 0, k;
	int64_t id;

	for (id = 1; id < IDS; id++) {
		struct cflow *f = flow_cache_find(fc, id);

		live += model[id] != 0;
		if (f)
			found++;
		if (model[id] ? !f || f->id != id || f->first_us != model[id] : f != NULL)
			wrong++;
	}
	CHECK(wrong == 0);
	CHECK(found == live);
	CHECK(fc->n - fc->nfree == live);
	for (k = 0; k < fc->n; k++)	/* rows are the live ones and the removed (GONE) ones */
		CHECK(fc->fl[k].id == FLOW_CACHE_GONE ||
		      (fc->fl[k].id > 0 && fc->fl[k].id < IDS && model[fc->fl[k].id]));
	if (wrong)
		fprintf(stderr, "  %s: %zu ids disagree with the model\n", what, wrong);
}

int main(void)
{
	struct flow_cache fc = { 0 };
	int64_t id, t = 1;
	int i, failed = 0;

	/* empty: nothing found, removing nothing is harmless */
	CHECK(flow_cache_find(&fc, 1) == NULL);
	flow_cache_remove(&fc, 1);
	check_all(&fc, "empty");

	/* a run of consecutive ids (a replay reading flows in order), each
	 * added twice: the second add keeps the first row */
	for (id = 1; id <= 5000 && !failed; id++)
		failed |= add(&fc, id, t++) || add(&fc, id, t++);
	CHECK(!failed);
	check_all(&fc, "a run of ids");

	/* every other one ends (removed), then ids that hash into the same runs */
	for (id = 1; id <= 5000; id += 2)
		del(&fc, id);
	check_all(&fc, "half removed");
	for (id = 64 * 1024 - 1; id > 5000 && !failed; id -= 64)
		failed |= add(&fc, id, t++);
	CHECK(!failed);
	check_all(&fc, "scattered ids over removed ones");

	/* churn: random adds and removes, the index growing and compacting */
	for (i = 0; i < 200000 && !failed; i++) {
		id = (int64_t)(rnd() % (IDS - 1)) + 1;
		if (rnd() % 3)
			failed |= add(&fc, id, t++);
		else
			del(&fc, id);
	}
	CHECK(!failed);
	check_all(&fc, "churn");

	/* everything removed: nothing found, then the cache fills again */
	for (id = 1; id < IDS; id++)
		if (model[id])
			del(&fc, id);
	check_all(&fc, "all removed");
	for (id = 100; id < 200 && !failed; id++)
		failed |= add(&fc, id, t++);
	CHECK(!failed);
	check_all(&fc, "refilled");

	flow_cache_free(&fc);
	CHECK(fc.fl == NULL && fc.slot == NULL && fc.n == 0 && fc.nslots == 0);
	memset(model, 0, sizeof(model));
	check_all(&fc, "freed");
	return unit_done("t_flow_cache");
}
