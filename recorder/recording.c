/* A recording session: subscribe, dump, then store events until asked to stop. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_compat.h>

#include "clock.h"
#include "ct_decode.h"
#include "dbclaim.h"
#include "dbwatch.h"
#include "dump.h"
#include "dumper.h"
#include "filter.h"
#include "flowmap.h"
#include "kfilter.h"
#include "log.h"
#include "nlsock.h"
#include "queue.h"
#include "receiver.h"
#include "record.h"
#include "recording.h"
#include "resync.h"
#include "resync_track.h"
#include "retention.h"
#include "store.h"
#include "store_flows.h"
#include "unreported.h"

#define QUIET_HINT_US (5 * 1000000)
#define STATUS_EVERY_US (5 * 1000000)
#define LIVE_EVERY_US 1000000	/* the status line on a terminal */
#define COMMIT_EVERY_EVENTS 50000
#define ITEMS_PER_TURN 64	/* queued items stored between two looks at the clock */

volatile sig_atomic_t recording_stop, recording_reopen;

struct writer {
	const struct recording_opts *o;
	struct recorder rec;
	struct receiver rx;
	struct queue *q;
	int in_txn;
	int64_t commit_at;	/* monotonic µs */
	uint64_t pending;
	struct resync_track rt;	/* the table dumps */
	struct unreported unrep;	/* losses --reliable hides */
	struct record_counts saved;	/* the counts at begin(), for a rollback */
	int64_t stalled_until;	/* monotonic µs: the disk was full, retry then */
	int64_t stalled_since;
	int reopen_said;	/* a reopen waits for the disk, said (this stall) */
	struct dbwatch dbw;	/* is the file at the path still ours? */
	int claim;		/* dbclaim_take()'s descriptor, or -1 */
};

static int begin(struct writer *w)
{
	if (w->in_txn)
		return 0;
	if (store_begin(w->rec.st))
		return -1;
	w->saved = w->rec.n;
	resync_track_begin(&w->rt);
	unreported_begin(&w->unrep, &w->rec);
	w->in_txn = 1;
	w->commit_at = clock_mono_us() + (int64_t)w->o->commit_ms * 1000;
	return 0;
}

static int commit(struct writer *w)
{
	if (!w->in_txn)
		return 0;
	if (unreported_flush(&w->unrep, &w->rec) || store_commit(w->rec.st))
		return -1;	/* still in the transaction: stall() rolls it back */
	w->in_txn = 0;
	w->pending = 0;
	resync_track_commit(&w->rt);
	queue_release(w->q);
	if (w->stalled_since) {
		log_info("writing again after %.1f s", (clock_mono_us() - w->stalled_since) / 1e6);
		w->stalled_since = 0;
		w->reopen_said = 0;
	}
	return 0;
}

/* Stores the messages of one received datagram. */
static int store_datagram(struct writer *w, const struct qitem *it)
{
	static struct ct_event ev;
	const struct nlmsghdr *nlh;
	int left = it->len;

	for (nlh = (const struct nlmsghdr *)it->data; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		if (ct_decode(nlh, &ev)) {
			if (record_unparsed(&w->rec, it->t_us, nlh, nlh->nlmsg_len))
				return -1;
			continue;
		}
		ev.t_us = it->t_us;
		if (ev.portid && ev.portid == it->portid)
			qitem_name(it, ev.progname);
		if (record_event(&w->rec, &ev))
			return -1;
		unreported_seen(&w->unrep, &w->rec, ev.t_us);
		w->pending++;
	}
	return 0;
}

/* One queued item. */
static int store_item(struct writer *w, const struct qitem *it)
{
	return it->kind == QITEM_DATA ? store_datagram(w, it) : resync_track_item(&w->rt, it);
}

/* The status line: with -v a message every STATUS_EVERY_US, else on a
 * terminal a line written over every LIVE_EVERY_US. */
static void status_line(struct writer *w, uint64_t *last_events, int64_t *last_at)
{
	int64_t now = clock_mono_us();
	struct stat sb;
	double secs = (now - *last_at) / 1e6;
	double db_mb = stat(w->o->db, &sb) ? 0 : sb.st_size / 1e6;
	char lost[64] = "0 lost";

	if (w->rec.n.gaps)
		snprintf(lost, sizeof(lost), "events lost at %llu gaps",
			 (unsigned long long)w->rec.n.gaps);
	(w->o->verbose ? log_info : log_live)
		("%.0f events/s, %zu open flows, %s, database %.1f MB, queue %.1f MB",
		 (w->rec.n.events - *last_events) / (secs > 0 ? secs : 1),
		 flowmap_count(w->rec.open), lost, db_mb, queue_used(w->q) / 1e6);
	*last_events = w->rec.n.events;
	*last_at = now;
}

static int start_session(struct writer *w, long *entries, int reopening);
static int continue_flow(int64_t flow, const struct ct_event *ev, void *data);

/* A write failed: its transaction rolled back, and what it stored made
 * unread again in the queue. Returns the bytes the queue holds. */
static size_t unwrite(struct writer *w)
{
	/* (also a transaction of the store's own: a reopen's fold) */
	store_rollback(w->rec.st);
	w->in_txn = 0;
	resync_track_rollback(&w->rt);
	w->pending = 0;
	w->rec.n = w->saved;
	return queue_rewind(w->q);
}

/* Was the file being written removed (its last name gone)? */
static int file_removed(const struct writer *w)
{
	struct stat sb;

	return w->claim >= 0 && !fstat(w->claim, &sb) && sb.st_nlink == 0;
}

/* SIGHUP, or the file at the path changed: ends the session in the
 * database file we have, and starts one in whatever file is at the path now
 * (moved or rotated away: a new one). The open flows continue there when it
 * is the same file, else they are entered anew from a dump. Events keep
 * queuing meanwhile: nothing is lost. Returns 0; 1 when the session could
 * not be ended (reported; the file is still ours, maybe in a transaction:
 * a full disk); -1 on a failure after (reported). A removed file whose
 * session cannot be ended is left as it is: nobody can read it, and the
 * room it takes (the disk was full: it was removed for that) comes back
 * only once it is closed; what could not be written goes into the new one. */
static int reopen(struct writer *w, const char *why)
{
	long entries;

	if (begin(w) || store_session_stop(w->rec.st, w->rec.session, clock_now_us()) ||
	    commit(w) || store_fold_waiting(w->rec.st)) {
		if (!file_removed(w))
			return 1;
		log_warn("'%s' was removed and cannot be written: its last events go into"
			 " the new file", w->o->db);
		unwrite(w);
	}
	store_close(w->rec.st);
	dbclaim_drop(w->claim);
	w->claim = -1;
	flowmap_free(w->rec.open);
	resync_track_reopen(&w->rt);
	w->rec.open = flowmap_new();
	if (!w->rec.open)
		return log_error("out of memory");
	w->rec.st = store_open(w->o->db, STORE_WRITE);
	if (!w->rec.st || (w->claim = dbclaim_take(w->o->db)) < 0 ||
	    start_session(w, &entries, 1))
		return -1;
	log_info("reopened '%s' (%s); %ld entries in the table", w->o->db, why, entries);
	return 0;
}

/* After a write failed for want of space (or an I/O error): roll back, make
 * the batch unread again and the open flows what the database says, and
 * retry in a second. The receiving thread keeps queuing meanwhile; when the
 * queue is full the kernel drops events, which become gaps as usual. */
static int stall(struct writer *w)
{
	size_t held = unwrite(w);

	flowmap_free(w->rec.open);
	w->rec.open = flowmap_new();
	if (!w->rec.open)
		return log_error("out of memory");
	if (store_each_open_flow(w->rec.st, continue_flow, w->rec.open))
		return -1;
	if (!w->stalled_since) {
		w->stalled_since = clock_mono_us();
		log_warn("cannot write to '%s'; holding events in memory (%zu bytes now, at most"
			 " %zu) and retrying every second", w->o->db, held, w->o->queue_size);
	}
	w->stalled_until = clock_mono_us() + 1000000;
	return 0;
}

/* reopen(), or when the file cannot be written to end its session (a full
 * disk), a stall after which it is tried again: the recorder goes on, said
 * once a stall. Returns 0 (reopened), 1 (to be tried again) or -1 (a
 * failure, reported). */
static int reopen_or_stall(struct writer *w, const char *why)
{
	int r = reopen(w, why);

	if (r <= 0)
		return r;
	if (!store_error_transient(w->rec.st))
		return -1;
	if (!w->reopen_said)
		log_info("reopening '%s' (%s) once it can be written again", w->o->db, why);
	w->reopen_said = 1;
	return stall(w) ? -1 : 1;
}

/* One turn of the writing loop: stores what is queued (events, gaps, the
 * receiver's dumps after a loss), commits when due, prunes. now is the
 * loop's reading of the monotonic clock (one a turn: reading it three times
 * a datagram took 1.4% of the recorder under a storm, once a datagram 0.8%;
 * a turn now stores up to ITEMS_PER_TURN datagrams). Sets *done when the queue is closed and empty. Returns 0,
 * or -1 on a failure (reported). */
static int turn(struct writer *w, int64_t now, int *done)
{
	int64_t wait = w->in_txn ? w->commit_at - now : 1000000;
	const struct qitem *it = queue_peek(w->q, wait > 0 ? wait : 0);

	if (it) {
		int n = 0;

		if (begin(w))
			return -1;
		/* and the datagrams known to follow, up to a commit's limits:
		 * the loop's clock and checks once per run of them */
		do {
			if (store_item(w, it))
				return -1;
			queue_pop(w->q);
		} while (++n < ITEMS_PER_TURN && w->pending < COMMIT_EVERY_EVENTS &&
			 !queue_release_due(w->q) && (it = queue_peek_known(w->q)) &&
			 it->kind == QITEM_DATA);
	} else if (queue_drained(w->q)) {
		/* the receiving thread closed it: asked to stop, or failed */
		*done = 1;
	} else if (!w->in_txn && store_pending_changes(w->rec.st)) {
		/* a second without events: the changes of flows go into their rows */
		if (begin(w) || store_fold(w->rec.st))
			return -1;
	}
	if (w->in_txn && (*done || now >= w->commit_at || w->pending >= COMMIT_EVERY_EVENTS ||
			  queue_release_due(w->q)) && commit(w))
		return -1;
	if (!w->in_txn && w->o->retention && retention_step(w->o->retention, w->rec.st))
		return -1;
	return 0;
}

/* The writing loop: takes datagrams off the queue until it is closed and empty. */
static int write_loop(struct writer *w, long entries)
{
	int64_t started = clock_mono_us(), status_at = started, stop_at = 0;
	uint64_t status_events = 0;
	int live = !w->o->verbose && isatty(STDERR_FILENO);
	int hinted = 0, closing = 0, done = 0;

	while (!done) {
		int64_t now = clock_mono_us();

		/* (not inside the receiver's dump: it compares with the open flows) */
		if (recording_reopen && !closing && !w->rt.in_dump && now >= w->stalled_until) {
			recording_reopen = 0;
			switch (reopen_or_stall(w, "SIGHUP")) {
			case -1:
				return -1;
			case 1:
				recording_reopen = 1;	/* after the stall */
				continue;
			}
		}
		if (!closing && !w->rt.in_dump && now >= w->stalled_until &&
		    dbwatch_changed(&w->dbw, w->o->db, now)) {
			log_warn("'%s' is no longer the file being written (removed, moved away or"
				 " replaced): recording goes on in a new file at that path",
				 w->o->db);
			switch (reopen_or_stall(w, "the file at its path changed")) {
			case -1:
				return -1;
			case 1:
				continue;	/* (dbwatch says so again after the stall) */
			}
		}
		if (recording_stop && !closing) {
			closing = 1;
			stop_at = now;
			receiver_finish(&w->rx);
		}
		if (w->rx.error)
			return -1;
		if (now < w->stalled_until) {
			if (closing && now - stop_at > 10 * 1000000)
				return log_error("stopping with %zu bytes of events not written",
						 queue_used(w->q));
			usleep(100000);
			continue;
		}
		if (turn(w, now, &done)) {
			if (!store_error_transient(w->rec.st) || stall(w))
				return -1;
			done = 0;	/* what was rewound is read again */
		}
		if ((w->o->verbose && now - status_at >= STATUS_EVERY_US) ||
		    (live && now - status_at >= LIVE_EVERY_US))
			status_line(w, &status_events, &status_at);
		if (!hinted && entries == 0 && w->rec.n.events == 0 &&
		    now - started > QUIET_HINT_US) {
			hinted = 1;
			log_warn("no conntrack entries and no events yet: conntrack may be off in"
				 " this network namespace (no firewall rule uses it). To switch it"
				 " on: nft add table inet ctrecord; nft add chain inet ctrecord out"
				 " '{ type filter hook output priority 0; }'; nft add rule inet"
				 " ctrecord out ct state new counter");
		}
	}
	/* (the receiving thread may have failed after the last look) */
	if (w->rx.error)
		return -1;
	/* The receiver read the socket empty before it stopped (and dumped the
	 * table after a loss not reconciled yet): every event is in. */
	if (w->rt.done_us && (begin(w) || resync_track_finish(&w->rt)))
		return -1;
	return 0;
}

static int continue_flow(int64_t flow, const struct ct_event *ev, void *data)
{
	struct flowmap_entry *e = flowmap_add(data, ev, flow);

	return e ? 0 : log_error("out of memory");
}

/* Starts the session where the last one left off: notes the time nothing was
 * recorded as a gap (not after a reopen, which loses nothing), reopens the
 * flows it left open, and reconciles them with the table (alive: continued
 * under the same flow id; vanished: ended "end unknown"; unknown: added).
 * Sets *entries to the table's size. */
static int start_session(struct writer *w, long *entries, int reopening)
{
	long vanished;
	int64_t t_us;
	int clean, prev;

	w->rec.session = store_session_start(w->rec.st, "record", NULL, clock_now_us());
	if (w->rec.session < 0 || begin(w))
		return -1;
	prev = reopening ? 0 : store_last_stop(w->rec.st, w->rec.session, &t_us, &clean);
	if (prev < 0 ||
	    (prev && store_gap_insert(w->rec.st, w->rec.session, t_us,
				      clean ? "outage" : "crash", -1)) ||
	    store_each_open_flow(w->rec.st, continue_flow, w->rec.open) ||
	    resync_dump(&w->rec, ORIGIN_DUMP, entries, &vanished))
		return -1;
	if (prev && !clean)
		log_warn("the last recording did not stop cleanly; history has a gap since"
			 " its last stored event");
	if (vanished)
		resync_track_await(&w->rt, clock_now_us());
	dbwatch_start(&w->dbw, w->o->db, clock_mono_us());
	return commit(w);
}

/* DESTROY always: without it (-e NEW, -e UPDATE) no flow would ever end */
static unsigned groups_of(unsigned evmask)
{
	unsigned groups = NF_NETLINK_CONNTRACK_DESTROY;

	if (evmask & 1 << CT_EV_NEW)
		groups |= NF_NETLINK_CONNTRACK_NEW;
	if (evmask & 1 << CT_EV_UPDATE)
		groups |= NF_NETLINK_CONNTRACK_UPDATE;
	return groups;
}

/* The one-line summary at the end: events, flows, loss, what was skipped. */
static void summary(const struct writer *w, int rc)
{
	const struct record_counts *n = &w->rec.n;
	char lost[64] = "0 lost", skipped[96] = "";

	if (w->rx.enobufs)
		snprintf(lost, sizeof(lost), "events lost at %llu points (ENOBUFS)",
			 (unsigned long long)w->rx.enobufs);
	else if (w->unrep.on && n->unseen)
		snprintf(lost, sizeof(lost), "%llu NEW events lost (unreported)",
			 (unsigned long long)n->unseen);
	if (n->filtered || n->unparsed)
		snprintf(skipped, sizeof(skipped), ", %llu filtered out, %llu undecodable",
			 (unsigned long long)n->filtered, (unsigned long long)n->unparsed);
	log_info("%llu events, %llu flows, %s%s%s", (unsigned long long)n->events,
		 (unsigned long long)n->flows, lost, skipped, rc ? " (stopped on an error)" : "");
}

int recording_run(const struct recording_opts *o)
{
	struct writer w = { .o = o, .claim = -1 };
	struct mnl_socket *nl = NULL;
	long entries = 0;
	int rc = -1;

	/* Subscribe before the dump so that nothing falls between the two. */
	nl = nlsock_events(groups_of(o->evmask), o->bufsize, o->reliable);
	if (!nl || (o->filter && kfilter_attach(mnl_socket_get_fd(nl), o->filter) < 0) ||
	    (o->user && dumper_become(o->user, mnl_socket_get_fd(nl))))
		goto out;
	w.rec.st = store_open(o->db, STORE_WRITE);
	if (!w.rec.st || (w.claim = dbclaim_take(o->db)) < 0)
		goto out;
	nlsock_check_events_sysctl();	/* (for a start that goes on) */
	nlsock_check_acct_sysctl();
	w.rec.open = flowmap_new();
	w.rec.filter = o->filter;
	unreported_init(&w.unrep, o->reliable, o->evmask,
			o->filter && (o->filter->opts & FF_PER_EVENT));
	w.rec.unrecorded = ~o->evmask & 1u << CT_EV_DESTROY;
	w.rt.rec = &w.rec;
	w.rt.rx = &w.rx;
	w.rt.verbose = o->verbose;
	w.q = queue_new(o->queue_size);
	if (!w.rec.open || !w.q) {
		log_error("out of memory");
		goto out;
	}
	if (start_session(&w, &entries, 0))
		goto out;
	w.rx.fd = mnl_socket_get_fd(nl);
	w.rx.q = w.q;
	if (receiver_start(&w.rx))
		goto out;
	log_info("listening for conntrack events; %ld entries in the table; recording into '%s'",
		 entries, o->db);
	if (write_loop(&w, entries))
		goto out;
	/* the changes of flows folded in after the session's last commit, not
	 * by store_close() after the summary: a failure is then reported (and
	 * loses nothing: they wait in the database for the next writer) */
	if (begin(&w) || store_session_stop(w.rec.st, w.rec.session, clock_now_us()) ||
	    commit(&w) || store_fold_waiting(w.rec.st))
		goto out;
	rc = 0;
out:
	log_live_end();
	if (w.q)	/* a receiver blocked on a full queue must see it closed */
		queue_close(w.q);
	receiver_stop(&w.rx);
	if (w.q && w.rx.enobufs == 0 && rc == 0 && o->verbose)
		log_info("queue peak %zu bytes (%zu of its %zu touched)", queue_peak(w.q),
			 queue_touched(w.q), o->queue_size);
	if (w.rec.session > 0)	/* else it never started: the error said it all */
		summary(&w, rc);
	if (nl)
		mnl_socket_close(nl);
	queue_free(w.q);
	flowmap_free(w.rec.open);
	store_close(w.rec.st);
	dbclaim_drop(w.claim);
	return rc;
}
