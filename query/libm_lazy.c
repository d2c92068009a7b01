/* Loads libm the first time ctquery needs it, by defining the math functions that SQLite's SQL functions call as forwarders to libm's. */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>

#include "log.h"

/* SQLite, linked in (Makefile), calls these only for its SQL math functions
 * (log(), pow(), sin()... in a --where expression). Loading libm for them
 * cost every ctquery run 50 us of its start (a hello world with and without
 * it, 2,000 runs: 425 against 374 us), 4% of a selective query. ctquery is
 * linked without -lm, so these definitions are the ones SQLite reaches; the
 * link fails if SQLite calls one more (add it to the lists then). The
 * soname is glibc's. */
#ifndef LIBM_SONAME
#define LIBM_SONAME "libm.so.6"
#endif

#define MATH_FUNCS1(X) \
	X(acos) X(acosh) X(asin) X(asinh) X(atan) X(atanh) X(cos) X(cosh) X(exp) X(log) \
	X(sin) X(sinh) X(sqrt) X(tan) X(tanh) X(trunc)
#define MATH_FUNCS2(X) X(atan2) X(fmod) X(pow)

static struct {
#define X(name) double (*name)(double);
	MATH_FUNCS1(X)
#undef X
#define X(name) double (*name)(double, double);
	MATH_FUNCS2(X)
#undef X
} lib;

static int loaded;	/* 1 loaded, -1 failed (reported once) */
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen(LIBM_SONAME, RTLD_NOW | RTLD_LOCAL);

	loaded = -1;
	if (!h) {
		log_error("cannot load %s (SQL's math functions need it): %s", LIBM_SONAME,
			  dlerror());
		return;
	}
#define X(name) \
	if (!(*(void **)&lib.name = dlsym(h, #name))) { \
		log_error("%s lacks %s", LIBM_SONAME, #name); \
		return; \
	}
	MATH_FUNCS1(X)
	MATH_FUNCS2(X)
#undef X
	loaded = 1;
}

/* Is libm there? Loads it at the first call (from any thread). */
static int ready(void)
{
	pthread_once(&load_once, load);
	return loaded > 0;
}

/* Without libm each returns NaN (SQLite gives NULL for a NaN result). */
#define X(name) \
	double name(double x) \
	{ \
		return ready() ? lib.name(x) : NAN; \
	}
MATH_FUNCS1(X)
#undef X
#define X(name) \
	double name(double x, double y) \
	{ \
		return ready() ? lib.name(x, y) : NAN; \
	}
MATH_FUNCS2(X)
#undef X
