/* Turns decoded events into stored flows and events, keeping track of which flows are open. */
#include "filter.h"
#include "flowmap.h"
#include "log.h"
#include "record.h"
#include "store.h"

/* Opens a flow for ev's entry, in the database and in the table of open flows. */
static struct flowmap_entry *open_flow(struct recorder *r, const struct ct_event *ev,
				       int origin)
{
	int64_t flow = store_flow_insert(r->st, r->session, ev, origin);
	struct flowmap_entry *e;

	if (flow < 0)
		return NULL;
	e = flowmap_add(r->open, ev, flow);
	if (!e) {
		log_error("out of memory");
		return NULL;
	}
	e->from_dump = origin == ORIGIN_DUMP;
	r->n.flows++;
	return e;
}

int record_end_unknown(struct recorder *r, const struct flowmap_entry *e, int64_t t_us)
{
	r->n.ended_unknown++;
	return store_flow_end(r->st, e->flow, e->first_us, t_us, END_UNKNOWN, NULL);
}

/* Does the recorder's filter refuse ev? Counts what it refuses. */
static int refused(struct recorder *r, const struct ct_event *ev)
{
	if (!r->filter || filter_match(r->filter, ev))
		return 0;
	r->n.filtered++;
	return 1;
}

/* A DESTROY that is not stored: its flow, if open, ends all the same (with
 * the counters it brought), without the event. */
static int end_unrecorded(struct recorder *r, const struct ct_event *ev)
{
	struct flowmap_entry *e = flowmap_find(r->open, ev);
	int64_t flow, first_us;

	if (!e)
		return 0;
	flow = e->flow;
	first_us = e->first_us;
	flowmap_remove(r->open, e);
	return store_flow_end(r->st, flow, first_us, ev->t_us, END_DESTROYED, ev);
}

int record_event(struct recorder *r, struct ct_event *ev)
{
	struct flowmap_entry *e;
	int64_t flow;

	if ((r->unrecorded & 1u << ev->type) || refused(r, ev))
		return ev->type == CT_EV_DESTROY ? end_unrecorded(r, ev) : 0;
	e = flowmap_find(r->open, ev);

	if (ev->type == CT_EV_NEW && e && !e->from_dump) {
		/* The kernel reused the id and tuple: the old entry's DESTROY was lost. */
		if (record_end_unknown(r, e, ev->t_us))
			return -1;
		flowmap_remove(r->open, e);
		e = NULL;
	}
	if (!e) {
		e = open_flow(r, ev, ev->type == CT_EV_NEW ? ORIGIN_NEW : ORIGIN_UNSEEN);
		if (!e)
			return -1;
		r->n.unseen += ev->type != CT_EV_NEW;
	}
	e->from_dump = 0;
	flow = e->flow;
	if (store_event_insert(r->st, flow, ev))
		return -1;
	if (ev->type == CT_EV_DESTROY) {
		int64_t first_us = e->first_us;

		flowmap_remove(r->open, e);
		if (store_flow_end(r->st, flow, first_us, ev->t_us, END_DESTROYED, ev))
			return -1;
	}
	r->n.events++;
	return 0;
}

int record_dump_entry(struct recorder *r, struct ct_event *ev, int origin)
{
	struct flowmap_entry *e;

	if (refused(r, ev))
		return 0;
	e = flowmap_find(r->open, ev);
	if (!e) {
		e = open_flow(r, ev, origin);
		if (!e)
			return -1;
		e->from_dump = 1;
		ev->type = CT_EV_DUMP;
		/* the answer to our own dump request carries our socket's
		 * portid: no process caused this entry */
		ev->portid = 0;
		ev->progname[0] = '\0';
		if (store_event_insert(r->st, e->flow, ev))
			return -1;
	}
	e->seen = 1;
	return 0;
}

int record_unparsed(struct recorder *r, int64_t t_us, const void *msg, size_t len)
{
	r->n.unparsed++;
	return store_unparsed_insert(r->st, r->session, t_us, msg, len);
}
