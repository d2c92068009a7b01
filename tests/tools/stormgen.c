/* stormgen: makes N new UDP conntrack flows as fast as it can, one datagram each from one unconnected socket to distinct 127.x destinations. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: stormgen [-n FLOWS] [-p PORTS]\n"
	"  Sends one UDP datagram to each of FLOWS (default 200000) distinct\n"
	"  destinations: flow i goes to 127.2.0.0 + i / PORTS, port 10000 + i %% PORTS\n"
	"  (PORTS default 50000), from one unconnected socket on 127.0.0.1.  Drop\n"
	"  input to 127.2.0.0/16 (nft) so that no ICMP error comes back.  Prints\n"
	"  the flows sent and the rate on stderr.\n";

int main(int argc, char **argv)
{
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
	unsigned long i, n = 200000, ports = 50000;
	struct timespec t0, t1;
	double secs;
	int fd, opt;

	while ((opt = getopt(argc, argv, "n:p:")) != -1) {
		switch (opt) {
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'p': ports = strtoul(optarg, NULL, 0); break;
		default: fprintf(stderr, usage); return 2;
		}
	}
	if (optind != argc || ports == 0 || ports > 55000 || n / ports > 65535) {
		fprintf(stderr, usage);
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		fprintf(stderr, "stormgen: socket: %s\n", strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		dst.sin_addr.s_addr = htonl(0x7f020000u + (uint32_t)(i / ports));
		dst.sin_port = htons((uint16_t)(10000 + i % ports));
		while (sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "stormgen: sendto: %s\n", strerror(errno));
				return 1;
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "stormgen: %lu flows in %.2f s (%.0f/s)\n", n, secs, n / secs);
	return 0;
}
