/* Loads libnetfilter_conntrack the first time ctquery needs it, by defining the library functions that lib/ and query/ call as forwarders to the loaded ones. */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "log.h"

/* ctquery needs the library only for what its own formatters leave to it
 * (labels, attributes they do not know: lib/ct_format.c) and for --label
 * filters. Linked in, it and the libnfnetlink and libmnl it pulls cost every
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
	X(nfct_labelmap_get_bit)

static struct {
#define X(name) __typeof__(name) *name;
	NFCT_FUNCS(X)
#undef X
} lib;

static int loaded;	/* 1 loaded, -1 failed (reported once) */
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void)
{
	/* RTLD_LOCAL: its own calls to these names stay inside it (ctquery
	 * exports none of its symbols either) */
	void *h = dlopen(NFCT_SONAME, RTLD_NOW | RTLD_LOCAL);

	loaded = -1;
	if (!h) {
		log_error("cannot load %s (labels and some attributes need it): %s", NFCT_SONAME,
			  dlerror());
		return;
	}
#define X(name) \
	if (!(*(void **)&lib.name = dlsym(h, #name))) { \
		log_error("%s lacks %s", NFCT_SONAME, #name); \
		return; \
	}
	NFCT_FUNCS(X)
#undef X
	loaded = 1;
}

/* Is the library there? Loads it at the first call (from any thread). */
static int ready(void)
{
	pthread_once(&load_once, load);
	return loaded > 0;
}

/* Without the library, each fails as it says it can: NULL or -1; the
 * functions that return nothing do nothing (their object cannot exist). */
struct nf_conntrack *nfct_new(void)
{
	return ready() ? lib.nfct_new() : NULL;
}

void nfct_destroy(struct nf_conntrack *ct)
{
	if (ready())
		lib.nfct_destroy(ct);
}

int nfct_nlmsg_parse(const struct nlmsghdr *nlh, struct nf_conntrack *ct)
{
	return ready() ? lib.nfct_nlmsg_parse(nlh, ct) : -1;
}

int nfct_attr_is_set(const struct nf_conntrack *ct, const enum nf_conntrack_attr type)
{
	return ready() ? lib.nfct_attr_is_set(ct, type) : -1;
}

void nfct_set_attr(struct nf_conntrack *ct, const enum nf_conntrack_attr type,
		   const void *value)
{
	if (ready())
		lib.nfct_set_attr(ct, type, value);
}

void nfct_set_attr_u8(struct nf_conntrack *ct, const enum nf_conntrack_attr type,
		      uint8_t value)
{
	if (ready())
		lib.nfct_set_attr_u8(ct, type, value);
}

void nfct_set_attr_u16(struct nf_conntrack *ct, const enum nf_conntrack_attr type,
		       uint16_t value)
{
	if (ready())
		lib.nfct_set_attr_u16(ct, type, value);
}

void nfct_set_attr_u32(struct nf_conntrack *ct, const enum nf_conntrack_attr type,
		       uint32_t value)
{
	if (ready())
		lib.nfct_set_attr_u32(ct, type, value);
}

int nfct_snprintf_labels(char *buf, unsigned int size, const struct nf_conntrack *ct,
			 const unsigned int msg_type, const unsigned int out_type,
			 const unsigned int out_flags, struct nfct_labelmap *map)
{
	return ready() ? lib.nfct_snprintf_labels(buf, size, ct, msg_type, out_type, out_flags,
						  map) : -1;
}

struct nfct_labelmap *nfct_labelmap_new(const char *mapfile)
{
	return ready() ? lib.nfct_labelmap_new(mapfile) : NULL;
}

void nfct_labelmap_destroy(struct nfct_labelmap *map)
{
	if (ready())
		lib.nfct_labelmap_destroy(map);
}

int nfct_labelmap_get_bit(struct nfct_labelmap *m, const char *name)
{
	return ready() ? lib.nfct_labelmap_get_bit(m, name) : -1;
}
