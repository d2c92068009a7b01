/* Event blocks, written: coding events as compact records (varints and deltas, field by field) in segments, each deflated on its own (lib/evblock_read.c reads them). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "evblock.h"
#include "evblock_format.h"
#include "grow.h"
#include "log.h"
#include "varint.h"

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
		/* (zlib's state is all it allocates: Z_MEM_ERROR is the one failure) */
		if (deflateInit2(z, 1, Z_DEFLATED, -14, 6, Z_DEFAULT_STRATEGY) != Z_OK) {
			free(z);
			return log_error("cannot compress events: out of memory");
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
