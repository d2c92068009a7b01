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
		"  -h, --help     show this help; --help COMMAND shows COMMAND's\n"
		"  -V, --version  show the version\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
}

/* The command named name, or NULL after reporting that there is none. */
static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i]->name))
			return commands[i];
	log_error("unknown command '%s'; see 'ctquery --help'", name);
	return NULL;
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

/* --help COMMAND: the command's help, as COMMAND --help prints it (argv[0]
 * is the command's name, nothing may follow it). Returns the exit code. */
static int command_help(struct query_ctx *ctx, int argc, char **argv)
{
	const struct command *cmd = find_command(argv[0]);
	char *args[] = { argv[0], "--help", NULL };

	if (!cmd)
		return 2;
	if (argc > 1) {
		log_error("unexpected argument '%s' after --help %s", argv[1], argv[0]);
		return 2;
	}
	optind = 0;
	return written(cmd->exec(ctx, 2, args));
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
	const struct command *cmd;
	int c, help = 0, first;

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
			help = 1;
			break;
		case 'V':
			printf("ctquery %s\n", CT_VERSION);
			return written(0);
		default:
			return opt_error(c, argv, "; see 'ctquery --help'");
		}
	}
	if (help && optind >= argc) {
		usage(stdout);
		return written(0);
	}
	if (help)
		return command_help(&ctx, argc - optind, argv + optind);
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	first = optind;
	cmd = find_command(argv[optind]);
	if (!cmd)
		return 2;
	optind = 0;	/* the command parses its own options afresh */
	return written(cmd->exec(&ctx, argc - first, argv + first));
}
