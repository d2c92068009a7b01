/* Unit test: reading an event block with evblock_next_wanted() gives exactly the records evblock_next() gives of the wanted flows, with their numbers, stays inside damaged data, and reads blocks of the older, larger size. */
#include <stdlib.h>
#include <string.h>

#include "evblock.h"
#include "randev.h"
#include "unit.h"
#include "varint.h"

#define NREC 3000

/* A record as read: its flow, its number in the block, its event. */
struct rec {
	int64_t flow;
	uint32_t no;
	struct ct_event ev;
};

static int want_third(void *arg, int64_t flow)
{
	(void)arg;
	return flow % 3 == 0;
}

/* Random events of a few hundred flows, with every optional part some of the time. */
static void fill(struct evblock *b, int64_t t0)
{
	struct ct_event ev;
	int64_t t = t0;
	int i;

	for (i = 0; i < NREC && !evblock_full(b); i++) {
		rand_event(&ev);
		t += (int64_t)(rnd() % 5000);
		ev.t_us = t;
		ev.portid = coin(30) ? (uint32_t)rnd() : 0;
		if (coin(20))
			strcpy(ev.progname, coin(50) ? "conntrack" : "x");
		if (coin(10))
			rand_extra(&ev);
		CHECK(evblock_add(b, 1 + (int64_t)(rnd() % 400), &ev) == 0);
	}
}

/* Reads data whole (want NULL: evblock_next) into out; returns the records, or -1. */
static int read_all(const uint8_t *data, size_t len, int (*want)(void *, int64_t),
		    struct rec *out)
{
	struct evblock_reader r;
	int n = 0, rc;

	if (evblock_reader_init(&r, data, len))
		return -1;
	for (;;) {
		struct rec *o = &out[n];

		rc = want ? evblock_next_wanted(&r, &o->ev, &o->flow, want, NULL) :
			    evblock_next(&r, &o->ev, &o->flow);
		if (rc <= 0)
			break;
		o->no = r.n - r.left - 1;
		n++;
	}
	return rc < 0 ? -1 : n;
}

static int same_event(const struct ct_event *a, const struct ct_event *b)
{
	return !memcmp(a, b, offsetof(struct ct_event, extra)) && a->extra_len == b->extra_len &&
	       !memcmp(a->extra, b->extra, a->extra_len);
}

/* varint_skip() as specified, a byte at a time: the new end, or NULL. */
static const uint8_t *skip_ref(const uint8_t *p, const uint8_t *end, int n)
{
	while (n-- > 0) {
		int len = 1;

		for (; p < end && *p >= 0x80 && len < VARINT_MAX; p++, len++)
			;
		if (p == end || *p >= 0x80)
			return NULL;
		p++;
	}
	return p;
}

/* varint_skip() (which finds the ends of several short ones in one word)
 * moves as the specification does, over random varints of 1 to 12 bytes
 * (mostly short), n of them, up to an end anywhere: also one too long, or
 * cut short by the end. */
static void test_varint_skip(void)
{
	uint8_t buf[64];
	int round, bad = 0;

	for (round = 0; round < 200000; round++) {
		const uint8_t *p = buf, *end, *want;
		size_t i = 0, len = (size_t)(rnd() % sizeof(buf));
		int n = (int)(rnd() % 12), rc;

		while (i < sizeof(buf)) {
			int vl = rnd() % 4 ? 1 : 1 + (int)(rnd() % 12);

			for (; vl > 1 && i < sizeof(buf); vl--)
				buf[i++] = (uint8_t)(0x80 | rnd());
			if (i < sizeof(buf))
				buf[i++] = (uint8_t)(rnd() & 0x7f);
		}
		end = buf + len;
		want = skip_ref(buf, end, n);
		rc = varint_skip(&p, end, n);
		bad += want ? rc != 0 || p != want : rc != -1 || p != buf;
	}
	CHECK(bad == 0);
}

/* A block as big as those written before its limits were halved (4096
 * records, 64 KiB of them) still unpacks and reads whole. */
static void test_old_size(void)
{
	struct evblock b;
	struct ct_event ev;
	uint8_t *packed, *data = NULL;
	size_t plen, cap = 0, len;
	int i, n = 0, rc;
	int64_t flow;
	struct evblock_reader r;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < 2 * EVBLOCK_MAX_EVENTS && b.len < EVBLOCK_READ_MAX_BYTES - 512; i++) {
		rand_event(&ev);
		ev.t_us = 1700000000000000LL + i * 977LL;
		CHECK(evblock_add(&b, 1 + (int64_t)(rnd() % 100000), &ev) == 0);
	}
	CHECK(b.len > EVBLOCK_MAX_BYTES);
	packed = evblock_pack(&b, &plen);
	CHECK(packed && evblock_unpack(packed, plen, &data, &cap, &len) == 0);
	CHECK(evblock_reader_init(&r, data, len) == 0);
	while ((rc = evblock_next(&r, &ev, &flow)) > 0)
		n++;
	CHECK(rc == 0 && n == i && n == (int)b.n);
	free(packed);
	free(data);
	evblock_free(&b);
}

int main(void)
{
	static struct rec all[NREC], some[NREC];
	struct evblock b;
	uint8_t *packed, *data = NULL;
	size_t plen, cap = 0, len;
	int round;

	test_varint_skip();
	test_old_size();
	memset(&b, 0, sizeof(b));
	for (round = 0; round < 20; round++) {
		int n, m, i, j;

		evblock_reset(&b);
		fill(&b, 1700000000000000LL + round * 1000000000LL);
		packed = evblock_pack(&b, &plen);
		CHECK(packed && evblock_unpack(packed, plen, &data, &cap, &len) == 0);
		free(packed);
		n = read_all(data, len, NULL, all);
		m = read_all(data, len, want_third, some);
		CHECK(n == (int)b.n);
		/* the wanted records, in order, numbered as the whole reading numbers them */
		for (i = 0, j = 0; i < n; i++) {
			if (!want_third(NULL, all[i].flow))
				continue;
			CHECK(j < m && some[j].flow == all[i].flow && some[j].no == all[i].no &&
			      all[i].no == (uint32_t)i && same_event(&some[j].ev, &all[i].ev));
			j++;
		}
		CHECK(j == m);

		/* damaged: a byte set to 0xff (a varint that never ends, a length
		 * past the end), or cut short there: either reading may fail, never
		 * read outside the data (ASan builds check that) */
		for (j = 0; j < 100; j++) {
			uint8_t *bad = malloc(len);

			i = (int)(rnd() % len);
			memcpy(bad, data, len);
			bad[i] = 0xff;
			(void)read_all(bad, len, NULL, all);
			(void)read_all(bad, len, want_third, some);
			(void)read_all(bad, (size_t)i, want_third, some);
			free(bad);
		}
	}
	evblock_free(&b);
	free(data);
	return unit_done("t_evblock");
}
