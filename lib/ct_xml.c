/* Writes the common events' `conntrack -E -o xml` lines directly, byte for byte as libnetfilter_conntrack would, without building its objects. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_numfmt.h"
#include "ct_xml.h"

/*
 * The rules, read in libnetfilter_conntrack 1.0.9 (snprintf_xml.c,
 * snprintf.c, parse_mnl.c) and checked against it by tests/unit/t_xml.c:
 * - <flow type="new|update|destroy">, or <flow> for any other type;
 * - each tuple is a <meta direction="original|reply"> of <layer3> (the
 *   message family's number and name, for both tuples, and the addresses in
 *   its form), <layer4> (the tuple's own protocol number and name, "unknown"
 *   past the table; <sport><dport> for tcp, udp, udplite, sctp and dccp,
 *   <srckey><dstkey> in 0x%x for gre, nothing for the rest), <zone> when
 *   the tuple has one, and <counters> when the ORIGINAL counters are set,
 *   in both tuples: the reply tuple prints zeros when only those came, and
 *   nothing when only the reply's came;
 * - the layer-4 fields share one union per tuple, as in ct_text.c: the
 *   ports, and over them the ICMP type and code (destination half) and id
 *   (source half);
 * - <meta direction="independent"> opens when any of state, timeout, mark,
 *   zone, status, id, start or stop is set (start or stop alone open it even
 *   when nothing inside prints), and holds in order <state> (TCP table; past
 *   it, NONE), <timeout>, <mark> (even 0), <zone>, <id> (whatever the flags),
 *   <assured/> (status has ASSURED), <unreplied/> (status lacks SEEN_REPLY),
 *   with NFCT_OF_TIMESTAMP <timestamp><start>ns</start><stop>ns</stop>
 *   </timestamp> (those present), and <deltatime>: with start and stop,
 *   (stop - start) / 10^9 on unsigned 64 bits (unlike the text's
 *   delta-time, which truncates each to seconds first and takes a stop of 0
 *   for none: here a stop before the start, or of 0, wraps before it is
 *   divided, and 1.9 s to 3.1 s is 1, not 2); with start alone,
 *   time(NULL) - start / 10^9, printed unsigned 64-bit;
 * - NFCT_OF_TIME: <when> after that meta, from localtime_r();
 * - NFCT_OF_SHOW_LAYER3 and NFCT_OF_ID change nothing in XML;
 * - SCTP and DCCP states (their protoinfo only comes in ev->extra, left to
 *   the library) would print from the TCP table: the three share one byte.
 * The library's line is cut at 1023 bytes; lines that long are left to it.
 */

/* Longer lines are declined: conntrack cut them at 1023 bytes. Without
 * NFCT_OF_TIMESTAMP and NFCT_OF_TIME no line is longer than 1018 bytes
 * (tests/unit/t_xml.c writes that longest one). */
#define LINE_MAX_KEPT 1022

/* Writes "<layer4 protonum=...>" for proto, with its name. */
static char *put_layer4(char *p, uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return CT_PUT(p, "<layer4 protonum=\"6\" protoname=\"tcp\">");
	case IPPROTO_UDP:
		return CT_PUT(p, "<layer4 protonum=\"17\" protoname=\"udp\">");
	case IPPROTO_ICMP:
		return CT_PUT(p, "<layer4 protonum=\"1\" protoname=\"icmp\">");
	case IPPROTO_ICMPV6:
		return CT_PUT(p, "<layer4 protonum=\"58\" protoname=\"icmpv6\">");
	case IPPROTO_UDPLITE:
		return CT_PUT(p, "<layer4 protonum=\"136\" protoname=\"udplite\">");
	case IPPROTO_SCTP:
		return CT_PUT(p, "<layer4 protonum=\"132\" protoname=\"sctp\">");
	case IPPROTO_GRE:
		return CT_PUT(p, "<layer4 protonum=\"47\" protoname=\"gre\">");
	case IPPROTO_DCCP:
		return CT_PUT(p, "<layer4 protonum=\"33\" protoname=\"dccp\">");
	}
	p = CT_PUT(p, "<layer4 protonum=\"");
	p = ct_put_u64(p, proto);
	return CT_PUT(p, "\" protoname=\"unknown\">");
}

/* Writes one tuple's <meta>. counters: whether <counters> prints (the
 * original's are set), with these values. */
static char *put_tuple(char *p, const struct ct_tuple *t, int v6, int reply, int counters,
		       uint64_t pkts, uint64_t bytes)
{
	unsigned int src, dst;

	ct_l4_fields(t, &src, &dst);
	if (reply)
		p = CT_PUT(p, "<meta direction=\"reply\">");
	else
		p = CT_PUT(p, "<meta direction=\"original\">");
	if (v6) {
		p = CT_PUT(p, "<layer3 protonum=\"10\" protoname=\"ipv6\"><src>");
		p = ct_put_ipv6(p, t->src);
		p = CT_PUT(p, "</src><dst>");
		p = ct_put_ipv6(p, t->dst);
	} else {
		p = CT_PUT(p, "<layer3 protonum=\"2\" protoname=\"ipv4\"><src>");
		p = ct_put_ipv4(p, t->src);
		p = CT_PUT(p, "</src><dst>");
		p = ct_put_ipv4(p, t->dst);
	}
	p = CT_PUT(p, "</dst></layer3>");
	p = put_layer4(p, t->proto);
	switch (ct_l4_form(t->proto)) {	/* in XML, ICMP fields are not printed */
	case CT_L4_PORTS:
		p = CT_PUT(p, "<sport>");
		p = ct_put_u64(p, src);
		p = CT_PUT(p, "</sport><dport>");
		p = ct_put_u64(p, dst);
		p = CT_PUT(p, "</dport>");
		break;
	case CT_L4_GRE_KEYS:
		p = CT_PUT(p, "<srckey>0x");
		p = ct_put_hex16(p, src);
		p = CT_PUT(p, "</srckey><dstkey>0x");
		p = ct_put_hex16(p, dst);
		p = CT_PUT(p, "</dstkey>");
		break;
	case CT_L4_ICMP:
	case CT_L4_NONE:
		break;
	}
	p = CT_PUT(p, "</layer4>");
	if (t->has_zone) {
		p = CT_PUT(p, "<zone>");
		p = ct_put_u64(p, t->zone);
		p = CT_PUT(p, "</zone>");
	}
	if (counters) {
		p = CT_PUT(p, "<counters><packets>");
		p = ct_put_u64(p, pkts);
		p = CT_PUT(p, "</packets><bytes>");
		p = ct_put_u64(p, bytes);
		p = CT_PUT(p, "</bytes></counters>");
	}
	return CT_PUT(p, "</meta>");
}

/* Writes v in decimal, as printf's %d. */
static char *put_int(char *p, int v)
{
	if (v < 0) {
		*p++ = '-';
		return ct_put_u64(p, -(int64_t)v);
	}
	return ct_put_u64(p, v);
}

/* Writes v as printf's %02d for 0 <= v < 100. */
static char *put_2d(char *p, int v)
{
	*p++ = '0' + v / 10;
	*p++ = '0' + v % 10;
	return p;
}

/* Writes the <when> set_when() in ct_format.c puts in: t_us in local time.
 * Returns NULL when localtime_r() cannot convert it (set_when() then leaves
 * the library's). */
static char *put_when(char *p, int64_t t_us)
{
	time_t t = t_us / 1000000;
	struct tm tm;

	if (!localtime_r(&t, &tm) || tm.tm_min < 0 || tm.tm_min > 99 || tm.tm_sec < 0 ||
	    tm.tm_sec > 99)
		return NULL;
	p = CT_PUT(p, "<when><hour>");
	p = put_int(p, tm.tm_hour);
	p = CT_PUT(p, "</hour><min>");
	p = put_2d(p, tm.tm_min);
	p = CT_PUT(p, "</min><sec>");
	p = put_2d(p, tm.tm_sec);
	p = CT_PUT(p, "</sec><wday>");
	p = put_int(p, tm.tm_wday + 1);
	p = CT_PUT(p, "</wday><day>");
	p = put_int(p, tm.tm_mday);
	p = CT_PUT(p, "</day><month>");
	p = put_int(p, tm.tm_mon + 1);
	p = CT_PUT(p, "</month><year>");
	p = put_int(p, 1900 + tm.tm_year);
	return CT_PUT(p, "</year></when>");
}

#define FLAGS_HANDLED (NFCT_OF_SHOW_LAYER3 | NFCT_OF_ID | NFCT_OF_TIMESTAMP | NFCT_OF_TIME)

int ct_xml_format(const struct ct_event *ev, unsigned int flags, char *line, size_t size)
{
	static const char *const tcp_states[] = {
		"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
		"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
	};
	uint32_t has = ev->has;
	int v6 = ev->family == AF_INET6, counters = !!(has & CT_HAS_COUNTERS_ORIG);
	int state = (has & CT_HAS_TCPINFO) && (ev->tcpinfo & CT_TCPI_HAS_STATE);
	int meta = state || (has & (CT_HAS_TIMEOUT | CT_HAS_MARK | CT_HAS_ZONE | CT_HAS_STATUS |
				    CT_HAS_ID | CT_HAS_TS_START | CT_HAS_TS_STOP));
	char *p = line;

	if ((flags & ~FLAGS_HANDLED) || ev->extra_len || size < CT_XML_BUFSZ ||
	    ev->type < CT_EV_NEW || ev->type > CT_EV_DUMP || (ev->family != AF_INET && !v6) ||
	    ev->orig.l3 != ev->family || ev->reply.l3 != ev->family)
		return -1;

	switch (ev->type) {
	case CT_EV_NEW:
		p = CT_PUT(p, "<flow type=\"new\">");
		break;
	case CT_EV_UPDATE:
		p = CT_PUT(p, "<flow type=\"update\">");
		break;
	case CT_EV_DESTROY:
		p = CT_PUT(p, "<flow type=\"destroy\">");
		break;
	default:
		p = CT_PUT(p, "<flow>");
	}
	p = put_tuple(p, &ev->orig, v6, 0, counters, ev->pkts_orig, ev->bytes_orig);
	p = put_tuple(p, &ev->reply, v6, 1, counters,
		      has & CT_HAS_COUNTERS_REPLY ? ev->pkts_reply : 0,
		      has & CT_HAS_COUNTERS_REPLY ? ev->bytes_reply : 0);

	if (meta)
		p = CT_PUT(p, "<meta direction=\"independent\">");
	if (state) {
		const char *s = tcp_states[ev->state < 10 ? ev->state : 0];

		p = CT_PUT(p, "<state>");
		p = ct_put(p, s, strlen(s));
		p = CT_PUT(p, "</state>");
	}
	if (has & CT_HAS_TIMEOUT) {
		p = CT_PUT(p, "<timeout>");
		p = ct_put_u64(p, ev->timeout);
		p = CT_PUT(p, "</timeout>");
	}
	if (has & CT_HAS_MARK) {
		p = CT_PUT(p, "<mark>");
		p = ct_put_u64(p, ev->mark);
		p = CT_PUT(p, "</mark>");
	}
	if (has & CT_HAS_ZONE) {
		p = CT_PUT(p, "<zone>");
		p = ct_put_u64(p, ev->zone);
		p = CT_PUT(p, "</zone>");
	}
	if (has & CT_HAS_ID) {
		p = CT_PUT(p, "<id>");
		p = ct_put_u64(p, ev->id);
		p = CT_PUT(p, "</id>");
	}
	if ((has & CT_HAS_STATUS) && (ev->status & IPS_ASSURED))
		p = CT_PUT(p, "<assured/>");
	if ((has & CT_HAS_STATUS) && !(ev->status & IPS_SEEN_REPLY))
		p = CT_PUT(p, "<unreplied/>");
	if ((flags & NFCT_OF_TIMESTAMP) && (has & (CT_HAS_TS_START | CT_HAS_TS_STOP))) {
		p = CT_PUT(p, "<timestamp>");
		if (has & CT_HAS_TS_START) {
			p = CT_PUT(p, "<start>");
			p = ct_put_u64(p, ev->ts_start);
			p = CT_PUT(p, "</start>");
		}
		if (has & CT_HAS_TS_STOP) {
			p = CT_PUT(p, "<stop>");
			p = ct_put_u64(p, ev->ts_stop);
			p = CT_PUT(p, "</stop>");
		}
		p = CT_PUT(p, "</timestamp>");
	}
	if (has & CT_HAS_TS_START) {
		uint64_t delta;

		if (has & CT_HAS_TS_STOP)
			delta = (ev->ts_stop - ev->ts_start) / 1000000000;
		else
			delta = (uint64_t)(time(NULL) - (time_t)(ev->ts_start / 1000000000));
		p = CT_PUT(p, "<deltatime>");
		p = ct_put_u64(p, delta);
		p = CT_PUT(p, "</deltatime>");
	}
	if (meta)
		p = CT_PUT(p, "</meta>");
	if ((flags & NFCT_OF_TIME) && !(p = put_when(p, ev->t_us)))
		return -1;
	p = CT_PUT(p, "</flow>");
	if (p - line > LINE_MAX_KEPT)
		return -1;
	*p = 0;
	return p - line;
}
