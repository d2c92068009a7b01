/* Writes numbers and addresses as glibc's printf, inet_ntoa() and inet_ntop() do, into the caller's buffer (reentrant). */
#include "ct_numfmt.h"

static const char pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

char *ct_put_u64(char *p, uint64_t v)
{
	char *end = p + 1;
	uint64_t x;

	for (x = v; x >= 10; x /= 10)
		end++;
	p = end;
	while (v >= 100) {
		const char *d = pairs + 2 * (v % 100);

		v /= 100;
		*--p = d[1];
		*--p = d[0];
	}
	if (v >= 10) {
		*--p = pairs[2 * v + 1];
		*--p = pairs[2 * v];
	} else {
		*--p = '0' + v;
	}
	return end;
}

char *ct_put_hex16(char *p, unsigned int v)
{
	static const char hex[] = "0123456789abcdef";

	if (v >= 0x1000)
		*p++ = hex[v >> 12];
	if (v >= 0x100)
		*p++ = hex[(v >> 8) & 15];
	if (v >= 0x10)
		*p++ = hex[(v >> 4) & 15];
	*p++ = hex[v & 15];
	return p;
}

char *ct_put_ipv4(char *p, const uint8_t *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (v >= 100) {
			*p++ = '0' + v / 100;
			v %= 100;
			*p++ = '0' + v / 10;
		} else if (v >= 10) {
			*p++ = '0' + v / 10;
		}
		*p++ = '0' + v % 10;
		*p++ = '.';
	}
	return p - 1;
}

/* The longest run of two or more zero groups (the first of equal ones) is
 * written "::", and the last 32 bits as a dotted quad after six zero groups
 * or after five and ffff. */
char *ct_put_ipv6(char *p, const uint8_t *a)
{
	unsigned int w[8];
	int i, base = -1, len = 0, cur = 0, curlen = 0;

	for (i = 0; i < 8; i++) {
		w[i] = a[2 * i] << 8 | a[2 * i + 1];
		if (w[i]) {
			curlen = 0;
			continue;
		}
		if (!curlen++)
			cur = i;
		if (curlen > len) {
			base = cur;
			len = curlen;
		}
	}
	if (len < 2)
		base = -1;
	for (i = 0; i < 8; i++) {
		if (base >= 0 && i >= base && i < base + len) {
			if (i == base)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && base == 0 && (len == 6 || (len == 5 && w[5] == 0xffff)))
			return ct_put_ipv4(p, a + 12);
		p = ct_put_hex16(p, w[i]);
	}
	if (base >= 0 && base + len == 8)
		*p++ = ':';
	return p;
}
