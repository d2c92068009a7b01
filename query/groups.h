/* Flows, packets and bytes counted per key (a formatted address, port or pair), for ctquery stats --top. */
#ifndef CT_GROUPS_H
#define CT_GROUPS_H

#include <stddef.h>
#include <stdint.h>

struct group {
	const char *key;
	uint64_t flows, packets, bytes;
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

/* Adds one flow of packets and bytes to key's group. Returns 0, or -1 when
 * out of memory (reported). */
int groups_add(struct groups *g, const char *key, uint64_t packets, uint64_t bytes);

enum { GROUPS_BY_FLOWS, GROUPS_BY_PACKETS, GROUPS_BY_BYTES };

/* Sorts v largest first by what (GROUPS_BY_*), ties by key. */
void groups_sort(struct groups *g, int what);

void groups_free(struct groups *g);

#endif
