/* Makes again the indexes of schema/schema.sql that a database lacks (an operator or a tool dropped one): what ctrecord --upgrade does besides migrating. */
#include <string.h>
#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_internal.h"

extern const char ct_sql_schema[];

#define CREATE "CREATE INDEX "

/* The index that the statement at sql (CREATE INDEX NAME ON ...;) makes,
 * made unless there: 1 when it was missing and is made, 0 when there, -1
 * (reported). */
static int make_one(struct store *st, const char *sql)
{
	const char *name = sql + strlen(CREATE), *end = strchr(name, ';');
	int nlen = (int)strcspn(name, " \n");
	char *q, *create;
	int64_t there;
	int rc;

	if (!end)
		return log_error("schema.sql: no ';' after '%.*s'", nlen, name);
	q = sqlite3_mprintf("SELECT count(*) FROM sqlite_master WHERE type = 'index'"
			    " AND name = '%.*q'", nlen, name);
	create = sqlite3_mprintf("CREATE INDEX IF NOT EXISTS %.*s", (int)(end - name), name);
	if (!q || !create) {
		sqlite3_free(q);
		sqlite3_free(create);
		return log_error("out of memory");
	}
	rc = store_one_int(st, q, "cannot read the schema", &there);
	if (!rc && !there)
		rc = store_exec(st, create, "cannot make an index");
	sqlite3_free(q);
	sqlite3_free(create);
	if (rc)
		return -1;
	if (!there)
		log_info("'%s': made its missing index %.*s again", st->path, nlen, name);
	return !there;
}

int store_make_indexes(struct store *st)
{
	const char *p = ct_sql_schema;

	for (; (p = strstr(p, CREATE)); p += strlen(CREATE))
		if ((p == ct_sql_schema || p[-1] == '\n') && make_one(st, p) < 0)
			return -1;
	return 0;
}
