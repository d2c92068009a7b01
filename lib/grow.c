/* Arrays that grow by doubling: the one way every module makes room for one more element. */
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"
#include "log.h"

void *grow_to(void *a, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t c = *cap;
	void *p;

	if (!need)	/* (a NULL a with a *cap of 0 would be returned: "out of memory") */
		need = 1;
	if (need <= c)
		return a;
	while (c < need)
		c = c ? c * 2 : first;
	if (c > SIZE_MAX / size || !(p = realloc(a, c * size))) {
		log_error("out of memory");
		return NULL;
	}
	*cap = c;
	return p;
}

void *grow_array(void *a, size_t *cap, size_t n, size_t size, size_t first)
{
	return grow_to(a, cap, n + 1, size, first);
}
