/* Flows, packets and bytes counted per key (a formatted address, port or pair), for ctquery stats --top. */
#ifndef CT_GROUPS_H
#define CT_GROUPS_H

#include <stddef.h>
#include <stdint.h>

/* A sum of 64-bit counters that cannot wrap: 2^64 of them at most. A
 * group's packets or bytes pass 2^64 with a counter near it in a log (a
 * wrapped uint64_t printed 0 for 2^65 bytes); __int128 is not on every
 * architecture Debian builds. */
struct sum128 {
	uint64_t hi, lo;
};

/* Writes its decimal digits at the end of buf (40 bytes hold any); returns
 * where they start, inside buf. */
char *sum128_format(const struct sum128 *s, char *buf);

struct group {
	const char *key;
	uint64_t flows;
	struct sum128 packets, bytes;
};

/* A hash table of groups by key: each flow costs one lookup, however many
 * groups (a history of a million distinct pairs has a million). */
struct groups {
	struct group *v;	/* in the order first seen */
	size_t n, cap;
	uint32_t *slot;		/* index + 1 into v, 0 empty */
	size_t nslots;
	struct groups_chunk *keys;	/* the keys' bytes, never moved */
};

/* Adds one flow to key's group, with its packets and bytes in each
 * direction. Returns 0, or -1 when out of memory (reported). */
int groups_add(struct groups *g, const char *key, const uint64_t packets[2],
	       const uint64_t bytes[2]);

enum { GROUPS_BY_FLOWS, GROUPS_BY_PACKETS, GROUPS_BY_BYTES };

/* Sorts v largest first by what (GROUPS_BY_*), ties by key. */
void groups_sort(struct groups *g, int what);

void groups_free(struct groups *g);

#endif
