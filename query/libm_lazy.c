/* Loads libm the first time ctquery needs it, by defining the math functions that SQLite's SQL functions call as forwarders to libm's. */
#include <math.h>

#include "lazy_load.h"

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

#define MATH_FUNCS(X) MATH_FUNCS1(X) MATH_FUNCS2(X)

LAZY_LIBRARY(MATH_FUNCS, LIBM_SONAME, "SQL's math functions need it")

/* Without libm each returns NaN (SQLite gives NULL for a NaN result). */
#define X(name) \
	double name(double x) \
	{ \
		return ready() ? FN(name)(x) : NAN; \
	}
MATH_FUNCS1(X)
#undef X
#define X(name) \
	double name(double x, double y) \
	{ \
		return ready() ? FN(name)(x, y) : NAN; \
	}
MATH_FUNCS2(X)
#undef X
