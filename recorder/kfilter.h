/* Recorder-side filters: conntrack's filter options, attached in the kernel where it can (BSF), exact in userspace. */
#ifndef CT_KFILTER_H
#define CT_KFILTER_H

struct ct_filter;

/* Attaches to the event socket fd a socket filter that drops, in the
 * kernel, events f would refuse for certain: another layer-4 protocol, or
 * another IPv4 source or destination. The exact check stays filter_match()
 * in the writer, so this may only let too much through, never too little.
 * Returns the number of conditions attached (0: nothing to attach), or -1
 * (reported). */
int kfilter_attach(int fd, const struct ct_filter *f);

#endif
