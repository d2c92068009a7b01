/* Which processes hold a read lock of a WAL database, from /proc/locks: the readers that keep its -wal from being reused. */
#ifndef CT_WAL_READERS_H
#define CT_WAL_READERS_H

#include <stddef.h>

/* Lists in buf (at most size bytes, NUL-terminated) the processes other
 * than this one that hold one of SQLite's read marks in the -shm file at
 * shm_path (its bytes 123-127), as "ctquery (pid 4242)", joined by ", ".
 * Returns how many it found: 0 also when the file or /proc/locks cannot be
 * read (buf is then ""). */
int wal_readers(const char *shm_path, char *buf, size_t size);

#endif
