/* The recorder's table of open flows: kernel entry (id and original tuple) to our flow id. */
#ifndef CT_FLOWMAP_H
#define CT_FLOWMAP_H

#include <stdint.h>
#include "ct_event.h"

struct flowmap;

struct flowmap_entry {
	uint32_t ct_id;
	struct ct_tuple orig;
	int64_t flow;		/* our flow id */
	int from_dump;		/* known only from the start-up dump, no event yet */
	struct flowmap_entry *next;
};

struct flowmap *flowmap_new(void);
void flowmap_free(struct flowmap *m);

/* Returns the open flow of the entry ev describes, or NULL. */
struct flowmap_entry *flowmap_find(struct flowmap *m, const struct ct_event *ev);

/* Adds an open flow for ev's entry; returns it, or NULL when out of memory. */
struct flowmap_entry *flowmap_add(struct flowmap *m, const struct ct_event *ev, int64_t flow);

/* Removes e (which must be in m) and frees it. */
void flowmap_remove(struct flowmap *m, struct flowmap_entry *e);

/* Number of open flows. */
size_t flowmap_count(const struct flowmap *m);

#endif
