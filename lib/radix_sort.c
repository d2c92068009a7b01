/* A stable radix sort of (key, value) pairs by key, for the writer's batches (changes of flows by id, keys by value). */
#include <string.h>

#include "radix_sort.h"

void radix_sort(struct radix_item *a, struct radix_item *tmp, size_t n)
{
	struct radix_item *from = a, *to = tmp, *t;
	uint64_t lo = UINT64_MAX, span = 0;
	size_t i, count[256];
	int shift;

	for (i = 0; i < n; i++)
		if (a[i].key < lo)
			lo = a[i].key;
	for (i = 0; i < n; i++)
		span |= a[i].key - lo;
	for (shift = 0; shift < 64 && span >> shift; shift += 8) {
		size_t at = 0;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(from[i].key - lo) >> shift & 0xff]++;
		for (i = 0; i < 256; i++) {
			size_t c = count[i];

			count[i] = at;
			at += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i].key - lo) >> shift & 0xff]++] = from[i];
		t = from, from = to, to = t;
	}
	if (from != a)
		memcpy(a, from, n * sizeof(*a));
}
