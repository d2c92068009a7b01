/* Reads the kernel's start and stop times of a conntrack -E -o ktimestamp line, ctime() text in local time, choosing in an hour passed twice the readings the event's own time tells. */
#include <string.h>
#include <time.h>

#include "import_ktime.h"
#include "timeparse.h"

/* How far an event's kernel time may come before the one of the line
 * before it in a log (conntrack prints events in the order it receives
 * them; a stop is stamped when the entry dies, before its event is sent). */
#define KTIME_SLACK 600

int ktime_parse(const char *s, uint64_t r[2])
{
	struct tm tm;
	const char *end;
	time_t a, b;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a %b %d %H:%M:%S %Y", &tm);
	if (!end || *end)
		return -1;
	if (!time_local(&tm, &a, &b)) {
		tm.tm_isdst = -1;
		a = b = mktime(&tm);
	}
	if (a == (time_t)-1 || a < 0)
		return -1;
	r[0] = (uint64_t)a;
	r[1] = (uint64_t)b;
	return 0;
}

void ktime_choose(const struct ktimes *k, int64_t recv_us, uint64_t *last, uint64_t *start,
		  uint64_t *stop)
{
	uint64_t cs[4], ct[4], ce[4], d;
	int n = 0, best = -1, i, j, pass;

	/* the pairs of readings, those delta-time apart first pass, any after */
	for (pass = 0; pass < 2 && !n; pass++)
		for (i = 0; i < 2; i++)
			for (j = 0; j < 2; j++) {
				uint64_t s = k->start[i], t = k->stop[j];

				if ((!k->have_start && i) || (!k->have_stop && j))
					continue;
				if (!pass && k->have_start && k->have_stop && k->have_delta &&
				    (t < s || t - s != k->delta))
					continue;
				cs[n] = s;
				ct[n] = t;
				ce[n] = k->have_stop ? t : s + (k->have_delta ? k->delta : 0);
				n++;
			}
	for (i = 0; i < n; i++) {
		if (best < 0) {
			best = i;
		} else if (recv_us >= 0) {	/* nearest the receive time */
			uint64_t r = (uint64_t)(recv_us / 1000000);
			uint64_t di = ce[i] > r ? ce[i] - r : r - ce[i];

			d = ce[best] > r ? ce[best] - r : r - ce[best];
			if (di < d)
				best = i;
		} else if (*last) {	/* the earliest not before the line before */
			int ok_i = ce[i] + KTIME_SLACK >= *last,
			    ok_b = ce[best] + KTIME_SLACK >= *last;

			if ((ok_i && (!ok_b || ce[i] < ce[best])) ||
			    (!ok_i && !ok_b && ce[i] > ce[best]))
				best = i;
		} else if (ce[i] < ce[best]) {
			best = i;
		}
	}
	*start = cs[best];
	*stop = ct[best];
	*last = ce[best];
}
