/* An output stream that tells when its reader has not read it for a while, so that ctquery can give its snapshot up meanwhile. */
#ifndef CT_OUTWAIT_H
#define CT_OUTWAIT_H

#include <stdio.h>

/* How long ctquery's output may wait for its reader (a pager left open)
 * before the cursor behind it gives its snapshot up (store_cursor_release):
 * long enough that a slow reader costs few new snapshots. */
#define RELEASE_AFTER_MS 1000

/* A stream that writes to fd (fully buffered, 64 KiB; by lines on a
 * terminal). When fd is a pipe, a socket or a terminal, a write waits for
 * room with poll() and calls stalled(arg) each time RELEASE_AFTER_MS pass
 * without any, then writes no more than the room poll() promises (PIPE_BUF),
 * so that it never blocks unseen. fclose() flushes it and leaves fd open.
 * NULL when out of memory (reported). A write error sets the stream's error
 * flag and errno, as stdio's own. */
FILE *outwait_open(int fd, void (*stalled)(void *), void *arg);

#endif
