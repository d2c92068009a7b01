/* ctrecord --import: loads existing `conntrack -E` logs (text or XML) into the database. */
#ifndef CT_IMPORT_H
#define CT_IMPORT_H

struct store;

struct import_opts {
	const char *file;	/* path, or "-" for standard input */
	int force;		/* import even if this content was imported before */
	int cont;		/* --continue: the log continues the last import's */
};

/* Imports one log as a session of kind "import", all or nothing. Returns 0,
 * or -1 after reporting "file:line: what is wrong" (nothing is committed). */
int import_log(struct store *st, const struct import_opts *o);

#endif
