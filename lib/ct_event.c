/* Small helpers over struct ct_event: names, tuple comparison, the verbatim attribute area, the protocol state. */
#include <netinet/in.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct_event.h"

const uint8_t *ct_extra_find(const struct ct_event *ev, uint16_t type, size_t *len)
{
	const struct nlattr *a;
	size_t off = 0;

	while (off + sizeof(*a) <= ev->extra_len) {
		a = (const struct nlattr *)(ev->extra + off);
		if (a->nla_len < sizeof(*a) || off + a->nla_len > ev->extra_len)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type) {
			*len = a->nla_len - sizeof(*a);
			return ev->extra + off + sizeof(*a);
		}
		off += MNL_ALIGN(a->nla_len);
	}
	return NULL;
}

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

int ct_extra_put(struct ct_event *ev, uint16_t type, const void *data, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(sizeof(a) + len), .nla_type = type };
	size_t total = MNL_ALIGN(sizeof(a) + len);

	if (ev->extra_len + total > sizeof(ev->extra))
		return -1;
	memset(ev->extra + ev->extra_len, 0, total);
	memcpy(ev->extra + ev->extra_len, &a, sizeof(a));
	memcpy(ev->extra + ev->extra_len + sizeof(a), data, len);
	ev->extra_len += total;
	return 0;
}

int ct_extra_nest1(struct ct_event *ev, uint16_t nest, uint16_t type, const void *p, size_t len)
{
	char buf[512];
	struct nlattr a = { .nla_len = (uint16_t)(sizeof(a) + len), .nla_type = type };
	size_t inner = MNL_ALIGN(sizeof(a) + len);

	if (inner > sizeof(buf))
		return -1;
	memset(buf, 0, inner);
	memcpy(buf, &a, sizeof(a));
	memcpy(buf + sizeof(a), p, len);
	return ct_extra_put(ev, nest | NLA_F_NESTED, buf, inner);
}

int ct_event_set_state(struct ct_event *ev, uint8_t state)
{
	char inner[16] = { 0 };
	struct nlattr a = { .nla_len = sizeof(a) + 1, .nla_type = 0 };
	uint16_t sub;

	ev->state = state;
	ev->has |= CT_HAS_STATE;
	if (ev->orig.proto == IPPROTO_TCP) {
		ev->tcpinfo = CT_TCPI_HAS_STATE;
		ev->has |= CT_HAS_TCPINFO;
		return 0;
	}
	if (ev->orig.proto == IPPROTO_SCTP) {
		sub = CTA_PROTOINFO_SCTP;
		a.nla_type = CTA_PROTOINFO_SCTP_STATE;
	} else if (ev->orig.proto == IPPROTO_DCCP) {
		sub = CTA_PROTOINFO_DCCP;
		a.nla_type = CTA_PROTOINFO_DCCP_STATE;
	} else {
		return 0;	/* no protoinfo of its own: the state column only */
	}
	memcpy(inner, &a, sizeof(a));
	inner[sizeof(a)] = (char)state;
	return ct_extra_nest1(ev, CTA_PROTOINFO | NLA_F_NESTED, sub | NLA_F_NESTED, inner, 8);
}
