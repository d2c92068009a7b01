/* peer: one end of TCP or UDP traffic between two network namespaces (a server in one, clients in another), so tests see conntrack events of forwarded, NAT'ed flows. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool_sock.h"

static const char usage[] =
	"usage: peer serve tcp|udp|udpx ADDR PORT COUNT\n"
	"       peer tcp|rst|refused ADDR PORT\n"
	"       peer hold ADDR PORT MS\n"
	"       peer udp|udp1|udpx ADDR PORT [SIZE]\n"
	"  serve: binds ADDR:PORT, prints \"ready\", then answers COUNT TCP\n"
	"    connections (each in a child: a request, a reply, close) or COUNT UDP\n"
	"    datagrams (a reply of the same size each), and exits; 10 s without a\n"
	"    peer is an error.\n"
	"    udpx: each reply comes from a fresh socket, another port (as a TFTP\n"
	"    server answers).\n"
	"  tcp: connects, sends a request, reads the reply, closes.\n"
	"  rst: the same, but closes with a reset (SO_LINGER 0).\n"
	"  hold: the same as tcp, but prints \"held\" once it has the reply, and\n"
	"    waits MS milliseconds before it closes (a flow open meanwhile).\n"
	"  refused: connects to a port nobody listens on; the refusal is success.\n"
	"  udp: sends SIZE bytes (default 4; above the MTU they go fragmented) and\n"
	"    waits for the reply.\n"
	"  udp1: sends SIZE bytes and waits for nothing (a closed port: the ICMP\n"
	"    error that comes back is not an error).\n"
	"  udpx: sends a TFTP read request and takes the reply from any port.\n";

static void die(const char *what)
{
	fprintf(stderr, "peer: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Fills *ss (*len) with address s and port, or exits: a bad address is a usage error. */
static void make_addr(const char *s, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	if (sockaddr_text(s, port, ss, len)) {
		fprintf(stderr, "peer: bad address '%s'\n", s);
		exit(2);
	}
}

/* sock: a socket whose blocking calls give up after 10 seconds, or exits. */
static int sock(int family, int type)
{
	int fd = sock_timed(family, type, 10);

	if (fd < 0)
		die("socket");
	return fd;
}

static int serve(int type, int fresh, const struct sockaddr_storage *ss, socklen_t len, int count)
{
	static char buf[65536];
	int fd = sock(ss->ss_family, type), c, i, status, failed = 0;
	pid_t pid;
	ssize_t n;

	if (bind(fd, (const struct sockaddr *)ss, len) < 0)
		die("bind");
	if (type == SOCK_STREAM && listen(fd, 16) < 0)
		die("listen");
	printf("ready\n");
	fflush(stdout);
	for (i = 0; i < count; i++) {
		if (type == SOCK_DGRAM) {
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);

			n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
			if (n < 0)
				die("recvfrom");
			c = fresh ? sock(ss->ss_family, SOCK_DGRAM) : fd;
			if (sendto(c, buf, n, 0, (struct sockaddr *)&from, flen) < 0)
				die("sendto");
			if (c != fd)
				close(c);
			continue;
		}
		c = accept(fd, NULL, NULL);
		if (c < 0)
			die("accept");
		/* each connection in a child of its own: a client that holds its
		 * connection open does not keep the next one waiting */
		if ((pid = fork()) < 0)
			die("fork");
		if (pid)
			goto next;
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* a test killing the server ends it all */
		/* a client that resets may do so before or after the reply */
		n = read(c, buf, sizeof(buf));
		if (n > 0 && write(c, buf, n) < 0 && errno != ECONNRESET && errno != EPIPE)
			die("write");
		while (read(c, buf, sizeof(buf)) > 0)
			;
		_exit(0);
next:
		close(c);
	}
	while ((pid = wait(&status)) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	return failed;
}

static int client(const char *mode, const struct sockaddr_storage *ss, socklen_t len, size_t size,
		  unsigned hold)
{
	static char buf[65536];
	int udp = mode[0] == 'u';
	int fd = sock(ss->ss_family, udp ? SOCK_DGRAM : SOCK_STREAM);
	ssize_t n;

	if (strcmp(mode, "udpx") == 0) {
		static const char rrq[] = "\0\1file\0octet";	/* a TFTP read request */

		if (sendto(fd, rrq, sizeof(rrq), 0, (const struct sockaddr *)ss, len) != sizeof(rrq))
			die("sendto");
		if (recvfrom(fd, buf, sizeof(buf), 0, NULL, NULL) < 0)
			die("recvfrom");
		close(fd);
		return 0;
	}
	if (connect(fd, (const struct sockaddr *)ss, len) < 0) {
		if (strcmp(mode, "refused") == 0 && errno == ECONNREFUSED)
			return 0;
		die("connect");
	}
	if (strcmp(mode, "refused") == 0) {
		fprintf(stderr, "peer: connection was not refused\n");
		return 1;
	}
	memset(buf, 'x', size);
	if (send(fd, buf, size, 0) != (ssize_t)size)
		die("send");
	if (strcmp(mode, "udp1") == 0) {
		usleep(200000);
		close(fd);
		return 0;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n <= 0) {
		if (n == 0)
			errno = ECONNRESET;
		die("recv");
	}
	if (strcmp(mode, "rst") == 0) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0)
			die("SO_LINGER");
		close(fd);
		return 0;
	}
	if (hold) {
		struct timespec ts = { .tv_sec = hold / 1000, .tv_nsec = hold % 1000 * 1000000L };

		printf("held\n");
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	if (!udp) {
		shutdown(fd, SHUT_WR);
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t size = 4;

	if (argc == 6 && strcmp(argv[1], "serve") == 0) {
		int type = strncmp(argv[2], "udp", 3) == 0 ? SOCK_DGRAM : SOCK_STREAM;

		make_addr(argv[3], atoi(argv[4]), &ss, &len);
		return serve(type, strcmp(argv[2], "udpx") == 0, &ss, len, atoi(argv[5]));
	}
	if ((argc == 4 || argc == 5) && (strcmp(argv[1], "tcp") == 0 || strcmp(argv[1], "rst") == 0 ||
	    strcmp(argv[1], "refused") == 0 || strcmp(argv[1], "udp") == 0 || strcmp(argv[1], "udp1") == 0 ||
	    strcmp(argv[1], "udpx") == 0)) {
		if (argc == 5)
			size = strtoul(argv[4], NULL, 10);
		if (size < 1 || size > 65000)
			size = 4;
		make_addr(argv[2], atoi(argv[3]), &ss, &len);
		return client(argv[1], &ss, len, size, 0);
	}
	if (argc == 5 && strcmp(argv[1], "hold") == 0) {
		make_addr(argv[2], atoi(argv[3]), &ss, &len);
		return client("tcp", &ss, len, 4, atoi(argv[4]));
	}
	fputs(usage, stderr);
	return 2;
}
