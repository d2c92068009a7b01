/* The dumper processes: after the recorder gives up root, they alone keep CAP_NET_ADMIN, to answer table dumps. */
#ifndef CT_DUMPER_H
#define CT_DUMPER_H

#include <sys/types.h>

struct passwd;

/* Forks a dumper running as pw with CAP_NET_ADMIN only; it serves dump
 * requests until the recorder exits. close_fd (the event socket) and
 * close_fd2 (another dumper's channel, or -1) are closed in it. Returns the
 * recorder's end of the channel, or -1 (reported); *pid gets the dumper's
 * pid. */
int dumper_start(const struct passwd *pw, int close_fd, int close_fd2, pid_t *pid);

/* Becomes user (after the event socket event_fd is open), leaving
 * CAP_NET_ADMIN to two dumper processes, one for the writer's dumps (start,
 * reopen) and one for the receiving thread's (after a loss):
 * the kernel checks it on every dump request, not only at socket creation.
 * Returns 0 or -1 (reported). */
int dumper_become(const char *user, int event_fd);

#endif
