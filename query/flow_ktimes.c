/* The kernel's start and stop times of each flow, read from its events (a flow's row keeps none). */
#include <stdlib.h>

#include "flow_events.h"
#include "flow_ktimes.h"
#include "grow.h"
#include "log.h"

struct ktime_entry {
	int64_t flow;
	uint32_t has;		/* CT_HAS_TS_START, CT_HAS_TS_STOP */
	uint64_t start, stop;
};

struct flow_ktimes {
	struct ktime_entry *v;
	size_t n, cap;
};

/* By flow, then in the order read (the events' order: a flow's later
 * times last); qsort is not stable, so the index breaks ties. */
struct sort_entry {
	struct ktime_entry e;
	size_t i;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct sort_entry *x = a, *y = b;

	if (x->e.flow != y->e.flow)
		return (x->e.flow > y->e.flow) - (x->e.flow < y->e.flow);
	return (x->i > y->i) - (x->i < y->i);
}

/* Merges the entries of each flow into one, its last start and last stop. */
static int merge(struct flow_ktimes *fk)
{
	struct sort_entry *s = fk->n ? malloc(fk->n * sizeof(*s)) : NULL;
	size_t i, k;

	if (fk->n && !s)
		return log_error("out of memory");
	for (i = 0; i < fk->n; i++)
		s[i] = (struct sort_entry){ fk->v[i], i };
	if (fk->n)
		qsort(s, fk->n, sizeof(*s), cmp_entry);
	for (i = k = 0; i < fk->n; i++) {
		struct ktime_entry *e = &s[i].e;

		if (k && fk->v[k - 1].flow == e->flow) {
			struct ktime_entry *m = &fk->v[k - 1];

			if (e->has & CT_HAS_TS_START)
				m->start = e->start;
			if (e->has & CT_HAS_TS_STOP)
				m->stop = e->stop;
			m->has |= e->has;
			continue;
		}
		fk->v[k++] = *e;
	}
	fk->n = k;
	free(s);
	return 0;
}

struct flow_ktimes *flow_ktimes_load(struct store *st, const struct store_query *q)
{
	struct flow_ktimes *fk = calloc(1, sizeof(*fk));
	static struct ct_event ev;
	struct store_cursor *c;
	int64_t flow;
	int rc;

	if (!fk) {
		log_error("out of memory");
		return NULL;
	}
	c = flow_events_open(st, q);
	if (!c) {
		flow_ktimes_free(fk);
		return NULL;
	}
	while ((rc = store_next(c, &ev, &flow)) > 0) {
		struct ktime_entry *v;

		if (!(ev.has & (CT_HAS_TS_START | CT_HAS_TS_STOP)))
			continue;
		if (!(v = grow_array(fk->v, &fk->cap, fk->n, sizeof(*v), 256))) {
			rc = -1;
			break;
		}
		fk->v = v;
		v[fk->n++] = (struct ktime_entry){ flow, ev.has & (CT_HAS_TS_START | CT_HAS_TS_STOP),
						   ev.ts_start, ev.ts_stop };
	}
	store_cursor_free(c);
	if (rc < 0 || merge(fk)) {
		flow_ktimes_free(fk);
		return NULL;
	}
	return fk;
}

void flow_ktimes_attach(const struct flow_ktimes *fk, struct store_flow *fl)
{
	size_t lo = 0, hi = fk->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fk->v[mid].flow < fl->id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == fk->n || fk->v[lo].flow != fl->id)
		return;
	fl->ev.has |= fk->v[lo].has;
	fl->ev.ts_start = fk->v[lo].start;
	fl->ev.ts_stop = fk->v[lo].stop;
}

void flow_ktimes_free(struct flow_ktimes *fk)
{
	if (!fk)
		return;
	free(fk->v);
	free(fk);
}
