/* The database: the only module that speaks SQL to the tables (schema/schema.sql). */
#ifndef CT_STORE_H
#define CT_STORE_H

#include <stdint.h>
#include "ct_event.h"

#define STORE_SCHEMA_VERSION 10
/* The oldest version a reader takes as it is: 9 only adds imports.continues,
 * which only imports read, so ctquery reads a version 8 database before its
 * recorder (or an import, or --upgrade) has brought it up to date. */
#define STORE_READ_MIN_VERSION 8
#define CT_VERSION "0.1"

struct store;
struct sqlite3;

enum store_mode { STORE_READ, STORE_WRITE };

/* Opens the database at path. STORE_WRITE creates it (and the schema) when
 * missing, sets WAL and checks the version; STORE_READ opens read-only and
 * fails when the file is missing. A database of a newer schema version, or a
 * file that is not one of ours, fails. Returns NULL after reporting. */
struct store *store_open(const char *path, enum store_mode mode);

/* Rewrites a database made before version 6 so that its free pages can go
 * back to the file system (auto_vacuum incremental, then VACUUM: it needs
 * as much free disk as the file takes). Nothing to do for a newer one.
 * Returns 0 or -1 (reported). */
int store_compact(struct store *st);

/* Makes again each index of the schema (schema/schema.sql) that the
 * database lacks, saying which; readers are slower without one
 * (ctrecord --upgrade). Returns 0 or -1 (reported). */
int store_make_indexes(struct store *st);

/* Finalizes everything and closes; uncommitted work is rolled back. A
 * writer's free pages go back to the file system first. */
void store_close(struct store *st);

/* For a reader in a process about to exit: ends its read transaction and
 * leaves the rest (memory, files) to the exit, unless its -wal wants the
 * tidying store_close() gives it (then closes). Freeing it all took 20-30
 * us of a `ctquery show`'s 1.1 ms: SQLite's closing code run cold, the heap
 * walked. What is left stays reachable: leak checkers see nothing lost. A
 * writer is closed. */
void store_leave(struct store *st);

/* Closes every reader store_leave() left, for a process that goes on after
 * a command (the fuzz target that runs ctquery's commands in turn). */
void store_left_close(void);

/* The underlying handle, for modules that read with their own SQL views. */
struct sqlite3 *store_db(struct store *st);

/* Non-zero when the last failure may pass by itself: the disk or the
 * database is full (SQLITE_FULL), an I/O error (SQLITE_IOERR), or another
 * writer held the lock past the busy timeout (SQLITE_BUSY, e.g. an import
 * into the live database). */
int store_error_transient(struct store *st);

/* Transactions. Return 0 or -1 (reported). Flows and events are written
 * in a transaction only: they are held in memory and written at commit
 * (or when many are held), so reads through other handles see them then. */
int store_begin(struct store *st);
int store_commit(struct store *st);

/* store_commit() with the changes of flows folded into their rows and the
 * ranges of open flows written first, in the same transaction, which
 * store_close() would do after it in one of its own: a failure there came
 * after the work was said to be done, and was reported with exit status 0.
 * For a writer about to close (an import: all of it or nothing). */
int store_commit_whole(struct store *st);

/* Folds the changes of flows waiting (this writer's, or another's it found)
 * into their rows and writes the ranges of open flows, in a transaction of
 * its own: what store_close() would do, where a failure could not be
 * reported. Call it outside a transaction. Returns 0 or -1 (reported; the
 * changes stay waiting in flow_pending for the next writer). */
int store_fold_waiting(struct store *st);

/* Abandons the open transaction, if any (SQLite may have already). */
void store_rollback(struct store *st);

/* Changes to flows already written (their later events, their end) are
 * folded into their rows about every tenth commit, in id order, and at
 * close; until then they wait in flow_pending, where readers find them
 * (store_open() for reading applies them). store_pending_changes() tells how
 * many changes wait (one per flow and flush); store_fold() folds them now, in
 * a transaction (a recorder does so when idle). Returns 0 or -1 (reported). */
size_t store_pending_changes(const struct store *st);
int store_fold(struct store *st);

/* A reader's view of the database: store_open() for reading starts a read
 * transaction (one snapshot, flow_pending's changes applied to the flows it
 * reads); this ends it and starts another, to see what was committed since.
 * Returns 0 or -1 (reported). */
int store_read_snapshot(struct store *st);

/* Ends the read transaction of store_read_snapshot() (none is left open;
 * the next query reads in a transaction of its own). Returns 0 or -1
 * (reported). */
int store_read_end(struct store *st);

/* Returns the new session id, or -1. kind is "record" or "import". */
int64_t store_session_start(struct store *st, const char *kind, const char *source,
			    int64_t t_us);
int store_session_stop(struct store *st, int64_t session, int64_t t_us);

/* Imports (schema version 2, table imports). digest identifies a log's
 * content. store_import_find returns the session that imported that content
 * first, 0 when none, -1 on error (reported). store_import_insert records
 * that session imported it: format "text", "xml" or "save", events stored, how
 * many of them had no time in the log (their time is the import's), and the
 * import session whose open flows it continued (0: none). */
int64_t store_import_find(struct store *st, const char *digest);
int store_import_insert(struct store *st, int64_t session, const char *digest,
			int64_t bytes, const char *format, int64_t events, int64_t untimed,
			int64_t continues);

/* Returns the session of the last import (the highest id), 0 when there was
 * none, -1 on error (reported). */
int64_t store_import_last(struct store *st);

/* The receive time of the last event session stored (µs), 0 when it stored
 * none, -1 on error (reported). */
int64_t store_session_last_us(struct store *st, int64_t session);

/* Calls fn for each earlier import (its session, digest and size), the
 * smallest first, until fn returns non-zero. Returns 0, or -1 when reading
 * failed (reported) or fn returned a negative value (its own report). */
int store_imports_by_size(struct store *st,
			  int (*fn)(int64_t session, const char *digest, int64_t bytes, void *arg),
			  void *arg);

/* Returns the new flow's id, or -1. origin: 0 NEW, 1 start-up dump, 2 first
 * seen after its start. The tuples, ct id and zone come from ev. */
int64_t store_flow_insert(struct store *st, int64_t session, const struct ct_event *ev,
			  int origin);

/* Records the end of a flow first seen at first_us (its first_us, as
 * store_flow_insert was given): end time, how it ended (1 destroyed, 2 end
 * unknown), final state and counters when ev carries them (ev may be NULL). */
int store_flow_end(struct store *st, int64_t flow, int64_t first_us, int64_t t_us, int end_kind,
		   const struct ct_event *ev);

/* Stores one event of flow: what ev carries beyond the flow's tuples, with
 * the session that store_session_start() last started on st. */
int store_event_insert(struct store *st, int64_t flow, const struct ct_event *ev);

/* A place where history may be incomplete; lost < 0 when unknown. */
int store_gap_insert(struct store *st, int64_t session, int64_t t_us, const char *kind,
		     int64_t lost);

/* A message that could not be decoded, kept whole. */
int store_unparsed_insert(struct store *st, int64_t session, int64_t t_us,
			  const void *msg, size_t len);

/* Reading events in the order received. */
struct store_cursor;

/* An inclusive range of raw addresses (4 or 16 bytes): a CIDR prefix or one address. */
struct store_range {
	int len;		/* 0: no condition; 4 or 16 */
	uint8_t lo[16], hi[16];
};

/* Which pre-filters of struct store_query are set (bits of .pf). */
enum {
	STORE_PF_FAMILY = 1 << 0,
	STORE_PF_PROTO = 1 << 1,
	STORE_PF_SPORT = 1 << 2,
	STORE_PF_DPORT = 1 << 3,
	STORE_PF_RSPORT = 1 << 4,
	STORE_PF_RDPORT = 1 << 5,
	STORE_PF_SINCE = 1 << 6,
	STORE_PF_UNTIL = 1 << 7,
	STORE_PF_AT = 1 << 8,
	STORE_PF_FLOW = 1 << 9,
	STORE_PF_SESSION = 1 << 10,
	STORE_PF_AFTER = 1 << 11,
	STORE_PF_IDS = 1 << 12,
};

/* What to read. A zeroed query reads every NEW, UPDATE and DESTROY event.
 * The pre-filters only narrow on the flows' columns (indexed where they can
 * be); exact conntrack semantics per event are the caller's (lib/filter.h). */
struct store_query {
	unsigned type_mask;	/* bit (1 << CT_EV_*) per wanted type; 0 = NEW|UPDATE|DESTROY;
				 * for flows: those with an event of these types, 0 = all */
	unsigned pf;		/* STORE_PF_* */
	int family, proto;
	int sport, dport, rsport, rdport;	/* ports of the original / reply tuple */
	struct store_range src, dst, rsrc, rdst;	/* tuple addresses */
	int64_t since_us, until_us;	/* events (or flows alive) within [since, until] */
	int64_t at_us;		/* flows alive at that instant (still open counts) */
	int64_t flow;		/* one flow id */
	int64_t session;	/* events stored by that session; flows it started */
	int64_t after_id;	/* events after this event id (replay --follow) */
	int64_t ids_after, ids_upto;	/* flows with ids in (after, upto] */
	const char *where;	/* SQL expression over the view flows_v, or NULL */
};

/* Returns a cursor over the matching events, or NULL (reported). A cursor
 * with flow conditions reads the flows and their events in one snapshot: when
 * no transaction is open on st it begins a read transaction, which
 * store_cursor_free() ends (so the writer's checkpoints wait until then). */
struct store_cursor *store_events(struct store *st, const struct store_query *q);

/* The id of the event store_next() returned last (increasing in the order
 * events were stored). */
int64_t store_cursor_event_id(const struct store_cursor *c);

/* Fills ev (and *flow) with the next event. Returns 1, 0 at the end, -1 on error. */
int store_next(struct store_cursor *c, struct ct_event *ev, int64_t *flow);

/* Gives up c's snapshot, and with it the read transaction on its store, for
 * a while: a reader whose output waits (a pager left open) would otherwise
 * keep the writer's checkpoints from reusing the -wal, which grows. The next
 * store_next() takes a new snapshot and goes on where c was, with the
 * events of the first snapshot only (a selective query then reads on from
 * where it is, no longer from both ends); for a cursor of store_flows(),
 * the next store_next_flow() goes on with the flows after the last one
 * read, up to the first snapshot's last, as they are then. Returns 1 when released, 0 when it is not (or already is), -1 when ending
 * the read failed (reported; the cursor then gives no more events). */
int store_cursor_release(struct store_cursor *c);

void store_cursor_free(struct store_cursor *c);

/* One flow's row, as read by store_flows(). ev holds the tuples, family,
 * zone, ct id, the last state, status and mark any event carried (has bits
 * tell which), the final counters, and t_us = first seen. */
struct store_flow {
	int64_t id, session;
	int origin;		/* 0 NEW, 1 start-up dump, 2 first seen mid-life */
	int64_t first_us, end_us;	/* end_us valid when end_kind != 0 */
	int end_kind;		/* 0 open, 1 destroyed, 2 end unknown */
	int64_t last_us;	/* the last event's receive time */
	int64_t nevents;
	struct ct_event ev;
};

/* Checks --where's expression before any output: it must compile alone, as
 * one expression reading the view flows_v and nothing else. Returns 0, or -1
 * (reported, naming expr), which is the user's error, not the store's. */
int store_check_where(struct store *st, const char *expr);

/* Checks that the session (--session) and the flow (--flow) q names, if any,
 * are the database's: one it lacks is reported ("no session N", "no flow N":
 * never stored, or removed by retention), where an answer would be empty.
 * Returns 0, or -1 (reported). */
int store_check_named(struct store *st, const struct store_query *q);

/* Returns a cursor over the flows matching q's pre-filters in id order (the
 * time filters select flows alive in the window), or NULL (reported). */
struct store_cursor *store_flows(struct store *st, const struct store_query *q);

/* Fills fl with the next flow. Returns 1, 0 at the end, -1 on error (reported). */
int store_next_flow(struct store_cursor *c, struct store_flow *fl);

/* A cursor over the events of flow fl, which store_next_flow() filled last
 * from flows, of the types in type_mask (0: NEW, UPDATE and DESTROY): those
 * that store_events() gives for its id. Its row is not read again when
 * flows read it in the snapshot still open (store_open() for reading starts
 * one) and has not moved since; else the events are read as store_events()
 * reads them. Returns NULL (reported). */
struct store_cursor *store_flow_events(struct store_cursor *flows, const struct store_flow *fl,
				       unsigned type_mask);

/* Gaps: how many, the events known lost in them, and how many of them lost
 * an unknown number (the kernel's ENOBUFS, an outage: all, so far). */
struct store_gaps {
	int64_t n, lost, unknown;
};

/* One recorder run or import, for `ctquery sessions`. */
struct store_session {
	int64_t id, started_us, stopped_us;	/* stopped_us 0: running or crashed */
	char kind[16], host[64], source[256], version[32];
	int64_t pid, flows, events;
	struct store_gaps gaps;
};

/* Calls fn for each session in id order; stops when fn returns non-zero.
 * Returns 0 or -1 (reported). */
int store_sessions(struct store *st, int (*fn)(const struct store_session *s, void *arg),
		   void *arg);

/* The stored events of each type (types[CT_EV_NEW] .. types[CT_EV_DUMP]),
 * from the blocks' headers. Returns 1, or 0 when the headers cannot tell: a
 * block from before version 7 or whose counts of each type do not add up to
 * its n, or retention removed flows (whose events may stay in blocks but are
 * no longer read); -1 on error (reported). */
int store_event_totals(struct store *st, uint64_t types[5]);

/* All flows, by protocol and final protocol state (state -1: none), through
 * fn with their number, earliest first_us and latest last_us (0: none). fn
 * returns non-zero to stop. Returns 0 or -1 (reported). */
int store_flow_totals(struct store *st,
		      int (*fn)(int proto, int state, int64_t n, int64_t first_us,
				int64_t last_us, void *arg),
		      void *arg);

/* The time the stored events cover: the earliest and the latest receive
 * time of any event (DUMP entries too), from the blocks' headers. Returns 1,
 * 0 when nothing is stored (first and last untouched), -1 on error
 * (reported). */
int store_history_span(struct store *st, int64_t *first_us, int64_t *last_us);

/* The gaps within [since, until] (pass INT64_MIN/INT64_MAX for all), of
 * one session (0: of all). Returns 0 or -1 (reported). */
int store_gap_totals(struct store *st, int64_t session, int64_t since_us, int64_t until_us,
		     struct store_gaps *g);

/* What retention removed (table prunes, schema version 3): how many pruning
 * steps, the latest "history before" bound (µs), and the flows and events
 * removed in all. *steps is 0 (the rest untouched) when nothing was pruned,
 * also in a database older than version 3. Returns 0 or -1 (reported). */
int store_prune_totals(struct store *st, int64_t *steps, int64_t *before_us, int64_t *flows,
		       int64_t *events);

/* Sets *id to the largest flow id in the reader's snapshot (0: none), one
 * look-up. Returns 0 or -1 (reported). */
int store_max_flow_id(struct store *st, int64_t *id);

/* Writes the query plan of the flows statement that q would run (store_flows,
 * and the flows that store_events joins), one "detail" line each, to buf.
 * For tests. Returns 0 or -1 (reported). */
int store_query_plan(struct store *st, const struct store_query *q, char *buf, size_t size);

#endif
