/* The table of ctquery's subcommands, each in a file of its own. */
#ifndef CT_COMMANDS_H
#define CT_COMMANDS_H

struct query_ctx {
	const char *db;		/* --db PATH */
};

struct command {
	const char *name;
	const char *usage;	/* the synopsis after "ctquery [--db PATH] " */
	const char *summary;
	/* Runs with argv[0] = the command name. Returns the exit code:
	 * 0 ok, 1 runtime failure, 2 usage error. */
	int (*exec)(struct query_ctx *ctx, int argc, char **argv);
};

extern const struct command cmd_replay;
extern const struct command cmd_list;
extern const struct command cmd_show;
extern const struct command cmd_stats;
extern const struct command cmd_sessions;

#endif
