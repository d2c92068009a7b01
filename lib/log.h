/* Error and warning messages in one format: "prog: message", reported once where they happen; a message the same as the one before is counted, not printed again. */
#ifndef CT_LOG_H
#define CT_LOG_H

/* Sets the program name that prefixes every message. */
void log_init(const char *progname);

/* Prints "prog: error: msg" to stderr; returns -1 so callers can `return log_error(...)`. */
int log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Like log_error, with ": strerror(errno)" appended. */
int log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "prog: warning: msg" to stderr. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "prog: msg" to stderr. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Shows "prog: msg" as a status line on a terminal: without a newline,
 * cut to the terminal's width, written over by the next log_live(), erased
 * before any other message. For stderr on a terminal only; nothing is
 * shown while the process is not in the terminal's foreground (a job in
 * the background: the line is the shell's or another program's). */
void log_live(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Erases log_live()'s line, if one is shown. */
void log_live_end(void);

#endif
