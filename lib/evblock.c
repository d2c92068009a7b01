/* Event blocks: coding events as compact records (varints and deltas, field by field) in segments, each deflated on its own. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "evblock.h"
#include "grow.h"
#include "log.h"
#include "varint.h"

/* A record: a 2-byte header in stream EVS_HEAD, then varints in the other
 * streams (lib/evblock.h), each field in its own. Header bits: 0-1 type - 1;
 * 2-11 which fields follow (the CT_HAS_* bits below); 12 portid, 13 program
 * name, 14 verbatim attributes follow. Flow id and receive time are zigzag
 * differences from the record before; the kernel's event time from the one
 * before (or from the receive time); CTA_TIMESTAMP start and stop from the
 * event's kernel time (or its receive time). Names and attributes are a
 * length, then the bytes. */
#define H_PORTID (1u << 12)
#define H_PROGNAME (1u << 13)
#define H_EXTRA (1u << 14)

/* CT_HAS_* bits a record can carry (ID and ZONE are the flow's). */
#define HAS_LOW (CT_HAS_STATUS | CT_HAS_TIMEOUT | CT_HAS_MARK)	/* bits 0-2 */
#define HAS_HIGH_SHIFT 5	/* CT_HAS_COUNTERS_ORIG .. CT_HAS_TCPINFO: bits 5-11 */
#define HAS_HIGH_MASK 0x7f

static unsigned has_pack(uint32_t has)
{
	return (has & HAS_LOW) | ((has >> HAS_HIGH_SHIFT) & HAS_HIGH_MASK) << 3;
}

static uint32_t has_unpack(unsigned bits)
{
	return (bits & HAS_LOW) | ((bits >> 3) & HAS_HIGH_MASK) << HAS_HIGH_SHIFT;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Makes room for more bytes in stream st. Returns 0 or -1 (reported). */
static int reserve(struct evstream *st, size_t more)
{
	uint8_t *p;

	if (st->len + more <= st->cap)	/* (every event, every stream: no call) */
		return 0;
	if (!(p = grow_to(st->p, &st->cap, st->len + more, 1, 4096)))
		return -1;
	st->p = p;
	return 0;
}

/* Appends v as a varint to stream st (room reserved by the caller). */
static void put_u64(struct evstream *st, uint64_t v)
{
	st->len = (size_t)(varint_put(st->p + st->len, v) - st->p);
}

static void put_bytes(struct evstream *st, const void *p, size_t n)
{
	put_u64(st, n);
	memcpy(st->p + st->len, p, n);
	st->len += n;
}

/* The most one record adds to each stream. */
static size_t most_per_record(int k, const struct ct_event *ev, size_t name)
{
	switch (k) {
	case EVS_HEAD: return 2;
	case EVS_COUNTERS: return 40;
	case EVS_TSTAMP: case EVS_PROTO: return 20;
	case EVS_OTHER: return 30 + name + ev->extra_len;
	default: return 10;
	}
}

/* Lays the open segment out in b->raw: its streams' lengths, its streams.
 * Returns 0 or -1 (reported). */
static int lay_out(struct evblock *b)
{
	int k;

	b->raw.len = 0;
	if (reserve(&b->raw, 10 * (EVS_MAX + 1) + b->seg_len))
		return -1;
	put_u64(&b->raw, EVS_MAX);
	for (k = 0; k < EVS_MAX; k++)
		put_u64(&b->raw, b->s[k].len);
	for (k = 0; k < EVS_MAX; k++) {
		memcpy(b->raw.p + b->raw.len, b->s[k].p, b->s[k].len);
		b->raw.len += b->s[k].len;
	}
	return 0;
}

/* Compresses b->raw (raw deflate, level 1) onto the end of out; sets *clen.
 * Returns 0 or -1 (reported). A segment is about 8 KiB: a 16 KiB window
 * and a hash table of 16 KiB (memory level 6) find what zlib's defaults (32
 * KiB, 64 KiB) find in it, and the table is cleared for every segment. */
static int deflate_raw(struct evblock *b, struct evstream *out, size_t *clen)
{
	z_stream *z = b->z;
	size_t bound;

	if (!z) {
		if (!(z = calloc(1, sizeof(*z))))
			return log_error("out of memory");
		if (deflateInit2(z, 1, Z_DEFLATED, -14, 6, Z_DEFAULT_STRATEGY) != Z_OK) {
			free(z);
			return log_error("cannot compress events");
		}
		b->z = z;
	} else if (deflateReset(z) != Z_OK) {
		return log_error("cannot compress events");
	}
	bound = deflateBound(z, b->raw.len);
	if (reserve(out, bound))
		return -1;
	z->next_in = b->raw.p;
	z->avail_in = (uInt)b->raw.len;
	z->next_out = out->p + out->len;
	z->avail_out = (uInt)bound;
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return log_error("cannot compress events");
	*clen = bound - z->avail_out;
	out->len += *clen;
	return 0;
}

/* Compresses the open segment onto b->packed and opens an empty one.
 * Returns 0 or -1 (reported; the open segment is then as it was). */
static int close_segment(struct evblock *b)
{
	size_t clen;
	int k;

	if (lay_out(b) || deflate_raw(b, &b->packed, &clen))
		return -1;
	b->seg_nrec[b->nseg] = b->seg_n;
	b->seg_raw[b->nseg] = (uint32_t)b->raw.len;
	b->seg_clen[b->nseg] = (uint32_t)clen;
	b->nseg++;
	for (k = 0; k < EVS_MAX; k++)
		b->s[k].len = 0;
	b->seg_len = 0;
	b->seg_n = 0;
	b->prev_flow = b->prev_t = 0;
	b->prev_ktime = 0;
	return 0;
}

int evblock_add(struct evblock *b, int64_t flow, const struct ct_event *ev)
{
	int64_t *f;
	size_t name = ev->portid ? strnlen(ev->progname, sizeof(ev->progname)) : 0;
	unsigned h = ((ev->type - 1) & 3) | has_pack(ev->has) << 2;
	uint64_t t_ns = (uint64_t)ev->t_us * 1000;	/* wraps like the kernel's u64 */
	struct evstream *s = b->s;
	int k;

	for (k = 0; k < EVS_MAX; k++)
		if (reserve(&s[k], most_per_record(k, ev, name)))
			return -1;
	if (!(f = grow_array(b->flows, &b->flows_cap, b->n, sizeof(*f), 1024)))
		return -1;
	b->flows = f;
	if (ev->portid)
		h |= H_PORTID;
	if (name)
		h |= H_PROGNAME;
	if (ev->extra_len)
		h |= H_EXTRA;
	s[EVS_HEAD].p[s[EVS_HEAD].len++] = h & 0xff;
	s[EVS_HEAD].p[s[EVS_HEAD].len++] = h >> 8;
	put_u64(&s[EVS_FLOW], zigzag((int64_t)((uint64_t)flow - (uint64_t)b->prev_flow)));
	put_u64(&s[EVS_TIME], zigzag((int64_t)((uint64_t)ev->t_us - (uint64_t)b->prev_t)));
	if (ev->has & CT_HAS_STATUS)
		put_u64(&s[EVS_STATUS], ev->status);
	if (ev->has & CT_HAS_TIMEOUT)
		put_u64(&s[EVS_TIMEOUT], ev->timeout);
	if (ev->has & CT_HAS_MARK)
		put_u64(&s[EVS_MARK], ev->mark);
	if (ev->has & CT_HAS_COUNTERS_ORIG) {
		put_u64(&s[EVS_COUNTERS], ev->pkts_orig);
		put_u64(&s[EVS_COUNTERS], ev->bytes_orig);
	}
	if (ev->has & CT_HAS_COUNTERS_REPLY) {
		put_u64(&s[EVS_COUNTERS], ev->pkts_reply);
		put_u64(&s[EVS_COUNTERS], ev->bytes_reply);
	}
	if (ev->has & CT_HAS_KTIME) {
		put_u64(&s[EVS_KTIME], zigzag((int64_t)(ev->ktime -
						       (b->prev_ktime ? b->prev_ktime : t_ns))));
		b->prev_ktime = ev->ktime;
		t_ns = ev->ktime;	/* the base of the timestamps below */
	}
	if (ev->has & CT_HAS_TS_START)
		put_u64(&s[EVS_TSTAMP], zigzag((int64_t)(ev->ts_start - t_ns)));
	if (ev->has & CT_HAS_TS_STOP)
		put_u64(&s[EVS_TSTAMP], zigzag((int64_t)(ev->ts_stop - t_ns)));
	if (ev->has & CT_HAS_STATE)
		put_u64(&s[EVS_PROTO], ev->state);
	if (ev->has & CT_HAS_TCPINFO)
		put_u64(&s[EVS_PROTO], ev->tcpinfo);
	if (ev->portid)
		put_u64(&s[EVS_OTHER], ev->portid);
	if (name)
		put_bytes(&s[EVS_OTHER], ev->progname, name);
	if (ev->extra_len)
		put_bytes(&s[EVS_OTHER], ev->extra, ev->extra_len);
	b->len -= b->seg_len;
	b->seg_len = 0;
	for (k = 0; k < EVS_MAX; k++)
		b->seg_len += s[k].len;
	b->len += b->seg_len;

	if (!b->n || ev->t_us < b->min_t)
		b->min_t = ev->t_us;
	if (!b->n || ev->t_us > b->max_t)
		b->max_t = ev->t_us;
	if (!b->n || flow < b->min_flow)
		b->min_flow = flow;
	if (!b->n || flow > b->max_flow)
		b->max_flow = flow;
	b->flows[b->n++] = flow;
	b->seg_n++;
	b->ntype[(ev->type - 1) & 3]++;
	b->prev_flow = flow;
	b->prev_t = ev->t_us;
	if ((b->seg_n >= EVBLOCK_SEG_EVENTS || b->seg_len >= EVBLOCK_SEG_BYTES) &&
	    b->nseg < EVBLOCK_MAX_SEGS - 1 && !b->one_segment)
		return close_segment(b);
	return 0;
}

/* Counts of records by type (NEW to DUMP), packed as evblock_types() says. */
static uint64_t pack_types(const uint64_t n[4])
{
	return n[0] | n[1] << 13 | n[2] << 26 | n[3] << 39;
}

uint64_t evblock_types(const struct evblock *b)
{
	const uint64_t n[4] = { b->ntype[0], b->ntype[1], b->ntype[2], b->ntype[3] };

	return pack_types(n);
}

int evblock_full(const struct evblock *b)
{
	return b->n >= EVBLOCK_MAX_EVENTS || b->len >= EVBLOCK_MAX_BYTES ||
	       b->nseg >= EVBLOCK_MAX_SEGS - 1;
}

void evblock_reset(struct evblock *b)
{
	int k;

	for (k = 0; k < EVS_MAX; k++)
		b->s[k].len = 0;
	b->len = b->seg_len = 0;
	b->n = b->seg_n = b->nseg = 0;
	b->packed.len = 0;
	b->prev_flow = b->prev_t = 0;
	b->prev_ktime = 0;
	b->min_t = b->max_t = b->min_flow = b->max_flow = 0;
	memset(b->ntype, 0, sizeof(b->ntype));
}

void evblock_free(struct evblock *b)
{
	int k;

	for (k = 0; k < EVS_MAX; k++)
		free(b->s[k].p);
	free(b->flows);
	free(b->packed.p);
	free(b->raw.p);
	if (b->z) {
		deflateEnd(b->z);
		free(b->z);
	}
	memset(b, 0, sizeof(*b));
}

/* The first byte of a block stored in segments (that of a zlib stream,
 * the whole block before, is 0x78). */
#define SEGMENTED 1

uint8_t *evblock_pack(struct evblock *b, size_t *len)
{
	struct evstream out = { 0 };
	size_t open_at, clen = 0;
	uint32_t nseg = b->nseg + (b->seg_n > 0), i;

	/* the open segment, compressed after the closed ones in b->packed
	 * (and taken off again: it may grow) */
	open_at = b->packed.len;
	if (b->seg_n && (lay_out(b) || deflate_raw(b, &b->packed, &clen))) {
		b->packed.len = open_at;
		return NULL;
	}
	if (reserve(&out, 11 + 30 * (size_t)nseg + b->packed.len)) {
		b->packed.len = open_at;
		return NULL;
	}
	out.p[out.len++] = SEGMENTED;
	put_u64(&out, nseg);
	for (i = 0; i < nseg; i++) {
		int open = i == b->nseg;

		put_u64(&out, open ? b->seg_n : b->seg_nrec[i]);
		put_u64(&out, open ? b->raw.len : b->seg_raw[i]);
		put_u64(&out, open ? clen : b->seg_clen[i]);
	}
	memcpy(out.p + out.len, b->packed.p, b->packed.len);
	out.len += b->packed.len;
	b->packed.len = open_at;
	*len = out.len;
	return out.p;
}

/* A block's records never exceed this (EVBLOCK_READ_MAX_BYTES plus one record). */
#define UNPACKED_MAX (EVBLOCK_READ_MAX_BYTES + 2 * CT_EXTRA_MAX + 1024)

/* Makes *buf (of *cap bytes) hold at least need. Returns 0 or -1 (reported). */
static int room(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *p;

	if (*cap >= need)
		return 0;
	if (!(p = realloc(*buf, need)))
		return log_error("out of memory");
	*buf = p;
	*cap = need;
	return 0;
}

static int parse_segment(struct evblock_reader *r, const uint8_t **pp, const uint8_t *end,
			 uint32_t *nrec, int *packed);

/* Does unpacked[0..len) hold a segment marked as left packed (which only
 * evblock_unpack() writes, for a segment it did not inflate)? 1, 0, or -1
 * when malformed (left to evblock_reader_init() to find). */
static int holds_packed(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint32_t nrec;
	int packed;

	while (p < end) {
		if (parse_segment(NULL, &p, end, &nrec, &packed))
			return -1;
		if (packed)
			return 1;
	}
	return 0;
}

/* A block from before version 10: one zlib stream of one segment. Its
 * segments are stored whole: one marked as left packed would be counted
 * as records that are not there, numbering the records after it (their
 * event ids) past the block's. */
static int unpack_whole(const void *data, size_t size, uint8_t **buf, size_t *cap, size_t *len)
{
	uLongf n = UNPACKED_MAX;

	if (room(buf, cap, UNPACKED_MAX))
		return -2;
	switch (uncompress(*buf, &n, data, size)) {
	case Z_OK:
		if (holds_packed(*buf, n) == 1)
			return -1;
		*len = n;
		return 0;
	case Z_MEM_ERROR:
		log_error("out of memory");
		return -2;
	default:
		return -1;
	}
}

/* Parses the unpacked segment at *pp (before end) and moves *pp past it:
 * sets *nrec to its records and *packed when it was left packed; with r,
 * points r's streams at a segment that was not. Returns 0 or -1. */
static int parse_segment(struct evblock_reader *r, const uint8_t **pp, const uint8_t *end,
			 uint32_t *nrec, int *packed)
{
	const uint8_t *p = *pp;
	uint64_t n, sz[EVS_MAX];
	int k;

	if (varint_get(&p, end, &n))
		return -1;
	if (n == 0) {	/* left packed: its count of records */
		if (varint_get(&p, end, &n) || n > UINT32_MAX)
			return -1;
		*nrec = (uint32_t)n;
		*packed = 1;
		*pp = p;
		return 0;
	}
	if (n != EVS_MAX)
		return -1;
	for (k = 0; k < EVS_MAX; k++)
		if (varint_get(&p, end, &sz[k]) || sz[k] > (uint64_t)(end - p))
			return -1;
	for (k = 0; k < EVS_MAX; k++) {
		if (sz[k] > (uint64_t)(end - p))
			return -1;
		if (r) {
			r->p[k] = p;
			r->end[k] = p + sz[k];
		}
		p += sz[k];
	}
	if (sz[EVS_HEAD] % 2)
		return -1;
	*nrec = (uint32_t)(sz[EVS_HEAD] / 2);
	*packed = 0;
	*pp = p;
	return 0;
}

/* A segment's place in stored data. */
struct segref {
	uint64_t nrec, raw, clen;
};

int evblock_unpack(const void *data, size_t size, int (*want_seg)(void *arg, unsigned i),
		   void *arg, uint8_t **buf, size_t *cap, size_t *len)
{
	const uint8_t *p = data, *end = p + size;
	struct segref seg[EVBLOCK_SEG_READ_MAX];
	uint64_t nseg, i, total = 0, raw = 0, need = 0;
	const uint8_t *q;
	uint32_t nrec;
	z_stream z;
	int rc = -1, packed;

	if (!size || p[0] != SEGMENTED)
		return unpack_whole(data, size, buf, cap, len);
	p++;
	if (varint_get(&p, end, &nseg) || nseg > EVBLOCK_SEG_READ_MAX)
		return -1;
	/* (the segments together are a block's records: a damaged header
	 * asked for 64 times as much, 4.8 MB) */
	for (i = 0; i < nseg; i++) {
		if (varint_get(&p, end, &seg[i].nrec) || varint_get(&p, end, &seg[i].raw) ||
		    varint_get(&p, end, &seg[i].clen) || seg[i].raw > UNPACKED_MAX ||
		    (raw += seg[i].raw) > UNPACKED_MAX || seg[i].nrec > UINT32_MAX ||
		    seg[i].clen > (uint64_t)(end - p))
			return -1;
		total += seg[i].clen;
		need += seg[i].raw + 2 * VARINT_MAX;
	}
	if (total != (uint64_t)(end - p))
		return -1;
	if (room(buf, cap, need ? need : 1))
		return -2;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK) {
		log_error("out of memory");
		return -2;
	}
	*len = 0;
	for (i = 0; i < nseg; i++) {
		uint8_t *out = *buf + *len;

		if (want_seg && !want_seg(arg, (unsigned)i)) {
			/* left packed: a zero (no stream table) and its records */
			*len = (size_t)(varint_put(varint_put(out, 0), seg[i].nrec) - *buf);
		} else {
			if (inflateReset(&z) != Z_OK)
				goto out;
			z.next_in = (Bytef *)p;
			z.avail_in = (uInt)seg[i].clen;
			z.next_out = out;
			z.avail_out = (uInt)seg[i].raw;
			if (inflate(&z, Z_FINISH) != Z_STREAM_END || z.avail_out || z.avail_in)
				goto out;
			/* its stream table spans it exactly and counts the records
			 * its header says: a reader that leaves it packed numbers
			 * the records after it by that count (raw deflate has no
			 * checksum to find the damage) */
			q = out;
			if (parse_segment(NULL, &q, out + seg[i].raw, &nrec, &packed) || packed ||
			    q != out + seg[i].raw || nrec != seg[i].nrec)
				goto out;
			*len += seg[i].raw;
		}
		p += seg[i].clen;
	}
	rc = 0;
out:
	inflateEnd(&z);
	return rc;
}

int evblock_reader_init(struct evblock_reader *r, const void *data, size_t len)
{
	const uint8_t *p = data, *end = p + len;
	uint64_t total = 0;
	uint32_t nrec;
	int packed;

	memset(r, 0, sizeof(*r));
	if (!len)
		return -1;
	while (p < end) {
		if (parse_segment(NULL, &p, end, &nrec, &packed))
			return -1;
		total += nrec;
	}
	if (total > UINT32_MAX)
		return -1;
	r->next = data;
	r->stop = end;
	r->n = r->left = (uint32_t)total;
	return 0;
}

/* Moves r to the next segment with records to read, passing over those
 * left packed. Returns 1, 0 at the end, -1 when malformed. */
static int next_segment(struct evblock_reader *r)
{
	uint32_t nrec;
	int packed;

	while (r->next < r->stop) {
		if (parse_segment(r, &r->next, r->stop, &nrec, &packed) || nrec > r->left)
			return -1;
		if (packed) {
			r->left -= nrec;	/* counted as read */
			continue;
		}
		/* its deltas start from zero */
		r->flow = r->t = 0;
		r->ktime = 0;
		if ((r->seg_left = nrec))
			return 1;
	}
	return 0;
}

static int get_u64(struct evblock_reader *r, int k, uint64_t *v)
{
	return varint_get(&r->p[k], r->end[k], v);
}

static int get_u32(struct evblock_reader *r, int k, uint32_t *v)
{
	uint64_t x;

	if (get_u64(r, k, &x) || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* A length-prefixed byte string of at most max bytes into dst; sets *n. */
static int get_bytes(struct evblock_reader *r, void *dst, size_t max, size_t *n)
{
	uint64_t len;

	if (get_u64(r, EVS_OTHER, &len) || len > max ||
	    len > (uint64_t)(r->end[EVS_OTHER] - r->p[EVS_OTHER]))
		return -1;
	memcpy(dst, r->p[EVS_OTHER], len);
	r->p[EVS_OTHER] += len;
	*n = len;
	return 0;
}

/* Reads the next record's head, flow and time (into r) and sets *h. Returns
 * 1, 0 at the end, -1 when malformed. */
static int next_head(struct evblock_reader *r, unsigned *h)
{
	uint64_t d;
	int rc;

	if (!r->seg_left && (rc = next_segment(r)) <= 0)
		return rc;
	r->left--;
	r->seg_left--;
	*h = r->p[EVS_HEAD][0] | r->p[EVS_HEAD][1] << 8;
	r->p[EVS_HEAD] += 2;
	if (*h & 0x8000)
		return -1;
	if (get_u64(r, EVS_FLOW, &d))
		return -1;
	r->flow = (int64_t)((uint64_t)r->flow + (uint64_t)unzigzag(d));
	if (get_u64(r, EVS_TIME, &d))
		return -1;
	r->t = (int64_t)((uint64_t)r->t + (uint64_t)unzigzag(d));
	return 1;
}

/* Decodes the rest of the record with head h into ev. Returns 0 or -1. */
static int next_body(struct evblock_reader *r, unsigned h, struct ct_event *ev)
{
	uint64_t v, t_ns;
	size_t n;

	memset(ev, 0, offsetof(struct ct_event, extra));
	ev->extra_len = 0;
	ev->type = (h & 3) + 1;
	ev->has = has_unpack(h >> 2 & 0x3ff);
	ev->t_us = r->t;
	t_ns = (uint64_t)r->t * 1000;
	if (((ev->has & CT_HAS_STATUS) && get_u32(r, EVS_STATUS, &ev->status)) ||
	    ((ev->has & CT_HAS_TIMEOUT) && get_u32(r, EVS_TIMEOUT, &ev->timeout)) ||
	    ((ev->has & CT_HAS_MARK) && get_u32(r, EVS_MARK, &ev->mark)))
		return -1;
	if ((ev->has & CT_HAS_COUNTERS_ORIG) &&
	    (get_u64(r, EVS_COUNTERS, &ev->pkts_orig) || get_u64(r, EVS_COUNTERS, &ev->bytes_orig)))
		return -1;
	if ((ev->has & CT_HAS_COUNTERS_REPLY) &&
	    (get_u64(r, EVS_COUNTERS, &ev->pkts_reply) ||
	     get_u64(r, EVS_COUNTERS, &ev->bytes_reply)))
		return -1;
	if (ev->has & CT_HAS_KTIME) {
		if (get_u64(r, EVS_KTIME, &v))
			return -1;
		ev->ktime = (r->ktime ? r->ktime : t_ns) + (uint64_t)unzigzag(v);
		r->ktime = t_ns = ev->ktime;
	}
	if (ev->has & CT_HAS_TS_START) {
		if (get_u64(r, EVS_TSTAMP, &v))
			return -1;
		ev->ts_start = t_ns + (uint64_t)unzigzag(v);
	}
	if (ev->has & CT_HAS_TS_STOP) {
		if (get_u64(r, EVS_TSTAMP, &v))
			return -1;
		ev->ts_stop = t_ns + (uint64_t)unzigzag(v);
	}
	if (ev->has & CT_HAS_STATE) {
		if (get_u64(r, EVS_PROTO, &v) || v > 0xff)
			return -1;
		ev->state = (uint8_t)v;
	}
	if ((ev->has & CT_HAS_TCPINFO) && get_u64(r, EVS_PROTO, &ev->tcpinfo))
		return -1;
	if ((h & H_PORTID) && get_u32(r, EVS_OTHER, &ev->portid))
		return -1;
	if ((h & H_PROGNAME) &&
	    get_bytes(r, ev->progname, sizeof(ev->progname) - 1, &n))
		return -1;
	if ((h & H_EXTRA) && get_bytes(r, ev->extra, sizeof(ev->extra), &ev->extra_len))
		return -1;
	return 0;
}

/* Passes over n varints of stream k. Returns 0 or -1 (past its end, or one
 * longer than 10 bytes). */
static int skip_varints(struct evblock_reader *r, int k, int n)
{
	return varint_skip(&r->p[k], r->end[k], n);
}

/* Passes over a length-prefixed byte string of stream EVS_OTHER. */
static int skip_bytes(struct evblock_reader *r)
{
	uint64_t len;

	if (get_u64(r, EVS_OTHER, &len) ||
	    len > (uint64_t)(r->end[EVS_OTHER] - r->p[EVS_OTHER]))
		return -1;
	r->p[EVS_OTHER] += len;
	return 0;
}

/* Passes over the rest of the record with head h, as next_body() reads it
 * (the event time base it keeps included). Returns 0 or -1. */
static int skip_body(struct evblock_reader *r, unsigned h)
{
	uint32_t has = has_unpack(h >> 2 & 0x3ff);
	uint64_t v;

	if (((has & CT_HAS_STATUS) && skip_varints(r, EVS_STATUS, 1)) ||
	    ((has & CT_HAS_TIMEOUT) && skip_varints(r, EVS_TIMEOUT, 1)) ||
	    ((has & CT_HAS_MARK) && skip_varints(r, EVS_MARK, 1)) ||
	    skip_varints(r, EVS_COUNTERS, (has & CT_HAS_COUNTERS_ORIG ? 2 : 0) +
			 (has & CT_HAS_COUNTERS_REPLY ? 2 : 0)))
		return -1;
	if (has & CT_HAS_KTIME) {
		if (get_u64(r, EVS_KTIME, &v))
			return -1;
		r->ktime = (r->ktime ? r->ktime : (uint64_t)r->t * 1000) + (uint64_t)unzigzag(v);
	}
	if (skip_varints(r, EVS_TSTAMP, (has & CT_HAS_TS_START ? 1 : 0) +
			 (has & CT_HAS_TS_STOP ? 1 : 0)) ||
	    skip_varints(r, EVS_PROTO, (has & CT_HAS_STATE ? 1 : 0) +
			 (has & CT_HAS_TCPINFO ? 1 : 0)) ||
	    ((h & H_PORTID) && skip_varints(r, EVS_OTHER, 1)) ||
	    ((h & H_PROGNAME) && skip_bytes(r)) ||
	    ((h & H_EXTRA) && skip_bytes(r)))
		return -1;
	return 0;
}

int evblock_next(struct evblock_reader *r, struct ct_event *ev, int64_t *flow)
{
	unsigned h;
	int rc = next_head(r, &h);

	if (rc <= 0)
		return rc;
	*flow = r->flow;
	return next_body(r, h, ev) ? -1 : 1;
}

int evblock_next_wanted(struct evblock_reader *r, struct ct_event *ev, int64_t *flow,
			int (*want)(void *arg, int64_t flow), void *arg)
{
	unsigned h;
	int rc;

	while ((rc = next_head(r, &h)) > 0) {
		if (want(arg, r->flow)) {
			*flow = r->flow;
			return next_body(r, h, ev) ? -1 : 1;
		}
		if (skip_body(r, h))
			return -1;
	}
	return rc;
}

int evblock_count_types(const void *data, size_t len, uint64_t *types)
{
	struct ct_event ev;
	struct evblock_reader r;
	uint64_t n[4] = { 0 };
	int64_t flow;
	int k;

	if (evblock_reader_init(&r, data, len))
		return -1;
	while ((k = evblock_next(&r, &ev, &flow)) > 0)
		n[(ev.type - 1) & 3]++;
	*types = pack_types(n);
	return k;
}
