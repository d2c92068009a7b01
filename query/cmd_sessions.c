/* ctquery sessions: the recorder runs and imports in the database, with their flows, events and gaps. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "grow.h"
#include "log.h"
#include "opt_error.h"
#include "recorder_lock.h"
#include "store.h"
#include "timeparse.h"

/* The sessions read, to be printed once the last recorder run is known. */
struct session_list {
	struct store_session *s;
	size_t n, cap;
	size_t last_record;	/* the index of the last recorder run + 1, 0: none */
	int failed;		/* out of memory (reported) */
};

static const char sessions_usage[] = "sessions";

/* s with its control characters (a file name may hold any) as \xNN, into
 * out of size bytes. */
static const char *printable(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s && n + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = 0;
	return out;
}

static int keep_session(const struct store_session *s, void *arg)
{
	struct session_list *l = arg;
	struct store_session *a = grow_array(l->s, &l->cap, l->n, sizeof(*a), 16);

	if (!a)
		return l->failed = 1;
	l->s = a;
	a[l->n++] = *s;
	if (!strcmp(s->kind, "record"))
		l->last_record = l->n;
	return 0;
}

/* What STOPPED says of a session that did not stop: a recorder run that
 * another followed crashed (one recorder per database: the next one started
 * after it died), and so did the last one unless a ctrecord holds the file
 * (held: 1 yes, 0 no, -1 cannot tell). An import is one transaction: a
 * killed one leaves no session. */
static const char *not_stopped(const struct session_list *l, size_t i, int held)
{
	if (i + 1 != l->last_record)
		return "(crashed)";
	return held < 0 ? "(running/crashed)" : held ? "(recording)" : "(crashed)";
}

static void print_session(const struct store_session *s, const char *unstopped)
{
	char start[40], stop[40], lost[24], host[4 * sizeof(s->host)], source[4 * sizeof(s->source)];

	time_format(start, sizeof(start), s->started_us, 0);
	if (s->stopped_us)
		time_format(stop, sizeof(stop), s->stopped_us, 0);
	/* ?: gaps that lost an unknown number (ENOBUFS, an outage); N+: at least N */
	if (s->gaps.unknown && !s->gaps.lost)
		snprintf(lost, sizeof(lost), "?");
	else
		snprintf(lost, sizeof(lost), "%lld%s", (long long)s->gaps.lost,
			 s->gaps.unknown ? "+" : "");
	printf("%-4lld %-7s %-19s %-19s %8lld %9lld %5lld %6s %s%s%s\n", (long long)s->id,
	       s->kind, start, s->stopped_us ? stop : unstopped,
	       (long long)s->flows, (long long)s->events, (long long)s->gaps.n,
	       lost, printable(s->host, host, sizeof(host)), s->source[0] ? " " : "",
	       printable(s->source, source, sizeof(source)));
}

static int sessions_exec(struct query_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct session_list l = { 0 };
	struct store *st;
	size_t i;
	int c, r, held = -1;

	opterr = 0;	/* (as every command: --he is --help, -p an unknown option) */
	while ((c = getopt_long(argc, argv, OPT_STRICT "h", longopts, NULL)) != -1) {
		if (c != 'h')
			return args_bad_option(c, argv);
		printf("usage: ctquery [--db PATH] %s\n\nLists the recorder runs and imports.\n",
		       sessions_usage);
		return 0;
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	st = store_open(ctx->db, STORE_READ);
	if (!st)
		return 1;
	r = store_sessions(st, keep_session, &l);
	store_leave(st);
	if (r || l.failed) {
		free(l.s);
		return 1;
	}
	if (l.last_record && !l.s[l.last_record - 1].stopped_us)
		held = recorder_lock_held(ctx->db);
	printf("%-4s %-7s %-19s %-19s %8s %9s %5s %6s %s\n", "ID", "KIND", "STARTED", "STOPPED",
	       "FLOWS", "EVENTS", "GAPS", "LOST", "HOST/SOURCE");
	for (i = 0; i < l.n; i++)
		print_session(&l.s[i], not_stopped(&l, i, held));
	free(l.s);
	return 0;
}

const struct command cmd_sessions = {
	.name = "sessions",
	.usage = sessions_usage,
	.summary = "list recorder runs and imports",
	.exec = sessions_exec,
};
