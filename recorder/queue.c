/* A bounded queue of received datagrams between the receiving thread and the writing thread. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "queue.h"

/* Items live in one ring of bytes; an item never wraps: when it does not fit
 * before the end, a skip mark (len = UINT32_MAX) sends the reader to offset 0.
 *
 * One thread adds, one other reads. Everything shared is under lock, except
 * what the reader owns: cursor, consumed and known. known is the number of
 * unread bytes the reader saw under the lock; while it is not 0 the reader
 * reads, pops and skips without the lock. That is safe because the adder
 * only ever appends after tail, and moves cursor (the reset to offset 0 in
 * place()) only when used is 0, which known > 0 rules out (known <= used -
 * consumed). The items it reads were written before the unlock that
 * preceded the reader's lock, hence visible.
 *
 * Released room is given back to the kernel every TRIM_AT bytes: a writer
 * that lags a little all along never empties the ring, whose start is then
 * never reused before its end, and it would walk through all of its size
 * (256 MiB by default), keeping every page it touched.
 *
 * The ring is in huge pages (2 MiB) where the kernel allows them: walking
 * through fresh memory costs a page fault per page, and at 4 KiB that was
 * ~40,000 faults over the bench's storm (4% of the recorder's CPU). Trims
 * give back whole huge pages only, from trim_from, which is kept on a huge
 * page's start. */
#define SKIP UINT32_MAX
#define TRIM_AT (4u << 20)
#define HUGE_PAGE ((size_t)2 << 20)
#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t nonempty, nonfull;
	char *ring;
	size_t size;
	size_t head, tail, used, peak;	/* under lock; used counts a skipped end */
	size_t held;			/* under lock: bytes of items, no skipped end */
	size_t touched;			/* under lock: the furthest end of an item so far */
	size_t trim_from, untrimmed;	/* under lock: released room still in memory */
	int closed;			/* under lock */
	/* the reader's own */
	size_t cursor;		/* the next item to read; head..cursor is read, not released */
	size_t consumed;	/* bytes between head and cursor */
	size_t consumed_items;	/* of which items' (not a skipped end) */
	size_t known;		/* unread bytes the reader knows were added */
	/* the adder's own */
	int unflushed;		/* items added since the last wake-up */
};

struct queue *queue_new(size_t capacity)
{
	struct queue *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->size = ALIGN8(capacity);
	if (posix_memalign((void **)&q->ring, HUGE_PAGE, q->size)) {
		free(q);
		return NULL;
	}
	madvise(q->ring, q->size, MADV_HUGEPAGE);
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->nonempty, NULL);
	pthread_cond_init(&q->nonfull, NULL);
	return q;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->nonempty);
	pthread_cond_destroy(&q->nonfull);
	free(q->ring);
	free(q);
}

/* Where an item of need bytes goes, or -1 when it does not fit now. */
static long place(struct queue *q, size_t need)
{
	if (q->used == 0) {
		q->head = q->tail = q->cursor = 0;
		q->trim_from = 0;
		q->untrimmed = 0;
		return need <= q->size ? 0 : -1;
	}
	if (q->tail > q->head) {	/* data in [head, tail) */
		if (q->tail + need <= q->size)
			return q->tail;
		return need <= q->head ? 0 : -1;
	}
	/* data wraps: free space is [tail, head) */
	return q->tail + need <= q->head ? (long)q->tail : -1;
}

/* The room an item takes in the ring. */
static size_t item_room(size_t len, size_t name_len)
{
	return ALIGN8(sizeof(struct qitem) + len + name_len);
}

int queue_add(struct queue *q, const struct qitem *head, const void *data, size_t len,
	      const char *name)
{
	size_t nlen = name ? strnlen(name, CT_PROGNAME_MAX - 1) : 0;
	size_t need = item_room(len, nlen);
	struct qitem *it;
	long at;

	if (need > q->size) {
		errno = EMSGSIZE;
		return -1;
	}
	pthread_mutex_lock(&q->lock);
	if (!q->closed && (at = place(q, need)) < 0) {
		/* Full: the reader must not sleep on items it was not told about. */
		if (q->unflushed) {
			q->unflushed = 0;
			pthread_cond_signal(&q->nonempty);
		}
		while (!q->closed && (at = place(q, need)) < 0)
			pthread_cond_wait(&q->nonfull, &q->lock);
	}
	if (q->closed) {
		pthread_mutex_unlock(&q->lock);
		errno = EPIPE;
		return -1;
	}
	if (at == 0 && q->used && q->tail != 0) {
		/* Mark the unused end so the reader wraps too. */
		if (q->tail + sizeof(uint32_t) <= q->size)
			((struct qitem *)(q->ring + q->tail))->len = SKIP;
		q->used += q->size - q->tail;
	}
	it = (struct qitem *)(q->ring + at);
	*it = *head;
	it->len = len;
	it->name_len = (uint8_t)nlen;
	if (len)
		memcpy(it->data, data, len);
	if (nlen)
		memcpy(it->data + len, name, nlen);
	q->tail = at + need;
	if (q->tail > q->touched)
		q->touched = q->tail;
	q->used += need;
	q->held += need;
	if (q->held > q->peak)
		q->peak = q->held;
	pthread_mutex_unlock(&q->lock);
	q->unflushed = 1;
	return 0;
}

void queue_flush(struct queue *q)
{
	if (!q->unflushed)
		return;
	q->unflushed = 0;
	/* No lock needed: a reader that found nothing did so under the lock
	 * before queue_add() took it, so it is already counted as a waiter. */
	pthread_cond_signal(&q->nonempty);
}

const struct qitem *queue_peek(struct queue *q, int64_t timeout_us)
{
	struct timespec until;
	struct qitem *it;

	if (q->known == 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += timeout_us / 1000000;
		until.tv_nsec += (timeout_us % 1000000) * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&q->lock);
		while (q->used == q->consumed && !q->closed)
			if (pthread_cond_timedwait(&q->nonempty, &q->lock, &until) == ETIMEDOUT)
				break;
		q->known = q->used - q->consumed;
		pthread_mutex_unlock(&q->lock);
		if (q->known == 0)
			return NULL;
	}
	if (q->cursor + sizeof(uint32_t) > q->size ||
	    ((struct qitem *)(q->ring + q->cursor))->len == SKIP) {
		/* An item follows: the skip and it were added together. */
		q->consumed += q->size - q->cursor;
		q->known -= q->size - q->cursor;
		q->cursor = 0;
	}
	it = (struct qitem *)(q->ring + q->cursor);
	return it;
}

const struct qitem *queue_peek_known(struct queue *q)
{
	return q->known ? queue_peek(q, 0) : NULL;
}

void queue_pop(struct queue *q)
{
	struct qitem *it = (struct qitem *)(q->ring + q->cursor);
	size_t n = item_room(it->len, it->name_len);

	q->cursor += n;
	q->consumed += n;
	q->consumed_items += n;
	q->known -= n;
	if (q->cursor >= q->size)
		q->cursor = 0;
}

/* Gives the huge pages inside ring bytes [from, to) back to the kernel (they
 * read as zeros after); from is a huge page's start (the ring's is). Only
 * for room no item holds and none can take meanwhile: under the lock,
 * before head moves past it. Returns where the next trim starts: the start
 * of the huge page to was in (or to, at the ring's end, whose last small
 * page stays). */
static size_t trim(struct queue *q, size_t from, size_t to)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t b = to & ~((to == q->size ? page : HUGE_PAGE) - 1);

	if (b > from)
		madvise(q->ring + from, b - from, MADV_DONTNEED);
	return b > from ? b : from;
}

void queue_release(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	/* The room released since the last trim, [trim_from, cursor), is free,
	 * but the adder may have come round into its older part (only when
	 * the items left and it fill the ring: its pages are in use then). */
	q->untrimmed += q->consumed;
	if (q->untrimmed >= TRIM_AT) {
		if (q->used - q->consumed + q->untrimmed <= q->size) {
			if (q->cursor >= q->trim_from) {
				q->trim_from = trim(q, q->trim_from, q->cursor);
			} else {	/* the released room wraps */
				trim(q, q->trim_from, q->size);
				q->trim_from = trim(q, 0, q->cursor);
			}
		} else {
			q->trim_from = q->cursor & ~(HUGE_PAGE - 1);
		}
		/* the released room not given back yet: [trim_from, cursor) */
		q->untrimmed = q->cursor - q->trim_from;
	}
	q->used -= q->consumed;
	q->held -= q->consumed_items;
	q->head = q->cursor;
	q->consumed = 0;
	q->consumed_items = 0;
	pthread_cond_signal(&q->nonfull);
	pthread_mutex_unlock(&q->lock);
}

int queue_release_due(const struct queue *q)
{
	return q->consumed >= q->size / 2;
}

size_t queue_rewind(struct queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->consumed;
	q->cursor = q->head;
	q->consumed = 0;
	q->consumed_items = 0;
	q->known = 0;	/* the next peek counts again, under the lock */
	pthread_mutex_unlock(&q->lock);
	return n;
}

void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_broadcast(&q->nonempty);
	pthread_cond_broadcast(&q->nonfull);
	pthread_mutex_unlock(&q->lock);
}

int queue_drained(struct queue *q)
{
	int drained;

	pthread_mutex_lock(&q->lock);
	drained = q->closed && q->used == q->consumed;
	pthread_mutex_unlock(&q->lock);
	return drained;
}

/* A counter the adder changes, read under the lock. */
static size_t read_locked(struct queue *q, const size_t *counter)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = *counter;
	pthread_mutex_unlock(&q->lock);
	return n;
}

size_t queue_used(struct queue *q)
{
	return read_locked(q, &q->held);
}

size_t queue_peak(struct queue *q)
{
	return read_locked(q, &q->peak);
}

size_t queue_touched(struct queue *q)
{
	return read_locked(q, &q->touched);
}
