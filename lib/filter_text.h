/* Readable text for flows and events in ctquery's list, show and stats: names, tuples, JSON and CSV fields. */
#ifndef CT_FILTER_TEXT_H
#define CT_FILTER_TEXT_H

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

/* CSV: the header line, and one flow. */
void ft_flow_csv_header(FILE *out);
void ft_flow_csv(const struct store_flow *fl, FILE *out);

#endif
