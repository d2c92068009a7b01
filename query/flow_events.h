/* The events of the flows a query selects, of any time and session: where list and stats find what a flow's row does not keep (its labels, its kernel times). */
#ifndef CT_FLOW_EVENTS_H
#define CT_FLOW_EVENTS_H

#include "store.h"

/* A cursor over every event (NEW, UPDATE, DESTROY, the start-up dump's
 * entries) of the flows q's pre-filters select, whatever q's window, instant
 * or session: a flow alive in the window, or started by the session, may
 * have had them before it, or in a later session. NULL on failure
 * (reported). */
struct store_cursor *flow_events_open(struct store *st, const struct store_query *q);

#endif
