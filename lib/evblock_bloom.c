/* Event blocks' Bloom filters of flow ids: one per segment, and which segments may hold a flow. */
#include <stdlib.h>

#include "evblock.h"
#include "log.h"

/* Three bit positions per flow id from one 64-bit mix (splitmix64's finalizer). */
static uint64_t mix(int64_t flow)
{
	uint64_t x = (uint64_t)flow + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* 16 bits a flow and 4 probes: about 0.25% false positives, so that one
 * flow's events cost few blocks decoded for nothing. Probe i of a flow is
 * h1 + i * h2 (double hashing on the two halves of one 64-bit mix). */
#define BLOOM_K 4
#define BLOOM_BITS_PER_FLOW 16

static size_t bit_of(uint64_t h, int i, size_t bits)
{
	uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32) | 1;

	return (size_t)(h1 + (uint32_t)i * h2) & (bits - 1);
}

/* How many distinct ids ids[0..n) holds, through an open-addressing set
 * (flow ids are positive: 0 marks a free slot). -1 when out of memory. */
static long count_distinct(const int64_t *ids, size_t n)
{
	size_t cap = 16, i, j;
	int64_t *set;
	long distinct = 0;

	while (cap < 2 * n)
		cap *= 2;
	if (!(set = calloc(cap, sizeof(*set))))
		return -1;
	for (i = 0; i < n; i++) {
		for (j = mix(ids[i]) & (cap - 1); set[j] && set[j] != ids[i]; j = (j + 1) & (cap - 1))
			;
		if (!set[j]) {
			set[j] = ids[i];
			distinct++;
		}
	}
	free(set);
	return distinct;
}

/* The bytes of the Bloom filter of n records of flows (of distinct ids): a
 * power of two. */
static size_t bloom_bytes(long distinct)
{
	size_t bits = 64;

	while (distinct > 0 && bits < (size_t)distinct * BLOOM_BITS_PER_FLOW && bits < (1u << 21))
		bits *= 2;
	return bits / 8;
}

/* Sets the bits of flows[0..n) in the filter f of bytes bytes. */
static void bloom_fill(uint8_t *f, size_t bytes, const int64_t *flows, size_t n)
{
	size_t i, k, bits = bytes * 8;

	/* (a flow's events after its first set the same bits again) */
	for (i = 0; i < n; i++) {
		uint64_t h = mix(flows[i]);

		for (k = 0; k < BLOOM_K; k++) {
			size_t bit = bit_of(h, k, bits);

			f[bit / 8] |= 1 << (bit % 8);
		}
	}
}

size_t evblock_bloom(const struct evblock *b, uint8_t **out)
{
	/* (an empty block has one empty segment here) */
	uint32_t nseg = b->nseg + (b->seg_n > 0 || !b->nseg), i, start = 0;
	size_t size[EVBLOCK_MAX_SEGS], total = 0, at = 0, trailer;
	uint8_t *f;

	*out = NULL;
	for (i = 0; i < nseg; i++) {
		uint32_t n = i < b->nseg ? b->seg_nrec[i] : b->seg_n;
		long distinct = count_distinct(b->flows + start, n);

		if (distinct < 0) {
			log_error("out of memory");
			return 0;
		}
		size[i] = bloom_bytes(distinct);
		total += size[i];
		start += n;
	}
	/* one segment: the filter alone, as before version 10 */
	trailer = nseg > 1 ? nseg + 1 + (nseg % 2 == 1) : 0;
	if (!(f = calloc(total + trailer, 1))) {
		log_error("out of memory");
		return 0;
	}
	for (i = start = 0; i < nseg; i++) {
		uint32_t n = i < b->nseg ? b->seg_nrec[i] : b->seg_n;

		bloom_fill(f + at, size[i], b->flows + start, n);
		at += size[i];
		start += n;
	}
	if (trailer) {
		/* the log2 of each filter's bytes, a zero when needed for an
		 * odd length (never a power of two), their number */
		for (i = 0; i < nseg; i++) {
			unsigned lg = 0;

			while (((size_t)1 << lg) < size[i])
				lg++;
			f[at++] = (uint8_t)lg;
		}
		if (nseg % 2 == 1)
			f[at++] = 0;
		f[at++] = (uint8_t)nseg;
	}
	*out = f;
	return at;
}

/* The segments' filters of a segmented block's bloom[0..len): their number,
 * with each one's offset and size in off[], size[] (EVBLOCK_SEG_READ_MAX of room);
 * 0 when it has a single filter for all, or a malformed trailer. */
static unsigned bloom_segments(const uint8_t *bloom, size_t len, size_t *off, size_t *size)
{
	unsigned nseg, i;
	size_t trailer, at = 0;

	if (len < 3 || len % 2 == 0)
		return 0;
	nseg = bloom[len - 1];
	trailer = nseg + 1 + (nseg % 2 == 1);
	if (nseg < 2 || nseg > EVBLOCK_SEG_READ_MAX || trailer > len)
		return 0;
	for (i = 0; i < nseg; i++) {
		unsigned lg = bloom[len - trailer + i];

		if (lg < 3 || lg > 18)
			return 0;
		off[i] = at;
		size[i] = (size_t)1 << lg;
		at += size[i];
	}
	return at + trailer == len ? nseg : 0;
}

/* Non-zero when flow may be in the filter bloom[0..len) of 2^k bytes. */
static int filter_has(const uint8_t *bloom, size_t len, int64_t flow)
{
	size_t bits = len * 8, k;
	uint64_t h = mix(flow);

	if (!len || (bits & (bits - 1)))
		return 1;	/* no usable filter: it may be there */
	for (k = 0; k < BLOOM_K; k++) {
		size_t bit = bit_of(h, k, bits);

		if (!(bloom[bit / 8] & (1 << (bit % 8))))
			return 0;
	}
	return 1;
}

int evblock_bloom_has(const uint8_t *bloom, size_t len, int64_t flow)
{
	size_t off[EVBLOCK_SEG_READ_MAX], size[EVBLOCK_SEG_READ_MAX];
	unsigned nseg = bloom_segments(bloom, len, off, size), i;

	if (!nseg)
		return filter_has(bloom, len, flow);
	for (i = 0; i < nseg; i++)
		if (filter_has(bloom + off[i], size[i], flow))
			return 1;
	return 0;
}

int evblock_bloom_segment(const uint8_t *bloom, size_t len, unsigned i,
			  const uint8_t **seg, size_t *seg_len)
{
	size_t off[EVBLOCK_SEG_READ_MAX], size[EVBLOCK_SEG_READ_MAX];
	unsigned nseg = bloom_segments(bloom, len, off, size);

	if (i >= nseg)
		return 0;
	*seg = bloom + off[i];
	*seg_len = size[i];
	return 1;
}
