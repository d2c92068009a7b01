/* conntrack's -E/-L filter options for ctquery: parsing, exact per-event matching, and the store pre-filter. */
#ifndef CT_FILTER_H
#define CT_FILTER_H

#include <getopt.h>
#include <stdint.h>
#include "ct_event.h"
#include "store.h"

/* Long-only option codes (short ones are the letters of FILTER_SHORTOPTS). */
enum {
	FO_SPORT = 0x200, FO_DPORT, FO_RSPORT, FO_RDPORT, FO_ICMP_TYPE, FO_ICMP_CODE,
	FO_ICMP_ID, FO_MASK_SRC, FO_MASK_DST, FO_STATE, FO_ORIG_ZONE, FO_REPLY_ZONE,
	FO_SINCE, FO_UNTIL, FO_AT, FO_FLOW, FO_LIMIT, FO_WHERE, FO_SESSION,
	FO_ICMP6_TYPE, FO_ICMP6_CODE, FO_ICMP6_ID,	/* conntrack's names for -p icmpv6 */
};

#define FILTER_SHORTOPTS "p:s:d:r:q:u:m:w:f:e:n::g::j::l:c:"

/* struct option entries for every filter option; put them in a command's table. */
#define FILTER_LONGOPTS \
	{ "proto", required_argument, NULL, 'p' }, \
	{ "protonum", required_argument, NULL, 'p' }, \
	{ "src", required_argument, NULL, 's' }, \
	{ "orig-src", required_argument, NULL, 's' }, \
	{ "dst", required_argument, NULL, 'd' }, \
	{ "orig-dst", required_argument, NULL, 'd' }, \
	{ "reply-src", required_argument, NULL, 'r' }, \
	{ "reply-dst", required_argument, NULL, 'q' }, \
	{ "mask-src", required_argument, NULL, FO_MASK_SRC }, \
	{ "mask-dst", required_argument, NULL, FO_MASK_DST }, \
	{ "sport", required_argument, NULL, FO_SPORT }, \
	{ "orig-port-src", required_argument, NULL, FO_SPORT }, \
	{ "dport", required_argument, NULL, FO_DPORT }, \
	{ "orig-port-dst", required_argument, NULL, FO_DPORT }, \
	{ "reply-port-src", required_argument, NULL, FO_RSPORT }, \
	{ "reply-port-dst", required_argument, NULL, FO_RDPORT }, \
	{ "icmp-type", required_argument, NULL, FO_ICMP_TYPE }, \
	{ "icmp-code", required_argument, NULL, FO_ICMP_CODE }, \
	{ "icmp-id", required_argument, NULL, FO_ICMP_ID }, \
	{ "icmpv6-type", required_argument, NULL, FO_ICMP6_TYPE }, \
	{ "icmpv6-code", required_argument, NULL, FO_ICMP6_CODE }, \
	{ "icmpv6-id", required_argument, NULL, FO_ICMP6_ID }, \
	{ "state", required_argument, NULL, FO_STATE }, \
	{ "status", required_argument, NULL, 'u' }, \
	{ "mark", required_argument, NULL, 'm' }, \
	{ "zone", required_argument, NULL, 'w' }, \
	{ "orig-zone", required_argument, NULL, FO_ORIG_ZONE }, \
	{ "reply-zone", required_argument, NULL, FO_REPLY_ZONE }, \
	{ "family", required_argument, NULL, 'f' }, \
	{ "event-mask", required_argument, NULL, 'e' }, \
	{ "src-nat", optional_argument, NULL, 'n' }, \
	{ "dst-nat", optional_argument, NULL, 'g' }, \
	{ "any-nat", optional_argument, NULL, 'j' }, \
	{ "label", required_argument, NULL, 'l' }, \
	{ "secmark", required_argument, NULL, 'c' }, \
	{ "since", required_argument, NULL, FO_SINCE }, \
	{ "until", required_argument, NULL, FO_UNTIL }, \
	{ "at", required_argument, NULL, FO_AT }, \
	{ "flow", required_argument, NULL, FO_FLOW }, \
	{ "session", required_argument, NULL, FO_SESSION }, \
	{ "limit", required_argument, NULL, FO_LIMIT }, \
	{ "where", required_argument, NULL, FO_WHERE }

/* The usage text of the filter options: all of them (list); those of
 * events, without --status, which conntrack -E refuses (replay); all but
 * --limit (stats, which counts every flow that matches); and those without
 * the history options and -e too (ctrecord, which filters what it records,
 * and lists -e as its own option). */
extern const char filter_usage[], filter_event_usage[], filter_stats_usage[],
	filter_match_usage[];

/* An address option: the address, and the prefix mask (all ones when exact). */
struct filter_addr {
	int family;		/* 0 unset, AF_INET, AF_INET6 */
	int cidr;		/* a mask was given (prefix or --mask-*) */
	uint8_t addr[16], mask[16];
};

struct ct_filter {
	unsigned opts;			/* FF_* of the options given */
	int family;			/* AF_UNSPEC, or from -f and the addresses */
	int proto;
	int proto_bare;			/* -p named it as /etc/protocols does, not as
					 * conntrack's modules (ipv6-icmp): no
					 * protocol options then, as in conntrack */
	uint16_t sport, dport, rsport, rdport;
	uint8_t itype, icode;
	uint16_t iid;
	unsigned icmp_names;		/* FI_ICMP, FI_ICMPV6: the names given */
	char state_name[24];		/* resolved against proto by filter_finish */
	int state;
	uint32_t status;		/* -u: bits that must be set */
	uint32_t status_clear;		/* -u !NAME, UNREPLIED: bits that must be clear */
	uint32_t mark, mark_mask;
	uint16_t zone, ozone, rzone;
	unsigned event_mask;		/* 1 << CT_EV_*; 0 = all */
	struct filter_addr src, dst, rsrc, rdst, mask_src, mask_dst;
	int nat_has_addr, nat_has_port;	/* -n/-g/-j ADDR[:PORT] (IPv4 addresses only count) */
	uint8_t nat_addr[4];
	uint16_t nat_port;
	int nat_l3;			/* family of a NAT address given (sets the orig l3 to compare) */
	uint32_t labels[4];		/* -l: label bits that must all be set */
	int64_t since_us, until_us, at_us, flow, limit;
	int64_t now_us;			/* the "now" of every time given: 0 until one is */
	int64_t session;		/* --session: 0 when not given (ids start at 1) */
	const char *where;
};

/* Bits of ct_filter.icmp_names: --icmp-* given, --icmpv6-* given. */
enum { FI_ICMP = 1, FI_ICMPV6 = 2 };

/* Bits of ct_filter.opts. */
enum {
	FF_PROTO = 1 << 0, FF_SRC = 1 << 1, FF_DST = 1 << 2, FF_RSRC = 1 << 3,
	FF_RDST = 1 << 4, FF_SPORT = 1 << 5, FF_DPORT = 1 << 6, FF_RSPORT = 1 << 7,
	FF_RDPORT = 1 << 8, FF_ITYPE = 1 << 9, FF_ICODE = 1 << 10, FF_IID = 1 << 11,
	FF_STATE = 1 << 12, FF_STATUS = 1 << 13, FF_MARK = 1 << 14, FF_ZONE = 1 << 15,
	FF_OZONE = 1 << 16, FF_RZONE = 1 << 17, FF_FAMILY = 1 << 18, FF_SNAT = 1 << 19,
	FF_DNAT = 1 << 20, FF_ANYNAT = 1 << 21, FF_LABEL = 1 << 22, FF_SINCE = 1 << 23,
	FF_UNTIL = 1 << 24, FF_AT = 1 << 25, FF_FLOW = 1 << 26, FF_LIMIT = 1 << 27,
	FF_WHERE = 1 << 28, FF_MASK_SRC = 1 << 29, FF_MASK_DST = 1 << 30,
	FF_EVENTS = 1u << 31,
};

/* The options whose answer can change over a flow's life (its state, status,
 * mark, labels): with one of them, a flow's first recorded event may come
 * after its NEW. The others look at what a flow keeps (tuples, zones, NAT). */
#define FF_PER_EVENT (FF_STATE | FF_STATUS | FF_MARK | FF_LABEL)

/* Takes one option from getopt_long. For -n/-g/-j, arg may be NULL and the
 * next argv word (not starting with '-') is taken, as conntrack does.
 * Returns 1 when opt is a filter option and its value is good, 0 when opt
 * is not a filter option, -1 after reporting one line naming the option and
 * the value, or saying why it is refused (-c/--secmark, always). */
int filter_option(struct ct_filter *f, int opt, const char *arg, int argc, char **argv);

/* Checks the combination (ports need -p, --mask-src needs --src, ...) and
 * resolves what depends on it. A protocol's options need -p to name that
 * protocol as conntrack's modules do (any case) or by its number, as
 * conntrack knows them only then: --icmp-* -p icmp (1), --icmpv6-* -p
 * icmpv6 (58), ports -p tcp, udp, udplite, sctp or dccp; none after a name
 * of /etc/protocols conntrack has no module of (-p ipv6-icmp). Returns 0,
 * or -1 after reporting. */
int filter_finish(struct ct_filter *f);

/* For the filters of events (replay, ctrecord): refuses what conntrack -E
 * refuses, --status (an event's status bits are printed, not filtered on:
 * conntrack -L's filter). Returns 0, or -1 after reporting. */
int filter_for_events(const struct ct_filter *f);

/* Returns non-zero when `conntrack -E` given the same options would have
 * printed ev. */
int filter_match(const struct ct_filter *f, const struct ct_event *ev);

/* Fills the store pre-filters (which only narrow) from f. */
void filter_to_query(const struct ct_filter *f, struct store_query *q);

#endif
