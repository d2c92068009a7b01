/* ingest: the recorder's storing path without the kernel: pushes captured netlink datagrams through ct_decode() and record_event() into SQLite, committing in batches, and reports events/s. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <sqlite3.h>

#include "clock.h"
#include "ct_decode.h"
#include "flowmap.h"
#include "record.h"
#include "store.h"

#define COMMIT_EVERY_EVENTS 50000	/* as recorder/recording.c */
#define COMMIT_EVERY_US 100000		/* ctrecord's default --commit-interval */
#define PASS_SHIFT_US (3600LL * 1000000)

static const char usage[] =
	"usage: ingest [-n PASSES] [-c EVENTS] [-k [-w]] [-x SQL] CAPTURE DB\n"
	"  CAPTURE is what `nlcount -w` saved ([u32 len][i64 t_us][datagram]...).\n"
	"  Each pass stores every event once more, 1 hour later, with the second\n"
	"  byte of every IPv4 address raised by 8 * pass so flows stay distinct.\n"
	"  -c commits every EVENTS events instead of every 100 ms: the same work on\n"
	"  every run, for instruction counts (valgrind --tool=callgrind).\n"
	"  -k exits after the last commit without closing the store, as a recorder\n"
	"  killed would: the changes of flows not folded yet stay in flow_pending.\n"
	"  -w with -k: first waits, the store still open as a running recorder's\n"
	"  is (readers then share its WAL index), until stdin reaches its end.\n"
	"  -x runs SQL (e.g. a PRAGMA) on the store's handle after opening: what-if runs.\n";

static void shift_addr(struct ct_tuple *t, int pass)
{
	if (t->l3 == 2)		/* AF_INET */
		t->src[1] += 8 * pass, t->dst[1] += 8 * pass;
}

int main(int argc, char **argv)
{
	static struct ct_event ev;
	struct recorder rec = { 0 };
	const unsigned char *cap, *p, *end;
	int64_t t0, t_dec = 0, t_rec = 0, pending = 0, commit_at, a, b, c;
	uint64_t events = 0, bad = 0;
	int passes = 1, pass, fd, opt, keep = 0, live = 0;
	long every = 0;		/* -c: commit every that many events, not by time */
	const char *xsql = NULL;
	struct stat sb;

	while ((opt = getopt(argc, argv, "n:c:kwx:")) != -1) {
		if (opt == 'n')
			passes = atoi(optarg);
		else if (opt == 'k')
			keep = 1;
		else if (opt == 'w')
			live = 1;
		else if (opt == 'c' && (every = atol(optarg)) > 0)
			;
		else if (opt == 'x')
			xsql = optarg;
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (argc - optind != 2 || passes < 1 || passes > 16) {
		fputs(usage, stderr);
		return 2;
	}
	fd = open(argv[optind], O_RDONLY);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		fprintf(stderr, "ingest: cannot open '%s': %s\n", argv[optind], strerror(errno));
		return 1;
	}
	cap = mmap(NULL, sb.st_size ? sb.st_size : 1, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (cap == MAP_FAILED) {
		fprintf(stderr, "ingest: mmap: %s\n", strerror(errno));
		return 1;
	}
	end = cap + sb.st_size;
	rec.st = store_open(argv[optind + 1], STORE_WRITE);
	rec.open = flowmap_new();
	if (!rec.st || !rec.open)
		return 1;
	if (xsql && sqlite3_exec(store_db(rec.st), xsql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "ingest: %s: %s\n", xsql, sqlite3_errmsg(store_db(rec.st)));
		return 1;
	}
	rec.session = store_session_start(rec.st, "record", NULL, clock_now_us());
	if (rec.session < 0 || store_begin(rec.st))
		return 1;
	t0 = clock_mono_us();
	commit_at = t0 + COMMIT_EVERY_US;
	for (pass = 0; pass < passes; pass++) {
		for (p = cap; p + 12 <= end;) {
			uint32_t len;
			int64_t t_us;
			const struct nlmsghdr *nlh;
			int left;

			memcpy(&len, p, 4);
			memcpy(&t_us, p + 4, 8);
			p += 12;
			if (len > (size_t)(end - p))
				break;
			left = (int)len;
			for (nlh = (const void *)p; mnl_nlmsg_ok(nlh, left);
			     nlh = mnl_nlmsg_next(nlh, &left)) {
				a = clock_mono_us();
				if (ct_decode(nlh, &ev)) {
					bad++;
					continue;
				}
				ev.t_us = t_us + pass * PASS_SHIFT_US;
				ev.progname[0] = 0;
				if (ev.portid)
					strcpy(ev.progname, "conntrack");
				shift_addr(&ev.orig, pass);
				shift_addr(&ev.reply, pass);
				b = clock_mono_us();
				if (record_event(&rec, &ev))
					return 1;
				c = clock_mono_us();
				t_dec += b - a;
				t_rec += c - b;
				events++;
				pending++;
				if (every ? pending >= every :
				    pending >= COMMIT_EVERY_EVENTS || c >= commit_at) {
					if (store_commit(rec.st) || store_begin(rec.st))
						return 1;
					pending = 0;
					commit_at = clock_mono_us() + COMMIT_EVERY_US;
				}
			}
			p += len;
		}
	}
	a = clock_mono_us();
	if (store_session_stop(rec.st, rec.session, clock_now_us()) || store_commit(rec.st))
		return 1;
	b = clock_mono_us();
	if (keep) {
		printf("ingest: %llu events %llu flows, %zu changes of flows waiting\n",
		       (unsigned long long)events, (unsigned long long)rec.n.flows,
		       store_pending_changes(rec.st));
		fflush(stdout);
		if (live) {
			char buf[64];

			while (read(0, buf, sizeof(buf)) > 0)
				;
		}
		_exit(0);
	}
	store_close(rec.st);
	c = clock_mono_us();
	printf("ingest: %llu events %llu flows %llu undecodable in %.2f s: %.0f events/s"
	       " (decode %.2f s, record_event %.2f s, commits+close %.2f s)\n",
	       (unsigned long long)events, (unsigned long long)rec.n.flows,
	       (unsigned long long)bad, (c - t0) / 1e6, events / ((c - t0) / 1e6),
	       t_dec / 1e6, t_rec / 1e6, (c - t0 - t_dec - t_rec) / 1e6);
	flowmap_free(rec.open);
	munmap((void *)cap, sb.st_size);
	close(fd);
	return 0;
}
