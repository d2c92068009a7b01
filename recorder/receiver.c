/* The receiving thread: drains the netlink socket into the queue so the kernel never waits on the disk. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <libmnl/libmnl.h>

#include "clock.h"
#include "dump.h"
#include "log.h"
#include "progname.h"
#include "queue.h"
#include "receiver.h"
#include "thread_start.h"

/* Each conntrack event is a datagram of its own (a few hundred bytes), so
 * one recvmmsg() takes up to VLEN of them. A slot holds the largest
 * datagram the kernel makes for an event many times over; a truncated one
 * would still be reported as a loss. Slots are only touched as far as
 * datagrams reach. */
#define VLEN 64
#define SLOT (64 * 1024)

/* Waking up costs more than receiving (a few µs against about 1 µs per
 * datagram), so after a batch that emptied the socket the thread sleeps
 * this long before reading again instead of waiting for the next event: under
 * a storm each wake-up then finds tens of events, while a lone event is still
 * read at once (the thread only sleeps right after receiving). Events are
 * stamped up to that much late. Only with a buffer that holds far more than
 * that long of a storm (a few hundred kB per ms at most). */
#define COALESCE_NS (1000 * 1000)
#define COALESCE_MIN_RCVBUF (16 << 20)

/* After a loss, the table is dumped at most this often: under a storm that
 * overflows the socket again and again, a dump each time would only add to
 * the load. */
#define RESYNC_MIN_US (1 * 1000000)

struct batch {
	struct mmsghdr msg[VLEN];
	struct iovec iov[VLEN];
	char *slots;
	int64_t t_us;		/* when it was received */
	uint32_t portid;	/* the last portid named in it, and its program */
	char progname[CT_PROGNAME_MAX];
};

/* queue_add(), reporting an item that can never fit (r->error set).
 * Returns 0, or -1 when the thread must end. */
static int put(struct receiver *r, const struct qitem *head, const void *data, size_t len,
	       const char *name)
{
	if (queue_add(r->q, head, data, len, name) == 0)
		return 0;
	if (errno == EMSGSIZE) {
		log_error("a datagram of %zu bytes does not fit in the queue (--queue-size)", len);
		r->error = 1;
	}
	return -1;
}

/* Queues one datagram, naming the process that caused its events, if any. */
static int enqueue(struct receiver *r, struct batch *b, const char *buf, int n)
{
	struct qitem head = { .kind = QITEM_DATA, .t_us = b->t_us };
	const struct nlmsghdr *nlh;
	const char *name = NULL;
	int left = n;

	for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_pid) {
			head.portid = nlh->nlmsg_pid;
			/* A flush sends thousands in a row from one port: ask once a batch. */
			if (head.portid != b->portid) {
				b->portid = head.portid;
				memset(b->progname, 0, sizeof(b->progname));
				progname_of_portid(b->portid, b->progname, sizeof(b->progname));
			}
			name = b->progname;
			break;
		}
	}
	return put(r, &head, buf, n, name);
}

/* Events were lost here: a gap, and a dump of the table owed. */
static int enqueue_gap(struct receiver *r)
{
	struct qitem gap = { .kind = QITEM_GAP, .t_us = clock_now_us() };

	gap.seq = (uint32_t)++r->enobufs;
	r->dump_due = 1;
	return put(r, &gap, NULL, 0, NULL);
}

/* Answers the asks made before the read that found the socket empty. */
static int enqueue_sync(struct receiver *r, uint32_t asked)
{
	struct qitem sync = { .kind = QITEM_SYNC, .seq = asked, .t_us = clock_now_us() };

	if (asked == r->sync_placed)
		return 0;
	r->sync_placed = asked;
	return put(r, &sync, NULL, 0, NULL);
}

void receiver_ask_dump(struct receiver *r)
{
	__atomic_store_n(&r->dump_asked, 1, __ATOMIC_SEQ_CST);
}

uint32_t receiver_ask_sync(struct receiver *r)
{
	return __atomic_add_fetch(&r->sync_asked, 1, __ATOMIC_SEQ_CST);
}

/* Queues a datagram of the dump; MNL_CB_STOP after the last. */
static int queue_dump_datagram(const void *buf, size_t n, void *arg)
{
	struct receiver *r = arg;
	struct qitem head = { .kind = QITEM_DUMP, .t_us = clock_now_us() };
	int ret;

	errno = 0;
	ret = mnl_cb_run(buf, n, 0, 0, NULL, NULL);
	if (ret == MNL_CB_ERROR)
		return ret;
	if (put(r, &head, buf, n, NULL)) {
		errno = ECANCELED;	/* the thread ends (reported if it must be) */
		return MNL_CB_ERROR;
	}
	return ret;
}

/* Queues a dump of the table between a QITEM_DUMP_BEGIN and a
 * QITEM_DUMP_END, which asks for a sync item. Called when the socket was
 * read empty, so the writer reaches the dump after every event made before
 * it: the open flows it then holds are what the dump can be compared with.
 * Returns 0, or -1 when the queue is closed or the dump failed (reported,
 * and r->error set). */
static int queue_dump(struct receiver *r)
{
	struct qitem mark = { .kind = QITEM_DUMP_BEGIN, .t_us = clock_now_us() };

	mark.seq = __atomic_add_fetch(&r->dumps, 1, __ATOMIC_SEQ_CST);
	r->dump_due = 0;
	r->last_dump = clock_mono_us();
	if (put(r, &mark, NULL, 0, NULL))
		return -1;
	if (dump_datagrams(DUMP_RECEIVER, queue_dump_datagram, r)) {
		if (errno != ECANCELED) {
			log_errno("cannot read the conntrack table");
			r->error = 1;
		}
		return -1;
	}
	mark.kind = QITEM_DUMP_END;
	mark.t_us = clock_now_us();
	mark.seq = receiver_ask_sync(r);
	return put(r, &mark, NULL, 0, NULL);
}

/* Is a dump or a sync item owed, which an empty socket would allow? */
static int owed(struct receiver *r, uint32_t asked)
{
	return r->dump_due || asked != r->sync_placed ||
	       __atomic_load_n(&r->dump_asked, __ATOMIC_SEQ_CST);
}

/* What a read that found the socket empty allows: the dump owed since a loss
 * (at most one every RESYNC_MIN_US, and one before stopping), else the sync
 * item asked before the read. Sets *dumped. Returns 0, or -1 when the thread
 * must end. */
static int at_empty(struct receiver *r, uint32_t asked, int stopping, int *dumped)
{
	if (__atomic_exchange_n(&r->dump_asked, 0, __ATOMIC_SEQ_CST))
		r->dump_due = 1;
	if (r->dump_due && (stopping || clock_mono_us() - r->last_dump >= RESYNC_MIN_US)) {
		*dumped = 1;
		return queue_dump(r);
	}
	return enqueue_sync(r, asked);
}

/* A step of the wall clock (NTP at boot, an operator's date): the events'
 * times before and after it do not compare, which the history cannot show.
 * A slew (at most 500 ppm) is not a step: 1000 ppm of the time since the
 * last reading, and a second, are allowed. */
#define CLOCK_STEP_US 1000000
static void note_clock(struct receiver *r, int64_t now_us)
{
	int64_t mono = clock_mono_us(), off = now_us - mono, d = off - r->clock_off;
	int64_t step = d > 0 ? d : -d;

	if (r->clock_off && step > CLOCK_STEP_US + (mono - r->clock_mono) / 1000)
		log_warn("the system clock was set %s by %.3f s: the times of events before"
			 " and after it do not compare (a flow open across it lasts %s than"
			 " its times say)", d > 0 ? "forward" : "back", step / 1e6,
			 d > 0 ? "less" : "longer");
	r->clock_off = off;
	r->clock_mono = mono;
}

/* Queues the n datagrams of a batch. Returns 0, or -1 when the queue is closed. */
static int enqueue_batch(struct receiver *r, struct batch *b, int n)
{
	int i;

	b->t_us = clock_now_us();
	note_clock(r, b->t_us);
	b->portid = 0;
	for (i = 0; i < n; i++) {
		if (b->msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			/* Cannot happen with conntrack events; never lose one silently. */
			log_warn("a netlink datagram over %d bytes was truncated: its events are"
				 " lost", SLOT);
			if (enqueue_gap(r))
				return -1;
			continue;
		}
		r->datagrams++;
		if (enqueue(r, b, b->slots + (size_t)i * SLOT, (int)b->msg[i].msg_len))
			return -1;
	}
	return 0;
}

static void *receive(void *arg)
{
	struct receiver *r = arg;
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	const struct timespec nap = { 0, COALESCE_NS };
	struct batch *b = calloc(1, sizeof(*b));
	int rcvbuf = 0, coalesce, n, i;
	socklen_t sl = sizeof(rcvbuf);

	if (b)
		b->slots = malloc((size_t)VLEN * SLOT);
	if (!b || !b->slots) {
		log_error("out of memory");
		r->error = 1;
		free(b);
		return NULL;
	}
	for (i = 0; i < VLEN; i++) {
		b->iov[i].iov_base = b->slots + (size_t)i * SLOT;
		b->iov[i].iov_len = SLOT;
		b->msg[i].msg_hdr.msg_iov = &b->iov[i];
		b->msg[i].msg_hdr.msg_iovlen = 1;
	}
	coalesce = getsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &sl) == 0 &&
		   rcvbuf >= COALESCE_MIN_RCVBUF;

	for (;;) {
		int stopping = r->stop, empty, eintr, dumped = 0;
		uint32_t asked = __atomic_load_n(&r->sync_asked, __ATOMIC_SEQ_CST);

		n = recvmmsg(r->fd, b->msg, VLEN, MSG_DONTWAIT, NULL);
		/* An error after some datagrams is kept by the kernel for the next
		 * call, so ENOBUFS comes after the datagrams received before it
		 * (and before those still in the socket). */
		if (n < 0 && errno == ENOBUFS) {
			if (enqueue_gap(r))
				break;
			queue_flush(r->q);
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			log_errno("cannot receive conntrack events");
			r->error = 1;
			break;
		}
		/* Only EAGAIN says the socket is empty: fewer datagrams than asked
		 * may be those before an error kept for the next call. */
		eintr = n < 0 && errno == EINTR;
		empty = n < 0 && !eintr;
		if (n > 0 && enqueue_batch(r, b, n))
			break;
		if (empty && at_empty(r, asked, stopping, &dumped))
			break;
		queue_flush(r->q);
		if (eintr || dumped || n == VLEN || (n > 0 && (stopping || owed(r, asked))))
			continue;
		if (stopping)	/* the socket is empty and we were asked to stop */
			break;
		if (n > 0 && coalesce)
			nanosleep(&nap, NULL);
		else
			poll(&p, 1, 100);
	}
	/* nothing more comes: the writer ends once it has read the rest */
	queue_close(r->q);
	free(b->slots);
	free(b);
	return NULL;
}

int receiver_start(struct receiver *r)
{
	int err = thread_start(&r->thread, receive, r);

	if (err) {
		errno = err;
		return log_errno("cannot start the receiving thread");
	}
	r->running = 1;
	return 0;
}

void receiver_finish(struct receiver *r)
{
	r->stop = 1;
}

void receiver_stop(struct receiver *r)
{
	if (!r->running)
		return;
	r->stop = 1;
	pthread_join(r->thread, NULL);
	r->running = 0;
}
