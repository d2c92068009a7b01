/* Small helpers over struct ct_event: names, tuple comparison, the verbatim attribute area. */
#include <string.h>
#include <libmnl/libmnl.h>

#include "ct_event.h"

int ct_extra_has(const struct ct_event *ev, uint16_t type)
{
	const struct nlattr *a;
	size_t off = 0;

	while (off + sizeof(*a) <= ev->extra_len) {
		a = (const struct nlattr *)(ev->extra + off);
		if (a->nla_len < sizeof(*a))
			return 0;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return 1;
		off += MNL_ALIGN(a->nla_len);
	}
	return 0;
}

const char *ct_ev_type_name(int type)
{
	switch (type) {
	case CT_EV_NEW: return "NEW";
	case CT_EV_UPDATE: return "UPDATE";
	case CT_EV_DESTROY: return "DESTROY";
	case CT_EV_DUMP: return "DUMP";
	}
	return "UNKNOWN";
}

int ct_tuple_equal(const struct ct_tuple *a, const struct ct_tuple *b)
{
	size_t alen = a->l3 == b->l3 && a->l3 == 10 ? 16 : 4;

	if (a->l3 != b->l3 || a->proto != b->proto ||
	    memcmp(a->src, b->src, alen) || memcmp(a->dst, b->dst, alen))
		return 0;
	if (a->has_ports != b->has_ports || a->has_icmp != b->has_icmp ||
	    a->has_zone != b->has_zone)
		return 0;
	if (a->has_ports && (a->sport != b->sport || a->dport != b->dport))
		return 0;
	if (a->has_icmp && (a->itype != b->itype || a->icode != b->icode ||
			    a->iid != b->iid))
		return 0;
	return !a->has_zone || a->zone == b->zone;
}

void ct_tuple_mirror(const struct ct_tuple *t, struct ct_tuple *m)
{
	*m = *t;
	memcpy(m->src, t->dst, sizeof(m->src));
	memcpy(m->dst, t->src, sizeof(m->dst));
	m->sport = t->dport;
	m->dport = t->sport;
}
