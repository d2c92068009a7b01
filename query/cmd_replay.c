/* ctquery replay: prints recorded events exactly as `conntrack -E` printed them live. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "commands.h"
#include "ct_format.h"
#include "evmask.h"
#include "filter.h"
#include "log.h"
#include "store.h"

static const char replay_usage[] = "replay [-o FORMAT[,...]] [--pretty] [-e EVENTS] [FILTER...]";

static void usage(FILE *out)
{
	fprintf(out, "usage: ctquery [--db PATH] %s\n\n"
		"Prints the recorded events as conntrack -E printed them.\n\n"
		"  -o, --output LIST      extended, xml, timestamp, id, ktimestamp, labels,\n"
		"                         userspace (as conntrack -o)\n"
		"  --pretty               with -o xml: the documented, indented XML layout\n"
		"  -e, --event-mask LIST  NEW,UPDATE,DESTROY,ALL (default: ALL)\n"
		"  -h, --help             show this help\n%s", replay_usage, filter_usage);
}

static int replay(struct query_ctx *ctx, struct ct_fmt *fmt, const struct store_query *q,
		  const struct ct_filter *flt)
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
	if (!c || ct_fmt_open(fmt))
		goto out;
	while ((r = store_next(c, &ev, &flow)) > 0) {
		if (!filter_match(flt, &ev))
			continue;
		if (flt->limit && shown++ >= flt->limit)
			break;
		if (ct_fmt_event(fmt, &ev, stdout)) {
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
	int c, r;

	opterr = 0;	/* one line of our own per bad option */
	while ((c = getopt_long(argc, argv, "o:e:h" FILTER_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (ct_fmt_parse(&fmt, optarg))
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
	if (fmt.pretty && !fmt.xml) {
		log_error("--pretty needs -o xml");
		return 2;
	}
	return replay(ctx, &fmt, &q, &flt) ? 1 : 0;
}

const struct command cmd_replay = {
	.name = "replay",
	.usage = replay_usage,
	.summary = "print recorded events as conntrack -E printed them",
	.exec = replay_exec,
};
