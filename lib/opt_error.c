/* One line for a command-line option getopt_long rejected: unknown, missing its value, or given one it does not take. */
#include <getopt.h>
#include <string.h>

#include "log.h"
#include "opt_error.h"

int opt_error(int c, char *const argv[], const char *hint)
{
	/* getopt_long has stepped past the word it rejected, except for an
	 * unknown letter inside a cluster ("-vZx"), which optopt names. */
	const char *word = optind > 0 ? argv[optind - 1] : "";
	int is_long = !strncmp(word, "--", 2) && word[2];
	int len = is_long ? (int)strcspn(word, "=") : 0;

	if (c == ':') {
		if (is_long)
			log_error("option '%s' needs a value%s", word, hint);
		else
			log_error("option '-%c' needs a value%s", optopt, hint);
	} else if (is_long && optopt && word[len] == '=') {
		/* a known long option given "=VALUE" it does not take */
		log_error("option '%.*s' takes no value%s", len, word, hint);
	} else if (optopt && optopt < 128) {
		log_error("unknown option '-%c'%s", optopt, hint);
	} else {
		log_error("unknown option '%.*s'%s", is_long ? len : (int)strlen(word), word, hint);
	}
	return 2;
}
