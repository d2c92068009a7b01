/* A set of flows' changes (struct pflow) by flow id: an array in insertion order and an open-addressing index over it; and plain arrays of them. */
#include <stdlib.h>
#include <string.h>

#include "log.h"

#include "store_internal.h"

static size_t hash_id(int64_t id, size_t nslots)
{
	return (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ULL >> 20) & (nslots - 1);
}

struct pflow *pflow_set_find(const struct pflow_set *s, int64_t id)
{
	size_t i;

	if (!s->nslots)
		return NULL;
	for (i = hash_id(id, s->nslots); s->slot[i]; i = (i + 1) & (s->nslots - 1))
		if (s->pf[s->slot[i] - 1].id == id)
			return &s->pf[s->slot[i] - 1];
	return NULL;
}

struct pflow *pflow_set_add(struct pflow_set *s, int64_t id)
{
	struct pflow *p;
	size_t i;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;

		p = realloc(s->pf, cap * sizeof(*p));
		if (!p) {
			log_error("out of memory");
			return NULL;
		}
		s->pf = p;
		s->cap = cap;
	}
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
			for (i = hash_id(s->pf[k].id, n); slot[i]; i = (i + 1) & (n - 1))
				;
			slot[i] = (int64_t)k + 1;
		}
	}
	p = &s->pf[s->n];
	memset(p, 0, sizeof(*p));
	p->id = id;
	for (i = hash_id(id, s->nslots); s->slot[i]; i = (i + 1) & (s->nslots - 1))
		;
	s->slot[i] = (int64_t)++s->n;
	return p;
}

int pflow_append(struct pflow **a, size_t *n, size_t *cap, const struct pflow *c)
{
	if (*n == *cap) {
		size_t grown = *cap ? *cap * 2 : 1024;
		struct pflow *p = realloc(*a, grown * sizeof(*p));

		if (!p)
			return log_error("out of memory");
		*a = p;
		*cap = grown;
	}
	(*a)[(*n)++] = *c;
	return 0;
}

void pflow_set_clear(struct pflow_set *s, int free_all)
{
	s->n = 0;
	if (s->nslots)
		memset(s->slot, 0, s->nslots * sizeof(*s->slot));
	if (free_all) {
		free(s->pf);
		free(s->slot);
		memset(s, 0, sizeof(*s));
	}
}
