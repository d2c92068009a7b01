/* ctquery stats: totals by event type, protocol and state, the time span, gaps and losses, pruned history, and top talkers. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "args.h"
#include "commands.h"
#include "filter.h"
#include "ct_names.h"
#include "ct_numfmt.h"
#include "filter_text.h"
#include "flow_labels.h"
#include "groups.h"
#include "log.h"
#include "numparse.h"
#include "open_query.h"
#include "opt_error.h"
#include "store.h"
#include "timeparse.h"

static const char stats_usage[] =
	"stats [--top N] [--by src|dst|sport|dport|proto|pair] [--sort flows|packets|bytes] [FILTER...]";

enum { BY_SRC, BY_DST, BY_SPORT, BY_DPORT, BY_PROTO, BY_PAIR };

struct stats {
	uint64_t types[5], protos[256], states[256][16], nostate[256], flows;
	int64_t first_us, last_us;
	int64_t end_us;		/* the latest end of the flows counted (0: none ended) */
	struct groups groups;	/* for --top */
	int by, sort;		/* BY_*, GROUPS_BY_* */
};

static void usage(FILE *out)
{
	fprintf(out, "usage: ctquery [--db PATH] %s\n\n"
		"Totals of the (filtered) history: events by type, flows by protocol and\n"
		"final state, the time span, gaps and events lost, and what retention\n"
		"pruned (for the whole database, whatever the filters); --top N groups flows.\n\n"
		"  --top N      the N largest groups (default 10 when --by is given)\n"
		"  --by KEY     src, dst, sport, dport, proto or pair (src -> dst)\n"
		"  --sort WHAT  flows (default), packets or bytes\n%s", stats_usage, filter_stats_usage);
}

static void group_key(const struct stats *s, const struct ct_event *ev, char *k, size_t n)
{
	char a[64], b[64], pb[8];
	/* (a protocol without ports, as ICMP, is one group, not port 0) */
	int ports = ev->orig.has_ports;

	ft_addr(&ev->orig, ev->orig.src, a);
	ft_addr(&ev->orig, ev->orig.dst, b);
	switch (s->by) {
	case BY_SRC: snprintf(k, n, "%s", a); break;
	case BY_DST: snprintf(k, n, "%s", b); break;
	case BY_SPORT:
	case BY_DPORT:
		if (!ports)
			snprintf(k, n, "%s/-", ft_proto(ev->orig.proto, pb));
		else	/* GRE keys in hex, as conntrack prints them */
			snprintf(k, n, ct_l4_form(ev->orig.proto) == CT_L4_GRE_KEYS ? "%s/0x%x" : "%s/%u",
				 ft_proto(ev->orig.proto, pb),
				 s->by == BY_SPORT ? ev->orig.sport : ev->orig.dport);
		break;
	case BY_PROTO: snprintf(k, n, "%s", ft_proto(ev->orig.proto, pb)); break;
	default: snprintf(k, n, "%s -> %s", a, b); break;
	}
}

static int add_group(struct stats *s, const struct ct_event *ev)
{
	const uint64_t packets[2] = { ev->pkts_orig, ev->pkts_reply },
		       bytes[2] = { ev->bytes_orig, ev->bytes_reply };
	char key[160];

	group_key(s, ev, key, sizeof(key));
	return groups_add(&s->groups, key, packets, bytes);
}

/* What retention removed, when any: the steps taken and their totals. */
struct pruned {
	int64_t steps, before_us, flows, events;
};

/* span: the time the totals cover (span[0] > span[1]: no span line). */
static void report(struct stats *s, int64_t top, const int64_t span[2],
		   const struct store_gaps *gaps, const struct pruned *pr)
{
	char a[40], b[40], pb[8];
	int p, i;

	printf("events:\n");
	for (i = CT_EV_NEW; i <= CT_EV_DUMP; i++)
		printf("  %-8s %llu\n", ct_ev_type_name(i), (unsigned long long)s->types[i]);
	printf("flows: %llu\n", (unsigned long long)s->flows);
	for (p = 0; p < 256; p++) {
		if (!s->protos[p])
			continue;
		printf("  %-8s %llu", ft_proto(p, pb), (unsigned long long)s->protos[p]);
		for (i = 0; i < 16; i++)
			if (s->states[p][i])
				printf(" %s=%llu", ct_state_name(p, i) ? ct_state_name(p, i) : "?",
				       (unsigned long long)s->states[p][i]);
		if (s->nostate[p] && s->nostate[p] != s->protos[p])
			printf(" no-state=%llu", (unsigned long long)s->nostate[p]);
		putchar('\n');
	}
	if (span[0] <= span[1]) {
		time_format(a, sizeof(a), span[0], 0);
		time_format(b, sizeof(b), span[1], 0);
		/* (in double: a damaged row's time far from the others overflowed 64 bits) */
		printf("span: %s .. %s (%.0fs)\n", a, b, ((double)span[1] - span[0]) / 1e6);
	}
	/* the kernel says that it dropped events (ENOBUFS), not how many */
	if (!gaps->unknown)
		printf("gaps: %lld, events lost: %lld\n", (long long)gaps->n, (long long)gaps->lost);
	else if (!gaps->lost)
		printf("gaps: %lld, events lost: unknown\n", (long long)gaps->n);
	else
		printf("gaps: %lld, events lost: at least %lld\n", (long long)gaps->n,
		       (long long)gaps->lost);
	if (pr->steps) {
		time_format(a, sizeof(a), pr->before_us, 0);
		printf("pruned: history before %s removed (%lld flows, %lld events)\n", a,
		       (long long)pr->flows, (long long)pr->events);
	}
	if (!top)
		return;
	groups_sort(&s->groups, s->sort);
	printf("top %lld:\n  %-44s %8s %10s %14s\n", (long long)top, "KEY", "FLOWS", "PACKETS",
	       "BYTES");
	for (i = 0; i < (int)s->groups.n && i < top; i++) {
		const struct group *g = &s->groups.v[i];
		char pk[40], by[40];

		printf("  %-44s %8llu %10s %14s\n", g->key, (unsigned long long)g->flows,
		       sum128_format(&g->packets, pk), sum128_format(&g->bytes, by));
	}
}

/* Counts the events the filter passes; without conditions, from the
 * blocks' headers when they can tell. Returns 0 or -1 (reported). */
static int count_events(struct store *st, const struct ct_filter *flt, struct store_query *q,
			struct stats *s)
{
	struct store_cursor *c;
	static struct ct_event ev;
	int64_t flow;
	int r;

	if (!flt->opts && !flt->session && (r = store_event_totals(st, s->types)) != 0)
		return r < 0 ? -1 : 0;
	/* (the headers could not tell: what they summed is counted again) */
	memset(s->types, 0, sizeof(s->types));
	q->type_mask = flt->event_mask ? flt->event_mask :
		       1 << CT_EV_NEW | 1 << CT_EV_UPDATE | 1 << CT_EV_DESTROY | 1 << CT_EV_DUMP;
	c = store_events(st, q);
	if (!c)
		return -1;
	while ((r = store_next(c, &ev, &flow)) > 0)
		if (filter_match(flt, &ev))
			s->types[ev.type]++;
	store_cursor_free(c);
	return r < 0 ? -1 : 0;
}

/* Adds n flows of proto in state (-1: none) to the totals. */
static void add_flows(struct stats *s, int proto, int state, uint64_t n, int64_t first_us,
		      int64_t last_us)
{
	if (!s->flows || first_us < s->first_us)
		s->first_us = first_us;
	if (last_us > s->last_us)
		s->last_us = last_us;
	s->flows += n;
	s->protos[proto & 255] += n;
	if (state >= 0 && state < 16)
		s->states[proto & 255][state] += n;
	else
		s->nostate[proto & 255] += n;
}

static int add_total(int proto, int state, int64_t n, int64_t first_us, int64_t last_us,
		     void *arg)
{
	add_flows(arg, proto, state, (uint64_t)n, first_us, last_us);
	return 0;
}

/* Counts the flows the filter passes, and their groups for --top; without
 * conditions or groups, in SQL. Returns 0 or -1 (reported). */
static int count_flows(struct store *st, const struct ct_filter *flt, struct store_query *q,
		       struct stats *s, int64_t top)
{
	static struct store_flow fl;
	struct flow_labels *fls = NULL;
	struct store_cursor *c;
	int r;

	if (!flt->opts && !flt->session && !top)
		return store_flow_totals(st, add_total, s);
	q->type_mask = flt->event_mask;	/* with -e, the flows that had such events */
	/* -l: a flow's row keeps no labels, its events do */
	if ((flt->opts & FF_LABEL) && !(fls = flow_labels_load(st, q)))
		return -1;
	c = store_flows(st, q);
	if (!c) {
		flow_labels_free(fls);
		return -1;
	}
	while ((r = store_next_flow(c, &fl)) > 0) {
		if (fls && flow_labels_attach(fls, &fl)) {
			r = -1;
			break;
		}
		if (!filter_match(flt, &fl.ev))
			continue;
		add_flows(s, fl.ev.orig.proto, fl.ev.has & CT_HAS_STATE ? fl.ev.state : -1, 1,
			  fl.first_us, fl.last_us);
		if (fl.end_kind && fl.end_us > s->end_us)
			s->end_us = fl.end_us;
		if (top && add_group(s, &fl.ev)) {
			r = -1;
			break;
		}
	}
	store_cursor_free(c);
	flow_labels_free(fls);
	return r < 0 ? -1 : 0;
}

/* The time whose gaps stats reports, as its events and flows were counted:
 * the window asked (--since, --until), else all of it (events lost after
 * the last one stored count too); with --at or --flow, which ask for flows,
 * not a time, only during the lives of the flows counted (from the first
 * seen to the last event or end; the instant of --at when none was alive). */
static void gap_window(const struct store_query *q, const struct stats *s, int64_t *lo,
		       int64_t *hi)
{
	int64_t a = INT64_MAX, b = INT64_MIN;

	*lo = q->pf & STORE_PF_SINCE ? q->since_us : INT64_MIN;
	*hi = q->pf & STORE_PF_UNTIL ? q->until_us : INT64_MAX;
	if (!(q->pf & (STORE_PF_AT | STORE_PF_FLOW)))
		return;
	if (q->pf & STORE_PF_AT)
		a = b = q->at_us;
	if (s->flows) {
		a = s->first_us < a ? s->first_us : a;
		b = s->last_us > b ? s->last_us : b;
		b = s->end_us > b ? s->end_us : b;
	}
	*lo = a > *lo ? a : *lo;
	*hi = b < *hi ? b : *hi;
}

/* The span stats prints, in span[0..1]: with --since or --until, the window
 * asked (with --at or --flow, its part during the lives of the flows
 * counted, as gap_window()), clipped to the history stored (from the first
 * event to the last, after what retention removed); else from the first seen
 * of the flows counted to their last event. span[0] > span[1]: none (no flow
 * counted, a window outside the history). Returns 0 or -1 (reported). */
static int span_of(struct store *st, const struct store_query *q, const struct stats *s,
		   const struct pruned *pr, int64_t span[2])
{
	int64_t first, last;
	int r;

	span[0] = 1;
	span[1] = 0;
	if (!(q->pf & (STORE_PF_SINCE | STORE_PF_UNTIL))) {
		if (s->flows) {
			span[0] = s->first_us;
			span[1] = s->last_us;
		}
		return 0;
	}
	if ((r = store_history_span(st, &first, &last)) <= 0)
		return r;
	if (pr->steps && pr->before_us > first)
		first = pr->before_us;
	gap_window(q, s, &span[0], &span[1]);
	span[0] = first > span[0] ? first : span[0];
	span[1] = last < span[1] ? last : span[1];
	return 0;
}

static int stats(struct query_ctx *ctx, const struct ct_filter *flt, struct store_query *q,
		 struct stats *s, int64_t top)
{
	struct store_gaps gaps = { 0 };
	struct pruned pr = { 0 };
	struct store *st;
	int64_t lo, hi, span[2];
	int r = open_query(ctx, q, &st);

	if (r)
		return r;
	r = count_events(st, flt, q, s);
	if (r == 0)
		r = count_flows(st, flt, q, s, top);
	if (r == 0) {
		gap_window(q, s, &lo, &hi);
		r = store_gap_totals(st, q->pf & STORE_PF_SESSION ? q->session : 0, lo, hi,
				     &gaps);
	}
	if (r == 0)
		r = store_prune_totals(st, &pr.steps, &pr.before_us, &pr.flows, &pr.events);
	if (r == 0)
		r = span_of(st, q, s, &pr, span);
	if (r == 0)
		report(s, top, span, &gaps, &pr);
	store_leave(st);
	groups_free(&s->groups);
	return r < 0 ? 1 : 0;
}

static int pick(const char *opt, const char *arg, const char *const *words, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(arg, words[i]))
			return i;
	return log_error("%s: unknown value '%s'", opt, arg);
}

static int stats_exec(struct query_ctx *ctx, int argc, char **argv)
{
	enum { O_TOP = 0x300, O_BY, O_SORT };
	static const struct option longopts[] = {
		{ "top", required_argument, NULL, O_TOP },
		{ "by", required_argument, NULL, O_BY },
		{ "sort", required_argument, NULL, O_SORT },
		{ "help", no_argument, NULL, 'h' },
		FILTER_LONGOPTS,
		{ 0 }
	};
	static const char *const bys[] = { "src", "dst", "sport", "dport", "proto", "pair" };
	/* in the order of GROUPS_BY_* */
	static const char *const sorts[] = { "flows", "packets", "bytes" };
	static struct stats s;
	struct store_query q = { 0 };
	struct ct_filter flt = { 0 };
	int64_t top = 0;
	int c, r, by_given = 0, sort_given = 0;
	uint64_t n;

	opterr = 0;
	while ((c = getopt_long(argc, argv, OPT_STRICT "h" FILTER_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case O_TOP:
			if (num_parse(optarg, INT32_MAX, &n) || !n) {
				log_error("--top: invalid number '%s'", optarg);
				return 2;
			}
			top = (int64_t)n;
			break;
		case O_BY:
			if ((s.by = pick("--by", optarg, bys, 6)) < 0)
				return 2;
			by_given = 1;
			break;
		case O_SORT:
			if ((s.sort = pick("--sort", optarg, sorts, 3)) < 0)
				return 2;
			sort_given = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if ((r = args_filter(&flt, c, argc, argv)))
				return r;
		}
	}
	if ((r = args_end(&flt, argc, argv)))
		return r;
	if (flt.opts & FF_LIMIT) {
		log_error("--limit does not apply to stats; --top N limits the groups");
		return 2;
	}
	if (sort_given && !by_given && !top) {
		log_error("--sort orders the groups of --top or --by; give one of them");
		return 2;
	}
	if (by_given && !top)
		top = 10;
	if (top && !by_given)
		s.by = BY_PAIR;
	filter_to_query(&flt, &q);
	return stats(ctx, &flt, &q, &s, top);
}

const struct command cmd_stats = {
	.name = "stats",
	.usage = stats_usage,
	.summary = "totals by event type, protocol and state; top talkers",
	.exec = stats_exec,
};
