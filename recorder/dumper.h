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

#endif
