/* Internal to event blocks: the layout of a record and of a stored block, shared by the writer (lib/evblock.c) and the reader (lib/evblock_read.c). */
#ifndef CT_EVBLOCK_FORMAT_H
#define CT_EVBLOCK_FORMAT_H

#include <stdint.h>

#include "ct_event.h"

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

static inline unsigned has_pack(uint32_t has)
{
	return (has & HAS_LOW) | ((has >> HAS_HIGH_SHIFT) & HAS_HIGH_MASK) << 3;
}

static inline uint32_t has_unpack(unsigned bits)
{
	return (bits & HAS_LOW) | ((bits >> 3) & HAS_HIGH_MASK) << HAS_HIGH_SHIFT;
}

static inline uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

static inline int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Counts of records by type (NEW to DUMP), packed as evblock_types() says. */
static inline uint64_t pack_types(const uint64_t n[4])
{
	return n[0] | n[1] << 13 | n[2] << 26 | n[3] << 39;
}

/* The first byte of a block stored in segments (that of a zlib stream,
 * the whole block before, is 0x78). */
#define SEGMENTED 1

#endif
