/* Writes numbers and addresses as glibc's printf, inet_ntoa() and inet_ntop() do, into the caller's buffer (reentrant), and reads tuples' layer-4 fields as the library does: shared by the fast formatters ct_text.c and ct_xml.c. */
#ifndef CT_NUMFMT_H
#define CT_NUMFMT_H

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "ct_event.h"

/* The layer-4 fields of t as the library prints them: the port pair, ICMP
 * fields and GRE keys share one union per tuple, and the parser writes the
 * ICMP id over the source half and type << 8 | code over the destination
 * half. Absent ones read as zero. */
static inline void ct_l4_fields(const struct ct_tuple *t, unsigned int *src, unsigned int *dst)
{
	*src = *dst = 0;
	if (t->has_icmp) {
		*src = t->iid;
		*dst = t->itype << 8 | t->icode;
	} else if (t->has_ports) {
		*src = t->sport;
		*dst = t->dport;
	}
}

/* Which layer-4 fields the library prints for a tuple of that protocol. */
enum ct_l4_form { CT_L4_NONE, CT_L4_PORTS, CT_L4_GRE_KEYS, CT_L4_ICMP };

static inline enum ct_l4_form ct_l4_form(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return CT_L4_PORTS;
	case IPPROTO_GRE:
		return CT_L4_GRE_KEYS;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return CT_L4_ICMP;
	}
	return CT_L4_NONE;
}

/* Each writes at p, without a NUL, and returns the end of what it wrote. */

/* n bytes of s. */
static inline char *ct_put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* A string literal (its length known when compiling). */
#define CT_PUT(p, lit) ct_put(p, lit, sizeof(lit) - 1)

/* v in decimal, as printf's %u, %llu and (for non-negative) %d: at most 20 bytes. */
char *ct_put_u64(char *p, uint64_t v);

/* v in lowercase hexadecimal without leading zeros, as printf's %x: at most 4 bytes. */
char *ct_put_hex16(char *p, unsigned int v);

/* The dotted quad of a (4 bytes, network order), as inet_ntoa(): at most 15 bytes. */
char *ct_put_ipv4(char *p, const uint8_t *a);

/* a (16 bytes) as glibc's inet_ntop(AF_INET6): at most 39 bytes. */
char *ct_put_ipv6(char *p, const uint8_t *a);

#endif
