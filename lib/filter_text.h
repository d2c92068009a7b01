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

/* One flow as a JSON object on one line (documented field names). */
void ft_flow_json(const struct store_flow *fl, FILE *out);

/* One event (of flow) as a JSON object on one line: flow, t_us, time
 * (ISO 8601 UTC), type, the fields ft_flow_json shares (family, proto,
 * tuples, zone, mark, ct_id, state, counters), then status (names),
 * timeout, start_ns, stop_ns, ktime_ns, portid, progname. An attribute the
 * event did not carry is absent. */
void ft_event_json(const struct ct_event *ev, int64_t flow, FILE *out);

/* The name of status bit (SEEN_REPLY, ASSURED, ...), or NULL past HW_OFFLOAD. */
const char *ft_status_name(int bit);

/* t_us as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" (UTC) into buf. */
void ft_iso_time(char *buf, size_t size, int64_t t_us);

/* CSV: the header line, and one flow. */
void ft_flow_csv_header(FILE *out);
void ft_flow_csv(const struct store_flow *fl, FILE *out);

#endif
