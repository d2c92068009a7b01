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

static void sum128_add(struct sum128 *s, uint64_t v)
{
	s->lo += v;
	s->hi += s->lo < v;	/* the carry */
}

static int sum128_cmp(const struct sum128 *x, const struct sum128 *y)
{
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

char *sum128_format(const struct sum128 *s, char *buf)
{
	/* four 32-bit limbs, most significant first, divided by 10^9 in turn:
	 * nine digits a division, from the right */
	uint32_t limb[4] = { (uint32_t)(s->hi >> 32), (uint32_t)s->hi, (uint32_t)(s->lo >> 32),
			     (uint32_t)s->lo };
	char *p = buf + 39;
	int i, k, zero;

	*p = 0;
	do {
		uint64_t rem = 0;

		for (i = 0, zero = 1; i < 4; i++) {
			uint64_t cur = rem << 32 | limb[i];

			limb[i] = (uint32_t)(cur / 1000000000);
			rem = cur % 1000000000;
			zero &= !limb[i];
		}
		for (k = 0; k < 9 && (rem || !zero || k == 0); k++) {
			*--p = (char)('0' + rem % 10);
			rem /= 10;
		}
	} while (!zero);
	return p;
}

int groups_add(struct groups *g, const char *key, const uint64_t packets[2],
	       const uint64_t bytes[2])
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
	sum128_add(&grp->packets, packets[0]);
	sum128_add(&grp->packets, packets[1]);
	sum128_add(&grp->bytes, bytes[0]);
	sum128_add(&grp->bytes, bytes[1]);
	return 0;
}

static int sort_what;

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	struct sum128 fx = { 0, x->flows }, fy = { 0, y->flows };
	int c = sort_what == GROUPS_BY_BYTES ? sum128_cmp(&x->bytes, &y->bytes) :
		sort_what == GROUPS_BY_PACKETS ? sum128_cmp(&x->packets, &y->packets) :
		sum128_cmp(&fx, &fy);

	return c ? -c : strcmp(x->key, y->key);
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
