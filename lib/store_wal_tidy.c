/* A killed writer's -wal moved into the database by the reader that finds it, so that the readers after it need not index it again. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "store_internal.h"

/* Below this a reader indexes the -wal in well under a millisecond. */
#define TIDY_MIN_WAL (1 << 20)

/* The byte of the -shm file that every SQLite connection to the database
 * holds a shared lock on while it is open (UNIX_SHM_DMS in SQLite's
 * os_unix.c: 120 bytes of header and 8 lock bytes before it). */
#define SHM_DMS_BYTE 128

/* Is another process connected to the database? 1 when it is, or when that
 * cannot be told; 0 when nobody holds the -shm's DMS byte. */
static int other_connection(const char *shm)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = SHM_DMS_BYTE, .l_len = 1 };
	int fd = open(shm, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return 1;
	rc = fcntl(fd, F_GETLK, &fl);
	/* No lock of ours to lose by closing: the reader's connection is closed. */
	close(fd);
	return rc || fl.l_type != F_UNLCK;
}

/* Is the -wal file wal large enough to tidy? */
static int wal_large(const char *wal)
{
	struct stat w;

	return !stat(wal, &w) && w.st_size >= TIDY_MIN_WAL;
}

int store_wal_untidy(const char *path)
{
	char *wal = store_sibling(path, "-wal");
	int large = !wal || wal_large(wal);

	free(wal);
	return large;
}

void store_wal_tidy(const char *path)
{
	char *wal = store_sibling(path, "-wal"), *shm = store_sibling(path, "-shm");
	char *name = store_file_name(path);
	sqlite3 *db = NULL;
	int on = 1;

	if (!wal || !shm || !name || !wal_large(wal) ||
	    access(path, W_OK) || access(wal, W_OK) || access(shm, W_OK) ||
	    other_connection(shm))
		goto out;
	/* Only a checkpoint: the same content, moved from the -wal into the
	 * database, then the -wal truncated (kept, as ctrecord keeps it, for
	 * readers that may not create it). A recorder starting meanwhile makes
	 * it fail at once (no busy wait), and nothing is lost either way. */
	if (sqlite3_open_v2(name, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) ==
	    SQLITE_OK) {
		sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
		sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	}
	sqlite3_close(db);
out:
	free(wal);
	free(shm);
	free(name);
}
