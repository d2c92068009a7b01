/* Unit test: reading an event block with evblock_next_wanted() gives exactly the records evblock_next() gives of the wanted flows, with their numbers, also from only the segments whose filters may hold them; stays inside damaged data, takes no more memory for it than a block can need, and finds a segment whose records its header miscounts; reads blocks of the older, larger size and of the format before segments, and refuses one of those that marks a segment as left packed. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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
		if (p == end || *p >= 0x80 || (len == VARINT_MAX && *p > 1))
			return NULL;	/* (past 64 bits: the 10th byte holds bit 63) */
		p++;
	}
	return p;
}

/* varint_get() reads every value of 64 bits, and refuses a varint whose
 * 10th byte has bits past the 64th (it dropped them: 2^64 read as 0). */
static void test_varint_get(void)
{
	static const uint64_t vals[] = { 0, 1, 127, 128, 1ULL << 32, 1ULL << 56,
					 (1ULL << 63) - 1, 1ULL << 63, UINT64_MAX };
	uint8_t buf[2 * VARINT_MAX] = { 0 };
	const uint8_t *p;
	uint64_t v;
	size_t i;
	int last;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint8_t *end = varint_put(buf, vals[i]);

		p = buf;	/* with the end near (a byte at a time) and far */
		CHECK(varint_get(&p, end, &v) == 0 && v == vals[i] && p == end);
		p = buf;
		CHECK(varint_get(&p, buf + sizeof(buf), &v) == 0 && v == vals[i] && p == end);
		p = buf;
		CHECK(varint_skip(&p, end, 1) == 0 && p == end);
	}
	/* 10 bytes, the last 2..127: past 64 bits, each way of reading */
	for (last = 2; last < 128; last++) {
		memset(buf, 0xff, VARINT_MAX - 1);
		buf[VARINT_MAX - 1] = (uint8_t)last;
		p = buf;
		CHECK(varint_get(&p, buf + VARINT_MAX, &v) == -1);
		p = buf;
		CHECK(varint_get(&p, buf + sizeof(buf), &v) == -1);
		p = buf;
		CHECK(varint_skip(&p, buf + VARINT_MAX, 1) == -1 && p == buf);
		p = buf;
		CHECK(varint_skip(&p, buf + sizeof(buf), 1) == -1 && p == buf);
	}
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

/* A block as written before version 10 (one zlib stream of one segment)
 * and as big as those written before the block limits were halved (4096
 * records, 64 KiB of them) still unpacks and reads whole. */
static void test_old_format(void)
{
	struct evblock b;
	struct ct_event ev;
	uint8_t *packed, *data = NULL, *old, *again = NULL;
	size_t plen, cap = 0, len, cap2 = 0, len2;
	uLongf olen;
	int i, n = 0, rc;
	int64_t flow;
	struct evblock_reader r;

	memset(&b, 0, sizeof(b));
	b.one_segment = 1;
	for (i = 0; i < 2 * EVBLOCK_MAX_EVENTS && b.len < EVBLOCK_READ_MAX_BYTES - 512; i++) {
		rand_event(&ev);
		ev.t_us = 1700000000000000LL + i * 977LL;
		CHECK(evblock_add(&b, 1 + (int64_t)(rnd() % 100000), &ev) == 0);
	}
	CHECK(b.len > EVBLOCK_MAX_BYTES && b.nseg == 0);
	packed = evblock_pack(&b, &plen);
	CHECK(packed && evblock_unpack(packed, plen, NULL, NULL, &data, &cap, &len) == 0);
	/* the same segment as one zlib stream: a block from before */
	olen = compressBound(len);
	old = malloc(olen);
	CHECK(old && compress2(old, &olen, data, len, 1) == Z_OK && old[0] == 0x78);
	CHECK(evblock_unpack(old, olen, NULL, NULL, &again, &cap2, &len2) == 0);
	CHECK(len2 == len && !memcmp(again, data, len));
	CHECK(evblock_reader_init(&r, again, len2) == 0);
	while ((rc = evblock_next(&r, &ev, &flow)) > 0)
		n++;
	CHECK(rc == 0 && n == i && n == (int)b.n);
	free(packed);
	free(old);
	free(data);
	free(again);
	evblock_free(&b);
}

/* A block from before version 10 holds its segment unpacked: one in it
 * marked as left packed (a zero and a count of records, which only
 * evblock_unpack() writes) is damage. It was taken: the reading counted
 * records that are not there, and numbered the block's next ones (their
 * event ids) past those of the block after it. */
static void test_old_format_packed_mark(void)
{
	struct evblock b;
	struct ct_event ev;
	uint8_t *packed, *data = NULL, *old, *again = NULL;
	size_t plen, cap = 0, len, cap2 = 0, len2;
	uLongf olen;

	memset(&b, 0, sizeof(b));
	b.one_segment = 1;
	rand_event(&ev);
	ev.t_us = 1700000000000000LL;
	CHECK(evblock_add(&b, 7, &ev) == 0);
	packed = evblock_pack(&b, &plen);
	CHECK(packed && evblock_unpack(packed, plen, NULL, NULL, &data, &cap, &len) == 0);
	data = realloc(data, len + 2);
	data[len++] = 0;	/* a segment left packed, of 1000 records */
	data = realloc(data, len + 2);
	len = (size_t)(varint_put(data + len, 1000) - data);
	olen = compressBound(len);
	old = malloc(olen);
	CHECK(old && compress2(old, &olen, data, len, 1) == Z_OK);
	CHECK(evblock_unpack(old, olen, NULL, NULL, &again, &cap2, &len2) == -1);
	free(packed);
	free(old);
	free(data);
	free(again);
	evblock_free(&b);
}

/* The flow one_flow() wants, and the filter whose segments want_seg() tests. */
static int64_t the_flow;
static const uint8_t *the_bloom;
static size_t the_bloom_len;
static unsigned segs_asked, segs_unpacked, segs_holding;

static int one_flow(void *arg, int64_t flow)
{
	(void)arg;
	return flow == the_flow;
}

static int want_seg(void *arg, unsigned i)
{
	const uint8_t *f;
	size_t n;
	int yes;

	(void)arg;
	CHECK(evblock_bloom_segment(the_bloom, the_bloom_len, i, &f, &n) == 1);
	yes = evblock_bloom_has(f, n, the_flow);
	segs_asked++;
	segs_unpacked += yes;
	return yes;
}

/* One flow's records read from the segments its filters name are those a
 * whole reading gives (all[0..n)), with the same numbers. Counts the
 * segments of b that hold them. */
static void check_one_flow(const struct evblock *b, const uint8_t *packed, size_t plen,
			   const struct rec *all, int n, struct rec *some)
{
	uint8_t *data = NULL;
	size_t cap = 0, len;
	int i, j = 0, m;
	uint32_t s, start = 0;

	for (s = 0; s <= b->nseg; s++) {
		uint32_t nrec = s < b->nseg ? b->seg_nrec[s] : b->seg_n;

		for (i = (int)start; i < (int)(start + nrec) && i < n; i++)
			if (all[i].flow == the_flow) {
				segs_holding++;
				break;
			}
		start += nrec;
	}

	CHECK(evblock_unpack(packed, plen, want_seg, NULL, &data, &cap, &len) == 0);
	m = read_all(data, len, one_flow, some);
	for (i = 0; i < n; i++) {
		if (all[i].flow != the_flow)
			continue;
		CHECK(j < m && some[j].no == all[i].no && same_event(&some[j].ev, &all[i].ev));
		j++;
	}
	CHECK(j > 0 && j == m);
	free(data);
}

/* Stores nseg segments as evblock_pack() does, with the record counts
 * nrec[] in the header: raw[i] is segment i unpacked (raw_len[i] bytes).
 * Returns the malloc'd data (*len bytes). */
static uint8_t *store_segments(int nseg, uint8_t *const *raw, const size_t *raw_len,
			       const uint64_t *nrec, size_t *len)
{
	size_t cap = 16 + 30 * (size_t)nseg, at, clen[EVBLOCK_SEG_READ_MAX];
	uint8_t *comp[EVBLOCK_SEG_READ_MAX], *out, *p;
	int i;

	for (i = 0; i < nseg; i++) {
		z_stream z;

		memset(&z, 0, sizeof(z));
		CHECK(deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
		clen[i] = deflateBound(&z, raw_len[i]);
		comp[i] = malloc(clen[i]);
		z.next_in = raw[i];
		z.avail_in = (uInt)raw_len[i];
		z.next_out = comp[i];
		z.avail_out = (uInt)clen[i];
		CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
		clen[i] -= z.avail_out;
		cap += clen[i];
		deflateEnd(&z);
	}
	out = malloc(cap);
	out[0] = 1;
	p = varint_put(out + 1, (uint64_t)nseg);
	for (i = 0; i < nseg; i++)
		p = varint_put(varint_put(varint_put(p, nrec[i]), raw_len[i]), clen[i]);
	at = (size_t)(p - out);
	for (i = 0; i < nseg; i++) {
		memcpy(out + at, comp[i], clen[i]);
		at += clen[i];
		free(comp[i]);
	}
	*len = at;
	return out;
}

static int all_but_one(void *arg, unsigned i)
{
	return i != *(unsigned *)arg;
}

/* A segment whose header counts other records than its streams hold, or
 * whose streams do not span it, is damaged: its records would be numbered
 * one way when it is read and another when it is left packed (raw deflate
 * has no checksum that finds such damage). Both unpacked without an error,
 * and a reader counted 5 records more for a segment followed by "0 5"
 * (read as a segment left packed). */
static void test_segment_counts(void)
{
	struct evblock b;
	uint8_t *packed, *data = NULL, *bad, *out = NULL, *raw[EVBLOCK_SEG_READ_MAX];
	size_t plen, cap = 0, len, blen, ocap = 0, olen, raw_len[EVBLOCK_SEG_READ_MAX];
	uint64_t nseg = 0, nrec[EVBLOCK_SEG_READ_MAX], v;
	const uint8_t *p;
	size_t at = 0;
	unsigned i, one = 1;
	struct evblock_reader r;

	memset(&b, 0, sizeof(b));
	fill(&b, 1700000000000000LL);
	packed = evblock_pack(&b, &plen);
	CHECK(packed && evblock_unpack(packed, plen, NULL, NULL, &data, &cap, &len) == 0);
	p = packed + 1;
	CHECK(varint_get(&p, packed + plen, &nseg) == 0 && nseg >= 3);
	for (i = 0; i < nseg; i++) {
		CHECK(varint_get(&p, packed + plen, &nrec[i]) == 0);
		CHECK(varint_get(&p, packed + plen, &v) == 0);
		CHECK(varint_get(&p, packed + plen, &v) == 0);
	}
	/* (each segment's bytes, from its stream table) */
	for (i = 0; i < nseg; i++) {
		const uint8_t *q = data + at;
		uint64_t n, sz = 0, sum = 0;
		int k;

		CHECK(varint_get(&q, data + len, &n) == 0 && n == EVS_MAX);
		for (k = 0; k < EVS_MAX; k++) {
			CHECK(varint_get(&q, data + len, &sz) == 0);
			sum += sz;
		}
		raw[i] = data + at;
		raw_len[i] = (size_t)(q - (data + at)) + sum;
		at += raw_len[i];
	}
	CHECK(at == len);
	/* as they are: read as the block */
	bad = store_segments((int)nseg, raw, raw_len, nrec, &blen);
	CHECK(evblock_unpack(bad, blen, NULL, NULL, &out, &ocap, &olen) == 0 &&
	      evblock_reader_init(&r, out, olen) == 0 && r.n == b.n);
	free(bad);
	/* a count one more in the header */
	nrec[1]++;
	bad = store_segments((int)nseg, raw, raw_len, nrec, &blen);
	CHECK(evblock_unpack(bad, blen, NULL, NULL, &out, &ocap, &olen) == -1);
	/* (left packed, it is not checked: its count is all there is) */
	CHECK(evblock_unpack(bad, blen, all_but_one, &one, &out, &ocap, &olen) == 0);
	free(bad);
	nrec[1]--;
	/* a segment followed by what reads as one left packed */
	{
		uint8_t *longer = malloc(raw_len[1] + 2);

		memcpy(longer, raw[1], raw_len[1]);
		longer[raw_len[1]] = 0;
		longer[raw_len[1] + 1] = 5;
		raw[1] = longer;
		raw_len[1] += 2;
		bad = store_segments((int)nseg, raw, raw_len, nrec, &blen);
		CHECK(evblock_unpack(bad, blen, NULL, NULL, &out, &ocap, &olen) == -1);
		free(bad);
		free(longer);
	}
	free(out);
	free(packed);
	free(data);
	evblock_free(&b);
}

/* A header naming 64 segments of 70,000 bytes each, more than a block's
 * records can be: unpacking takes no memory for them (it took 4.5 MB,
 * then found the segments damaged). */
static void test_header_sizes(void)
{
	uint8_t data[1 + VARINT_MAX + 64 * 3 * VARINT_MAX + 64], *p = data, *buf = NULL;
	size_t cap = 0, len;
	int i;

	*p++ = 1;
	p = varint_put(p, 64);
	for (i = 0; i < 64; i++)
		p = varint_put(varint_put(varint_put(p, 1), 70000), 1);
	memset(p, 0, 64);
	p += 64;
	CHECK(evblock_unpack(data, (size_t)(p - data), NULL, NULL, &buf, &cap, &len) == -1);
	CHECK(cap < 4 * EVBLOCK_READ_MAX_BYTES);
	free(buf);
}

int main(void)
{
	static struct rec all[NREC], some[NREC];
	struct evblock b;
	uint8_t *packed, *data = NULL, *bloom;
	size_t plen, cap = 0, len;
	int round;

	test_varint_get();
	test_varint_skip();
	test_old_format();
	test_old_format_packed_mark();
	test_segment_counts();
	test_header_sizes();
	memset(&b, 0, sizeof(b));
	for (round = 0; round < 20; round++) {
		int n, m, i, j;

		evblock_reset(&b);
		fill(&b, 1700000000000000LL + round * 1000000000LL);
		packed = evblock_pack(&b, &plen);
		CHECK(packed && evblock_unpack(packed, plen, NULL, NULL, &data, &cap, &len) == 0);
		CHECK(packed[0] == 1 && b.nseg >= 3);
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

		/* every segment's filter holds its flows; one flow's records
		 * come from the segments its filters name */
		the_bloom_len = evblock_bloom(&b, &bloom);
		the_bloom = bloom;
		CHECK(bloom && the_bloom_len % 2 == 1);
		for (i = 0; i < n; i++)
			CHECK(evblock_bloom_has(bloom, the_bloom_len, all[i].flow));
		for (i = 0; i < 5; i++) {
			the_flow = all[rnd() % n].flow;
			check_one_flow(&b, packed, plen, all, n, some);
		}
		free(bloom);

		/* damaged as stored: unpacking fails, or the reading does */
		for (j = 0; j < 100; j++) {
			uint8_t *bad = malloc(plen), *out = NULL;
			size_t ocap = 0, olen;

			i = (int)(rnd() % plen);
			memcpy(bad, packed, plen);
			bad[i] ^= (uint8_t)(1 + rnd() % 255);
			if (!evblock_unpack(bad, plen, NULL, NULL, &out, &ocap, &olen))
				(void)read_all(out, olen, NULL, all);
			if (!evblock_unpack(bad, (size_t)i, NULL, NULL, &out, &ocap, &olen))
				(void)read_all(out, olen, want_third, some);
			free(out);
			free(bad);
		}
		free(packed);

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
	/* the filters leave packed the segments that do not hold the flow,
	 * but for a few false positives */
	CHECK(segs_holding <= segs_unpacked && segs_unpacked < segs_asked &&
	      segs_unpacked - segs_holding <= segs_asked / 20);
	evblock_free(&b);
	free(data);
	return unit_done("t_evblock");
}
