/* Formats a replay's events on several threads at once and writes them in the order they were stored. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "cond_wait.h"
#include "ct_format.h"
#include "filter.h"
#include "filter_text.h"
#include "log.h"
#include "outwait.h"
#include "parformat.h"
#include "readahead.h"
#include "store.h"
#include "thread_start.h"

/*
 * How it goes: each thread in turn takes the next BATCH events from the
 * store cursor under the lock rd (SQLite's cursor is one thread's at a
 * time), with a sequence number; formats them outside the lock into the
 * output slot of that number; then hands the slot over under the lock wr.
 * Only the calling thread (worker 0) writes the slots to out, in order:
 * after each batch of its own, when the window is full, and at the end. It
 * is the thread that a SIGINT or SIGTERM reaches (the others block every
 * signal), so a write blocked on a full pipe is interrupted and the replay
 * stops; a helper blocked there could not be (t3400).
 *
 * Memory is bounded: a thread takes sequence number n only once every
 * number up to n - WINDOW is written, so at most WINDOW slots are filled
 * or waiting. Each thread has BATCH events of about 4.3 KB (struct
 * ct_event keeps room for 4 KB of verbatim attributes; the untouched part
 * costs no memory) and a slot holds BATCH lines of at most about 1.2 KB
 * (conntrack's 1023 bytes, the [USERSPACE] suffix, the -o timestamp
 * prefix) in a buffer that grows by doubling: at most 4 threads * 2.2 MB
 * + 8 slots * 1.2 MB, under 20 MB (a tenth of that in practice).
 *
 * Thread safety of the formatter, read in libnetfilter_conntrack's sources
 * (1.0.9, Debian 12) and checked in its binary:
 * - src/conntrack/snprintf.c, __snprintf_conntrack(): dispatches on the
 *   output type; its tables (l3proto2str, proto2str, states, ...) are const.
 * - snprintf_default.c (NFCT_O_DEFAULT) writes only the caller's buffer.
 *   __snprintf_address_ipv4() uses inet_ntoa(), whose buffer glibc keeps
 *   per thread (inet/inet_ntoa.c: "static __thread char buffer[18]"; the
 *   disassembly of libc.so.6 adds %fs:0); __snprintf_address_ipv6() calls
 *   inet_ntop() into a local "char tmp[INET6_ADDRSTRLEN]". But with
 *   NFCT_OF_TIMESTAMP (-o ktimestamp), __snprintf_timestamp_start() and
 *   _stop() call ctime(): glibc's localtime() fills one static struct tm
 *   and asctime() one static string. Not reentrant.
 * - snprintf_xml.c (NFCT_O_XML): __snprintf_ipv6_xml() has
 *   "static char tmp[INET6_ADDRSTRLEN];" for inet_ntop(): two threads
 *   formatting IPv6 addresses at once can print each other's. The library's
 *   whole .bss is those 48 bytes (readelf -S: .bss size 0x30, no .data),
 *   and only __snprintf_addr_xml() takes their address, as inet_ntop()'s
 *   destination. IPv4 goes through inet_ntoa() as above; NFCT_OF_TIME uses
 *   time() and localtime_r(); timestamps are printed as numbers. Reentrant
 *   for IPv4 tuples only.
 * - labels.c, __labelmap_get_name(): reads the map, never writes it.
 * - Parsing (nfct_nlmsg_parse), the setters, nfct_new and nfct_destroy
 *   write only the object (and malloc): no other writable data exists.
 * So the events whose formatting would touch shared state are formatted
 * under one more lock (excl), see exclusive(); the rest in parallel. (Text,
 * JSON and XML without -o labels are left to the one-thread way:
 * parformat_usable().)
 *
 * Our side: ct_fmt_event() writes f->header_done, so each thread formats
 * with a copy of f; lib/ct_format.c's build() keeps whether the library
 * parses CTA_TIMESTAMP_EVENT in a static that it fills on first use, so
 * that is asked once before the threads start (prime_format); set_when()
 * uses localtime_r(), TZ is set by ct_fmt_open() before; filter_match()
 * runs under rd; ft_event_json() uses gmtime_r() and local buffers;
 * ct_text_format(), which ct_fmt_event() tries first for text, writes only
 * the caller's buffer and reads time() (it leaves -o ktimestamp to the
 * library, so exclusive() stays as it is). ct_xml_format(), tried first
 * for XML, writes only the caller's buffer and reads time() and
 * localtime_r() too; but ct_fmt_event() skips it with -o labels, the only
 * XML this file formats now (parformat_usable()), so every XML line here
 * goes through the library and exclusive() stays as it is.
 */

/* Events a thread takes at a time: the locks are met once per batch. */
#define BATCH 512
#define WINDOW (2 * PARFORMAT_MAX_THREADS)

/* One batch's output, from formatting to writing. */
struct slot {
	char *data;
	size_t len, cap;
	int64_t n;		/* events in data */
	int64_t last_id;	/* the id of the last of them */
	int failed;		/* reading or formatting failed after them */
	int ready;		/* formatted, waiting to be written (under wr) */
};

struct par;

struct worker {
	struct par *p;
	pthread_t thread;
	int writes;		/* worker 0: the one that writes the slots */
	struct ra_event *ev;	/* BATCH events */
	FILE *f;		/* writes into cur (fopencookie) */
	struct slot *cur;
	struct ct_fmt fmt;	/* the caller's, with a header_done of its own */
};

struct par {
	/* reading: under rd */
	pthread_mutex_t rd;
	struct store_cursor *c;
	const struct ct_filter *flt;
	int64_t max, taken;
	uint64_t next_seq;
	int ended;		/* nothing more to take */
	volatile sig_atomic_t *stop;

	/* writing: under wr */
	pthread_mutex_t wr;
	pthread_cond_t room;	/* next_write moved on, or a slot is ready */
	uint64_t next_write;
	int failed;		/* a written slot failed: write nothing more */
	int write_errno;	/* why writing failed (the writer's only) */
	int64_t shown, last_id;
	struct slot slot[WINDOW];
	FILE *out;

	/* formatting */
	pthread_mutex_t excl;	/* around what uses the library's shared state */
	int json, header_done;
};

/* Non-zero when formatting ev with f touches state shared between threads
 * (see the top of this file). Errs on the safe side: ev's extra attributes
 * are not looked into. */
static int exclusive(const struct ct_fmt *f, const struct ct_event *ev)
{
	if (f->xml)	/* the library goes by ev->family; the tuples' own, to be safe */
		return ev->family != AF_INET || ev->orig.l3 != AF_INET ||
		       ev->reply.l3 != AF_INET;
	if (f->ktimestamp)
		return (ev->has & (CT_HAS_TS_START | CT_HAS_TS_STOP)) || ev->extra_len;
	return 0;
}

/* The cookie write of a worker's stream: appends to its current slot.
 * Returns size, or -1 when memory runs out (the stream's error flag is set). */
static ssize_t slot_write(void *cookie, const char *buf, size_t size)
{
	struct worker *w = cookie;
	struct slot *s = w->cur;

	if (s->len + size > s->cap) {
		size_t cap = s->cap ? s->cap : 1 << 17;
		char *d;

		while (cap < s->len + size)
			cap *= 2;
		d = realloc(s->data, cap);
		if (!d)
			return -1;
		s->data = d;
		s->cap = cap;
	}
	memcpy(s->data + s->len, buf, size);
	s->len += size;
	return (ssize_t)size;
}

/* Waits on room, under wr, a tenth of a second at most: a request to stop
 * comes as a signal, which wakes no one. Returns ETIMEDOUT when nothing
 * woke it. */
static int wait_room(struct par *p)
{
	return cond_wait_ms(&p->room, &p->wr, 100);
}

/* Writes [d, d + n) to fd, unless asked to stop meanwhile: a signal that
 * comes when part of a write is done makes it return that part, and
 * stdio would write the rest, waiting again (on a pipe nobody reads, for
 * ever). Returns 0, or errno on a write error (for the caller to report). */
static int write_out(int fd, const char *d, size_t n, volatile sig_atomic_t *stop)
{
	while (n && !*stop) {
		ssize_t k = write(fd, d, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno;
		d += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Writes the slots that are ready, in order, under wr (released while
 * writing). Called by the writer only. After a request to stop nothing
 * more is written: the slots are only passed over. */
static void write_ready(struct par *p)
{
	struct slot *s;

	while ((s = &p->slot[p->next_write % WINDOW])->ready) {
		int skip = p->failed || *p->stop;

		pthread_mutex_unlock(&p->wr);
		if (!skip && s->len && (p->write_errno = write_out(fileno(p->out), s->data,
								   s->len, p->stop)))
			s->failed = 1;
		pthread_mutex_lock(&p->wr);
		if (!skip) {
			p->shown += s->n;
			if (s->n)
				p->last_id = s->last_id;
			p->failed = s->failed;
		}
		s->ready = 0;
		p->next_write++;
		pthread_cond_broadcast(&p->room);
	}
}

/* Takes the next batch into w->ev: *seq its number, *n its events, *failed
 * set when reading failed after them (reported). Waits until its slot is
 * free (the writer writes what is ready meanwhile). Returns 1, or 0 when
 * there is nothing more to take. */
static int take(struct worker *w, uint64_t *seq, int *n, int *failed)
{
	struct par *p = w->p;
	int rc, stop, idle = 0;

	*n = 0;
	*failed = 0;
	/* lock order: rd, then wr; a thread waits for room without rd, which
	 * the writer needs to take its own batches */
	for (;;) {
		pthread_mutex_lock(&p->rd);
		pthread_mutex_lock(&p->wr);
		stop = p->ended || p->failed || *p->stop;
		if (stop || p->next_seq < p->next_write + WINDOW)
			break;
		pthread_mutex_unlock(&p->rd);
		if (w->writes && p->slot[p->next_write % WINDOW].ready)
			write_ready(p);
		else if (wait_room(p))
			idle++;
		pthread_mutex_unlock(&p->wr);
		/* the output waited this long (nobody reads it): the cursor
		 * gives up its snapshot (an error fails its next event) */
		if (idle == RELEASE_AFTER_MS / 100) {
			pthread_mutex_lock(&p->rd);
			store_cursor_release(p->c);
			pthread_mutex_unlock(&p->rd);
		}
	}
	pthread_mutex_unlock(&p->wr);
	if (stop) {
		p->ended = 1;
		pthread_mutex_unlock(&p->rd);
		return 0;
	}
	*seq = p->next_seq++;
	while (*n < BATCH) {
		struct ra_event *e = &w->ev[*n];

		rc = store_next(p->c, &e->ev, &e->flow);
		if (rc <= 0) {
			p->ended = 1;
			*failed = rc < 0;
			break;
		}
		if (!filter_match(p->flt, &e->ev))
			continue;
		e->id = store_cursor_event_id(p->c);
		(*n)++;
		if (p->max && ++p->taken >= p->max) {
			p->ended = 1;
			break;
		}
	}
	pthread_mutex_unlock(&p->rd);
	return 1;
}

/* Formats the n events of w->ev into s, stopping at the first that cannot
 * be (reported). The events that need it are formatted under excl, held
 * over a run of them: when all need it, once per batch. (Holding it over
 * the whole batch whenever a quarter or more need it was slower with a
 * quarter or half of the flows IPv6 in XML, and no faster with all.) */
static void format(struct worker *w, struct slot *s, uint64_t seq, int n)
{
	struct par *p = w->p;
	int i, need, locked = 0;

	s->len = 0;
	s->n = 0;
	w->cur = s;
	/* the XML header goes before the first event, which is in batch 0 */
	w->fmt.header_done = seq == 0 ? p->header_done : 1;
	for (i = 0; i < n; i++) {
		const struct ra_event *e = &w->ev[i];

		need = !p->json && exclusive(&w->fmt, &e->ev);
		if (need != locked) {
			if (need)
				pthread_mutex_lock(&p->excl);
			else
				pthread_mutex_unlock(&p->excl);
			locked = need;
		}
		if (p->json) {
			ft_event_json(&e->ev, e->flow, w->fmt.labelmap, w->f);
		} else if (ct_fmt_event(&w->fmt, &e->ev, w->f)) {
			s->failed = 1;
			break;
		}
		s->n++;
		s->last_id = e->id;
	}
	if (locked)
		pthread_mutex_unlock(&p->excl);
	if (fflush(w->f) || ferror(w->f)) {
		log_error("out of memory");
		clearerr(w->f);
		s->failed = 1;
	}
}

/* Hands slot seq over; the writer then writes what is ready. */
static void hand_over(struct worker *w, uint64_t seq)
{
	struct par *p = w->p;

	pthread_mutex_lock(&p->wr);
	p->slot[seq % WINDOW].ready = 1;
	if (w->writes)
		write_ready(p);
	else
		pthread_cond_broadcast(&p->room);
	pthread_mutex_unlock(&p->wr);
}

/* The writer, once nothing more is to be taken: writes the batches the
 * others are still formatting as they come, unless asked to stop. */
static void write_rest(struct par *p)
{
	uint64_t taken;

	pthread_mutex_lock(&p->rd);
	taken = p->next_seq;	/* final: p->ended is set */
	pthread_mutex_unlock(&p->rd);
	pthread_mutex_lock(&p->wr);
	while (p->next_write < taken && !*p->stop) {
		write_ready(p);
		if (p->next_write < taken)
			wait_room(p);
	}
	pthread_cond_broadcast(&p->room);
	pthread_mutex_unlock(&p->wr);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t seq;
	int n, failed;

	while (take(w, &seq, &n, &failed)) {
		struct slot *s = &w->p->slot[seq % WINDOW];

		s->failed = failed;
		format(w, s, seq, n);
		hand_over(w, seq);
	}
	if (w->writes)
		write_rest(w->p);
	return NULL;
}

/* build() in lib/ct_format.c asks the library once whether it parses
 * CTA_TIMESTAMP_EVENT and keeps the answer in a static: ask it now, on one
 * thread, so that the workers only read it. */
static void prime_format(void)
{
	struct ct_event *ev = calloc(1, sizeof(*ev));
	struct nf_conntrack *ct = nfct_new();

	if (ev && ct) {
		ev->type = CT_EV_NEW;
		ev->family = ev->orig.l3 = ev->reply.l3 = AF_INET;
		ev->has = CT_HAS_KTIME;
		ev->ktime = 1;
		ct_fmt_build(ev, ct);
	}
	if (ct)
		nfct_destroy(ct);
	free(ev);
}

int parformat_usable(const struct ct_fmt *f)
{
	/* Text: most lines are written by ct_text_format(), faster than the
	 * store is read; on 2.7 million events one formatting thread took
	 * 2.1-2.7 s and two 2.5-2.8 s. (With -o ktimestamp the library's
	 * ctime() calls take turns: two threads were no faster either, 12.0 s
	 * against 11.8 s.) JSON, 1M events: one 3.5-3.8 s, two 3.3-4.1 s.
	 * XML: the same since ct_xml_format() writes most lines: on those
	 * 2.7 million events (-o xml) one thread took 2.4-2.8 s and two
	 * 2.7-2.9 s; -o xml,id 2.3-2.8 s against 2.7 s, -o xml,timestamp
	 * 2.4-2.9 s against 2.9-3.0 s, -o xml,ktimestamp 2.2-2.7 s against
	 * 2.7-2.8 s (through the library alone it was one 9.9-14 s, two
	 * 7.1-9.8 s). With -o labels every line still goes through the
	 * library (format_line() in ct_format.c), and there threads still
	 * pay: -o xml,labels took 14.8-17.6 s on one thread and 8.9-10.0 s on
	 * two. */
	return f->xml && !f->pretty && (f->labels || f->labelmap);
}

static const cookie_io_functions_t slot_io = { .write = slot_write };

int parformat(struct store *st, const struct store_query *q, const struct ct_filter *flt,
	      int64_t max, struct ct_fmt *f, int json, int threads,
	      volatile sig_atomic_t *stop, FILE *out, struct parformat_result *r)
{
	struct worker w[PARFORMAT_MAX_THREADS] = { 0 };
	struct par p = { .flt = flt, .max = max, .stop = stop, .out = out, .json = json,
			 .header_done = f->header_done, .last_id = r->last_id };
	int i, started = 0, rc = -1;

	r->shown = 0;
	r->write_errno = 0;
	if (threads < 1)
		threads = 1;
	if (threads > PARFORMAT_MAX_THREADS)
		threads = PARFORMAT_MAX_THREADS;
	for (i = 0; i < threads; i++) {
		w[i].p = &p;
		w[i].writes = i == 0;
		w[i].fmt = *f;
		w[i].ev = malloc(BATCH * sizeof(*w[i].ev));
		w[i].f = fopencookie(&w[i], "w", slot_io);
		if (!w[i].ev || !w[i].f) {
			log_error("out of memory");
			goto out;
		}
		setvbuf(w[i].f, NULL, _IONBF, 0);	/* straight into the slot */
	}
	p.c = store_events(st, q);
	if (!p.c)
		goto out;
	/* the slots go straight to the file, after what stdio holds */
	if (fflush(out)) {
		store_cursor_free(p.c);
		r->write_errno = errno;
		goto out;
	}
	prime_format();
	pthread_mutex_init(&p.rd, NULL);
	pthread_mutex_init(&p.wr, NULL);
	pthread_mutex_init(&p.excl, NULL);
	pthread_cond_init(&p.room, NULL);
	/* this thread is worker 0; fewer threads than asked only cost time */
	for (started = 1; started < threads; started++)
		if (thread_start(&w[started].thread, work, &w[started]))
			break;
	work(&w[0]);
	for (i = 1; i < started; i++)
		pthread_join(w[i].thread, NULL);
	pthread_cond_destroy(&p.room);
	pthread_mutex_destroy(&p.excl);
	pthread_mutex_destroy(&p.wr);
	pthread_mutex_destroy(&p.rd);
	store_cursor_free(p.c);
	if (p.shown)
		f->header_done = 1;
	r->shown = p.shown;
	r->last_id = p.last_id;
	r->write_errno = p.write_errno;
	rc = p.failed ? -1 : 0;
out:
	for (i = 0; i < WINDOW; i++)
		free(p.slot[i].data);
	for (i = 0; i < threads; i++) {
		if (w[i].f)
			fclose(w[i].f);
		free(w[i].ev);
	}
	return rc;
}
