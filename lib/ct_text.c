/* Writes the common events' `conntrack -E` text lines directly, byte for byte as libnetfilter_conntrack would, without building its objects. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

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

#define PUT(p, lit) put(p, lit, sizeof(lit) - 1)

static const char pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* Writes v in decimal, as printf's %u, %llu and (for non-negative) %d. */
static char *put_u64(char *p, uint64_t v)
{
	char *end = p + 1;
	uint64_t x;

	for (x = v; x >= 10; x /= 10)
		end++;
	p = end;
	while (v >= 100) {
		const char *d = pairs + 2 * (v % 100);

		v /= 100;
		*--p = d[1];
		*--p = d[0];
	}
	if (v >= 10) {
		*--p = pairs[2 * v + 1];
		*--p = pairs[2 * v];
	} else {
		*--p = '0' + v;
	}
	return end;
}

/* Writes v in lowercase hexadecimal without leading zeros, as printf's %x. */
static char *put_hex16(char *p, unsigned int v)
{
	static const char hex[] = "0123456789abcdef";

	if (v >= 0x1000)
		*p++ = hex[v >> 12];
	if (v >= 0x100)
		*p++ = hex[(v >> 8) & 15];
	if (v >= 0x10)
		*p++ = hex[(v >> 4) & 15];
	*p++ = hex[v & 15];
	return p;
}

/* Writes the dotted quad of a (network order), as inet_ntoa(). */
static char *put_ipv4(char *p, const uint8_t *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (v >= 100) {
			*p++ = '0' + v / 100;
			v %= 100;
			*p++ = '0' + v / 10;
		} else if (v >= 10) {
			*p++ = '0' + v / 10;
		}
		*p++ = '0' + v % 10;
		*p++ = '.';
	}
	return p - 1;
}

/* Writes a as glibc's inet_ntop(AF_INET6) does: the longest run of two or
 * more zero groups (the first of equal ones) as "::", and the last 32 bits
 * as a dotted quad after six zero groups or after five and ffff. */
static char *put_ipv6(char *p, const uint8_t *a)
{
	unsigned int w[8];
	int i, base = -1, len = 0, cur = 0, curlen = 0;

	for (i = 0; i < 8; i++) {
		w[i] = a[2 * i] << 8 | a[2 * i + 1];
		if (w[i]) {
			curlen = 0;
			continue;
		}
		if (!curlen++)
			cur = i;
		if (curlen > len) {
			base = cur;
			len = curlen;
		}
	}
	if (len < 2)
		base = -1;
	for (i = 0; i < 8; i++) {
		if (base >= 0 && i >= base && i < base + len) {
			if (i == base)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && base == 0 && (len == 6 || (len == 5 && w[5] == 0xffff)))
			return put_ipv4(p, a + 12);
		p = put_hex16(p, w[i]);
	}
	if (base >= 0 && base + len == 8)
		*p++ = ':';
	return p;
}

/* Writes a tuple: addresses in the family's form, then its layer-4 fields
 * as the library reads them back from the union they share. */
static char *put_tuple(char *p, const struct ct_tuple *t, int v6)
{
	unsigned int src = 0, dst = 0;	/* l4src, l4dst as ntohs() reads them */

	if (t->has_icmp) {
		src = t->iid;
		dst = t->itype << 8 | t->icode;
	} else if (t->has_ports) {
		src = t->sport;
		dst = t->dport;
	}
	p = PUT(p, "src=");
	p = v6 ? put_ipv6(p, t->src) : put_ipv4(p, t->src);
	p = PUT(p, " dst=");
	p = v6 ? put_ipv6(p, t->dst) : put_ipv4(p, t->dst);
	*p++ = ' ';
	switch (t->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		p = PUT(p, "sport=");
		p = put_u64(p, src);
		p = PUT(p, " dport=");
		p = put_u64(p, dst);
		*p++ = ' ';
		break;
	case IPPROTO_GRE:
		p = PUT(p, "srckey=0x");
		p = put_hex16(p, src);
		p = PUT(p, " dstkey=0x");
		p = put_hex16(p, dst);
		*p++ = ' ';
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		p = PUT(p, "type=");
		p = put_u64(p, dst >> 8);
		p = PUT(p, " code=");
		p = put_u64(p, dst & 0xff);
		p = PUT(p, " id=");
		p = put_u64(p, src);
		*p++ = ' ';
		break;
	}
	return p;
}

static char *put_counters(char *p, uint64_t pkts, uint64_t bytes)
{
	p = PUT(p, "packets=");
	p = put_u64(p, pkts);
	p = PUT(p, " bytes=");
	p = put_u64(p, bytes);
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
		p = PUT(p, "    [NEW] ");
	else if (ev->type == CT_EV_UPDATE)
		p = PUT(p, " [UPDATE] ");
	else if (ev->type == CT_EV_DESTROY)
		p = PUT(p, "[DESTROY] ");
	if (flags & NFCT_OF_SHOW_LAYER3)
		p = v6 ? PUT(p, "ipv6     10 ") : PUT(p, "ipv4     2 ");
	p = put(p, proto_name(ev->orig.proto), 8);
	*p++ = ' ';
	p = put_u64(p, ev->orig.proto);
	*p++ = ' ';
	if (has & CT_HAS_TIMEOUT) {
		p = put_u64(p, ev->timeout);
		*p++ = ' ';
	}
	if ((has & CT_HAS_TCPINFO) && (ev->tcpinfo & CT_TCPI_HAS_STATE)) {
		const char *s = tcp_states[ev->state < 10 ? ev->state : 0];

		p = put(p, s, strlen(s));
	}

	p = put_tuple(p, &ev->orig, v6);
	if (ev->orig.has_zone) {
		p = PUT(p, "zone-orig=");
		p = put_u64(p, ev->orig.zone);
		*p++ = ' ';
	}
	if (has & CT_HAS_COUNTERS_ORIG)
		p = put_counters(p, ev->pkts_orig, ev->bytes_orig);
	if ((has & CT_HAS_STATUS) && !(ev->status & IPS_SEEN_REPLY))
		p = PUT(p, "[UNREPLIED] ");

	p = put_tuple(p, &ev->reply, v6);
	if (ev->reply.has_zone) {
		p = PUT(p, "zone-reply=");
		p = put_u64(p, ev->reply.zone);
		*p++ = ' ';
	}
	if (has & CT_HAS_COUNTERS_REPLY)
		p = put_counters(p, ev->pkts_reply, ev->bytes_reply);

	if (has & CT_HAS_STATUS) {
		if (ev->status & IPS_HW_OFFLOAD)
			p = PUT(p, "[HW_OFFLOAD] ");
		else if (ev->status & IPS_OFFLOAD)
			p = PUT(p, "[OFFLOAD] ");
		else if (ev->status & IPS_ASSURED)
			p = PUT(p, "[ASSURED] ");
	}
	if (has & CT_HAS_MARK) {
		p = PUT(p, "mark=");
		p = put_u64(p, ev->mark);
		*p++ = ' ';
	}
	if (has & CT_HAS_ZONE) {
		p = PUT(p, "zone=");
		p = put_u64(p, ev->zone);
		*p++ = ' ';
	}
	if (has & CT_HAS_TS_START) {
		uint64_t stop_ns = has & CT_HAS_TS_STOP ? ev->ts_stop : 0;
		time_t stop = stop_ns ? (time_t)(stop_ns / 1000000000) : time(NULL);
		time_t delta = stop - (time_t)(ev->ts_start / 1000000000);

		p = PUT(p, "delta-time=");
		p = put_u64(p, (uint64_t)delta);
		*p++ = ' ';
	}
	if ((flags & NFCT_OF_ID) && (has & CT_HAS_ID)) {
		p = PUT(p, "id=");
		p = put_u64(p, ev->id);
		*p++ = ' ';
	}
	*--p = 0;	/* the last piece's space */
	return p - line;
}
