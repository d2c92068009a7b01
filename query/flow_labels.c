/* The connection labels each flow had last, read from its events (a flow's row keeps none). */
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "flow_events.h"
#include "flow_labels.h"
#include "grow.h"
#include "log.h"

struct label_entry {
	int64_t flow, event;	/* the flow, and the event that carried them */
	size_t off, len;	/* in bytes[] */
};

struct flow_labels {
	struct label_entry *v;
	size_t n, cap;
	uint8_t *bytes;
	size_t nbytes, cap_bytes;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct label_entry *x = a, *y = b;

	if (x->flow != y->flow)
		return (x->flow > y->flow) - (x->flow < y->flow);
	return (x->event > y->event) - (x->event < y->event);
}

/* Keeps labels p (len bytes) of flow's event id. Returns 0 or -1 (reported). */
static int add(struct flow_labels *fls, int64_t flow, int64_t event, const uint8_t *p,
	       size_t len)
{
	struct label_entry *v = grow_array(fls->v, &fls->cap, fls->n, sizeof(*v), 256);
	uint8_t *b;

	if (!v)
		return -1;
	fls->v = v;
	b = grow_to(fls->bytes, &fls->cap_bytes, fls->nbytes + len, 1, 4096);
	if (!b)
		return -1;
	fls->bytes = b;
	memcpy(b + fls->nbytes, p, len);
	v[fls->n++] = (struct label_entry){ flow, event, fls->nbytes, len };
	fls->nbytes += len;
	return 0;
}

struct flow_labels *flow_labels_load(struct store *st, const struct store_query *q)
{
	struct flow_labels *fls = calloc(1, sizeof(*fls));
	static struct ct_event ev;
	struct store_cursor *c;
	const uint8_t *p;
	size_t len, i, k;
	int64_t flow;
	int rc;

	if (!fls) {
		log_error("out of memory");
		return NULL;
	}
	c = flow_events_open(st, q);
	if (!c) {
		flow_labels_free(fls);
		return NULL;
	}
	while ((rc = store_next(c, &ev, &flow)) > 0)
		if ((p = ct_extra_find(&ev, CTA_LABELS, &len)) &&
		    add(fls, flow, store_cursor_event_id(c), p, len)) {
			rc = -1;
			break;
		}
	store_cursor_free(c);
	if (rc < 0) {
		flow_labels_free(fls);
		return NULL;
	}
	/* the last of each flow's */
	if (fls->n)
		qsort(fls->v, fls->n, sizeof(*fls->v), cmp_entry);
	for (i = k = 0; i < fls->n; i++) {
		if (k && fls->v[k - 1].flow == fls->v[i].flow)
			k--;
		fls->v[k++] = fls->v[i];
	}
	fls->n = k;
	return fls;
}

int flow_labels_attach(const struct flow_labels *fls, struct store_flow *fl)
{
	struct label_entry key = { .flow = fl->id }, *e;
	size_t lo = 0, hi = fls->n;

	while (lo < hi) {	/* (bsearch wants equal keys; the events differ) */
		size_t mid = lo + (hi - lo) / 2;

		if (fls->v[mid].flow < key.flow)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == fls->n || fls->v[lo].flow != key.flow)
		return 0;
	e = &fls->v[lo];
	if (ct_extra_put(&fl->ev, CTA_LABELS, fls->bytes + e->off, e->len))
		return log_error("flow %lld: no room for its labels", (long long)fl->id);
	return 0;
}

void flow_labels_free(struct flow_labels *fls)
{
	if (!fls)
		return;
	free(fls->v);
	free(fls->bytes);
	free(fls);
}
