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
#include "flow_ktimes.h"
#include "flow_labels.h"
#include "list_table.h"
#include "log.h"
#include "open_query.h"
#include "outwait.h"
#include "opt_error.h"
#include "store.h"
#include "timeparse.h"

static const char list_usage[] = "list [-o table|conntrack|json|csv|xml[,labels][,extended][,id][,ktimestamp]] [FILTER...]";

enum { OUT_TABLE, OUT_CONNTRACK, OUT_JSON, OUT_CSV, OUT_XML };

static void usage(FILE *out)
{
	fprintf(out, "usage: ctquery [--db PATH] %s\n\n"
		"Lists recorded flows, one per line: start, duration, protocol, original and\n"
		"reply tuples, final state, packets and bytes each way, flow id.\n\n"
		"  -o, --output FORMAT   table (default), conntrack (as conntrack -L), json\n"
		"                        (one object per line), csv, xml; with ,labels\n"
		"                        (or labels alone: the table) each flow's labels,\n"
		"                        as conntrack -L -o labels, by the names of\n"
		"                        /etc/xtables/connlabel.conf (-l prints them too);\n"
		"                        with conntrack or xml, also extended, id and\n"
		"                        ktimestamp, as conntrack -L -o extended,id,ktimestamp\n"
		"  -h, --help            show this help\n%s", list_usage, filter_usage);
}

static void give_up_snapshot(void *c)
{
	store_cursor_release(c);	/* (an error fails the next row) */
}

/* labels: print each flow's labels (-o labels, or -l); cf: -o extended, id,
 * ktimestamp. */
static int list(struct query_ctx *ctx, const struct ct_filter *flt, const struct store_query *q,
		int fmt, int labels, struct ct_fmt cf)
{
	struct store *st;
	static struct store_flow fl;
	struct flow_labels *fls = NULL;
	struct flow_ktimes *fk = NULL;
	struct list_table *tab = NULL;
	struct store_cursor *c;
	FILE *out = NULL;
	int64_t shown = 0;
	int r = -1;

	cf.xml = fmt == OUT_XML;
	cf.labels = labels;

	if ((r = open_query(ctx, q, &st)))
		return r;
	r = -1;
	/* the label map, or the warning that it cannot be read, as conntrack;
	 * a flow's row keeps no labels, its events do (read only then) */
	if (labels || cf.ktimestamp)
		(void)ct_fmt_open(&cf);
	if (((cf.labelmap || (flt->opts & FF_LABEL)) && !(fls = flow_labels_load(st, q))) ||
	    (cf.ktimestamp && !(fk = flow_ktimes_load(st, q)))) {
		flow_labels_free(fls);
		ct_fmt_close(&cf, NULL);
		store_close(st);
		return 1;
	}
	c = store_flows(st, q);
	/* an output left unread gives the snapshot up meanwhile */
	if (!c || !(out = outwait_open(STDOUT_FILENO, give_up_snapshot, c)) ||
	    (fmt == OUT_TABLE && !(tab = list_table_new(out, labels, cf.labelmap)))) {
		if (out)
			fclose(out);
		store_cursor_free(c);
		flow_ktimes_free(fk);
		flow_labels_free(fls);
		ct_fmt_close(&cf, NULL);
		store_close(st);
		return 1;
	}
	if (fmt == OUT_CSV)
		ft_flow_csv_header(labels, out);
	while ((r = store_next_flow(c, &fl)) > 0) {
		if (fls && flow_labels_attach(fls, &fl)) {
			r = -1;
			break;
		}
		if (!filter_match(flt, &fl.ev))
			continue;
		if (flt->limit && shown++ >= flt->limit)
			break;
		if (fmt == OUT_TABLE) {
			/* more rows than held: the widths of their shapes */
			if (list_table_full(tab)) {
				int64_t max_id;

				if (store_max_flow_id(st, &max_id)) {
					r = -1;
					break;
				}
				list_table_layout(tab, 1, max_id);
			}
			if (list_table_row(tab, &fl)) {
				r = -1;
				break;
			}
		} else if (fmt == OUT_JSON)
			ft_flow_json(&fl, cf.labelmap, out);
		else if (fmt == OUT_CSV)
			ft_flow_csv(&fl, labels, cf.labelmap, out);
		else {
			fl.ev.type = CT_EV_DUMP;	/* conntrack -L prints no event type */
			if (fk)
				flow_ktimes_attach(fk, &fl);
			if (ct_fmt_event(&cf, &fl.ev, out)) {
				r = -1;
				break;
			}
		}
	}
	list_table_end(tab);
	ct_fmt_close(&cf, out);
	if (fflush(out) || ferror(out))
		r = log_errno("cannot write the output");
	fclose(out);
	store_cursor_free(c);
	flow_ktimes_free(fk);
	flow_labels_free(fls);
	store_leave(st);
	return r < 0 ? 1 : 0;
}

/* Parses -o: a format word (at most one), labels, and conntrack's extended,
 * id and ktimestamp (into cf), comma-separated, in any case. Returns 0, or
 * -1 (reported). */
static int parse_output(const char *list, int *fmt, int *labels, struct ct_fmt *cf)
{
	static const char *const fmts[] = { "table", "conntrack", "json", "csv", "xml" };
	char words[256], *w, *save = NULL;
	int given = -1;
	size_t i;

	if (strlen(list) >= sizeof(words))
		return log_error("--output: list too long: '%s'", list);
	/* (strtok_r passes over them) */
	if (!*list || *list == ',' || list[strlen(list) - 1] == ',' || strstr(list, ",,"))
		return log_error("--output: an empty word in '%s'", list);
	strcpy(words, list);
	for (w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcasecmp(w, "labels")) {
			*labels = 1;
			continue;
		}
		if (!strcasecmp(w, "extended")) {
			cf->extended = 1;
			continue;
		}
		if (!strcasecmp(w, "id")) {
			cf->id = 1;
			continue;
		}
		if (!strcasecmp(w, "ktimestamp")) {
			cf->ktimestamp = 1;
			continue;
		}
		for (i = 0; i < 5 && strcasecmp(w, fmts[i]); i++)
			;
		if (i == 5)
			return log_error("--output: unknown format '%s'", w);
		if (given >= 0 && given != (int)i)
			return log_error("--output: '%s' and '%s' exclude each other", fmts[given],
					 fmts[i]);
		given = (int)i;
	}
	if (given >= 0)
		*fmt = given;
	return 0;
}

static int list_exec(struct query_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		FILTER_LONGOPTS,
		{ 0 }
	};
	struct store_query q = { 0 };
	struct ct_filter flt = { 0 };
	struct ct_fmt cf = { 0 };
	int c, r, fmt = OUT_TABLE, labels = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, OPT_STRICT "o:h" FILTER_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (parse_output(optarg, &fmt, &labels, &cf))
				return 2;
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
	if ((cf.extended || cf.id || cf.ktimestamp) && fmt != OUT_CONNTRACK && fmt != OUT_XML) {
		const char *w = cf.extended ? "extended" : cf.id ? "id" : "ktimestamp";

		log_error("--output: %s with conntrack or xml only (as conntrack -L -o %s)", w, w);
		return 2;
	}
	filter_to_query(&flt, &q);
	q.type_mask = flt.event_mask;	/* -e: flows that had such an event */
	/* As conntrack -L: -l loads the label map, and with it the library
	 * prints the labels, -o labels or not. */
	if (flt.opts & FF_LABEL)
		labels = 1;
	return list(ctx, &flt, &q, fmt, labels, cf);
}

const struct command cmd_list = {
	.name = "list",
	.usage = list_usage,
	.summary = "list recorded flows, one per line",
	.exec = list_exec,
};
