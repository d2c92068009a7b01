/* Loading a shared library at its first use (query/lazy_load.c), for files that define the library's functions as forwarders to it. */
#ifndef CT_LAZY_LOAD_H
#define CT_LAZY_LOAD_H

#include <pthread.h>
#include <stddef.h>

/* Loads soname (RTLD_LOCAL: its own calls to these names stay inside it) and
 * its functions names[0..n) into slots[0..n). Returns 1, or -1 after saying
 * why, once, naming what needs it (`what`). */
int lazy_load(const char *soname, const char *what, const char *const *names, void **slots,
	      size_t n);

/* In such a file: the table of the functions of FUNCS (an X-macro list of
 * their names), ready() (is the library there? it is loaded at the first
 * call, from any thread) and FN(name), the library's own function, once
 * ready() said yes. */
#define LAZY_LIBRARY(FUNCS, soname, what) \
	enum { FUNCS(LAZY_INDEX) LAZY_NFUNCS }; \
	static const char *const lazy_names[] = { FUNCS(LAZY_NAME) }; \
	static void *lazy_slot[LAZY_NFUNCS]; \
	static int lazy_loaded;	/* 1 loaded, -1 failed (reported once) */ \
	static pthread_once_t lazy_once = PTHREAD_ONCE_INIT; \
	static void lazy_load_once(void) \
	{ \
		lazy_loaded = lazy_load(soname, what, lazy_names, lazy_slot, LAZY_NFUNCS); \
	} \
	static int ready(void) \
	{ \
		pthread_once(&lazy_once, lazy_load_once); \
		return lazy_loaded > 0; \
	}
#define LAZY_INDEX(name) LAZY_I_##name,
#define LAZY_NAME(name) #name,
#define FN(name) ((__typeof__(name) *)lazy_slot[LAZY_I_##name])

#endif
