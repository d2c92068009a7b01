/* Parses the times ctquery accepts: ISO 8601 (local or UTC), epoch seconds, or relative to now. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "timeparse.h"

int64_t time_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* Is z a zone abbreviation of letters only (as CET, CEST, EDT), short
 * enough to print and to be read back as one? */
static int letters_abbr(const char *z)
{
	size_t n = 0;

	for (; z && isalpha((unsigned char)z[n]); n++)
		;
	return z && n && n <= 8 && !z[n];
}

/* A change of the UTC offset is at most PLAIN_CHANGE seconds (tzdata's
 * largest is 2 hours), and two are more than PLAIN_LOOK seconds apart. */
#define PLAIN_CHANGE 7200
#define PLAIN_LOOK 10800

/* The last span of time found in one UTC offset of one zone, far enough
 * from any change that no local time in it was passed twice (per thread:
 * list formats its rows in time order, each of which would else look a day
 * around it up). */
static __thread struct {
	time_t lo, hi;
	long off;
	const char *zone;
} plain = { 1, 0, 0, NULL };

/* Is t (local time tm) in a span of one offset: the same PLAIN_LOOK before
 * and after it, so no local time within PLAIN_LOOK - PLAIN_CHANGE of it was
 * passed twice? Notes that span. */
static int in_plain_span(time_t t, const struct tm *tm)
{
	time_t b = t - PLAIN_LOOK, a = t + PLAIN_LOOK;
	struct tm tb, ta;

	if (t >= plain.lo && t <= plain.hi && tm->tm_gmtoff == plain.off &&
	    tm->tm_zone == plain.zone)
		return 1;
	if (!localtime_r(&b, &tb) || !localtime_r(&a, &ta) || tb.tm_gmtoff != tm->tm_gmtoff ||
	    ta.tm_gmtoff != tm->tm_gmtoff)
		return 0;
	plain.lo = t - (PLAIN_LOOK - PLAIN_CHANGE);
	plain.hi = t + (PLAIN_LOOK - PLAIN_CHANGE);
	plain.off = tm->tm_gmtoff;
	plain.zone = tm->tm_zone;
	return 1;
}

/* What follows a local time tm (of the instant t) that names two instants
 * (the hour repeated when summer time ends) to tell which: " " and its
 * zone's abbreviation, or its offset (" +01:00") when the abbreviation is
 * not letters or the other instant's is the same; else nothing. */
static void zone_suffix(char *buf, size_t size, time_t t, const struct tm *tm)
{
	time_t first, second, other;
	struct tm o;
	long off = tm->tm_gmtoff, a = off < 0 ? -off : off;

	buf[0] = 0;
	if (in_plain_span(t, tm) || time_local(tm, &first, &second) != 2)
		return;
	other = t == first ? second : first;
	if (letters_abbr(tm->tm_zone) && localtime_r(&other, &o) &&
	    (!o.tm_zone || strcmp(o.tm_zone, tm->tm_zone)))
		snprintf(buf, size, " %s", tm->tm_zone);
	else
		snprintf(buf, size, " %c%02ld:%02ld", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

void time_format(char *buf, unsigned size, int64_t t_us, int frac)
{
	time_t t = t_us / 1000000;
	int64_t us = t_us % 1000000;
	struct tm tm;
	size_t n;

	if (us < 0) {	/* before 1970: the second it falls in, not the one after */
		us += 1000000;
		t--;
	}
	if (!localtime_r(&t, &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	if (frac && n)
		n += (size_t)snprintf(buf + n, size - n, ".%06lld", (long long)us);
	if (n && n < size)
		zone_suffix(buf + n, size - n, t, &tm);
}

/* Reads exactly n digits at *p into *v, moving *p past them. Returns 0 or -1. */
static int digits(const char **p, int n, int *v)
{
	*v = 0;
	for (; n > 0; n--, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

/* Reads a fraction after a '.' (at *p, which moves past it) into µs. */
static int64_t fraction(const char **p)
{
	int64_t us = 0, scale = 100000;

	for (; isdigit((unsigned char)**p); (*p)++) {
		us += (**p - '0') * scale;
		scale /= 10;
	}
	return us;
}

/* Reads digits (at most 10^11) and an optional fraction at *p, which moves
 * past them: the whole part, and the fraction in µs. Returns 0 or -1. */
static int number(const char **p, int64_t *whole, int64_t *frac)
{
	*whole = *frac = 0;
	if (!isdigit((unsigned char)**p))
		return -1;
	for (; isdigit((unsigned char)**p); (*p)++) {
		*whole = *whole * 10 + (**p - '0');
		if (*whole > 100000000000LL)
			return -1;
	}
	if (**p == '.') {
		(*p)++;
		if (!isdigit((unsigned char)**p))
			return -1;
		*frac = fraction(p);
	}
	return 0;
}

/* Parses digits with an optional fraction into µs; end must be reached. */
static int parse_seconds(const char *s, int64_t *us)
{
	const char *p = s;
	int64_t sec, frac;

	if (number(&p, &sec, &frac) || *p)
		return -1;
	*us = sec * 1000000 + frac;
	return 0;
}

/* -N or +N with a unit (s, m, h, d, w), N digits with an optional fraction:
 * at most 10^11 seconds from now (3,000 years), as epoch seconds are. */
static int parse_relative(const char *s, int64_t now_us, int64_t *us)
{
	static const struct { char c; int64_t mult; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	int sign = *s == '-' ? -1 : 1;
	const char *p = s + 1;
	int64_t n, frac;
	size_t i;

	if (number(&p, &n, &frac) || !p[0] || p[1])
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].c == *p) {
			if (n * units[i].mult > 100000000000LL)
				return -1;
			*us = now_us + sign * (n * units[i].mult * 1000000 + frac * units[i].mult);
			return 0;
		}
	return -1;
}

static int days_in(int y, int mo)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : days[mo - 1];
}

/* Is t the local time wall (its date, hour, minute and second)? */
static int reads_as(time_t t, const struct tm *wall)
{
	struct tm tm;

	return localtime_r(&t, &tm) && tm.tm_year == wall->tm_year &&
	       tm.tm_mon == wall->tm_mon && tm.tm_mday == wall->tm_mday &&
	       tm.tm_hour == wall->tm_hour && tm.tm_min == wall->tm_min &&
	       tm.tm_sec == wall->tm_sec;
}

int time_local(const struct tm *wall, time_t *first, time_t *second)
{
	struct tm tm = *wall;
	time_t as_utc = timegm(&tm), cand;
	int i, n = 0;

	/* each offset from UTC in force within a day of it, not mktime(),
	 * whose reading of an hour passed twice depends on the times it was
	 * given before */
	for (i = -1; i <= 1; i++) {
		cand = as_utc + i * 86400;
		if (!localtime_r(&cand, &tm))
			continue;
		cand = as_utc - tm.tm_gmtoff;
		if (!reads_as(cand, wall) || (n && (cand == *first || cand == *second)))
			continue;
		if (!n++) {
			*first = *second = cand;
		} else if (cand < *first) {
			*second = *first;
			*first = cand;
		} else {
			*second = cand;
		}
	}
	return n > 2 ? 2 : n;
}

/* Of the instants the local time wall names, the one whose zone is
 * abbreviated abbr (as time_format() prints it after a time of the hour
 * repeated when summer time ends; any case) into *t. Returns 0, or -1 when
 * none is. */
static int local_in_zone(const struct tm *wall, const char *abbr, time_t *t)
{
	time_t cand[2];
	struct tm tm;
	int i, n = time_local(wall, &cand[0], &cand[1]);

	for (i = 0; i < n; i++)
		if (localtime_r(&cand[i], &tm) && tm.tm_zone && !strcasecmp(tm.tm_zone, abbr)) {
			*t = cand[i];
			return 0;
		}
	return -1;
}

/* Parses an ISO 8601 date and time: YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]]
 * [Z|(+|-)HH[[:]MM]], every field in its range; after a time, a space may
 * come before the Z or the offset, or a zone abbreviation of letters (UTC,
 * GMT, or one of the local zone's for that time: CET, CEST) may follow. */
static int parse_iso(const char *s, int64_t *us)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0, utc = 0, off = 0, n;
	int64_t frac = 0;
	const char *p = s, *abbr = NULL;
	time_t t, later;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -1;
	if (*p == ' ' || *p == 'T') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
			if (*p == '.') {
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				frac = fraction(&p);
			}
		}
		if (*p == ' ' && *++p == 0)
			return -1;
	}
	if (*p == 'Z' && !p[1]) {
		utc = 1;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om = 0;

		if (digits(&p, 2, &oh))
			return -1;
		if (*p == ':' && !*++p)
			return -1;
		if (*p && digits(&p, 2, &om))
			return -1;
		if (*p || oh > 23 || om > 59)
			return -1;
		utc = 1;
		off = sign * (oh * 3600 + om * 60);
	} else if (isalpha((unsigned char)*p) && p > s + 10) {
		for (abbr = p; isalpha((unsigned char)*p); p++)
			;
		if (*p)
			return -1;
		utc = !strcasecmp(abbr, "UTC") || !strcasecmp(abbr, "GMT");
	} else if (*p) {
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) || h > 23 || mi > 59 || sec > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm) - off;
	if (!utc && abbr && local_in_zone(&tm, abbr, &t))
		return time_local(&tm, &t, &later) ? TIME_NOT_ZONE : TIME_SKIPPED;
	n = utc || abbr ? 1 : time_local(&tm, &t, &later);	/* (of two, the first) */
	if (!n)
		return TIME_SKIPPED;
	*us = (int64_t)t * 1000000 + frac;
	return n == 2 ? TIME_TWICE : 0;
}

int time_parse(const char *s, int64_t now_us, int64_t *us)
{
	if (!strcmp(s, "now")) {
		*us = now_us;
		return 0;
	}
	if (*s == '-' || *s == '+')
		return parse_relative(s, now_us, us);
	if (*s == '@')
		return parse_seconds(s + 1, us);
	if (strlen(s) >= 10 && s[4] == '-')
		return parse_iso(s, us);
	return parse_seconds(s, us);
}
