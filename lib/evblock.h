/* Event blocks: many events packed as delta-coded records, field by field, with a Bloom filter of their flows. */
#ifndef CT_EVBLOCK_H
#define CT_EVBLOCK_H

#include <stddef.h>
#include <stdint.h>
#include "ct_event.h"

/* A block is closed at whichever limit comes first. A flow's events are
 * read by inflating whole blocks (ctquery show, a filtered replay), so the
 * smaller they are the less is read for them; deflate finds fewer repeats in
 * less. At half of the limits before session 15 (4096, 65536) `show` took
 * 7% less time and a stored event 0.2-0.4 bytes more (BENCHMARKS.md). */
#define EVBLOCK_MAX_EVENTS 2048
#define EVBLOCK_MAX_BYTES 32768
/* The most bytes of records in any block a reader may meet: databases
 * written with the limits above doubled hold blocks of up to that. */
#define EVBLOCK_READ_MAX_BYTES 65536

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

/* A block being filled. The tuples, family, ct id and zone are the flow's,
 * not in the records. */
struct evblock {
	struct evstream s[EVS_MAX];
	size_t len;			/* bytes in all streams */
	uint32_t n;			/* records */
	int64_t prev_flow, prev_t;	/* the last record's, for the next delta */
	uint64_t prev_ktime;
	int64_t min_t, max_t;		/* receive times, valid when n > 0 */
	int64_t min_flow, max_flow;
	int64_t *flows;			/* flow id of each record (for the Bloom filter) */
	size_t flows_cap;
	uint32_t ntype[4];		/* records of each type, NEW to DUMP */
};

/* Appends ev as a record of flow. Returns 0, or -1 when out of memory
 * (reported). The caller closes the block at EVBLOCK_MAX_* (evblock_full). */
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

/* The block's records as stored: the streams' lengths, the streams, all
 * zlib-compressed (deflate, level 1). Returns a malloc'd buffer and sets
 * *len, or NULL (reported). */
uint8_t *evblock_pack(const struct evblock *b, size_t *len);

/* Unpacks stored records into *buf (grown as needed, *cap its size) and
 * sets *len. Returns 0, or -1 when the data is damaged (not reported). */
int evblock_unpack(const void *data, size_t size, uint8_t **buf, size_t *cap, size_t *len);

/* Builds the Bloom filter of the block's flow ids into a malloc'd buffer.
 * Returns its size (0 with *out NULL when out of memory, reported). */
size_t evblock_bloom(const struct evblock *b, uint8_t **out);

/* Non-zero when flow may be in the block whose filter is bloom[0..len). */
int evblock_bloom_has(const uint8_t *bloom, size_t len, int64_t flow);

/* Reading a block's records in order. */
struct evblock_reader {
	const uint8_t *p[EVS_MAX], *end[EVS_MAX];
	uint32_t n, left;	/* records, and those not read yet */
	int64_t flow, t;	/* of the last record read */
	uint64_t ktime;
};

/* Sets r to read data, unpacked (evblock_unpack). Returns 0, or -1 when the
 * stream table is malformed. */
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
