/* Varints (7 bits a byte, the lowest first, the high bit set on all but the last): the coding of event blocks and of the pending changes of flows. */
#ifndef CT_VARINT_H
#define CT_VARINT_H

#include <stdint.h>

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

/* Reads a varint from [*pp, end) into *v and moves *pp past it. Returns 0,
 * or -1 when it runs past end or over VARINT_MAX bytes (*pp and *v are then
 * unspecified). Bits past the 64th are dropped. */
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
				goto done;
		}
		return -1;
	}
	for (shift = 0; p < end && shift < 7 * VARINT_MAX; shift += 7) {
		uint8_t c = *p++;

		x |= (uint64_t)(c & 0x7f) << shift;
		if (c < 0x80)
			goto done;
	}
	return -1;
done:
	*v = x;
	*pp = p;
	return 0;
}

/* Moves *pp past n varints in [*pp, end). Returns 0, or -1 when one runs
 * past end or over VARINT_MAX bytes (*pp is then left as it was). */
static inline int varint_skip(const uint8_t **pp, const uint8_t *end, int n)
{
	const uint8_t *p = *pp;

	while (n-- > 0) {
		const uint8_t *stop = end - p > VARINT_MAX ? p + VARINT_MAX : end;

		while (p < stop && *p >= 0x80)
			p++;
		if (p == stop)
			return -1;
		p++;
	}
	*pp = p;
	return 0;
}

#endif
