/* Unit tests of decoding and rebuilding ctnetlink messages: every attribute survives the trip. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_decode.h"
#include "ct_encode.h"
#include "unit.h"

static char a[CT_ENCODE_BUFSZ] __attribute__((aligned(8)));
static char b[CT_ENCODE_BUFSZ] __attribute__((aligned(8)));
static struct ct_event ev, back;

static void tuple4(struct ct_tuple *t, const char *src, const char *dst, int proto,
		   int sport, int dport)
{
	memset(t, 0, sizeof(*t));
	t->l3 = AF_INET;
	t->proto = proto;
	inet_pton(AF_INET, src, t->src);
	inet_pton(AF_INET, dst, t->dst);
	t->sport = sport;
	t->dport = dport;
	t->has_ports = sport >= 0;
}

/* Encodes ev, decodes the message, encodes again: both messages must be equal. */
static void roundtrip(const char *what)
{
	struct nlmsghdr *m1 = ct_encode(&ev, a), *m2;

	CHECK(ct_decode(m1, &back) == 0);
	m2 = ct_encode(&back, b);
	CHECK(m1->nlmsg_len == m2->nlmsg_len);
	CHECK(memcmp(m1, m2, m1->nlmsg_len) == 0);
	CHECK(back.has == ev.has);
	CHECK(back.type == ev.type && back.portid == ev.portid);
	CHECK(ct_tuple_equal(&back.orig, &ev.orig) && ct_tuple_equal(&back.reply, &ev.reply));
	if (unit_failures)
		fprintf(stderr, "  in: %s\n", what);
}

/* Formats a message with libnetfilter_conntrack as conntrack -E would. */
static void format(const struct nlmsghdr *nlh, int type, char *out, size_t size)
{
	struct nf_conntrack *ct = nfct_new();

	CHECK(nfct_nlmsg_parse(nlh, ct) == 0);
	nfct_snprintf(out, size, ct, type, NFCT_O_DEFAULT, NFCT_OF_SHOW_LAYER3 | NFCT_OF_ID);
	nfct_destroy(ct);
}

static void test_udp_new(void)
{
	char line[1024];

	memset(&ev, 0, sizeof(ev));
	ev.type = CT_EV_NEW;
	ev.family = AF_INET;
	tuple4(&ev.orig, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 5000, 53);
	tuple4(&ev.reply, "10.0.0.2", "10.0.0.1", IPPROTO_UDP, 53, 5000);
	ev.has = CT_HAS_STATUS | CT_HAS_TIMEOUT | CT_HAS_ID;
	ev.status = 0x8;
	ev.timeout = 30;
	ev.id = 4711;
	roundtrip("udp new");
	format(ct_encode(&ev, a), NFCT_T_NEW, line, sizeof(line));
	CHECK(!strcmp(line, "    [NEW] ipv4     2 udp      17 30 src=10.0.0.1 dst=10.0.0.2 "
		      "sport=5000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 "
		      "dport=5000 id=4711"));
}

static void test_tcp_destroy_everything(void)
{
	struct nlmsghdr *nlh;
	struct nlattr *n;
	char line[1024];

	memset(&ev, 0, sizeof(ev));
	ev.type = CT_EV_DESTROY;
	ev.family = AF_INET;
	ev.portid = 1234;
	tuple4(&ev.orig, "192.0.2.1", "198.51.100.7", IPPROTO_TCP, 40000, 443);
	tuple4(&ev.reply, "198.51.100.7", "203.0.113.9", IPPROTO_TCP, 443, 40000);
	ev.orig.has_zone = 1;
	ev.orig.zone = 3;
	ev.has = CT_HAS_STATUS | CT_HAS_ID | CT_HAS_MARK | CT_HAS_ZONE |
		 CT_HAS_COUNTERS_ORIG | CT_HAS_COUNTERS_REPLY | CT_HAS_TS_START |
		 CT_HAS_TS_STOP | CT_HAS_KTIME | CT_HAS_STATE | CT_HAS_TCPINFO | CT_HAS_TIMEOUT;
	ev.status = 0x1be;
	ev.id = 99;
	ev.mark = 42;
	ev.zone = 7;
	ev.timeout = 1;
	ev.pkts_orig = 10;
	ev.bytes_orig = 1ULL << 40;
	ev.pkts_reply = 8;
	ev.bytes_reply = 900;
	ev.ts_start = 1764180000000000000ULL;
	ev.ts_stop = 1764180002500000000ULL;
	ev.ktime = 1764180002600000000ULL;
	ev.state = 7;
	ev.tcpinfo = CT_TCPI_HAS_STATE | CT_TCPI_HAS_WSCALE_O | CT_TCPI_HAS_FLAGS_R |
		     7 | 0x2300ULL << 32;
	/* Attributes without a column travel verbatim: a helper and use. */
	nlh = mnl_nlmsg_put_header(b);
	n = mnl_attr_nest_start(nlh, CTA_HELP);
	mnl_attr_put_strz(nlh, CTA_HELP_NAME, "ftp");
	mnl_attr_nest_end(nlh, n);
	mnl_attr_put_u32(nlh, CTA_USE, htonl(2));
	ev.extra_len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
	memcpy(ev.extra, (char *)nlh + MNL_NLMSG_HDRLEN, ev.extra_len);
	roundtrip("tcp destroy");
	CHECK(back.extra_len == ev.extra_len && !memcmp(back.extra, ev.extra, ev.extra_len));
	CHECK(back.bytes_orig == 1ULL << 40 && back.ktime == ev.ktime);
	CHECK(back.tcpinfo == ev.tcpinfo && back.orig.zone == 3);
	format(ct_encode(&ev, a), NFCT_T_DESTROY, line, sizeof(line));
	CHECK(strstr(line, "[DESTROY] ipv4     2 tcp      6 1 TIME_WAIT src=192.0.2.1") == line);
	CHECK(strstr(line, "zone-orig=3 packets=10 bytes=1099511627776 ") != NULL);
	CHECK(strstr(line, "dst=203.0.113.9 sport=443 dport=40000 packets=8 bytes=900 [ASSURED]"
			   " mark=42 zone=7 delta-time=2 helper=ftp use=2 id=99") != NULL);
}

static void test_icmpv6_and_unknown(void)
{
	struct nlmsghdr *m;

	memset(&ev, 0, sizeof(ev));
	ev.type = CT_EV_UPDATE;
	ev.family = AF_INET6;
	ev.orig.l3 = ev.reply.l3 = AF_INET6;
	ev.orig.proto = ev.reply.proto = IPPROTO_ICMPV6;
	inet_pton(AF_INET6, "2001:db8::1", ev.orig.src);
	inet_pton(AF_INET6, "2001:db8::2", ev.orig.dst);
	memcpy(ev.reply.src, ev.orig.dst, 16);
	memcpy(ev.reply.dst, ev.orig.src, 16);
	ev.orig.has_icmp = ev.reply.has_icmp = 1;
	ev.orig.itype = 128;
	ev.reply.itype = 129;
	ev.orig.iid = ev.reply.iid = 77;
	ev.has = CT_HAS_STATUS | CT_HAS_TIMEOUT;
	roundtrip("icmpv6 update");
	CHECK(back.reply.itype == 129 && back.orig.iid == 77);

	/* An attribute type nobody knows yet is kept, not dropped. */
	m = ct_encode(&ev, a);
	mnl_attr_put_u32(m, 60, htonl(0xdeadbeef));
	CHECK(ct_decode(m, &back) == 0);
	CHECK(back.extra_len == 8 && ct_extra_has(&back, 60));
	CHECK(ct_encode(&back, b)->nlmsg_len == m->nlmsg_len);
	CHECK(!memcmp(a, b, m->nlmsg_len));
}

static void test_malformed(void)
{
	struct nlmsghdr *m;

	memset(&ev, 0, sizeof(ev));
	ev.type = CT_EV_NEW;
	ev.family = AF_INET;
	tuple4(&ev.orig, "10.0.0.1", "10.0.0.2", 200, -1, -1);
	tuple4(&ev.reply, "10.0.0.2", "10.0.0.1", 200, -1, -1);
	roundtrip("protocol without ports");
	CHECK(!back.orig.has_ports && back.orig.proto == 200);

	m = ct_encode(&ev, a);
	m->nlmsg_type = NFNL_SUBSYS_QUEUE << 8;
	CHECK(ct_decode(m, &back) == -1);	/* not conntrack */

	m = mnl_nlmsg_put_header(a);	/* no tuples at all */
	m->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW;
	mnl_nlmsg_put_extra_header(m, sizeof(struct nfgenmsg));
	mnl_attr_put_u32(m, CTA_STATUS, 0);
	CHECK(ct_decode(m, &back) == -1);
}

int main(void)
{
	test_udp_new();
	test_tcp_destroy_everything();
	test_icmpv6_and_unknown();
	test_malformed();
	return unit_done("t_codec");
}
