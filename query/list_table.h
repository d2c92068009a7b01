/* The list table: rows in columns as wide as their widest value, laid out over a bounded look-ahead and, past it, over the longest tuples of the shapes it held. */
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
 * and has no layout yet (list_table_layout() before the next row); else 0. */
int64_t list_table_full(const struct list_table *t);

/* Chooses the widths: each column's widest value among the rows held (at
 * least its title); when more rows follow, the longest tuple of each shape
 * held (protocol, family, ports or ICMP fields) and flow numbers up to
 * max_id as well (one of a shape not held, or larger counters, is wider
 * than its columns: a long list is not read twice). Then writes the header
 * and the rows held. */
void list_table_layout(struct list_table *t, int more, int64_t max_id);

/* Adds flow fl's row: held until the layout is chosen, then written.
 * Returns 0, or -1 when out of memory (reported). */
int list_table_row(struct list_table *t, const struct store_flow *fl);

/* Writes what is held (the layout chosen from it) and frees t. */
void list_table_end(struct list_table *t);

#endif
