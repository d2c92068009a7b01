/* Varints (7 bits a byte, the lowest first, the high bit set on all but the last): the coding of event blocks and of the pending changes of flows. */
#ifndef CT_VARINT_H
#define CT_VARINT_H

#include <stdint.h>
#include <string.h>

/* The most bytes a varint of 64 bits takes. */
#define VARINT_MAX 10

/* Writes v at p, which has room for VARINT_MAX bytes; returns the end. */
static inline uint8_t *varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* The last byte of a varint of VARINT_MAX bytes holds bit 63 alone: more
 * is a value past 64 bits (a damaged one: varint_put() writes none). */
#define VARINT_LAST_MAX 1

/* Reads a varint from [*pp, end) into *v and moves *pp past it. Returns 0,
 * or -1 when it runs past end, over VARINT_MAX bytes or past 64 bits (*pp
 * and *v are then unspecified). */
static inline int varint_get(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t x = 0;
	unsigned shift;

	if (p < end && *p < 0x80) {	/* most are small */
		*v = *p;
		*pp = p + 1;
		return 0;
	}
	if (end - p >= VARINT_MAX) {	/* no need to look at end */
		for (shift = 0; shift < 7 * VARINT_MAX; shift += 7) {
			uint8_t c = *p++;

			x |= (uint64_t)(c & 0x7f) << shift;
			if (c < 0x80)
				goto last;
		}
		return -1;
	}
	for (shift = 0; p < end && shift < 7 * VARINT_MAX; shift += 7) {
		uint8_t c = *p++;

		x |= (uint64_t)(c & 0x7f) << shift;
		if (c < 0x80)
			goto last;
	}
	return -1;
last:	/* (the top bits of a 10th byte above 1 would be lost) */
	if (shift == 7 * (VARINT_MAX - 1) && p[-1] > VARINT_LAST_MAX)
		return -1;
	*v = x;
	*pp = p;
	return 0;
}

/* When the n varints (n > 0) at *pp end within its next 8 bytes (the
 * caller knows there are 8), moves *pp past them and returns 1; else
 * returns 0. Their last bytes, the ones with the high bit clear, are found
 * in one word: an event block's records are mostly of 1-byte values, and a
 * flow's are found among thousands passed over value by value. */
static inline int varint_skip8(const uint8_t **pp, int n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w, last;

	memcpy(&w, *pp, 8);
	last = ~w & 0x8080808080808080ULL;
	while (--n > 0)
		last &= last - 1;	/* (the lowest: the first to end) */
	if (!last)
		return 0;
	*pp += __builtin_ctzll(last) / 8 + 1;
	return 1;
#else
	(void)pp;
	(void)n;
	return 0;
#endif
}

/* Moves *pp past n varints in [*pp, end). Returns 0, or -1 when one runs
 * past end, over VARINT_MAX bytes or past 64 bits, as varint_get() refuses
 * it (*pp is then left as it was). */
static inline int varint_skip(const uint8_t **pp, const uint8_t *end, int n)
{
	const uint8_t *p = *pp;

	/* (each of those is within end and shorter than VARINT_MAX) */
	if (n > 0 && end - p >= 8 && varint_skip8(pp, n))
		return 0;
	while (n-- > 0) {
		const uint8_t *first = p, *stop = end - p > VARINT_MAX ? p + VARINT_MAX : end;

		while (p < stop && *p >= 0x80)
			p++;
		if (p == stop || (p - first == VARINT_MAX - 1 && *p > VARINT_LAST_MAX))
			return -1;
		p++;
	}
	*pp = p;
	return 0;
}

#endif
