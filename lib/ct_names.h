/* The names conntrack prints for layer-4 protocols and their states (libnetfilter_conntrack 1.0.9's tables). */
#ifndef CT_NAMES_H
#define CT_NAMES_H

/* "tcp", "udp", "udplite", "icmp", "icmpv6", "sctp", "gre", "dccp", or NULL. */
const char *ct_proto_name(int proto);

/* The number of a protocol name above, or -1. */
int ct_proto_num(const char *name);

/* The name of a TCP, SCTP or DCCP state as the default text output prints
 * it, or NULL for another protocol or an out-of-range state. */
const char *ct_state_name(int proto, int state);

/* The state number of name for proto (TCP, SCTP or DCCP), or -1. Case
 * matters, as in conntrack's --state ('established' is not a TCP state). */
int ct_state_num(int proto, const char *name);

#endif
