/* What the store's files share: the handle and its prepared statements. */
#ifndef CT_STORE_INTERNAL_H
#define CT_STORE_INTERNAL_H

#include <sqlite3.h>
#include "store.h"

enum {
	STMT_FLOW_INSERT,
	STMT_FLOW_END,
	STMT_EVENT_INSERT,
	STMT_GAP_INSERT,
	STMT_UNPARSED_INSERT,
	STMT_MAX
};

struct store {
	sqlite3 *db;
	char *path;
	int writable;
	int64_t session;	/* the session this connection stores events for */
	sqlite3_stmt *stmt[STMT_MAX];
};

/* Reports the database's last error about what, once; returns -1. */
int store_fail(struct store *st, const char *what);

/* Returns the cached statement for id, preparing it on first use; NULL on error. */
sqlite3_stmt *store_stmt(struct store *st, int id);

/* Reads the 9 tuple columns starting at col (l3, src, dst, sport, dport,
 * itype, icode, iid, zone) into t; proto is left 0. Returns -1 when the
 * stored addresses are not 4 or 16 bytes. */
int store_read_tuple(sqlite3_stmt *s, int col, struct ct_tuple *t);

#endif
