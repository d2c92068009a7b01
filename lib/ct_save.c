/* Writes events as `conntrack -E -o save` printed them: each one a conntrack command line. */
#include <arpa/inet.h>
#include <string.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_format.h"
#include "ct_numfmt.h"
#include "ct_save.h"

/*
 * The rules, read in conntrack-tools 1.4.7 (src/conntrack.c,
 * ct_save_snprintf(), and the print_opts of extensions/libct_proto_*.c) and
 * checked against `conntrack -E -o save` by tests t1000, t1050 and t1060.
 * conntrack formats the object nfct_nlmsg_parse() made of the message; so
 * does this file, from the object ct_fmt_build() makes of a stored event,
 * with the library's getters:
 * - the verb: -A for NEW, -U for UPDATE, -D for DESTROY, none for another
 *   type; then "NAME VALUE " for each attribute the object has set, in order:
 *   -t timeout, -u status, -c secmark, -w zone, --orig-zone, --reply-zone;
 * - -u names the bits EXPECTED, SEEN_REPLY, ASSURED and FIXED_TIMEOUT, in
 *   that order, joined by commas, or says UNSET when it has none of them
 *   (CONFIRMED, the NAT bits and the rest have no name);
 * - the addresses, in the form of the original tuple's layer 3: -s and -d
 *   (original), then the reply's source as -g when the library says the
 *   entry is DNAT'ed (NFCT_GOPT_IS_DNAT) else -r, its destination as -n when
 *   SNAT'ed else -q: the same reply address, only the option's name differs;
 *   a layer 3 other than IPv4 and IPv6 ends the line after the verb, its
 *   space kept (conntrack returns early and warns on its standard error);
 * - -p and the protocol's name, then its options that are set: ports for
 *   tcp, udp, udplite, sctp and dccp (--sport --dport --reply-port-src
 *   --reply-port-dst), --state (tcp, sctp, dccp; by name), --orig-vtag and
 *   --reply-vtag (sctp), --role (dccp), GRE keys in decimal (--srckey
 *   --dstkey --reply-key-src --reply-key-dst), ICMP's original type, code
 *   and id (--icmp-type..., --icmpv6-type...); another protocol is "-p N";
 * - the trailing spaces are cut. Marks, labels, counters, timestamps, the
 *   ICMP reply and the kernel id are not printed (save has no option for
 *   them).
 */

/* How an option's value prints. */
enum val { V_U8, V_BE16, V_U16, V_BE32, V_U32, V_STATE, V_STATUS };

struct opt {
	const char *name;
	int attr;
	enum val val;
};

static const char *const tcp_states[] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
	"LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};
/* conntrack's table stops at SHUTDOWN_ACK_SENT: HEARTBEAT_SENT and
 * HEARTBEAT_ACKED print as glibc prints a NULL string. */
static const char *const sctp_states[] = {
	"NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED",
	"SHUTDOWN_SENT", "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT",
};
static const char *const dccp_states[] = {
	"NONE", "REQUEST", "RESPOND", "PARTOPEN", "OPEN", "CLOSEREQ", "CLOSING",
	"TIMEWAIT", "IGNORE", "INVALID",
};
static const char *const dccp_roles[] = { "client", "server" };

#define PORT_OPTS \
	{ "--sport", ATTR_ORIG_PORT_SRC, V_BE16 }, { "--dport", ATTR_ORIG_PORT_DST, V_BE16 }, \
	{ "--reply-port-src", ATTR_REPL_PORT_SRC, V_BE16 }, \
	{ "--reply-port-dst", ATTR_REPL_PORT_DST, V_BE16 }

static const struct opt tcp_opts[] = {
	PORT_OPTS, { "--state", ATTR_TCP_STATE, V_STATE }, { NULL, 0, 0 },
};
static const struct opt udp_opts[] = { PORT_OPTS, { NULL, 0, 0 } };
static const struct opt sctp_opts[] = {
	PORT_OPTS, { "--state", ATTR_SCTP_STATE, V_STATE },
	{ "--orig-vtag", ATTR_SCTP_VTAG_ORIG, V_BE32 },
	{ "--reply-vtag", ATTR_SCTP_VTAG_REPL, V_BE32 }, { NULL, 0, 0 },
};
static const struct opt dccp_opts[] = {
	PORT_OPTS, { "--state", ATTR_DCCP_STATE, V_STATE },
	{ "--role", ATTR_DCCP_ROLE, V_STATE }, { NULL, 0, 0 },
};
static const struct opt gre_opts[] = {
	{ "--srckey", ATTR_ORIG_PORT_SRC, V_BE16 }, { "--dstkey", ATTR_ORIG_PORT_DST, V_BE16 },
	{ "--reply-key-src", ATTR_REPL_PORT_SRC, V_BE16 },
	{ "--reply-key-dst", ATTR_REPL_PORT_DST, V_BE16 }, { NULL, 0, 0 },
};
static const struct opt icmp_opts[] = {
	{ "--icmp-type", ATTR_ICMP_TYPE, V_U8 }, { "--icmp-code", ATTR_ICMP_CODE, V_U8 },
	{ "--icmp-id", ATTR_ICMP_ID, V_BE16 }, { NULL, 0, 0 },
};
static const struct opt icmpv6_opts[] = {
	{ "--icmpv6-type", ATTR_ICMP_TYPE, V_U8 }, { "--icmpv6-code", ATTR_ICMP_CODE, V_U8 },
	{ "--icmpv6-id", ATTR_ICMP_ID, V_BE16 }, { NULL, 0, 0 },
};
static const struct opt generic_opts[] = {
	{ "-t", ATTR_TIMEOUT, V_U32 }, { "-u", ATTR_STATUS, V_STATUS },
	{ "-c", ATTR_SECMARK, V_U32 }, { "-w", ATTR_ZONE, V_U16 },
	{ "--orig-zone", ATTR_ORIG_ZONE, V_U16 }, { "--reply-zone", ATTR_REPL_ZONE, V_U16 },
	{ NULL, 0, 0 },
};

/* The protocols conntrack has an extension for, with their options. */
static const struct {
	int num;
	const char *name;
	const struct opt *opts;
} protos[] = {
	{ IPPROTO_TCP, "tcp", tcp_opts }, { IPPROTO_UDP, "udp", udp_opts },
	{ IPPROTO_UDPLITE, "udplite", udp_opts }, { IPPROTO_ICMP, "icmp", icmp_opts },
	{ IPPROTO_ICMPV6, "icmpv6", icmpv6_opts }, { IPPROTO_SCTP, "sctp", sctp_opts },
	{ IPPROTO_DCCP, "dccp", dccp_opts }, { IPPROTO_GRE, "gre", gre_opts },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* s, or "(null)" as glibc's printf writes a NULL string. */
static char *put_str(char *p, const char *s)
{
	if (!s)
		s = "(null)";
	return ct_put(p, s, strlen(s));
}

/* The status bits that have a name, in bit order, or UNSET. */
static char *put_status(char *p, uint32_t status)
{
	static const struct { int bit; const char *name; } names[] = {
		{ IPS_EXPECTED_BIT, "EXPECTED" }, { IPS_SEEN_REPLY_BIT, "SEEN_REPLY" },
		{ IPS_ASSURED_BIT, "ASSURED" }, { IPS_FIXED_TIMEOUT_BIT, "FIXED_TIMEOUT" },
	};
	char *start = p;
	size_t i;

	for (i = 0; i < COUNT(names); i++) {
		if (!(status & (1u << names[i].bit)))
			continue;
		if (p != start)
			*p++ = ',';
		p = put_str(p, names[i].name);
	}
	return p != start ? p : CT_PUT(p, "UNSET");
}

/* The name of the state (or DCCP role) o prints, by its value. */
static char *put_state(char *p, const struct nf_conntrack *ct, const struct opt *o)
{
	uint8_t v = nfct_get_attr_u8(ct, o->attr);

	switch (o->attr) {
	case ATTR_TCP_STATE:
		return put_str(p, v < COUNT(tcp_states) ? tcp_states[v] : NULL);
	case ATTR_SCTP_STATE:
		return put_str(p, v < COUNT(sctp_states) ? sctp_states[v] : NULL);
	case ATTR_DCCP_STATE:
		return put_str(p, v < COUNT(dccp_states) ? dccp_states[v] : NULL);
	}
	return put_str(p, v < COUNT(dccp_roles) ? dccp_roles[v] : NULL);
}

/* Each option of the list that the object has set: "NAME VALUE ". */
static char *put_opts(char *p, const struct nf_conntrack *ct, const struct opt *o)
{
	for (; o->name; o++) {
		if (nfct_attr_is_set(ct, o->attr) <= 0)
			continue;
		p = put_str(p, o->name);
		*p++ = ' ';
		switch (o->val) {
		case V_U8: p = ct_put_u64(p, nfct_get_attr_u8(ct, o->attr)); break;
		case V_BE16: p = ct_put_u64(p, ntohs(nfct_get_attr_u16(ct, o->attr))); break;
		case V_U16: p = ct_put_u64(p, nfct_get_attr_u16(ct, o->attr)); break;
		case V_BE32: p = ct_put_u64(p, ntohl(nfct_get_attr_u32(ct, o->attr))); break;
		case V_U32: p = ct_put_u64(p, nfct_get_attr_u32(ct, o->attr)); break;
		case V_STATE: p = put_state(p, ct, o); break;
		case V_STATUS: p = put_status(p, nfct_get_attr_u32(ct, o->attr)); break;
		}
		*p++ = ' ';
	}
	return p;
}

/* One address option, when the object has the address set. */
static char *put_addr(char *p, const struct nf_conntrack *ct, const char *name, int attr,
		      int v6)
{
	const uint8_t *a = nfct_get_attr(ct, attr);

	if (nfct_attr_is_set(ct, attr) <= 0 || !a)
		return p;
	p = put_str(p, name);
	*p++ = ' ';
	p = v6 ? ct_put_ipv6(p, a) : ct_put_ipv4(p, a);
	*p++ = ' ';
	return p;
}

/* -s -d, then -g or -r, -n or -q. Returns NULL for a layer 3 save cannot print. */
static char *put_addrs(char *p, const struct nf_conntrack *ct)
{
	uint8_t l3 = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO);
	int v6 = l3 == AF_INET6;

	if (!l3)
		l3 = nfct_get_attr_u8(ct, ATTR_REPL_L3PROTO), v6 = l3 == AF_INET6;
	if (l3 != AF_INET && l3 != AF_INET6)
		return NULL;
	p = put_addr(p, ct, "-s", v6 ? ATTR_ORIG_IPV6_SRC : ATTR_ORIG_IPV4_SRC, v6);
	p = put_addr(p, ct, "-d", v6 ? ATTR_ORIG_IPV6_DST : ATTR_ORIG_IPV4_DST, v6);
	p = put_addr(p, ct, nfct_getobjopt(ct, NFCT_GOPT_IS_DNAT) ? "-g" : "-r",
		     v6 ? ATTR_REPL_IPV6_SRC : ATTR_REPL_IPV4_SRC, v6);
	return put_addr(p, ct, nfct_getobjopt(ct, NFCT_GOPT_IS_SNAT) ? "-n" : "-q",
			v6 ? ATTR_REPL_IPV6_DST : ATTR_REPL_IPV4_DST, v6);
}

/* -p with the protocol's name and options, or its number. */
static char *put_proto(char *p, const struct nf_conntrack *ct)
{
	uint8_t l4 = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	size_t i;

	p = CT_PUT(p, "-p ");
	for (i = 0; i < COUNT(protos); i++) {
		if (protos[i].num != l4)
			continue;
		p = put_str(p, protos[i].name);
		*p++ = ' ';
		return put_opts(p, ct, protos[i].opts);
	}
	p = ct_put_u64(p, l4);
	*p++ = ' ';
	return p;
}

/* The line of an object already built. */
static int format(const struct ct_event *ev, const struct nf_conntrack *ct, char *line)
{
	char *p = line, *end;

	if (ev->type == CT_EV_NEW)
		p = CT_PUT(p, "-A ");
	else if (ev->type == CT_EV_UPDATE)
		p = CT_PUT(p, "-U ");
	else if (ev->type == CT_EV_DESTROY)
		p = CT_PUT(p, "-D ");
	p = put_opts(p, ct, generic_opts);
	end = put_addrs(p, ct);
	if (!end) {	/* conntrack stops there, the last space kept */
		*p = 0;
		return (int)(p - line);
	}
	p = put_proto(end, ct);
	while (p > line && p[-1] == ' ')
		p--;
	*p = 0;
	return (int)(p - line);
}

int ct_save_format(const struct ct_event *ev, char *line)
{
	struct nf_conntrack *ct = nfct_new();
	int n = -1;

	if (ct && ct_fmt_build(ev, ct) >= 0)
		n = format(ev, ct, line);
	if (ct)
		nfct_destroy(ct);
	return n;
}
