/* Unit test: ct_save_format() writes conntrack 1.4.7's -o save lines for what the live tests cannot make (NAT, DCCP, SCTP heartbeat states, odd families), and stays in its buffer over random events. */
#include <arpa/inet.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "ct_save.h"
#include "randev.h"
#include "unit.h"

#define EVENTS 4000

/* A UDP (or proto) event 10.0.0.1:1000 -> 10.0.0.2:53, reply the mirror. */
static void base(struct ct_event *ev, int type, int proto)
{
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->family = ev->orig.l3 = ev->reply.l3 = AF_INET;
	ev->orig.proto = ev->reply.proto = proto;
	memcpy(ev->orig.src, a, 4);
	memcpy(ev->orig.dst, b, 4);
	memcpy(ev->reply.src, b, 4);
	memcpy(ev->reply.dst, a, 4);
	ev->orig.has_ports = ev->reply.has_ports = 1;
	ev->orig.sport = ev->reply.dport = 1000;
	ev->orig.dport = ev->reply.sport = 53;
	ev->has = CT_HAS_STATUS | CT_HAS_TIMEOUT | CT_HAS_ID;
	ev->status = IPS_CONFIRMED;
	ev->timeout = 30;
}

static void expect(const struct ct_event *ev, const char *want)
{
	char line[CT_SAVE_BUFSZ];
	int n = ct_save_format(ev, line);

	CHECK(n == (int)strlen(want));
	CHECK(n >= 0 && !strcmp(line, want));
	if (n < 0 || strcmp(line, want))
		fprintf(stderr, "  got:  '%s'\n  want: '%s'\n", n >= 0 ? line : "(failed)", want);
}

/* DCCP's protoinfo as the kernel sends it: state and role. */
static void dccp_info(struct ct_event *ev, uint8_t state, uint8_t role)
{
	char buf[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *n = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
	struct nlattr *m = mnl_attr_nest_start(nlh, CTA_PROTOINFO_DCCP);

	mnl_attr_put_u8(nlh, CTA_PROTOINFO_DCCP_STATE, state);
	mnl_attr_put_u8(nlh, CTA_PROTOINFO_DCCP_ROLE, role);
	mnl_attr_nest_end(nlh, m);
	mnl_attr_nest_end(nlh, n);
	memcpy(ev->extra, buf + MNL_NLMSG_HDRLEN, nlh->nlmsg_len - MNL_NLMSG_HDRLEN);
	ev->extra_len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
}

static void known_lines(void)
{
	struct ct_event ev;

	/* SNAT and DNAT: the reply's addresses as -g and -n (ports stay --reply-port-*) */
	base(&ev, CT_EV_NEW, IPPROTO_UDP);
	ev.status |= IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE;
	ev.reply.src[3] = 9;
	ev.reply.dst[3] = 8;
	ev.reply.sport = 5353;
	expect(&ev, "-A -t 30 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -g 10.0.0.9 -n 10.0.0.8 -p udp"
		    " --sport 1000 --dport 53 --reply-port-src 5353 --reply-port-dst 1000");
	/* the same reply without the NAT bits: -r and -q */
	ev.status = IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED | IPS_EXPECTED |
		    IPS_FIXED_TIMEOUT | IPS_OFFLOAD;
	ev.type = CT_EV_UPDATE;
	expect(&ev, "-U -t 30 -u EXPECTED,SEEN_REPLY,ASSURED,FIXED_TIMEOUT -s 10.0.0.1 -d 10.0.0.2"
		    " -r 10.0.0.9 -q 10.0.0.8 -p udp --sport 1000 --dport 53 --reply-port-src 5353"
		    " --reply-port-dst 1000");
	/* without status, timeout or ports: nothing of them; and without a
	 * status the library (NFCT_GOPT_IS_SNAT/DNAT) goes by the addresses alone */
	ev.has = 0;
	ev.orig.has_ports = ev.reply.has_ports = 0;
	ev.type = CT_EV_DESTROY;
	expect(&ev, "-D -s 10.0.0.1 -d 10.0.0.2 -g 10.0.0.9 -n 10.0.0.8 -p udp");

	/* DCCP: state and role by name */
	base(&ev, CT_EV_NEW, IPPROTO_DCCP);
	dccp_info(&ev, 4, 1);
	expect(&ev, "-A -t 30 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p dccp"
		    " --sport 1000 --dport 53 --reply-port-src 53 --reply-port-dst 1000"
		    " --state OPEN --role server");
	/* SCTP's HEARTBEAT_SENT: past conntrack's table, glibc's "(null)" */
	base(&ev, CT_EV_UPDATE, IPPROTO_SCTP);
	CHECK(ct_event_set_state(&ev, 8) == 0);
	expect(&ev, "-U -t 30 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p sctp"
		    " --sport 1000 --dport 53 --reply-port-src 53 --reply-port-dst 1000"
		    " --state (null)");
	/* TCP's state 9 is SYN_SENT2 (conntrack -L calls it so too); zones */
	base(&ev, CT_EV_NEW, IPPROTO_TCP);
	CHECK(ct_event_set_state(&ev, 9) == 0);
	ev.has |= CT_HAS_ZONE;
	ev.zone = 5;
	ev.orig.has_zone = ev.reply.has_zone = 1;
	ev.orig.zone = 6;
	ev.reply.zone = 7;
	expect(&ev, "-A -t 30 -u UNSET -w 5 --orig-zone 6 --reply-zone 7 -s 10.0.0.1 -d 10.0.0.2"
		    " -r 10.0.0.2 -q 10.0.0.1 -p tcp --sport 1000 --dport 53 --reply-port-src 53"
		    " --reply-port-dst 1000 --state SYN_SENT2");
	/* a family save cannot print: conntrack stops after the generic options */
	base(&ev, CT_EV_NEW, IPPROTO_UDP);
	ev.family = AF_BRIDGE;
	expect(&ev, "-A -t 30 -u UNSET ");
	/* a table entry (DUMP) has no verb */
	base(&ev, CT_EV_DUMP, 200);
	ev.orig.has_ports = ev.reply.has_ports = 0;
	expect(&ev, "-t 30 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p 200");
}

int main(void)
{
	char line[CT_SAVE_BUFSZ];
	struct ct_event ev;
	int i, n, longest = 0, failed = 0;

	known_lines();
	/* Random events, every field and extra attribute: the line fits, ends
	 * without a space (but for a family save cannot print) and starts with
	 * its verb. */
	for (i = 0; i < EVENTS; i++) {
		rand_event(&ev);
		if (coin(30))
			rand_extra(&ev);
		n = ct_save_format(&ev, line);
		if (n < 0)
			continue;
		failed += n != (int)strlen(line) || n >= CT_SAVE_BUFSZ;
		failed += ev.type == CT_EV_NEW && strncmp(line, "-A ", 3);
		failed += ev.type == CT_EV_DESTROY && strncmp(line, "-D ", 3);
		failed += n > 0 && line[n - 1] == ' ' && ev.family == AF_INET;
		if (n > longest)
			longest = n;
	}
	CHECK(failed == 0);
	rand_widest(&ev);
	n = ct_save_format(&ev, line);
	CHECK(n > 0 && n < 400);
	printf("t_save: %d random events, longest line %d bytes\n", EVENTS, longest);
	return unit_done("t_save");
}
