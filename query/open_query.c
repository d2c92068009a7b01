/* Opens the database for a query command, with what its --where, --session and --flow name checked against it. */
#include <stddef.h>

#include "open_query.h"

int open_query(const struct query_ctx *ctx, const struct store_query *q, struct store **st)
{
	int rc = 0;

	if (!(*st = store_open(ctx->db, STORE_READ)))
		return 1;
	if (q->where && store_check_where(*st, q->where))
		rc = 2;
	else if (store_check_named(*st, q))
		rc = 1;
	if (rc) {
		store_close(*st);
		*st = NULL;
	}
	return rc;
}
