/* ctrecord --import: loads existing `conntrack -E` logs (text or XML) into the database. */
#include "import.h"
#include "log.h"

int import_log(struct store *st, const struct import_opts *o)
{
	(void)st;
	return log_error("%s: importing is not implemented yet", o->file);
}
