/* The database: opening, schema creation and the check of its version, transactions, sessions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "log.h"
#include "store_internal.h"

extern const char ct_sql_schema[];

/* "ctrc": marks a database as ours in its header. */
#define STORE_APPLICATION_ID 0x63747263

/* FLOW_COLUMNS (store_internal.h) values a row */
#define FLOW_INSERT \
	"INSERT INTO flows (id, session, ct_id, family, proto, o_l3, o_src, o_dst, o_sport," \
	" o_dport, origin, first_us, end_dur, end_kind, state, o_packets, o_bytes, r_packets," \
	" r_bytes, last_dur, nevents, status, mark) VALUES "
#define FLOW_ROW "(?,?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?, ?,?,?,?,?)"
#define FLOW_ROWS_8 FLOW_ROW "," FLOW_ROW "," FLOW_ROW "," FLOW_ROW "," \
	FLOW_ROW "," FLOW_ROW "," FLOW_ROW "," FLOW_ROW
#define KEY_ROWS_4 "(?,?,?),(?,?,?),(?,?,?),(?,?,?)"
#define KEY_ROWS_16 KEY_ROWS_4 "," KEY_ROWS_4 "," KEY_ROWS_4 "," KEY_ROWS_4

static const char *const stmt_sql[STMT_MAX] = {
	[STMT_FLOW_INSERT] = FLOW_INSERT FLOW_ROW,
	/* STORE_FLOW_BATCH (store_internal.h) rows */
	[STMT_FLOW_INSERT_MANY] = FLOW_INSERT FLOW_ROWS_8 "," FLOW_ROWS_8 "," FLOW_ROWS_8 ","
		FLOW_ROWS_8,
	[STMT_MORE_INSERT] =
		"INSERT INTO flows_more (id, zone, o_itype, o_icode, o_iid, o_zone,"
		" r_l3, r_src, r_dst, r_sport, r_dport, r_itype, r_icode, r_iid, r_zone)"
		" VALUES (?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?)",
	[STMT_PENDING_INSERT] = "INSERT INTO flow_pending (data) VALUES (?)",
	[STMT_FLOW_UPDATE] =
		/* ?2 is NULL without an event here: max() would then be NULL */
		"UPDATE flows SET last_dur = coalesce(max(last_dur, ?2 - first_us), last_dur,"
		" ?2 - first_us),"
		" nevents = nevents + ?3, status = coalesce(?4, status), mark = coalesce(?5, mark),"
		" end_dur = coalesce(?6 - first_us, end_dur), end_kind = coalesce(?7, end_kind),"
		" state = coalesce(?8, state),"
		" o_packets = coalesce(?9, o_packets), o_bytes = coalesce(?10, o_bytes),"
		" r_packets = coalesce(?11, r_packets), r_bytes = coalesce(?12, r_bytes)"
		" WHERE id = ?1",
	[STMT_KEY_INSERT] =
		"INSERT OR IGNORE INTO flow_keys (kind, val, rng) VALUES (?,?,?)",
	/* STORE_KEY_BATCH (store_internal.h) rows */
	[STMT_KEY_INSERT_MANY] =
		"INSERT OR IGNORE INTO flow_keys (kind, val, rng) VALUES " KEY_ROWS_16 "," KEY_ROWS_16,
	[STMT_BLOCK_INSERT] =
		"INSERT INTO event_blocks (session, first_event, n, first_us, last_us, min_flow,"
		" max_flow, types) VALUES (?2, (SELECT coalesce(max(first_event + n), 1) FROM"
		" (SELECT first_event, n FROM event_blocks ORDER BY id DESC LIMIT 1)),"
		" ?3, ?4, ?5, ?6, ?7, ?8)",
	[STMT_BLOCK_UPDATE] =
		"UPDATE event_blocks SET n = ?3, first_us = ?4, last_us = ?5, min_flow = ?6,"
		" max_flow = ?7, types = ?8 WHERE id = ?1 AND session = ?2",
	[STMT_DATA_PUT] =
		"INSERT OR REPLACE INTO event_data (id, bloom, data) VALUES (?,?,?)",
	[STMT_GAP_INSERT] =
		"INSERT INTO gaps (session, t_us, kind, lost) VALUES (?,?,?,?)",
	[STMT_UNPARSED_INSERT] =
		"INSERT INTO unparsed (session, t_us, msg) VALUES (?,?,?)",
	[STMT_OPEN_PUT] =
		"INSERT OR REPLACE INTO open_ranges (rng, first_us, ids) VALUES (?,?,?)",
	[STMT_OPEN_DEL] =
		"DELETE FROM open_ranges WHERE rng = ?",
	[STMT_OPEN_GET] =
		"SELECT first_us, ids FROM open_ranges WHERE rng = ?",
};

char *store_sibling(const char *path, const char *suffix)
{
	char *s = NULL;

	return asprintf(&s, "%s%s", path, suffix) < 0 ? NULL : s;
}

char *store_file_name(const char *path)
{
	char *s = NULL;

	return asprintf(&s, "%s%s", path[0] == '/' ? "" : "./", path) < 0 ? NULL : s;
}

int store_fail(struct store *st, const char *what)
{
	int busy = sqlite3_errcode(st->db) == SQLITE_BUSY;

	return log_error("%s in '%s': %s%s", what, st->path, sqlite3_errmsg(st->db),
			 busy ? " (another process holds a write lock on it)" : "");
}

sqlite3_stmt *store_stmt(struct store *st, int id)
{
	if (!st->stmt[id] &&
	    sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
			       &st->stmt[id], NULL) != SQLITE_OK) {
		store_fail(st, "cannot prepare a statement");
		return NULL;
	}
	return st->stmt[id];
}

int store_exec(struct store *st, const char *sql, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(st, what);
	return 0;
}

static int pragma_int(struct store *st, const char *sql, int *v)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int store_set_version(struct store *st, int version)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	return store_exec(st, sql, "cannot set the schema version");
}

/* Into dir (of size n): the directory of path. Returns 0, or -1 (reported)
 * when it does not fit. */
static int dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 1;

	if (n >= size)
		return log_error("path too long: '%s'", path);
	memcpy(dir, slash ? path : ".", n);
	dir[n ? n : 1] = 0;
	if (slash == path)
		strcpy(dir, "/");
	return 0;
}

/* A reader or writer that SQLite could not let in: is it the -wal or -shm
 * file beside the database, one it may not open (read; also write, for a
 * writer: one a run as root left before a run with --user) or one missing
 * that it may not create (SQLite says only "unable to open database file"
 * or "attempt to write a readonly database")? Returns -1 after saying
 * which, else 0. */
static int wal_files_unusable(const char *path, enum store_mode mode)
{
	static const char *const suffixes[] = { "-wal", "-shm" };
	char dir[4096], *sib;
	size_t i;
	int rc = 0;

	for (i = 0; i < 2 && !rc; i++) {
		if (!(sib = store_sibling(path, suffixes[i])))
			return 0;
		if (!access(sib, F_OK) && access(sib, mode == STORE_WRITE ? R_OK | W_OK : R_OK))
			rc = log_errno("cannot open '%s'", sib);
		else if (access(sib, F_OK) && !dir_of(path, dir, sizeof(dir)) &&
			 access(dir, W_OK | X_OK))
			rc = log_error("cannot %s '%s': '%s' is missing and cannot be created"
				       " in '%s'; keep the -wal and -shm files beside the database",
				       mode == STORE_WRITE ? "write" : "read", path, sib, dir);
		free(sib);
	}
	return rc;
}

/* Checks that the file is ours and of a version we read; creates the schema
 * in an empty database when writable. */
static int check_schema(struct store *st, enum store_mode mode)
{
	int version, appid, tables = 1;

	/* Only a database without a version may be empty: the tables are
	 * counted then only (the pragmas read the header, not the schema). */
	if (pragma_int(st, "PRAGMA user_version", &version) ||
	    pragma_int(st, "PRAGMA application_id", &appid) ||
	    (version == 0 && pragma_int(st, "SELECT count(*) FROM sqlite_master", &tables))) {
		int err = sqlite3_errcode(st->db);

		if (err == SQLITE_NOTADB)
			return log_error("'%s' is not a ctrecord database", st->path);
		if ((err == SQLITE_CANTOPEN || err == SQLITE_READONLY) &&
		    wal_files_unusable(st->path, mode))
			return -1;
		return store_fail(st, "cannot read the schema");
	}
	if (tables == 0 && version == 0) {
		if (mode == STORE_READ)
			return log_error("'%s' is an empty database: nothing recorded yet",
					 st->path);
		/* free pages can go back to the file system (store_close) */
		if (store_exec(st, "PRAGMA auto_vacuum = INCREMENTAL",
			       "cannot create the schema") ||
		    store_exec(st, "BEGIN IMMEDIATE", "cannot create the schema") ||
		    store_exec(st, ct_sql_schema, "cannot create the schema") ||
		    store_set_version(st, STORE_SCHEMA_VERSION) ||
		    store_exec(st, "PRAGMA application_id = 1668575843; COMMIT",
			 "cannot create the schema"))
			return -1;
		return 0;
	}
	if (appid != STORE_APPLICATION_ID)
		return log_error("'%s' is not a ctrecord database", st->path);
	/* (ctrecord sets both in the transaction that creates the schema: a
	 * version 0 would have --upgrade create tables that are there) */
	if (version < 1)
		return log_error("'%s' is a ctrecord database without a schema version (%d): its"
				 " header was changed or is damaged", st->path, version);
	if (version > STORE_SCHEMA_VERSION)
		return log_error("'%s' has schema version %d, newer than this program's %d;"
				 " upgrade ctrecord", st->path, version,
				 STORE_SCHEMA_VERSION);
	if (version < STORE_SCHEMA_VERSION && mode == STORE_WRITE)
		return store_migrate(st, version);
	if (version < STORE_READ_MIN_VERSION)	/* readers open read-only: the writer migrates */
		return log_error("'%s' has schema version %d, older than this program's %d: bring"
				 " it up to date with 'ctrecord --db %s --upgrade'", st->path,
				 version, STORE_SCHEMA_VERSION, st->path);
	return 0;
}

/* Before creating a database: is its directory there and writable? */
static int check_dir(const char *path)
{
	char dir[4096];

	struct stat sb;

	if (dir_of(path, dir, sizeof(dir)))
		return -1;
	/* (access() says EACCES of a file without x bits, also to root) */
	if (!stat(dir, &sb) && !S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return log_errno("cannot create '%s' in '%s'", path, dir);
	}
	if (access(dir, W_OK | X_OK))
		return log_errno("cannot create '%s' in '%s'", path, dir);
	return 0;
}

/* For a reader: the URI that opens path with its -shm file mapped read-only,
 * as for a user without write access to it, when there is one (ctrecord keeps
 * it). A reader that may write the -shm and finds no other connection
 * truncates and rewrites it, which takes more time than the query asked; a
 * read-only mapping lets SQLite index the -wal in its own memory instead,
 * and while a recorder writes, read the -shm it keeps up to date. Returns a
 * malloc'd URI, or NULL (no -shm yet, or out of memory) to open path as it is. */
static char *read_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path);
	char *shm = store_sibling(path, "-shm"), *uri = NULL, *p;
	const char *s;

	if (!shm)
		return NULL;
	if (!access(shm, F_OK) && (uri = malloc(3 * n + sizeof("file:./?readonly_shm=1")))) {
		/* "file://" + an absolute path: a path starting "//" is no
		 * authority; "./" before a relative one, as store_file_name() */
		p = stpcpy(uri, path[0] == '/' ? "file://" : "file:./");
		for (s = path; *s; s++) {
			unsigned char c = (unsigned char)*s;

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || strchr("/._-~", c)) {
				*p++ = (char)c;
			} else {	/* ?, #, % and the rest: escaped */
				*p++ = '%';
				*p++ = hex[c >> 4];
				*p++ = hex[c & 15];
			}
		}
		strcpy(p, "?readonly_shm=1");
	}
	free(shm);
	return uri;
}

struct store *store_open(const char *path, enum store_mode mode)
{
	int flags = mode == STORE_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
					: SQLITE_OPEN_READONLY;
	struct store *st;
	struct stat sb;
	char *uri = NULL, *name = NULL;
	int rc;

	/* what SQLite would only call "disk I/O error" or "unable to open" */
	if (mode == STORE_READ && access(path, R_OK)) {
		log_errno("cannot open '%s'", path);
		return NULL;
	}
	/* (SQLite would wait on a FIFO's open for a writer, and take a device
	 * for an empty database) */
	if (!stat(path, &sb)) {
		if (!S_ISREG(sb.st_mode)) {
			log_error(S_ISDIR(sb.st_mode) ? "'%s' is a directory, not a database" :
				  "'%s' is not a regular file, not a database", path);
			return NULL;
		}
		if (store_kernel_file(path))
			return NULL;
	}
	if (mode == STORE_WRITE && !access(path, F_OK) && access(path, R_OK | W_OK)) {
		log_errno("cannot open '%s'", path);
		return NULL;
	}
	if (mode == STORE_WRITE && access(path, F_OK) && check_dir(path))
		return NULL;
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path))) {
		free(st);
		log_error("out of memory");
		return NULL;
	}
	st->writable = mode == STORE_WRITE;
	id_set_init(&st->held, sizeof(struct pflow));
	/* No memory statistics: they take a global mutex on every allocation.
	 * (Only possible before SQLite initializes; later calls fail harmlessly.) */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (mode == STORE_READ)
		uri = read_uri(path);
	if (!uri && !(name = store_file_name(path))) {
		log_error("out of memory");
		store_close(st);
		return NULL;
	}
	rc = sqlite3_open_v2(uri ? uri : name, &st->db,
			     flags | SQLITE_OPEN_NOMUTEX | (uri ? SQLITE_OPEN_URI : 0), NULL);
	free(uri);
	free(name);
	if (rc != SQLITE_OK) {
		store_fail(st, "cannot open the database");
		store_close(st);
		return NULL;
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	if (mode == STORE_WRITE) {
		/* Keep the -wal and -shm files after closing: a reader that may only
		 * read (no write access to the directory) can then still open the
		 * database, which it could not if it had to create them. */
		int on = 1;

		sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
	}
	/* A reader checks the schema in the snapshot it then reads: one read
	 * transaction rather than one per statement (each found the WAL anew:
	 * 19 of a `ctquery show`'s 137 system calls). The two pragmas read
	 * nothing; temp_store may not change in a transaction that used it. */
	if ((mode == STORE_READ &&
	     (store_exec(st, "PRAGMA temp_store = MEMORY", "cannot set temp_store") ||
	      store_exec(st, "PRAGMA query_only = 1", "cannot set query_only") ||
	      store_exec(st, "BEGIN", "cannot start a read"))) ||
	    check_schema(st, mode) ||
	    (mode == STORE_WRITE &&
	     (store_exec(st, "PRAGMA journal_mode = WAL", "cannot switch to WAL") ||
	      /* Each commit synced (fdatasync of the -wal): one that returned
	       * survives a power loss too, not only a crash of ctrecord. Under
	       * NORMAL the commits since the last checkpoint could roll back.
	       * The wait is the writer's (the queue absorbs it); the bench
	       * storm's CPU did not change (BENCHMARKS.md). */
	      store_exec(st, "PRAGMA synchronous = FULL", "cannot set synchronous") ||
	      /* The writer touches flows all over the file (a DESTROY ends one):
	       * a 64 MiB page cache keeps that off the disk. */
	      store_exec(st, "PRAGMA cache_size = -65536", "cannot set the cache size") ||
	      /* Checkpoint every 40 MiB of WAL rather than every 4 MiB; warn
	       * when a reader keeps it from being reused. */
	      store_wal_watch(st) ||
	      /* A reader that keeps its snapshot (ctquery paused in a pager)
	       * stops checkpoints from restarting the WAL, which then grows;
	       * once it is done, the WAL goes back to 64 MiB instead of
	       * keeping that size until ctrecord stops. */
	      store_exec(st, "PRAGMA journal_size_limit = 67108864",
			 "cannot set the WAL size limit"))) ||
	    (mode == STORE_READ && store_read_fill(st))) {
		store_close(st);
		return NULL;
	}
	st->tidy_wal = mode == STORE_READ;
	st->open.stale = st->writable;	/* rows cleaned of ended flows at the first flush */
	st->pend_stale = st->writable;
	return st;
}

void store_close(struct store *st)
{
	int i;

	if (!st)
		return;
	/* a failed write's changes of flows (a continued import's ends of the
	 * flows it continues) are dropped with it, not folded below: only what
	 * was committed is (also when SQLite ended the transaction itself).
	 * What was committed is not read again for it: the write may have been
	 * the schema's, whose flow_pending is not there. */
	if (st->db && (st->in_txn || !sqlite3_get_autocommit(st->db))) {
		int stale = st->pend_stale;

		store_rollback(st);
		st->pend_stale = stale;
	}
	/* the changes of flows not folded yet, and the ranges whose flows only
	 * ended, written now rather than at a sweep */
	if (st->db && st->writable && !st->pend_broken &&
	    (st->nchg || st->pend_stale || store_open_pending(st)) &&
	    sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
		st->in_txn = 1;
		sqlite3_exec(st->db, store_fold(st) ||
			     (store_open_pending(st) && store_open_flush(st, 1)) ?
			     "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
		st->in_txn = 0;
	}
	store_open_free(st);
	free(st->chg);
	free(st->ovl);
	st->ovl = NULL;
	st->novl = st->ovl_cap = 0;
	store_pending_raw_free(&st->praw);
	for (i = 0; i < STMT_MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	store_drop_flows(st, 1);
	evblock_free(&st->blk);
	store_keys_free(st);
	/* Free pages (rewritten blocks, pruned history) go back to the file
	 * system. The -wal file stays (see store_open) but empty: a file moved
	 * away without it, or found beside a new one, then holds nothing to
	 * replay. */
	if (st->db && st->writable) {
		sqlite3_exec(st->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
		sqlite3_exec(st->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	}
	sqlite3_close(st->db);
	if (st->tidy_wal)
		store_wal_tidy(st->path);
	free(st->path);
	free(st);
}

/* The readers store_leave() left for the exit to end, reachable from here. */
static struct store *left;

void store_leave(struct store *st)
{
	if (!st)
		return;
	if (st->writable || (st->tidy_wal && store_wal_untidy(st->path))) {
		store_close(st);
		return;
	}
	/* the snapshot given up now, as store_close() would (the output may
	 * wait on a slow reader until the exit), and as quietly: a read loses
	 * nothing when its end fails (out of memory, an I/O error), and the
	 * exit ends it anyway; a failure before, already reported, is not
	 * reported twice. The authorizer a --where left, which refused a
	 * plain ROLLBACK, goes first. */
	if (st->db) {
		sqlite3_set_authorizer(st->db, NULL, NULL);
		st->snapshot = 0;
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
	st->left_next = left;
	left = st;
}

void store_left_close(void)
{
	while (left) {
		struct store *st = left;

		left = st->left_next;
		store_close(st);
	}
}

int store_compact(struct store *st)
{
	int mode;

	if (pragma_int(st, "PRAGMA auto_vacuum", &mode))
		return store_fail(st, "cannot read auto_vacuum");
	if (mode == 2)		/* incremental already: store_close returns free pages */
		return 0;
	return store_exec(st, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM",
			  "cannot compact the database");
}

int store_one_int(struct store *st, const char *sql, const char *what, int64_t *v)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, what);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, what);
}

struct sqlite3 *store_db(struct store *st)
{
	return st->db;
}

int store_error_transient(struct store *st)
{
	int rc = sqlite3_errcode(st->db) & 0xff;

	return rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_BUSY ||
	       rc == SQLITE_LOCKED;
}

/* IMMEDIATE: the write lock from the start, so that the flow ids and the
 * event ids handed out in the transaction stay ours. */
int store_begin(struct store *st)
{
	if (store_exec(st, "BEGIN IMMEDIATE", "cannot begin a transaction"))
		return -1;
	st->in_txn = 1;
	store_keys_forget(st);
	if (store_pending_load(st) ||
	    store_blocks_begin(st)) {
		store_rollback(st);
		return -1;
	}
	st->held_from = st->next_flow;	/* (store_blocks_begin read it) */
	return 0;
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_txn = 0;
	store_drop_flows(st, 0);
	st->nchg = 0;
	st->pend_stale = 1;
	store_close_block(st);
	store_keys_forget(st);
	store_open_forget(st);
}

int store_commit(struct store *st)
{
	if (store_flush_flows(st) || (store_fold_due(st) && store_fold(st)) ||
	    store_flush_block(st) || store_open_flush(st, 0) ||
	    store_exec(st, "COMMIT", "cannot commit"))
		return -1;
	st->in_txn = 0;
	/* A block grows across commits while small: on a quiet system each
	 * commit then rewrites a few KiB rather than starting a row per event. */
	if (st->blk.len >= 4096 || evblock_full(&st->blk))
		store_close_block(st);
	return 0;
}

int store_commit_whole(struct store *st)
{
	if (store_flush_flows(st) || store_fold(st) ||
	    (store_open_pending(st) && store_open_flush(st, 1)))
		return -1;
	return store_commit(st);
}

int store_fold_waiting(struct store *st)
{
	return store_begin(st) || store_commit_whole(st) ? -1 : 0;
}

int64_t store_session_start(struct store *st, const char *kind, const char *source,
			    int64_t t_us)
{
	const char *sql = "INSERT INTO sessions (kind, started_us, host, pid, source, version)"
			  " VALUES (?,?,?,?,?,?)";
	char host[256] = "";
	sqlite3_stmt *s;
	int64_t id = -1;

	/* a block holds one session's events */
	if (st->blk.n && st->in_txn && store_flush_block(st))
		return -1;
	store_close_block(st);
	gethostname(host, sizeof(host) - 1);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot start a session");
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, t_us);
	sqlite3_bind_text(s, 3, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, getpid());
	if (source)
		sqlite3_bind_text(s, 5, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, CT_VERSION, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_DONE)
		st->session = id = sqlite3_last_insert_rowid(st->db);
	else
		store_fail(st, "cannot start a session");
	sqlite3_finalize(s);
	return id;
}

int store_session_stop(struct store *st, int64_t session, int64_t t_us)
{
	const char *sql = "UPDATE sessions SET stopped_us = ? WHERE id = ?";
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot stop the session");
	sqlite3_bind_int64(s, 1, t_us);
	sqlite3_bind_int64(s, 2, session);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "cannot stop the session");
}
