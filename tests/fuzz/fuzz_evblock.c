/* libFuzzer target: any bytes as a stored event block, or as its unpacked segments, read as ctquery reads them (lib/store_events.c) must not crash, and every way of reading gives the same records. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ct_decode.h"
#include "ct_encode.h"
#include "evblock.h"
#include "varint.h"

/*
 * The input's first byte says how to read the rest:
 *   bit 0     clear: the rest is a block as stored (event_data.data);
 *             set: it is unpacked segments (what evblock_unpack() makes),
 *             which the target also deflates, as a block of segments and as
 *             a block from before version 10, and unpacks again;
 *   bits 1-3  evblock_next_wanted() takes the flows whose id % (2 + these)
 *             is 0 (as a selective query passes over the others);
 *   bits 4-7  which segments are unpacked when not all are (bit i % 4).
 * Whatever reads without error must agree:
 *   - evblock_next_wanted() gives exactly the records evblock_next() gives
 *     of the flows it wants, with the same numbers (event ids);
 *   - a whole reading numbers the records from 0 without a gap, and
 *     reading only some segments gives those segments' records, with the
 *     numbers a whole reading gives them;
 *   - records written again (evblock_add, evblock_pack) read back the same,
 *     and the block's Bloom filters hold every flow they name;
 *   - evblock_count_types() counts the records a reading gives.
 * A disagreement aborts (a crash for libFuzzer).
 */

/* The most records unpacked data can hold (evblock.c's UNPACKED_MAX bytes; a
 * record takes 4 or more: its head, flow and time). */
#define MAX_REC ((EVBLOCK_READ_MAX_BYTES + 2 * CT_EXTRA_MAX + 1024) / 4)

struct rec {
	int64_t flow;
	uint32_t no;
	struct ct_event ev;
};

static struct rec *all, *some;
static unsigned want_mod, seg_bits;

extern int fuzz_logged;	/* tests/fuzz/log_count.c */

#define MUST(cond) do { if (!(cond)) abort(); } while (0)

static int want_flow(void *arg, int64_t flow)
{
	(void)arg;
	return (uint64_t)flow % want_mod == 0;
}

static int want_seg(void *arg, unsigned i)
{
	(void)arg;
	return seg_bits >> (i % 4) & 1;
}

/* What a reader prints of an event: the program name only with a portid,
 * and up to its first NUL (lib/ct_format.c). */
static void normalize(struct ct_event *ev)
{
	size_t n = ev->portid ? strnlen(ev->progname, sizeof(ev->progname)) : 0;

	memset(ev->progname + n, 0, sizeof(ev->progname) - n);
}

static int same_event(const struct ct_event *a, const struct ct_event *b)
{
	return !memcmp(a, b, offsetof(struct ct_event, extra)) && a->extra_len == b->extra_len &&
	       !memcmp(a->extra, b->extra, a->extra_len);
}

/* Reads unpacked data whole (want NULL: evblock_next) into out[]; sets *n to
 * the records read. Returns the last evblock_next*() result (0 at the end,
 * -1 malformed), or -2 when evblock_reader_init() refused the data. */
static int read_all(const uint8_t *data, size_t len, int (*want)(void *, int64_t),
		    struct rec *out, int *n)
{
	struct evblock_reader r;
	int rc;

	*n = 0;
	fuzz_logged = 0;
	if (evblock_reader_init(&r, data, len))
		return -2;
	MUST(r.n == r.left);
	for (;;) {
		struct rec *o = &out[*n];

		MUST(*n < MAX_REC);
		rc = want ? evblock_next_wanted(&r, &o->ev, &o->flow, want, NULL) :
			    evblock_next(&r, &o->ev, &o->flow);
		if (rc <= 0)
			break;
		MUST(r.left < r.n);
		o->no = r.n - r.left - 1;
		MUST(o->ev.type >= 1 && o->ev.type <= 4);
		MUST(o->ev.extra_len <= sizeof(o->ev.extra));
		MUST(strnlen(o->ev.progname, sizeof(o->ev.progname)) < sizeof(o->ev.progname));
		(*n)++;
	}
	MUST(rc == 0 || rc == -1);
	MUST(fuzz_logged == 0);	/* (not reported: the caller says which block) */
	if (rc == 0)
		MUST(r.left == 0);
	return rc;
}

/* What ctquery does with an event it read: the message libnetfilter_conntrack
 * formats (ct_format.c), which the recorder's decoder reads too. */
static void encode(const struct rec *a, int n)
{
	static char msg[CT_ENCODE_BUFSZ] __attribute__((aligned(8)));
	static struct ct_event back;
	int i;

	for (i = 0; i < n; i++) {
		struct nlmsghdr *nlh = ct_encode(&a[i].ev, msg);

		MUST(nlh->nlmsg_len <= sizeof(msg));
		ct_decode(nlh, &back);
	}
}

/* Every reading of unpacked data[0..len) agrees with the whole one. */
static void check_unpacked(const uint8_t *data, size_t len)
{
	int n, m, i, j, rc, rc2;
	uint64_t types, t[4] = { 0 };

	rc = read_all(data, len, NULL, all, &n);
	if (rc == -2)
		return;
	rc2 = read_all(data, len, want_flow, some, &m);
	/* the wanted records: those of the whole reading, up to where it stopped */
	for (i = j = 0; i < m; i++) {
		while (j < n && all[j].no < some[i].no)
			j++;
		if (j == n) {
			MUST(rc < 0);	/* read past what the whole reading could */
			break;
		}
		MUST(all[j].no == some[i].no && all[j].flow == some[i].flow &&
		     want_flow(NULL, some[i].flow) && same_event(&all[j].ev, &some[i].ev));
	}
	if (rc == 0) {
		int w = 0;

		MUST(rc2 == 0);
		for (i = 0; i < n; i++)
			w += want_flow(NULL, all[i].flow);
		MUST(m == w);
		for (i = 0; i < n; i++)
			t[(all[i].ev.type - 1) & 3]++;
		MUST(evblock_count_types(data, len, &types) == 0);
		MUST(types == (t[0] | t[1] << 13 | t[2] << 26 | t[3] << 39));
	}
	encode(all, n);
}

/* The records all[0..n) written again read back the same; the filters hold their flows. */
static void check_rewrite(int n)
{
	struct evblock b;
	uint8_t *packed, *bloom, *data = NULL;
	size_t plen, blen, cap = 0, len;
	int i, m;
	unsigned s;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		normalize(&all[i].ev);
		MUST(evblock_add(&b, all[i].flow, &all[i].ev) == 0);
	}
	MUST((packed = evblock_pack(&b, &plen)));
	MUST((blen = evblock_bloom(&b, &bloom)));
	MUST(evblock_unpack(packed, plen, NULL, NULL, &data, &cap, &len) == 0);
	MUST(read_all(data, len, NULL, some, &m) == 0 && m == n);
	for (i = 0; i < n; i++) {
		normalize(&some[i].ev);
		MUST(some[i].flow == all[i].flow && some[i].no == (uint32_t)i &&
		     same_event(&some[i].ev, &all[i].ev));
		MUST(evblock_bloom_has(bloom, blen, all[i].flow));
	}
	/* each segment's filter holds its records' flows */
	for (s = 0, i = 0; s <= b.nseg && b.nseg; s++) {
		uint32_t k, nrec = s < b.nseg ? b.seg_nrec[s] : b.seg_n;
		const uint8_t *f;
		size_t flen;

		if (!nrec)
			continue;
		MUST(evblock_bloom_segment(bloom, blen, s, &f, &flen));
		for (k = 0; k < nrec; k++, i++)
			MUST(evblock_bloom_has(f, flen, all[i].flow));
	}
	free(packed);
	free(bloom);
	free(data);
	evblock_free(&b);
}

/* A stored block: unpacked whole, and with only some segments; the records
 * of those are the whole reading's, with their numbers. */
static void check_stored(const uint8_t *p, size_t size)
{
	static uint8_t *data, *part;
	static size_t cap, pcap;
	size_t len, plen;
	int n, m, i, j, rc;

	fuzz_logged = 0;
	rc = evblock_unpack(p, size, NULL, NULL, &data, &cap, &len);
	MUST(rc == 0 || rc == -1);
	MUST(fuzz_logged == 0);	/* (-2, memory short, is the one said) */
	if (rc)
		return;
	check_unpacked(data, len);
	rc = read_all(data, len, NULL, all, &n);
	if (rc == -2)
		return;
	/* (every segment unpacked: none counts records it does not hold) */
	for (i = 0; i < n; i++)
		MUST(all[i].no == (uint32_t)i);
	if (evblock_unpack(p, size, want_seg, NULL, &part, &pcap, &plen) != 0)
		abort();	/* (unpacked whole above) */
	if (read_all(part, plen, NULL, some, &m) == -2)
		abort();
	for (i = j = 0; i < m; i++) {
		while (j < n && all[j].no < some[i].no)
			j++;
		if (j == n) {
			MUST(rc < 0);
			break;
		}
		MUST(all[j].no == some[i].no && all[j].flow == some[i].flow &&
		     same_event(&all[j].ev, &some[i].ev));
	}
	if (rc == 0 && n > 0)
		check_rewrite(n);
	/* the block as a Bloom filter, for any flow */
	for (i = 0; i < 4 && n > 0; i++)
		evblock_bloom_has(p, size, all[i % n].flow);
	for (i = 0; i < EVBLOCK_SEG_READ_MAX; i++) {
		const uint8_t *f;
		size_t flen;

		if (evblock_bloom_segment(p, size, (unsigned)i, &f, &flen))
			MUST(f >= p && f + flen <= p + size);
	}
}

/* Unpacked segments (raw[0..len)) as stored: split at the segments' ends
 * (what cannot be split is stored as one), each raw-deflated. */
static void store_segments(const uint8_t *raw, size_t len)
{
	static uint8_t out[1 << 18], zbuf[1 << 18];
	uint64_t nrec[EVBLOCK_SEG_READ_MAX], rlen[EVBLOCK_SEG_READ_MAX], clen[EVBLOCK_SEG_READ_MAX];
	size_t zlen = 0;
	const uint8_t *p = raw, *end = raw + len, *start;
	unsigned nseg = 0, i, k;
	uint8_t *o;

	if (!len || len > 65536)
		return;
	while (p < end && nseg < EVBLOCK_SEG_READ_MAX) {
		uint64_t n, sz, tot = 0;
		z_stream z;

		start = p;
		if (varint_get(&p, end, &n) || n != EVS_MAX)
			return;
		for (k = 0; k < EVS_MAX; k++) {
			if (varint_get(&p, end, &sz) || sz > (uint64_t)(end - p))
				return;
			if (k == EVS_HEAD)
				nrec[nseg] = sz / 2;
			tot += sz;
		}
		if (tot > (uint64_t)(end - p))
			return;
		p += tot;
		rlen[nseg] = (uint64_t)(p - start);
		memset(&z, 0, sizeof(z));
		MUST(deflateInit2(&z, 1, Z_DEFLATED, -14, 6, Z_DEFAULT_STRATEGY) == Z_OK);
		MUST(zlen + deflateBound(&z, rlen[nseg]) <= sizeof(zbuf));
		z.next_in = (Bytef *)start;
		z.avail_in = (uInt)rlen[nseg];
		z.next_out = zbuf + zlen;
		z.avail_out = (uInt)(sizeof(zbuf) - zlen);
		MUST(deflate(&z, Z_FINISH) == Z_STREAM_END);
		clen[nseg] = sizeof(zbuf) - zlen - z.avail_out;
		zlen += clen[nseg];
		deflateEnd(&z);
		nseg++;
	}
	if (p != end)
		return;
	o = out;
	*o++ = 1;
	o = varint_put(o, nseg);
	for (i = 0; i < nseg; i++) {
		o = varint_put(o, nrec[i]);
		o = varint_put(o, rlen[i]);
		o = varint_put(o, clen[i]);
	}
	memcpy(o, zbuf, zlen);
	o += zlen;
	check_stored(out, (size_t)(o - out));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *back, old[1 << 18];
	static size_t cap;
	size_t len;
	uLongf olen = sizeof(old);

	if (!all) {
		all = calloc(MAX_REC, sizeof(*all));
		some = calloc(MAX_REC, sizeof(*some));
		MUST(all && some);
	}
	if (size < 1)
		return 0;
	want_mod = 2 + (data[0] >> 1 & 7);
	seg_bits = data[0] >> 4;
	if (!(data[0] & 1)) {
		check_stored(data + 1, size - 1);
		return 0;
	}
	data++;
	size--;
	check_unpacked(data, size);
	store_segments(data, size);
	/* as a block from before version 10: one zlib stream */
	if (size <= EVBLOCK_READ_MAX_BYTES && compress2(old, &olen, data, size, 1) == Z_OK) {
		if (evblock_unpack(old, olen, NULL, NULL, &back, &cap, &len) == 0)
			MUST(len == size && !memcmp(back, data, size));
		check_stored(old, olen);
	}
	return 0;
}
