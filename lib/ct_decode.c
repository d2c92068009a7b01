/* Turns a ctnetlink event message into a struct ct_event, keeping what it cannot decode verbatim. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct_decode.h"

/*
 * The attribute walk of libmnl (mnl_attr_ok, mnl_attr_next, the getters),
 * inline: through the library each step is a call into a shared object,
 * which took half of decoding's instructions. The checks are libmnl's: an
 * attribute needs its header and a length that fits what is left of its nest.
 */
static inline int attr_ok(const struct nlattr *a, long left)
{
	return left >= (long)sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= left;
}

static inline uint16_t attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline size_t attr_len(const struct nlattr *a)
{
	return a->nla_len - MNL_ATTR_HDRLEN;
}

static inline const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + MNL_ATTR_HDRLEN;
}

/* Walks the attributes in [start, end). */
#define for_each_attr(a, start, end)						\
	for ((a) = (const struct nlattr *)(start);				\
	     attr_ok((a), (const char *)(end) - (const char *)(a));		\
	     (a) = (const struct nlattr *)((const char *)(a) + MNL_ALIGN((a)->nla_len)))

#define for_each_nested(a, nest) \
	for_each_attr(a, attr_data(nest), (const char *)attr_data(nest) + attr_len(nest))

/* Appends attribute a verbatim to ev->extra; -1 if it does not fit. */
static int keep_verbatim(struct ct_event *ev, const struct nlattr *a)
{
	size_t len = MNL_ALIGN(a->nla_len);

	if (ev->extra_len + len > sizeof(ev->extra))
		return -1;
	memcpy(ev->extra + ev->extra_len, a, a->nla_len);
	memset(ev->extra + ev->extra_len + a->nla_len, 0, len - a->nla_len);
	ev->extra_len += len;
	return 0;
}

static int get_u8(const struct nlattr *a, uint8_t *v)
{
	if (attr_len(a) != 1)
		return -1;
	*v = *(const uint8_t *)attr_data(a);
	return 0;
}

static int get_be16(const struct nlattr *a, uint16_t *v)
{
	uint16_t x;

	if (attr_len(a) != 2)
		return -1;
	memcpy(&x, attr_data(a), 2);
	*v = ntohs(x);
	return 0;
}

static int get_be32(const struct nlattr *a, uint32_t *v)
{
	uint32_t x;

	if (attr_len(a) != 4)
		return -1;
	memcpy(&x, attr_data(a), 4);
	*v = ntohl(x);
	return 0;
}

static int get_be64(const struct nlattr *a, uint64_t *v)
{
	uint64_t x;

	if (attr_len(a) != 8)
		return -1;
	memcpy(&x, attr_data(a), 8);	/* attributes are aligned to 4 only */
	*v = be64toh(x);
	return 0;
}

/* CTA_TUPLE_IP: returns 0 when it held exactly one v4 or v6 pair. */
static int decode_ip(const struct nlattr *nest, struct ct_tuple *t)
{
	const struct nlattr *a;
	int seen = 0;

	for_each_nested(a, nest) {
		uint16_t type = attr_type(a);
		size_t len = attr_len(a);

		switch (type) {
		case CTA_IP_V4_SRC:
		case CTA_IP_V4_DST:
			if (len != 4 || (t->l3 && t->l3 != AF_INET))
				return -1;
			t->l3 = AF_INET;
			break;
		case CTA_IP_V6_SRC:
		case CTA_IP_V6_DST:
			if (len != 16 || (t->l3 && t->l3 != AF_INET6))
				return -1;
			t->l3 = AF_INET6;
			break;
		default:
			return -1;
		}
		memcpy(type == CTA_IP_V4_SRC || type == CTA_IP_V6_SRC ? t->src : t->dst,
		       attr_data(a), len);
		seen |= type == CTA_IP_V4_SRC || type == CTA_IP_V6_SRC ? 1 : 2;
	}
	return seen == 3 ? 0 : -1;
}

/* CTA_TUPLE_PROTO: 0 when every sub-attribute was understood and the set is whole. */
static int decode_proto(const struct nlattr *nest, struct ct_tuple *t, int *have_num)
{
	const struct nlattr *a;
	int ports = 0, icmp = 0, icmp6 = 0;

	for_each_nested(a, nest) {
		switch (attr_type(a)) {
		case CTA_PROTO_NUM:
			if (get_u8(a, &t->proto))
				return -1;
			*have_num = 1;
			break;
		case CTA_PROTO_SRC_PORT:
			if (get_be16(a, &t->sport))
				return -1;
			ports |= 1;
			break;
		case CTA_PROTO_DST_PORT:
			if (get_be16(a, &t->dport))
				return -1;
			ports |= 2;
			break;
		case CTA_PROTO_ICMP_ID:
		case CTA_PROTO_ICMPV6_ID:
			if (get_be16(a, &t->iid))
				return -1;
			*(attr_type(a) == CTA_PROTO_ICMP_ID ? &icmp : &icmp6) |= 1;
			break;
		case CTA_PROTO_ICMP_TYPE:
		case CTA_PROTO_ICMPV6_TYPE:
			if (get_u8(a, &t->itype))
				return -1;
			*(attr_type(a) == CTA_PROTO_ICMP_TYPE ? &icmp : &icmp6) |= 2;
			break;
		case CTA_PROTO_ICMP_CODE:
		case CTA_PROTO_ICMPV6_CODE:
			if (get_u8(a, &t->icode))
				return -1;
			*(attr_type(a) == CTA_PROTO_ICMP_CODE ? &icmp : &icmp6) |= 4;
			break;
		default:
			return -1;
		}
	}
	t->has_ports = ports == 3;
	t->has_icmp = icmp == 7 || icmp6 == 7;
	if ((ports && ports != 3) || (icmp && icmp != 7) || (icmp6 && icmp6 != 7) ||
	    (icmp && icmp6) || (ports && (icmp || icmp6)))
		return -1;
	/* The ICMP attribute set must match the address family to be rebuilt. */
	if (icmp && t->l3 != AF_INET)
		return -1;
	if (icmp6 && t->l3 != AF_INET6)
		return -1;
	return 0;
}

/* Decodes a tuple nest. Returns 0 when fully understood, 1 when usable but
 * holding something it cannot rebuild (the caller then keeps it verbatim),
 * -1 when unusable. */
static int decode_tuple(const struct nlattr *nest, struct ct_tuple *t)
{
	const struct nlattr *a;
	int have_ip = 0, have_num = 0, odd = 0;

	memset(t, 0, sizeof(*t));
	for_each_nested(a, nest) {
		switch (attr_type(a)) {
		case CTA_TUPLE_IP:
			if (decode_ip(a, t))
				return -1;
			have_ip = 1;
			break;
		case CTA_TUPLE_PROTO:
			if (decode_proto(a, t, &have_num))
				odd = 1;
			break;
		case CTA_TUPLE_ZONE:
			if (get_be16(a, &t->zone))
				return -1;
			t->has_zone = 1;
			break;
		default:
			odd = 1;
		}
	}
	if (!have_ip || !have_num)
		return -1;
	return odd;
}

static int decode_counters(const struct nlattr *nest, uint64_t *pkts, uint64_t *bytes)
{
	const struct nlattr *a;
	int seen = 0;

	for_each_nested(a, nest) {
		switch (attr_type(a)) {
		case CTA_COUNTERS_PACKETS:
			if (get_be64(a, pkts))
				return -1;
			seen |= 1;
			break;
		case CTA_COUNTERS_BYTES:
			if (get_be64(a, bytes))
				return -1;
			seen |= 2;
			break;
		case CTA_COUNTERS_PAD:
			break;
		default:
			return -1;
		}
	}
	return seen == 3 ? 0 : -1;
}

static int decode_timestamp(const struct nlattr *nest, struct ct_event *ev)
{
	const struct nlattr *a;
	uint32_t has = 0;

	for_each_nested(a, nest) {
		switch (attr_type(a)) {
		case CTA_TIMESTAMP_START:
			if (get_be64(a, &ev->ts_start))
				return -1;
			has |= CT_HAS_TS_START;
			break;
		case CTA_TIMESTAMP_STOP:
			if (get_be64(a, &ev->ts_stop))
				return -1;
			has |= CT_HAS_TS_STOP;
			break;
		case CTA_TIMESTAMP_PAD:
			break;
		default:
			return -1;
		}
	}
	if (!has)
		return -1;
	ev->has |= has;
	return 0;
}

/* TCP protoinfo packs into ev->tcpinfo; anything else returns -1 (kept verbatim). */
static int decode_tcpinfo(const struct nlattr *nest, struct ct_event *ev)
{
	const struct nlattr *a;
	uint64_t v = 0;
	uint8_t u8;

	for_each_nested(a, nest) {
		switch (attr_type(a)) {
		case CTA_PROTOINFO_TCP_STATE:
			if (get_u8(a, &ev->state))
				return -1;
			v |= CT_TCPI_HAS_STATE;
			break;
		case CTA_PROTOINFO_TCP_WSCALE_ORIGINAL:
			if (get_u8(a, &u8))
				return -1;
			v |= CT_TCPI_HAS_WSCALE_O | u8;
			break;
		case CTA_PROTOINFO_TCP_WSCALE_REPLY:
			if (get_u8(a, &u8))
				return -1;
			v |= CT_TCPI_HAS_WSCALE_R | (uint64_t)u8 << 8;
			break;
		case CTA_PROTOINFO_TCP_FLAGS_ORIGINAL:
		case CTA_PROTOINFO_TCP_FLAGS_REPLY: {
			const uint8_t *p = attr_data(a);
			uint64_t f;

			if (attr_len(a) != 2)
				return -1;
			f = p[0] | (uint64_t)p[1] << 8;
			if (attr_type(a) == CTA_PROTOINFO_TCP_FLAGS_ORIGINAL)
				v |= CT_TCPI_HAS_FLAGS_O | f << 16;
			else
				v |= CT_TCPI_HAS_FLAGS_R | f << 32;
			break;
		}
		default:
			return -1;
		}
	}
	ev->tcpinfo = v;
	return 0;
}

/* Reads the state out of any protoinfo (for the state column) without keeping it. */
static void peek_state(const struct nlattr *nest, struct ct_event *ev)
{
	const struct nlattr *p, *a;

	for_each_nested(p, nest) {
		for_each_nested(a, p) {
			if (attr_type(a) == 1 /* *_STATE in TCP, DCCP, SCTP */ &&
			    get_u8(a, &ev->state) == 0)
				ev->has |= CT_HAS_STATE;
		}
	}
}

static int decode_protoinfo(const struct nlattr *nest, struct ct_event *ev)
{
	const struct nlattr *a;
	int n = 0, ok = 0;

	for_each_nested(a, nest) {
		n++;
		if (attr_type(a) == CTA_PROTOINFO_TCP && decode_tcpinfo(a, ev) == 0)
			ok = 1;
	}
	if (n == 1 && ok) {
		ev->has |= CT_HAS_TCPINFO;
		if (ev->tcpinfo & CT_TCPI_HAS_STATE)
			ev->has |= CT_HAS_STATE;
		return 0;
	}
	ev->tcpinfo = 0;
	peek_state(nest, ev);
	return -1;
}

/* One top-level attribute. Returns 0 when stored in a field, 1 when it must be
 * kept verbatim, -1 when the message is unusable. */
static int decode_attr(const struct nlattr *a, struct ct_event *ev, int *tuples)
{
	switch (attr_type(a)) {
	case CTA_TUPLE_ORIG:
	case CTA_TUPLE_REPLY: {
		int orig = attr_type(a) == CTA_TUPLE_ORIG;
		int r = decode_tuple(a, orig ? &ev->orig : &ev->reply);

		if (r < 0)
			return -1;
		*tuples |= orig ? 1 : 2;
		return r;
	}
	case CTA_STATUS:
		ev->has |= CT_HAS_STATUS;
		return get_be32(a, &ev->status) ? -1 : 0;
	case CTA_TIMEOUT:
		ev->has |= CT_HAS_TIMEOUT;
		return get_be32(a, &ev->timeout) ? -1 : 0;
	case CTA_MARK:
		ev->has |= CT_HAS_MARK;
		return get_be32(a, &ev->mark) ? -1 : 0;
	case CTA_ID:
		ev->has |= CT_HAS_ID;
		return get_be32(a, &ev->id) ? -1 : 0;
	case CTA_ZONE:
		ev->has |= CT_HAS_ZONE;
		return get_be16(a, &ev->zone) ? -1 : 0;
	case CTA_COUNTERS_ORIG:
		if (decode_counters(a, &ev->pkts_orig, &ev->bytes_orig))
			return 1;
		ev->has |= CT_HAS_COUNTERS_ORIG;
		return 0;
	case CTA_COUNTERS_REPLY:
		if (decode_counters(a, &ev->pkts_reply, &ev->bytes_reply))
			return 1;
		ev->has |= CT_HAS_COUNTERS_REPLY;
		return 0;
	case CTA_TIMESTAMP:
		return decode_timestamp(a, ev) ? 1 : 0;
	case CTA_PROTOINFO:
		return decode_protoinfo(a, ev) ? 1 : 0;
	case CT_CTA_TIMESTAMP_EVENT:
		if (get_be64(a, &ev->ktime))
			return 1;
		ev->has |= CT_HAS_KTIME;
		return 0;
	}
	return 1;
}

int ct_decode(const struct nlmsghdr *nlh, struct ct_event *ev)
{
	const struct nfgenmsg *nfg;
	const struct nlattr *a;
	int tuples = 0;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)))
		return -1;
	memset(ev, 0, offsetof(struct ct_event, extra));
	ev->extra_len = 0;
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case IPCTNL_MSG_CT_NEW:
		ev->type = nlh->nlmsg_flags & NLM_F_CREATE ? CT_EV_NEW : CT_EV_UPDATE;
		break;
	case IPCTNL_MSG_CT_DELETE:
		ev->type = CT_EV_DESTROY;
		break;
	default:
		return -1;
	}
	nfg = mnl_nlmsg_get_payload(nlh);
	ev->family = nfg->nfgen_family;
	ev->portid = nlh->nlmsg_pid;

	for_each_attr(a, (const char *)nfg + MNL_ALIGN(sizeof(*nfg)),
		      (const char *)nlh + MNL_ALIGN(nlh->nlmsg_len)) {
		int r = decode_attr(a, ev, &tuples);

		if (r < 0)
			return -1;
		if (r > 0 && keep_verbatim(ev, a))
			return -1;
	}
	return tuples == 3 ? 0 : -1;
}
