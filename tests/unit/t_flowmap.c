/* Unit tests of the recorder's table of open flows: random adds, finds, removals and walks against a plain list. */
#include <stdlib.h>
#include <string.h>

#include "flowmap.h"
#include "randev.h"
#include "unit.h"

#define MAXN 20000

/* The reference: every event added and not removed, by our flow id. */
static struct ct_event ref[MAXN];
static int live[MAXN];
static size_t nref, nlive;

/* A key that often shares its id or its tuple with another: few distinct
 * ids and ports, so hashes collide and runs in the index grow long. */
static void rand_key(struct ct_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->id = (uint32_t)(rnd() % 64);
	rand_tuple(&ev->orig, coin(30) ? 10 : 2, protos[rnd() % 7]);
	if (ev->orig.has_ports) {
		ev->orig.sport = (uint16_t)(rnd() % 8);
		ev->orig.dport = 53;
	}
	/* a zone, sometimes: zone 0 sent is another entry than none sent */
	if (coin(30)) {
		ev->has |= CT_HAS_ZONE;
		ev->zone = (uint16_t)(rnd() % 3);
	}
}

/* An entry is its id, its zone and its original tuple. */
static int same_key(const struct ct_event *a, const struct ct_event *b)
{
	return a->id == b->id && ct_tuple_equal(&a->orig, &b->orig) &&
	       (a->has & CT_HAS_ZONE) == (b->has & CT_HAS_ZONE) &&
	       (!(a->has & CT_HAS_ZONE) || a->zone == b->zone);
}

/* The live reference entry with ev's key, or -1. */
static long ref_find(const struct ct_event *ev)
{
	size_t i;

	for (i = 0; i < nref; i++)
		if (live[i] && same_key(&ref[i], ev))
			return (long)i;
	return -1;
}

/* flowmap_walk: counts its calls per flow; removes the flows of odd ids. */
static int drop_odd(struct flowmap_entry *e, void *data)
{
	int *calls = data;

	calls[e->flow]++;
	return (int)(e->flow & 1);
}

/* Random steps on a new map, keeping at most maxlive entries: a small
 * index stays near half full, so runs often wrap around its end. Then a
 * third of the entries are removed and a walk removes half the rest. */
static void run(size_t maxlive, long steps)
{
	static int calls[MAXN];
	struct flowmap *m = flowmap_new();
	struct ct_event ev;
	long step, r, wrong = 0;
	size_t i;

	nref = nlive = 0;
	memset(calls, 0, sizeof(calls));
	CHECK(m != NULL);
	for (step = 0; m && step < steps && nref < MAXN; step++) {
		struct flowmap_entry *e;

		rand_key(&ev);
		if (coin(2)) {	/* the key of a live entry, for finds and removals */
			for (i = rnd() % (nref + 1); i < nref && !live[i]; i++)
				;
			if (i < nref)
				ev = ref[i];
		}
		e = flowmap_find(m, &ev);
		r = ref_find(&ev);
		if ((e == NULL) != (r < 0) || (e && e->flow != r))
			wrong++;
		if (e && (coin(60) || nlive >= maxlive)) {
			flowmap_remove(m, e);
			live[r] = 0;
			nlive--;
		} else if (!e && nlive < maxlive && coin(70)) {
			e = flowmap_add(m, &ev, (int64_t)nref);
			if (!e)
				wrong++;
			ref[nref] = ev;
			live[nref++] = 1;
			nlive++;
		}
		if (flowmap_count(m) != nlive)
			wrong++;
	}
	CHECK(wrong == 0);
	CHECK(nlive > maxlive / 2);
	/* a third removed (their entries free), then every live one found */
	for (i = 0; m && i < nref; i += 3) {
		if (live[i]) {
			flowmap_remove(m, flowmap_find(m, &ref[i]));
			live[i] = 0;
			nlive--;
		}
	}
	for (i = 0, wrong = 0; m && i < nref; i++) {
		struct flowmap_entry *e = flowmap_find(m, &ref[i]);

		if (live[i] ? !e || e->flow != (int64_t)i : e != NULL)
			wrong++;
	}
	CHECK(wrong == 0);
	if (m)
		flowmap_walk(m, drop_odd, calls);
	for (i = 0, wrong = 0; m && i < nref; i++) {
		struct flowmap_entry *e = flowmap_find(m, &ref[i]);

		if (calls[i] != live[i] || (e != NULL) != (live[i] && !(i & 1)))
			wrong++;
		if (live[i] && (i & 1))
			nlive--;
	}
	CHECK(wrong == 0);
	CHECK(m && flowmap_count(m) == nlive);
	flowmap_free(m);
}

/* Many distinct flows, more than a chunk of entries holds and enough for
 * an index of huge pages: all found, half removed, the rest still found. */
static void big(uint32_t n)
{
	struct flowmap *m = flowmap_new();
	struct ct_event ev;
	uint32_t i, wrong = 0;

	CHECK(m != NULL);
	memset(&ev, 0, sizeof(ev));
	rand_tuple(&ev.orig, 2, 17);
	for (i = 0; m && i < n; i++) {
		ev.id = i + 1;
		if (!flowmap_add(m, &ev, i))
			wrong++;
	}
	for (i = 0; m && i < n; i++) {
		struct flowmap_entry *e;

		ev.id = i + 1;
		e = flowmap_find(m, &ev);
		if (!e || e->flow != i)
			wrong++;
		else if (i & 1)
			flowmap_remove(m, e);
	}
	for (i = 0; m && i < n; i++) {
		struct flowmap_entry *e;

		ev.id = i + 1;
		e = flowmap_find(m, &ev);
		if ((i & 1) ? e != NULL : !e || e->flow != i)
			wrong++;
	}
	CHECK(wrong == 0);
	CHECK(m && flowmap_count(m) == n / 2);
	flowmap_free(m);
}

/* walk: removes the flows whose number is not a multiple of 1000. */
static int keep_thousandths(struct flowmap_entry *e, void *data)
{
	(void)data;
	return e->flow % 1000 != 0;
}

/* A storm's flows end: the map gives its chunks back and shrinks its index,
 * by removals and by a walk's, and every flow still open is found (moved).
 * Then a second storm fits again. */
static void storm_ends(uint32_t n)
{
	struct flowmap *m = flowmap_new();
	struct ct_event ev;
	size_t small = m ? flowmap_bytes(m) : 0, peak;
	uint32_t i, round, wrong = 0;

	CHECK(m != NULL);
	memset(&ev, 0, sizeof(ev));
	rand_tuple(&ev.orig, 2, 17);
	for (round = 0; m && round < 2; round++) {
		for (i = 0; i < n; i++) {
			ev.id = i + 1;
			if (!flowmap_add(m, &ev, i))
				wrong++;
		}
		peak = flowmap_bytes(m);
		CHECK(peak >= (size_t)n * sizeof(struct flowmap_entry));
		/* the first round removes one by one, the second in a walk */
		if (round == 0) {
			for (i = 0; i < n; i++) {
				ev.id = i + 1;
				if (i % 1000 && flowmap_find(m, &ev))
					flowmap_remove(m, flowmap_find(m, &ev));
			}
		} else {
			flowmap_walk(m, keep_thousandths, NULL);
		}
		CHECK(flowmap_count(m) == (n + 999) / 1000);
		/* one chunk (2 MiB) and a small index left */
		CHECK(flowmap_bytes(m) <= small + ((size_t)2 << 20));
		for (i = 0; i < n; i++) {
			struct flowmap_entry *e;

			ev.id = i + 1;
			e = flowmap_find(m, &ev);
			if (i % 1000 ? e != NULL : !e || e->flow != i || e->ct_id != i + 1)
				wrong++;
		}
		/* and the open ones go too */
		for (i = 0; i < n; i += 1000) {
			ev.id = i + 1;
			flowmap_remove(m, flowmap_find(m, &ev));
		}
		CHECK(flowmap_count(m) == 0);
	}
	CHECK(wrong == 0);
	flowmap_free(m);
}

int main(void)
{
	run(500, 100000);
	run(MAXN, 200000);
	big(300000);
	storm_ends(200000);
	return unit_done("t_flowmap");
}
