/* ctrecord: records every conntrack event of this network namespace into an SQLite database. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_compat.h>

#include "clock.h"
#include "ct_decode.h"
#include "evmask.h"
#include "flowmap.h"
#include "import.h"
#include "log.h"
#include "nlsock.h"
#include "progname.h"
#include "record.h"
#include "store.h"

#define DEFAULT_BUFSIZE (64u << 20)
#define QUIET_HINT_US (5 * 1000000)

static volatile sig_atomic_t stop_requested;

struct options {
	const char *db;
	size_t bufsize;
	unsigned evmask;
	int commit_ms;
	int verbose;
	struct import_opts import;	/* file set: import it instead of recording */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ctrecord [--db PATH] [-b BYTES] [-e EVENTS] [--commit-interval MS] [-v]\n"
		"       ctrecord [--db PATH] --import FILE [--force]\n"
		"\n"
		"Records every conntrack event (NEW, UPDATE, DESTROY) of this network\n"
		"namespace into an SQLite database, until SIGINT or SIGTERM.\n"
		"\n"
		"  --db PATH               database file (default: ./flows.db)\n"
		"  -b, --buffer-size BYTES netlink receive buffer (default: %u)\n"
		"  -e, --event-mask LIST   events to record: NEW,UPDATE,DESTROY,ALL (default: ALL)\n"
		"  --commit-interval MS    commit at least this often (default: 100)\n"
		"  --import FILE           load a conntrack -E log (text or XML; - for stdin)\n"
		"  --force                 import a log even if it was imported before\n"
		"  -v, --verbose           say more about what happens\n"
		"  -h, --help              show this help\n"
		"  -V, --version           show the version\n"
		"\n"
		"Read the history with ctquery(1).\n", DEFAULT_BUFSIZE);
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Parses a positive size with an optional K, M or G suffix. */
static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	if (*end || v == 0)
		return -1;
	*out = v;
	return 0;
}

/* Returns 0 to run, 1 to exit 0 (help, version), 2 on a usage error. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "buffer-size", required_argument, NULL, 'b' },
		{ "event-mask", required_argument, NULL, 'e' },
		{ "commit-interval", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "import", required_argument, NULL, 'I' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "b:e:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			o->db = optarg;
			break;
		case 'b':
			if (parse_size(optarg, &o->bufsize)) {
				log_error("invalid --buffer-size '%s'", optarg);
				return 2;
			}
			break;
		case 'e':
			if (evmask_parse(optarg, &o->evmask))
				return 2;
			break;
		case 'C':
			o->commit_ms = strtol(optarg, &end, 10);
			if (*end || end == optarg || o->commit_ms <= 0 || o->commit_ms > 60000) {
				log_error("invalid --commit-interval '%s' (1 to 60000 ms)", optarg);
				return 2;
			}
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'I':
			o->import.file = optarg;
			break;
		case 'F':
			o->import.force = 1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("ctrecord %s\n", CT_VERSION);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	return 0;
}

struct loop {
	struct recorder rec;
	struct options *opt;
	int in_txn;
	int64_t commit_at;	/* monotonic µs */
	uint64_t pending;
};

static int ensure_txn(struct loop *l)
{
	if (l->in_txn)
		return 0;
	if (store_begin(l->rec.st))
		return -1;
	l->in_txn = 1;
	l->commit_at = clock_mono_us() + l->opt->commit_ms * 1000;
	return 0;
}

static int commit(struct loop *l)
{
	if (!l->in_txn)
		return 0;
	l->in_txn = 0;
	l->pending = 0;
	return store_commit(l->rec.st);
}

/* Decodes and stores one message; t_us is its receive time. */
static int handle_msg(struct loop *l, const struct nlmsghdr *nlh, int64_t t_us, int dump)
{
	static struct ct_event ev;

	if (ct_decode(nlh, &ev)) {
		if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE)
			return 0;
		return record_unparsed(&l->rec, t_us, nlh, nlh->nlmsg_len);
	}
	ev.t_us = t_us;
	if (dump)
		ev.type = CT_EV_DUMP;
	if (ev.portid)
		progname_of_portid(ev.portid, ev.progname, sizeof(ev.progname));
	l->pending++;
	return record_event(&l->rec, &ev);
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	return handle_msg(data, nlh, clock_now_us(), 1);
}

/* Reads every datagram queued on the socket. Returns 0, or -1 on a database error. */
static int drain(struct loop *l, int fd)
{
	static char buf[1 << 20] __attribute__((aligned(8)));
	const struct nlmsghdr *nlh;
	ssize_t n;
	int64_t t_us;
	int left;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0 && errno == ENOBUFS) {
			t_us = clock_now_us();
			l->rec.lost++;
			log_warn("the kernel dropped events (ENOBUFS): history has a gap;"
				 " raise --buffer-size");
			if (ensure_txn(l) ||
			    store_gap_insert(l->rec.st, l->rec.session, t_us, "enobufs", -1))
				return -1;
			continue;
		}
		if (n < 0)
			return log_errno("cannot receive conntrack events");
		t_us = clock_now_us();
		if (ensure_txn(l))
			return -1;
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left))
			if (handle_msg(l, nlh, t_us, 0))
				return -1;
		if (l->pending >= 20000 && commit(l))
			return -1;
	}
}

static int run(struct options *o)
{
	struct loop l = { .opt = o };
	struct mnl_socket *nl = NULL;
	unsigned groups = 0;
	int64_t quiet_since;
	long entries;
	int rc = -1, hinted = 0, fd;

	if (o->evmask & 1 << CT_EV_NEW)
		groups |= NF_NETLINK_CONNTRACK_NEW;
	if (o->evmask & 1 << CT_EV_UPDATE)
		groups |= NF_NETLINK_CONNTRACK_UPDATE;
	if (o->evmask & 1 << CT_EV_DESTROY)
		groups |= NF_NETLINK_CONNTRACK_DESTROY;

	l.rec.st = store_open(o->db, STORE_WRITE);
	if (!l.rec.st)
		return -1;
	l.rec.open = flowmap_new();
	if (!l.rec.open) {
		log_error("out of memory");
		goto out;
	}
	/* Subscribe before the dump so that nothing falls between the two. */
	nl = nlsock_events(groups, o->bufsize);
	if (!nl)
		goto out;
	fd = mnl_socket_get_fd(nl);
	l.rec.session = store_session_start(l.rec.st, "record", NULL, clock_now_us());
	if (l.rec.session < 0 || ensure_txn(&l))
		goto out;
	entries = nlsock_dump(dump_cb, &l);
	if (entries < 0 || commit(&l))
		goto out;
	log_info("listening for conntrack events; %ld entries in the table; recording into '%s'",
		 entries, o->db);
	quiet_since = clock_mono_us();

	while (!stop_requested) {
		int64_t now = clock_mono_us();
		int timeout = l.in_txn ? (int)((l.commit_at - now + 999) / 1000) : 1000;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (timeout < 0)
			timeout = 0;
		if (poll(&p, 1, timeout) < 0 && errno != EINTR) {
			log_errno("poll");
			goto out;
		}
		if (p.revents && drain(&l, fd))
			goto out;
		now = clock_mono_us();
		if (l.in_txn && now >= l.commit_at && commit(&l))
			goto out;
		if (!hinted && entries == 0 && l.rec.events == 0 &&
		    now - quiet_since > QUIET_HINT_US) {
			hinted = 1;
			log_warn("no conntrack entries and no events yet: conntrack may be off in"
				 " this network namespace (no firewall rule uses it). To switch it"
				 " on: nft add table inet ctrecord; nft add chain inet ctrecord out"
				 " '{ type filter hook output priority 0; }'; nft add rule inet"
				 " ctrecord out ct state new counter");
		}
	}
	/* Flush: store what is still queued, then end the session. */
	if (drain(&l, fd) || ensure_txn(&l) ||
	    store_session_stop(l.rec.st, l.rec.session, clock_now_us()) || commit(&l))
		goto out;
	rc = 0;
out:
	log_info("%llu events, %llu flows, %llu lost%s", (unsigned long long)l.rec.events,
		 (unsigned long long)l.rec.flows, (unsigned long long)l.rec.lost,
		 rc ? " (stopped on an error)" : "");
	if (nl)
		mnl_socket_close(nl);
	flowmap_free(l.rec.open);
	store_close(l.rec.st);
	return rc;
}

static int run_import(struct options *o)
{
	struct store *st = store_open(o->db, STORE_WRITE);
	int rc;

	if (!st)
		return -1;
	rc = import_log(st, &o->import);
	store_close(st);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = { .db = "flows.db", .bufsize = DEFAULT_BUFSIZE,
			     .evmask = 1 << CT_EV_NEW | 1 << CT_EV_UPDATE | 1 << CT_EV_DESTROY,
			     .commit_ms = 100 };
	struct sigaction sa = { .sa_handler = on_signal };
	int r;

	log_init("ctrecord");
	r = parse_options(argc, argv, &o);
	if (r)
		return r == 1 ? 0 : 2;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o.import.file)
		return run_import(&o) ? 1 : 0;
	return run(&o) ? 1 : 0;
}
