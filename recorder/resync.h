/* After the kernel dropped events: a table dump reconciles the open flows with what really exists. */
#ifndef CT_RESYNC_H
#define CT_RESYNC_H

#include <stdint.h>

struct recorder;

/* Dumps the table: unknown entries become flows (first seen mid-life), open
 * flows missing from the dump are marked vanished. Returns the number of
 * vanished flows, or -1 (reported). Runs inside a transaction. */
long resync_dump(struct recorder *r);

/* Ends every flow still marked vanished as "end unknown" at t_us: called once
 * the events queued before the dump have been stored (a DESTROY among them
 * ends its flow properly). Returns 0 or -1 (reported). */
int resync_finish(struct recorder *r, int64_t t_us);

#endif
