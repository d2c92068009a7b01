/* Parses the times ctquery accepts: ISO 8601 (local or UTC), epoch seconds, or relative to now. */
#ifndef CT_TIMEPARSE_H
#define CT_TIMEPARSE_H

#include <stdint.h>
#include <time.h>

/* What time_parse() found besides a time (TIME_TWICE) or instead (< 0). */
enum {
	TIME_TWICE = 1,		/* a local time without a zone the clocks passed twice: the first */
	TIME_BAD = -1,		/* not a time */
	TIME_SKIPPED = -2,	/* a local time the clocks skipped (summer time began) */
	TIME_NOT_ZONE = -3,	/* a zone abbreviation not the local zone's at that time */
};

/* Parses s into µs since the epoch. Accepted: "YYYY-MM-DD[( |T)HH:MM[:SS[.frac]]]"
 * in local time, or UTC with a trailing "Z", or with an offset "+HH:MM"/"-HHMM"
 * (a space may come before either), or followed by " ABBR": UTC, GMT, or the
 * abbreviation of the local zone at that time (what time_format() prints);
 * "@N" or "N" (epoch seconds, optionally with a fraction); "now"; and
 * "-N[smhdw]" or "+N[smhdw]" relative to now_us. Returns 0; TIME_TWICE for a
 * local time the clocks passed twice, *us the first of the two; or, without
 * reporting (the caller names the option), TIME_BAD, TIME_SKIPPED (a local
 * time the clocks skipped is refused, not read as an hour later) or
 * TIME_NOT_ZONE. */
int time_parse(const char *s, int64_t now_us, int64_t *us);

/* The instants that the local time wall names (its date, hour, minute and
 * second; the rest is not read): none when the clocks skipped it (0), one
 * (1: *first and *second), or two when they passed it twice (2: *first the
 * earlier). */
int time_local(const struct tm *wall, time_t *first, time_t *second);

/* The current time in µs since the epoch. */
int64_t time_now_us(void);

/* Formats t_us as "YYYY-MM-DD HH:MM:SS" local time, with ".uuuuuu" when frac;
 * a local time that names two instants (the hour repeated when summer time
 * ends) is followed by " " and its zone's abbreviation ("CEST", "CET"), or
 * its offset ("+11:00") when the abbreviations do not tell the two apart.
 * time_parse() reads it back. A size of 40 holds any. */
void time_format(char *buf, unsigned size, int64_t t_us, int frac);

#endif
