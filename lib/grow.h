/* Arrays that grow by doubling: the one way every module makes room for one more element. */
#ifndef CT_GROW_H
#define CT_GROW_H

#include <stddef.h>

/* Returns a with room for at least need elements of size bytes: a itself
 * when *cap >= need, else a realloc'd copy with *cap doubled (from first
 * when it was 0) until it is enough (room for one at least: never NULL
 * for a need of 0). NULL only when out of memory (reported; a is untouched
 * and still the caller's, *cap unchanged). */
void *grow_to(void *a, size_t *cap, size_t need, size_t size, size_t first);

/* grow_to() with room for one more than the n elements a holds. */
void *grow_array(void *a, size_t *cap, size_t n, size_t size, size_t first);

#endif
