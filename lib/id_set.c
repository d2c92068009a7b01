/* A set of entries by id (flows held new, flows' changes): an array in insertion order and an open-addressing index over it. */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "log.h"

#include "store_internal.h"

static size_t hash_id(int64_t id, size_t nslots)
{
	return (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 20) & (nslots - 1);
}

/* Entry i's address, and its id (each entry starts with it). */
static void *entry(const struct id_set *s, size_t i)
{
	return (char *)s->a + i * s->size;
}

static int64_t entry_id(const struct id_set *s, size_t i)
{
	int64_t id;

	memcpy(&id, entry(s, i), sizeof(id));
	return id;
}

void id_set_init(struct id_set *s, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->size = size;
}

void *id_set_find(const struct id_set *s, int64_t id)
{
	size_t i;

	if (!s->nslots)
		return NULL;
	for (i = hash_id(id, s->nslots); s->slot[i]; i = (i + 1) & (s->nslots - 1))
		if (entry_id(s, (size_t)s->slot[i] - 1) == id)
			return entry(s, (size_t)s->slot[i] - 1);
	return NULL;
}

void *id_set_add(struct id_set *s, int64_t id)
{
	void *p;
	size_t i;

	if (!(p = grow_array(s->a, &s->cap, s->n, s->size, 1024)))
		return NULL;
	s->a = p;
	if ((s->n + 1) * 2 > s->nslots) {
		size_t n = s->nslots ? s->nslots * 2 : 2048, k;
		int64_t *slot = calloc(n, sizeof(*slot));

		if (!slot) {
			log_error("out of memory");
			return NULL;
		}
		free(s->slot);
		s->slot = slot;
		s->nslots = n;
		for (k = 0; k < s->n; k++) {
			for (i = hash_id(entry_id(s, k), n); slot[i]; i = (i + 1) & (n - 1))
				;
			slot[i] = (int64_t)k + 1;
		}
	}
	p = entry(s, s->n);
	memset(p, 0, s->size);
	memcpy(p, &id, sizeof(id));
	for (i = hash_id(id, s->nslots); s->slot[i]; i = (i + 1) & (s->nslots - 1))
		;
	s->slot[i] = (int64_t)++s->n;
	return p;
}

void id_set_clear(struct id_set *s, int free_all)
{
	s->n = 0;
	if (s->nslots)
		memset(s->slot, 0, s->nslots * sizeof(*s->slot));
	if (free_all) {
		free(s->a);
		free(s->slot);
		id_set_init(s, s->size);
	}
}
