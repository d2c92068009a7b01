/* ctquery show: one flow's life, its tuples and NAT, then event by event, and how it ended. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "commands.h"
#include "ct_format.h"
#include "ct_names.h"
#include "filter_text.h"
#include "args.h"
#include "log.h"
#include "numparse.h"
#include "opt_error.h"
#include "store.h"
#include "timeparse.h"

static const char show_usage[] = "show FLOW";

static void usage(FILE *out)
{
	fprintf(out, "usage: ctquery [--db PATH] %s\n\n"
		"Shows one recorded flow (FLOW is the id in the last column of `ctquery list`):\n"
		"its tuples and NAT, each event with time, state, timeout, flags, mark, labels\n"
		"and counters, and how and when it ended, or that it is still open or its end\n"
		"unknown.\n",
		show_usage);
}

static void print_header(const struct store_flow *fl)
{
	static const char *const origins[] = { "its NEW event", "the start-up dump",
					       "mid-life (after a gap)" };
	const struct ct_event *ev = &fl->ev;
	char o[128], r[128], pb[8], t[40];
	int snat = memcmp(ev->reply.dst, ev->orig.src, 16) || ev->reply.dport != ev->orig.sport;
	int dnat = memcmp(ev->reply.src, ev->orig.dst, 16) || ev->reply.sport != ev->orig.dport;

	ft_tuple(&ev->orig, o, sizeof(o));
	ft_tuple(&ev->reply, r, sizeof(r));
	printf("flow %lld (session %lld", (long long)fl->id, (long long)fl->session);
	if (ev->has & CT_HAS_ID)
		printf(", kernel id %u", ev->id);
	printf("): %s %s", ev->family == AF_INET6 ? "ipv6" : "ipv4", ft_proto(ev->orig.proto, pb));
	if (ev->has & CT_HAS_ZONE)
		printf(" zone %u", ev->zone);
	printf("\n  original %s", o);
	if (ev->orig.has_zone)	/* a tuple's own zone (conntrack's zone-orig=) */
		printf(" zone %u", ev->orig.zone);
	printf("\n  reply    %s", r);
	if (ev->reply.has_zone)
		printf(" zone %u", ev->reply.zone);
	putchar('\n');
	printf("  nat      %s%s%s\n", snat ? "source" : "", snat && dnat ? " and " : "",
	       dnat ? "destination" : snat ? "" : "none");
	time_format(t, sizeof(t), fl->first_us, 1);
	/* (any other origin as flows_v reads it: a damaged row's -1 indexed before the array) */
	printf("  first seen %s, from %s\n", t, origins[fl->origin == 0 || fl->origin == 1 ?
							  fl->origin : 2]);
}

/* The label names of the events that carry labels (CTA_LABELS), by the
 * label map, read (and libnetfilter_conntrack loaded) at the first such
 * event only: a flow without labels costs nothing more. NULL without a map
 * (warned once, as replay warns). */
static struct nfct_labelmap *label_map(void)
{
	static struct ct_fmt f = { .labels = 1 };
	static int opened;

	if (!opened++)
		(void)ct_fmt_open(&f);
	return f.labelmap;
}

static void print_event(const struct ct_event *ev)
{
	char t[40], flags[96] = "", names[FT_LABELS_TEXT];
	size_t len;
	const char *st = ev->has & CT_HAS_STATE ? ct_state_name(ev->orig.proto, ev->state) : NULL;

	time_format(t, sizeof(t), ev->t_us, 1);
	if (ev->has & CT_HAS_STATUS) {
		if (!(ev->status & IPS_SEEN_REPLY))
			strcat(flags, "UNREPLIED ");
		if (ev->status & IPS_ASSURED)
			strcat(flags, "ASSURED ");
		if (ev->status & IPS_DYING)
			strcat(flags, "DYING ");
	}
	printf("  %s %-8s %-12s", t, ct_ev_type_name(ev->type), st ? st : "-");
	if (ev->has & CT_HAS_TIMEOUT)
		printf(" timeout=%u", ev->timeout);
	if (flags[0])
		printf(" %.*s", (int)strlen(flags) - 1, flags);
	if (ev->has & CT_HAS_MARK)
		printf(" mark=%u", ev->mark);
	if (ct_extra_find(ev, CTA_LABELS, &len) && label_map()) {
		ft_labels_text(ev, label_map(), names, sizeof(names));
		if (names[0])	/* (none of its bits named: nothing, as conntrack) */
			printf(" labels=%s", names);
	}
	if (ev->has & CT_HAS_COUNTERS_ORIG)
		printf(" orig=%llu/%lluB", (unsigned long long)ev->pkts_orig,
		       (unsigned long long)ev->bytes_orig);
	if (ev->has & CT_HAS_COUNTERS_REPLY)
		printf(" reply=%llu/%lluB", (unsigned long long)ev->pkts_reply,
		       (unsigned long long)ev->bytes_reply);
	if (ev->portid && ev->type != CT_EV_DUMP)	/* (older recorders kept their own) */
		printf(" by portid=%u%s%s", ev->portid, ev->progname[0] ? " " : "", ev->progname);
	putchar('\n');
}

/* After a flow's n events read of the nevents it counts: says how many of
 * them retention removed (the reading said when any other is missing).
 * Returns 0 or -1 (reported). */
static int say_pruned(struct store *st, const struct store_flow *fl, int64_t n)
{
	int64_t steps, before_us, flows, events;
	char t[40];

	if (n >= fl->nevents)
		return 0;
	if (store_prune_totals(st, &steps, &before_us, &flows, &events))
		return -1;
	if (!steps)	/* (nothing pruned: the reading said the blocks are damaged) */
		return 0;
	time_format(t, sizeof(t), before_us, 1);
	printf("  (%lld earlier event%s removed by retention: the history before %s is gone)\n",
	       (long long)(fl->nevents - n), fl->nevents - n == 1 ? "" : "s", t);
	return 0;
}

/* Shows the flow's row, then its events (read once), then how many of them
 * retention removed: a flow none of whose events is stored any more counts
 * as not found. */
static int show(struct query_ctx *ctx, int64_t id)
{
	struct store_query q = { .pf = STORE_PF_FLOW, .flow = id };
	struct store *st = store_open(ctx->db, STORE_READ);
	struct store_cursor *fc = NULL, *c = NULL;
	static struct store_flow fl;
	static struct ct_event ev;
	int64_t flow, n = 0, prev_us = 0;
	char t[40];
	int r = -1, back = 0;

	if (!st)
		return 1;
	fc = store_flows(st, &q);
	if (!fc || (r = store_next_flow(fc, &fl)) < 0)
		goto out;
	if (r) {
		/* (the flow's row, read once) */
		r = -1;
		if (!(c = store_flow_events(fc, &fl, 1 << CT_EV_NEW | 1 << CT_EV_UPDATE |
					    1 << CT_EV_DESTROY | 1 << CT_EV_DUMP)) ||
		    (r = store_next(c, &ev, &flow)) < 0)
			goto out;
	}
	if (r == 0) {
		log_error("no flow %lld in '%s'", (long long)id, ctx->db);
		r = -1;
		goto out;
	}
	print_header(&fl);
	do {
		/* (a step back of the wall clock: its times are the clock's) */
		back |= n && ev.t_us < prev_us;
		prev_us = ev.t_us;
		print_event(&ev), n++;
	} while ((r = store_next(c, &ev, &flow)) > 0);
	if (r < 0 || (r = say_pruned(st, &fl, n)) < 0)
		goto out;
	time_format(t, sizeof(t), fl.end_us, 1);
	if (fl.end_kind == 1 && (back || fl.end_us < fl.first_us))
		printf("  ended: destroyed at %s, after a time unknown: the wall clock was set"
		       " back meanwhile (its events' times go back)\n", t);
	else if (fl.end_kind == 1)
		printf("  ended: destroyed at %s, after %.3fs\n", t,
		       ((double)fl.end_us - fl.first_us) / 1e6);
	else if (fl.end_kind == 2)
		printf("  ended: end unknown (noticed at %s; history has a gap)\n", t);
	else
		printf("  still open (as far as the recording goes)\n");
out:
	store_cursor_free(c);
	store_cursor_free(fc);
	store_leave(st);
	return r < 0 ? 1 : 0;
}

static int show_exec(struct query_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t id;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, OPT_STRICT "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		return args_bad_option(c, argv);
	}
	if (optind != argc - 1) {
		log_error("show needs one FLOW id; see 'ctquery show --help'");
		return 2;
	}
	if (num_parse(argv[optind], INT64_MAX, &id) || !id) {
		log_error("show: invalid flow id '%s'", argv[optind]);
		return 2;
	}
	return show(ctx, (int64_t)id);
}

const struct command cmd_show = {
	.name = "show",
	.usage = show_usage,
	.summary = "show one flow's life, event by event",
	.exec = show_exec,
};
