/* ctquery: reads the history that ctrecord stored; dispatches to one subcommand. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "opt_error.h"
#include "store.h"

static const struct command *const commands[] = {
	&cmd_replay,
	&cmd_list,
	&cmd_show,
	&cmd_stats,
	&cmd_sessions,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: ctquery [--db PATH] COMMAND [OPTIONS]\n\n"
		"Reads the conntrack history that ctrecord(8) stored.\n\n"
		"  --db PATH      database file (default: ./flows.db)\n"
		"  -h, --help     show this help; COMMAND --help shows the command's\n"
		"  -V, --version  show the version\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
}

/* The exit code once standard output is written out: a write error that
 * the command did not report itself (stats, show, --help into a full disk)
 * makes a success a failure. */
static int written(int rc)
{
	if ((fflush(stdout) || ferror(stdout)) && rc == 0) {
		log_errno("cannot write the output");
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	struct query_ctx ctx = { .db = "flows.db" };
	size_t i;
	int c;

	log_init("ctquery");
	opterr = 0;	/* one line of our own per bad option */
	while ((c = getopt_long(argc, argv, "+" OPT_STRICT "hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			if (!*optarg) {
				log_error("--db: an empty path; see 'ctquery --help'");
				return 2;
			}
			ctx.db = optarg;
			break;
		case 'h':
			usage(stdout);
			return written(0);
		case 'V':
			printf("ctquery %s\n", CT_VERSION);
			return written(0);
		default:
			return opt_error(c, argv, "; see 'ctquery --help'");
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (!strcmp(argv[optind], commands[i]->name)) {
			int first = optind;

			optind = 0;	/* the command parses its own options afresh */
			return written(commands[i]->exec(&ctx, argc - first, argv + first));
		}
	}
	log_error("unknown command '%s'; see 'ctquery --help'", argv[optind]);
	return 2;
}
