/* What the store's files share: the handle, its prepared statements, and the writes held until commit. */
#ifndef CT_STORE_INTERNAL_H
#define CT_STORE_INTERNAL_H

#include <sqlite3.h>

#include "radix_sort.h"
#include "evblock.h"
#include "store.h"

enum {
	STMT_FLOW_INSERT,
	STMT_FLOW_INSERT_MANY,
	STMT_MORE_INSERT,
	STMT_FLOW_UPDATE,
	STMT_KEY_INSERT,
	STMT_KEY_INSERT_MANY,
	STMT_BLOCK_INSERT,
	STMT_BLOCK_UPDATE,
	STMT_DATA_PUT,
	STMT_GAP_INSERT,
	STMT_UNPARSED_INSERT,
	STMT_OPEN_PUT,
	STMT_OPEN_DEL,
	STMT_OPEN_GET,
	STMT_PENDING_INSERT,
	STMT_MAX
};

/* Rows of STMT_KEY_INSERT_MANY, and of STMT_FLOW_INSERT_MANY. */
#define STORE_KEY_BATCH 32
#define STORE_FLOW_BATCH 32
#define FLOW_COLUMNS 23		/* the values of a row of STMT_FLOW_INSERT */

/* What a flow's later events and its end change in its row: the change of a
 * flow already written (lib/store_pending.c), or that part of a new one. */
struct pchange {
	int64_t id;
	uint32_t has;			/* CT_HAS_* of what follows */
	uint8_t end_kind, state;
	int64_t first_us, last_us, end_us;	/* first_us: with an end */
	int64_t nevents;		/* events added */
	uint32_t status, mark;
	uint64_t pkts_orig, bytes_orig, pkts_reply, bytes_reply;
};

/* A new flow held until the next flush: its whole row. */
struct pflow {
	struct pchange c;		/* first: its id is the set's key */
	int64_t session;
	uint8_t origin, family;
	struct ct_tuple orig, reply;
	uint32_t ct_id;
	uint16_t zone;
};

/* Entries by id (lib/id_set.c): entries of size bytes, each starting with its
 * int64_t id, in a[0..n) in the order added, and slot an open-addressing
 * index over them (index + 1, 0 empty). */
struct id_set {
	void *a;
	size_t size, n, cap;
	int64_t *slot;
	size_t nslots;
};

/* An empty set of entries of size bytes. */
void id_set_init(struct id_set *s, size_t size);
/* The entry of id, or NULL. */
void *id_set_find(const struct id_set *s, int64_t id);
/* Adds a zeroed entry for id, which must not be there. Returns it, or NULL
 * (out of memory, reported). Pointers into the set last until the next add. */
void *id_set_add(struct id_set *s, int64_t id);
/* Empties the set; free_all also gives its memory back. */
void id_set_clear(struct id_set *s, int free_all);

/* Merges a later change of the same flow into another, as their two UPDATEs
 * in turn would change its row. */
void pchange_merge(struct pchange *into, const struct pchange *later);

/* Calls fn for each flow of changes c[0..n) (in the order they came), in
 * flow id order, with its changes merged: what the fold writes. Returns 0,
 * or -1 (out of memory, reported; or fn's -1). */
int store_each_merged(const struct pchange *c, size_t n,
		      int (*fn)(const struct pchange *merged, void *arg), void *arg);

/* A change of a flow as columns: id, last_us (with events), nevents, status,
 * mark, end_us, end_kind, state, then the counters: packets and bytes,
 * original then reply. STMT_FLOW_UPDATE's parameters ?1..?12, and the
 * columns of the readers' ct_flow_changes (lib/store_overlay.c). Sets *v to
 * column col and returns 1, or returns 0 when it is NULL (unset). */
#define STORE_CHANGE_COLUMNS 12
int store_change_column(const struct pchange *p, int col, int64_t *v);

/* Applies p, a change of a flow already written, to its row: the events it
 * adds, the last values they carried, its end (which also takes it off the
 * open flows and adds its duration key). A flow that is gone (pruned) is
 * left so. Returns 0 or -1 (reported). */
int store_flow_update(struct store *st, const struct pchange *p);

/* Changes of flows already written are accumulated in the order of their
 * events: the entry to add an event or an end of flow to (the last one when
 * it is flow's and not written yet, else a new one), or NULL (reported).
 * The pointer lasts until the next call. In a transaction. */
struct pchange *store_change_for(struct store *st, int64_t flow);
#define STORE_CHANGES_FLUSH_AT 16384	/* unwritten changes: flush (memory bound) */

/* Stores the changes not in flow_pending yet as one row of it; folds them
 * all when too many are held. Returns 0 or -1 (reported). In a transaction. */
int store_pending_write(struct store *st);

/* Reads flow_pending in order, calling fn for each change in turn (fn
 * returns 0, or -1 to stop); sets *rows and *last (its last seq). Returns 0
 * or -1 (damaged, reported; or fn's -1). */
int store_pending_read(struct store *st, int (*fn)(const struct pchange *c, void *arg),
		       void *arg, int64_t *rows, int64_t *last);

/* How long a statement waits for another connection's lock (ms). */
#define STORE_BUSY_MS 5000

/* The writer's checkpoints (every 10,000 frames of its -wal) and a warning
 * when a reader's old snapshot keeps them from taking the whole -wal, which
 * then grows: at 1 GiB (CT_WAL_WARN_BYTES) and each doubling. Replaces
 * SQLite's automatic checkpoints: nothing must set wal_autocheckpoint after.
 * Returns 0 or -1 (reported). */
int store_wal_watch(struct store *st);

/* The changes waiting in flow_pending as a reader holds them: their coded
 * bytes as read, and a change each in chg[0..n): its flow's id (key) and
 * where it starts in data (val), in the order they were made. */
struct pending_raw {
	uint8_t *data;
	size_t len, cap;
	struct radix_item *chg;
	size_t n, cap_n;
};

/* Reads flow_pending into raw (what it held is dropped). Only the changes'
 * heads are decoded, but every change is checked whole. Returns 0, or -1
 * (damaged, out of memory or SQLite's error, reported). */
int store_pending_scan(struct store *st, struct pending_raw *raw);

/* Decodes the change chg at into c (raw as store_pending_scan() left it:
 * it cannot fail then). */
void store_pending_decode(const struct pending_raw *raw, const struct radix_item *chg,
			  struct pchange *c);

void store_pending_raw_free(struct pending_raw *raw);

/* The flows that a held change (loaded: see store_pending_load) ends, in
 * id order: a malloc'd array of *n ids, or NULL (out of memory, reported). */
int64_t *store_pending_ends(const struct store *st, size_t *n);

/* Reads flow_pending into the held changes when they are stale: at open,
 * after a rollback, and when another writer (an import into the live
 * database) changed flow_pending since. Returns 0 or -1 (reported). */
int store_pending_load(struct store *st);

/* Counts a commit; says whether the held changes are due to be folded. */
int store_fold_due(struct store *st);

/* The writer's changes to open_ranges not written yet (lib/store_open.c):
 * ranges of flow ids in order, each with the flows born and ended. */
struct store_openset {
	struct orange *r;
	size_t n, cap;
	int64_t swept_us;	/* when every changed range was last written */
	int stale;		/* at open, after a rollback: rows may list ended flows */
};

struct store {
	sqlite3 *db;
	char *path;
	int writable;
	int tidy_wal;		/* a reader opened: may checkpoint a dead writer's -wal at close */
	int64_t page_size;	/* the writer's, for what its -wal holds (lib/store_wal_watch.c) */
	int64_t wal_warn_base;	/* the first size to warn at (CT_WAL_WARN_BYTES) */
	int64_t wal_warn_at;	/* warn when the -wal holds this much a checkpoint cannot take
				 * (past wal_warn_base: it has warned) */
	int in_txn;
	int64_t session;	/* the session this connection stores events for */
	sqlite3_stmt *stmt[STMT_MAX];

	/* flows of the open transaction (lib/store_write.c) */
	int64_t next_flow;	/* the id the next new flow gets */
	struct id_set held;

	/* changes to flows already written, not folded into them yet
	 * (lib/store_pending.c); stale: flow_pending is to be read again */
	struct pchange *chg;	/* in the order they came */
	size_t nchg, chg_cap;
	size_t chg_written;	/* chg[0..chg_written) are in flow_pending */
	int64_t held_from;	/* flows from this id on are new, in held */
	int pend_stale;
	int pend_broken;		/* flow_pending could not be read (reported) */
	unsigned pend_commits;	/* commits since the first of them */
	int64_t pend_rows, pend_last;	/* flow_pending as they left it: rows, last seq */

	/* a reader: in a read transaction of store_read_snapshot(), whether
	 * its temp view of flows (lib/store_overlay.c) is there, and the
	 * changes that view applies: their coded bytes (sorted by flow), and
	 * an entry a flow in id order (struct ovl_entry) that merges them when
	 * first asked */
	int snapshot;
	int64_t snapshots;	/* the read transactions it started: which one is open */
	int overlay;
	int ovl_module;
	struct pending_raw praw;
	struct ovl_entry *ovl;
	size_t novl, ovl_cap;

	/* the block being filled (lib/store_blocks.c) */
	struct evblock blk;
	int64_t blk_row;	/* its row once written, 0 before */
	int64_t blk_session;
	uint32_t blk_written;	/* records in the row as last written */

	void *keycache;		/* keys written in this transaction (lib/store_keys.c) */
	void *keys_due;		/* keys to write at the end of the flush, and how many */
	size_t nkeys_due, keys_due_cap;
	uint32_t keygen;	/* the transaction's number there; never 0 */
	struct store_openset open;
	struct store *left_next;	/* left for the exit (store_leave) */
};

/* A flow's columns come from flows f and, when it has such a row, flows_more m. */
#define STORE_FLOWS_FROM "flows f LEFT JOIN flows_more m ON m.id = f.id"
/* Its tuples, in the order store_read_tuple() and store_read_reply() read them. */
#define STORE_TUPLE_COLS \
	"f.o_l3, f.o_src, f.o_dst, f.o_sport, f.o_dport, m.o_itype, m.o_icode, m.o_iid, m.o_zone," \
	" m.r_l3, m.r_src, m.r_dst, m.r_sport, m.r_dport, m.r_itype, m.r_icode, m.r_iid, m.r_zone"

/* The rest of store_read_snapshot() once its read transaction has begun:
 * flow_pending's changes applied to the flows the snapshot reads. Returns 0
 * or -1 (reported). */
int store_read_fill(struct store *st);

/* Reports the database's last error about what, once; returns -1. */
int store_fail(struct store *st, const char *what);
/* Runs sql (statements without results). Returns 0, or -1 (reported about what). */
int store_exec(struct store *st, const char *sql, const char *what);
/* path + suffix ("-wal", "-shm"): the database's files beside it. malloc'd;
 * NULL when out of memory (not reported). */
char *store_sibling(const char *path, const char *suffix);
/* The name SQLite opens for the file at path: "./" before a relative path,
 * so that none is taken for one of SQLite's own (":memory:", an in-memory
 * database; "", a temporary one; "file:...", a URI naming another file).
 * malloc'd; NULL when out of memory (not reported). */
char *store_file_name(const char *path);

/* Returns the cached statement for id, preparing it on first use; NULL on error. */
sqlite3_stmt *store_stmt(struct store *st, int id);

/* Runs sql, which returns one integer, into *v. Returns 0 or -1 (reported,
 * about what). */
int store_one_int(struct store *st, const char *sql, const char *what, int64_t *v);

/* Reads an optional integer column into *v and sets bit in *has (NULL: neither). */
void store_read_opt(sqlite3_stmt *s, int col, uint64_t *v, uint32_t *has, uint32_t bit);

/* Reads the 9 tuple columns starting at col (l3, src, dst, sport, dport,
 * itype, icode, iid, zone) into t; proto is left 0. Returns -1 when they
 * are not what ctrecord stores (a damaged or edited row): addresses not of 4
 * bytes for AF_INET or 16 for AF_INET6, a port, ICMP field or zone not an
 * integer of its field's size. */
int store_read_tuple(sqlite3_stmt *s, int col, struct ct_tuple *t);

/* Reads a flow's reply tuple columns at col: NULL l3 means the mirror of orig. */
int store_read_reply(sqlite3_stmt *s, int col, const struct ct_tuple *orig,
		     struct ct_tuple *t);

/* Writes the flows held for the open transaction. Returns 0 or -1 (reported). */
int store_flush_flows(struct store *st);

/* Forgets the flows held (after a rollback) and frees their memory at close. */
void store_drop_flows(struct store *st, int free_all);

/* Writes the block being filled (a new row, or its row again with the
 * records added since). Returns 0 or -1 (reported). */
int store_flush_block(struct store *st);

/* Lists flow id in flow_keys: under its addresses and destination port
 * (store_keys_new, once), under its duration class when it has ended
 * (store_keys_end). A key this transaction already listed costs nothing.
 * The keys are written by store_keys_flush(), which store_flush_flows()
 * calls when it is done. Return 0 or -1 (reported). store_keys_forget()
 * empties the record of what was listed, and drops what was not written,
 * at the start and the abandon of a transaction; store_keys_free() frees
 * it all at close. */
int store_keys_new(struct store *st, int64_t id, const struct ct_tuple *orig);
int store_keys_end(struct store *st, int64_t id, int64_t first_us, int64_t end_us);
int store_keys_flush(struct store *st);
void store_keys_forget(struct store *st);
void store_keys_free(struct store *st);

/* Appends ev (of flow) to the block being filled, writing the block when
 * it is full. Returns 0 or -1 (reported). */
int store_block_add(struct store *st, int64_t flow, const struct ct_event *ev);

/* Starts a new block: the current one, written or not, is left as it is. */
void store_close_block(struct store *st);

/* At the start of a transaction: the next flow id, and whether the block
 * being filled is still the last one (else a new one starts). Returns 0 or -1. */
int store_blocks_begin(struct store *st);

/* The open flows' rows. store_open_add() notes flow id (which started at
 * first_us) as open, store_open_end() as ended. store_open_flush() merges
 * those changes into the rows (another writer's flows stay listed): of the
 * ranges with a new open flow, and of every changed range when all is set
 * or when the last such sweep is 10 s old (until then a row may still list
 * flows that ended). store_open_pending() says whether anything waits.
 * store_open_forget() drops the changes (a rollback): the next flush then
 * takes out of the rows every flow that has ended. Those returning int
 * return 0 or -1 (reported). store_open_free() frees the set. */
int store_open_add(struct store *st, int64_t id, int64_t first_us);
int store_open_end(struct store *st, int64_t id);
int store_open_flush(struct store *st, int all);
int store_open_pending(const struct store *st);
void store_open_forget(struct store *st);
void store_open_free(struct store *st);
/* Brings a database of schema version `version` up to this one, in one
 * transaction (lib/store_migrate.c). Returns 0, or -1 (reported; rolled back). */
int store_migrate(struct store *st, int version);

/* When the file path is a kernel file (on proc, sysfs, debugfs...), says it
 * is not a database and returns -1; else 0. (SQLite took /proc/self/status,
 * of size 0, for an empty database, and would write its schema into a
 * writable one.) */
int store_kernel_file(const char *path);
/* Sets user_version (PRAGMA takes no bound parameter). Returns 0 or -1 (reported). */
int store_set_version(struct store *st, int version);

/* In a pruning step, once the flows of temp table prune_pick are deleted:
 * deletes each key of theirs (temp table prune_keys) that no flow left in
 * its range has, reading each range touched once. Returns 0 or -1 (reported). */
int store_prune_drop_keys(struct store *st);

/* After a reader's connection is closed: when a writer died leaving a -wal
 * of a megabyte or more, no connection is left and this process may write
 * the files, checkpoints it into the database and truncates it, so that
 * each later reader need not index it again (tens of ms). The content is
 * unchanged. Best effort: reports nothing, gives up if anyone connects. */
void store_wal_tidy(const char *path);
/* Might store_wal_tidy(path) have work: is the -wal that large? */
int store_wal_untidy(const char *path);

#endif
