/* The events of the flows a query selects, of any time and session. */
#include "flow_events.h"

struct store_cursor *flow_events_open(struct store *st, const struct store_query *q)
{
	struct store_query eq = *q;

	eq.pf &= ~(STORE_PF_SINCE | STORE_PF_UNTIL | STORE_PF_AT | STORE_PF_SESSION);
	eq.type_mask = 1 << CT_EV_NEW | 1 << CT_EV_UPDATE | 1 << CT_EV_DESTROY | 1 << CT_EV_DUMP;
	return store_events(st, &eq);
}
