/* lib/log.h for the fuzz targets: messages are counted, not printed, so that a target can check that an error is reported exactly once. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

/* The errors reported since the target last set it to 0. */
int fuzz_logged;
/* The warnings and notes (log_warn, log_info), counted apart: a warning goes
 * with a value that is taken (an IPv6 address given to -n), not an error. */
int fuzz_warned;

/* Formats a message as lib/log.c would (so that its arguments are read) and counts it in *n. */
static void count(int *n, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	(*n)++;
}

#define COUNT(n, fmt) do { va_list ap; va_start(ap, fmt); count(&(n), fmt, ap); va_end(ap); } while (0)

void log_init(const char *progname)
{
	(void)progname;
}

int log_error(const char *fmt, ...)
{
	COUNT(fuzz_logged, fmt);
	return -1;
}

int log_errno(const char *fmt, ...)
{
	COUNT(fuzz_logged, fmt);
	return -1;
}

void log_warn(const char *fmt, ...)
{
	COUNT(fuzz_warned, fmt);
}

void log_info(const char *fmt, ...)
{
	COUNT(fuzz_warned, fmt);
}

void log_live(const char *fmt, ...)
{
	(void)fmt;
}

void log_live_end(void)
{
}
