/* The recorder's table of open flows: kernel entry (id and original tuple) to our flow id. */
#include <stdlib.h>
#include <string.h>

#include "flowmap.h"

struct flowmap {
	struct flowmap_entry **bucket;
	size_t nbuckets;	/* a power of two */
	size_t count;
};

static uint32_t mix(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x01000193;
	return h;
}

static uint32_t hash_entry(uint32_t id, const struct ct_tuple *t)
{
	uint32_t h = 0x811c9dc5, w;
	int i;

	h = mix(h, id);
	for (i = 0; i < 16; i += 4) {
		memcpy(&w, t->src + i, 4);
		h = mix(h, w);
		memcpy(&w, t->dst + i, 4);
		h = mix(h, w);
	}
	h = mix(h, (uint32_t)t->sport << 16 | t->dport);
	h = mix(h, (uint32_t)t->proto << 16 | t->iid);
	return h ^ h >> 15;
}

struct flowmap *flowmap_new(void)
{
	struct flowmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nbuckets = 1024;
	m->bucket = calloc(m->nbuckets, sizeof(*m->bucket));
	if (!m->bucket) {
		free(m);
		return NULL;
	}
	return m;
}

void flowmap_free(struct flowmap *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nbuckets; i++) {
		while (m->bucket[i]) {
			struct flowmap_entry *e = m->bucket[i];

			m->bucket[i] = e->next;
			free(e);
		}
	}
	free(m->bucket);
	free(m);
}

static struct flowmap_entry **slot(struct flowmap *m, uint32_t id, const struct ct_tuple *t)
{
	return &m->bucket[hash_entry(id, t) & (m->nbuckets - 1)];
}

struct flowmap_entry *flowmap_find(struct flowmap *m, const struct ct_event *ev)
{
	struct flowmap_entry *e;

	for (e = *slot(m, ev->id, &ev->orig); e; e = e->next)
		if (e->ct_id == ev->id && ct_tuple_equal(&e->orig, &ev->orig))
			return e;
	return NULL;
}

/* Doubles the bucket array; keeps the old one when memory is short. */
static void grow(struct flowmap *m)
{
	size_t n = m->nbuckets * 2, i;
	struct flowmap_entry **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (i = 0; i < m->nbuckets; i++) {
		while (m->bucket[i]) {
			struct flowmap_entry *e = m->bucket[i];
			size_t j = hash_entry(e->ct_id, &e->orig) & (n - 1);

			m->bucket[i] = e->next;
			e->next = b[j];
			b[j] = e;
		}
	}
	free(m->bucket);
	m->bucket = b;
	m->nbuckets = n;
}

struct flowmap_entry *flowmap_add(struct flowmap *m, const struct ct_event *ev, int64_t flow)
{
	struct flowmap_entry *e = calloc(1, sizeof(*e)), **s;

	if (!e)
		return NULL;
	if (m->count >= m->nbuckets)
		grow(m);
	e->ct_id = ev->id;
	e->orig = ev->orig;
	e->flow = flow;
	e->first_us = ev->t_us;
	s = slot(m, ev->id, &ev->orig);
	e->next = *s;
	*s = e;
	m->count++;
	return e;
}

void flowmap_remove(struct flowmap *m, struct flowmap_entry *e)
{
	struct flowmap_entry **p = slot(m, e->ct_id, &e->orig);

	while (*p && *p != e)
		p = &(*p)->next;
	if (*p) {
		*p = e->next;
		m->count--;
		free(e);
	}
}

void flowmap_walk(struct flowmap *m, int (*fn)(struct flowmap_entry *e, void *data),
		  void *data)
{
	size_t i;

	for (i = 0; i < m->nbuckets; i++) {
		struct flowmap_entry **p = &m->bucket[i];

		while (*p) {
			struct flowmap_entry *e = *p;

			if (fn(e, data)) {
				*p = e->next;
				m->count--;
				free(e);
			} else {
				p = &e->next;
			}
		}
	}
}

size_t flowmap_count(const struct flowmap *m)
{
	return m->count;
}
