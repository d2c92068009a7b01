/* Reads events ahead on a thread of its own: a ring of slots filled by store_next() and handed over a batch at a time. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "cond_wait.h"
#include "filter.h"
#include "log.h"
#include "outwait.h"
#include "readahead.h"
#include "store.h"
#include "thread_start.h"

/* The ring: SLOTS events (each about 4.5 KB, with room for verbatim
 * attributes), handed over BATCH at a time so that the two threads meet
 * once per batch, not per event. */
#define SLOTS 1024
#define BATCH 64

struct readahead {
	struct store_cursor *c;
	const struct ct_filter *flt;
	int64_t max;
	struct ra_event *slot;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	uint64_t filled;	/* events handed over (under lock) */
	uint64_t freed;		/* events the reader is done with (under lock) */
	int done;		/* 1 at the end, -1 on an error (under lock) */
	int stop;		/* the reader asks to stop (under lock) */
	uint64_t taken;		/* the reader's: events it took */
	uint64_t seen;		/* the reader's: filled as it last saw it */
};

/* Hands over what was filled up to n, and waits for room for the next batch.
 * Once it has waited RELEASE_AFTER_MS, the cursor gives up its snapshot
 * (store_cursor_release): an output nobody reads (a pager left open) then
 * keeps no old snapshot from the writer. Returns non-zero when asked to stop. */
static int hand_over(struct readahead *ra, uint64_t n)
{
	int stop, waited = 0;

	pthread_mutex_lock(&ra->lock);
	ra->filled = n;
	pthread_cond_signal(&ra->more);
	while (!ra->stop && n + BATCH > ra->freed + SLOTS) {
		if (waited) {
			pthread_cond_wait(&ra->room, &ra->lock);
			continue;
		}
		if (!cond_wait_ms(&ra->room, &ra->lock, RELEASE_AFTER_MS))
			continue;
		/* (an error leaves the cursor failing at its next event) */
		pthread_mutex_unlock(&ra->lock);
		store_cursor_release(ra->c);
		pthread_mutex_lock(&ra->lock);
		waited = 1;
	}
	stop = ra->stop;
	pthread_mutex_unlock(&ra->lock);
	return stop;
}

static void *read_ahead(void *arg)
{
	struct readahead *ra = arg;
	uint64_t n = 0;
	int rc;

	for (;;) {
		struct ra_event *e = &ra->slot[n % SLOTS];

		rc = store_next(ra->c, &e->ev, &e->flow);
		if (rc <= 0)
			break;
		if (!filter_match(ra->flt, &e->ev))
			continue;
		e->id = store_cursor_event_id(ra->c);
		n++;
		if (ra->max && (int64_t)n >= ra->max) {
			rc = 0;
			break;
		}
		if (n % BATCH == 0 && hand_over(ra, n)) {
			rc = 0;
			break;
		}
	}
	pthread_mutex_lock(&ra->lock);
	ra->filled = n;
	ra->done = rc < 0 ? -1 : 1;
	pthread_cond_signal(&ra->more);
	pthread_mutex_unlock(&ra->lock);
	return NULL;
}

struct readahead *readahead_start(struct store *st, const struct store_query *q,
				  const struct ct_filter *flt, int64_t max)
{
	struct readahead *ra = calloc(1, sizeof(*ra));

	if (!ra || !(ra->slot = malloc(SLOTS * sizeof(*ra->slot)))) {
		free(ra);
		log_error("out of memory");
		return NULL;
	}
	ra->flt = flt;
	ra->max = max;
	ra->c = store_events(st, q);
	if (!ra->c) {
		free(ra->slot);
		free(ra);
		return NULL;
	}
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->more, NULL);
	pthread_cond_init(&ra->room, NULL);
	if ((errno = thread_start(&ra->thread, read_ahead, ra))) {
		log_errno("cannot start a thread");
		store_cursor_free(ra->c);
		free(ra->slot);
		free(ra);
		return NULL;
	}
	return ra;
}

int readahead_next(struct readahead *ra, const struct ra_event **e)
{
	if (ra->taken == ra->seen) {
		int done;

		pthread_mutex_lock(&ra->lock);
		ra->freed = ra->taken;	/* the previous event is no longer used */
		pthread_cond_signal(&ra->room);
		while (ra->filled == ra->taken && !ra->done)
			pthread_cond_wait(&ra->more, &ra->lock);
		ra->seen = ra->filled;
		done = ra->done;
		pthread_mutex_unlock(&ra->lock);
		if (ra->taken == ra->seen)
			return done < 0 ? -1 : 0;
	}
	*e = &ra->slot[ra->taken++ % SLOTS];
	return 1;
}

void readahead_end(struct readahead *ra)
{
	if (!ra)
		return;
	pthread_mutex_lock(&ra->lock);
	ra->stop = 1;
	pthread_cond_signal(&ra->room);
	pthread_mutex_unlock(&ra->lock);
	pthread_join(ra->thread, NULL);
	store_cursor_free(ra->c);
	pthread_cond_destroy(&ra->more);
	pthread_cond_destroy(&ra->room);
	pthread_mutex_destroy(&ra->lock);
	free(ra->slot);
	free(ra);
}
