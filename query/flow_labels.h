/* The connection labels each flow had last, for list's and stats' -l and list's -o labels: a flow's row keeps none, its events do. */
#ifndef CT_FLOW_LABELS_H
#define CT_FLOW_LABELS_H

#include "store.h"

struct flow_labels;

/* Reads the events of the flows q's pre-filters select (of any time and
 * session, every type, the start-up dump's entries too) and keeps for each
 * flow the labels of its last event that carried any: what conntrack -L
 * would have shown then. The kernel sends a flow's labels with the event of
 * a change only, and none once all are removed: such a flow keeps its last.
 * Returns the set (empty when no flow had labels), or NULL (reported). */
struct flow_labels *flow_labels_load(struct store *st, const struct store_query *q);

/* Adds flow fl's labels, if it had any, to fl->ev as the CTA_LABELS
 * attribute its events carried, so that filter_match() and the formatters
 * see them as in an event. fl was just filled by store_next_flow(). Returns
 * 0, or -1 when fl->ev has no room for them (reported). */
int flow_labels_attach(const struct flow_labels *fls, struct store_flow *fl);

void flow_labels_free(struct flow_labels *fls);

#endif
