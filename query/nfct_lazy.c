/* Loads libnetfilter_conntrack the first time ctquery needs it, by defining the library functions that lib/ and query/ call as forwarders to the loaded ones. */
#include <stddef.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "lazy_load.h"

/* ctquery needs the library only for what its own formatters leave to it
 * (labels, attributes they do not know: lib/ct_format.c), for replay -o
 * save (lib/ct_save.c reads the objects it parses, as conntrack does) and
 * for --label filters. Linked in, it and the libnfnetlink and libmnl it pulls cost every
 * run about 0.2 ms of start-up, a tenth of a selective query. ctquery is
 * linked without it (Makefile), so these definitions are the ones lib/ and
 * query/ reach; ctrecord links the library itself and not this file. The
 * soname is that of the ABI the headers describe. */
#ifndef NFCT_SONAME
#define NFCT_SONAME "libnetfilter_conntrack.so.3"
#endif

#define NFCT_FUNCS(X) \
	X(nfct_new) X(nfct_destroy) X(nfct_nlmsg_parse) X(nfct_attr_is_set) \
	X(nfct_set_attr) X(nfct_set_attr_u8) X(nfct_set_attr_u16) X(nfct_set_attr_u32) \
	X(nfct_snprintf_labels) X(nfct_labelmap_new) X(nfct_labelmap_destroy) \
	X(nfct_labelmap_get_bit) X(nfct_labelmap_get_name) X(nfct_get_attr) X(nfct_get_attr_u8) X(nfct_get_attr_u16) \
	X(nfct_get_attr_u32) X(nfct_getobjopt)

LAZY_LIBRARY(NFCT_FUNCS, NFCT_SONAME, "labels and some attributes need it")

/* Without the library, each fails as it says it can: NULL or -1; the
 * functions that return nothing do nothing (their object cannot exist). */
struct nf_conntrack *nfct_new(void)
{
	return ready() ? FN(nfct_new)() : NULL;
}

void nfct_destroy(struct nf_conntrack *ct)
{
	if (ready())
		FN(nfct_destroy)(ct);
}

int nfct_nlmsg_parse(const struct nlmsghdr *nlh, struct nf_conntrack *ct)
{
	return ready() ? FN(nfct_nlmsg_parse)(nlh, ct) : -1;
}

int nfct_attr_is_set(const struct nf_conntrack *ct, const enum nf_conntrack_attr type)
{
	return ready() ? FN(nfct_attr_is_set)(ct, type) : -1;
}

void nfct_set_attr(struct nf_conntrack *ct, const enum nf_conntrack_attr type,
		   const void *value)
{
	if (ready())
		FN(nfct_set_attr)(ct, type, value);
}

void nfct_set_attr_u8(struct nf_conntrack *ct, const enum nf_conntrack_attr type,
		      uint8_t value)
{
	if (ready())
		FN(nfct_set_attr_u8)(ct, type, value);
}

void nfct_set_attr_u16(struct nf_conntrack *ct, const enum nf_conntrack_attr type,
		       uint16_t value)
{
	if (ready())
		FN(nfct_set_attr_u16)(ct, type, value);
}

void nfct_set_attr_u32(struct nf_conntrack *ct, const enum nf_conntrack_attr type,
		       uint32_t value)
{
	if (ready())
		FN(nfct_set_attr_u32)(ct, type, value);
}

int nfct_snprintf_labels(char *buf, unsigned int size, const struct nf_conntrack *ct,
			 const unsigned int msg_type, const unsigned int out_type,
			 const unsigned int out_flags, struct nfct_labelmap *map)
{
	return ready() ? FN(nfct_snprintf_labels)(buf, size, ct, msg_type, out_type, out_flags,
						  map) : -1;
}

struct nfct_labelmap *nfct_labelmap_new(const char *mapfile)
{
	return ready() ? FN(nfct_labelmap_new)(mapfile) : NULL;
}

void nfct_labelmap_destroy(struct nfct_labelmap *map)
{
	if (ready())
		FN(nfct_labelmap_destroy)(map);
}

int nfct_labelmap_get_bit(struct nfct_labelmap *m, const char *name)
{
	return ready() ? FN(nfct_labelmap_get_bit)(m, name) : -1;
}

const char *nfct_labelmap_get_name(struct nfct_labelmap *m, unsigned int bit)
{
	return ready() ? FN(nfct_labelmap_get_name)(m, bit) : NULL;
}

/* The getters of -o save (lib/ct_save.c): an object exists only once the
 * library is loaded, so these are reached with it ready. */
const void *nfct_get_attr(const struct nf_conntrack *ct, const enum nf_conntrack_attr type)
{
	return ready() ? FN(nfct_get_attr)(ct, type) : NULL;
}

uint8_t nfct_get_attr_u8(const struct nf_conntrack *ct, const enum nf_conntrack_attr type)
{
	return ready() ? FN(nfct_get_attr_u8)(ct, type) : 0;
}

uint16_t nfct_get_attr_u16(const struct nf_conntrack *ct, const enum nf_conntrack_attr type)
{
	return ready() ? FN(nfct_get_attr_u16)(ct, type) : 0;
}

uint32_t nfct_get_attr_u32(const struct nf_conntrack *ct, const enum nf_conntrack_attr type)
{
	return ready() ? FN(nfct_get_attr_u32)(ct, type) : 0;
}

int nfct_getobjopt(const struct nf_conntrack *ct, unsigned int option)
{
	return ready() ? FN(nfct_getobjopt)(ct, option) : -1;
}
