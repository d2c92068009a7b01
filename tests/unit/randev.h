/* Random events for the unit tests that compare formatters: the same events on every run (xorshift), with the shapes that find their corner cases. */
#ifndef CT_TEST_RANDEV_H
#define CT_TEST_RANDEV_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_event.h"

static unsigned long long rs = 88172645463325252ULL;

/* xorshift64: the same events on every run */
static inline unsigned long long rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static inline int coin(int pct)
{
	return (int)(rnd() % 100) < pct;
}

/* Every protocol the library names, and some it does not. */
static const int protos[] = {
	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_DCCP,
	IPPROTO_GRE, IPPROTO_UDPLITE, 200, 0, 255, 41, 47 + 1, 2, 4,
};
#define NPROTOS (sizeof(protos) / sizeof(protos[0]))

/* An IPv6 address with runs of zero groups of every length and position,
 * ffff groups, IPv4-mapped and -compatible forms. */
static inline void rand_ipv6(uint8_t *a)
{
	int i, base, len, runs;

	for (i = 0; i < 16; i++)
		a[i] = rnd();
	switch (rnd() % 6) {
	case 0:		/* random */
		break;
	case 1:		/* each group zero, ffff or random */
		for (i = 0; i < 8; i++) {
			int k = rnd() % 3;

			if (k < 2)
				a[2 * i] = a[2 * i + 1] = k ? 0xff : 0;
		}
		break;
	case 2:		/* one or two runs of zero groups */
		for (runs = 1 + rnd() % 2; runs; runs--) {
			base = rnd() % 8;
			len = rnd() % (9 - base);
			memset(a + 2 * base, 0, 2 * len);
		}
		break;
	case 3:		/* ::ffff:a.b.c.d, sometimes with zero parts */
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		if (coin(20))
			memset(a + 12, 0, rnd() % 5);
		break;
	case 4:		/* ::a.b.c.d and its neighbours */
		memset(a, 0, 12);
		if (coin(30))
			memset(a + 12, 0, rnd() % 5);
		if (coin(20))
			a[rnd() % 12] = rnd();
		if (coin(10))
			a[10] = 0xff;
		break;
	default:	/* ::, ::1, 1:: */
		memset(a, 0, 16);
		if (coin(50))
			a[coin(50) ? 15 : 1] = 1;
		break;
	}
}

/* An address of family l3 in a[16]: IPv4 ones with zero, 255 and short parts. */
static inline void rand_addr(uint8_t *a, int l3)
{
	int i;

	if (l3 == AF_INET6) {
		rand_ipv6(a);
		return;
	}
	for (i = 0; i < 16; i++)
		a[i] = rnd();
	if (coin(20))
		for (i = 0; i < 4; i++)
			a[i] = coin(30) ? 0 : coin(30) ? 255 : a[i] % (coin(50) ? 10 : 100);
}

/* A tuple, mostly of that family and protocol, with ports, ICMP fields and
 * zones present or not whatever the protocol. */
static inline void rand_tuple(struct ct_tuple *t, int family, int proto)
{
	int icmp;

	memset(t, 0, sizeof(*t));
	t->l3 = coin(97) ? family : coin(50) ? AF_INET : AF_INET6;
	t->proto = coin(95) ? proto : protos[rnd() % NPROTOS];
	rand_addr(t->src, t->l3);
	rand_addr(t->dst, t->l3);
	icmp = t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6;
	t->has_ports = coin(icmp ? 10 : 90);
	t->sport = coin(10) ? 0 : coin(10) ? 65535 : rnd();
	t->dport = coin(10) ? 0 : coin(10) ? 65535 : rnd() % (coin(50) ? 1024 : 65536);
	t->has_icmp = coin(icmp ? 90 : 5);
	t->itype = coin(50) ? rnd() % 4 * 8 : rnd();
	t->icode = coin(70) ? 0 : rnd();
	t->iid = rnd();
	t->has_zone = coin(15);
	t->zone = coin(20) ? 0 : rnd();
}

/* A counter: small, random or the largest. */
static inline uint64_t rand_big(void)
{
	return coin(10) ? ~0ULL : coin(30) ? rnd() : rnd() % (coin(50) ? 1000 : 100000000);
}

/* An event of any type (unknown ones too), family, protocol and presence
 * bits, NAT-like reply tuples, status bits, start and stop times in every
 * order, receive times of any year; no verbatim attributes. */
static inline void rand_event(struct ct_event *ev)
{
	static const uint32_t status_bits[] = {
		IPS_SEEN_REPLY, IPS_ASSURED, IPS_OFFLOAD, IPS_HW_OFFLOAD, IPS_CONFIRMED,
		IPS_SRC_NAT, IPS_DST_NAT, IPS_DYING,
	};
	int family = coin(60) ? AF_INET : coin(95) ? AF_INET6 : (int)(rnd() % 12);
	int proto = protos[rnd() % NPROTOS];
	int l3 = family == AF_INET6 ? AF_INET6 : AF_INET;
	size_t i;

	memset(ev, 0, offsetof(struct ct_event, extra));
	ev->extra_len = 0;
	ev->type = coin(2) ? rnd() % 7 : 1 + rnd() % 4;
	ev->family = family;
	rand_tuple(&ev->orig, l3, proto);
	if (coin(60)) {		/* no NAT */
		ct_tuple_mirror(&ev->orig, &ev->reply);
		ev->reply.has_zone = coin(15);
	} else {
		rand_tuple(&ev->reply, l3, coin(95) ? ev->orig.proto : protos[rnd() % NPROTOS]);
	}
	ev->has = rnd() & 0xfff;
	if (coin(40))
		ev->has |= CT_HAS_STATUS | CT_HAS_TIMEOUT | CT_HAS_ID;
	if (coin(30))
		ev->has |= CT_HAS_COUNTERS_ORIG | CT_HAS_COUNTERS_REPLY | CT_HAS_TS_START |
			   CT_HAS_TS_STOP;
	if (coin(50)) {
		ev->status = 0;
		for (i = 0; i < sizeof(status_bits) / sizeof(status_bits[0]); i++)
			if (coin(40))
				ev->status |= status_bits[i];
	} else {
		ev->status = rnd();
	}
	ev->timeout = coin(10) ? 0 : coin(50) ? rnd() % 432000 : rnd();
	ev->mark = coin(30) ? 0 : rnd();
	ev->id = rnd();
	ev->zone = coin(20) ? 0 : rnd();
	ev->state = coin(80) ? rnd() % 12 : rnd();
	ev->tcpinfo = rnd() & ((1ULL << 53) - 1);
	ev->pkts_orig = rand_big();
	ev->bytes_orig = rand_big();
	ev->pkts_reply = rand_big();
	ev->bytes_reply = rand_big();
	switch (rnd() % 5) {
	case 0:
		ev->ts_start = rnd();
		break;
	case 1:
		ev->ts_start = rnd() % 1000000000;	/* under a second */
		break;
	default:
		ev->ts_start = 1700000000000000000ULL + rnd() % 100000000000000000ULL;
	}
	switch (rnd() % 6) {
	case 0:
		ev->ts_stop = 0;
		break;
	case 1:
		ev->ts_stop = ev->ts_start - rnd() % 10000000000ULL;	/* before the start */
		break;
	case 2:
		ev->ts_stop = rnd();
		break;
	case 3:
		ev->ts_stop = ev->ts_start + rnd() % 3000000000ULL;	/* within seconds */
		break;
	default:
		ev->ts_stop = ev->ts_start + rnd() % 100000000000000ULL;
	}
	ev->ktime = rnd();
	switch (rnd() % 8) {	/* the receive time, for <when> */
	case 0:
		ev->t_us = (int64_t)rnd();	/* any, negative too */
		break;
	case 1:
		ev->t_us = coin(50) ? INT64_MAX : coin(50) ? INT64_MIN : -(int64_t)(rnd() % 100000000);
		break;
	default:
		ev->t_us = 1700000000000000LL + (int64_t)(rnd() % 200000000000000ULL);
	}
}



/* Attributes kept verbatim: the fast path must leave such events alone. */
static inline void rand_extra(struct ct_event *ev)
{
	char buf[512] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *n;

	switch (rnd() % 3) {
	case 0:
		n = mnl_attr_nest_start(nlh, CTA_HELP);
		mnl_attr_put_strz(nlh, CTA_HELP_NAME, "ftp");
		mnl_attr_nest_end(nlh, n);
		break;
	case 1:
		mnl_attr_put_u32(nlh, CTA_USE, htonl(rnd()));
		break;
	default:
		mnl_attr_put_u32(nlh, 60, rnd());	/* unknown to the library */
	}
	ev->extra_len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
	memcpy(ev->extra, buf + MNL_NLMSG_HDRLEN, ev->extra_len);
}

/* The widest event both formats print: IPv6 tuples of 39-character
 * addresses, GRE keys, zones, 20-digit counters, timeout, mark, id and zone
 * at their largest, a TCP state and a start time past the clock. Each test
 * adds what widens its own format most (status bits, stop time). */
static inline void rand_widest(struct ct_event *ev)
{
	struct ct_tuple *t[2] = { &ev->orig, &ev->reply };
	int i;

	memset(ev, 0, offsetof(struct ct_event, extra));
	ev->extra_len = 0;
	ev->type = CT_EV_DESTROY;
	ev->family = AF_INET6;
	for (i = 0; i < 2; i++) {
		t[i]->l3 = AF_INET6;
		t[i]->proto = IPPROTO_GRE;
		memset(t[i]->src, 0xff, 16);
		memset(t[i]->dst, 0xff, 16);
		t[i]->has_ports = t[i]->has_zone = 1;
		t[i]->sport = t[i]->dport = t[i]->zone = 65535;
	}
	ev->has = CT_HAS_STATUS | CT_HAS_TIMEOUT | CT_HAS_MARK | CT_HAS_ID | CT_HAS_ZONE |
		  CT_HAS_COUNTERS_ORIG | CT_HAS_COUNTERS_REPLY | CT_HAS_TS_START |
		  CT_HAS_TCPINFO;
	ev->timeout = ev->mark = ev->id = ~0U;
	ev->zone = 65535;
	ev->tcpinfo = CT_TCPI_HAS_STATE;
	ev->state = 3;	/* ESTABLISHED */
	ev->pkts_orig = ev->bytes_orig = ev->pkts_reply = ev->bytes_reply = ~0ULL;
	ev->ts_start = ~0ULL;
}

/* A shape real histories hold, which the fast formatters must take: a known
 * type, IPv4 or IPv6 throughout, TCP, UDP, ICMP or ICMPv6, no verbatim
 * attributes. */
static inline int rand_is_common(const struct ct_event *ev)
{
	int p = ev->orig.proto;

	return (ev->family == AF_INET || ev->family == AF_INET6) &&
	       ev->orig.l3 == ev->family && ev->reply.l3 == ev->family && !ev->extra_len &&
	       ev->type >= CT_EV_NEW && ev->type <= CT_EV_DUMP &&
	       (p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_ICMP || p == IPPROTO_ICMPV6);
}

#endif
