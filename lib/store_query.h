/* Internal to the store: turns a struct store_query into a prepared, bound SELECT. */
#ifndef CT_STORE_QUERY_H
#define CT_STORE_QUERY_H

#include "store_internal.h"

/* Prepares "head FROM flows f WHERE <q's flow conditions> order" with every
 * value bound; the time filters select flows alive in the window, and the
 * conditions on events themselves (types, after, the events' session) are
 * left to the caller. Returns the statement (the caller finalizes it) or
 * NULL (reported). */
sqlite3_stmt *store_query_prepare(struct store *st, const struct store_query *q,
				  const char *head, const char *order);

#endif
