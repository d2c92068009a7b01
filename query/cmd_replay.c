/* ctquery replay: prints recorded events exactly as `conntrack -E` printed them live. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "ct_format.h"
#include "evmask.h"
#include "filter.h"
#include "filter_text.h"
#include "log.h"
#include "store.h"

static const char replay_usage[] = "replay [-o FORMAT[,...]] [--pretty] [-e EVENTS] [FILTER...]";

static void usage(FILE *out)
{
	fprintf(out, "usage: ctquery [--db PATH] %s\n\n"
		"Prints the recorded events as conntrack -E printed them.\n\n"
		"  -o, --output LIST      extended, xml, timestamp, id, ktimestamp, labels,\n"
		"                         userspace (as conntrack -o); or json: one JSON\n"
		"                         object per event per line (not with xml; the\n"
		"                         other words have no effect on it), fields: flow,\n"
		"                         t_us, time (ISO 8601 UTC), type, family, proto,\n"
		"                         src, dst, sport, dport | icmp_type, icmp_code,\n"
		"                         icmp_id, orig_zone (and reply_* for the reply\n"
		"                         tuple),\n"
		"                         then only what the event carried: zone, mark,\n"
		"                         ct_id, state, packets_orig, bytes_orig,\n"
		"                         packets_reply, bytes_reply, status (flag names),\n"
		"                         timeout, start_ns, stop_ns, ktime_ns, portid,\n"
		"                         progname\n"
		"  --pretty               with -o xml: the documented, indented XML layout\n"
		"  -e, --event-mask LIST  NEW,UPDATE,DESTROY,ALL (default: ALL)\n"
		"  -h, --help             show this help\n%s", replay_usage, filter_usage);
}

/* Takes the word "json" out of a -o list (setting *json), and hands the
 * other words to ct_fmt_parse. Returns 0 or -1 (reported). */
static int parse_output(struct ct_fmt *fmt, int *json, const char *list)
{
	char words[256], rest[256] = "", *w, *save = NULL;

	if (strlen(list) >= sizeof(words))
		return log_error("-o list too long: '%s'", list);
	strcpy(words, list);
	for (w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "json")) {
			*json = 1;
			continue;
		}
		if (rest[0])
			strcat(rest, ",");
		strcat(rest, w);
	}
	return rest[0] ? ct_fmt_parse(fmt, rest) : 0;
}

static int replay(struct query_ctx *ctx, struct ct_fmt *fmt, int json,
		  const struct store_query *q, const struct ct_filter *flt)
{
	int64_t shown = 0;
	struct store *st = store_open(ctx->db, STORE_READ);
	struct store_cursor *c = NULL;
	static struct ct_event ev;
	int64_t flow;
	int r = -1;

	if (!st)
		return -1;
	c = store_events(st, q);
	if (!c || (!json && ct_fmt_open(fmt)))
		goto out;
	while ((r = store_next(c, &ev, &flow)) > 0) {
		if (!filter_match(flt, &ev))
			continue;
		if (flt->limit && shown++ >= flt->limit)
			break;
		if (json) {
			ft_event_json(&ev, flow, stdout);
		} else if (ct_fmt_event(fmt, &ev, stdout)) {
			r = -1;
			break;
		}
	}
	ct_fmt_close(fmt, stdout);
	if (fflush(stdout) || ferror(stdout))
		r = log_errno("cannot write the output");
out:
	store_cursor_free(c);
	store_close(st);
	return r < 0 ? -1 : 0;
}

static int replay_exec(struct query_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "event-mask", required_argument, NULL, 'e' },
		{ "pretty", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		FILTER_LONGOPTS,
		{ 0 }
	};
	struct ct_fmt fmt = { 0 };
	struct store_query q = { 0 };
	struct ct_filter flt = { 0 };
	int c, r, json = 0;

	opterr = 0;	/* one line of our own per bad option */
	while ((c = getopt_long(argc, argv, "o:e:h" FILTER_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (parse_output(&fmt, &json, optarg))
				return 2;
			break;
		case 'e':
			if (evmask_parse(optarg, &q.type_mask))
				return 2;
			break;
		case 'P':
			fmt.pretty = 1;
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
	if (json && fmt.xml) {
		log_error("-o json and -o xml exclude each other");
		return 2;
	}
	if (fmt.pretty && !fmt.xml) {
		log_error("--pretty needs -o xml");
		return 2;
	}
	return replay(ctx, &fmt, json, &q, &flt) ? 1 : 0;
}

const struct command cmd_replay = {
	.name = "replay",
	.usage = replay_usage,
	.summary = "print recorded events as conntrack -E printed them",
	.exec = replay_exec,
};
