/* A recording session: subscribe, dump, then store events until asked to stop. */
#ifndef CT_RECORDING_H
#define CT_RECORDING_H

#include <signal.h>
#include <stddef.h>

struct retention;
struct ct_filter;

struct recording_opts {
	const char *db;
	size_t bufsize;		/* netlink receive buffer */
	size_t queue_size;	/* bytes queued between the threads at most */
	unsigned evmask;	/* 1 << CT_EV_* */
	int commit_ms;
	int reliable;		/* ask the kernel to re-deliver DESTROY events */
	int verbose;		/* status line every few seconds */
	const char *user;	/* run as this user once the sockets are open */
	struct retention *retention;	/* pruning while recording, or NULL */
	const struct ct_filter *filter;	/* record only what matches, or NULL */
};

/* Set by the signal handlers: stop the session (SIGINT, SIGTERM); reopen the
 * database at its path, for moves and rotation (SIGHUP). */
extern volatile sig_atomic_t recording_stop, recording_reopen;

/* Records until recording_stop is set, then stores what is still queued and
 * exits the session cleanly. Prints a one-line summary. Returns 0, or -1 on
 * a failure (reported). */
int recording_run(const struct recording_opts *o);

#endif
