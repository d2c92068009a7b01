/* Helpers the log parsers share: names, numbers, status bits and verbatim attributes of struct ct_event. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "import_ev.h"

int import_fail(struct import_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int import_line_copy(const char *line, size_t len, char *buf, struct import_err *e)
{
	size_t i;

	if (len > IMPORT_LINE_MAX)
		return import_fail(e, "line longer than %d bytes", IMPORT_LINE_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return import_fail(e, "binary data (byte 0x%02x at column %zu)", c, i + 1);
	}
	memcpy(buf, line, len);
	buf[len] = 0;
	if (len && buf[len - 1] == '\r')
		buf[--len] = 0;
	return (int)len;
}

int import_split(char *p, char **tok, int max, struct import_err *e)
{
	char *save = NULL;
	int n = 0;

	for (char *t = strtok_r(p, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return import_fail(e, "too many fields");
		tok[n++] = t;
	}
	return n ? n : import_fail(e, "empty event line");
}

int import_addr(const char *s, struct ct_tuple *t, int dst)
{
	uint8_t *a = dst ? t->dst : t->src;
	int l3 = strchr(s, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(l3, s, a) != 1)
		return -1;
	if (t->l3 && t->l3 != l3)
		return -1;	/* src and dst of different families */
	t->l3 = l3;
	return 0;
}

int import_proto_has_ports(int proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_DCCP || proto == IPPROTO_GRE;
}

void import_set_status(struct ct_event *ev, int unreplied, int assured, int offload,
		       int hw_offload)
{
	size_t alen = ev->orig.l3 == AF_INET6 ? 16 : 4;
	uint32_t s = IPS_CONFIRMED;	/* the kernel reports confirmed entries only */

	if (!unreplied)
		s |= IPS_SEEN_REPLY;
	if (assured)
		s |= IPS_ASSURED;
	if (hw_offload)
		s |= IPS_HW_OFFLOAD | IPS_OFFLOAD;
	if (offload)
		s |= IPS_OFFLOAD;
	/* NAT where the reply does not mirror the original: an address or a
	 * port (the kernel's own bits, which a log does not show, are set
	 * wherever NAT ran; -n and -g then compare addresses and ports, as show
	 * and flows_v do). A port-only DNAT (REDIRECT to another port of the
	 * address the packets were sent to) was no NAT to -g. */
	if (ev->orig.l3 == ev->reply.l3) {
		int ports = ev->orig.has_ports && ev->reply.has_ports;

		if (memcmp(ev->orig.src, ev->reply.dst, alen) ||
		    (ports && ev->orig.sport != ev->reply.dport))
			s |= IPS_SRC_NAT | IPS_SRC_NAT_DONE;
		if (memcmp(ev->orig.dst, ev->reply.src, alen) ||
		    (ports && ev->orig.dport != ev->reply.sport))
			s |= IPS_DST_NAT | IPS_DST_NAT_DONE;
	}
	ev->status = s;
	ev->has |= CT_HAS_STATUS;
}

int import_extra_u32(struct ct_event *ev, uint16_t type, uint32_t v)
{
	v = htonl(v);
	return ct_extra_put(ev, type, &v, sizeof(v));
}

int import_extra_str(struct ct_event *ev, uint16_t nest, uint16_t type, const char *s)
{
	return ct_extra_nest1(ev, nest, type, s, strlen(s) + 1);
}

void import_set_delta(struct ct_event *ev, uint64_t delta)
{
	uint64_t stop = ev->t_us > 0 ? (uint64_t)ev->t_us * 1000 : 0;

	if (stop < delta * 1000000000ULL)
		stop = delta * 1000000000ULL;
	ev->ts_stop = stop;
	ev->ts_start = stop - delta * 1000000000ULL;
	ev->has |= CT_HAS_TS_START | CT_HAS_TS_STOP;
}

int import_labels(struct ct_event *ev, const char *list, struct import_err *e)
{
	static struct nfct_labelmap *map;
	static int map_tried;
	uint32_t words[4] = { 0 };
	char name[128];
	const char *p = list, *comma;
	int bit;

	if (!map_tried) {
		map_tried = 1;
		map = nfct_labelmap_new(NULL);
	}
	while (*p) {
		comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == 0 || n >= sizeof(name))
			return import_fail(e, "bad labels '%s'", list);
		memcpy(name, p, n);
		name[n] = 0;
		bit = map ? nfct_labelmap_get_bit(map, name) : -1;
		if (bit < 0 || bit >= 128)
			return import_fail(e, "label '%s' is not in the connlabel map", name);
		words[bit / 32] |= 1u << (bit % 32);
		p += n + (comma ? 1 : 0);
	}
	if (ct_extra_put(ev, CTA_LABELS, words, sizeof(words)))
		return import_fail(e, "too many attributes");
	return 0;
}

int import_userspace(const char *s, struct ct_event *ev, struct import_err *e)
{
	const char *p = s + strlen(" [USERSPACE] portid=");
	char num[16];
	uint64_t v;
	size_t n;

	if (strncmp(s, " [USERSPACE] portid=", strlen(" [USERSPACE] portid=")))
		return import_fail(e, "bad [USERSPACE] suffix");
	n = strcspn(p, " ");
	if (n == 0 || n >= sizeof(num))
		return import_fail(e, "bad [USERSPACE] portid");
	memcpy(num, p, n);
	num[n] = 0;
	if (num_parse(num, UINT32_MAX, &v) || v == 0)
		return import_fail(e, "bad [USERSPACE] portid '%s'", num);
	ev->portid = (uint32_t)v;
	p += n;
	if (!*p)
		return 0;
	if (strncmp(p, " progname=", 10) || !p[10] || strlen(p + 10) >= CT_PROGNAME_MAX)
		return import_fail(e, "bad [USERSPACE] suffix");
	strcpy(ev->progname, p + 10);
	return 0;
}
