/* Unit test: replay's conntrack objects built with setters (ct_fmt_build) print exactly as those parsed from the rebuilt message, over random events. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_encode.h"
#include "ct_format.h"
#include "randev.h"
#include "unit.h"

#define EVENTS 4000

static void random_tuple(struct ct_tuple *t, int family, int proto)
{
	int i, icmp;

	memset(t, 0, sizeof(*t));
	t->l3 = coin(90) ? family : coin(50) ? AF_INET : AF_INET6;
	t->proto = coin(90) ? proto : protos[rnd() % NPROTOS];
	for (i = 0; i < 16; i++) {
		t->src[i] = rnd();
		t->dst[i] = rnd();
	}
	if (coin(20))
		memset(t->src, 0, 16);
	t->has_ports = coin(80);
	t->sport = coin(10) ? 0 : rnd();
	t->dport = coin(10) ? 65535 : rnd();
	icmp = t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6;
	t->has_icmp = coin(icmp ? 80 : 5);
	t->itype = rnd();
	t->icode = rnd();
	t->iid = rnd();
	t->has_zone = coin(15);
	t->zone = rnd();
}

/* One nested attribute holding one u8. */
static void nest_u8(struct nlmsghdr *nlh, int outer, int inner, int type, uint8_t v)
{
	struct nlattr *a = mnl_attr_nest_start(nlh, outer), *b = mnl_attr_nest_start(nlh, inner);

	mnl_attr_put_u8(nlh, type, v);
	mnl_attr_nest_end(nlh, b);
	mnl_attr_nest_end(nlh, a);
}

/* Attributes kept verbatim, some repeating a field the setters set. */
static size_t random_extra(uint8_t *out)
{
	char buf[8192] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *n, *m;
	uint32_t labels[4] = { rnd(), rnd(), 0, rnd() };
	int k = rnd() % 5;
	size_t len;

	while (k--) {
		switch (rnd() % 14) {
		case 0:
			n = mnl_attr_nest_start(nlh, CTA_HELP);
			mnl_attr_put_strz(nlh, CTA_HELP_NAME, coin(50) ? "ftp" : "sip");
			mnl_attr_nest_end(nlh, n);
			break;
		case 1: mnl_attr_put_u32(nlh, CTA_USE, rnd()); break;
		case 2: mnl_attr_put_u32(nlh, CTA_SECMARK, rnd()); break;
		case 3: mnl_attr_put(nlh, CTA_LABELS, coin(50) ? 16 : 4, labels); break;
		case 4: mnl_attr_put_u32(nlh, 60, rnd()); break;	/* unknown to the library */
		case 5: mnl_attr_put_u32(nlh, CTA_STATUS, rnd()); break;
		case 6: mnl_attr_put_u32(nlh, CTA_MARK, rnd()); break;
		case 7:
			nest_u8(nlh, CTA_PROTOINFO, CTA_PROTOINFO_SCTP, CTA_PROTOINFO_SCTP_STATE,
				rnd() % 12);
			break;
		case 8:
			nest_u8(nlh, CTA_PROTOINFO, CTA_PROTOINFO_DCCP, CTA_PROTOINFO_DCCP_STATE,
				rnd() % 12);
			break;
		case 9:
			n = mnl_attr_nest_start(nlh, CTA_COUNTERS_ORIG);
			mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, rnd());
			mnl_attr_nest_end(nlh, n);
			break;
		case 10:
			n = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);
			mnl_attr_put_u64(nlh, CTA_TIMESTAMP_START, rnd());
			mnl_attr_nest_end(nlh, n);
			break;
		case 11: mnl_attr_put_u16(nlh, CTA_ZONE, rnd()); break;
		case 12: mnl_attr_put_u32(nlh, CTA_TIMEOUT, rnd()); break;
		default:
			n = mnl_attr_nest_start(nlh, coin(50) ? CTA_TUPLE_ORIG : CTA_TUPLE_MASTER);
			m = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
			mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, rnd());
			mnl_attr_put_u32(nlh, CTA_IP_V4_DST, rnd());
			mnl_attr_nest_end(nlh, m);
			mnl_attr_nest_end(nlh, n);
		}
	}
	len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
	memcpy(out, buf + MNL_NLMSG_HDRLEN, len);
	return len;
}

static void random_event(struct ct_event *ev)
{
	int family = coin(70) ? AF_INET : coin(90) ? AF_INET6 : (int)(rnd() % 12);
	int proto = protos[rnd() % NPROTOS];
	int l3 = family == AF_INET6 ? AF_INET6 : AF_INET;

	memset(ev, 0, sizeof(*ev));
	ev->type = 1 + rnd() % 4;
	ev->family = family;
	random_tuple(&ev->orig, l3, proto);
	random_tuple(&ev->reply, l3, coin(95) ? ev->orig.proto : protos[rnd() % NPROTOS]);
	ev->has = rnd() & 0xfff;
	if (coin(30))
		ev->has |= CT_HAS_COUNTERS_ORIG | CT_HAS_COUNTERS_REPLY | CT_HAS_TS_START |
			   CT_HAS_TS_STOP;
	ev->status = coin(50) ? rnd() : (rnd() & 0x1ff);
	ev->timeout = rnd();
	ev->mark = rnd();
	ev->id = rnd();
	ev->zone = rnd();
	ev->state = coin(80) ? rnd() % 12 : rnd();
	ev->tcpinfo = rnd() & ((1ULL << 53) - 1);
	ev->pkts_orig = rnd();
	ev->bytes_orig = rnd();
	ev->pkts_reply = coin(50) ? 0 : rnd();
	ev->bytes_reply = rnd();
	ev->ts_start = rnd() % 2000000000000000000ULL;
	ev->ts_stop = coin(10) ? 0 : ev->ts_start + rnd() % 100000000000000ULL;
	ev->ktime = rnd();
	if (coin(40))
		ev->extra_len = random_extra(ev->extra);
}

/* Do a and b print the same, as every event type, text and XML, with each
 * of conntrack's output flags? A line without a stop time shows a
 * delta-time from the clock, which may tick between the two: one retry. */
static int same_output(struct nf_conntrack *a, struct nf_conntrack *b,
		       struct nfct_labelmap *map)
{
	static const int types[] = { NFCT_T_NEW, NFCT_T_UPDATE, NFCT_T_DESTROY, NFCT_T_UNKNOWN };
	char l1[4096], l2[4096];
	unsigned fl, flags;
	int t, xml, x, y, try;

	for (t = 0; t < 4; t++)
		for (xml = 0; xml < 2; xml++)
			for (fl = 0; fl < 8; fl++) {
				flags = (fl & 1 ? NFCT_OF_SHOW_LAYER3 : 0) | (fl & 2 ? NFCT_OF_ID : 0) |
					(fl & 4 ? NFCT_OF_TIMESTAMP : 0);
				for (try = 0; try < 2; try++) {
					x = nfct_snprintf_labels(l1, sizeof(l1), a, types[t],
								 xml ? NFCT_O_XML : NFCT_O_DEFAULT,
								 flags, map);
					y = nfct_snprintf_labels(l2, sizeof(l2), b, types[t],
								 xml ? NFCT_O_XML : NFCT_O_DEFAULT,
								 flags, map);
					if (x == y && !strcmp(l1, l2))
						break;
				}
				if (try == 2) {
					fprintf(stderr, "  %s\n  %s\n", l1, l2);
					return 0;
				}
			}
	return 1;
}

int main(void)
{
	static char msg[CT_ENCODE_BUFSZ] __attribute__((aligned(8)));
	static struct ct_event ev;
	struct nfct_labelmap *map = nfct_labelmap_new(NULL);
	int i, compared = 0, fast = 0, failed = 0;

	setenv("TZ", "UTC", 1);
	for (i = 0; i < EVENTS && failed < 5; i++) {
		struct nf_conntrack *a = nfct_new(), *b = nfct_new();
		int ra, rb, ok;

		random_event(&ev);
		ra = nfct_nlmsg_parse(ct_encode(&ev, msg), a);
		rb = ct_fmt_build(&ev, b);
		if (!ev.orig.has_icmp && !ev.reply.has_icmp)
			fast++;
		ok = ra == rb && same_output(a, b, map);
		if (!ok)
			fprintf(stderr, "event %d: the two objects differ\n", i);
		failed += !ok;
		compared++;
		nfct_destroy(a);
		nfct_destroy(b);
	}
	CHECK(failed == 0);
	CHECK(compared == EVENTS && fast > EVENTS / 2);
	printf("t_fmtbuild: %d random events, %d built with setters, %d differ\n", compared, fast,
	       failed);
	if (map)
		nfct_labelmap_destroy(map);
	return unit_done("t_fmtbuild");
}
