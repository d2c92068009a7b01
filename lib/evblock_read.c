/* Event blocks, read: a stored block unpacked (its segments inflated, all or those a query wants) and its records decoded back into events. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "evblock.h"
#include "evblock_format.h"
#include "log.h"
#include "varint.h"

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

/* A segment's place in stored data. */
struct segref {
	uint64_t nrec, raw, clen;
};

int evblock_unpack(const void *data, size_t size, int (*want_seg)(void *arg, unsigned i),
		   void *arg, uint8_t **buf, size_t *cap, size_t *len)
{
	const uint8_t *p = data, *end;
	struct segref seg[EVBLOCK_SEG_READ_MAX];
	uint64_t nseg, i, total = 0, raw = 0, need = 0;
	const uint8_t *q;
	uint32_t nrec;
	z_stream z;
	int rc = -1, packed;

	if (!size)	/* (an empty blob: its data NULL) */
		return -1;
	end = p + size;
	if (p[0] != SEGMENTED)
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
