/* ctquery replay: prints recorded events exactly as `conntrack -E` printed them live. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "ct_format.h"
#include "evmask.h"
#include "filter.h"
#include "filter_text.h"
#include "log.h"
#include "open_query.h"
#include "timeparse.h"
#include "opt_error.h"
#include "parformat.h"
#include "readahead.h"
#include "store.h"

static const char replay_usage[] =
	"replay [-o FORMAT[,...]] [--pretty] [-e EVENTS] [--speed X] [--follow] [FILTER...]";

static void usage(FILE *out)
{
	fprintf(out, "usage: ctquery [--db PATH] %s\n\n"
		"Prints the recorded events as conntrack -E printed them.\n\n"
		"  -o, --output LIST      extended, xml, timestamp, id, ktimestamp, labels,\n"
		"                         userspace, save (as conntrack -o; save: each\n"
		"                         event as a conntrack command line, -A, -U or -D,\n"
		"                         with userspace alone); or json: one JSON\n"
		"                         object per event per line (not with xml or save;\n"
		"                         of the other words only labels counts), fields:\n"
		"                         flow, t_us, time (ISO 8601 UTC), type, family,\n"
		"                         proto, src, dst, sport, dport | icmp_type,\n"
		"                         icmp_code, icmp_id, orig_zone (and reply_* for\n"
		"                         the reply tuple),\n"
		"                         then only what the event carried: zone, mark,\n"
		"                         ct_id, state, packets_orig, bytes_orig,\n"
		"                         packets_reply, bytes_reply, labels (names, with\n"
		"                         ,labels or -l), status (flag names),\n"
		"                         timeout, start_ns, stop_ns, ktime_ns, portid,\n"
		"                         progname\n"
		"  --pretty               with -o xml: the documented, indented XML layout\n"
		"  --speed X              re-enact the recorded pacing, X times as fast\n"
		"                         (1 = as it happened)\n"
		"  --follow               then keep printing new events as ctrecord stores\n"
		"                         them, until SIGINT (like tail -f)\n"
		"  -h, --help             show this help\n%s", replay_usage, filter_event_usage);
}

/* Takes the word "json" out of a -o list (setting *json), and hands the
 * other words to ct_fmt_parse. Returns 0 or -1 (reported). */
static int parse_output(struct ct_fmt *fmt, int *json, const char *list)
{
	char words[256], rest[256] = "", *w, *save = NULL;

	if (strlen(list) >= sizeof(words))
		return log_error("-o list too long: '%s'", list);
	/* (strtok_r passes over them; conntrack refuses them: "Bad parameter") */
	if (!*list || *list == ',' || list[strlen(list) - 1] == ',' || strstr(list, ",,"))
		return log_error("-o: an empty word in '%s'", list);
	strcpy(words, list);
	for (w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcasecmp(w, "json")) {
			*json = 1;
			continue;
		}
		if (rest[0])
			strcat(rest, ",");
		strcat(rest, w);
	}
	return rest[0] ? ct_fmt_parse(fmt, rest) : 0;
}

/* How to go through the events: as fast as possible, at a pace, or on and on. */
struct run {
	struct ct_fmt *fmt;
	int json;
	const struct ct_filter *flt;
	double speed;		/* --speed: 1 = as it happened; 0 = no pacing */
	int follow;		/* --follow: wait for new events until a signal */
	int threads;		/* formatting threads: see replay_threads() */
	int64_t shown, prev_us;
	int64_t last_id;	/* the last event read */
	int write_errno;	/* writing the output failed (not reported yet) */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Sleeps us microseconds, or less when a signal asks to stop. */
static void nap(int64_t us)
{
	while (us > 0 && !stop_requested) {
		int64_t step = us < 100000 ? us : 100000;

		usleep((useconds_t)step);
		us -= step;
	}
}

/* Waits as long as the gap to the previous event, divided by the speed. */
static void pace(struct run *r, int64_t t_us)
{
	if (r->speed > 0 && r->prev_us && t_us > r->prev_us) {
		double w = (double)(t_us - r->prev_us) / r->speed;

		fflush(stdout);
		nap(w < 1e15 ? (int64_t)w : (int64_t)1e15);	/* (30 years: int64 holds it) */
	}
	r->prev_us = t_us;
}

/* Prints the events q selects: formatted on r->threads threads (parformat.c)
 * when nothing needs them one by one, else read ahead on a thread of their
 * own while this one formats (--speed and --follow flush each event as it
 * comes; --pretty writes through libxml2). Returns 1 when --limit is
 * reached, 0 when they ran out, -1 on an error (reported). */
static int pass(struct store *st, struct run *r, const struct store_query *q)
{
	int64_t left = r->flt->limit ? r->flt->limit - r->shown : 0;
	struct readahead *ra;
	const struct ra_event *e;
	int rc = 0;

	if (r->flt->limit && left <= 0)
		return 1;
	if (r->threads > 1 && r->speed == 0 && !r->follow && parformat_usable(r->fmt)) {
		struct parformat_result res = { .last_id = r->last_id };

		rc = parformat(st, q, r->flt, left, r->fmt, r->json, r->threads,
			       &stop_requested, stdout, &res);
		r->shown += res.shown;
		r->last_id = res.last_id;
		r->write_errno = res.write_errno;
		if (rc == 0 && r->flt->limit && r->shown >= r->flt->limit)
			rc = 1;
		return stop_requested ? 1 : rc;
	}
	ra = readahead_start(st, q, r->flt, left);
	if (!ra)
		return -1;
	while (!stop_requested && (rc = readahead_next(ra, &e)) > 0) {
		r->last_id = e->id;
		r->shown++;
		pace(r, e->ev.t_us);
		if (r->json) {
			ft_event_json(&e->ev, e->flow, r->fmt->labelmap, stdout);
		} else if (ct_fmt_event(r->fmt, &e->ev, stdout)) {
			rc = -1;
			break;
		}
		if (r->speed > 0 || r->follow)
			fflush(stdout);
	}
	readahead_end(ra);
	if (rc == 0 && r->flt->limit && r->shown >= r->flt->limit)
		rc = 1;
	return stop_requested ? 1 : rc;
}

/* Returns the exit code: 0, 1 on an error, 2 for a bad --where (reported). */
static int replay(struct query_ctx *ctx, struct run *r, struct store_query *q)
{
	struct store *st;
	int rc = open_query(ctx, q, &st);

	if (rc)
		return rc;
	rc = -1;
	/* Into a file or a pipe, write 64 KiB at a time instead of stdio's
	 * st_blksize (4 KiB): a tenth of a microsecond an event, in system calls.
	 * A terminal keeps its line buffering. Nothing was printed yet. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	/* (json: the label map of -o json,labels or -l) */
	if (!ct_fmt_open(r->fmt)) {
		/* --follow: each pass starts a read of its own, so it sees what
		 * ctrecord committed since the last one; like tail -f. */
		while ((rc = pass(st, r, q)) == 0 && r->follow) {
			/* past --until, no event to come is in the window */
			if ((q->pf & STORE_PF_UNTIL) && time_now_us() > q->until_us)
				break;
			fflush(stdout);
			/* No snapshot held while waiting: ctrecord's checkpoints
			 * can then take the whole -wal and start it again from
			 * its start. Held always, it kept the -wal from ever
			 * being reused: 1.5 GB in 13 minutes at 5,000 events/s. */
			if (store_read_end(st)) {
				rc = -1;
				break;
			}
			nap(200000);
			if (store_read_snapshot(st)) {
				rc = -1;
				break;
			}
			q->pf |= STORE_PF_AFTER;
			q->after_id = r->last_id;
		}
	}
	/* Asked to stop: what is left to write must not wait for a reader
	 * that may never read (a pager left open), or the signal would not
	 * end the process. Not on a terminal, whose file the shell shares. */
	if (stop_requested && !isatty(STDOUT_FILENO))
		fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK);
	ct_fmt_close(r->fmt, stdout);	/* as conntrack -E on SIGINT */
	/* (the write a signal interrupted, or that could not wait: what was
	 * asked, not a failure) */
	if ((fflush(stdout) || ferror(stdout) || r->write_errno) && !stop_requested) {
		if (r->write_errno)
			errno = r->write_errno;
		rc = log_errno("cannot write the output");
	}
	if (stop_requested) {	/* what could not be written is dropped, not retried */
		__fpurge(stdout);
		clearerr(stdout);
	}
	store_leave(st);
	return rc < 0 ? 1 : 0;
}

/* How many threads format: CTQUERY_THREADS when set (1 formats on this
 * thread alone, the store read ahead on a second: the way before, kept to
 * compare outputs with), else one per processor this process may run on,
 * at most PARFORMAT_MAX_THREADS. */
static int replay_threads(void)
{
	const char *env = getenv("CTQUERY_THREADS");
	cpu_set_t cpus;
	long n;
	char *end;

	if (env && *env) {
		errno = 0;
		n = strtol(env, &end, 10);
		if (!errno && !*end && n >= 1 && n <= PARFORMAT_MAX_THREADS)
			return (int)n;
		log_warn("CTQUERY_THREADS: '%s' is not a number from 1 to %d; ignored", env,
			 PARFORMAT_MAX_THREADS);
	}
	n = sched_getaffinity(0, sizeof(cpus), &cpus) ? sysconf(_SC_NPROCESSORS_ONLN) :
							 CPU_COUNT(&cpus);
	return n < 1 ? 1 : n > PARFORMAT_MAX_THREADS ? PARFORMAT_MAX_THREADS : (int)n;
}

/* Parses --speed: a positive factor. */
static int parse_speed(const char *arg, double *speed)
{
	char *end;

	/* (below 10^-6, a second of history would wait 11 days: a mistake) */
	*speed = strtod(arg, &end);
	if (end == arg || *end || !(*speed >= 1e-6) || *speed > 1e6)
		return log_error("--speed: invalid factor '%s' (from 0.000001 to 1000000:"
				 " 1 = as it happened, 10 = ten times faster)", arg);
	return 0;
}

static int replay_exec(struct query_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "event-mask", required_argument, NULL, 'e' },
		{ "pretty", no_argument, NULL, 'P' },
		{ "speed", required_argument, NULL, 'S' },
		{ "follow", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		FILTER_LONGOPTS,
		{ 0 }
	};
	struct ct_fmt fmt = { 0 };
	struct store_query q = { 0 };
	struct ct_filter flt = { 0 };
	struct run run = { .fmt = &fmt, .flt = &flt };
	struct sigaction sa = { .sa_handler = on_signal };
	int c, r, json = 0;

	opterr = 0;	/* one line of our own per bad option */
	while ((c = getopt_long(argc, argv, OPT_STRICT "o:e:h" FILTER_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (parse_output(&fmt, &json, optarg))
				return 2;
			break;
		case 'e':	/* (repeated, the types add up) */
			if (evmask_parse(optarg, &q.type_mask))
				return 2;
			break;
		case 'P':
			fmt.pretty = 1;
			break;
		case 'S':
			if (parse_speed(optarg, &run.speed))
				return 2;
			break;
		case 'F':
			run.follow = 1;
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
	if (filter_for_events(&flt) || ct_fmt_check(&fmt))
		return 2;
	filter_to_query(&flt, &q);
	/* As conntrack -E: -l loads the label map, and with it the library
	 * prints the labels, -o labels or not. */
	if (flt.opts & FF_LABEL)
		fmt.labels = 1;
	if (json && fmt.xml) {
		log_error("-o json and -o xml exclude each other");
		return 2;
	}
	if (json && fmt.save) {
		log_error("-o json and -o save exclude each other");
		return 2;
	}
	if (fmt.pretty && !fmt.xml) {
		log_error("--pretty needs -o xml");
		return 2;
	}
	run.json = json;
	run.threads = replay_threads();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return replay(ctx, &run, &q);
}

const struct command cmd_replay = {
	.name = "replay",
	.usage = replay_usage,
	.summary = "print recorded events as conntrack -E printed them",
	.exec = replay_exec,
};
