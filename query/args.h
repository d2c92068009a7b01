/* Argument handling every ctquery command shares: filter options and what is left after them. */
#ifndef CT_ARGS_H
#define CT_ARGS_H

struct ct_filter;

/* When word is --db (ctquery's own option, given after the command):
 * reports where it goes and returns 1; else 0. */
int args_misplaced_db(const char *word, const char *command);

/* For an option a command's getopt loop rejected: reports it (opt_error; a
 * --db given after the command is told where it goes). Returns the exit
 * code 2. */
int args_bad_option(int c, char **argv);

/* For the default case of a command's getopt loop: hands option c (with
 * optarg) to the filters. Returns 0 when taken, or the exit code 2 after
 * reporting a bad value or an unknown option. */
int args_filter(struct ct_filter *f, int c, int argc, char **argv);

/* After the getopt loop: refuses leftover arguments and checks the filters'
 * combination. Returns 0, or the exit code 2 after reporting. */
int args_end(struct ct_filter *f, int argc, char **argv);

#endif
