/* Internal to the store: turns a struct store_query into a prepared, bound SELECT. */
#ifndef CT_STORE_QUERY_H
#define CT_STORE_QUERY_H

#include "store_internal.h"

/* Prepares "head FROM ... WHERE <q's conditions> order" with every value
 * bound. head is the column list (flows are "f", events "e"); events selects
 * events joined with their flows, else flows alone. Returns the statement
 * (the caller finalizes it) or NULL (reported). */
sqlite3_stmt *store_query_prepare(struct store *st, const struct store_query *q, int events,
				  const char *head, const char *order);

#endif
