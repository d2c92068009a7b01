/* Retention while recording: prunes the oldest history in small steps, by age and by size. */
#ifndef CT_RETENTION_H
#define CT_RETENTION_H

#include <stdint.h>

struct store;

struct retention {
	int64_t keep_us;	/* --retain: history older than this goes; 0 = no limit */
	int64_t max_bytes;	/* --max-size: the oldest flows go above this; 0 = no limit */
	int64_t next_us;	/* monotonic time of the next step */
	uint64_t flows, events;	/* removed so far */
};

/* Non-zero when r has a limit to keep. */
int retention_enabled(const struct retention *r);

/* Runs one step (one short transaction) when it is due; steps come quickly
 * while there is work, every few seconds otherwise. Must be called outside a
 * transaction. Returns 0 or -1 (reported). */
int retention_step(struct retention *r, struct store *st);

/* Prunes until both limits hold (ctrecord --prune). Returns 0 or -1 (reported). */
int retention_run(struct retention *r, struct store *st);

#endif
