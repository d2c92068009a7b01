/* The recorder's table of open flows: kernel entry (id, zone and original tuple) to our flow id. */
#ifndef CT_FLOWMAP_H
#define CT_FLOWMAP_H

#include <stdint.h>
#include "ct_event.h"

struct flowmap;

struct flowmap_entry {
	uint32_t ct_id;
	uint32_t zone_key;	/* its zone (CTA_ZONE) + 1; 0 without one */
	struct ct_tuple orig;
	int64_t flow;		/* our flow id */
	int64_t first_us;	/* when it was first seen (the flow's first_us) */
	uint8_t from_dump;	/* known only from a dump, no event yet */
	uint8_t seen;		/* during a resync: present in the dump */
	uint8_t vanished;	/* after a resync: missing from the dump, end pending */
	/* the map's own */
	uint8_t used;
	uint32_t index, free_next;
};

struct flowmap *flowmap_new(void);
void flowmap_free(struct flowmap *m);

/* Returns the open flow of the entry ev describes, or NULL. */
struct flowmap_entry *flowmap_find(struct flowmap *m, const struct ct_event *ev);

/* Adds an open flow for ev's entry, first seen at ev->t_us; returns it, or
 * NULL when out of memory. An entry stays where it is until one is removed
 * (the map may then move entries into the room freed, to give chunks back):
 * a pointer to an entry holds until the next flowmap_remove(). */
struct flowmap_entry *flowmap_add(struct flowmap *m, const struct ct_event *ev, int64_t flow);

/* Removes e (which must be in m) and frees it; may move other entries. */
void flowmap_remove(struct flowmap *m, struct flowmap_entry *e);

/* Calls fn for every open flow; an entry for which fn returns 1 is removed
 * and freed after the call. */
void flowmap_walk(struct flowmap *m, int (*fn)(struct flowmap_entry *e, void *data),
		  void *data);

/* Number of open flows. */
size_t flowmap_count(const struct flowmap *m);

/* Bytes the map holds for its entries and its index. */
size_t flowmap_bytes(const struct flowmap *m);

#endif
