/* One recorder per database: an exclusive flock on the file while recording into it. */
#ifndef CT_DBCLAIM_H
#define CT_DBCLAIM_H

/* Claims the database at path (already opened for writing: it exists) for
 * this recorder. Returns a descriptor to keep open while recording, or -1
 * (reported) when another recorder holds it or it cannot be opened. The
 * lock is flock(2)'s, apart from SQLite's fcntl locks: an import or a
 * reader may still use the file. */
int dbclaim_take(const char *path);

/* Gives the claim up (fd < 0: nothing). */
void dbclaim_drop(int fd);

#endif
