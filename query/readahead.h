/* Reading events ahead on a thread of its own, so that formatting on the caller's never waits on the store. */
#ifndef CT_READAHEAD_H
#define CT_READAHEAD_H

#include <stdint.h>
#include "ct_event.h"

struct store;
struct store_query;
struct ct_filter;
struct readahead;

/* One event read ahead: what store_next() gave, and the event's id. */
struct ra_event {
	struct ct_event ev;
	int64_t flow, id;
};

/* Starts reading the events q selects that flt matches, in order, from st
 * (the caller does not touch st until readahead_end), at most max of them
 * (0: all). Returns NULL on error (reported). (Building the conntrack
 * objects there too was slower: memory allocated on one thread and freed
 * on the other costs glibc's allocator more than it saves.) */
struct readahead *readahead_start(struct store *st, const struct store_query *q,
				  const struct ct_filter *flt, int64_t max);

/* The next event, valid until the next call. Returns 1, 0 at the end, -1
 * when reading failed (reported by the reading thread). */
int readahead_next(struct readahead *ra, const struct ra_event **e);

/* Stops reading (if it has not ended), waits for the thread, frees ra. */
void readahead_end(struct readahead *ra);

#endif
