/* Decides per event what `conntrack -E` with the same filter options would have printed (conntrack-tools 1.4.7 semantics). */
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct_names.h"
#include "filter.h"
#include "log.h"

/*
 * The semantics, from conntrack-tools' event_cb()/nfct_filter() and
 * libnetfilter_conntrack's nfct_cmp(NFCT_CMP_ALL | NFCT_CMP_MASK):
 * - family (-f, or the family of any address given): the message's nfgen_family.
 * - NAT (-n/-g/-j): SNAT when the reply destination differs from the original
 *   source (first 32 bits of the address, as the library compares v4 fields
 *   even for IPv6) or the reply destination port differs from the original
 *   source port, and the status (when sent) has SRC_NAT_DONE; DNAT likewise
 *   with reply source vs original destination and DST_NAT_DONE. An IPv4
 *   ADDR must equal the NAT'ed address, a PORT the NAT'ed port; an IPv6 ADDR
 *   is ignored (conntrack only compares IPv4). -n and -g together need both.
 * - --mark V/M: the event must carry a mark (CTA_MARK is sent when non-zero
 *   or changed), with mark & M == V.
 * - -l: the event must carry labels including every label given.
 * - -s/-d with a prefix (or --mask-*): original tuple of that family, masked.
 * - with any of -p -s -d -r -q -m -u -w --orig-zone --reply-zone -l, the
 *   template comparison: protocol, ports and ICMP fields, exact addresses and
 *   the tuple families must be present and equal; --state needs protoinfo in
 *   this event (NEW/UPDATE carry it only when it changed) with that state;
 *   --status needs all the given bits; zones compare as 0 when absent.
 * - -e: the event type. Time, --flow and --where select whole flows/events.
 */

static int is_tcp_like(int p)
{
	return p == 6 || p == 17 || p == 136 || p == 132 || p == 33;
}

static int is_icmp(int p)
{
	return p == 1 || p == 58;
}

/* The 16-bit fields the library compares for port NAT, as raw bytes:
 * ports, or for ICMP the id (source side) and type/code (destination side). */
static void l4_src(const struct ct_tuple *t, uint8_t b[2])
{
	uint16_t v = t->has_icmp ? t->iid : t->sport;

	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static void l4_dst(const struct ct_tuple *t, uint8_t b[2])
{
	if (t->has_icmp) {
		b[0] = t->itype;
		b[1] = t->icode;
	} else {
		b[0] = t->dport >> 8;
		b[1] = t->dport & 0xff;
	}
}

static int nat_done(const struct ct_event *ev, uint32_t bit)
{
	return !(ev->has & CT_HAS_STATUS) || (ev->status & bit);
}

static int has_nat(const struct ct_filter *f, const struct ct_event *ev, int dst)
{
	const uint8_t *addr_r = dst ? ev->reply.src : ev->reply.dst;
	const uint8_t *addr_o = dst ? ev->orig.dst : ev->orig.src;
	int done = nat_done(ev, dst ? IPS_DST_NAT_DONE : IPS_SRC_NAT_DONE);
	int is_nat = done && memcmp(addr_r, addr_o, 4);
	uint8_t pr[2], po[2];
	int is_pat, has = 0;

	if (dst) {
		l4_src(&ev->reply, pr);
		l4_dst(&ev->orig, po);
	} else {
		l4_dst(&ev->reply, pr);
		l4_src(&ev->orig, po);
	}
	is_pat = done && memcmp(pr, po, 2);
	if (f->nat_has_addr && is_nat && !memcmp(addr_r, f->nat_addr, 4))
		has = 1;
	if (f->nat_has_port) {
		int ret = is_pat && ((pr[0] << 8) | pr[1]) == f->nat_port;

		if (f->nat_has_addr && has && !ret)
			has = 0;
		if (!f->nat_has_addr && ret)
			has = 1;
	}
	if (!f->nat_has_addr && !f->nat_has_port && (is_nat || is_pat))
		has = 1;
	return has;
}

static int match_nat(const struct ct_filter *f, const struct ct_event *ev)
{
	if (f->opts & FF_ANYNAT)
		return has_nat(f, ev, 0) || has_nat(f, ev, 1);
	if ((f->opts & FF_SNAT) && (f->opts & FF_DNAT))
		return has_nat(f, ev, 0) && has_nat(f, ev, 1);
	if (f->opts & FF_SNAT)
		return has_nat(f, ev, 0);
	if (f->opts & FF_DNAT)
		return has_nat(f, ev, 1);
	return 1;
}

static int match_labels(const struct ct_filter *f, const struct ct_event *ev)
{
	const uint8_t *p;
	size_t len, i;

	if (!(f->opts & FF_LABEL))
		return 1;
	p = ct_extra_find(ev, CTA_LABELS, &len);
	if (!p)
		return 0;
	for (i = 0; i < 128; i++) {
		int want = f->labels[i / 32] >> (i % 32) & 1;
		uint32_t word = 0;

		if (!want)
			continue;
		if ((i / 32 + 1) * 4 > len)
			return 0;
		memcpy(&word, p + i / 32 * 4, 4);	/* host order, as the kernel's bitmap */
		if (!(word >> (i % 32) & 1))
			return 0;
	}
	return 1;
}

static int match_net(const struct filter_addr *a, const struct ct_tuple *t, const uint8_t *addr)
{
	int i, len = a->family == AF_INET ? 4 : 16;

	if (t->l3 != a->family)
		return 0;
	for (i = 0; i < len; i++)
		if ((addr[i] & a->mask[i]) != (a->addr[i] & a->mask[i]))
			return 0;
	return 1;
}

static int same_addr(const struct filter_addr *a, const struct ct_tuple *t, const uint8_t *addr)
{
	return t->l3 == a->family && !memcmp(addr, a->addr, a->family == AF_INET ? 4 : 16);
}

/* nfct_cmp of the template against the event, field by field. */
static int match_cmp(const struct ct_filter *f, const struct ct_event *ev)
{
	unsigned o = f->opts;
	int orig_l3 = 0;

	if ((o & FF_STATUS) &&
	    (!(ev->has & CT_HAS_STATUS) || (ev->status & f->status) != f->status ||
	     (ev->status & f->status_clear)))
		return 0;
	if ((o & FF_STATE) && (!(ev->has & CT_HAS_STATE) || ev->state != f->state))
		return 0;
	if ((o & FF_ZONE) && ((ev->has & CT_HAS_ZONE) ? ev->zone : 0) != f->zone)
		return 0;
	/* original tuple */
	if (o & (FF_SRC | FF_DST))
		orig_l3 = (o & FF_SRC) ? f->src.family : f->dst.family;
	else if (f->nat_l3)
		orig_l3 = f->nat_l3;
	if (orig_l3 && ev->orig.l3 != orig_l3)
		return 0;
	if (o & (FF_PROTO | FF_SPORT | FF_DPORT | FF_ITYPE | FF_ICODE | FF_IID)) {
		if (ev->orig.proto != f->proto)
			return 0;
		if (is_icmp(f->proto) &&
		    (((o & FF_IID) && (!ev->orig.has_icmp || ev->orig.iid != f->iid)) ||
		     ((o & FF_ICODE) && (!ev->orig.has_icmp || ev->orig.icode != f->icode)) ||
		     ((o & FF_ITYPE) && (!ev->orig.has_icmp || ev->orig.itype != f->itype))))
			return 0;
		if (is_tcp_like(f->proto) &&
		    (((o & FF_SPORT) && (!ev->orig.has_ports || ev->orig.sport != f->sport)) ||
		     ((o & FF_DPORT) && (!ev->orig.has_ports || ev->orig.dport != f->dport))))
			return 0;
	}
	if ((o & FF_SRC) && !f->src.cidr && !same_addr(&f->src, &ev->orig, ev->orig.src))
		return 0;
	if ((o & FF_DST) && !f->dst.cidr && !same_addr(&f->dst, &ev->orig, ev->orig.dst))
		return 0;
	if ((o & FF_OZONE) && (ev->orig.has_zone ? ev->orig.zone : 0) != f->ozone)
		return 0;
	/* reply tuple */
	if ((o & (FF_RSRC | FF_RDST)) &&
	    ev->reply.l3 != ((o & FF_RSRC) ? f->rsrc.family : f->rdst.family))
		return 0;
	if (o & (FF_RSPORT | FF_RDPORT)) {
		if (ev->reply.proto != f->proto)
			return 0;
		if (((o & FF_RSPORT) && (!ev->reply.has_ports || ev->reply.sport != f->rsport)) ||
		    ((o & FF_RDPORT) && (!ev->reply.has_ports || ev->reply.dport != f->rdport)))
			return 0;
	}
	if ((o & FF_RSRC) && !same_addr(&f->rsrc, &ev->reply, ev->reply.src))
		return 0;
	if ((o & FF_RDST) && !same_addr(&f->rdst, &ev->reply, ev->reply.dst))
		return 0;
	if ((o & FF_RZONE) && (ev->reply.has_zone ? ev->reply.zone : 0) != f->rzone)
		return 0;
	return 1;
}

int filter_match(const struct ct_filter *f, const struct ct_event *ev)
{
	const unsigned cmp = FF_PROTO | FF_SRC | FF_DST | FF_RSRC | FF_RDST | FF_MARK |
			     FF_STATUS | FF_ZONE | FF_LABEL | FF_OZONE | FF_RZONE;

	if (f->event_mask && ev->type >= CT_EV_NEW && ev->type <= CT_EV_DESTROY &&
	    !(f->event_mask & (1u << ev->type)))
		return 0;
	if (f->family && ev->family != f->family)
		return 0;
	if (!match_nat(f, ev))
		return 0;
	/* An event without a mark has none to match (conntrack -E); an entry of
	 * the table (a flow, conntrack -L) without one has mark 0: the kernel
	 * sends an entry's mark in events only once it is set. */
	if ((f->opts & FF_MARK) &&
	    (!(ev->has & CT_HAS_MARK) && ev->type != CT_EV_DUMP ?
	     1 : ((ev->has & CT_HAS_MARK ? ev->mark : 0) & f->mark_mask) != f->mark))
		return 0;
	if (!match_labels(f, ev))
		return 0;
	if (f->src.cidr && !match_net(&f->src, &ev->orig, ev->orig.src))
		return 0;
	if (f->dst.cidr && !match_net(&f->dst, &ev->orig, ev->orig.dst))
		return 0;
	if ((f->opts & cmp) && !match_cmp(f, ev))
		return 0;
	return 1;
}

static int resolve_state(struct ct_filter *f)
{
	if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_SCTP && f->proto != IPPROTO_DCCP)
		return log_error("--state: needs -p tcp, sctp or dccp for '%s'", f->state_name);
	f->state = ct_state_num(f->proto, f->state_name);
	if (f->state < 0)
		return log_error("--state: unknown state '%s'", f->state_name);
	return 0;
}

/* Applies --mask-src/--mask-dst to the address they mask. */
static int apply_mask(struct filter_addr *a, const struct filter_addr *m, const char *name)
{
	if (!a->family)
		return log_error("--mask-%s: needs --%s", name, name);
	if (m->family != a->family)
		return log_error("--mask-%s: mismatched address family", name);
	memcpy(a->mask, m->addr, sizeof(a->mask));
	a->cidr = 1;
	return 0;
}

int filter_finish(struct ct_filter *f)
{
	unsigned o = f->opts;

	/* (the options of conntrack's protocol module: see filter.h) */
	int module = (o & FF_PROTO) && !f->proto_bare;

	if ((o & (FF_SPORT | FF_DPORT | FF_RSPORT | FF_RDPORT)) &&
	    (!module || !is_tcp_like(f->proto)))
		return log_error("port options need -p tcp, udp, udplite, sctp or dccp");
	if ((f->icmp_names & FI_ICMP) && (!module || f->proto != IPPROTO_ICMP))
		return log_error("--icmp-type, --icmp-code and --icmp-id need -p icmp (or 1): conntrack"
				 " has them for ICMP alone (ICMPv6's: -p icmpv6 --icmpv6-type ...)");
	if ((f->icmp_names & FI_ICMPV6) && (!module || f->proto != IPPROTO_ICMPV6))
		return log_error("--icmpv6-type, --icmpv6-code and --icmpv6-id need -p icmpv6 (or 58):"
				 " conntrack has them for ICMPv6 alone%s",
				 f->proto_bare && f->proto == IPPROTO_ICMPV6 ?
				 ", and not after -p ipv6-icmp (a name of /etc/protocols)" : "");
	if ((o & FF_STATE) && resolve_state(f))
		return -1;
	/* (conntrack -L: "Operation failed: invalid parameters", the kernel's
	 * refusal of a status filter without bits) */
	if ((o & FF_STATUS) && !f->status && !f->status_clear)
		return log_error("--status names no status bit to select by (UNSET adds none,"
				 " SRC_NAT and DST_NAT are ignored): conntrack -L refuses it too");
	if ((o & FF_ANYNAT) && (o & (FF_SNAT | FF_DNAT)))
		return log_error("cannot use --src-nat or --dst-nat with --any-nat");
	if ((o & FF_MASK_SRC) && apply_mask(&f->src, &f->mask_src, "src"))
		return -1;
	if ((o & FF_MASK_DST) && apply_mask(&f->dst, &f->mask_dst, "dst"))
		return -1;
	if ((o & FF_SINCE) && (o & FF_UNTIL) && f->since_us > f->until_us)
		return log_error("--since is after --until");
	return 0;
}

int filter_for_events(const struct ct_filter *f)
{
	if (f->opts & FF_STATUS)
		return log_error("--status is conntrack -L's filter, which conntrack -E refuses:"
				 " use it with ctquery list or stats");
	return 0;
}

static void to_range(const struct filter_addr *a, struct store_range *r)
{
	int i;

	r->len = a->family == AF_INET ? 4 : 16;
	for (i = 0; i < r->len; i++) {
		r->lo[i] = a->addr[i] & a->mask[i];
		r->hi[i] = r->lo[i] | (uint8_t)~a->mask[i];
	}
}

void filter_to_query(const struct ct_filter *f, struct store_query *q)
{
	unsigned o = f->opts;

	if (f->family) {
		q->pf |= STORE_PF_FAMILY;
		q->family = f->family;
	}
	if (o & FF_PROTO) {
		q->pf |= STORE_PF_PROTO;
		q->proto = f->proto;
	}
	if (o & FF_SPORT)
		q->pf |= STORE_PF_SPORT, q->sport = f->sport;
	if (o & FF_DPORT)
		q->pf |= STORE_PF_DPORT, q->dport = f->dport;
	if (o & FF_RSPORT)
		q->pf |= STORE_PF_RSPORT, q->rsport = f->rsport;
	if (o & FF_RDPORT)
		q->pf |= STORE_PF_RDPORT, q->rdport = f->rdport;
	if (o & FF_SRC)
		to_range(&f->src, &q->src);
	if (o & FF_DST)
		to_range(&f->dst, &q->dst);
	if (o & FF_RSRC)
		to_range(&f->rsrc, &q->rsrc);
	if (o & FF_RDST)
		to_range(&f->rdst, &q->rdst);
	if (o & FF_SINCE)
		q->pf |= STORE_PF_SINCE, q->since_us = f->since_us;
	if (o & FF_UNTIL)
		q->pf |= STORE_PF_UNTIL, q->until_us = f->until_us;
	if (o & FF_AT)
		q->pf |= STORE_PF_AT, q->at_us = f->at_us;
	if (o & FF_FLOW)
		q->pf |= STORE_PF_FLOW, q->flow = f->flow;
	if (f->session)
		q->pf |= STORE_PF_SESSION, q->session = f->session;
	q->where = f->where;
}
