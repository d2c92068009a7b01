/* Losses the kernel does not report (--reliable turns ENOBUFS off): flows first seen after their NEW, stored as gaps. */
#ifndef CT_UNREPORTED_H
#define CT_UNREPORTED_H

#include <stdint.h>

struct recorder;

struct unreported {
	int on;			/* only then is a flow first seen mid-life a loss */
	uint64_t unseen;	/* the recorder's count at the transaction's start */
	int64_t first_us;	/* the first such flow's event in it, 0 if none */
	int warned;
};

/* Switches the count on when a flow first seen after its NEW can only mean
 * a lost NEW: under --reliable (no ENOBUFS), with NEW events recorded and no
 * filter option that a flow's NEW may fail and a later event pass
 * (per_event: FF_PER_EVENT given). */
void unreported_init(struct unreported *u, int reliable, unsigned evmask, int per_event);

/* A transaction begins: what the recorder counted so far is not news. */
void unreported_begin(struct unreported *u, const struct recorder *r);

/* After an event received at t_us was stored. */
void unreported_seen(struct unreported *u, const struct recorder *r, int64_t t_us);

/* Before the commit: one gap (kind "unreported") at the first such flow's
 * event, with as many events lost as flows were first seen mid-life since
 * unreported_begin(); a warning the first time. Returns 0 or -1 (reported). */
int unreported_flush(struct unreported *u, struct recorder *r);

#endif
