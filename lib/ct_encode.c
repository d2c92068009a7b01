/* Rebuilds the ctnetlink message an event arrived in, from a struct ct_event. */
#include <arpa/inet.h>
#include <endian.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct_encode.h"

/* Netlink attributes as the kernel lays them out (linux/netlink.h): each
 * appended at the message's aligned end, a header then the payload, padded
 * with zeros to 4 bytes. Written here rather than with libmnl so that ctquery,
 * which encodes only to hand an event to libnetfilter_conntrack's parser,
 * need not load libmnl at start-up (query/nfct_lazy.c). */
static void *msg_tail(struct nlmsghdr *nlh)
{
	return (char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len);
}

static void attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data)
{
	struct nlattr *a = msg_tail(nlh);

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void put_u8(struct nlmsghdr *nlh, uint16_t type, uint8_t v)
{
	attr_put(nlh, type, sizeof(v), &v);
}

static void put_u16(struct nlmsghdr *nlh, uint16_t type, uint16_t v)
{
	attr_put(nlh, type, sizeof(v), &v);
}

static void put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t v)
{
	attr_put(nlh, type, sizeof(v), &v);
}

static void put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t v)
{
	attr_put(nlh, type, sizeof(v), &v);
}

/* Opens a nested attribute; nest_end() gives it the length of what followed. */
static struct nlattr *nest_start(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *a = msg_tail(nlh);

	a->nla_type = type | NLA_F_NESTED;
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_HDRLEN;
	return a;
}

static void nest_end(struct nlmsghdr *nlh, struct nlattr *a)
{
	a->nla_len = (uint16_t)((char *)msg_tail(nlh) - (char *)a);
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const struct ct_tuple *t)
{
	struct nlattr *tn, *n;
	int v6 = t->l3 == AF_INET6;
	size_t alen = v6 ? 16 : 4;

	tn = nest_start(nlh, type);
	n = nest_start(nlh, CTA_TUPLE_IP);
	attr_put(nlh, v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, alen, t->src);
	attr_put(nlh, v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, alen, t->dst);
	nest_end(nlh, n);

	n = nest_start(nlh, CTA_TUPLE_PROTO);
	put_u8(nlh, CTA_PROTO_NUM, t->proto);
	if (t->has_ports) {
		put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
		put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
	}
	if (t->has_icmp) {
		put_u16(nlh, v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, htons(t->iid));
		put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, t->itype);
		put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, t->icode);
	}
	nest_end(nlh, n);
	if (t->has_zone)
		put_u16(nlh, CTA_TUPLE_ZONE, htons(t->zone));
	nest_end(nlh, tn);
}

static void put_counters(struct nlmsghdr *nlh, uint16_t type, uint64_t pkts, uint64_t bytes)
{
	struct nlattr *n = nest_start(nlh, type);

	put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(pkts));
	put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(bytes));
	nest_end(nlh, n);
}

static void put_tcpinfo(struct nlmsghdr *nlh, const struct ct_event *ev)
{
	struct nlattr *pi, *tcp;
	uint64_t v = ev->tcpinfo;
	uint8_t f[2];

	pi = nest_start(nlh, CTA_PROTOINFO);
	tcp = nest_start(nlh, CTA_PROTOINFO_TCP);
	if (v & CT_TCPI_HAS_STATE)
		put_u8(nlh, CTA_PROTOINFO_TCP_STATE, ev->state);
	if (v & CT_TCPI_HAS_WSCALE_O)
		put_u8(nlh, CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, CT_TCPI_WSCALE_O(v));
	if (v & CT_TCPI_HAS_WSCALE_R)
		put_u8(nlh, CTA_PROTOINFO_TCP_WSCALE_REPLY, CT_TCPI_WSCALE_R(v));
	if (v & CT_TCPI_HAS_FLAGS_O) {
		f[0] = CT_TCPI_FLAGS_O(v) & 0xff;
		f[1] = CT_TCPI_FLAGS_O(v) >> 8;
		attr_put(nlh, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, 2, f);
	}
	if (v & CT_TCPI_HAS_FLAGS_R) {
		f[0] = CT_TCPI_FLAGS_R(v) & 0xff;
		f[1] = CT_TCPI_FLAGS_R(v) >> 8;
		attr_put(nlh, CTA_PROTOINFO_TCP_FLAGS_REPLY, 2, f);
	}
	nest_end(nlh, tcp);
	nest_end(nlh, pi);
}

static void put_timestamp(struct nlmsghdr *nlh, const struct ct_event *ev)
{
	struct nlattr *n = nest_start(nlh, CTA_TIMESTAMP);

	if (ev->has & CT_HAS_TS_START)
		put_u64(nlh, CTA_TIMESTAMP_START, htobe64(ev->ts_start));
	if (ev->has & CT_HAS_TS_STOP)
		put_u64(nlh, CTA_TIMESTAMP_STOP, htobe64(ev->ts_stop));
	nest_end(nlh, n);
}

struct nlmsghdr *ct_encode_parts(const struct ct_event *ev, void *buf, unsigned int parts)
{
	struct nlmsghdr *nlh = buf;
	struct nfgenmsg *nfg;
	uint32_t has = ev->has;
	int fields = parts & CT_ENC_FIELDS, rest = parts & CT_ENC_REST;

	memset(nlh, 0, NLMSG_HDRLEN);
	nlh->nlmsg_len = NLMSG_HDRLEN;
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 |
		(ev->type == CT_EV_DESTROY ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_NEW);
	nlh->nlmsg_flags = ev->type == CT_EV_NEW ? NLM_F_CREATE | NLM_F_EXCL : 0;
	nlh->nlmsg_pid = ev->portid;
	nfg = msg_tail(nlh);
	memset(nfg, 0, NLMSG_ALIGN(sizeof(*nfg)));
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLMSG_ALIGN(sizeof(*nfg));
	nfg->nfgen_family = ev->family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;

	if (fields) {
		if (!ev->extra_len || !ct_extra_has(ev, CTA_TUPLE_ORIG))
			put_tuple(nlh, CTA_TUPLE_ORIG, &ev->orig);
		if (!ev->extra_len || !ct_extra_has(ev, CTA_TUPLE_REPLY))
			put_tuple(nlh, CTA_TUPLE_REPLY, &ev->reply);
		if (has & CT_HAS_ZONE)
			put_u16(nlh, CTA_ZONE, htons(ev->zone));
		if (has & CT_HAS_STATUS)
			put_u32(nlh, CTA_STATUS, htonl(ev->status));
	}
	if (rest) {
		if (has & CT_HAS_COUNTERS_ORIG)
			put_counters(nlh, CTA_COUNTERS_ORIG, ev->pkts_orig, ev->bytes_orig);
		if (has & CT_HAS_COUNTERS_REPLY)
			put_counters(nlh, CTA_COUNTERS_REPLY, ev->pkts_reply, ev->bytes_reply);
		if (has & (CT_HAS_TS_START | CT_HAS_TS_STOP))
			put_timestamp(nlh, ev);
	}
	if (fields) {
		if (has & CT_HAS_TIMEOUT)
			put_u32(nlh, CTA_TIMEOUT, htonl(ev->timeout));
		if (has & CT_HAS_TCPINFO)
			put_tcpinfo(nlh, ev);
		if (has & CT_HAS_MARK)
			put_u32(nlh, CTA_MARK, htonl(ev->mark));
		if (has & CT_HAS_ID)
			put_u32(nlh, CTA_ID, htonl(ev->id));
	}
	if (rest) {
		if (has & CT_HAS_KTIME)
			put_u64(nlh, CT_CTA_TIMESTAMP_EVENT, htobe64(ev->ktime));
		if (ev->extra_len) {
			memcpy((char *)nlh + nlh->nlmsg_len, ev->extra, ev->extra_len);
			nlh->nlmsg_len += ev->extra_len;
		}
	}
	return nlh;
}

struct nlmsghdr *ct_encode(const struct ct_event *ev, void *buf)
{
	return ct_encode_parts(ev, buf, CT_ENC_ALL);
}
