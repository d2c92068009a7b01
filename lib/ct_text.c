/* Writes the common events' `conntrack -E` text lines directly, byte for byte as libnetfilter_conntrack would, without building its objects. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_numfmt.h"
#include "ct_text.h"

/*
 * The rules, read in libnetfilter_conntrack 1.0.9 (snprintf_default.c,
 * snprintf.c, parse_mnl.c) and checked against it by tests/unit/t_text.c:
 * - every piece ends in a space and the last one is cut off; a piece prints
 *   only when the object has its attribute set, except the addresses and
 *   the layer-4 fields of each tuple's protocol, which print always (zero
 *   when not sent);
 * - the protocol name comes from the original tuple; the layer-3 name and
 *   the addresses' form from the message's family, for both tuples;
 * - the layer-4 fields of a tuple share one union: the ports, and over them
 *   the ICMP type and code (destination half) and id (source half);
 * - a TCP state past the table (SYN_SENT2 is the last) prints as NONE;
 * - [UNREPLIED] and the [HW_OFFLOAD]/[OFFLOAD]/[ASSURED] marker need the
 *   status attribute; mark= prints when set, even when 0;
 * - delta-time is stop - start, each truncated to seconds, printed as an
 *   unsigned 64-bit number (a stop before the start wraps), with time(NULL)
 *   standing for a stop that is absent or zero.
 */

/* Writes a tuple: addresses in the family's form, then its layer-4 fields
 * as the library reads them back from the union they share. */
static char *put_tuple(char *p, const struct ct_tuple *t, int v6)
{
	unsigned int src, dst;

	ct_l4_fields(t, &src, &dst);
	p = CT_PUT(p, "src=");
	p = v6 ? ct_put_ipv6(p, t->src) : ct_put_ipv4(p, t->src);
	p = CT_PUT(p, " dst=");
	p = v6 ? ct_put_ipv6(p, t->dst) : ct_put_ipv4(p, t->dst);
	*p++ = ' ';
	switch (ct_l4_form(t->proto)) {
	case CT_L4_PORTS:
		p = CT_PUT(p, "sport=");
		p = ct_put_u64(p, src);
		p = CT_PUT(p, " dport=");
		p = ct_put_u64(p, dst);
		*p++ = ' ';
		break;
	case CT_L4_GRE_KEYS:
		p = CT_PUT(p, "srckey=0x");
		p = ct_put_hex16(p, src);
		p = CT_PUT(p, " dstkey=0x");
		p = ct_put_hex16(p, dst);
		*p++ = ' ';
		break;
	case CT_L4_ICMP:
		p = CT_PUT(p, "type=");
		p = ct_put_u64(p, dst >> 8);
		p = CT_PUT(p, " code=");
		p = ct_put_u64(p, dst & 0xff);
		p = CT_PUT(p, " id=");
		p = ct_put_u64(p, src);
		*p++ = ' ';
		break;
	case CT_L4_NONE:
		break;
	}
	return p;
}

static char *put_counters(char *p, uint64_t pkts, uint64_t bytes)
{
	p = CT_PUT(p, "packets=");
	p = ct_put_u64(p, pkts);
	p = CT_PUT(p, " bytes=");
	p = ct_put_u64(p, bytes);
	*p++ = ' ';
	return p;
}

/* The protocol's name padded as "%-8s". */
static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:	return "tcp     ";
	case IPPROTO_UDP:	return "udp     ";
	case IPPROTO_UDPLITE:	return "udplite ";
	case IPPROTO_ICMP:	return "icmp    ";
	case IPPROTO_ICMPV6:	return "icmpv6  ";
	case IPPROTO_SCTP:	return "sctp    ";
	case IPPROTO_GRE:	return "gre     ";
	case IPPROTO_DCCP:	return "dccp    ";
	default:		return "unknown ";
	}
}

int ct_text_format(const struct ct_event *ev, unsigned int flags, char *line, size_t size)
{
	static const char *const tcp_states[] = {
		"NONE ", "SYN_SENT ", "SYN_RECV ", "ESTABLISHED ", "FIN_WAIT ",
		"CLOSE_WAIT ", "LAST_ACK ", "TIME_WAIT ", "CLOSE ", "SYN_SENT2 ",
	};
	uint32_t has = ev->has;
	int v6 = ev->family == AF_INET6;
	char *p = line;

	if ((flags & ~(NFCT_OF_SHOW_LAYER3 | NFCT_OF_ID)) || ev->extra_len ||
	    size < CT_TEXT_BUFSZ || ev->type < CT_EV_NEW || ev->type > CT_EV_DUMP ||
	    (ev->family != AF_INET && !v6) || ev->orig.l3 != ev->family ||
	    ev->reply.l3 != ev->family)
		return -1;

	if (ev->type == CT_EV_NEW)
		p = CT_PUT(p, "    [NEW] ");
	else if (ev->type == CT_EV_UPDATE)
		p = CT_PUT(p, " [UPDATE] ");
	else if (ev->type == CT_EV_DESTROY)
		p = CT_PUT(p, "[DESTROY] ");
	if (flags & NFCT_OF_SHOW_LAYER3)
		p = v6 ? CT_PUT(p, "ipv6     10 ") : CT_PUT(p, "ipv4     2 ");
	p = ct_put(p, proto_name(ev->orig.proto), 8);
	*p++ = ' ';
	p = ct_put_u64(p, ev->orig.proto);
	*p++ = ' ';
	if (has & CT_HAS_TIMEOUT) {
		p = ct_put_u64(p, ev->timeout);
		*p++ = ' ';
	}
	if ((has & CT_HAS_TCPINFO) && (ev->tcpinfo & CT_TCPI_HAS_STATE)) {
		const char *s = tcp_states[ev->state < 10 ? ev->state : 0];

		p = ct_put(p, s, strlen(s));
	}

	p = put_tuple(p, &ev->orig, v6);
	if (ev->orig.has_zone) {
		p = CT_PUT(p, "zone-orig=");
		p = ct_put_u64(p, ev->orig.zone);
		*p++ = ' ';
	}
	if (has & CT_HAS_COUNTERS_ORIG)
		p = put_counters(p, ev->pkts_orig, ev->bytes_orig);
	if ((has & CT_HAS_STATUS) && !(ev->status & IPS_SEEN_REPLY))
		p = CT_PUT(p, "[UNREPLIED] ");

	p = put_tuple(p, &ev->reply, v6);
	if (ev->reply.has_zone) {
		p = CT_PUT(p, "zone-reply=");
		p = ct_put_u64(p, ev->reply.zone);
		*p++ = ' ';
	}
	if (has & CT_HAS_COUNTERS_REPLY)
		p = put_counters(p, ev->pkts_reply, ev->bytes_reply);

	if (has & CT_HAS_STATUS) {
		if (ev->status & IPS_HW_OFFLOAD)
			p = CT_PUT(p, "[HW_OFFLOAD] ");
		else if (ev->status & IPS_OFFLOAD)
			p = CT_PUT(p, "[OFFLOAD] ");
		else if (ev->status & IPS_ASSURED)
			p = CT_PUT(p, "[ASSURED] ");
	}
	if (has & CT_HAS_MARK) {
		p = CT_PUT(p, "mark=");
		p = ct_put_u64(p, ev->mark);
		*p++ = ' ';
	}
	if (has & CT_HAS_ZONE) {
		p = CT_PUT(p, "zone=");
		p = ct_put_u64(p, ev->zone);
		*p++ = ' ';
	}
	if (has & CT_HAS_TS_START) {
		uint64_t stop_ns = has & CT_HAS_TS_STOP ? ev->ts_stop : 0;
		time_t stop = stop_ns ? (time_t)(stop_ns / 1000000000) : time(NULL);
		time_t delta = stop - (time_t)(ev->ts_start / 1000000000);

		p = CT_PUT(p, "delta-time=");
		p = ct_put_u64(p, (uint64_t)delta);
		*p++ = ' ';
	}
	if ((flags & NFCT_OF_ID) && (has & CT_HAS_ID)) {
		p = CT_PUT(p, "id=");
		p = ct_put_u64(p, ev->id);
		*p++ = ' ';
	}
	*--p = 0;	/* the last piece's space */
	return p - line;
}
