/* One conntrack event as the kernel sent it: decoded values plus which attributes were present. */
#ifndef CT_EVENT_H
#define CT_EVENT_H

#include <stddef.h>
#include <stdint.h>

/* Event types, as stored in events.type. CT_EV_DUMP is a start-up table dump
 * entry: history, but never something `conntrack -E` printed. */
enum ct_ev_type {
	CT_EV_NEW = 1,
	CT_EV_UPDATE = 2,
	CT_EV_DESTROY = 3,
	CT_EV_DUMP = 4,
};

/* CTA_TIMESTAMP_EVENT (kernel >= 6.14); not in the headers of Debian 12. */
#define CT_CTA_TIMESTAMP_EVENT 27

/* A tuple (CTA_TUPLE_ORIG or CTA_TUPLE_REPLY). */
struct ct_tuple {
	uint8_t l3;		/* AF_INET or AF_INET6: which CTA_IP_V* pair was sent */
	uint8_t proto;		/* CTA_PROTO_NUM */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;	/* host order; valid when has_ports */
	uint8_t itype, icode;	/* ICMP or ICMPv6 (by l3); valid when has_icmp */
	uint16_t iid;
	uint16_t zone;		/* CTA_TUPLE_ZONE; valid when has_zone */
	uint8_t has_ports, has_icmp, has_zone;
};

/* Presence bits of struct ct_event.has. */
enum {
	CT_HAS_STATUS = 1 << 0,
	CT_HAS_TIMEOUT = 1 << 1,
	CT_HAS_MARK = 1 << 2,
	CT_HAS_ID = 1 << 3,
	CT_HAS_ZONE = 1 << 4,
	CT_HAS_COUNTERS_ORIG = 1 << 5,
	CT_HAS_COUNTERS_REPLY = 1 << 6,
	CT_HAS_TS_START = 1 << 7,
	CT_HAS_TS_STOP = 1 << 8,
	CT_HAS_KTIME = 1 << 9,
	CT_HAS_STATE = 1 << 10,	/* protoinfo state (any protocol) */
	CT_HAS_TCPINFO = 1 << 11,	/* TCP protoinfo rebuilt from tcpinfo */
};

/* Bits of a packed TCP protoinfo (ct_event.tcpinfo): values in bits 0-47,
 * which sub-attributes were present in bits 48-52. */
#define CT_TCPI_WSCALE_O(v)	((v) & 0xff)
#define CT_TCPI_WSCALE_R(v)	(((v) >> 8) & 0xff)
#define CT_TCPI_FLAGS_O(v)	(((v) >> 16) & 0xffff)
#define CT_TCPI_FLAGS_R(v)	(((v) >> 32) & 0xffff)
#define CT_TCPI_HAS_STATE	(1ULL << 48)
#define CT_TCPI_HAS_WSCALE_O	(1ULL << 49)
#define CT_TCPI_HAS_WSCALE_R	(1ULL << 50)
#define CT_TCPI_HAS_FLAGS_O	(1ULL << 51)
#define CT_TCPI_HAS_FLAGS_R	(1ULL << 52)

#define CT_PROGNAME_MAX 64
#define CT_EXTRA_MAX 4096

struct ct_event {
	uint8_t type;		/* enum ct_ev_type */
	uint8_t family;		/* nfgen_family */
	uint32_t portid;	/* nlmsg_pid: non-zero when a process caused it */
	char progname[CT_PROGNAME_MAX];	/* "" when unknown */
	int64_t t_us;		/* receive time, µs since the epoch */

	struct ct_tuple orig, reply;
	uint32_t has;		/* CT_HAS_* */
	uint32_t status, timeout, mark, id;
	uint16_t zone;
	uint8_t state;
	uint64_t tcpinfo;
	uint64_t pkts_orig, bytes_orig, pkts_reply, bytes_reply;
	uint64_t ts_start, ts_stop, ktime;

	/* Attributes with no field above, kept verbatim as netlink TLVs (aligned). */
	uint8_t extra[CT_EXTRA_MAX];
	size_t extra_len;
};

/* Returns non-zero when extra holds a top-level attribute of that type. */
int ct_extra_has(const struct ct_event *ev, uint16_t type);

/* The payload of extra's first top-level attribute of that type, its length
 * in *len; NULL when extra holds none (or is malformed before it). */
const uint8_t *ct_extra_find(const struct ct_event *ev, uint16_t type, size_t *len);

/* Appends to ev->extra a verbatim attribute of type holding len bytes of
 * data, or nest { type: len bytes of p } as one attribute. Return 0, or -1
 * when extra is full. */
int ct_extra_put(struct ct_event *ev, uint16_t type, const void *data, size_t len);
int ct_extra_nest1(struct ct_event *ev, uint16_t nest, uint16_t type, const void *p, size_t len);

/* Sets ev's protocol state as the kernel sends it: TCP's into tcpinfo,
 * SCTP's and DCCP's as a verbatim CTA_PROTOINFO attribute (another protocol
 * has only the state column). Returns 0, or -1 when extra is full. */
int ct_event_set_state(struct ct_event *ev, uint8_t state);

/* Returns "NEW", "UPDATE", "DESTROY" or "DUMP". */
const char *ct_ev_type_name(int type);

/* Returns non-zero when the tuples are the same (addresses, protocol, ports/ICMP, zone). */
int ct_tuple_equal(const struct ct_tuple *a, const struct ct_tuple *b);

/* Sets *m to t seen from the other side: addresses and ports swapped, the
 * rest (ICMP fields, zone) as they are. Without NAT the reply tuple of an
 * entry is usually its original's mirror. */
void ct_tuple_mirror(const struct ct_tuple *t, struct ct_tuple *m);

#endif
