/* Formats a replay's events on several threads at once and writes them in the order they were stored. */
#ifndef CT_PARFORMAT_H
#define CT_PARFORMAT_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

struct store;
struct store_query;
struct ct_filter;
struct ct_fmt;

/* The most threads parformat() formats on: the store is read by one at a
 * time (a fifth to a quarter of an event's time), so past four more threads
 * would only queue for it. */
#define PARFORMAT_MAX_THREADS 4

/* What parformat() printed. */
struct parformat_result {
	int64_t shown;		/* events written */
	int64_t last_id;	/* the id of the last one; left as it was when none */
	int write_errno;	/* non-zero: writing to out failed, with this errno
				 * (not reported: out is the caller's) */
};

/* Returns non-zero when parformat() is the faster way to print with f and
 * prints what ct_fmt_event(f, ...) would: XML with -o labels, without
 * --pretty (libxml2 and its writer stay on one thread). The rest is faster
 * on one thread (ct_text.c and ct_xml.c write most lines): see parformat.c. */
int parformat_usable(const struct ct_fmt *f);

/* Prints to out the events q selects from st that flt matches, in the order
 * they were stored, at most max of them (0: all), each exactly as
 * ct_fmt_event(f, ...) prints it (ft_event_json() with json), with the XML
 * header before the first when f->header_done is not set (it is set then).
 * threads threads format (this one among them; 1 is allowed) while one at a
 * time reads the store: the caller does not touch st meanwhile. The calling
 * thread does every write to out (after flushing what its stdio buffer holds),
 * so a signal to it interrupts a write blocked on a full pipe. Once *stop is
 * non-zero it takes no new events and writes nothing more (the output may end
 * inside an event). Returns 0 when the events ran out, max was reached or
 * *stop was set; -1 on an error in reading or formatting an event (reported)
 * or in writing (r->write_errno): the events before it are printed, none
 * after. r is filled in every case. */
int parformat(struct store *st, const struct store_query *q, const struct ct_filter *flt,
	      int64_t max, struct ct_fmt *f, int json, int threads,
	      volatile sig_atomic_t *stop, FILE *out, struct parformat_result *r);

#endif
