/* The kernel's start and stop times of each flow, for list -o conntrack,ktimestamp: a flow's row keeps none, its events do. */
#ifndef CT_FLOW_KTIMES_H
#define CT_FLOW_KTIMES_H

#include "store.h"

struct flow_ktimes;

/* Reads the events of the flows q's pre-filters select (of any time and
 * session, the start-up dump's entries too) and keeps for each flow the
 * last start (CTA_TIMESTAMP_START) and the last stop an event carried: the
 * kernel sends them in a table dump's entries and with a flow's DESTROY
 * (with net.netfilter.nf_conntrack_timestamp=1), not with NEW or UPDATE.
 * Holds 32 bytes per event that carried them. Returns the set, or NULL
 * (reported). */
struct flow_ktimes *flow_ktimes_load(struct store *st, const struct store_query *q);

/* Sets flow fl's start and stop, when its events carried them, in fl->ev as
 * an event carries them (ts_start, ts_stop and their CT_HAS_ bits), for the
 * formatters. fl was just filled by store_next_flow(). */
void flow_ktimes_attach(const struct flow_ktimes *fk, struct store_flow *fl);

void flow_ktimes_free(struct flow_ktimes *fk);

#endif
