/* Unit test: ct_xml_format() writes byte for byte what libnetfilter_conntrack writes (as format_line() has it written) for the same event, over random events and every flag it handles, and takes the common ones. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_format.h"
#include "ct_xml.h"
#include "unit.h"

#define EVENTS 30000

static unsigned long long rs = 88172645463325252ULL;

/* xorshift64: the same events on every run */
static unsigned long long rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static int coin(int pct)
{
	return (int)(rnd() % 100) < pct;
}

static const int protos[] = {
	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_DCCP,
	IPPROTO_GRE, IPPROTO_UDPLITE, 200, 0, 255, 41, 47 + 1, 2, 4,
};
#define NPROTOS (sizeof(protos) / sizeof(protos[0]))

/* An IPv6 address with runs of zero groups of every length and position,
 * ffff groups, IPv4-mapped and -compatible forms. */
static void random_ipv6(uint8_t *a)
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

static void random_addr(uint8_t *a, int l3)
{
	int i;

	if (l3 == AF_INET6) {
		random_ipv6(a);
		return;
	}
	for (i = 0; i < 16; i++)
		a[i] = rnd();
	if (coin(20))
		for (i = 0; i < 4; i++)
			a[i] = coin(30) ? 0 : coin(30) ? 255 : a[i] % (coin(50) ? 10 : 100);
}

static void random_tuple(struct ct_tuple *t, int family, int proto)
{
	int icmp;

	memset(t, 0, sizeof(*t));
	t->l3 = coin(97) ? family : coin(50) ? AF_INET : AF_INET6;
	t->proto = coin(95) ? proto : protos[rnd() % NPROTOS];
	random_addr(t->src, t->l3);
	random_addr(t->dst, t->l3);
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

static uint64_t big(void)
{
	return coin(10) ? ~0ULL : coin(30) ? rnd() : rnd() % (coin(50) ? 1000 : 100000000);
}

static void random_event(struct ct_event *ev)
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
	random_tuple(&ev->orig, l3, proto);
	if (coin(60)) {		/* no NAT */
		ct_tuple_mirror(&ev->orig, &ev->reply);
		ev->reply.has_zone = coin(15);
	} else {
		random_tuple(&ev->reply, l3, coin(95) ? ev->orig.proto : protos[rnd() % NPROTOS]);
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
	ev->pkts_orig = big();
	ev->bytes_orig = big();
	ev->pkts_reply = big();
	ev->bytes_reply = big();
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
static void random_extra(struct ct_event *ev)
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

/* An event whose line is as long as a line can be: IPv6 tuples of
 * 39-character addresses, GRE keys (one byte more than udplite's name and
 * ports), zones, 20-digit counters, every optional element, and a 20-digit
 * deltatime: a start time past the clock and no stop (with both, the
 * deltatime has at most 11 digits). */
static void longest_event(struct ct_event *ev)
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
	ev->status = IPS_ASSURED;	/* and not SEEN_REPLY: <assured/><unreplied/> */
	ev->timeout = ev->mark = ev->id = ~0U;
	ev->zone = 65535;
	ev->tcpinfo = CT_TCPI_HAS_STATE;
	ev->state = 3;	/* ESTABLISHED */
	ev->pkts_orig = ev->bytes_orig = ev->pkts_reply = ev->bytes_reply = ~0ULL;
	ev->ts_start = ~0ULL;	/* the clock minus 18446744073 s, wrapped */
	ev->t_us = INT64_MIN;		/* the widest year */
}

/* format_line()'s set_when() in lib/ct_format.c: the event's receive time
 * in place of the library's <when>. */
static void set_when(char *buf, size_t size, int64_t t_us)
{
	char when[160], *start, *end;
	time_t t = t_us / 1000000;
	struct tm tm;
	size_t tail;

	start = strstr(buf, "<when>");
	end = start ? strstr(start, "</when>") : NULL;
	if (!end || !localtime_r(&t, &tm))
		return;
	end += strlen("</when>");
	snprintf(when, sizeof(when),
		 "<when><hour>%d</hour><min>%02d</min><sec>%02d</sec><wday>%d</wday>"
		 "<day>%d</day><month>%d</month><year>%d</year></when>",
		 tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_wday + 1, tm.tm_mday,
		 tm.tm_mon + 1, 1900 + tm.tm_year);
	tail = strlen(end) + 1;
	if ((size_t)(start - buf) + strlen(when) + tail > size)
		return;
	memmove(start + strlen(when), end, tail);
	memcpy(start, when, strlen(when));
}

/* The library's line, as format_line() in lib/ct_format.c has it written.
 * Returns its length, or -1. */
static int library_line(const struct ct_event *ev, unsigned int flags, char *line)
{
	static const int types[] = {
		[CT_EV_NEW] = NFCT_T_NEW, [CT_EV_UPDATE] = NFCT_T_UPDATE,
		[CT_EV_DESTROY] = NFCT_T_DESTROY, [CT_EV_DUMP] = NFCT_T_UNKNOWN,
	};
	struct nf_conntrack *ct;
	char big[4096];
	int ret = -1;

	if (ev->type < CT_EV_NEW || ev->type > CT_EV_DUMP)
		return -1;	/* ct_fmt_event() refuses those */
	ct = nfct_new();
	if (ct && ct_fmt_build(ev, ct) == 0) {
		if (flags & NFCT_OF_TIME) {
			ret = nfct_snprintf_labels(big, sizeof(big), ct, types[ev->type],
						   NFCT_O_XML, flags, NULL);
			set_when(big, sizeof(big), ev->t_us);
			big[1023] = 0;
			memcpy(line, big, strlen(big) + 1);
		} else {
			ret = nfct_snprintf_labels(line, 1024, ct, types[ev->type], NFCT_O_XML,
						   flags, NULL);
		}
	}
	if (ct)
		nfct_destroy(ct);
	return ret < 0 ? -1 : (int)strlen(line);
}

/* A shape real histories hold, which the fast path must take (when the
 * library's line is not cut). */
static int common(const struct ct_event *ev)
{
	int p = ev->orig.proto;

	return (ev->family == AF_INET || ev->family == AF_INET6) &&
	       ev->orig.l3 == ev->family && ev->reply.l3 == ev->family && !ev->extra_len &&
	       ev->type >= CT_EV_NEW && ev->type <= CT_EV_DUMP &&
	       (p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_ICMP || p == IPPROTO_ICMPV6);
}

static int failed;

/* Pieces the lines compared must have shown somewhere, so that each rule was
 * put to the test. */
static const char *const pieces[] = {
	"<flow>", "<flow type=\"new\">", "<flow type=\"update\">", "<flow type=\"destroy\">",
	"protonum=\"10\" protoname=\"ipv6\"", "protonum=\"2\" protoname=\"ipv4\"",
	"<layer4 protonum=\"200\" protoname=\"unknown\"></layer4>",
	"<layer4 protonum=\"136\" protoname=\"udplite\"><sport>",
	"<layer4 protonum=\"33\" protoname=\"dccp\"><sport>",
	"<layer4 protonum=\"132\" protoname=\"sctp\"><sport>",
	"<layer4 protonum=\"1\" protoname=\"icmp\"></layer4>",
	"<layer4 protonum=\"58\" protoname=\"icmpv6\"></layer4>",
	"<srckey>0x", "<dstkey>0x0</dstkey>", "<sport>65535</sport>", "<dport>0</dport>",
	"</layer4><zone>", "<zone>0</zone>",
	"<meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>",
	"<packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"independent\">",
	"<packets>18446744073709551615</packets>", "<state>SYN_SENT2</state>",
	"<state>ESTABLISHED</state>", "<state>NONE</state>", "<timeout>0</timeout>",
	"<mark>0</mark>", "<id>", "<assured/><unreplied/>", "<assured/>", "<unreplied/>",
	"<meta direction=\"independent\"></meta>", "<timestamp><start>", "</start><stop>",
	"<timestamp><stop>", "</start></timestamp>", "<deltatime>0</deltatime>",
	"<deltatime>1844674407", "</meta><when><hour>", "<year>-", "<min>0", "<sec>0",
	"</when></flow>", "</meta></flow>",
	">::ffff:", ">::1<", ">::<", "::1.", ":0:", ">0.0.0.0<", ">255.255.", ":ffff:0:",
};
#define NPIECES (sizeof(pieces) / sizeof(pieces[0]))
static int seen[NPIECES];

/* Compares the two lines of ev with these flags, and checks that the fast
 * path writes nothing past CT_XML_BUFSZ. Returns the fast path's length (its
 * line matched, else it is reported), -1 when it declined, -2 when it
 * declined a line the library cut at 1023 bytes (a line of 1023 bytes or
 * more that the fast path keeps is reported). *lib_len is the library's
 * length. A line with a deltatime from the clock is compared again when the
 * clock ticked in between. */
static int compare(const struct ct_event *ev, unsigned int flags, int n, int *lib_len)
{
	char fast[CT_XML_BUFSZ + 64], lib[1024];
	int try, x = -1, y = -1;
	size_t i;
	time_t t0;

	for (try = 0; try < 2; try++) {
		t0 = time(NULL);
		memset(fast, 0xa5, sizeof(fast));
		x = ct_xml_format(ev, flags, fast, CT_XML_BUFSZ);
		for (i = CT_XML_BUFSZ; i < sizeof(fast); i++)
			if ((unsigned char)fast[i] != 0xa5) {
				if (failed++ < 5)
					fprintf(stderr, "event %d, flags 0x%x: written past the buffer\n",
						n, flags);
				break;
			}
		y = library_line(ev, flags, lib);
		*lib_len = y;
		if (x < 0)
			return y == 1023 ? -2 : -1;
		if (x == y && !memcmp(fast, lib, x + 1) && x < 1023) {
			for (i = 0; i < NPIECES; i++)
				seen[i] |= strstr(fast, pieces[i]) != NULL;
			return x;
		}
		if (time(NULL) == t0)
			break;
	}
	if (failed++ < 5) {
		int d = 0, from;

		while (x >= 0 && d < x && d < y && fast[d] == lib[d])
			d++;
		from = d > 60 ? d - 60 : 0;
		fprintf(stderr, "event %d, flags 0x%x: %d and %d bytes, first difference at byte %d\n"
			"  fast: '%.*s'\n  lib:  '%s'\n  there: fast '...%.100s'\n"
			"         lib  '...%.100s'\n", n, flags, x, y, d, x < 0 ? 0 : x, fast, lib,
			x < 0 ? "" : fast + from, y < 0 ? "" : lib + from);
	}
	return x;
}

/* ct_fmt_event() end to end, with ct_xml_format() inside it: the library's
 * line, the [USERSPACE] suffix, the newline. Returns non-zero on a mismatch. */
static int compare_event(const struct ct_event *ev, unsigned int flags, int n)
{
	struct ct_fmt f = { .xml = 1, .header_done = 1 };
	char *out = NULL, want[1024 + 128];
	size_t len = 0;
	int try, y, bad = 1;
	time_t t0;
	FILE *mf;

	f.extended = !!(flags & NFCT_OF_SHOW_LAYER3);
	f.id = !!(flags & NFCT_OF_ID);
	f.ktimestamp = !!(flags & NFCT_OF_TIMESTAMP);
	f.timestamp = !!(flags & NFCT_OF_TIME);
	for (try = 0; try < 2 && bad; try++) {
		free(out);
		out = NULL;
		t0 = time(NULL);
		mf = open_memstream(&out, &len);
		if (!mf)
			return 1;
		ct_fmt_event(&f, ev, mf);
		fclose(mf);
		if (library_line(ev, flags, want) < 0)
			want[0] = 0;
		y = strlen(want);
		if (ev->portid) {
			y += snprintf(want + y, sizeof(want) - y, " [USERSPACE] portid=%u",
				      ev->portid);
			if (ev->progname[0])
				y += snprintf(want + y, sizeof(want) - y, " progname=%s",
					      ev->progname);
		}
		want[y++] = '\n';
		want[y] = 0;
		bad = len != (size_t)y || memcmp(out, want, y);
		if (time(NULL) == t0)
			break;
	}
	if (bad && failed++ < 5)
		fprintf(stderr, "event %d, flags 0x%x, ct_fmt_event():\n  got:  '%s'\n  want: '%s'\n",
			n, flags, out, want);
	free(out);
	return bad;
}

int main(void)
{
	static const unsigned int flagsets[] = {
		0, NFCT_OF_SHOW_LAYER3, NFCT_OF_ID, NFCT_OF_SHOW_LAYER3 | NFCT_OF_ID,
		NFCT_OF_TIMESTAMP, NFCT_OF_TIMESTAMP | NFCT_OF_ID, NFCT_OF_TIME,
		NFCT_OF_SHOW_LAYER3 | NFCT_OF_ID | NFCT_OF_TIMESTAMP | NFCT_OF_TIME,
	};
#define NFLAGSETS (sizeof(flagsets) / sizeof(flagsets[0]))
	static struct ct_event ev;
	char buf[CT_XML_BUFSZ];
	int i, len, lib_len, compared = 0, must = 0, taken = 0, extra = 0, extra_declined = 0;
	int longest = 0, other = 0, unseen = 0, cut = 0, e2e = 0, e2e_bad = 0;
	size_t f, k;

	/* A zone with summer time and a half-hour offset, without tzdata. */
	setenv("TZ", "NST3:30NDT,M3.2.0,M11.1.0", 1);
	tzset();
	for (i = 0; i < EVENTS; i++) {
		random_event(&ev);
		if (coin(5))
			random_extra(&ev);
		for (f = 0; f < NFLAGSETS; f++) {
			len = compare(&ev, flagsets[f], i, &lib_len);
			compared += len >= 0;
			cut += len == -2;
			if (common(&ev) && lib_len >= 0 && lib_len < 1023) {
				must++;
				taken += len >= 0;
			}
			if (ev.extra_len) {
				extra++;
				extra_declined += len < 0;
			}
			if (len > longest)
				longest = len;
		}
		/* what it leaves alone: other flags, a small buffer */
		if (ct_xml_format(&ev, 1U << 4, buf, sizeof(buf)) >= 0 ||
		    ct_xml_format(&ev, NFCT_OF_ID | 1U << 7, buf, sizeof(buf)) >= 0 ||
		    ct_xml_format(&ev, NFCT_OF_ID, buf, sizeof(buf) - 1) >= 0)
			other++;
		/* through ct_fmt_event(), now and then, with a process's suffix */
		if (i % 10 == 0 && ev.type >= CT_EV_NEW && ev.type <= CT_EV_DUMP) {
			ev.portid = coin(50) ? 0 : rnd();
			if (coin(50))
				snprintf(ev.progname, sizeof(ev.progname), "prog%d", i);
			e2e++;
			e2e_bad += compare_event(&ev, flagsets[rnd() % NFLAGSETS], i);
		}
	}
	for (k = 0; k < NPIECES; k++)
		if (!seen[k]) {
			fprintf(stderr, "no line compared had '%s'\n", pieces[k]);
			unseen++;
		}
	CHECK(failed == 0);
	CHECK(must > EVENTS && taken == must);
	CHECK(extra > 0 && extra_declined == extra);
	CHECK(other == 0);
	CHECK(unseen == 0);
	CHECK(longest > 700);
	CHECK(e2e_bad == 0);

	/* The longest line there is: without <timestamp> and <when> it is kept
	 * (1018 bytes: never cut), with them conntrack cut it and it is left to
	 * the library. */
	longest_event(&ev);
	len = compare(&ev, NFCT_OF_SHOW_LAYER3 | NFCT_OF_ID, -1, &lib_len);
	CHECK(len == 1018 && failed == 0);
	len = compare(&ev, NFCT_OF_TIMESTAMP | NFCT_OF_TIME, -2, &lib_len);
	CHECK(len == -2 && lib_len == 1023 && failed == 0);
	ev.t_us = INT64_MAX;
	len = compare(&ev, NFCT_OF_TIMESTAMP | NFCT_OF_TIME, -3, &lib_len);
	CHECK(len == -2 && lib_len == 1023 && failed == 0);
	CHECK(compare_event(&ev, NFCT_OF_TIMESTAMP | NFCT_OF_TIME, -3) == 0);
	printf("t_xml: %d lines compared, %d differ; %d of %d lines of the common shapes "
	       "taken; %d cut lines left to the library; %d through ct_fmt_event(); longest %d "
	       "bytes\n", compared, failed, taken, must, cut, e2e, longest);
	return unit_done("t_xml");
}
