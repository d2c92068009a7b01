/* One line for a command-line option getopt_long rejected: unknown, missing its value, or given one it does not take. */
#ifndef CT_OPT_ERROR_H
#define CT_OPT_ERROR_H

/* Optstrings start with this (and opterr is 0), so that getopt_long returns
 * ':' for an option that misses its value rather than '?' as for an unknown
 * one. */
#define OPT_STRICT ":"

/* Reports, right after getopt_long returned c ('?' or ':'), which option it
 * rejected and why, naming it as the user wrote it, followed by hint (may be
 * ""). Returns 2, the exit code of a usage error. */
int opt_error(int c, char *const argv[], const char *hint);

#endif
