/* Writes numbers and addresses as glibc's printf, inet_ntoa() and inet_ntop() do, into the caller's buffer (reentrant): shared by the fast formatters ct_text.c and ct_xml.c. */
#ifndef CT_NUMFMT_H
#define CT_NUMFMT_H

#include <stdint.h>
#include <string.h>

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
