/* The recorder's table of open flows: kernel entry (id and original tuple) to our flow id. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "flowmap.h"

/* Entries live in chunks, so they never move; an open-addressing index
 * (linear probing, at most half full) finds them by hash. A slot keeps the
 * hash, so a probe reads an entry only when the hash matches.
 *
 * A chunk is a huge page (2 MiB), and so is the index once it is that big:
 * each lookup lands somewhere random in them, and with 4 KiB pages a table
 * of a storm's hundreds of thousands of flows missed the TLB at nearly
 * every lookup (a walk of the page tables, nested in a virtual machine).
 * The first chunk, all a quiet host needs, is left to ordinary pages.
 *
 * When a quarter of the chunks' entries or fewer are open (a storm's flows
 * have ended), the entries past the first chunks that hold twice the open
 * ones move down into free room, the chunks after them go back, and the
 * index is rebuilt smaller: a storm of a million flows kept its 105 MB for
 * good (one table of its size after another reused them, but a host's
 * memory followed its biggest storm ever, not its open flows). */
#define HUGE_PAGE ((size_t)2 << 20)
#define CHUNK ((uint32_t)(HUGE_PAGE / sizeof(struct flowmap_entry)))
#define NO_ENTRY UINT32_MAX

struct slot {
	uint32_t hash;
	uint32_t index;		/* entry index + 1; 0: empty */
};

struct flowmap {
	struct slot *slot;
	size_t nslots;		/* a power of two */
	struct flowmap_entry **chunk;
	size_t nchunks;
	uint32_t nentries;	/* entries handed out, used or free */
	uint32_t free_head;	/* a free entry, or NO_ENTRY */
	size_t count;
	int walking;		/* in flowmap_walk(): no entry may move */
};

static struct flowmap_entry *entry(const struct flowmap *m, uint32_t i)
{
	return &m->chunk[i / CHUNK][i % CHUNK];
}

/* n bytes of zeros: in huge pages, when asked (and then aligned to them),
 * as a hint the kernel may not take. NULL when out of memory. */
static void *alloc_zeroed(size_t n, int huge)
{
	void *p;

	if (!huge)
		return calloc(1, n);
	n = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	if (posix_memalign(&p, HUGE_PAGE, n))
		return NULL;
	madvise(p, n, MADV_HUGEPAGE);
	memset(p, 0, n);
	return p;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
	return h ^ h >> 31;
}

static uint32_t load32(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

/* An entry's zone as flowmap_entry keeps it. An entry's identity in the
 * kernel is its zone and tuple: two entries may share a tuple in two zones,
 * and a log without ids (conntrack -E without -o id) tells them apart by
 * zone= alone. */
static uint32_t zone_key(const struct ct_event *ev)
{
	return ev->has & CT_HAS_ZONE ? (uint32_t)ev->zone + 1 : 0;
}

/* The hash of exactly what ct_tuple_equal() compares, the id and the zone. */
static uint32_t hash_entry(uint32_t id, uint32_t zone, const struct ct_tuple *t)
{
	uint64_t h = mix((uint64_t)zone << 32 | id, (uint64_t)t->l3 << 8 | t->proto);
	int i, words = t->l3 == 10 ? 4 : 1;

	for (i = 0; i < words; i++)
		h = mix(h, (uint64_t)load32(t->src + 4 * i) << 32 | load32(t->dst + 4 * i));
	if (t->has_ports)
		h = mix(h, (uint64_t)t->sport << 16 | t->dport);
	if (t->has_icmp)
		h = mix(h, (uint64_t)t->itype << 24 | (uint64_t)t->icode << 16 | t->iid);
	if (t->has_zone)
		h = mix(h, t->zone);
	h *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(h ^ h >> 32);
}

struct flowmap *flowmap_new(void)
{
	struct flowmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nslots = 1024;
	m->slot = alloc_zeroed(m->nslots * sizeof(*m->slot), 0);
	if (!m->slot) {
		free(m);
		return NULL;
	}
	m->free_head = NO_ENTRY;
	return m;
}

void flowmap_free(struct flowmap *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nchunks; i++)
		free(m->chunk[i]);
	free(m->chunk);
	free(m->slot);
	free(m);
}

struct flowmap_entry *flowmap_find(struct flowmap *m, const struct ct_event *ev)
{
	uint32_t zone = zone_key(ev), h = hash_entry(ev->id, zone, &ev->orig);
	size_t mask = m->nslots - 1, i;

	for (i = h & mask; m->slot[i].index; i = (i + 1) & mask) {
		if (m->slot[i].hash == h) {
			struct flowmap_entry *e = entry(m, m->slot[i].index - 1);

			if (e->ct_id == ev->id && e->zone_key == zone &&
			    ct_tuple_equal(&e->orig, &ev->orig))
				return e;
		}
	}
	return NULL;
}

static void place(struct slot *slot, size_t mask, uint32_t hash, uint32_t index)
{
	size_t i;

	for (i = hash & mask; slot[i].index; i = (i + 1) & mask)
		;
	slot[i].hash = hash;
	slot[i].index = index;
}

/* Doubles the index; keeps the old one when memory is short. */
static void grow(struct flowmap *m)
{
	size_t n = m->nslots * 2, i;
	struct slot *s = alloc_zeroed(n * sizeof(*s), n * sizeof(*s) >= HUGE_PAGE);

	if (!s)
		return;
	for (i = 0; i < m->nslots; i++)
		if (m->slot[i].index)
			place(s, n - 1, m->slot[i].hash, m->slot[i].index);
	free(m->slot);
	m->slot = s;
	m->nslots = n;
}

/* A free entry: one given back, else the next of the last chunk (a new
 * chunk when it is full). NULL when out of memory. */
static struct flowmap_entry *take_entry(struct flowmap *m)
{
	struct flowmap_entry *e;

	if (m->free_head != NO_ENTRY) {
		e = entry(m, m->free_head);
		m->free_head = e->free_next;
		return e;
	}
	if (m->nentries == (uint32_t)(m->nchunks * CHUNK)) {
		struct flowmap_entry **c, *chunk;

		if (m->nentries >= NO_ENTRY - CHUNK)
			return NULL;
		c = realloc(m->chunk, (m->nchunks + 1) * sizeof(*c));
		if (!c)
			return NULL;
		m->chunk = c;
		chunk = alloc_zeroed(CHUNK * sizeof(*chunk), m->nchunks > 0);
		if (!chunk)
			return NULL;
		m->chunk[m->nchunks++] = chunk;
	}
	e = entry(m, m->nentries);
	e->index = m->nentries++;
	return e;
}

struct flowmap_entry *flowmap_add(struct flowmap *m, const struct ct_event *ev, int64_t flow)
{
	struct flowmap_entry *e;
	uint32_t index;

	if ((m->count + 1) * 2 > m->nslots)
		grow(m);
	if (m->count + 1 >= m->nslots)	/* grow() had no memory: keep a free slot */
		return NULL;
	e = take_entry(m);
	if (!e)
		return NULL;
	index = e->index;
	memset(e, 0, sizeof(*e));
	e->index = index;
	e->used = 1;
	e->ct_id = ev->id;
	e->zone_key = zone_key(ev);
	e->orig = ev->orig;
	e->flow = flow;
	e->first_us = ev->t_us;
	place(m->slot, m->nslots - 1, hash_entry(e->ct_id, e->zone_key, &e->orig), index + 1);
	m->count++;
	return e;
}

/* Takes slot i out of the index, moving later slots of its run back so
 * that every entry stays reachable from its hash's slot. */
static void unslot(struct flowmap *m, size_t i)
{
	size_t mask = m->nslots - 1, j, home;

	for (j = (i + 1) & mask; m->slot[j].index; j = (j + 1) & mask) {
		home = m->slot[j].hash & mask;
		/* j's entry may move to i when its home is not in (i, j] */
		if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
			m->slot[i] = m->slot[j];
			i = j;
		}
	}
	m->slot[i].index = 0;
}

/* The chunks past the first that hold all the used entries and room for as
 * many again go back (the used entries in them move to free ones below),
 * and the index fits the open flows. Does nothing when the memory for the
 * new index is short. */
static void shrink(struct flowmap *m)
{
	uint32_t keep, i, j = 0;
	size_t kchunks = (m->count * 2 + CHUNK - 1) / CHUNK, n = 1024, c;
	struct slot *s;

	if (kchunks == 0)
		kchunks = 1;
	if (kchunks > m->nchunks)
		kchunks = m->nchunks;
	while (n < (m->count + 1) * 4)
		n *= 2;
	if (n > m->nslots)
		n = m->nslots;
	if (!(s = alloc_zeroed(n * sizeof(*s), n * sizeof(*s) >= HUGE_PAGE)))
		return;
	keep = kchunks < m->nchunks ? (uint32_t)(kchunks * CHUNK) : m->nentries;
	for (i = keep; i < m->nentries; i++) {
		struct flowmap_entry *e = entry(m, i), *to;

		if (!e->used)
			continue;
		while (entry(m, j)->used)	/* j < keep: count <= keep / 2 */
			j++;
		to = entry(m, j);
		*to = *e;
		to->index = j;
	}
	m->nentries = keep;
	m->free_head = NO_ENTRY;
	for (i = keep; i-- > 0;) {
		struct flowmap_entry *e = entry(m, i);

		if (e->used) {
			place(s, n - 1, hash_entry(e->ct_id, e->zone_key, &e->orig), i + 1);
		} else {	/* the lowest first */
			e->free_next = m->free_head;
			m->free_head = i;
		}
	}
	free(m->slot);
	m->slot = s;
	m->nslots = n;
	for (c = kchunks; c < m->nchunks; c++)
		free(m->chunk[c]);
	m->nchunks = kchunks;
	malloc_trim(0);	/* glibc may keep freed blocks of its heaps */
}

/* Shrinks the map once a quarter of its entries or fewer are used, or a
 * sixteenth of its index (a quarter of what it may hold). */
static void maybe_shrink(struct flowmap *m)
{
	if (!m->walking && ((m->nchunks > 1 && m->count * 4 <= m->nchunks * CHUNK) ||
			    (m->nslots > 1024 && (m->count + 1) * 16 <= m->nslots)))
		shrink(m);
}

void flowmap_remove(struct flowmap *m, struct flowmap_entry *e)
{
	size_t mask = m->nslots - 1, i;

	for (i = hash_entry(e->ct_id, e->zone_key, &e->orig) & mask; m->slot[i].index;
	     i = (i + 1) & mask) {
		if (m->slot[i].index == e->index + 1) {
			unslot(m, i);
			e->used = 0;
			e->free_next = m->free_head;
			m->free_head = e->index;
			m->count--;
			maybe_shrink(m);
			return;
		}
	}
}

void flowmap_walk(struct flowmap *m, int (*fn)(struct flowmap_entry *e, void *data),
		  void *data)
{
	uint32_t i;

	/* by entry, not by slot: a removal moves slots, and entries only
	 * once the walk is over */
	m->walking = 1;
	for (i = 0; i < m->nentries; i++) {
		struct flowmap_entry *e = entry(m, i);

		if (e->used && fn(e, data))
			flowmap_remove(m, e);
	}
	m->walking = 0;
	maybe_shrink(m);
}

size_t flowmap_bytes(const struct flowmap *m)
{
	return m->nchunks * CHUNK * sizeof(struct flowmap_entry) + m->nslots * sizeof(struct slot);
}

size_t flowmap_count(const struct flowmap *m)
{
	return m->count;
}
