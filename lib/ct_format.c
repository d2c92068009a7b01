/* Prints events exactly as `conntrack -E` printed them, through the same library formatter. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_encode.h"
#include "ct_format.h"
#include "ct_text.h"
#include "ct_xml.h"
#include "ct_pretty.h"
#include "ct_save.h"
#include "log.h"

/* conntrack -E formats into a buffer of this size, cutting lines at 1023 bytes. */
#define CONNTRACK_BUFSZ 1024

int ct_fmt_parse(struct ct_fmt *f, const char *list)
{
	char words[256], *w, *save = NULL;

	if (strlen(list) >= sizeof(words))
		return log_error("-o list too long: '%s'", list);
	strcpy(words, list);
	/* (in any case, as conntrack compares them: -o XML,Id) */
	for (w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcasecmp(w, "xml"))
			f->xml = 1;
		else if (!strcasecmp(w, "extended"))
			f->extended = 1;
		else if (!strcasecmp(w, "id"))
			f->id = 1;
		else if (!strcasecmp(w, "ktimestamp"))
			f->ktimestamp = 1;
		else if (!strcasecmp(w, "timestamp"))
			f->timestamp = 1;
		else if (!strcasecmp(w, "labels"))
			f->labels = 1;
		else if (!strcasecmp(w, "save"))
			f->save = 1;
		else if (strcasecmp(w, "userspace"))	/* no effect, as in conntrack 1.4.7 */
			return log_error("unknown -o option '%s'", w);
	}
	return 0;
}

int ct_fmt_check(const struct ct_fmt *f)
{
	if (f->save && (f->xml || f->extended || f->id || f->ktimestamp || f->timestamp ||
			f->labels))
		return log_error("cannot combine save output with any other output type,"
				 " use -o save only");
	return 0;
}

int ct_fmt_open(struct ct_fmt *f)
{
	if (f->labels && !f->labelmap) {
		/* As conntrack: without a readable map, the library prints no
		 * labels (conntrack says "nfct_labelmap_new: No such file..."). */
		f->labelmap = nfct_labelmap_new(NULL);
		if (!f->labelmap)
			log_warn("cannot read /etc/xtables/connlabel.conf: labels are not shown,"
				 " as by conntrack");
	}
	/* -o ktimestamp: the library prints start and stop with ctime(), and
	 * with TZ unset glibc stats /etc/localtime on every call (two system
	 * calls an event, half the time of a line). Naming that same file in
	 * TZ reads it once; the zone, and so every byte, stays the same. */
	if (f->ktimestamp && !getenv("TZ"))
		setenv("TZ", ":/etc/localtime", 0);
	return 0;
}

/* Replaces the <when> element the library wrote (the time of formatting)
 * with the event's receive time, as conntrack would have written it then. */
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

/* Top-level attributes that build() sets with nfct_set_attr*(): when ev->extra
 * carries one of them too, the message path decides which one wins. */
static int extra_overlaps(const struct ct_event *ev)
{
	static const uint16_t types[] = {
		CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_ZONE, CTA_STATUS, CTA_TIMEOUT,
		CTA_PROTOINFO, CTA_MARK, CTA_ID,
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (ct_extra_has(ev, types[i]))
			return 1;
	return 0;
}

/* Sets a tuple as nfct_nlmsg_parse() sets it from put_tuple()'s attributes
 * (ct_encode.c): layer 3 number from the message's family, addresses by the
 * tuple's own family, ports and zone only when recorded. */
static void set_tuple(struct nf_conntrack *ct, uint8_t family, const struct ct_tuple *t,
		      int reply)
{
	uint32_t a;

	nfct_set_attr_u8(ct, reply ? ATTR_REPL_L3PROTO : ATTR_ORIG_L3PROTO, family);
	if (t->l3 == AF_INET6) {
		nfct_set_attr(ct, reply ? ATTR_REPL_IPV6_SRC : ATTR_ORIG_IPV6_SRC, t->src);
		nfct_set_attr(ct, reply ? ATTR_REPL_IPV6_DST : ATTR_ORIG_IPV6_DST, t->dst);
	} else {
		memcpy(&a, t->src, sizeof(a));
		nfct_set_attr_u32(ct, reply ? ATTR_REPL_IPV4_SRC : ATTR_ORIG_IPV4_SRC, a);
		memcpy(&a, t->dst, sizeof(a));
		nfct_set_attr_u32(ct, reply ? ATTR_REPL_IPV4_DST : ATTR_ORIG_IPV4_DST, a);
	}
	nfct_set_attr_u8(ct, reply ? ATTR_REPL_L4PROTO : ATTR_ORIG_L4PROTO, t->proto);
	if (t->has_ports) {
		nfct_set_attr_u16(ct, reply ? ATTR_REPL_PORT_SRC : ATTR_ORIG_PORT_SRC,
				  htons(t->sport));
		nfct_set_attr_u16(ct, reply ? ATTR_REPL_PORT_DST : ATTR_ORIG_PORT_DST,
				  htons(t->dport));
	}
	if (t->has_zone)
		nfct_set_attr_u16(ct, reply ? ATTR_REPL_ZONE : ATTR_ORIG_ZONE, t->zone);
}

/* Returns non-zero when this libnetfilter_conntrack takes anything from
 * CTA_TIMESTAMP_EVENT (1.0.9 skips the type as unknown; kernels >= 6.14 send
 * it with every event): else build() need not parse it. Asked once. */
static int parses_ktime(void)
{
	static int known = -1;
	char msg[256] __attribute__((aligned(8)));
	struct nf_conntrack *ct;
	struct ct_event *ev;
	int t;

	if (known >= 0)
		return known;
	known = 1;
	ev = calloc(1, sizeof(*ev));
	ct = nfct_new();
	if (ev && ct) {
		ev->has = CT_HAS_KTIME;
		ev->ktime = 1;
		if (nfct_nlmsg_parse(ct_encode_parts(ev, msg, CT_ENC_REST), ct) == 0) {
			known = 0;
			for (t = 0; t < 256; t++)	/* attributes of later versions too */
				if (nfct_attr_is_set(ct, t) > 0)
					known = 1;
		}
	}
	if (ct)
		nfct_destroy(ct);
	free(ev);
	return known;
}

/* Fills a new conntrack object with what nfct_nlmsg_parse(ct_encode(ev))
 * would put in it, bit for bit. The fields nfct_set_attr*() sets exactly are
 * set directly (encoding and parsing them took a third of a line's time);
 * the rest goes through the library's parser: counters, timestamps and use
 * have no setter in libnetfilter_conntrack 1.0.9 (it sets the bit, not the
 * value), and the attributes in ev->extra are parsed as they arrived. ICMP
 * tuples, and extra attributes that repeat a field, take the message path
 * whole: the reply's ICMP type cannot be set apart from the original's.
 * ct_fmt_build() lets a test compare the two ways object for object. */
static int build(const struct ct_event *ev, struct nf_conntrack *ct, void *msg)
{
	uint32_t has = ev->has;
	uint64_t v = ev->tcpinfo;

	if (ev->orig.has_icmp || ev->reply.has_icmp || (ev->extra_len && extra_overlaps(ev)))
		return nfct_nlmsg_parse(ct_encode(ev, msg), ct);

	set_tuple(ct, ev->family, &ev->orig, 0);
	set_tuple(ct, ev->family, &ev->reply, 1);
	if (has & CT_HAS_ZONE)
		nfct_set_attr_u16(ct, ATTR_ZONE, ev->zone);
	if (has & CT_HAS_STATUS)
		nfct_set_attr_u32(ct, ATTR_STATUS, ev->status);
	if (has & CT_HAS_TIMEOUT)
		nfct_set_attr_u32(ct, ATTR_TIMEOUT, ev->timeout);
	if (has & CT_HAS_TCPINFO) {
		if (v & CT_TCPI_HAS_STATE)
			nfct_set_attr_u8(ct, ATTR_TCP_STATE, ev->state);
		if (v & CT_TCPI_HAS_WSCALE_O)
			nfct_set_attr_u8(ct, ATTR_TCP_WSCALE_ORIG, CT_TCPI_WSCALE_O(v));
		if (v & CT_TCPI_HAS_WSCALE_R)
			nfct_set_attr_u8(ct, ATTR_TCP_WSCALE_REPL, CT_TCPI_WSCALE_R(v));
		if (v & CT_TCPI_HAS_FLAGS_O) {
			nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_ORIG, CT_TCPI_FLAGS_O(v) & 0xff);
			nfct_set_attr_u8(ct, ATTR_TCP_MASK_ORIG, CT_TCPI_FLAGS_O(v) >> 8);
		}
		if (v & CT_TCPI_HAS_FLAGS_R) {
			nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_REPL, CT_TCPI_FLAGS_R(v) & 0xff);
			nfct_set_attr_u8(ct, ATTR_TCP_MASK_REPL, CT_TCPI_FLAGS_R(v) >> 8);
		}
	}
	if (has & CT_HAS_MARK)
		nfct_set_attr_u32(ct, ATTR_MARK, ev->mark);
	if (has & CT_HAS_ID)
		nfct_set_attr_u32(ct, ATTR_ID, ev->id);
	if (!(has & (CT_HAS_COUNTERS_ORIG | CT_HAS_COUNTERS_REPLY | CT_HAS_TS_START |
		     CT_HAS_TS_STOP)) && !ev->extra_len &&
	    (!(has & CT_HAS_KTIME) || !parses_ktime()))
		return 0;
	return nfct_nlmsg_parse(ct_encode_parts(ev, msg, CT_ENC_REST), ct);
}

int ct_fmt_build(const struct ct_event *ev, struct nf_conntrack *ct)
{
	char msg[CT_ENCODE_BUFSZ] __attribute__((aligned(8)));

	return build(ev, ct, msg);
}

/* The line format_line() writes into: the library's 1024 bytes, or
 * ct_xml_format()'s room (it writes a line whole before it declines one
 * that is too long), then room for the [USERSPACE] suffix and the newline. */
#define LINE_ROOM (CT_XML_BUFSZ > CONNTRACK_BUFSZ ? CT_XML_BUFSZ : CONNTRACK_BUFSZ)
#define LINE_BUFSZ (LINE_ROOM + 64 + CT_PROGNAME_MAX)

int ct_fmt_library_line(const struct ct_event *ev, unsigned int flags, int xml,
			struct nfct_labelmap *labelmap, char *line)
{
	static const int types[] = {
		[CT_EV_NEW] = NFCT_T_NEW, [CT_EV_UPDATE] = NFCT_T_UPDATE,
		[CT_EV_DESTROY] = NFCT_T_DESTROY, [CT_EV_DUMP] = NFCT_T_UNKNOWN,
	};
	char msg[CT_ENCODE_BUFSZ] __attribute__((aligned(8)));
	char big[4 * CONNTRACK_BUFSZ];
	struct nf_conntrack *ct;
	int ret;

	if (ev->type < CT_EV_NEW || ev->type > CT_EV_DUMP)
		return CT_FMT_UNBUILT;
	ct = nfct_new();
	if (!ct || build(ev, ct, msg) < 0) {
		if (ct)
			nfct_destroy(ct);
		return CT_FMT_UNBUILT;
	}
	if ((flags & NFCT_OF_TIME) && xml) {
		/* Format whole, put the recorded time in, then cut as conntrack did. */
		ret = nfct_snprintf_labels(big, sizeof(big), ct, types[ev->type],
					   NFCT_O_XML, flags, labelmap);
		set_when(big, sizeof(big), ev->t_us);
		big[CONNTRACK_BUFSZ - 1] = 0;
		memcpy(line, big, strlen(big) + 1);
	} else {
		ret = nfct_snprintf_labels(line, CONNTRACK_BUFSZ, ct, types[ev->type],
					   xml ? NFCT_O_XML : NFCT_O_DEFAULT, flags, labelmap);
	}
	nfct_destroy(ct);
	return ret < 0 ? CT_FMT_UNFORMATTED : (int)strlen(line);
}

/* Writes the event's line into line, which has LINE_BUFSZ bytes. Returns 0,
 * or -1 (reported). */
static int format_line(struct ct_fmt *f, const struct ct_event *ev, char *line)
{
	unsigned int flags = 0;
	int ret;

	if (f->save) {	/* (nothing else is allowed with it: ct_fmt_check()) */
		if (ct_save_format(ev, line) < 0)
			return log_error("stored event cannot be parsed by libnetfilter_conntrack");
		return 0;
	}
	if (f->extended)
		flags |= NFCT_OF_SHOW_LAYER3;
	if (f->timestamp && f->xml)
		flags |= NFCT_OF_TIME;
	if (f->ktimestamp)
		flags |= NFCT_OF_TIMESTAMP;
	if (f->id)
		flags |= NFCT_OF_ID;
	/* The common events without the library's objects (ct_text.c,
	 * ct_xml.c), the rest through them. Neither writes a line conntrack
	 * would have cut. */
	if (!f->labels && !f->labelmap &&
	    (f->xml ? ct_xml_format(ev, flags, line, CT_XML_BUFSZ)
		    : ct_text_format(ev, flags, line, CONNTRACK_BUFSZ)) >= 0)
		return 0;
	ret = ct_fmt_library_line(ev, flags, f->xml, f->labelmap, line);
	if (ret == CT_FMT_UNBUILT)
		return log_error("stored event cannot be parsed by libnetfilter_conntrack");
	if (ret == CT_FMT_UNFORMATTED)
		return log_error("libnetfilter_conntrack cannot format a stored event");
	return 0;
}

/* Writes v in decimal at p, as printf's %u. Returns the end. */
static char *put_u32(char *p, uint32_t v)
{
	char tmp[10];
	int n = 0;

	do
		tmp[n++] = '0' + v % 10;
	while (v /= 10);
	while (n)
		*p++ = tmp[--n];
	return p;
}

int ct_fmt_event(struct ct_fmt *f, const struct ct_event *ev, FILE *out)
{
	/* The line, then the [USERSPACE] suffix and the newline. */
	char line[LINE_BUFSZ], *end;

	if (ev->type < CT_EV_NEW || ev->type > CT_EV_DUMP)
		return log_error("stored event has unknown type %d", ev->type);
	if (format_line(f, ev, line))
		return -1;
	if (f->xml && !f->header_done) {
		f->header_done = 1;
		if (f->pretty)
			ct_pretty_begin(out);
		else
			fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n", out);
	}
	if (f->pretty)	/* the documented layout has no [USERSPACE] suffix */
		return ct_pretty_flow(line, out);
	if (f->timestamp && !f->xml) {
		long sec = ev->t_us / 1000000, usec = ev->t_us % 1000000;

		fprintf(out, "[%-.8ld.%-.6ld]\t", sec, usec);
	}
	/* As conntrack's "%s [USERSPACE] portid=%u progname=%s\n", in one write. */
	end = line + strlen(line);
	if (ev->portid) {
		memcpy(end, " [USERSPACE] portid=", 20);
		end = put_u32(end + 20, ev->portid);
		if (ev->progname[0]) {
			size_t n = strnlen(ev->progname, CT_PROGNAME_MAX - 1);

			memcpy(end, " progname=", 10);
			memcpy(end + 10, ev->progname, n);
			end += 10 + n;
		}
	}
	*end++ = '\n';
	fwrite(line, 1, end - line, out);
	return 0;
}

void ct_fmt_close(struct ct_fmt *f, FILE *out)
{
	if (f->xml && f->header_done && f->pretty)
		ct_pretty_end(out);
	else if (f->xml && f->header_done)
		fputs("</conntrack>\n", out);
	if (f->labelmap)
		nfct_labelmap_destroy(f->labelmap);
	f->labelmap = NULL;
}
