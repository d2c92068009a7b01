/* ctrecord: records every conntrack event of this network namespace into an SQLite database. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ct_event.h"
#include "evmask.h"
#include "filter.h"
#include "import.h"
#include "log.h"
#include "opt_error.h"
#include "recording.h"
#include "retention.h"
#include "store.h"

#define DEFAULT_BUFSIZE (256u << 20)
/* The queue takes a table dump's datagrams too (up to 32 KiB each): at
 * least two of them. */
#define QUEUE_MIN (64u << 10)
#define DEFAULT_QUEUE (256u << 20)

struct options {
	struct recording_opts rec;
	struct ct_filter filter;	/* what to record (conntrack's filter options) */
	struct retention retention;
	int prune;			/* --prune: prune once and exit */
	int upgrade;			/* --upgrade: bring the schema up to date and exit */
	struct import_opts import;	/* file set: import it instead of recording */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ctrecord [--db PATH] [-b BYTES] [-e EVENTS] [--commit-interval MS]\n"
		"                [--queue-size BYTES] [--reliable] [--user NAME]\n"
		"                [--retain AGE] [--max-size BYTES] [-v] [FILTER...]\n"
		"       ctrecord [--db PATH] --import FILE [--force] [--continue]\n"
		"       ctrecord [--db PATH] --prune [--retain AGE] [--max-size BYTES]\n"
		"       ctrecord [--db PATH] --upgrade\n"
		"\n"
		"Records every conntrack event (NEW, UPDATE, DESTROY) of this network\n"
		"namespace into an SQLite database, until SIGINT or SIGTERM.\n"
		"\n"
		"  --db PATH               database file (default: ./flows.db)\n"
		"  -b, --buffer-size BYTES netlink receive buffer (default: 256M)\n"
		"  --queue-size BYTES      memory for events waiting for the disk (default: 256M)\n"
		"  -e, --event-mask LIST   events to record: NEW,UPDATE,DESTROY,ALL (default: ALL)\n"
		"  --commit-interval MS    commit at least this often (default: 100)\n"
		"  --reliable              ask the kernel to re-deliver DESTROY events it could\n"
		"                          not deliver (may delay entry removal under load)\n"
		"  --user NAME             run as NAME once the netlink sockets are open\n"
		"  -v, --verbose           a status line every 5 seconds (on a terminal, one\n"
		"                          is kept up to date in place without -v)\n"
		"  --retain AGE            remove flows that ended longer ago than AGE\n"
		"                          (seconds, or with s, m, h, d or w: 30d), in small\n"
		"                          steps while recording\n"
		"  --max-size BYTES        remove the oldest flows while the history is larger\n"
		"  --prune                 apply --retain and --max-size once, then exit\n"
		"  --upgrade               bring an older database up to date, then exit\n"
		"  --import FILE           load a conntrack -E log (text, XML or save\n"
		"                          output; - for stdin)\n"
		"  --force                 import a log even if it was imported before\n"
		"  --continue              the log continues the one imported last (rotated):\n"
		"                          continue the flows that import left open\n"
		"  -h, --help              show this help\n"
		"  -V, --version           show the version\n"
		"\n"
		"Sizes take a K, M or G suffix. Read the history with ctquery(1).\n"
		"\nFILTER: record only what matches (-p and IPv4 -s/-d are also applied in the\n"
		"kernel):\n"
		"%s", filter_match_usage);
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		recording_reopen = 1;
	else
		recording_stop = 1;
}

/* Parses a positive size with an optional K, M or G suffix. */
static int parse_size(const char *opt, const char *s, size_t min, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		goto bad;
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	if (*end || v < min || v > (1ULL << 40))
		goto bad;
	*out = v;
	return 0;
bad:
	return log_error("invalid %s '%s' (a size from %zuK to 1024G, with K, M or G)", opt, s,
			 min >> 10);
}

/* Parses an age: a positive number with s, m, h, d or w (seconds without). */
static int parse_age(const char *s, int64_t *us)
{
	char *end;
	long long v;
	int64_t unit = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	switch (*end) {
	case 's': end++; break;
	case 'm': unit = 60; end++; break;
	case 'h': unit = 3600; end++; break;
	case 'd': unit = 86400; end++; break;
	case 'w': unit = 7 * 86400; end++; break;	/* (as ctquery's -1w) */
	}
	if (errno || end == s || *end || v <= 0 || v > 100LL * 365 * 86400 / unit)
		return log_error("invalid --retain '%s' (a positive age such as 3600s, 90m, 12h,"
				 " 30d, 4w, at most 36500d)", s);
	*us = (int64_t)v * unit * 1000000;
	return 0;
}

/* The exit code after --help or --version: 0, or 1 when they could not be
 * written (reported). */
static int printed(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		log_errno("cannot write the output");
		return 1;
	}
	return 0;
}

/* Returns 0 to run, 1 to exit 0 (help, version), 2 on a usage error. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "buffer-size", required_argument, NULL, 'b' },
		{ "queue-size", required_argument, NULL, 'Q' },
		{ "event-mask", required_argument, NULL, 'e' },
		{ "commit-interval", required_argument, NULL, 'C' },
		{ "reliable", no_argument, NULL, 'R' },
		{ "user", required_argument, NULL, 'U' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "import", required_argument, NULL, 'I' },
		{ "retain", required_argument, NULL, 'A' },
		{ "max-size", required_argument, NULL, 'M' },
		{ "prune", no_argument, NULL, 'P' },
		{ "upgrade", no_argument, NULL, 'G' },
		{ "force", no_argument, NULL, 'F' },
		{ "continue", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		FILTER_LONGOPTS,
		{ 0 }
	};
	const char *rec_opt = NULL;	/* an option of recording's given (the last) */
	const char *rec_opt_evmask = NULL;	/* -e given */
	char *end;
	int c, r;

	opterr = 0;	/* one line of our own per bad option */
	while ((c = getopt_long(argc, argv, OPT_STRICT "b:e:vhV" FILTER_SHORTOPTS, longopts, NULL)) != -1) {
		switch (c) {
		case 'D':	/* (SQLite would open "" as a temporary database) */
			if (!*optarg) {
				log_error("--db: an empty path; see 'ctrecord --help'");
				return 2;
			}
			o->rec.db = optarg;
			break;
		case 'b':
			rec_opt = "--buffer-size";
			if (parse_size("--buffer-size", optarg, 4096, &o->rec.bufsize))
				return 2;
			break;
		case 'Q':
			rec_opt = "--queue-size";
			if (parse_size("--queue-size", optarg, QUEUE_MIN, &o->rec.queue_size))
				return 2;
			break;
		case 'e':	/* the first replaces the default (all); more add up */
			if (!rec_opt_evmask)
				o->rec.evmask = 0;
			rec_opt = rec_opt_evmask = "--event-mask";
			if (evmask_parse(optarg, &o->rec.evmask))
				return 2;
			break;
		case 'C':
			rec_opt = "--commit-interval";
			errno = 0;
			o->rec.commit_ms = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || o->rec.commit_ms <= 0 ||
			    o->rec.commit_ms > 60000) {
				log_error("invalid --commit-interval '%s' (1 to 60000 ms)", optarg);
				return 2;
			}
			break;
		case 'R':
			rec_opt = "--reliable";
			o->rec.reliable = 1;
			break;
		case 'U':
			rec_opt = "--user";
			o->rec.user = optarg;
			break;
		case 'v':
			rec_opt = "--verbose";	/* (the status line is recording's) */
			o->rec.verbose = 1;
			break;
		case 'I':
			o->import.file = optarg;
			break;
		case 'A':
			if (parse_age(optarg, &o->retention.keep_us))
				return 2;
			break;
		case 'M': {
			size_t max;

			if (parse_size("--max-size", optarg, 4096, &max))
				return 2;
			o->retention.max_bytes = (int64_t)max;
			break;
		}
		case 'P':
			o->prune = 1;
			break;
		case 'G':
			o->upgrade = 1;
			break;
		case 'F':
			o->import.force = 1;
			break;
		case 'K':
			o->import.cont = 1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("ctrecord %s\n", CT_VERSION);
			return 1;
		case FO_SINCE: case FO_UNTIL: case FO_AT: case FO_FLOW: case FO_LIMIT:
		case FO_WHERE: case FO_SESSION:
			log_error("--since, --until, --at, --flow, --limit, --where and --session"
				  " select history: they are ctquery's options, not ctrecord's");
			return 2;
		default:
			rec_opt = "a filter (-p, -s, ...)";
			r = filter_option(&o->filter, c, optarg, argc, argv);
			if (r == 0)
				return opt_error(c, argv, "; see 'ctrecord --help'");
			if (r < 0)
				return 2;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (o->import.force && !o->import.file) {
		log_error("--force goes with --import");
		return 2;
	}
	if (o->import.cont && !o->import.file) {
		log_error("--continue goes with --import");
		return 2;
	}
	if (o->prune && !retention_enabled(&o->retention)) {
		log_error("--prune needs --retain or --max-size");
		return 2;
	}
	if (o->prune && o->import.file) {
		log_error("--prune and --import do not go together");
		return 2;
	}
	if (o->upgrade && (o->prune || o->import.file || rec_opt ||
			   retention_enabled(&o->retention))) {
		log_error("--upgrade goes alone");
		return 2;
	}
	/* rather than ignored: an import stores the whole log, a prune removes
	 * by age and size only */
	if ((o->import.file || o->prune) && rec_opt) {
		log_error("%s is for recording, not for %s", rec_opt,
			  o->import.file ? "--import" : "--prune");
		return 2;
	}
	if (o->import.file && retention_enabled(&o->retention)) {
		log_error("--retain and --max-size apply while recording or with --prune,"
			  " not with --import");
		return 2;
	}
	if (retention_enabled(&o->retention))
		o->rec.retention = &o->retention;
	if (filter_finish(&o->filter) || filter_for_events(&o->filter))
		return 2;
	if (o->filter.opts)
		o->rec.filter = &o->filter;
	return 0;
}

/* For --prune and --upgrade, which work on a database there is: opening one
 * for writing creates it, and a mistyped path made an empty database, said
 * pruned or up to date. Returns NULL when it is missing or cannot be opened
 * (reported). */
static struct store *open_existing(const char *db)
{
	if (access(db, F_OK)) {
		log_errno("cannot open '%s'", db);
		return NULL;
	}
	return store_open(db, STORE_WRITE);
}

static int run_prune(struct options *o)
{
	struct store *st = open_existing(o->rec.db);
	int rc;

	if (!st)
		return -1;
	rc = store_fold_waiting(st) || retention_run(&o->retention, st) ? -1 : 0;
	store_close(st);
	return rc;
}

/* Opening for writing migrates an older schema (lib/store.c); indexes
 * someone dropped are made again. */
static int run_upgrade(const struct options *o)
{
	struct store *st = open_existing(o->rec.db);
	int rc;

	if (!st)
		return -1;
	rc = store_fold_waiting(st) || store_compact(st) || store_make_indexes(st) ? -1 : 0;
	store_close(st);
	if (!rc)
		log_info("'%s' is up to date (schema version %d)", o->rec.db,
			 STORE_SCHEMA_VERSION);
	return rc;
}

static int run_import(const struct options *o)
{
	struct store *st;
	int rc;

	/* A closed standard input would be the first descriptor SQLite opens,
	 * which it gives /dev/null: "no events in it", and exit status 0. */
	if (!strcmp(o->import.file, "-") && fcntl(STDIN_FILENO, F_GETFL) < 0)
		return log_errno("cannot read '<stdin>'");
	st = store_open(o->rec.db, STORE_WRITE);
	if (!st)
		return -1;
	rc = import_log(st, &o->import);
	store_close(st);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {
		.rec = { .db = "flows.db", .bufsize = DEFAULT_BUFSIZE,
			 .queue_size = DEFAULT_QUEUE, .commit_ms = 100,
			 .evmask = 1 << CT_EV_NEW | 1 << CT_EV_UPDATE | 1 << CT_EV_DESTROY },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	int r;

	log_init("ctrecord");
	r = parse_options(argc, argv, &o);
	if (r)
		return r == 1 ? printed() : 2;
	umask(027);	/* the database and its WAL: 0640 */
	if (o.import.file)
		return run_import(&o) ? 1 : 0;
	if (o.prune)
		return run_prune(&o) ? 1 : 0;
	if (o.upgrade)
		return run_upgrade(&o) ? 1 : 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return recording_run(&o.rec) ? 1 : 0;
}
