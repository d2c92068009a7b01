/* Argument handling every ctquery command shares: filter options and what is left after them. */
#include <getopt.h>

#include "args.h"
#include "filter.h"
#include "log.h"
#include "opt_error.h"

int args_filter(struct ct_filter *f, int c, int argc, char **argv)
{
	int r = filter_option(f, c, optarg, argc, argv);

	if (r < 0)
		return 2;
	if (r == 0)
		return opt_error(c, argv, "");
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
