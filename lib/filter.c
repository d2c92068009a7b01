/* Parses conntrack's filter options (and ctquery's time, flow and --where options) into a struct ct_filter. */
#include <ctype.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "evmask.h"
#include "ct_names.h"
#include "ct_words.h"
#include "filter.h"
#include "log.h"
#include "timeparse.h"

/* (conntrack -L's alone: conntrack -E refuses --status) */
#define FILTER_USAGE_STATUS "  -u, --status LIST       ASSURED,SEEN_REPLY,... (abbreviated: ASS,SE): set;\n" \
	"                          !ASSURED, UNREPLIED: clear\n"

/* (EVENTS: -e's entry, or "" where the command lists it as its own) */
#define FILTER_USAGE_EVENTS "  -e, --event-mask NEW,UPDATE,DESTROY,ALL"

#define FILTER_USAGE_MATCH(STATUS, EVENTS) \
	"filters (as conntrack -E/-L):\n" \
	"  -p, --proto NAME        tcp, udp, udplite, icmp, icmpv6, sctp, dccp, gre or a number\n" \
	"      --protonum NAME     the same (the name conntrack -h gives it)\n" \
	"      --sport, --orig-port-src PORT    --dport, --orig-port-dst PORT\n" \
	"      --reply-port-src PORT            --reply-port-dst PORT   (need -p)\n" \
	"      --icmp-type T  --icmp-code C  --icmp-id I                (need -p icmp)\n" \
	"      --icmpv6-type T  --icmpv6-code C  --icmpv6-id I          (need -p icmpv6)\n" \
	"      --state STATE       protocol state (needs -p tcp, sctp or dccp)\n" \
	"  -s, --src, --orig-src ADDR[/N]      -d, --dst, --orig-dst ADDR[/N]\n" \
	"      --mask-src MASK  --mask-dst MASK\n" \
	"  -r, --reply-src ADDR    -q, --reply-dst ADDR\n" \
	STATUS \
	"  -m, --mark VALUE[/MASK] -w, --zone N  --orig-zone N  --reply-zone N\n" \
	"  -f, --family ipv4|ipv6" EVENTS "\n" \
	"  -n, --src-nat [ADDR[:PORT]]  -g, --dst-nat [...]  -j, --any-nat [...]\n" \
	"  -l, --label LIST        labels of /etc/xtables/connlabel.conf, all required\n"

#define FILTER_USAGE_HISTORY \
	"history:\n" \
	"      --since TIME  --until TIME   ISO 8601 (local, or Z/+HH:MM), epoch seconds\n" \
	"                                   (@N), now, or relative (-1h, -5m, -30s, -2d)\n" \
	"      --at TIME                    flows alive at that instant (open ones too)\n" \
	"      --flow ID  --where EXPR (SQL over the view flows_v)\n" \
	"      --session N                  one recorder run or import (ctquery sessions)\n"
#define FILTER_USAGE_LIMIT \
	"      --limit N                    at most N events (replay) or flows (list)\n"

const char filter_usage[] = FILTER_USAGE_MATCH(FILTER_USAGE_STATUS, FILTER_USAGE_EVENTS)
			    FILTER_USAGE_HISTORY FILTER_USAGE_LIMIT;
const char filter_event_usage[] = FILTER_USAGE_MATCH("", FILTER_USAGE_EVENTS)
				  FILTER_USAGE_HISTORY FILTER_USAGE_LIMIT;
/* (stats counts every flow that matches: no --limit) */
const char filter_stats_usage[] = FILTER_USAGE_MATCH(FILTER_USAGE_STATUS, FILTER_USAGE_EVENTS)
				  FILTER_USAGE_HISTORY;
/* (ctrecord lists -e with its own options: what it records) */
const char filter_match_usage[] = FILTER_USAGE_MATCH("", "");

/* Long name of an option, for messages. */
static const char *opt_name(int opt)
{
	static const struct { int opt; const char *name; } names[] = {
		{ 'p', "--proto" }, { 's', "--src" }, { 'd', "--dst" }, { 'r', "--reply-src" },
		{ 'q', "--reply-dst" }, { 'u', "--status" }, { 'm', "--mark" }, { 'w', "--zone" },
		{ 'f', "--family" }, { 'e', "--event-mask" }, { 'n', "--src-nat" },
		{ 'g', "--dst-nat" }, { 'j', "--any-nat" }, { 'l', "--label" },
		{ FO_SPORT, "--sport" }, { FO_DPORT, "--dport" }, { FO_RSPORT, "--reply-port-src" },
		{ FO_RDPORT, "--reply-port-dst" }, { FO_ICMP_TYPE, "--icmp-type" },
		{ FO_ICMP_CODE, "--icmp-code" }, { FO_ICMP_ID, "--icmp-id" },
		{ FO_ICMP6_TYPE, "--icmpv6-type" }, { FO_ICMP6_CODE, "--icmpv6-code" },
		{ FO_ICMP6_ID, "--icmpv6-id" },
		{ FO_MASK_SRC, "--mask-src" }, { FO_MASK_DST, "--mask-dst" },
		{ FO_STATE, "--state" }, { FO_ORIG_ZONE, "--orig-zone" },
		{ FO_REPLY_ZONE, "--reply-zone" }, { FO_SINCE, "--since" }, { FO_UNTIL, "--until" },
		{ FO_AT, "--at" }, { FO_FLOW, "--flow" }, { FO_LIMIT, "--limit" },
		{ FO_WHERE, "--where" }, { FO_SESSION, "--session" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].opt == opt)
			return names[i].name;
	return "?";
}

static int bad(int opt, const char *what, const char *arg)
{
	return log_error("%s: %s '%s'", opt_name(opt), what, arg);
}

/* Parses an unsigned number (base 0 when hex is allowed) no larger than max. */
static int parse_uint(const char *s, int base, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	*v = strtoull(s, &end, base);
	return *end || *v > max ? -1 : 0;
}

static int set_family(struct ct_filter *f, int family, int opt, const char *arg)
{
	if (f->family && f->family != family)
		return bad(opt, "mismatched address family", arg);
	f->family = family;
	return 0;
}

/* Parses ADDR or ADDR/N into a; cidr_ok: a prefix length is allowed. */
static int parse_addr(struct ct_filter *f, struct filter_addr *a, int opt, const char *arg,
		      int cidr_ok)
{
	char buf[64], *slash;
	unsigned long long n;
	int len, i;

	if (strlen(arg) >= sizeof(buf))
		return bad(opt, "invalid IP address", arg);
	strcpy(buf, arg);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->addr) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a->addr) == 1)
		a->family = AF_INET6;
	else
		return bad(opt, "invalid IP address", arg);
	len = a->family == AF_INET ? 4 : 16;
	n = len * 8;
	if (slash) {
		if (!cidr_ok)
			return bad(opt, "CIDR notation unavailable for", arg);
		if (parse_uint(slash, 10, len * 8, &n))
			return bad(opt, "invalid netmask", arg);
		a->cidr = n < (unsigned)len * 8;
	}
	for (i = 0; i < len; i++) {
		int bits = (int)n - i * 8;

		a->mask[i] = bits >= 8 ? 0xff : bits > 0 ? (uint8_t)(0xff << (8 - bits)) : 0;
	}
	return set_family(f, a->family, opt, arg);
}

static int parse_proto(struct ct_filter *f, const char *arg)
{
	struct protoent *pe;
	unsigned long long n;
	char lower[16];
	size_t i;

	/* (any case: /etc/protocols, which conntrack reads, has TCP, UDP...) */
	for (i = 0; arg[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)arg[i]);
	lower[i] = 0;
	f->proto_bare = 0;
	f->proto = ct_proto_num(lower);
	if (f->proto >= 0)
		return 0;
	if (!parse_uint(arg, 10, 255, &n)) {
		f->proto = (int)n;
		return 0;
	}
	/* another name of /etc/protocols, as there (esp, ipv6-icmp, IPv6-ICMP;
	 * not ESP): conntrack takes it as its number */
	pe = getprotobyname(arg);
	if (!pe || pe->p_proto < 0 || pe->p_proto > 255)
		return bad('p', "unsupported protocol", arg);
	f->proto = pe->p_proto;
	f->proto_bare = 1;	/* (conntrack's "unknown" module: no options) */
	return 0;
}

/* -u LIST, as conntrack -L takes it: names of status bits that must be set,
 * !NAME for one that must be clear, UNREPLIED (in capitals) for
 * !SEEN_REPLY. conntrack's words are read as it reads them (ct_words.h): an
 * abbreviation in any case ("ASS", "se", "F"), SRC_NAT and DST_NAT first
 * ("S", "D"), which are passed over with conntrack's warning (its
 * --src-nat and --dst-nat select NAT'ed flows); UNSET adds nothing. The
 * other bits, which conntrack does not name, are taken spelt in full. */
static int parse_status(struct ct_filter *f, const char *arg)
{
	static const char *const names[] = {
		"EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT", "DST_NAT",
		"SEQ_ADJUST", "SRC_NAT_DONE", "DST_NAT_DONE", "DYING", "FIXED_TIMEOUT",
		"TEMPLATE", "UNTRACKED", "HELPER", "OFFLOAD", "HW_OFFLOAD",
	};
	/* conntrack 1.4.7's table, in its order, and the bit of each (-1: none) */
	static const char *const ct_names[] = {
		"ASSURED", "SEEN_REPLY", "UNSET", "FIXED_TIMEOUT", "EXPECTED", "OFFLOAD", "HW_OFFLOAD",
	};
	static const int ct_bits[] = { 2, 1, -1, 10, 0, 14, 15 };
	/* SRC_NAT and DST_NAT as first written: warned of once the list is read */
	const char *nat[2] = { NULL, NULL };
	int nat_len[2] = { 0, 0 }, b;
	const char *p = arg;

	/* (repeated, the statuses add up, as in conntrack: all must be set) */
	if (!*p)
		return bad('u', "no status in", arg);
	while (*p) {
		size_t n = strcspn(p, ","), i;
		int neg = *p == '!', bit = -2, w;

		if (!n || (p[n] == ',' && !p[n + 1]) || (neg && n == 1))
			return bad('u', "an empty status in", arg);
		w = ct_word_find(p + neg, n - neg, ct_names, sizeof(ct_names) / sizeof(ct_names[0]));
		if (!neg && n == 9 && !strncmp(p, "UNREPLIED", 9)) {	/* (in capitals) */
			f->status_clear |= 1u << 1;	/* SEEN_REPLY */
		} else if (w == CT_WORD_SRC_NAT || w == CT_WORD_DST_NAT) {
			b = w == CT_WORD_DST_NAT;
			if (!nat[b])
				nat[b] = p + neg, nat_len[b] = (int)(n - neg);
		} else if (w >= 0) {
			bit = ct_bits[w];
		} else {
			for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (n - neg == strlen(names[i]) &&
				    !strncasecmp(p + neg, names[i], n - neg))
					break;
			if (i == sizeof(names) / sizeof(names[0]))
				return bad('u', "unknown status", arg);
			bit = (int)i;
		}
		if (bit >= 0)
			*(neg ? &f->status_clear : &f->status) |= 1u << bit;
		p += n + (p[n] == ',');
	}
	/* (a list refused is one error, without a warning before it) */
	for (b = 0; b < 2; b++) {
		if (!nat[b])
			continue;
		if ((size_t)nat_len[b] == strlen(names[4 + b]))
			log_warn("--status: ignoring %s, as conntrack does: use %s instead",
				 names[4 + b], b ? "--dst-nat" : "--src-nat");
		else
			log_warn("--status: ignoring %s ('%.*s' abbreviates it), as conntrack does:"
				 " use %s instead", names[4 + b], nat_len[b], nat[b],
				 b ? "--dst-nat" : "--src-nat");
	}
	return 0;
}

static int parse_mark(struct ct_filter *f, const char *arg)
{
	char buf[64], *slash;
	unsigned long long v, m = 0xffffffff;

	if (strlen(arg) >= sizeof(buf))
		return bad('m', "invalid mark", arg);
	strcpy(buf, arg);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	if (parse_uint(buf, 0, 0xffffffff, &v) || (slash && parse_uint(slash, 0, 0xffffffff, &m)))
		return bad('m', "invalid mark", arg);
	f->mark = v;
	f->mark_mask = m;
	return 0;
}

/* -l LIST: the labels' bits, by the label map; a list of any length (one
 * cut at 255 bytes matched more flows than asked, silently). */
static int parse_labels(struct ct_filter *f, const char *arg)
{
	struct nfct_labelmap *map;
	char *buf, *w, *save = NULL;
	int bit, rc = 0;

	buf = strdup(arg);
	if (!buf)
		return log_error("out of memory");
	map = nfct_labelmap_new(NULL);
	if (!map) {
		free(buf);
		return bad('l', "cannot read /etc/xtables/connlabel.conf for", arg);
	}
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		bit = nfct_labelmap_get_bit(map, w);
		if (bit < 0 || bit >= 128) {
			rc = bad('l', "unknown label", arg);
			break;
		}
		f->labels[bit / 32] |= 1u << (bit % 32);
	}
	nfct_labelmap_destroy(map);
	free(buf);
	return rc;
}

/* -n/-g/-j [ADDR[:PORT]]: one colon splits a port off; IPv6 has more, and
 * takes a port as conntrack's [ADDR]:PORT. */
static int parse_nat(struct ct_filter *f, int opt, const char *arg)
{
	char buf[64], *addr = buf, *colon;
	unsigned long long port;
	struct filter_addr a;

	if (strlen(arg) >= sizeof(buf))
		return bad(opt, "invalid IP address", arg);
	strcpy(buf, arg);
	colon = strchr(buf, ':');
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || close == buf + 1 || close[1] != ':')
			return bad(opt, "invalid IP address", arg);
		*close = 0;
		addr = buf + 1;
		colon = close + 1;
	} else if (colon && strchr(colon + 1, ':')) {
		colon = NULL;
	}
	if (colon) {
		*colon++ = 0;
		if (parse_uint(colon, 10, 65535, &port))
			return bad(opt, "invalid port", arg);
		f->nat_has_port = 1;
		f->nat_port = port;
	}
	if (!*addr && colon)	/* :PORT alone */
		return 0;
	if (parse_addr(f, &a, opt, addr, 0))
		return -1;
	f->nat_l3 = a.family;
	if (a.family != AF_INET) {
		/* conntrack's NAT filters compare IPv4 addresses only: an
		 * IPv6 one selects the family, and NAT to any address */
		log_warn("%s: conntrack compares IPv4 addresses only: '%s' selects the IPv6"
			 " flows NAT'ed to any address", opt_name(opt), arg);
		return 0;
	}
	f->nat_has_addr = 1;
	memcpy(f->nat_addr, a.addr, 4);
	return 0;
}

static int parse_u16(int opt, const char *arg, int base, uint16_t *v)
{
	unsigned long long n;

	if (parse_uint(arg, base, 65535, &n))
		return bad(opt, opt == 'w' || opt > FO_MASK_DST ? "invalid zone" : "invalid port",
			   arg);
	*v = n;
	return 0;
}

/* A time relative to now is relative to the same now as the others given:
 * --until now --since now is one instant, not two a few µs apart. */
static int parse_time(struct ct_filter *f, int opt, const char *arg, int64_t *us)
{
	if (!f->now_us)
		f->now_us = time_now_us();
	char t[40];

	switch (time_parse(arg, f->now_us, us)) {
	case 0:
		return 0;
	case TIME_TWICE:
		/* (a documented choice, said: the other is as likely meant) */
		time_format(t, sizeof(t), *us, 0);
		log_warn("%s: '%s' came twice (the clocks went back an hour): read as the"
			 " first, %s; a zone after it chooses, as list prints it",
			 opt_name(opt), arg, t);
		return 0;
	case TIME_SKIPPED:
		return log_error("%s: '%s' is a local time the clocks skipped (summer time"
				 " began): no instant has it", opt_name(opt), arg);
	case TIME_NOT_ZONE:
		return log_error("%s: '%s': the local time zone (TZ) is not that at that"
				 " time", opt_name(opt), arg);
	}
	return log_error("%s: invalid time '%s' (ISO 8601, e.g. 2026-11-28T14:05:00, local"
			 " or with Z or +HH:MM; @EPOCH; now; or back from now: -30s, -5m,"
			 " -1h, -2d)", opt_name(opt), arg);
}

static int parse_count(int opt, const char *arg, int64_t *v)
{
	unsigned long long n;

	/* (--limit 0 would print nothing: a mistake, not a query) */
	if (parse_uint(arg, 10, INT64_MAX, &n) || !n)
		return bad(opt, opt == FO_FLOW ? "invalid flow id" :
			   opt == FO_SESSION ? "invalid session" : "invalid number", arg);
	*v = n;
	return 0;
}

static int filter_value(struct ct_filter *f, int opt, const char *arg)
{
	unsigned long long n;

	switch (opt) {
	case 'p': return parse_proto(f, arg);
	case 's': return parse_addr(f, &f->src, opt, arg, 1);
	case 'd': return parse_addr(f, &f->dst, opt, arg, 1);
	case 'r': return parse_addr(f, &f->rsrc, opt, arg, 0);
	case 'q': return parse_addr(f, &f->rdst, opt, arg, 0);
	case FO_MASK_SRC: return parse_addr(f, &f->mask_src, opt, arg, 0);
	case FO_MASK_DST: return parse_addr(f, &f->mask_dst, opt, arg, 0);
	case FO_SPORT: return parse_u16(opt, arg, 10, &f->sport);
	case FO_DPORT: return parse_u16(opt, arg, 10, &f->dport);
	case FO_RSPORT: return parse_u16(opt, arg, 10, &f->rsport);
	case FO_RDPORT: return parse_u16(opt, arg, 10, &f->rdport);
	case FO_ICMP_TYPE:
	case FO_ICMP_CODE:
	case FO_ICMP6_TYPE:
	case FO_ICMP6_CODE:
		if (parse_uint(arg, 10, 255, &n))
			return bad(opt, "invalid value", arg);
		*(opt == FO_ICMP_TYPE || opt == FO_ICMP6_TYPE ? &f->itype : &f->icode) = n;
		return 0;
	case FO_ICMP_ID:
	case FO_ICMP6_ID:
		if (parse_uint(arg, 10, 65535, &n))
			return bad(opt, "invalid value", arg);
		f->iid = n;
		return 0;
	case FO_STATE:
		snprintf(f->state_name, sizeof(f->state_name), "%s", arg);
		return 0;
	case 'u': return parse_status(f, arg);
	case 'm': return parse_mark(f, arg);
	case 'w': return parse_u16(opt, arg, 0, &f->zone);
	case FO_ORIG_ZONE: return parse_u16(opt, arg, 0, &f->ozone);
	case FO_REPLY_ZONE: return parse_u16(opt, arg, 0, &f->rzone);
	case 'f':
		if (!strncmp(arg, "ipv4", 4))
			return set_family(f, AF_INET, opt, arg);
		if (!strncmp(arg, "ipv6", 4))
			return set_family(f, AF_INET6, opt, arg);
		return bad(opt, "unsupported family", arg);
	case 'e': return evmask_parse(arg, &f->event_mask);	/* (repeated, they add up) */
	case 'l': return parse_labels(f, arg);
	case FO_SINCE: return parse_time(f, opt, arg, &f->since_us);
	case FO_UNTIL: return parse_time(f, opt, arg, &f->until_us);
	case FO_AT: return parse_time(f, opt, arg, &f->at_us);
	case FO_FLOW:	/* (a second one replaced the first, silently) */
		if (f->flow)
			return log_error("--flow: given twice; one flow a query (--where 'id IN"
					 " (%lld, %s)' selects several)", (long long)f->flow, arg);
		return parse_count(opt, arg, &f->flow);
	case FO_LIMIT: return parse_count(opt, arg, &f->limit);
	case FO_WHERE:
		if (!*arg)
			return bad(opt, "empty expression", arg);
		/* (the last would have replaced the first, silently) */
		if (f->where)
			return log_error("--where: given twice; join the conditions with AND"
					 " in one ('%s')", arg);
		f->where = arg;
		return 0;
	}
	return 0;
}

int filter_option(struct ct_filter *f, int opt, const char *arg, int argc, char **argv)
{
	static const struct { int opt; unsigned bit; } bits[] = {
		{ 'p', FF_PROTO }, { 's', FF_SRC }, { 'd', FF_DST }, { 'r', FF_RSRC },
		{ 'q', FF_RDST }, { 'u', FF_STATUS }, { 'm', FF_MARK }, { 'w', FF_ZONE },
		{ 'f', FF_FAMILY }, { 'e', FF_EVENTS }, { 'n', FF_SNAT }, { 'g', FF_DNAT },
		{ 'j', FF_ANYNAT }, { 'l', FF_LABEL }, { FO_SPORT, FF_SPORT },
		{ FO_DPORT, FF_DPORT }, { FO_RSPORT, FF_RSPORT }, { FO_RDPORT, FF_RDPORT },
		{ FO_ICMP_TYPE, FF_ITYPE }, { FO_ICMP_CODE, FF_ICODE }, { FO_ICMP_ID, FF_IID },
		{ FO_ICMP6_TYPE, FF_ITYPE }, { FO_ICMP6_CODE, FF_ICODE }, { FO_ICMP6_ID, FF_IID },
		{ FO_MASK_SRC, FF_MASK_SRC }, { FO_MASK_DST, FF_MASK_DST }, { FO_STATE, FF_STATE },
		{ FO_ORIG_ZONE, FF_OZONE }, { FO_REPLY_ZONE, FF_RZONE }, { FO_SINCE, FF_SINCE },
		{ FO_UNTIL, FF_UNTIL }, { FO_AT, FF_AT }, { FO_FLOW, FF_FLOW },
		{ FO_LIMIT, FF_LIMIT }, { FO_WHERE, FF_WHERE },
	};
	size_t i;

	/* (conntrack 1.4.7 takes -c, but compares it only with an entry that
	 * has a secmark, which the kernel never sends: CTA_SECMARK is
	 * obsolete, so -c N selects every event and entry, whatever N) */
	if (opt == 'c')
		return log_error("--secmark '%s': not supported: the kernel sends no secmark in"
				 " its events (CTA_SECMARK is obsolete), so a recording holds none,"
				 " and conntrack -E/-L -c selects every event and entry", arg);
	if (opt == FO_SESSION) {	/* no room left in opts: 0 means not given */
		if (f->session)
			return log_error("--session: given twice; one session a query (--where"
					 " 'session IN (%lld, %s)' selects the flows several started)",
					 (long long)f->session, arg);
		return parse_count(opt, arg, &f->session) ? -1 : 1;
	}
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (bits[i].opt == opt)
			break;
	if (i == sizeof(bits) / sizeof(bits[0]))
		return 0;
	f->opts |= bits[i].bit;
	if (opt == FO_ICMP_TYPE || opt == FO_ICMP_CODE || opt == FO_ICMP_ID)
		f->icmp_names |= FI_ICMP;
	else if (opt == FO_ICMP6_TYPE || opt == FO_ICMP6_CODE || opt == FO_ICMP6_ID)
		f->icmp_names |= FI_ICMPV6;
	if (opt == 'n' || opt == 'g' || opt == 'j') {
		if (!arg && optind < argc && argv[optind][0] != '-')
			arg = argv[optind++];
		return arg ? (parse_nat(f, opt, arg) ? -1 : 1) : 1;
	}
	return filter_value(f, opt, arg) ? -1 : 1;
}
