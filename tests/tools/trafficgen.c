/* trafficgen: makes real, complete TCP or UDP flows on loopback (IPv4 or IPv6) so tests see conntrack events. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tool_sock.h"

static const char usage[] =
	"usage: trafficgen [-S] tcp|udp ADDR PORT [COUNT [CONNECT_PORT]]\n"
	"  Listens on ADDR:PORT and makes COUNT (default 1) flows to ADDR:CONNECT_PORT\n"
	"  (default PORT; differs under DNAT). TCP: connect, request, reply, both sides\n"
	"  close. UDP: a datagram and a reply, each flow from a fresh socket.\n"
	"  -S: IPv4 only, bind each client to its own source in 127.1.0.0/16 so that\n"
	"      large COUNTs never reuse a tuple.\n";

static void die(const char *what)
{
	fprintf(stderr, "trafficgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* sock: a socket whose blocking calls give up after 5 seconds, or exits. */
static int sock(int family, int type)
{
	int fd = sock_timed(family, type, 5);

	if (fd < 0)
		die("socket");
	return fd;
}

/* bind_source: with -S, give client number i its own IPv4 source address. */
static void bind_source(int fd, int family, int vary, unsigned long i)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	if (!vary || family != AF_INET)
		return;
	a.sin_addr.s_addr = htonl(0x7f010000u | ((i % 65534) + 1));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind source");
}

static void tcp_flow(int lfd, const struct sockaddr_storage *dst, socklen_t len, int vary, unsigned long i)
{
	char buf[64];
	int c = sock(dst->ss_family, SOCK_STREAM), s;

	bind_source(c, dst->ss_family, vary, i);
	if (connect(c, (const struct sockaddr *)dst, len) < 0)
		die("connect");
	if ((s = accept(lfd, NULL, NULL)) < 0)
		die("accept");
	if (write(c, "ping\n", 5) != 5 || read(s, buf, sizeof(buf)) <= 0)
		die("tcp request");
	if (write(s, "pong\n", 5) != 5 || read(c, buf, sizeof(buf)) <= 0)
		die("tcp reply");
	if (shutdown(c, SHUT_WR) < 0 || read(s, buf, sizeof(buf)) != 0)
		die("tcp client close");
	if (close(s) < 0 || read(c, buf, sizeof(buf)) != 0)
		die("tcp server close");
	close(c);
}

static void udp_flow(int sfd, const struct sockaddr_storage *dst, socklen_t len, int vary, unsigned long i)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char buf[64];
	int c = sock(dst->ss_family, SOCK_DGRAM);

	bind_source(c, dst->ss_family, vary, i);
	if (sendto(c, "ping\n", 5, 0, (const struct sockaddr *)dst, len) != 5)
		die("udp send");
	if (recvfrom(sfd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen) <= 0)
		die("udp server recv");
	if (sendto(sfd, "pong\n", 5, 0, (struct sockaddr *)&peer, plen) != 5)
		die("udp reply");
	if (recv(c, buf, sizeof(buf), 0) <= 0)
		die("udp client recv");
	close(c);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage laddr, daddr;
	socklen_t llen, dlen;
	unsigned long i, count = 1;
	int opt, vary = 0, tcp, fd, port, dport;

	while ((opt = getopt(argc, argv, "S")) != -1) {
		if (opt != 'S') {
			fputs(usage, stderr);
			return 2;
		}
		vary = 1;
	}
	argc -= optind;
	argv += optind;
	if (argc < 3 || argc > 5 || (strcmp(argv[0], "tcp") && strcmp(argv[0], "udp"))) {
		fputs(usage, stderr);
		return 2;
	}
	tcp = !strcmp(argv[0], "tcp");
	port = atoi(argv[2]);
	dport = argc > 4 ? atoi(argv[4]) : port;
	if (argc > 3)
		count = strtoul(argv[3], NULL, 10);
	if (sockaddr_text(argv[1], port, &laddr, &llen) < 0 ||
	    sockaddr_text(argv[1], dport, &daddr, &dlen) < 0) {
		fprintf(stderr, "trafficgen: bad address '%s'\n", argv[1]);
		return 2;
	}

	fd = sock(laddr.ss_family, tcp ? SOCK_STREAM : SOCK_DGRAM);
	if (bind(fd, (struct sockaddr *)&laddr, llen) < 0)
		die("bind");
	if (tcp && listen(fd, 16) < 0)
		die("listen");
	for (i = 0; i < count; i++) {
		if (tcp)
			tcp_flow(fd, &daddr, dlen, vary, i);
		else
			udp_flow(fd, &daddr, dlen, vary, i);
	}
	close(fd);
	return 0;
}
