/* rawgen: sends one packet of a protocol that conntrack tracks but no socket of ours speaks (SCTP, GRE, UDP-Lite, any other number), so tests see its events. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
	"usage: rawgen sctp|gre|udplite|NUMBER ADDR [SPORT DPORT]\n"
	"  Sends one packet from ADDR to ADDR (IPv4 or IPv6, loopback) on a raw socket:\n"
	"  sctp: an INIT chunk from SPORT to DPORT (default 1000, 2000), CRC32c set;\n"
	"  gre: a GRE version 0 header and an IPv4 header's worth of zeros;\n"
	"  udplite: a datagram from SPORT to DPORT, checksum over all of it;\n"
	"  NUMBER: an IP protocol number, 12 bytes of payload (conntrack's generic\n"
	"  tracker for one it does not know).\n";

static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffff;
	int k;

	while (n--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc >> 1 ^ (crc & 1 ? 0x82f63b78 : 0);
	}
	return ~crc;
}

/* The one's complement sum of n bytes at p, added to sum (not folded). */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (; n > 1; p += 2, n -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* UDP-Lite's checksum (RFC 3828): the pseudo-header, then the covered bytes. */
static uint16_t udplite_csum(int family, const void *addr, const uint8_t *pkt, size_t len)
{
	size_t alen = family == AF_INET ? 4 : 16;
	uint32_t sum = 0;

	sum = sum16(addr, alen, sum);	/* source */
	sum = sum16(addr, alen, sum);	/* destination: the same */
	sum += IPPROTO_UDPLITE + (uint32_t)len;
	sum = sum16(pkt, len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	return sum ? (uint16_t)sum : 0xffff;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	uint8_t pkt[64] = { 0 };
	unsigned sport = 1000, dport = 2000;
	const void *addr;
	socklen_t slen;
	size_t len;
	char *end;
	int proto, fd;
	long n;

	if (argc != 3 && argc != 5) {
		fputs(usage, stderr);
		return 2;
	}
	if (argc == 5) {
		sport = (unsigned)atoi(argv[3]);
		dport = (unsigned)atoi(argv[4]);
	}
	if (inet_pton(AF_INET, argv[2], &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		slen = sizeof(*a4);
		addr = &a4->sin_addr;
	} else if (inet_pton(AF_INET6, argv[2], &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		slen = sizeof(*a6);
		addr = &a6->sin6_addr;
	} else {
		fprintf(stderr, "rawgen: bad address '%s'\n", argv[2]);
		return 2;
	}
	if (!strcmp(argv[1], "sctp")) {
		proto = IPPROTO_SCTP;
		put16(pkt, sport);
		put16(pkt + 2, dport);
		/* verification tag 0 (an INIT's), checksum at 8 (below) */
		pkt[12] = 1;			/* INIT */
		put16(pkt + 14, 20);		/* chunk length */
		put32(pkt + 16, 0x11223344);	/* initiate tag */
		put32(pkt + 20, 65535);		/* a_rwnd */
		put16(pkt + 24, 1);		/* outbound streams */
		put16(pkt + 26, 1);		/* inbound streams */
		put32(pkt + 28, 1);		/* initial TSN */
		len = 32;
		{
			uint32_t c = crc32c(pkt, len);	/* stored little-endian */

			pkt[8] = (uint8_t)c, pkt[9] = (uint8_t)(c >> 8);
			pkt[10] = (uint8_t)(c >> 16), pkt[11] = (uint8_t)(c >> 24);
		}
	} else if (!strcmp(argv[1], "gre")) {
		proto = IPPROTO_GRE;
		put16(pkt + 2, 0x0800);		/* version 0, carrying IPv4 */
		len = 4 + 20;
	} else if (!strcmp(argv[1], "udplite")) {
		proto = IPPROTO_UDPLITE;
		put16(pkt, sport);
		put16(pkt + 2, dport);
		/* checksum coverage 0: all of it */
		memcpy(pkt + 8, "ping\n", 5);
		len = 13;
		put16(pkt + 6, udplite_csum(ss.ss_family, addr, pkt, len));
	} else {
		n = strtol(argv[1], &end, 10);
		if (*end || end == argv[1] || n < 1 || n > 254) {
			fputs(usage, stderr);
			return 2;
		}
		proto = (int)n;
		memcpy(pkt, "experimental", 12);
		len = 12;
	}
	fd = socket(ss.ss_family, SOCK_RAW, proto);
	if (fd < 0 || sendto(fd, pkt, len, 0, (struct sockaddr *)&ss, slen) != (ssize_t)len) {
		fprintf(stderr, "rawgen: %s: %s\n", fd < 0 ? "socket" : "sendto", strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}
