/* After the kernel dropped events: a table dump reconciles the open flows with what really exists. */
#include "clock.h"
#include "ct_decode.h"
#include "flowmap.h"
#include "dump.h"
#include "record.h"
#include "resync.h"

static int unmark(struct flowmap_entry *e, void *data)
{
	(void)data;
	e->seen = 0;
	return 0;
}

struct dump {
	struct recorder *r;
	int origin;
};

static int dump_entry(const struct nlmsghdr *nlh, void *data)
{
	static struct ct_event ev;
	struct dump *d = data;

	if (ct_decode(nlh, &ev))
		return record_unparsed(d->r, clock_now_us(), nlh, nlh->nlmsg_len);
	ev.t_us = clock_now_us();
	return record_dump_entry(d->r, &ev, d->origin);
}

static int mark_vanished(struct flowmap_entry *e, void *data)
{
	long *count = data;

	if (!e->seen) {
		e->vanished = 1;
		(*count)++;
	}
	return 0;
}

int resync_dump(struct recorder *r, int origin, long *entries, long *vanished)
{
	struct dump d = { r, origin };

	flowmap_walk(r->open, unmark, NULL);
	*entries = dump_table(dump_entry, &d);
	if (*entries < 0)
		return -1;
	*vanished = 0;
	flowmap_walk(r->open, mark_vanished, vanished);
	return 0;
}

struct finish {
	struct recorder *r;
	int64_t t_us;
	int failed;
};

static int end_vanished(struct flowmap_entry *e, void *data)
{
	struct finish *f = data;

	if (!e->vanished || f->failed)
		return 0;
	if (record_end_unknown(f->r, e, f->t_us))
		f->failed = 1;
	return 1;
}

int resync_finish(struct recorder *r, int64_t t_us)
{
	struct finish f = { r, t_us, 0 };

	flowmap_walk(r->open, end_vanished, &f);
	return f.failed ? -1 : 0;
}
