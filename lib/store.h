/* The database: the only module that speaks SQL to the tables (schema/schema.sql). */
#ifndef CT_STORE_H
#define CT_STORE_H

#include <stdint.h>
#include "ct_event.h"

#define STORE_SCHEMA_VERSION 1
#define CT_VERSION "0.1"

struct store;
struct sqlite3;

enum store_mode { STORE_READ, STORE_WRITE };

/* Opens the database at path. STORE_WRITE creates it (and the schema) when
 * missing, sets WAL and checks the version; STORE_READ opens read-only and
 * fails when the file is missing. A database of a newer schema version, or a
 * file that is not one of ours, fails. Returns NULL after reporting. */
struct store *store_open(const char *path, enum store_mode mode);

/* Finalizes everything and closes; uncommitted work is rolled back. */
void store_close(struct store *st);

/* The underlying handle, for modules that read with their own SQL views. */
struct sqlite3 *store_db(struct store *st);

/* Transactions. Return 0 or -1 (reported). */
int store_begin(struct store *st);
int store_commit(struct store *st);

/* Returns the new session id, or -1. kind is "record" or "import". */
int64_t store_session_start(struct store *st, const char *kind, const char *source,
			    int64_t t_us);
int store_session_stop(struct store *st, int64_t session, int64_t t_us);

/* Returns the new flow's id, or -1. origin: 0 NEW, 1 start-up dump, 2 first
 * seen after its start. The tuples, ct id and zone come from ev. */
int64_t store_flow_insert(struct store *st, int64_t session, const struct ct_event *ev,
			  int origin);

/* Records the end of a flow: end time, how it ended (1 destroyed, 2 end
 * unknown), final state and counters when ev carries them (ev may be NULL). */
int store_flow_end(struct store *st, int64_t flow, int64_t t_us, int end_kind,
		   const struct ct_event *ev);

/* Stores one event of flow: what ev carries beyond the flow's tuples. */
int store_event_insert(struct store *st, int64_t flow, const struct ct_event *ev);

/* A place where history may be incomplete; lost < 0 when unknown. */
int store_gap_insert(struct store *st, int64_t session, int64_t t_us, const char *kind,
		     int64_t lost);

/* A message that could not be decoded, kept whole. */
int store_unparsed_insert(struct store *st, int64_t session, int64_t t_us,
			  const void *msg, size_t len);

/* Reading events in the order received. */
struct store_cursor;

struct store_query {
	unsigned type_mask;	/* bit (1 << CT_EV_*) per wanted type; 0 = NEW|UPDATE|DESTROY */
};

/* Returns a cursor over the matching events, or NULL (reported). */
struct store_cursor *store_events(struct store *st, const struct store_query *q);

/* Fills ev (and *flow) with the next event. Returns 1, 0 at the end, -1 on error. */
int store_next(struct store_cursor *c, struct ct_event *ev, int64_t *flow);

void store_cursor_free(struct store_cursor *c);

#endif
