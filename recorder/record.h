/* Turns decoded events into stored flows and events, keeping track of which flows are open. */
#ifndef CT_RECORD_H
#define CT_RECORD_H

#include <stdint.h>
#include "ct_event.h"

struct store;
struct flowmap;

struct recorder {
	struct store *st;
	struct flowmap *open;
	int64_t session;
	uint64_t events, flows, lost, unparsed;
};

/* Stores ev (an event or, with type CT_EV_DUMP, a start-up dump entry) under
 * its flow: a NEW or an unknown entry opens a flow, a DESTROY ends it.
 * Must run inside a transaction. Returns 0, or -1 on a database error (reported). */
int record_event(struct recorder *r, struct ct_event *ev);

/* Keeps a message that could not be decoded. Returns 0 or -1 (reported). */
int record_unparsed(struct recorder *r, int64_t t_us, const void *msg, size_t len);

#endif
