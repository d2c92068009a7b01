/* Readable text for flows and events in ctquery's list, replay, show and stats: names, tuples, JSON and CSV fields. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_names.h"
#include "ct_numfmt.h"
#include "filter_text.h"
#include "timeparse.h"

const char *ft_proto(int proto, char *buf)
{
	const char *name = ct_proto_name(proto);

	if (name)
		return name;
	snprintf(buf, 8, "%d", proto);
	return buf;
}

void ft_addr(const struct ct_tuple *t, const uint8_t *a, char *buf)
{
	if (!inet_ntop(t->l3 == AF_INET6 ? AF_INET6 : AF_INET, a, buf, INET6_ADDRSTRLEN))
		snprintf(buf, INET6_ADDRSTRLEN, "?");
}

void ft_tuple(const struct ct_tuple *t, char *buf, size_t size)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int v6 = t->l3 == AF_INET6;

	ft_addr(t, t->src, s);
	ft_addr(t, t->dst, d);
	if (t->has_ports && ct_l4_form(t->proto) == CT_L4_GRE_KEYS)	/* in hex, as conntrack */
		snprintf(buf, size, v6 ? "[%s]:0x%x->[%s]:0x%x" : "%s:0x%x->%s:0x%x", s, t->sport,
			 d, t->dport);
	else if (t->has_ports)
		snprintf(buf, size, v6 ? "[%s]:%u->[%s]:%u" : "%s:%u->%s:%u", s, t->sport, d,
			 t->dport);
	else if (t->has_icmp)
		snprintf(buf, size, "%s->%s type=%u code=%u id=%u", s, d, t->itype, t->icode,
			 t->iid);
	else
		snprintf(buf, size, "%s->%s", s, d);
}

static void json_tuple(const char *pre, const struct ct_tuple *t, FILE *out)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	ft_addr(t, t->src, s);
	ft_addr(t, t->dst, d);
	fprintf(out, ",\"%ssrc\":\"%s\",\"%sdst\":\"%s\"", pre, s, pre, d);
	if (t->has_ports)
		fprintf(out, ",\"%ssport\":%u,\"%sdport\":%u", pre, t->sport, pre, t->dport);
	if (t->has_icmp)
		fprintf(out, ",\"%sicmp_type\":%u,\"%sicmp_code\":%u,\"%sicmp_id\":%u", pre,
			t->itype, pre, t->icode, pre, t->iid);
	if (t->has_zone)	/* "zone" alone is CTA_ZONE's: orig_zone, as the --where view */
		fprintf(out, ",\"%szone\":%u", *pre ? pre : "orig_", t->zone);
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * form, no surrogate, nothing past U+10FFFF), or 0. */
static int utf8_len(const unsigned char *p)
{
	int n, i;
	unsigned cp;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2, cp = *p & 0x1f;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 3, cp = *p & 0x0f;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4, cp = *p & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* A JSON string: quoted, with '"', '\\' and control characters escaped;
 * a byte that is not part of well-formed UTF-8 (a program name is bytes, and
 * the kernel cuts it at 15 of them, maybe inside a character) becomes U+FFFD,
 * as JSON text must be UTF-8 (RFC 8259). */
static void json_str(const char *s, FILE *out)
{
	const unsigned char *p;
	int n;

	fputc('"', out);
	for (p = (const unsigned char *)s; *p; p += n ? n : 1) {
		n = utf8_len(p);
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else if (!n)
			fputs("\\ufffd", out);
		else
			fwrite(p, 1, (size_t)n, out);
	}
	fputc('"', out);
}

/* The fields flows and events share, each with a leading comma: family,
 * protocol, both tuples, then zone, mark, kernel id, state and counters when
 * ev has them. */
static void json_common(const struct ct_event *ev, FILE *out)
{
	const char *st = ev->has & CT_HAS_STATE ? ct_state_name(ev->orig.proto, ev->state) : NULL;
	char pb[8];

	fprintf(out, ",\"family\":\"%s\",\"proto\":\"%s\"",
		ev->family == AF_INET6 ? "ipv6" : "ipv4", ft_proto(ev->orig.proto, pb));
	json_tuple("", &ev->orig, out);
	json_tuple("reply_", &ev->reply, out);
	if (ev->has & CT_HAS_ZONE)
		fprintf(out, ",\"zone\":%u", ev->zone);
	if (ev->has & CT_HAS_MARK)
		fprintf(out, ",\"mark\":%u", ev->mark);
	if (ev->has & CT_HAS_ID)
		fprintf(out, ",\"ct_id\":%u", ev->id);
	if (st)
		fprintf(out, ",\"state\":\"%s\"", st);
	if (ev->has & CT_HAS_COUNTERS_ORIG)
		fprintf(out, ",\"packets_orig\":%llu,\"bytes_orig\":%llu",
			(unsigned long long)ev->pkts_orig, (unsigned long long)ev->bytes_orig);
	if (ev->has & CT_HAS_COUNTERS_REPLY)
		fprintf(out, ",\"packets_reply\":%llu,\"bytes_reply\":%llu",
			(unsigned long long)ev->pkts_reply, (unsigned long long)ev->bytes_reply);
}

static const char *ended(const struct store_flow *fl)
{
	return fl->end_kind == 1 ? "destroyed" : fl->end_kind == 2 ? "unknown" : "open";
}

int ft_label_names(const struct ct_event *ev, struct nfct_labelmap *map, const char **names,
		   int max)
{
	size_t len = 0, bit;
	const uint8_t *p = ct_extra_find(ev, CTA_LABELS, &len);
	uint32_t word;
	int n = 0;

	if (!p || !map)
		return -1;
	for (bit = 0; bit < len / 4 * 32 && n < max; bit++) {
		const char *name;

		memcpy(&word, p + bit / 32 * 4, 4);	/* host order, as the kernel's bitmap */
		if (!(word >> (bit % 32) & 1))
			continue;
		name = nfct_labelmap_get_name(map, (unsigned int)bit);
		if (name && *name)
			names[n++] = name;
	}
	return n;
}

void ft_labels_text(const struct ct_event *ev, struct nfct_labelmap *map, char *buf, size_t size)
{
	const char *names[FT_LABELS_MAX];
	int n = ft_label_names(ev, map, names, FT_LABELS_MAX), i;
	size_t at = 0;

	buf[0] = 0;
	for (i = 0; i < n && at < size; i++)
		at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? "," : "", names[i]);
}

/* ,"labels":[names] when map is not NULL and ev carries labels. */
static void json_labels(const struct ct_event *ev, struct nfct_labelmap *map, FILE *out)
{
	const char *names[FT_LABELS_MAX];
	int n = ft_label_names(ev, map, names, FT_LABELS_MAX), i;

	if (n < 0)
		return;
	fputs(",\"labels\":[", out);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		json_str(names[i], out);
	}
	fputc(']', out);
}

void ft_flow_json(const struct store_flow *fl, struct nfct_labelmap *map, FILE *out)
{
	fprintf(out, "{\"flow\":%lld,\"session\":%lld,\"first_us\":%lld,", (long long)fl->id,
		(long long)fl->session, (long long)fl->first_us);
	if (fl->end_kind)
		fprintf(out, "\"end_us\":%lld,", (long long)fl->end_us);
	else
		fputs("\"end_us\":null,", out);
	fprintf(out, "\"ended\":\"%s\"", ended(fl));
	json_common(&fl->ev, out);
	json_labels(&fl->ev, map, out);
	fprintf(out, ",\"events\":%lld}\n", (long long)fl->nevents);
}

/* The names of the status bits (enum ip_conntrack_status), as conntrack's --status takes them. */
static const char *const status_names[] = {
	"EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT", "DST_NAT",
	"SEQ_ADJUST", "SRC_NAT_DONE", "DST_NAT_DONE", "DYING", "FIXED_TIMEOUT",
	"TEMPLATE", "UNTRACKED", "HELPER", "OFFLOAD", "HW_OFFLOAD",
};

const char *ft_status_name(int bit)
{
	return bit >= 0 && bit < (int)(sizeof(status_names) / sizeof(status_names[0])) ?
	       status_names[bit] : NULL;
}

void ft_iso_time(char *buf, size_t size, int64_t t_us)
{
	time_t t = (time_t)(t_us / 1000000);
	int64_t frac = t_us % 1000000;
	struct tm tm;

	if (frac < 0) {
		frac += 1000000;
		t--;
	}
	if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf + strlen(buf), size - strlen(buf), ".%06lldZ", (long long)frac);
}

void ft_event_json(const struct ct_event *ev, int64_t flow, struct nfct_labelmap *map, FILE *out)
{
	char when[48];
	int bit, n = 0;

	ft_iso_time(when, sizeof(when), ev->t_us);
	fprintf(out, "{\"flow\":%lld,\"t_us\":%lld,\"time\":\"%s\",\"type\":\"%s\"",
		(long long)flow, (long long)ev->t_us, when, ct_ev_type_name(ev->type));
	json_common(ev, out);
	json_labels(ev, map, out);
	if (ev->has & CT_HAS_STATUS) {
		fputs(",\"status\":[", out);
		for (bit = 0; bit < 32; bit++) {
			if (!(ev->status & (1u << bit)))
				continue;
			if (ft_status_name(bit))
				fprintf(out, "%s\"%s\"", n++ ? "," : "", ft_status_name(bit));
			else
				fprintf(out, "%s\"BIT%d\"", n++ ? "," : "", bit);
		}
		fputc(']', out);
	}
	if (ev->has & CT_HAS_TIMEOUT)
		fprintf(out, ",\"timeout\":%u", ev->timeout);
	if (ev->has & CT_HAS_TS_START)
		fprintf(out, ",\"start_ns\":%llu", (unsigned long long)ev->ts_start);
	if (ev->has & CT_HAS_TS_STOP)
		fprintf(out, ",\"stop_ns\":%llu", (unsigned long long)ev->ts_stop);
	if (ev->has & CT_HAS_KTIME)
		fprintf(out, ",\"ktime_ns\":%llu", (unsigned long long)ev->ktime);
	if (ev->portid) {
		fprintf(out, ",\"portid\":%u", ev->portid);
		if (ev->progname[0]) {
			fputs(",\"progname\":", out);
			json_str(ev->progname, out);
		}
	}
	fputs("}\n", out);
}

void ft_flow_csv_header(int labels, FILE *out)
{
	fputs("flow,session,first_us,end_us,ended,family,proto,src,dst,sport,dport,"
	      "reply_src,reply_dst,reply_sport,reply_dport,zone,mark,state,"
	      "packets_orig,bytes_orig,packets_reply,bytes_reply,events", out);
	fputs(labels ? ",labels\n" : "\n", out);
}

static void csv_opt(FILE *out, int set, unsigned long long v)
{
	if (set)
		fprintf(out, ",%llu", v);
	else
		fputc(',', out);
}

void ft_flow_csv(const struct store_flow *fl, int labels, struct nfct_labelmap *map, FILE *out)
{
	char names[FT_LABELS_TEXT], *p;
	const struct ct_event *ev = &fl->ev;
	const char *st = ev->has & CT_HAS_STATE ? ct_state_name(ev->orig.proto, ev->state) : NULL;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], rs[INET6_ADDRSTRLEN],
	     rd[INET6_ADDRSTRLEN], pb[8];

	ft_addr(&ev->orig, ev->orig.src, s);
	ft_addr(&ev->orig, ev->orig.dst, d);
	ft_addr(&ev->reply, ev->reply.src, rs);
	ft_addr(&ev->reply, ev->reply.dst, rd);
	fprintf(out, "%lld,%lld,%lld,", (long long)fl->id, (long long)fl->session,
		(long long)fl->first_us);
	if (fl->end_kind)
		fprintf(out, "%lld", (long long)fl->end_us);
	fprintf(out, ",%s,%s,%s,%s,%s", ended(fl), ev->family == AF_INET6 ? "ipv6" : "ipv4",
		ft_proto(ev->orig.proto, pb), s, d);
	csv_opt(out, ev->orig.has_ports, ev->orig.sport);
	csv_opt(out, ev->orig.has_ports, ev->orig.dport);
	fprintf(out, ",%s,%s", rs, rd);
	csv_opt(out, ev->reply.has_ports, ev->reply.sport);
	csv_opt(out, ev->reply.has_ports, ev->reply.dport);
	csv_opt(out, ev->has & CT_HAS_ZONE, ev->zone);
	csv_opt(out, ev->has & CT_HAS_MARK, ev->mark);
	fprintf(out, ",%s", st ? st : "");
	csv_opt(out, ev->has & CT_HAS_COUNTERS_ORIG, ev->pkts_orig);
	csv_opt(out, ev->has & CT_HAS_COUNTERS_ORIG, ev->bytes_orig);
	csv_opt(out, ev->has & CT_HAS_COUNTERS_REPLY, ev->pkts_reply);
	csv_opt(out, ev->has & CT_HAS_COUNTERS_REPLY, ev->bytes_reply);
	fprintf(out, ",%lld", (long long)fl->nevents);
	if (labels) {
		ft_labels_text(ev, map, names, sizeof(names));
		fputc(',', out);
		if (names[0]) {	/* quoted, as it holds commas */
			fputc('"', out);
			for (p = names; *p; p++)
				fputs(*p == '"' ? "\"\"" : (char[]){ *p, 0 }, out);
			fputc('"', out);
		}
	}
	fputc('\n', out);
}
