/* A stable radix sort of (key, value) pairs by key, for the writer's batches (changes of flows by id, keys by value). */
#ifndef CT_RADIX_SORT_H
#define CT_RADIX_SORT_H

#include <stddef.h>
#include <stdint.h>

struct radix_item {
	uint64_t key;
	uint64_t val;
};

/* Sorts a[0..n) by key, equal keys kept in the order they are in, using
 * tmp (room for n items) as scratch. A pass a byte, over only the bytes in
 * which some key differs from the smallest. */
void radix_sort(struct radix_item *a, struct radix_item *tmp, size_t n);

#endif
