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
	int64_t t_us;		/* when its datagram was read */
	long entries;
	int failed;		/* record_*() failed (reported) */
};

static int dump_entry(const struct nlmsghdr *nlh, void *data)
{
	static struct ct_event ev;
	struct dump *d = data;

	d->entries++;
	if (ct_decode(nlh, &ev) ? record_unparsed(d->r, d->t_us, nlh, nlh->nlmsg_len) :
	    (ev.t_us = d->t_us, record_dump_entry(d->r, &ev, d->origin))) {
		d->failed = 1;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* Records the entries of one datagram: MNL_CB_STOP after the dump's last,
 * MNL_CB_ERROR on a failure (reported when d->failed, else errno set). */
static int dump_datagram(struct dump *d, const void *buf, size_t n)
{
	errno = 0;
	return mnl_cb_run(buf, n, 0, 0, dump_entry, d);
}

long resync_datagram(struct recorder *r, const void *buf, size_t n, int64_t t_us)
{
	struct dump d = { r, ORIGIN_UNSEEN, t_us, 0, 0 };

	if (dump_datagram(&d, buf, n) == MNL_CB_ERROR && !d.failed)
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

/* A datagram of the writer's own dump, read now. */
static int writer_datagram(const void *buf, size_t n, void *arg)
{
	struct dump *d = arg;

	d->t_us = clock_now_us();
	return dump_datagram(d, buf, n);
}

int resync_dump(struct recorder *r, int origin, long *entries, long *vanished)
{
	struct dump d = { r, origin, 0, 0, 0 };

	resync_begin(r);
	if (dump_datagrams(DUMP_WRITER, writer_datagram, &d)) {
		if (!d.failed)
			log_errno("cannot read the conntrack table");
		return -1;
	}
	*entries = d.entries;
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
