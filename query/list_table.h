/* The list table: rows in columns as wide as their widest value, laid out over a bounded look-ahead and, past it, over what the rest of the flows can hold. */
#ifndef CT_LIST_TABLE_H
#define CT_LIST_TABLE_H

#include <stdio.h>

#include "store.h"

/* Rows held before the layout is chosen: when the list has no more, the
 * columns are exactly as wide as their widest value. */
#define LIST_TABLE_AHEAD 1000

struct nfct_labelmap;
struct list_table;

/* A table written to out, with a LABELS column when labels is set (the
 * names of map). Returns NULL when out of memory (reported). */
struct list_table *list_table_new(FILE *out, int labels, struct nfct_labelmap *map);

/* The id of the last flow held when the table holds LIST_TABLE_AHEAD rows
 * and has no layout yet (the next row needs the bounds of the flows past
 * it: list_table_layout()); else 0. */
int64_t list_table_full(const struct list_table *t);

/* Chooses the widths: each column's widest value among the rows held (at
 * least its title), and with rest (NULL: no more rows), what those flows
 * can hold; then writes the header and the rows held. */
void list_table_layout(struct list_table *t, const struct store_flow_bounds *rest);

/* Adds flow fl's row: held until the layout is chosen, then written.
 * Returns 0, or -1 when out of memory (reported). */
int list_table_row(struct list_table *t, const struct store_flow *fl);

/* Writes what is held (the layout chosen from it) and frees t. */
void list_table_end(struct list_table *t);

#endif
