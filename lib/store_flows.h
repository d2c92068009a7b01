/* What a restarted recorder or a continued import needs from earlier sessions: their open flows and where they stopped. */
#ifndef CT_STORE_FLOWS_H
#define CT_STORE_FLOWS_H

#include <stdint.h>
#include "ct_event.h"

struct store;

/* Called for each flow without an end: ev carries its family, kernel id,
 * zone and tuples, and t_us is when it was first seen. Returns 0 to go on, -1 to stop (the walk then fails). */
typedef int (*store_open_flow_cb)(int64_t flow, const struct ct_event *ev, void *data);

/* Calls cb for every flow a recorder left open in the database (not an
 * import: those are no kernel table's to reconcile with). Returns 0 or -1
 * (reported). */
int store_each_open_flow(struct store *st, store_open_flow_cb cb, void *data);

/* Calls cb for every flow the import `session` left open: the flows it
 * opened and those it continued from the imports before it (imports.continues,
 * followed back), still without an end. Returns 0 or -1 (reported). */
int store_each_open_import_flow(struct store *st, int64_t session, store_open_flow_cb cb,
				void *data);

/* Finds where recording last stopped before session `current`: the previous
 * recording session's stop time, or, when it did not stop cleanly, the time
 * of the last event stored (call it before storing any in `current`).
 * Returns 1 and sets *t_us and *clean, 0 when there was no earlier recording
 * session, -1 on error (reported). */
int store_last_stop(struct store *st, int64_t current, int64_t *t_us, int *clean);

#endif
