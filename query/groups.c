/* Flows, packets and bytes counted per key, in a hash table, for ctquery stats --top. */
#include <stdlib.h>
#include <string.h>

#include "groups.h"
#include "grow.h"
#include "log.h"

#define CHUNK (64 * 1024)

struct groups_chunk {
	struct groups_chunk *next;
	size_t used;
	char bytes[CHUNK];
};

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h ^ (h >> 31);
}

/* A copy of key that stays where it is until groups_free. */
static const char *keep_key(struct groups *g, const char *key, size_t n)
{
	struct groups_chunk *c = g->keys;

	if (n + 1 > CHUNK)
		return NULL;
	if (!c || c->used + n + 1 > CHUNK) {
		c = malloc(sizeof(*c));
		if (!c)
			return NULL;
		c->next = g->keys;
		c->used = 0;
		g->keys = c;
	}
	memcpy(c->bytes + c->used, key, n + 1);
	c->used += n + 1;
	return c->bytes + c->used - n - 1;
}

/* Doubles the slots (kept at most half full) and places every group again. */
static int grow_slots(struct groups *g)
{
	size_t nslots = g->nslots ? 2 * g->nslots : 1024, i, j;
	uint32_t *slot = calloc(nslots, sizeof(*slot));

	if (!slot)
		return -1;
	for (i = 0; i < g->n; i++) {
		for (j = hash(g->v[i].key, strlen(g->v[i].key)) & (nslots - 1); slot[j];
		     j = (j + 1) & (nslots - 1))
			;
		slot[j] = (uint32_t)i + 1;
	}
	free(g->slot);
	g->slot = slot;
	g->nslots = nslots;
	return 0;
}

int groups_add(struct groups *g, const char *key, uint64_t packets, uint64_t bytes)
{
	size_t n = strlen(key), j;
	struct group *grp, *v;

	if (2 * (g->n + 1) > g->nslots && grow_slots(g))
		return log_error("out of memory");
	for (j = hash(key, n) & (g->nslots - 1); g->slot[j]; j = (j + 1) & (g->nslots - 1)) {
		grp = &g->v[g->slot[j] - 1];
		if (!strcmp(grp->key, key))
			goto count;
	}
	if (g->n == UINT32_MAX - 1)
		return log_error("too many groups");
	if (!(v = grow_array(g->v, &g->cap, g->n, sizeof(*v), 256)))
		return -1;
	g->v = v;
	grp = &g->v[g->n];
	memset(grp, 0, sizeof(*grp));
	if (!(grp->key = keep_key(g, key, n)))
		return log_error("out of memory");
	g->slot[j] = (uint32_t)++g->n;
count:
	grp->flows++;
	grp->packets += packets;
	grp->bytes += bytes;
	return 0;
}

static int sort_what;

static uint64_t value(const struct group *x)
{
	return sort_what == GROUPS_BY_BYTES ? x->bytes :
	       sort_what == GROUPS_BY_PACKETS ? x->packets : x->flows;
}

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	uint64_t vx = value(x), vy = value(y);

	return vx < vy ? 1 : vx > vy ? -1 : strcmp(x->key, y->key);
}

void groups_sort(struct groups *g, int what)
{
	sort_what = what;
	if (g->n)
		qsort(g->v, g->n, sizeof(*g->v), cmp_group);
	/* the slots no longer point at the right groups */
	free(g->slot);
	g->slot = NULL;
	g->nslots = 0;
}

void groups_free(struct groups *g)
{
	while (g->keys) {
		struct groups_chunk *c = g->keys;

		g->keys = c->next;
		free(c);
	}
	free(g->v);
	free(g->slot);
	memset(g, 0, sizeof(*g));
}
