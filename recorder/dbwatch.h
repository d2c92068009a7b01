/* Noticing that the database's path no longer names the file being written (removed, moved away or replaced). */
#ifndef CT_DBWATCH_H
#define CT_DBWATCH_H

#include <stdint.h>
#include <sys/types.h>

struct dbwatch {
	dev_t dev;
	ino_t ino;
	int64_t next_us;	/* monotonic µs of the next look */
	int strikes;		/* looks in a row that found another file, or none */
};

/* Notes which file path names now: the one just opened for writing. */
void dbwatch_start(struct dbwatch *d, const char *path, int64_t now_us);

/* Looks every 2 s. Returns 1 once two looks in a row found path naming no
 * file or another one: 2 to 4 s after it changed, so that the rotation the
 * manual describes (move the database and its -wal and -shm away, then
 * SIGHUP) is never caught half done. Else 0. */
int dbwatch_changed(struct dbwatch *d, const char *path, int64_t now_us);

#endif
