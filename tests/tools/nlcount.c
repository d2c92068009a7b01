/* nlcount: a minimal conntrack event counter with a huge forced netlink buffer, the benchmark's ground truth (optionally saving every datagram). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_compat.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

static const char usage[] =
	"usage: nlcount [-b BYTES] [-w FILE] [-s STATUSFILE]\n"
	"  Subscribes to conntrack NEW, UPDATE and DESTROY events with a receive\n"
	"  buffer forced to BYTES (default 1 GiB, SO_RCVBUFFORCE) and counts them\n"
	"  until SIGINT or SIGTERM; then prints 'events N new N update N destroy N\n"
	"  enobufs N' on stdout.  -w saves each datagram as [u32 len][i64 t_us][bytes]\n"
	"  (host order).  -s rewrites STATUSFILE every 100 ms with 'EVENTS ENOBUFS\n"
	"  MS_SINCE_LAST_EVENT'.\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_us(int clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void write_status(const char *path, unsigned long long events,
			 unsigned long long enobufs, int64_t idle_ms)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%llu %llu %lld\n", events, enobufs, (long long)idle_ms);
	if (fclose(f) == 0)
		rename(tmp, path);
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	unsigned long long n[4] = { 0 }, events = 0, enobufs = 0;
	const char *wpath = NULL, *spath = NULL;
	long long bufsize = 1LL << 30;
	int64_t last_ev, status_at = 0;
	FILE *w = NULL;
	int fd, opt, sz;

	while ((opt = getopt(argc, argv, "b:w:s:")) != -1) {
		switch (opt) {
		case 'b': bufsize = strtoll(optarg, NULL, 0); break;
		case 'w': wpath = optarg; break;
		case 's': spath = optarg; break;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc || bufsize <= 0 || bufsize > 0x7fffffff) {
		fputs(usage, stderr);
		return 2;
	}
	sz = (int)bufsize;
	if (wpath) {
		w = fopen(wpath, "w");
		if (!w || setvbuf(w, NULL, _IOFBF, 1 << 22)) {
			fprintf(stderr, "nlcount: cannot open '%s': %s\n", wpath, strerror(errno));
			return 1;
		}
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0) {
		fprintf(stderr, "nlcount: socket: %s\n", strerror(errno));
		return 1;
	}
	sa.nl_groups = NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_UPDATE |
		       NF_NETLINK_CONNTRACK_DESTROY;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "nlcount: bind: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	last_ev = now_us(CLOCK_MONOTONIC);
	fprintf(stderr, "nlcount: listening\n");
	while (!stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t mono;
		ssize_t len;

		mono = now_us(CLOCK_MONOTONIC);
		if (spath && mono - status_at >= 100000) {
			write_status(spath, events, enobufs, (mono - last_ev) / 1000);
			status_at = mono;
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0) {
			if (errno == ENOBUFS)
				enobufs++;
			else if (errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "nlcount: recv: %s\n", strerror(errno));
				return 1;
			}
			continue;
		}
		last_ev = now_us(CLOCK_MONOTONIC);
		if (w) {
			uint32_t l = (uint32_t)len;
			int64_t t = now_us(CLOCK_REALTIME);

			fwrite(&l, sizeof(l), 1, w);
			fwrite(&t, sizeof(t), 1, w);
			fwrite(buf, 1, (size_t)len, w);
		}
		{
			struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
			int left = (int)len;

			for (; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
				int t = nlh->nlmsg_type & 0xff;

				if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK)
					continue;
				if (t == IPCTNL_MSG_CT_DELETE)
					n[3]++;
				else if (t == IPCTNL_MSG_CT_NEW &&
					 (nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)))
					n[1]++;
				else if (t == IPCTNL_MSG_CT_NEW)
					n[2]++;
				else
					continue;
				events++;
			}
		}
	}
	if (spath)
		write_status(spath, events, enobufs,
			     (now_us(CLOCK_MONOTONIC) - last_ev) / 1000);
	if (w && fclose(w)) {
		fprintf(stderr, "nlcount: writing '%s': %s\n", wpath, strerror(errno));
		return 1;
	}
	printf("events %llu new %llu update %llu destroy %llu enobufs %llu\n", events, n[1],
	       n[2], n[3], enobufs);
	return 0;
}
