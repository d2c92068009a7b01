/* ctquery list: one line per recorded flow (table, conntrack -L style, JSON, CSV or XML), filtered as conntrack does. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "ct_format.h"
#include "filter.h"
#include "ct_names.h"
#include "filter_text.h"
#include "flow_labels.h"
#include "log.h"
#include "outwait.h"
#include "opt_error.h"
#include "store.h"
#include "timeparse.h"

static const char list_usage[] = "list [-o table|conntrack|json|csv|xml] [FILTER...]";

enum { OUT_TABLE, OUT_CONNTRACK, OUT_JSON, OUT_CSV, OUT_XML };

static void usage(FILE *out)
{
	fprintf(out, "usage: ctquery [--db PATH] %s\n\n"
		"Lists recorded flows, one per line: start, duration, protocol, original and\n"
		"reply tuples, final state, packets and bytes each way, flow id.\n\n"
		"  -o, --output FORMAT   table (default), conntrack (as conntrack -L), json\n"
		"                        (one object per line), csv, xml\n"
		"  -h, --help            show this help\n%s", list_usage, filter_usage);
}

static void print_table_row(const struct store_flow *fl, FILE *out)
{
	const struct ct_event *ev = &fl->ev;
	const char *st = ev->has & CT_HAS_STATE ? ct_state_name(ev->orig.proto, ev->state) : NULL;
	char start[32], dur[24], o[128], r[128], pb[8], pk[48] = "-", by[48] = "-";

	time_format(start, sizeof(start), fl->first_us, 0);
	/* (an end timed before the start: the wall clock was set back meanwhile) */
	if (fl->end_kind == 1 && fl->end_us >= fl->first_us)
		snprintf(dur, sizeof(dur), "%.3fs", ((double)fl->end_us - fl->first_us) / 1e6);
	else
		snprintf(dur, sizeof(dur), fl->end_kind ? "?" : "open");
	ft_tuple(&ev->orig, o, sizeof(o));
	ft_tuple(&ev->reply, r, sizeof(r));
	/* counters come with a flow's end: "-" until then, not 0 */
	if (ev->has & (CT_HAS_COUNTERS_ORIG | CT_HAS_COUNTERS_REPLY)) {
		snprintf(pk, sizeof(pk), "%llu/%llu", (unsigned long long)ev->pkts_orig,
			 (unsigned long long)ev->pkts_reply);
		snprintf(by, sizeof(by), "%llu/%llu", (unsigned long long)ev->bytes_orig,
			 (unsigned long long)ev->bytes_reply);
	}
	fprintf(out, "%-19s %9s %-6s %-45s %-45s %-11s %s %s %lld\n", start, dur,
		ft_proto(ev->orig.proto, pb), o, r, st ? st : "-", pk, by, (long long)fl->id);
}

static void give_up_snapshot(void *c)
{
	store_cursor_release(c);	/* (an error fails the next row) */
}

static int list(struct query_ctx *ctx, const struct ct_filter *flt, const struct store_query *q,
		int fmt)
{
	struct store *st = store_open(ctx->db, STORE_READ);
	struct ct_fmt cf = { .xml = fmt == OUT_XML };
	static struct store_flow fl;
	struct flow_labels *fls = NULL;
	struct store_cursor *c;
	FILE *out = NULL;
	int64_t shown = 0;
	int r = -1;

	if (!st)
		return 1;
	if (q->where && store_check_where(st, q->where)) {
		store_close(st);
		return 2;
	}
	if (store_check_named(st, q)) {
		store_close(st);
		return 1;
	}
	/* -l: a flow's row keeps no labels, its events do (read only then) */
	if ((flt->opts & FF_LABEL) && !(fls = flow_labels_load(st, q))) {
		store_close(st);
		return 1;
	}
	c = store_flows(st, q);
	/* an output left unread gives the snapshot up meanwhile */
	if (!c || !(out = outwait_open(STDOUT_FILENO, give_up_snapshot, c))) {
		store_cursor_free(c);
		flow_labels_free(fls);
		store_close(st);
		return 1;
	}
	if (fmt == OUT_TABLE)
		fprintf(out, "%-19s %9s %-6s %-45s %-45s %-11s %s %s %s\n", "START", "DURATION",
		       "PROTO", "ORIGINAL", "REPLY", "STATE", "PACKETS(o/r)", "BYTES(o/r)",
		       "FLOW");
	if (fmt == OUT_CSV)
		ft_flow_csv_header(out);
	while ((r = store_next_flow(c, &fl)) > 0) {
		if (fls && flow_labels_attach(fls, &fl)) {
			r = -1;
			break;
		}
		if (!filter_match(flt, &fl.ev))
			continue;
		if (flt->limit && shown++ >= flt->limit)
			break;
		if (fmt == OUT_TABLE)
			print_table_row(&fl, out);
		else if (fmt == OUT_JSON)
			ft_flow_json(&fl, out);
		else if (fmt == OUT_CSV)
			ft_flow_csv(&fl, out);
		else {
			fl.ev.type = CT_EV_DUMP;	/* conntrack -L prints no event type */
			if (ct_fmt_event(&cf, &fl.ev, out)) {
				r = -1;
				break;
			}
		}
	}
	ct_fmt_close(&cf, out);
	if (fflush(out) || ferror(out))
		r = log_errno("cannot write the output");
	fclose(out);
	store_cursor_free(c);
	flow_labels_free(fls);
	store_leave(st);
	return r < 0 ? 1 : 0;
}

static int list_exec(struct query_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		FILTER_LONGOPTS,
		{ 0 }
	};
	static const char *const fmts[] = { "table", "conntrack", "json", "csv", "xml" };
	struct store_query q = { 0 };
	struct ct_filter flt = { 0 };
	int c, r, fmt = OUT_TABLE;
	size_t i;

	opterr = 0;
	while ((c = getopt_long(argc, argv, OPT_STRICT "o:h" FILTER_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			for (i = 0; i < 5 && strcasecmp(optarg, fmts[i]); i++)
				;
			if (i == 5) {
				log_error("--output: unknown format '%s'", optarg);
				return 2;
			}
			fmt = (int)i;
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
	filter_to_query(&flt, &q);
	q.type_mask = flt.event_mask;	/* -e: flows that had such an event */
	return list(ctx, &flt, &q, fmt);
}

const struct command cmd_list = {
	.name = "list",
	.usage = list_usage,
	.summary = "list recorded flows, one per line",
	.exec = list_exec,
};
