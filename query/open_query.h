/* Opens the database for a query command, with what its --where, --session and --flow name checked against it. */
#ifndef CT_OPEN_QUERY_H
#define CT_OPEN_QUERY_H

#include "commands.h"
#include "store.h"

/* Opens ctx's database for reading into *st and checks q against it.
 * Returns 0 with *st open, or the command's exit code, reported, with
 * nothing left open: 1 when the database cannot be opened or has no such
 * --session or --flow, 2 when q's --where is not an expression over flows_v. */
int open_query(const struct query_ctx *ctx, const struct store_query *q, struct store **st);

#endif
