/* ctrecord: records every conntrack event of this network namespace into an SQLite database. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ct_event.h"
#include "evmask.h"
#include "import.h"
#include "log.h"
#include "recording.h"
#include "store.h"

#define DEFAULT_BUFSIZE (256u << 20)
#define DEFAULT_QUEUE (256u << 20)

struct options {
	struct recording_opts rec;
	struct import_opts import;	/* file set: import it instead of recording */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ctrecord [--db PATH] [-b BYTES] [-e EVENTS] [--commit-interval MS]\n"
		"                [--queue-size BYTES] [--reliable] [--user NAME] [-v]\n"
		"       ctrecord [--db PATH] --import FILE [--force]\n"
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
		"  -v, --verbose           a status line every 5 seconds\n"
		"  --import FILE           load a conntrack -E log (text or XML; - for stdin)\n"
		"  --force                 import a log even if it was imported before\n"
		"  -h, --help              show this help\n"
		"  -V, --version           show the version\n"
		"\n"
		"Sizes take a K, M or G suffix. Read the history with ctquery(1).\n");
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		recording_reopen = 1;
	else
		recording_stop = 1;
}

/* Parses a positive size with an optional K, M or G suffix. */
static int parse_size(const char *opt, const char *s, size_t *out)
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
	if (*end || v < 4096 || v > (1ULL << 40))
		goto bad;
	*out = v;
	return 0;
bad:
	return log_error("invalid %s '%s' (a size from 4K, with K, M or G)", opt, s);
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
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "b:e:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			o->rec.db = optarg;
			break;
		case 'b':
			if (parse_size("--buffer-size", optarg, &o->rec.bufsize))
				return 2;
			break;
		case 'Q':
			if (parse_size("--queue-size", optarg, &o->rec.queue_size))
				return 2;
			break;
		case 'e':
			if (evmask_parse(optarg, &o->rec.evmask))
				return 2;
			break;
		case 'C':
			errno = 0;
			o->rec.commit_ms = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || o->rec.commit_ms <= 0 ||
			    o->rec.commit_ms > 60000) {
				log_error("invalid --commit-interval '%s' (1 to 60000 ms)", optarg);
				return 2;
			}
			break;
		case 'R':
			o->rec.reliable = 1;
			break;
		case 'U':
			o->rec.user = optarg;
			break;
		case 'v':
			o->rec.verbose = 1;
			break;
		case 'I':
			o->import.file = optarg;
			break;
		case 'F':
			o->import.force = 1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("ctrecord %s\n", CT_VERSION);
			return 1;
		default:
			usage(stderr);
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
	return 0;
}

static int run_import(const struct options *o)
{
	struct store *st = store_open(o->rec.db, STORE_WRITE);
	int rc;

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
		return r == 1 ? 0 : 2;
	umask(027);	/* the database and its WAL: 0640 */
	if (o.import.file)
		return run_import(&o) ? 1 : 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return recording_run(&o.rec) ? 1 : 0;
}
