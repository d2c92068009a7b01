/* Error and warning messages in one format: "prog: message", reported once where they happen; a message the same as the one before is counted, not printed again. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "log.h"

static const char *prog = "ct";

void log_init(const char *progname)
{
	prog = progname;
}

/* The last line printed, and how often it came again since: a writer that
 * retries every second on a full disk would otherwise say the same error
 * 3,600 times an hour. The count is printed before the next other line. */
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static char last[1200];
static unsigned long repeats;
static int live_shown;	/* log_live()'s line is on the terminal, unfinished */

/* Is this process in the foreground of stderr's terminal? A job in the
 * background (ctrecord &) does not own the line the cursor is on: the
 * shell's prompt or another program's output is there. */
static int foreground(void)
{
	pid_t fg = tcgetpgrp(STDERR_FILENO);

	return fg != -1 && fg == getpgrp();
}

/* Erases log_live()'s line, under last_lock (only in the foreground: in
 * the background the line is no longer its own). */
static void clear_live(void)
{
	if (live_shown && foreground())
		fputs("\r\033[K", stderr);
	live_shown = 0;
}

static void vlog(const char *kind, const char *fmt, va_list ap, int err)
{
	char msg[1024], line[sizeof(last)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err)
		snprintf(line, sizeof(line), "%s%s: %s", kind, msg, strerror(err));
	else
		snprintf(line, sizeof(line), "%s%s", kind, msg);
	pthread_mutex_lock(&last_lock);
	if (strcmp(line, last) == 0) {
		repeats++;
	} else {
		clear_live();
		if (repeats)
			fprintf(stderr, "%s: (the line before came %lu more time%s)\n", prog,
				repeats, repeats > 1 ? "s" : "");
		repeats = 0;
		fprintf(stderr, "%s: %s\n", prog, line);
		memcpy(last, line, sizeof(last));
	}
	pthread_mutex_unlock(&last_lock);
}

int log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("error: ", fmt, ap, 0);
	va_end(ap);
	return -1;
}

int log_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog("error: ", fmt, ap, err);
	va_end(ap);
	errno = err;
	return -1;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap, 0);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, 0);
	va_end(ap);
}

void log_live(const char *fmt, ...)
{
	struct winsize ws;
	char msg[512], line[600];
	int width = (int)sizeof(line);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s", prog, msg);
	/* (a line the terminal wraps could not be written over) */
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		width = ws.ws_col - 1;
	pthread_mutex_lock(&last_lock);
	clear_live();
	if (foreground()) {
		fprintf(stderr, "%.*s", width, line);
		fflush(stderr);
		live_shown = 1;
	}
	pthread_mutex_unlock(&last_lock);
}

void log_live_end(void)
{
	pthread_mutex_lock(&last_lock);
	clear_live();
	fflush(stderr);
	pthread_mutex_unlock(&last_lock);
}
