/* The writer's checkpoints, and a warning when a reader's old snapshot keeps the -wal from being reused, so that it grows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <sqlite3.h>

#include "log.h"
#include "wal_readers.h"

#include "store_internal.h"

/* Checkpoint every 10,000 frames (40 MiB of 4 KiB pages) rather than
 * SQLite's 1,000: what sqlite3_wal_autocheckpoint() would do, in a hook of
 * our own that also looks at what the checkpoint could not take. */
#define CHECKPOINT_FRAMES 10000

/* Warn when the -wal holds this much that no checkpoint could take (a
 * reader still reads before it): then at every doubling. CT_WAL_WARN_BYTES
 * sets it (ctrecord(8), ENVIRONMENT). */
#define WARN_BYTES (1LL << 30)

/* The size to warn at first: CT_WAL_WARN_BYTES, or WARN_BYTES when it is
 * unset or not a positive number of bytes (said once). */
static int64_t warn_base(void)
{
	const char *e = getenv("CT_WAL_WARN_BYTES");
	char *end;
	long long v;

	if (!e)
		return WARN_BYTES;
	errno = 0;
	v = strtoll(e, &end, 10);
	if (errno || end == e || *end || v <= 0) {
		log_warn("CT_WAL_WARN_BYTES='%s' is not a number of bytes: warning at %lld", e,
			 (long long)WARN_BYTES);
		return WARN_BYTES;
	}
	return v;
}

/* Is the room left on the database's file system no more than twice what
 * the -wal holds? A checkpoint may have to grow the database by what the
 * -wal holds: once the -wal has taken the room, no checkpoint can move it
 * and no commit can add to it, for good (a 4 MiB file system stalled with
 * 1.5 MB of history and a 4 MB -wal; then, with the -wal's file left at
 * 1.4 MB between checkpoints, at 2.8 MB). 0 when it cannot be told. */
static int room_short(const struct store *st, int64_t wal_bytes)
{
	struct statvfs v;

	/* root may use the blocks reserved for it (ext4's 5%): a disk that
	 * df calls full is not, to a recorder run as root */
	return !statvfs(st->path, &v) &&
	       (int64_t)(geteuid() ? v.f_bavail : v.f_bfree) * (int64_t)v.f_frsize <= 2 * wal_bytes;
}

/* SQLite calls this after each commit, with the frames now in the -wal. */
static int after_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *st = arg;
	int64_t base = st->wal_warn_base, bytes = (int64_t)frames * st->page_size;
	int in_wal = 0, moved = 0, short_room = 0, rc;

	if (frames < CHECKPOINT_FRAMES && bytes < base && !(short_room = room_short(st, bytes)))
		return SQLITE_OK;
	/* Short of room, the -wal's file is emptied too (when nobody reads an
	 * older snapshot; else as PASSIVE, without waiting): the room it keeps
	 * between checkpoints goes to the database, which needs it. */
	if (short_room)
		sqlite3_busy_timeout(db, 0);
	rc = sqlite3_wal_checkpoint_v2(db, name, short_room ? SQLITE_CHECKPOINT_TRUNCATE :
				       SQLITE_CHECKPOINT_PASSIVE, &in_wal, &moved);
	if (short_room)
		sqlite3_busy_timeout(db, STORE_BUSY_MS);
	if (rc != SQLITE_OK)
		return SQLITE_OK;	/* (busy: the next commit tries again) */
	if (moved >= in_wal) {
		if (st->wal_warn_at > base)	/* (it warned) */
			log_info("the -wal of '%s' is checkpointed again", st->path);
		st->wal_warn_at = base;
		return SQLITE_OK;
	}
	if ((int64_t)in_wal * st->page_size >= st->wal_warn_at) {
		char *shm = store_sibling(st->path, "-shm"), who[256] = "";

		/* the readers named, so that they can be told or ended */
		if (!shm || !wal_readers(shm, who, sizeof(who)))
			snprintf(who, sizeof(who), "a ctquery paused in a pager?");
		free(shm);
		log_warn("the -wal of '%s' has grown to %lld MiB: a reader still reads an old"
			 " snapshot (%s); it is reused once that reader ends", st->path,
			 (long long)((int64_t)in_wal * st->page_size >> 20), who);
		while (st->wal_warn_at <= (int64_t)in_wal * st->page_size)
			st->wal_warn_at *= 2;
	}
	return SQLITE_OK;
}

int store_wal_watch(struct store *st)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read the page size");
	st->page_size = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 4096;
	sqlite3_finalize(s);
	st->wal_warn_base = st->wal_warn_at = warn_base();
	sqlite3_wal_hook(st->db, after_commit, st);
	return 0;
}
