/* Parses the times ctquery accepts: ISO 8601 (local or UTC), epoch seconds, or relative to now. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "timeparse.h"

int64_t time_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

void time_format(char *buf, unsigned size, int64_t t_us, int frac)
{
	time_t t = t_us / 1000000;
	struct tm tm;
	size_t n;

	if (!localtime_r(&t, &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	if (frac && n)
		snprintf(buf + n, size - n, ".%06lld", (long long)(t_us % 1000000));
}

/* Parses digits with an optional fraction into µs; end must be reached. */
static int parse_seconds(const char *s, int64_t *us)
{
	char *end;
	long long sec;
	int64_t frac = 0, scale = 100000;

	if (!isdigit((unsigned char)*s))
		return -1;
	sec = strtoll(s, &end, 10);
	if (*end == '.') {
		for (end++; isdigit((unsigned char)*end); end++) {
			frac += (*end - '0') * scale;
			scale /= 10;
		}
	}
	if (*end || sec > 100000000000LL)
		return -1;
	*us = sec * 1000000 + frac;
	return 0;
}

static int parse_relative(const char *s, int64_t now_us, int64_t *us)
{
	static const struct { char c; int64_t mult; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
	};
	int sign = *s == '-' ? -1 : 1;
	char *end;
	double n;
	size_t i;

	if (!isdigit((unsigned char)s[1]))
		return -1;
	n = strtod(s + 1, &end);
	if (!end[0] || end[1])
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].c == *end) {
			*us = now_us + sign * (int64_t)(n * units[i].mult * 1e6);
			return 0;
		}
	return -1;
}

/* Parses an ISO 8601 date and time. */
static int parse_iso(const char *s, int64_t *us)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, n = 0, utc = 0, off = 0;
	double sec = 0;
	const char *p;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	p = s + n;
	if (*p == ' ' || *p == 'T') {
		int k = 0;

		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &k) != 2 || k != 5)
			return -1;
		p += 1 + k;
		if (*p == ':') {
			char *end;

			if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
				return -1;
			sec = strtod(p + 1, &end);
			if (end - (p + 1) < 2)
				return -1;
			p = end;
		}
	}
	if (*p == 'Z' && !p[1]) {
		utc = 1;
	} else if ((*p == '+' || *p == '-') && strlen(p) >= 3) {
		int oh, om = 0;

		if (sscanf(p + 1, "%2d:%2d", &oh, &om) < 1 && sscanf(p + 1, "%2d%2d", &oh, &om) < 1)
			return -1;
		if (strspn(p + 1, "0123456789:") != strlen(p + 1))
			return -1;
		utc = 1;
		off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	} else if (*p) {
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec >= 61)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = (int)sec;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) - off : mktime(&tm);
	if (t == (time_t)-1 && !(y == 1969 || y == 1970))
		return -1;
	*us = (int64_t)t * 1000000 + (int64_t)((sec - (int)sec) * 1e6 + 0.5);
	return 0;
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
