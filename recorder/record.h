/* Turns decoded events into stored flows and events, keeping track of which flows are open. */
#ifndef CT_RECORD_H
#define CT_RECORD_H

#include <stdint.h>
#include "ct_event.h"

struct store;
struct flowmap;
struct flowmap_entry;
struct ct_filter;

/* What a recorder stored and skipped, as one block (a rollback restores it). */
struct record_counts {
	uint64_t events, flows, gaps, unparsed, ended_unknown;
	uint64_t unseen;		/* flows opened by an event after their NEW */
	uint64_t filtered;		/* events and dump entries the filter refused */
};

struct recorder {
	struct store *st;
	struct flowmap *open;
	int64_t session;
	const struct ct_filter *filter;	/* store only the events it matches, or NULL */
	unsigned unrecorded;	/* 1 << CT_EV_*: types received only to end flows (-e) */
	struct record_counts n;
};

/* Stores ev (a NEW, UPDATE or DESTROY) under its flow: a NEW or an unknown
 * entry opens a flow, a DESTROY ends it. A DESTROY that is not recorded
 * (its type is unrecorded, or the filter refuses it) still ends its flow,
 * which would else stay open for ever. Must run inside a transaction.
 * Returns 0, or -1 on a database error (reported). */
int record_event(struct recorder *r, struct ct_event *ev);

/* Takes one entry of a table dump: a flow not yet open is opened (origin
 * given) with a DUMP event holding what the dump showed; an open one is only
 * marked as seen. Returns 0 or -1 (reported). */
int record_dump_entry(struct recorder *r, struct ct_event *ev, int origin);

/* Keeps a message that could not be decoded. Returns 0 or -1 (reported). */
int record_unparsed(struct recorder *r, int64_t t_us, const void *msg, size_t len);

/* Flow origins (flows.origin) and ends (flows.end_kind). */
enum { ORIGIN_NEW = 0, ORIGIN_DUMP = 1, ORIGIN_UNSEEN = 2 };
enum { END_DESTROYED = 1, END_UNKNOWN = 2 };

/* Ends the open flow e as "end unknown" at t_us. Returns 0 or -1 (reported). */
int record_end_unknown(struct recorder *r, const struct flowmap_entry *e, int64_t t_us);

#endif
