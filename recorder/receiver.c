/* The receiving thread: drains the netlink socket into the queue so the kernel never waits on the disk. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>

#include "clock.h"
#include "log.h"
#include "progname.h"
#include "queue.h"
#include "receiver.h"

/* Queues one datagram, naming the process that caused its events, if any. */
static int enqueue(struct receiver *r, const char *buf, int n)
{
	struct qitem head = { .kind = QITEM_DATA, .t_us = clock_now_us() };
	const struct nlmsghdr *nlh;
	int left = n;

	for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_pid) {
			head.portid = nlh->nlmsg_pid;
			progname_of_portid(head.portid, head.progname, sizeof(head.progname));
			break;
		}
	}
	return queue_put(r->q, &head, buf, n);
}

static void *receive(void *arg)
{
	static char buf[1 << 18] __attribute__((aligned(8)));
	struct receiver *r = arg;
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	ssize_t n;

	for (;;) {
		int stopping = r->stop;

		n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			r->datagrams++;
			if (enqueue(r, buf, n))
				break;
			continue;
		}
		if (n < 0 && errno == ENOBUFS) {
			struct qitem gap = { .kind = QITEM_GAP, .t_us = clock_now_us() };

			r->enobufs++;
			if (queue_put(r->q, &gap, NULL, 0))
				break;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			log_errno("cannot receive conntrack events");
			r->error = 1;
			break;
		}
		if (stopping)	/* the socket is empty and we were asked to stop */
			break;
		poll(&p, 1, 100);
	}
	return NULL;
}

int receiver_start(struct receiver *r)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&r->thread, NULL, receive, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		errno = err;
		return log_errno("cannot start the receiving thread");
	}
	r->running = 1;
	return 0;
}

void receiver_stop(struct receiver *r)
{
	if (!r->running)
		return;
	r->stop = 1;
	pthread_join(r->thread, NULL);
	r->running = 0;
}
