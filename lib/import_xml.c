/* Reads the XML of `conntrack -E -o xml[,...]` as a stream, one <flow> at a time, into struct ct_event. */
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <libxml/xmlreader.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct_names.h"
#include "import_xml.h"
#include "timeparse.h"
#include "import_xml_docs.h"

#define DEPTH_MAX 8
#define NAME_MAX_LEN 16
#define TEXT_MAX 512
#define NODES_MAX 400	/* elements in one flow */

struct import_xml {
	xmlTextReaderPtr r;
	struct xml_docs in;	/* the input, cut into documents */
	int pending;		/* the reader stands on a node not handled yet */
	int in_doc, done, flows;
	int ready;		/* a whole flow waits to be returned */
	long ready_line;	/* the line where it starts */
	char err[200];
	int err_code;
	long err_line;
	time_t last_when;	/* the time of the last <when> read, 0 before one */
};

/* What one <flow> showed so far. */
struct flow {
	char path[DEPTH_MAX][NAME_MAX_LEN];
	int dir;		/* meta: 0 original, 1 reply, 2 independent */
	int seen[2][8];		/* src dst sport dport l3 l4 pkts bytes */
	int unreplied, assured, have_delta, have_start, have_stop, nodes;
	uint64_t delta;
	struct tm when;
	int when_parts;
	char text[TEXT_MAX];
	size_t text_len;
	char labels[TEXT_MAX];
};

enum { S_SRC, S_DST, S_SPORT, S_DPORT, S_L3, S_L4, S_PKTS, S_BYTES };

static void on_error(void *arg, xmlErrorPtr err)
{
	struct import_xml *x = arg;
	size_t n;

	if (x->err[0] || !err)
		return;
	/* (out of memory, libxml2 names only the function that failed:
	 * "xmlSAX2StartElementNs") */
	snprintf(x->err, sizeof(x->err), "%s", err->code == XML_ERR_NO_MEMORY ? "out of memory" :
		 err->message ? err->message : "XML error");
	n = strlen(x->err);
	while (n && (x->err[n - 1] == '\n' || x->err[n - 1] == ' '))
		x->err[--n] = 0;
	x->err_code = err->code;
	x->err_line = err->line;
}

/* libxml2's own messages (out of memory before a reader has its handler,
 * or in one it cannot hand over) go nowhere: the failure is the import's to
 * report, once. */
static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* A reader for the next document of the input. Returns 0 or -1 (out of memory). */
static int start_doc(struct import_xml *x)
{
	if (x->r)
		xmlFreeTextReader(x->r);
	xml_docs_next(&x->in);
	x->pending = x->in_doc = x->done = x->ready = 0;
	x->err[0] = 0;
	x->err_code = 0;
	x->err_line = 0;
	xmlSetGenericErrorFunc(NULL, quiet);
	x->r = xmlReaderForIO(xml_docs_read, NULL, &x->in, NULL, NULL,
			      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!x->r)
		return -1;
	xmlTextReaderSetStructuredErrorHandler(x->r, on_error, x);
	return 0;
}

/* import_xml_new(), import_xml_new_grown(): mid_doc 1 with the lines before. */
static struct import_xml *xml_new(int (*read)(void *ctx, char *buf, int len), void *ctx,
				  int mid_doc, long lines)
{
	struct import_xml *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	/* (before the reader: creating it reads the input's first bytes) */
	xml_docs_init(&x->in, read, ctx, mid_doc, lines);
	if (start_doc(x)) {
		free(x);
		return NULL;
	}
	return x;
}

struct import_xml *import_xml_new(int (*read)(void *ctx, char *buf, int len), void *ctx)
{
	return xml_new(read, ctx, 0, 0);
}

struct import_xml *import_xml_new_grown(int (*read)(void *ctx, char *buf, int len), void *ctx,
					long lines)
{
	return xml_new(read, ctx, 1, lines);
}

void import_xml_free(struct import_xml *x)
{
	if (!x)
		return;
	xmlFreeTextReader(x->r);
	free(x);
}

static int is_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static int num(const char *what, const char *v, uint64_t max, uint64_t *out,
	       struct import_err *e)
{
	if (num_parse(v, max, out))
		return import_fail(e, "bad number <%s>%.40s</%s>", what, v, what);
	return 0;
}

/* Into *v (xmlFree() it): the value of the attribute `name` of the element
 * the reader stands on, NULL when it has none. Returns 0, or -1 with e set
 * when it has one whose value libxml2 could not copy (out of memory: not a
 * fault of the log's, which an attribute missing would be). */
static int attribute(struct import_xml *x, const char *name, xmlChar **v,
		     struct import_err *e)
{
	*v = xmlTextReaderGetAttribute(x->r, BAD_CAST name);
	if (*v || xmlTextReaderMoveToAttribute(x->r, BAD_CAST name) != 1)
		return 0;
	xmlTextReaderMoveToElement(x->r);
	return import_fail(e, "out of memory");
}

/* An attribute protonum="N" of <layer3> or <layer4>. */
static int protonum(struct import_xml *x, struct flow *f, struct ct_event *ev, int l4,
		    struct import_err *e)
{
	struct ct_tuple *t = f->dir ? &ev->reply : &ev->orig;
	xmlChar *v;
	uint64_t n;
	int r = 0;

	if (attribute(x, "protonum", &v, e))
		return -1;
	if (!v || num_parse((const char *)v, 255, &n))
		r = import_fail(e, "<layer%d> without a valid protonum", l4 ? 4 : 3);
	else if (l4)
		t->proto = (uint8_t)n;
	else if (n != AF_INET && n != AF_INET6)
		r = import_fail(e, "unknown layer 3 protonum %s", (const char *)v);
	else
		t->l3 = (uint8_t)n;
	f->seen[f->dir][l4 ? S_L4 : S_L3] = 1;
	xmlFree(v);
	return r;
}

/* A start tag at depth d (1 = <flow>). */
static int start_element(struct import_xml *x, struct flow *f, struct ct_event *ev, int d,
			 const char *name, struct import_err *e)
{
	const char *parent = f->path[d - 1];
	xmlChar *v;

	if (++f->nodes > NODES_MAX)
		return import_fail(e, "<flow> has too many elements");
	if (d >= DEPTH_MAX || strlen(name) >= NAME_MAX_LEN)
		return import_fail(e, "unexpected element <%.40s>", name);
	strcpy(f->path[d], name);
	f->text_len = 0;
	f->text[0] = 0;
	if (d == 2 && !strcmp(name, "meta")) {
		if (attribute(x, "direction", &v, e))
			return -1;
		f->dir = !v ? -1 : !strcmp((char *)v, "original") ? 0 :
			 !strcmp((char *)v, "reply") ? 1 : !strcmp((char *)v, "independent") ? 2 : -1;
		xmlFree(v);
		if (f->dir < 0)
			return import_fail(e, "<meta> without a valid direction");
		return 0;
	}
	if (d == 3 && f->dir < 2 && !strcmp(parent, "meta") &&
	    (!strcmp(name, "layer3") || !strcmp(name, "layer4")))
		return protonum(x, f, ev, name[5] == '4', e);
	if (d == 2 && (!strcmp(name, "when") || !strcmp(name, "helper")))
		return 0;
	if (d == 3 && !strcmp(parent, "meta"))
		return 0;	/* leaves and containers, checked at their end */
	if (d == 4 && (!strcmp(parent, "layer3") || !strcmp(parent, "layer4") ||
		       !strcmp(parent, "counters") || !strcmp(parent, "timestamp") ||
		       !strcmp(parent, "labels")))
		return 0;
	if (d == 3 && !strcmp(parent, "when"))
		return 0;
	return import_fail(e, "unexpected element <%s> in <%s>", name, parent);
}

static int tuple_leaf(struct flow *f, struct ct_event *ev, const char *parent,
		      const char *name, const char *v, struct import_err *e)
{
	struct ct_tuple *t = f->dir ? &ev->reply : &ev->orig;
	int *seen = f->seen[f->dir];
	uint64_t n;
	char *end;

	if (!strcmp(parent, "layer3") && (!strcmp(name, "src") || !strcmp(name, "dst"))) {
		int dst = name[0] == 'd';
		uint8_t l3 = t->l3;

		if (seen[dst ? S_DST : S_SRC]++)
			return import_fail(e, "<%s> twice", name);
		t->l3 = 0;
		if (import_addr(v, t, dst) || (l3 && t->l3 != l3))
			return import_fail(e, "bad address <%s>%.60s</%s>", name, v, name);
		return 0;
	}
	if (!strcmp(parent, "layer4") && (!strcmp(name, "sport") || !strcmp(name, "dport"))) {
		if (num(name, v, 65535, &n, e))
			return -1;
		*(name[0] == 's' ? &t->sport : &t->dport) = (uint16_t)n;
		seen[name[0] == 's' ? S_SPORT : S_DPORT]++;
		return 0;
	}
	if (!strcmp(parent, "layer4") && (!strcmp(name, "srckey") || !strcmp(name, "dstkey"))) {
		if (strncmp(v, "0x", 2) || !v[2] || strlen(v) > 6)
			return import_fail(e, "bad GRE key <%s>", name);
		n = strtoul(v + 2, &end, 16);
		if (*end)
			return import_fail(e, "bad GRE key <%s>", name);
		*(name[1] == 'r' ? &t->sport : &t->dport) = (uint16_t)n;
		seen[name[1] == 'r' ? S_SPORT : S_DPORT]++;
		return 0;
	}
	if (!strcmp(parent, "counters") && (!strcmp(name, "packets") || !strcmp(name, "bytes"))) {
		uint64_t *p = name[0] == 'p' ? (f->dir ? &ev->pkts_reply : &ev->pkts_orig)
					     : (f->dir ? &ev->bytes_reply : &ev->bytes_orig);

		seen[name[0] == 'p' ? S_PKTS : S_BYTES]++;
		return num(name, v, UINT64_MAX, p, e);
	}
	if (!strcmp(parent, "meta") && !strcmp(name, "zone")) {
		if (num(name, v, 65535, &n, e))
			return -1;
		t->zone = (uint16_t)n;
		t->has_zone = 1;
		return 0;
	}
	if (!strcmp(parent, "meta") && (!strcmp(name, "layer3") || !strcmp(name, "layer4") ||
					 !strcmp(name, "counters")))
		return 0;
	return import_fail(e, "unexpected <%s> in <%s>", name, parent);
}

static int independent_leaf(struct flow *f, struct ct_event *ev, const char *parent,
			    const char *name, const char *v, struct import_err *e)
{
	uint64_t n;

	if (!strcmp(parent, "timestamp")) {
		if (strcmp(name, "start") && strcmp(name, "stop"))
			return import_fail(e, "unexpected <%s> in <timestamp>", name);
		if (num(name, v, UINT64_MAX, name[2] == 'a' ? &ev->ts_start : &ev->ts_stop, e))
			return -1;
		*(name[2] == 'a' ? &f->have_start : &f->have_stop) = 1;
		return 0;
	}
	if (!strcmp(parent, "labels")) {
		size_t l = strlen(f->labels);

		if (strcmp(name, "label") || !*v || l + strlen(v) + 2 > sizeof(f->labels))
			return import_fail(e, "bad <labels>");
		if (l)
			f->labels[l++] = ',';
		memcpy(f->labels + l, v, strlen(v) + 1);
		return 0;
	}
	if (!strcmp(name, "state")) {
		/* the library prints every protocol's state from the TCP table in XML */
		int st = ct_state_num(IPPROTO_TCP, v);

		if (st < 0)
			return import_fail(e, "unknown state '%.40s'", v);
		ev->state = (uint8_t)st;	/* protocol known at the end of the flow */
		ev->has |= CT_HAS_STATE;
		return 0;
	}
	if (!strcmp(name, "assured") || !strcmp(name, "unreplied")) {
		if (*v)
			return import_fail(e, "<%s> is not empty", name);
		*(name[0] == 'a' ? &f->assured : &f->unreplied) = 1;
		return 0;
	}
	if (!strcmp(name, "timestamp") || !strcmp(name, "labels"))
		return 0;
	if (!strcmp(name, "secctx")) {
		if (!*v || strlen(v) > 255 || import_extra_str(ev, CTA_SECCTX, CTA_SECCTX_NAME, v))
			return import_fail(e, "bad <secctx>");
		return 0;
	}
	if (!strcmp(name, "deltatime")) {
		f->have_delta = 1;
		return num(name, v, UINT32_MAX, &f->delta, e);
	}
	if (!strcmp(name, "zone")) {
		if (num(name, v, 65535, &n, e))
			return -1;
		ev->zone = (uint16_t)n;
		ev->has |= CT_HAS_ZONE;
		return 0;
	}
	if (num(name, v, UINT32_MAX, &n, e))
		return strcmp(name, "timeout") && strcmp(name, "mark") && strcmp(name, "id") &&
		       strcmp(name, "use") && strcmp(name, "secmark") ?
		       import_fail(e, "unexpected <%s> in <meta>", name) : -1;
	if (!strcmp(name, "timeout")) {
		ev->timeout = (uint32_t)n;
		ev->has |= CT_HAS_TIMEOUT;
	} else if (!strcmp(name, "mark")) {
		ev->mark = (uint32_t)n;
		ev->has |= CT_HAS_MARK;
	} else if (!strcmp(name, "id")) {
		ev->id = (uint32_t)n;
		ev->has |= CT_HAS_ID;
	} else if (!strcmp(name, "use") || !strcmp(name, "secmark")) {
		if (import_extra_u32(ev, name[0] == 'u' ? CTA_USE : CTA_SECMARK, (uint32_t)n))
			return import_fail(e, "too many attributes");
	} else {
		return import_fail(e, "unexpected <%s> in <meta>", name);
	}
	return 0;
}

static int when_leaf(struct flow *f, const char *name, const char *v, struct import_err *e)
{
	static const char *const parts[] = { "hour", "min", "sec", "wday", "day", "month", "year" };
	static const uint64_t max[] = { 23, 59, 60, 7, 31, 12, 9999 };
	uint64_t n;
	size_t i;

	for (i = 0; i < 7; i++)
		if (!strcmp(name, parts[i]))
			break;
	if (i == 7)
		return import_fail(e, "unexpected <%s> in <when>", name);
	if (num(name, v, max[i], &n, e))
		return -1;
	f->when_parts |= 1 << i;
	switch (i) {
	case 0: f->when.tm_hour = (int)n; break;
	case 1: f->when.tm_min = (int)n; break;
	case 2: f->when.tm_sec = (int)n; break;
	case 4: f->when.tm_mday = (int)n; break;
	case 5: f->when.tm_mon = (int)n - 1; break;
	case 6: f->when.tm_year = (int)n - 1900; break;
	}
	return 0;
}

/* An end tag at depth d: handles the element with its collected text. */
static int end_element(struct flow *f, struct ct_event *ev, int d, struct import_err *e)
{
	const char *name = f->path[d], *parent = f->path[d - 1];
	char *v = f->text;

	while (f->text_len && isspace((unsigned char)v[f->text_len - 1]))
		v[--f->text_len] = 0;
	while (isspace((unsigned char)*v))
		v++;
	if (d == 2 && !strcmp(name, "helper")) {
		if (!*v || strlen(v) > 255 || import_extra_str(ev, CTA_HELP, CTA_HELP_NAME, v))
			return import_fail(e, "bad <helper>");
	} else if (d == 2) {
		if (*v)
			return import_fail(e, "unexpected text in <%s>", name);
	} else if (!strcmp(parent, "when") || (d == 3 && !strcmp(name, "when"))) {
		return when_leaf(f, name, v, e);
	} else if (f->dir < 2) {
		return tuple_leaf(f, ev, parent, name, v, e);
	} else {
		return independent_leaf(f, ev, parent, name, v, e);
	}
	return 0;
}

/* The time of f's <when>, a local time, into *t: where the clocks passed it
 * twice (the hour repeated when summer time ends), its first reading, unless
 * that comes before the <when> read last (*last, 0 before one): the log has
 * come to the second pass. (mktime() read the second pass as the first
 * after a summer time: an hour back, 12 of the 50 events of a night's log.)
 * Returns 0 or -1 (not a time). */
static int when_time(struct flow *f, time_t *last, time_t *t)
{
	time_t first, second;

	switch (time_local(&f->when, &first, &second)) {
	case 0:		/* (skipped: a log from another time zone) */
		f->when.tm_isdst = -1;
		if ((*t = mktime(&f->when)) == (time_t)-1)
			return -1;
		break;
	case 1:
		*t = first;
		break;
	default:
		*t = *last && first < *last ? second : first;
	}
	*last = *t;
	return 0;
}

/* Completes ev at </flow>; last: see when_time(). */
static int end_flow(struct flow *f, struct ct_event *ev, int64_t now_us, time_t *last,
		    int *timed, struct import_err *e)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct ct_tuple *t = i ? &ev->reply : &ev->orig;
		int *s = f->seen[i];
		const char *which = i ? "reply" : "original";

		if (!s[S_L3] || !s[S_L4] || !s[S_SRC] || !s[S_DST])
			return import_fail(e, "<flow> lacks the %s <layer3>/<layer4>", which);
		if (s[S_PKTS] != s[S_BYTES])
			return import_fail(e, "%s <counters> incomplete", which);
		/* (DCCP's too: libnetfilter_conntrack prints them in XML as in text) */
		if (import_proto_has_ports(t->proto)) {
			if (!s[S_SPORT] || !s[S_DPORT])
				return import_fail(e, "%s <layer4> lacks its ports", which);
			t->has_ports = 1;
		} else if (s[S_SPORT] || s[S_DPORT]) {
			return import_fail(e, "%s <layer4> has ports its protocol does not print", which);
		}
	}
	if (ev->orig.proto != ev->reply.proto)
		return import_fail(e, "original and reply protocols differ");
	if (f->seen[0][S_PKTS])
		ev->has |= CT_HAS_COUNTERS_ORIG;
	if (f->seen[1][S_PKTS])
		ev->has |= CT_HAS_COUNTERS_REPLY;
	ev->family = ev->orig.l3;
	if (ev->has & CT_HAS_STATE) {
		uint8_t st = ev->state;

		ev->has &= ~CT_HAS_STATE;
		if (ev->orig.proto != IPPROTO_TCP && ev->orig.proto != IPPROTO_SCTP &&
		    ev->orig.proto != IPPROTO_DCCP)
			return import_fail(e, "<state> for a protocol without states");
		if (ct_event_set_state(ev, st))
			return import_fail(e, "too many attributes");
	}
	if (f->labels[0] && import_labels(ev, f->labels, e))
		return -1;
	import_set_status(ev, f->unreplied, f->assured, 0, 0);
	*timed = 0;
	ev->t_us = now_us;
	if (f->when_parts) {
		time_t t;

		if (f->when_parts != 0x7f)
			return import_fail(e, "<when> incomplete");
		if (when_time(f, last, &t))
			return import_fail(e, "bad <when>");
		ev->t_us = (int64_t)t * 1000000;
		*timed = 1;
	}
	if (f->have_start)
		ev->has |= CT_HAS_TS_START;
	if (f->have_stop)
		ev->has |= CT_HAS_TS_STOP;
	if (!f->have_start && !f->have_stop && f->have_delta)
		import_set_delta(ev, f->delta);
	return 0;
}

/* Advances the reader; 1 on a node, 0 at the end, -1 on error (e set). */
static int step(struct import_xml *x, struct import_err *e, long *line)
{
	int r;

	if (x->pending) {
		x->pending = 0;
		return 1;
	}
	r = xmlTextReaderRead(x->r);
	if (r == 1)
		return 1;
	if (r == 0)
		return 0;
	*line = x->in.line_base + (x->err_line ? x->err_line : xmlTextReaderGetParserLineNumber(x->r));
	return import_fail(e, "%s", x->err[0] ? x->err : "malformed XML");
}

/* Text after </flow>: blank, or the [USERSPACE] suffix of that flow. */
static int after_flow_text(const char *s, struct ct_event *ev, struct import_err *e)
{
	char buf[256];
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return 0;
	if (n >= sizeof(buf))
		return import_fail(e, "unexpected text after </flow>");
	memcpy(buf, s, n);
	buf[n] = 0;
	if (buf[0] != ' ')
		return import_fail(e, "unexpected text after </flow>");
	return import_userspace(buf, ev, e);
}

/* The line of the reader's node: its own (where it starts), not the
 * parser's, which has read on past it. */
static long node_line(struct import_xml *x)
{
	xmlNodePtr n = xmlTextReaderCurrentNode(x->r);
	long l = n ? xmlGetLineNo(n) : -1;

	return l > 0 ? l : xmlTextReaderGetParserLineNumber(x->r);
}

/* import_xml_next() within the current document. */
static int doc_next(struct import_xml *x, int64_t now_us, struct ct_event *ev, int *timed,
		    struct import_err *e, long *line)
{
	static struct flow f;
	int r, in_flow = 0, type, d;
	const char *name;

	if (x->done)
		return 0;
	while ((r = step(x, e, line)) > 0) {
		type = xmlTextReaderNodeType(x->r);
		d = xmlTextReaderDepth(x->r);
		name = (const char *)xmlTextReaderConstLocalName(x->r);
		*line = x->in.line_base + node_line(x);
		if (!in_flow && type == XML_READER_TYPE_ELEMENT && d == 0) {
			if (strcmp(name, "conntrack"))
				return import_fail(e, "the document is not <conntrack>");
			x->in_doc = 1;
			continue;
		}
		if (!in_flow && type == XML_READER_TYPE_ELEMENT && d == 1) {
			xmlChar *t;

			if (strcmp(name, "flow"))
				return import_fail(e, "unexpected <%s> in <conntrack>", name);
			if (x->ready) {	/* return the ready one; this one is for the next call */
				x->pending = 1;
				break;
			}
			memset(&f, 0, sizeof(f));
			memset(ev, 0, offsetof(struct ct_event, extra));
			ev->extra_len = 0;
			strcpy(f.path[1], "flow");
			if (attribute(x, "type", &t, e))
				return -1;
			ev->type = !t ? 0 : !strcmp((char *)t, "new") ? CT_EV_NEW :
				   !strcmp((char *)t, "update") ? CT_EV_UPDATE :
				   !strcmp((char *)t, "destroy") ? CT_EV_DESTROY : 0;
			xmlFree(t);
			if (!ev->type)
				return import_fail(e, "<flow> without a valid type");
			if (xmlTextReaderIsEmptyElement(x->r))
				return import_fail(e, "empty <flow>");
			in_flow = 1;
			continue;
		}
		if (in_flow && type == XML_READER_TYPE_ELEMENT) {
			if (start_element(x, &f, ev, d, name, e))
				return -1;
			if (xmlTextReaderIsEmptyElement(x->r) && end_element(&f, ev, d, e))
				return -1;
			continue;
		}
		if (in_flow && (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
				type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
				type == XML_READER_TYPE_WHITESPACE)) {
			const char *v = (const char *)xmlTextReaderConstValue(x->r);
			size_t n = v ? strlen(v) : 0;

			if (f.text_len + n >= sizeof(f.text))
				return import_fail(e, "text too long in <%s>", f.path[d - 1]);
			memcpy(f.text + f.text_len, v, n);
			f.text_len += n;
			f.text[f.text_len] = 0;
			continue;
		}
		if (in_flow && type == XML_READER_TYPE_END_ELEMENT && d == 1) {
			if (end_flow(&f, ev, now_us, &x->last_when, timed, e))
				return -1;
			in_flow = 0;
			x->flows++;
			x->ready = 1;
			x->ready_line = *line;
			continue;	/* look for a [USERSPACE] suffix */
		}
		if (in_flow && type == XML_READER_TYPE_END_ELEMENT) {
			if (end_element(&f, ev, d, e))
				return -1;
			f.text_len = 0;
			f.text[0] = 0;
			continue;
		}
		if (!in_flow && d == 1 && (type == XML_READER_TYPE_TEXT ||
					   type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
					   type == XML_READER_TYPE_WHITESPACE)) {
			const char *v = (const char *)xmlTextReaderConstValue(x->r);

			if (!is_blank(v ? v : "") && !x->ready)
				return import_fail(e, "unexpected text in <conntrack>");
			if (v && after_flow_text(v, ev, e))
				return -1;
			continue;
		}
		if (type == XML_READER_TYPE_END_ELEMENT && d == 0) {
			x->done = 1;
			break;
		}
		if (type == XML_READER_TYPE_COMMENT || type == XML_READER_TYPE_PROCESSING_INSTRUCTION ||
		    (d == 0 && (type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
				type == XML_READER_TYPE_WHITESPACE)))
			continue;
		if (type == XML_READER_TYPE_DOCUMENT_TYPE)
			return import_fail(e, "a DOCTYPE is not part of conntrack's XML");
		return import_fail(e, "unexpected XML node");
	}
	if (r < 0) {
		/* Cut off after a whole flow, before </conntrack>: conntrack was killed. */
		if (in_flow && x->in.at_eof)
			return import_fail(e, "the document ends inside a <flow>");
		if (in_flow || !x->in_doc || !x->done)
			return -1;
		x->done = 1;
	} else if (in_flow) {
		return import_fail(e, "the document ends inside a <flow>");
	} else if (r == 0) {
		x->done = 1;
		if (!x->in_doc)
			return import_fail(e, "no <conntrack> document");
	}
	if (x->ready) {
		x->ready = 0;
		*line = x->ready_line;
		return 1;
	}
	return 0;
}

int import_xml_next(struct import_xml *x, int64_t now_us, struct ct_event *ev, int *timed,
		    struct import_err *e, long *line)
{
	int rc;

	while ((rc = doc_next(x, now_us, ev, timed, e, line)) == 0 && x->in.doc_over)
		if (start_doc(x))
			return import_fail(e, "out of memory");
	return rc;
}
