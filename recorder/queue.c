/* A bounded queue of received datagrams between the receiving thread and the writing thread. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue.h"

/* Items live in one ring of bytes; an item never wraps: when it does not fit
 * before the end, a skip mark (len = UINT32_MAX) sends the reader to offset 0. */
#define SKIP UINT32_MAX
#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t nonempty, nonfull;
	char *ring;
	size_t size, head, tail, used, peak;
	size_t cursor;		/* the next item to read; head..cursor is read, not released */
	size_t consumed;	/* bytes between head and cursor */
	int closed;
};

struct queue *queue_new(size_t capacity)
{
	struct queue *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->size = ALIGN8(capacity);
	q->ring = malloc(q->size);
	if (!q->ring) {
		free(q);
		return NULL;
	}
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

int queue_put(struct queue *q, const struct qitem *head, const void *data, size_t len)
{
	size_t need = ALIGN8(sizeof(struct qitem) + len);
	struct qitem *it;
	long at;

	if (need > q->size)
		return -1;
	pthread_mutex_lock(&q->lock);
	while (!q->closed && (at = place(q, need)) < 0)
		pthread_cond_wait(&q->nonfull, &q->lock);
	if (q->closed) {
		pthread_mutex_unlock(&q->lock);
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
	if (len)
		memcpy(it->data, data, len);
	q->tail = at + need;
	q->used += need;
	if (q->used > q->peak)
		q->peak = q->used;
	pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

const struct qitem *queue_peek(struct queue *q, int64_t timeout_us)
{
	struct timespec until;
	const struct qitem *it = NULL;

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
	if (q->used > q->consumed) {
		if (q->cursor + sizeof(uint32_t) > q->size ||
		    ((struct qitem *)(q->ring + q->cursor))->len == SKIP) {
			q->consumed += q->size - q->cursor;
			q->cursor = 0;
		}
		it = (const struct qitem *)(q->ring + q->cursor);
	}
	pthread_mutex_unlock(&q->lock);
	return it;
}

void queue_pop(struct queue *q)
{
	struct qitem *it;
	size_t n;

	pthread_mutex_lock(&q->lock);
	it = (struct qitem *)(q->ring + q->cursor);
	n = ALIGN8(sizeof(struct qitem) + it->len);
	q->cursor += n;
	q->consumed += n;
	if (q->cursor >= q->size)
		q->cursor = 0;
	pthread_mutex_unlock(&q->lock);
}

void queue_release(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->used -= q->consumed;
	q->head = q->cursor;
	q->consumed = 0;
	pthread_cond_signal(&q->nonfull);
	pthread_mutex_unlock(&q->lock);
}

size_t queue_rewind(struct queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->consumed;
	q->cursor = q->head;
	q->consumed = 0;
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

size_t queue_used(struct queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->used;
	pthread_mutex_unlock(&q->lock);
	return n;
}

size_t queue_peak(struct queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->peak;
	pthread_mutex_unlock(&q->lock);
	return n;
}
