/* After the kernel dropped events: a table dump reconciles the open flows with what really exists. */
#include <errno.h>
#include <libmnl/libmnl.h>

#include "clock.h"
#include "ct_decode.h"
#include "flowmap.h"
#include "dump.h"
#include "log.h"
#include "record.h"
#include "resync.h"

static int unmark(struct flowmap_entry *e, void *data)
{
	(void)data;
	e->seen = 0;
	return 0;
}

void resync_begin(struct recorder *r)
{
	flowmap_walk(r->open, unmark, NULL);
}

struct dump {
	struct recorder *r;
	int origin;
	int64_t t_us;		/* 0: the time each entry is read */
	long entries;
	int failed;		/* record_*() failed (reported) */
};

static int dump_entry(const struct nlmsghdr *nlh, void *data)
{
	static struct ct_event ev;
	struct dump *d = data;
	int64_t t_us = d->t_us ? d->t_us : clock_now_us();

	d->entries++;
	if (ct_decode(nlh, &ev) ? record_unparsed(d->r, t_us, nlh, nlh->nlmsg_len) :
	    (ev.t_us = t_us, record_dump_entry(d->r, &ev, d->origin))) {
		d->failed = 1;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

long resync_datagram(struct recorder *r, const void *buf, size_t n, int64_t t_us)
{
	struct dump d = { r, ORIGIN_UNSEEN, t_us, 0, 0 };

	errno = 0;
	if (mnl_cb_run(buf, n, 0, 0, dump_entry, &d) == MNL_CB_ERROR && !d.failed)
		return log_errno("cannot read the conntrack table");
	return d.failed ? -1 : d.entries;
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

long resync_end(struct recorder *r)
{
	long vanished = 0;

	flowmap_walk(r->open, mark_vanished, &vanished);
	return vanished;
}

static int dump_table_entry(const struct nlmsghdr *nlh, void *data)
{
	return dump_entry(nlh, data) == MNL_CB_OK ? 0 : -1;
}

int resync_dump(struct recorder *r, int origin, long *entries, long *vanished)
{
	struct dump d = { r, origin, 0, 0, 0 };

	resync_begin(r);
	*entries = dump_table(dump_table_entry, &d);
	if (*entries < 0)
		return -1;
	*vanished = resync_end(r);
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
