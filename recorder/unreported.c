/* Losses the kernel does not report (--reliable turns ENOBUFS off): flows first seen after their NEW, stored as gaps. */
#include "ct_event.h"
#include "log.h"
#include "record.h"
#include "store.h"
#include "unreported.h"

void unreported_init(struct unreported *u, int reliable, unsigned evmask, int per_event)
{
	u->on = reliable && (evmask & 1u << CT_EV_NEW) && !per_event;
	u->unseen = 0;
	u->first_us = 0;
	u->warned = 0;
}

void unreported_begin(struct unreported *u, const struct recorder *r)
{
	u->unseen = r->n.unseen;
	u->first_us = 0;
}

void unreported_seen(struct unreported *u, const struct recorder *r, int64_t t_us)
{
	if (u->on && !u->first_us && r->n.unseen > u->unseen)
		u->first_us = t_us;
}

int unreported_flush(struct unreported *u, struct recorder *r)
{
	uint64_t lost = r->n.unseen - u->unseen;

	if (!u->on || !lost)
		return 0;
	if (!u->warned)
		log_warn("events were lost although the kernel did not say so (--reliable):"
			 " %llu flows first seen after their NEW; stored as gaps (raise"
			 " --buffer-size)", (unsigned long long)lost);
	u->warned = 1;
	r->n.gaps++;
	if (store_gap_insert(r->st, r->session, u->first_us, "unreported", (int64_t)lost))
		return -1;
	u->unseen = r->n.unseen;
	u->first_us = 0;
	return 0;
}
