/* Event blocks: many events packed as delta-coded records, field by field, in segments, each with a Bloom filter of its flows (lib/evblock_bloom.c). */
#ifndef CT_EVBLOCK_H
#define CT_EVBLOCK_H

#include <stddef.h>
#include <stdint.h>
#include "ct_event.h"

/* A block is closed at whichever limit comes first. At half of the limits
 * before session 15 (4096, 65536) `show` took 7% less time and a stored
 * event 0.2-0.4 bytes more (BENCHMARKS.md). */
#define EVBLOCK_MAX_EVENTS 2048
#define EVBLOCK_MAX_BYTES 32768
/* The most bytes of records in any block a reader may meet: databases
 * written with the limits above doubled hold blocks of up to that. */
#define EVBLOCK_READ_MAX_BYTES 65536

/* A block's records are stored in segments, each compressed on its own and
 * with a Bloom filter of its own (schema version 10): a reader after a few
 * flows inflates and walks only the segments that may hold them, where it
 * used to inflate the whole block. A segment is closed at whichever limit
 * comes first; its records' deltas start again from zero. Deflate finds
 * fewer repeats in a segment than in a block: 0.4 bytes an event more. */
#define EVBLOCK_SEG_EVENTS 512
#define EVBLOCK_SEG_BYTES 8192
/* A closed segment has EVBLOCK_SEG_EVENTS records or EVBLOCK_SEG_BYTES
 * bytes, so a block (closed at 4 times either) has at most 7 closed ones
 * and its open one: evblock_full() also says a block with 7 closed ones is
 * full, and a stored block has at most this many. */
#define EVBLOCK_MAX_SEGS 8
/* The most segments a stored block may have (a Bloom filter's trailer
 * counts them in a byte). */
#define EVBLOCK_SEG_READ_MAX 64

/* The streams a block's records are split into: each field of every record
 * together, so that deflate finds the repeats (the same status, timeouts,
 * small deltas). */
enum {
	EVS_HEAD,	/* 2 bytes a record: type, which fields follow */
	EVS_FLOW,	/* flow id, as a difference from the record before */
	EVS_TIME,	/* receive time (µs), the same */
	EVS_STATUS, EVS_TIMEOUT, EVS_MARK,
	EVS_COUNTERS,	/* packets and bytes, original then reply */
	EVS_KTIME,	/* CTA_TIMESTAMP_EVENT, from the previous one (else the receive time) */
	EVS_TSTAMP,	/* CTA_TIMESTAMP start and stop, from the event's kernel time */
	EVS_PROTO,	/* protoinfo state and TCP details */
	EVS_OTHER,	/* portid, program name, verbatim attributes */
	EVS_MAX
};

struct evstream {
	uint8_t *p;
	size_t len, cap;
};

/* A block being filled: its closed segments, compressed, and the open one
 * in streams. The tuples, family, ct id and zone are the flow's, not in the
 * records. */
struct evblock {
	struct evstream s[EVS_MAX];	/* the open segment */
	size_t len;			/* bytes of records in all segments */
	size_t seg_len;			/* in the open segment */
	uint32_t n;			/* records in all segments */
	uint32_t seg_n;			/* in the open segment */
	int64_t prev_flow, prev_t;	/* the last record's, for the next delta */
	uint64_t prev_ktime;
	int64_t min_t, max_t;		/* receive times, valid when n > 0 */
	int64_t min_flow, max_flow;
	int64_t *flows;			/* flow id of each record (for the Bloom filters) */
	size_t flows_cap;
	uint32_t ntype[4];		/* records of each type, NEW to DUMP */
	uint32_t nseg;			/* closed segments: */
	uint32_t seg_nrec[EVBLOCK_MAX_SEGS], seg_raw[EVBLOCK_MAX_SEGS], seg_clen[EVBLOCK_MAX_SEGS];
	struct evstream packed;		/* their compressed bytes, one after the other */
	struct evstream raw;		/* room to lay a segment out before compressing it */
	void *z;			/* the deflate stream, kept from block to block */
	int one_segment;		/* set: never close a segment (tests make blocks
					 * as they were before version 10 with it) */
};

/* Appends ev as a record of flow (closing the open segment when it is
 * full). Returns 0, or -1 when out of memory or deflate fails (reported):
 * the record may then be in the block, which is to be reset, not stored.
 * The caller closes the block at EVBLOCK_MAX_* (evblock_full). */
int evblock_add(struct evblock *b, int64_t flow, const struct ct_event *ev);

/* The block's records of each type, packed as event_blocks.types holds
 * them: NEW | UPDATE << 13 | DESTROY << 26 | DUMP << 39. */
uint64_t evblock_types(const struct evblock *b);

/* Non-zero when the block has reached one of its limits. */
int evblock_full(const struct evblock *b);

/* Empties b, keeping its memory. */
void evblock_reset(struct evblock *b);

/* Frees b's memory. */
void evblock_free(struct evblock *b);

/* The block's records as stored (event_data.data), a malloc'd buffer of
 * *len bytes, or NULL (reported). Schema version 10: a tag byte 1, the
 * number of segments, for each its records, bytes and compressed bytes
 * (varints), then the segments, each its streams' lengths and the streams
 * (as a whole block before), raw deflate (level 1). Before, a block was
 * one zlib stream of that (its first byte 0x78). b is left as it was: a
 * block grows across commits while small, written again at each. */
uint8_t *evblock_pack(struct evblock *b, size_t *len);

/* Unpacks stored records into *buf (grown as needed, *cap its size) and
 * sets *len: the segments one after the other, each its streams' lengths
 * and its streams; a segment for which want_seg(arg, i) returns 0 (NULL:
 * every one is wanted) is left packed, as a zero and its count of records.
 * Returns 0, -1 when the data is damaged (not reported), or -2 when memory
 * is short (reported). */
int evblock_unpack(const void *data, size_t size, int (*want_seg)(void *arg, unsigned i),
		   void *arg, uint8_t **buf, size_t *cap, size_t *len);

/* Builds the block's Bloom filter of flow ids into a malloc'd buffer (that
 * of each segment then, followed by the log2 of each one's bytes, a zero
 * when needed for an odd length, and their number: an older block's is a
 * single one of 2^k bytes). Returns its size (0 with *out NULL when out of
 * memory, reported). */
size_t evblock_bloom(const struct evblock *b, uint8_t **out);

/* Non-zero when flow may be in the block whose filter is bloom[0..len). */
int evblock_bloom_has(const uint8_t *bloom, size_t len, int64_t flow);

/* The filter of segment i within a block's bloom[0..len): sets *seg and
 * *seg_len and returns 1; 0 when the block has one filter for all its
 * segments (or none usable). */
int evblock_bloom_segment(const uint8_t *bloom, size_t len, unsigned i,
			  const uint8_t **seg, size_t *seg_len);

/* Reading a block's records in order. */
struct evblock_reader {
	const uint8_t *p[EVS_MAX], *end[EVS_MAX];	/* the segment being read */
	const uint8_t *next, *stop;	/* the unpacked segments after it */
	uint32_t n, left;	/* records of the block, those not read yet (a
				 * segment left packed counts as read) */
	uint32_t seg_left;	/* of the segment being read, not read yet */
	int64_t flow, t;	/* of the last record read */
	uint64_t ktime;
};

/* Sets r to read data, unpacked (evblock_unpack). Returns 0, or -1 when a
 * segment's stream table is malformed. */
int evblock_reader_init(struct evblock_reader *r, const void *data, size_t len);

/* Decodes the next record into ev (everything but the flow's own fields:
 * tuples, family, ct id and zone) and *flow. Returns 1, 0 at the end, -1
 * when the data is malformed (not reported: the caller knows which block). */
int evblock_next(struct evblock_reader *r, struct ct_event *ev, int64_t *flow);

/* As evblock_next(), but passes over the records of the flows for which
 * want(arg, flow) returns 0 without decoding them into ev (their values are
 * not checked, only their length). The record read is number r->n - r->left
 * - 1 of the block, counting skipped ones. */
int evblock_next_wanted(struct evblock_reader *r, struct ct_event *ev, int64_t *flow,
			int (*want)(void *arg, int64_t flow), void *arg);

/* The records of each type in unpacked data, packed into *types as
 * evblock_types() does. Returns 0, or -1 when the data is malformed. */
int evblock_count_types(const void *data, size_t len, uint64_t *types);

#endif
