/* Parses one line of `conntrack -E -o save` (a conntrack command line: -A, -U or -D and the entry's options) into a struct ct_event. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_sctp.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct_names.h"
#include "import_save.h"

/*
 * What conntrack 1.4.7 prints (src/conntrack.c, ct_save_snprintf(), and the
 * print_opts of extensions/libct_proto_*.c; lib/ct_save.c writes the same):
 * the verb, then "NAME VALUE" for each attribute the entry has, each option
 * with exactly one value, separated by single spaces, and the [USERSPACE]
 * suffix of event_cb(). The options that belong to a protocol come after
 * -p (conntrack's parser knows them only then).
 */

#define MAX_TOKENS 64

/* Each value an option gives (two options may give the same one: -r and -g). */
enum val {
	V_TIMEOUT, V_STATUS, V_SECMARK, V_ZONE, V_ORIG_ZONE, V_REPLY_ZONE,
	V_SRC, V_DST, V_REPL_SRC, V_REPL_DST, V_PROTO,
	V_SPORT, V_DPORT, V_REPL_SPORT, V_REPL_DPORT, V_STATE, V_VTAG_ORIG, V_VTAG_REPL,
	V_ROLE, V_ITYPE, V_ICODE, V_IID, V_COUNT
};

/* Which protocols take an option: bits of struct proto's opts. */
enum {
	P_PORTS = 1, P_STATE = 2, P_SCTP = 4, P_DCCP = 8, P_GRE = 16, P_ICMP = 32, P_ICMPV6 = 64,
};

static const struct opt {
	const char *name;
	enum val val;
	int protos;	/* 0: not a protocol's option */
} opts[] = {
	{ "-t", V_TIMEOUT, 0 }, { "-u", V_STATUS, 0 }, { "-c", V_SECMARK, 0 },
	{ "-w", V_ZONE, 0 }, { "--orig-zone", V_ORIG_ZONE, 0 }, { "--reply-zone", V_REPLY_ZONE, 0 },
	{ "-s", V_SRC, 0 }, { "-d", V_DST, 0 }, { "-r", V_REPL_SRC, 0 }, { "-g", V_REPL_SRC, 0 },
	{ "-q", V_REPL_DST, 0 }, { "-n", V_REPL_DST, 0 }, { "-p", V_PROTO, 0 },
	{ "--sport", V_SPORT, P_PORTS }, { "--dport", V_DPORT, P_PORTS },
	{ "--reply-port-src", V_REPL_SPORT, P_PORTS }, { "--reply-port-dst", V_REPL_DPORT, P_PORTS },
	{ "--srckey", V_SPORT, P_GRE }, { "--dstkey", V_DPORT, P_GRE },
	{ "--reply-key-src", V_REPL_SPORT, P_GRE }, { "--reply-key-dst", V_REPL_DPORT, P_GRE },
	{ "--state", V_STATE, P_STATE }, { "--orig-vtag", V_VTAG_ORIG, P_SCTP },
	{ "--reply-vtag", V_VTAG_REPL, P_SCTP }, { "--role", V_ROLE, P_DCCP },
	{ "--icmp-type", V_ITYPE, P_ICMP }, { "--icmp-code", V_ICODE, P_ICMP },
	{ "--icmp-id", V_IID, P_ICMP }, { "--icmpv6-type", V_ITYPE, P_ICMPV6 },
	{ "--icmpv6-code", V_ICODE, P_ICMPV6 }, { "--icmpv6-id", V_IID, P_ICMPV6 },
};

/* The protocols conntrack has an extension for; another is "-p N". */
static const struct proto {
	const char *name;
	int num, opts;
} protos[] = {
	{ "tcp", IPPROTO_TCP, P_PORTS | P_STATE }, { "udp", IPPROTO_UDP, P_PORTS },
	{ "udplite", IPPROTO_UDPLITE, P_PORTS }, { "icmp", IPPROTO_ICMP, P_ICMP },
	{ "icmpv6", IPPROTO_ICMPV6, P_ICMPV6 },
	{ "sctp", IPPROTO_SCTP, P_PORTS | P_STATE | P_SCTP },
	{ "dccp", IPPROTO_DCCP, P_PORTS | P_STATE | P_DCCP }, { "gre", IPPROTO_GRE, P_GRE },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The line's options: each value as given, and the option that gave it. */
struct line {
	const char *val[V_COUNT];
	const struct opt *by[V_COUNT];
	const struct proto *proto;	/* NULL: -p N, or no -p */
};

/* Reads -p's value into ev's tuples and l->proto. Returns 0 or -1 (e set). */
static int parse_proto(const char *v, struct line *l, struct ct_event *ev, struct import_err *e)
{
	uint64_t n;
	size_t i;

	for (i = 0; i < COUNT(protos); i++)
		if (!strcmp(v, protos[i].name)) {
			l->proto = &protos[i];
			ev->orig.proto = ev->reply.proto = (uint8_t)protos[i].num;
			return 0;
		}
	if (num_parse(v, 255, &n))
		return import_fail(e, "unknown protocol '-p %.40s'", v);
	for (i = 0; i < COUNT(protos); i++)
		if ((uint64_t)protos[i].num == n)
			return import_fail(e, "'-p %.40s': conntrack prints '-p %s'", v, protos[i].name);
	ev->orig.proto = ev->reply.proto = (uint8_t)n;
	return 0;
}

/* Sorts the tokens after the verb into l: each option once, with its value. */
static int read_opts(char **tok, int ntok, struct line *l, struct ct_event *ev,
		     struct import_err *e)
{
	const struct opt *o;
	int i;
	size_t k;

	for (i = 0; i < ntok; i += 2) {
		for (k = 0, o = NULL; k < COUNT(opts) && !o; k++)
			if (!strcmp(tok[i], opts[k].name))
				o = &opts[k];
		if (!o)
			return import_fail(e, tok[i][0] == '-' ? "unknown option '%.40s'"
				: "unexpected '%.40s' (not an option)", tok[i]);
		if (i + 1 == ntok)
			return import_fail(e, "'%s' lacks its value", o->name);
		if (o->protos && !l->val[V_PROTO])
			return import_fail(e, "'%s' before -p", o->name);
		if (o->protos && !(l->proto && (l->proto->opts & o->protos)))
			return import_fail(e, "'%s' is not an option of '-p %s'", o->name,
					   l->val[V_PROTO]);
		if (l->by[o->val])
			return import_fail(e, l->by[o->val] == o ? "'%s' twice" : "'%s' after '%s'",
					   o->name, l->by[o->val]->name);
		l->val[o->val] = tok[i + 1];
		l->by[o->val] = o;
		if (o->val == V_PROTO && parse_proto(tok[i + 1], l, ev, e))
			return -1;
	}
	return 0;
}

/* A number of at most max from the value of v, into *out. */
static int number(const struct line *l, enum val v, uint64_t max, uint64_t *out,
		  struct import_err *e)
{
	if (num_parse(l->val[v], max, out))
		return import_fail(e, "bad value '%.40s' of '%s'", l->val[v], l->by[v]->name);
	return 0;
}

/* -u's list: EXPECTED, SEEN_REPLY, ASSURED, FIXED_TIMEOUT, or UNSET. */
static int parse_status(const char *v, uint32_t *status, struct import_err *e)
{
	static const struct { const char *name; uint32_t bit; } names[] = {
		{ "EXPECTED", IPS_EXPECTED }, { "SEEN_REPLY", IPS_SEEN_REPLY },
		{ "ASSURED", IPS_ASSURED }, { "FIXED_TIMEOUT", IPS_FIXED_TIMEOUT },
	};
	const char *p = v;
	size_t i, n;

	*status = 0;
	if (!strcmp(v, "UNSET"))
		return 0;
	for (;;) {
		n = strcspn(p, ",");
		for (i = 0; i < COUNT(names); i++)
			if (strlen(names[i].name) == n && !memcmp(p, names[i].name, n))
				break;
		if (i == COUNT(names))
			return import_fail(e, "bad value '%.60s' of '-u'", v);
		*status |= names[i].bit;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

/* One address option into its tuple; both tuples of one family. */
static int address(const struct line *l, enum val v, struct ct_tuple *t, int dst,
		   struct import_err *e)
{
	if (!l->val[v])
		return import_fail(e, "no '%s'", v == V_SRC ? "-s" : v == V_DST ? "-d" :
				   v == V_REPL_SRC ? "-r' or '-g" : "-q' or '-n");
	if (import_addr(l->val[v], t, dst))
		return import_fail(e, "bad address '%.60s' of '%s'", l->val[v], l->by[v]->name);
	return 0;
}

static const char *const ports[] = {
	"--sport", "--dport", "--reply-port-src", "--reply-port-dst",
};
static const char *const gre_keys[] = {
	"--srckey", "--dstkey", "--reply-key-src", "--reply-key-dst",
};

/* The reply's ICMP type as the kernel inverts a request's (or a reply's)
 * (nf_conntrack_proto_icmp.c, icmpv6.c); save prints only the original's.
 * A type without an inverse is kept. */
static uint8_t icmp_reply_type(uint8_t proto, uint8_t type)
{
	static const uint8_t inv4[][2] = { { 8, 0 }, { 13, 14 }, { 15, 16 }, { 17, 18 } };
	static const uint8_t inv6[][2] = { { 128, 129 }, { 139, 140 } };
	const uint8_t (*inv)[2] = proto == IPPROTO_ICMP ? inv4 : inv6;
	size_t i, n = proto == IPPROTO_ICMP ? COUNT(inv4) : COUNT(inv6);

	for (i = 0; i < n; i++) {
		if (inv[i][0] == type)
			return inv[i][1];
		if (inv[i][1] == type)
			return inv[i][0];
	}
	return type;
}

/* The tuples: -s, -d, -r or -g, -q or -n, -p and its ports, keys or ICMP fields. */
static int tuples(const struct line *l, struct ct_event *ev, struct import_err *e)
{
	uint64_t n[4];
	enum val v;

	if (!l->val[V_SRC] && !l->val[V_DST] && !l->val[V_REPL_SRC] && !l->val[V_REPL_DST] &&
	    !l->val[V_PROTO])
		return import_fail(e, "no addresses and no -p (conntrack prints none for a layer 3"
				   " other than IPv4 and IPv6)");
	if (address(l, V_SRC, &ev->orig, 0, e) || address(l, V_DST, &ev->orig, 1, e) ||
	    address(l, V_REPL_SRC, &ev->reply, 0, e) || address(l, V_REPL_DST, &ev->reply, 1, e))
		return -1;
	if (ev->orig.l3 != ev->reply.l3)
		return import_fail(e, "the reply's addresses are not of the original's family");
	if (!l->val[V_PROTO])
		return import_fail(e, "no '-p'");
	if (l->proto && (l->proto->opts & (P_PORTS | P_GRE))) {
		const char *const *names = (l->proto->opts & P_GRE) ? gre_keys : ports;

		for (v = V_SPORT; v <= V_REPL_DPORT; v++) {
			if (!l->val[v])
				return import_fail(e, "no '%s'", names[v - V_SPORT]);
			if (number(l, v, 65535, &n[v - V_SPORT], e))
				return -1;
		}
		ev->orig.sport = (uint16_t)n[0];
		ev->orig.dport = (uint16_t)n[1];
		ev->reply.sport = (uint16_t)n[2];
		ev->reply.dport = (uint16_t)n[3];
		ev->orig.has_ports = ev->reply.has_ports = 1;
	}
	if (l->proto && (l->proto->opts & (P_ICMP | P_ICMPV6))) {
		const char *pre = (l->proto->opts & P_ICMP) ? "--icmp" : "--icmpv6";

		for (v = V_ITYPE; v <= V_IID; v++)
			if (!l->val[v])
				return import_fail(e, "no '%s-%s'", pre,
						   v == V_ITYPE ? "type" : v == V_ICODE ? "code" : "id");
		if (number(l, V_ITYPE, 255, &n[0], e) || number(l, V_ICODE, 255, &n[1], e) ||
		    number(l, V_IID, 65535, &n[2], e))
			return -1;
		ev->orig.itype = (uint8_t)n[0];
		ev->orig.icode = (uint8_t)n[1];
		ev->orig.iid = (uint16_t)n[2];
		ev->orig.has_icmp = ev->reply.has_icmp = 1;
		ev->reply.itype = icmp_reply_type(ev->orig.proto, ev->orig.itype);
		ev->reply.icode = ev->orig.icode;
		ev->reply.iid = ev->orig.iid;
	}
	ev->family = ev->orig.l3;
	return 0;
}

/* The zones: -w, --orig-zone, --reply-zone. */
static int zones(const struct line *l, struct ct_event *ev, struct import_err *e)
{
	uint64_t n;

	if (l->val[V_ZONE]) {
		if (number(l, V_ZONE, 65535, &n, e))
			return -1;
		ev->zone = (uint16_t)n;
		ev->has |= CT_HAS_ZONE;
	}
	if (l->val[V_ORIG_ZONE]) {
		if (number(l, V_ORIG_ZONE, 65535, &n, e))
			return -1;
		ev->orig.zone = (uint16_t)n;
		ev->orig.has_zone = 1;
	}
	if (l->val[V_REPLY_ZONE]) {
		if (number(l, V_REPLY_ZONE, 65535, &n, e))
			return -1;
		ev->reply.zone = (uint16_t)n;
		ev->reply.has_zone = 1;
	}
	return 0;
}

/* Whether the reply's address differs from the original's: DNAT's side
 * (snat 0) its source from the original's destination, SNAT's its
 * destination from the original's source. */
static int addr_differs(const struct ct_event *ev, int snat)
{
	size_t alen = ev->orig.l3 == AF_INET6 ? 16 : 4;

	return snat ? memcmp(ev->reply.dst, ev->orig.src, alen) != 0
		    : memcmp(ev->reply.src, ev->orig.dst, alen) != 0;
}

/* Whether conntrack prints -g (-n): libnetfilter_conntrack's
 * NFCT_GOPT_IS_DNAT (IS_SNAT), the NAT done bit when the status is known,
 * and an address that differs. */
static int printed_nat(const struct ct_event *ev, int snat)
{
	uint32_t done = snat ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE;

	if ((ev->has & CT_HAS_STATUS) && !(ev->status & done))
		return 0;
	return addr_differs(ev, snat);
}

/* Whether the reply's port differs from the original's, on one side. */
static int port_differs(const struct ct_event *ev, int snat)
{
	if (!ev->orig.has_ports)
		return 0;
	return snat ? ev->reply.dport != ev->orig.sport : ev->reply.sport != ev->orig.dport;
}

/* The status -u gives, CONFIRMED (the kernel reports confirmed entries
 * only) and NAT's bits: where -g or -n says so, and, as a text log's import
 * takes it, where a port differs but not the address (a REDIRECT, a source
 * port changed: conntrack prints -r and -q then, NAT or not). Then checks
 * that conntrack would have printed the options the line has. */
static int status(const struct line *l, struct ct_event *ev, struct import_err *e)
{
	static const uint32_t bits[2] = { IPS_DST_NAT | IPS_DST_NAT_DONE,
					  IPS_SRC_NAT | IPS_SRC_NAT_DONE };
	static const char *const names[2][2] = { { "-r", "-g" }, { "-q", "-n" } };
	static const char *const orig[2] = { "-d", "-s" };
	int snat, nat[2];

	for (snat = 0; snat < 2; snat++)
		nat[snat] = !strcmp(l->by[snat ? V_REPL_DST : V_REPL_SRC]->name, names[snat][1]);
	if (l->val[V_STATUS]) {
		if (parse_status(l->val[V_STATUS], &ev->status, e))
			return -1;
		ev->status |= IPS_CONFIRMED;
		ev->has |= CT_HAS_STATUS;
		for (snat = 0; snat < 2; snat++)
			if (nat[snat] || (!addr_differs(ev, snat) && port_differs(ev, snat)))
				ev->status |= bits[snat];
	}
	for (snat = 0; snat < 2; snat++) {
		const char *v = l->val[snat ? V_REPL_DST : V_REPL_SRC];

		if (printed_nat(ev, snat) == nat[snat])
			continue;
		if (nat[snat])
			return import_fail(e, "'%s %.40s' is %s's address: conntrack prints '%s'"
					   " there", names[snat][1], v, orig[snat], names[snat][0]);
		return import_fail(e, "'%s %.40s' is not %s's address, and no -u: conntrack"
				   " prints '%s' there", names[snat][0], v, orig[snat],
				   names[snat][1]);
	}
	return 0;
}

/* Appends an attribute of len bytes to buf (at *off, room enough). */
static void sub_put(char *buf, size_t *off, uint16_t type, const void *p, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(sizeof(a) + len), .nla_type = type };

	memset(buf + *off, 0, MNL_ALIGN(sizeof(a) + len));
	memcpy(buf + *off, &a, sizeof(a));
	memcpy(buf + *off + sizeof(a), p, len);
	*off += MNL_ALIGN(sizeof(a) + len);
}

/* The state by the name save prints: TCP's, SCTP's and DCCP's names, and
 * "(null)" for SCTP's HEARTBEAT_SENT (conntrack's table of names stops
 * before it; HEARTBEAT_ACKED, which prints the same, kernels no longer use). */
static int state_num(const struct ct_event *ev, const char *name, struct import_err *e)
{
	int st;

	if (ev->orig.proto == IPPROTO_SCTP && !strcmp(name, "(null)"))
		return SCTP_CONNTRACK_HEARTBEAT_SENT;
	st = ct_state_num(ev->orig.proto, name);
	if (st < 0 || (ev->orig.proto == IPPROTO_SCTP && st >= SCTP_CONNTRACK_HEARTBEAT_SENT))
		return import_fail(e, "unknown state '--state %.40s'", name);
	return st;
}

/* --state, SCTP's verification tags and DCCP's role, as the kernel sends
 * them (TCP's state into tcpinfo; SCTP's and DCCP's protoinfo verbatim).
 * A tag is kept in the attribute in host order: libnetfilter_conntrack
 * turns the kernel's big-endian attribute to host order and conntrack's
 * save turns that once more (ntohl() twice), so the number save printed is
 * the attribute's bytes read in host order. */
static int protoinfo(const struct line *l, struct ct_event *ev, struct import_err *e)
{
	char buf[64];
	size_t off = 0;
	uint64_t n;
	int st = -1;
	uint8_t u8;
	uint32_t u32;

	if (l->val[V_STATE] && (st = state_num(ev, l->val[V_STATE], e)) < 0)
		return -1;
	if (ev->orig.proto == IPPROTO_TCP)
		return st >= 0 && ct_event_set_state(ev, (uint8_t)st) ?
			import_fail(e, "too many attributes") : 0;
	if (st >= 0) {
		ev->state = (uint8_t)st;
		ev->has |= CT_HAS_STATE;
		u8 = (uint8_t)st;
		sub_put(buf, &off, ev->orig.proto == IPPROTO_SCTP ? CTA_PROTOINFO_SCTP_STATE
				   : CTA_PROTOINFO_DCCP_STATE, &u8, 1);
	}
	if (l->val[V_ROLE]) {
		if (!strcmp(l->val[V_ROLE], "client"))
			u8 = 0;
		else if (!strcmp(l->val[V_ROLE], "server"))
			u8 = 1;
		else
			return import_fail(e, "bad value '%.40s' of '--role'", l->val[V_ROLE]);
		sub_put(buf, &off, CTA_PROTOINFO_DCCP_ROLE, &u8, 1);
	}
	if (l->val[V_VTAG_ORIG]) {
		if (number(l, V_VTAG_ORIG, UINT32_MAX, &n, e))
			return -1;
		u32 = (uint32_t)n;	/* (see above) */
		sub_put(buf, &off, CTA_PROTOINFO_SCTP_VTAG_ORIGINAL, &u32, 4);
	}
	if (l->val[V_VTAG_REPL]) {
		if (number(l, V_VTAG_REPL, UINT32_MAX, &n, e))
			return -1;
		u32 = (uint32_t)n;
		sub_put(buf, &off, CTA_PROTOINFO_SCTP_VTAG_REPLY, &u32, 4);
	}
	if (!off)
		return 0;
	if (ct_extra_nest1(ev, CTA_PROTOINFO | NLA_F_NESTED,
			   (ev->orig.proto == IPPROTO_SCTP ? CTA_PROTOINFO_SCTP : CTA_PROTOINFO_DCCP) |
			   NLA_F_NESTED, buf, off))
		return import_fail(e, "too many attributes");
	return 0;
}

/* -t and -c. */
static int scalars(const struct line *l, struct ct_event *ev, struct import_err *e)
{
	uint64_t n;

	if (l->val[V_TIMEOUT]) {
		if (number(l, V_TIMEOUT, UINT32_MAX, &n, e))
			return -1;
		ev->timeout = (uint32_t)n;
		ev->has |= CT_HAS_TIMEOUT;
	}
	if (l->val[V_SECMARK]) {
		if (number(l, V_SECMARK, UINT32_MAX, &n, e))
			return -1;
		if (import_extra_u32(ev, CTA_SECMARK, (uint32_t)n))
			return import_fail(e, "too many attributes");
	}
	return 0;
}

int import_save_line(const char *line, size_t len, int64_t now_us, struct ct_event *ev,
		     struct import_err *e)
{
	static char buf[IMPORT_LINE_MAX + 1];
	struct line l = { 0 };
	char *tok[MAX_TOKENS], *us;
	int ntok = 0;

	memset(ev, 0, offsetof(struct ct_event, extra));
	ev->extra_len = 0;
	ev->t_us = now_us;
	if (import_line_copy(line, len, buf, e) < 0)
		return -1;
	if (buf[strspn(buf, " ")] == '[')	/* "[NEW]", "    [NEW]", "[1700000000.000000]" */
		return import_fail(e, "a line of conntrack -E's text output ('%.40s') in a log of"
				   " conntrack -E -o save", buf + strspn(buf, " "));
	if (strchr(buf, '\t'))
		return import_fail(e, "unexpected tab");
	us = strstr(buf, " [USERSPACE] portid=");
	if (us) {
		if (import_userspace(us, ev, e))
			return -1;
		*us = 0;
	}
	if ((ntok = import_split(buf, tok, MAX_TOKENS, e)) < 0)
		return -1;
	if (!strcmp(tok[0], "-A"))
		ev->type = CT_EV_NEW;
	else if (!strcmp(tok[0], "-U"))
		ev->type = CT_EV_UPDATE;
	else if (!strcmp(tok[0], "-D"))
		ev->type = CT_EV_DESTROY;
	else
		return import_fail(e, "expected -A, -U or -D (conntrack -E -o save), got '%.40s'",
				   tok[0]);
	if (read_opts(tok + 1, ntok - 1, &l, ev, e) || tuples(&l, ev, e) || zones(&l, ev, e) ||
	    status(&l, ev, e) || protoinfo(&l, ev, e) || scalars(&l, ev, e))
		return -1;
	return 0;
}

int import_save_unprinted(const char *line, size_t len)
{
	static char buf[IMPORT_LINE_MAX + 1];
	struct import_err e;
	char *tok[MAX_TOKENS], *us;
	int ntok, i;
	size_t k;

	if (import_line_copy(line, len, buf, &e) < 0)
		return 0;
	us = strstr(buf, " [USERSPACE] portid=");
	if (us)
		*us = 0;
	if ((ntok = import_split(buf, tok, MAX_TOKENS, &e)) < 0 || ntok % 2 == 0 ||
	    (strcmp(tok[0], "-A") && strcmp(tok[0], "-U") && strcmp(tok[0], "-D")))
		return 0;
	for (i = 1; i < ntok; i += 2) {
		for (k = 0; k < COUNT(opts) && strcmp(tok[i], opts[k].name); k++)
			;
		if (k == COUNT(opts) || opts[k].val > V_REPLY_ZONE)
			return 0;	/* (a tuple's, -p, a protocol's: not left unfinished) */
	}
	return 1;
}
