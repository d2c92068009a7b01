/* Readable text for flows and events in ctquery's list, replay, show and stats: names, tuples, JSON and CSV fields. */
#ifndef CT_FILTER_TEXT_H
#define CT_FILTER_TEXT_H

#include <stdint.h>
#include <stdio.h>
#include "ct_event.h"
#include "store.h"

/* "tcp", "udp", ..., or the number. buf must hold 8 bytes. */
const char *ft_proto(int proto, char *buf);

/* "SRC:SPORT -> DST:DPORT" (ICMP: "type=T code=C id=I"), into buf. */
void ft_tuple(const struct ct_tuple *t, char *buf, size_t size);

/* Writes an address as text into buf (INET6_ADDRSTRLEN). */
void ft_addr(const struct ct_tuple *t, const uint8_t *a, char *buf);

struct nfct_labelmap;

/* The most labels a flow can carry (the kernel's 128 bits), and room for
 * their names as text. */
#define FT_LABELS_MAX 128
#define FT_LABELS_TEXT 4096

/* Into names (room for max), the names map gives the labels ev carries (its
 * CTA_LABELS attribute), in bit order as conntrack prints them; bits without
 * a name are left out, as conntrack leaves them. Returns how many, or -1
 * when ev carries no labels or map is NULL (no map: conntrack prints none). */
int ft_label_names(const struct ct_event *ev, struct nfct_labelmap *map, const char **names,
		   int max);

/* Those names joined by commas into buf ("" for none), cut at size. */
void ft_labels_text(const struct ct_event *ev, struct nfct_labelmap *map, char *buf, size_t size);

/* One flow as a JSON object on one line (documented field names), with
 * "labels" (an array of names) when map is not NULL and the flow has labels. */
void ft_flow_json(const struct store_flow *fl, struct nfct_labelmap *map, FILE *out);

/* One event (of flow) as a JSON object on one line: flow, t_us, time
 * (ISO 8601 UTC), type, the fields ft_flow_json shares (family, proto,
 * tuples, zone, mark, ct_id, state, counters), labels (their names, when
 * map is not NULL and the event carried some), then status (names),
 * timeout, start_ns, stop_ns, ktime_ns, portid, progname. An attribute the
 * event did not carry is absent. */
void ft_event_json(const struct ct_event *ev, int64_t flow, struct nfct_labelmap *map, FILE *out);

/* The name of status bit (SEEN_REPLY, ASSURED, ...), or NULL past HW_OFFLOAD. */
const char *ft_status_name(int bit);

/* t_us as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" (UTC) into buf. */
void ft_iso_time(char *buf, size_t size, int64_t t_us);

/* CSV: the header line, and one flow; with labels non-zero a last column,
 * labels, of the names map gives them (empty without a map). */
void ft_flow_csv_header(int labels, FILE *out);
void ft_flow_csv(const struct store_flow *fl, int labels, struct nfct_labelmap *map, FILE *out);

#endif
