/* Retention while recording: prunes the oldest history in small steps, by age and by size. */
#include "clock.h"
#include "log.h"
#include "retention.h"
#include "store_prune.h"

/* Flows per step: small enough that the writer's queue barely notices. */
#define STEP_FLOWS 2000
/* Blocks of events per step for a size limit, at most (a time limit takes
 * STEP_FLOWS / 100 too). */
#define STEP_BLOCKS 20
#define IDLE_US (5 * 1000000)
#define BUSY_US (20 * 1000)

int retention_enabled(const struct retention *r)
{
	return r->keep_us > 0 || r->max_bytes > 0;
}

/* One step; *more says whether there is work left. */
static int step(struct retention *r, struct store *st, int *more)
{
	struct prune_result res;
	int64_t now = clock_now_us(), used;

	*more = 0;
	if (r->keep_us > 0) {
		if (store_prune_step(st, now - r->keep_us, STEP_FLOWS, now, &res))
			return -1;
		r->flows += res.flows;
		r->events += res.events;
		if (res.flows + res.events) {
			*more = 1;
			return 0;
		}
	}
	if (r->max_bytes > 0) {
		used = store_used_bytes(st);
		if (used < 0)
			return -1;
		if (used > r->max_bytes) {
			int64_t blocks = store_block_count(st), n = 1;

			if (blocks < 0)
				return -1;
			/* as many blocks as the excess holds at the average size of a
			 * block and its share of the rest, so that a step overshoots
			 * by less than a block: each step reads the ranges of the
			 * flows it removes, which a DESTROY storm scatters over many */
			if (blocks > 0)
				n = (used - r->max_bytes) / (used / blocks + 1);
			n = n < 1 ? 1 : n > STEP_BLOCKS ? STEP_BLOCKS : n;
			if (store_prune_step(st, INT64_MAX, (int)n, now, &res))
				return -1;
			r->flows += res.flows;
			r->events += res.events;
			*more = res.flows + res.events > 0;
			if (!*more)
				log_warn("the database is over --max-size but holds no ended flow"
					 " and no event to remove");
		}
	}
	return 0;
}

int retention_step(struct retention *r, struct store *st)
{
	int64_t now = clock_mono_us();
	int more;

	if (!retention_enabled(r) || now < r->next_us)
		return 0;
	if (step(r, st, &more))
		return -1;
	r->next_us = now + (more ? BUSY_US : IDLE_US);
	return 0;
}

int retention_run(struct retention *r, struct store *st)
{
	int more = 1;

	while (more)
		if (step(r, st, &more))
			return -1;
	log_info("pruned %llu flows and %llu events", (unsigned long long)r->flows,
		 (unsigned long long)r->events);
	return 0;
}
