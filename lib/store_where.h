/* Internal to the store: the view --where expressions see, and the authorizer they run under (lib/store_where.c). */
#ifndef CT_STORE_WHERE_H
#define CT_STORE_WHERE_H

/* "(SELECT ... FROM flows vf LEFT JOIN main.flows_more vm ...": the view,
 * one row per flow, open for a WHERE of its own. Its tables are vf and vm,
 * so that such a condition can name the flow f of an enclosing query. The
 * functions it calls are registered by store_check_where(). */
extern const char store_where_view[];

/* What follows the view, around a --where expression, in store_check_where
 * as in the query: a newline before the closing parenthesis ends a --
 * comment, so the expression stays whole and one. */
#define WHERE_OPEN ") AS flows_v WHERE ("
#define WHERE_CLOSE "\n)"

/* SQLite's authorizer for statements with a --where expression: refuses
 * anything such an expression could do beyond reading. */
int store_where_authorize(void *arg, int action, const char *a, const char *b, const char *db,
			  const char *trigger);

#endif
