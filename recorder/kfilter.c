/* Recorder-side filters: conntrack's filter options, attached in the kernel where it can (BSF), exact in userspace. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "filter.h"
#include "kfilter.h"
#include "log.h"

/* An IPv4 address condition, as the library wants it (host order). */
static void add_ipv4(struct nfct_filter *nf, enum nfct_filter_attr attr,
		     const struct filter_addr *a)
{
	struct nfct_filter_ipv4 v;
	uint32_t addr, mask;

	memcpy(&addr, a->addr, 4);
	memcpy(&mask, a->mask, 4);
	v.addr = ntohl(addr);
	v.mask = ntohl(mask);
	nfct_filter_add_attr(nf, attr, &v);
}

int kfilter_attach(int fd, const struct ct_filter *f)
{
	struct nfct_filter *nf;
	int n = 0;

	if (!(f->opts & (FF_PROTO | FF_SRC | FF_DST)))
		return 0;
	nf = nfct_filter_create();
	if (!nf)
		return log_error("out of memory");
	if (f->opts & FF_PROTO) {
		nfct_filter_add_attr_u32(nf, NFCT_FILTER_L4PROTO, (uint32_t)f->proto);
		n++;
	}
	/* IPv4 only: an IPv6 condition is left to userspace. */
	if ((f->opts & FF_SRC) && f->src.family == AF_INET) {
		add_ipv4(nf, NFCT_FILTER_SRC_IPV4, &f->src);
		n++;
	}
	if ((f->opts & FF_DST) && f->dst.family == AF_INET) {
		add_ipv4(nf, NFCT_FILTER_DST_IPV4, &f->dst);
		n++;
	}
	if (n && nfct_filter_attach(fd, nf) < 0) {
		log_errno("cannot attach the filter to the netlink socket");
		n = -1;
	}
	nfct_filter_destroy(nf);
	return n;
}
