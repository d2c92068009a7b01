/* After the kernel dropped events: a table dump reconciles the open flows with what really exists. */
#ifndef CT_RESYNC_H
#define CT_RESYNC_H

#include <stdint.h>

struct recorder;

/* Dumps the table: entries without an open flow become flows of the given
 * origin (ORIGIN_DUMP at start, ORIGIN_UNSEEN after a loss), open flows
 * missing from the dump are marked vanished. Sets *entries (the table's size)
 * and *vanished. Returns 0 or -1 (reported). Runs inside a transaction. */
int resync_dump(struct recorder *r, int origin, long *entries, long *vanished);

/* Ends every flow still marked vanished as "end unknown" at t_us: called once
 * the events queued before the dump have been stored (a DESTROY among them
 * ends its flow properly). Returns 0 or -1 (reported). */
int resync_finish(struct recorder *r, int64_t t_us);

#endif
