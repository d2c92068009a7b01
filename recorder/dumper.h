/* The dumper process: after the recorder gives up root, it alone keeps CAP_NET_ADMIN, to answer table dumps. */
#ifndef CT_DUMPER_H
#define CT_DUMPER_H

#include <sys/types.h>

struct passwd;

/* Forks the dumper running as pw with CAP_NET_ADMIN only; it serves dump
 * requests until the recorder exits. keep_fd is closed in it (the event
 * socket). Returns the recorder's end of the channel, or -1 (reported);
 * *pid gets the dumper's pid. */
int dumper_start(const struct passwd *pw, int keep_fd, pid_t *pid);

/* Becomes user (after the event socket event_fd is open), leaving
 * CAP_NET_ADMIN to a dumper process for the dumps of resyncs and reopens:
 * the kernel checks it on every dump request, not only at socket creation.
 * Returns 0 or -1 (reported). */
int dumper_become(const char *user, int event_fd);

#endif
