/* Reads the kernel's start and stop times of a conntrack -E -o ktimestamp line, ctime() text in local time, choosing in an hour passed twice the readings the event's own time tells. */
#ifndef CT_IMPORT_KTIME_H
#define CT_IMPORT_KTIME_H

#include <stdint.h>

/* A line's [start=...] and [stop=...], each as its readings in seconds
 * since the epoch (two, earlier first, where the clocks passed that local
 * time twice; else both the same), and its delta-time=. */
struct ktimes {
	int have_start, have_stop, have_delta;
	uint64_t start[2], stop[2], delta;
};

/* ctime()'s text, "Sun Oct 25 02:30:00 2026" in local time (TZ), as its
 * readings r[0] <= r[1]. A local time the clocks skipped (a log from
 * another zone) is read as mktime() reads it. Returns 0, or -1 when s is
 * not such a time. */
int ktime_parse(const char *s, uint64_t r[2]);

/* Chooses the readings of k's start and stop into *start and *stop (those
 * k has): of the pairs delta-time apart (any, when none is), the one whose
 * event time (the stop; without one, delta-time after the start, when
 * conntrack printed the line) is nearest the line's receive time recv_us
 * (-o timestamp; -1 when it has none); else the earliest at or after the
 * event time chosen for the line before (*last, 0 before any; the log is in
 * order, give or take a few minutes), or the latest when all are before it;
 * else the earliest. Sets *last to this line's event time. */
void ktime_choose(const struct ktimes *k, int64_t recv_us, uint64_t *last, uint64_t *start,
		  uint64_t *stop);

#endif
