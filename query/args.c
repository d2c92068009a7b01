/* Argument handling every ctquery command shares: filter options and what is left after them. */
#include <getopt.h>
#include <string.h>

#include "args.h"
#include "filter.h"
#include "log.h"
#include "opt_error.h"

int args_misplaced_db(const char *word, const char *command)
{
	if (strcmp(word, "--db") && strncmp(word, "--db=", 5))
		return 0;
	log_error("--db goes before the command: ctquery --db PATH %s ...", command);
	return 1;
}

int args_bad_option(int c, char **argv)
{
	return args_misplaced_db(optind > 0 ? argv[optind - 1] : "", argv[0]) ? 2 :
	       opt_error(c, argv, "");
}

int args_filter(struct ct_filter *f, int c, int argc, char **argv)
{
	int r = filter_option(f, c, optarg, argc, argv);

	if (r < 0)
		return 2;
	if (r == 0)
		return args_bad_option(c, argv);
	return 0;
}

int args_end(struct ct_filter *f, int argc, char **argv)
{
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	return filter_finish(f) ? 2 : 0;
}
