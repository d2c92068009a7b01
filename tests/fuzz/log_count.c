/* lib/log.h for the fuzz targets: messages are counted, not printed, so that a target can check that an error is reported exactly once. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

/* The messages reported since the target last set it to 0. */
int fuzz_logged;

/* Formats a message as lib/log.c would (so that its arguments are read) and counts it. */
static void count(const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fuzz_logged++;
}

#define COUNT(fmt) do { va_list ap; va_start(ap, fmt); count(fmt, ap); va_end(ap); } while (0)

void log_init(const char *progname)
{
	(void)progname;
}

int log_error(const char *fmt, ...)
{
	COUNT(fmt);
	return -1;
}

int log_errno(const char *fmt, ...)
{
	COUNT(fmt);
	return -1;
}

void log_warn(const char *fmt, ...)
{
	COUNT(fmt);
}

void log_info(const char *fmt, ...)
{
	COUNT(fmt);
}

void log_live(const char *fmt, ...)
{
	(void)fmt;
}

void log_live_end(void)
{
}
