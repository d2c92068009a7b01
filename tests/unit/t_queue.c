/* Unit tests of the queue between the receiving and the writing thread: order, contents, rewind after a failed transaction, closing, early release, and the memory it touches. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"
#include "unit.h"

#define CAPACITY (256u << 20)	/* ctrecord's default */
#define ITEMS 150000		/* about 300 MiB in all: more than the room */
#define BACKLOG 1000		/* items the writer leaves in the queue */
#define LEAD 4000		/* items the producer may be ahead of the releases */

/* Items added so far, for the writer to stay BACKLOG behind; items
 * released, for the producer to stay at most LEAD ahead (else, when adding
 * is the faster side, the queue fills whatever it gives back). */
static volatile uint32_t added, released;

/* Item i's length and bytes, known to both sides. */
static size_t item_len(uint32_t i)
{
	return 16 + (i * 2654435761u) % 4000;
}

static unsigned char item_byte(uint32_t i, size_t k)
{
	return (unsigned char)(i * 31 + k * 7);
}

static void *produce(void *arg)
{
	struct queue *q = arg;
	static unsigned char buf[4100];
	uint32_t i;

	for (i = 0; i < ITEMS; i++) {
		struct qitem head = { .kind = QITEM_DATA, .t_us = i };
		size_t n = item_len(i), k;

		while (i > __atomic_load_n(&released, __ATOMIC_ACQUIRE) + LEAD) {
			queue_flush(q);
			sched_yield();
		}
		for (k = 0; k < n; k++)
			buf[k] = item_byte(i, k);
		memcpy(buf, &i, sizeof(i));
		if (queue_add(q, &head, buf, n, NULL))
			break;
		__atomic_store_n(&added, i + 1, __ATOMIC_RELEASE);
		if (i % 16 == 15)
			queue_flush(q);
	}
	queue_flush(q);
	queue_close(q);
	return NULL;
}

/* The most memory this process ever had resident, in bytes (VmHWM). */
static size_t peak_rss(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/* Does this process's resident memory show what the queue keeps? Not
 * under AddressSanitizer (its shadow of the ring is resident too) nor under
 * valgrind (which keeps pages given back). */
static int rss_is_ours(void)
{
#ifdef __SANITIZE_ADDRESS__
	return 0;
#else
	const char *preload = getenv("LD_PRELOAD");

	return !(preload && strstr(preload, "vgpreload"));
#endif
}

/* Is it item i, whole? */
static int item_ok(const struct qitem *it, uint32_t i)
{
	size_t k, n = item_len(i);
	uint32_t got;

	if (it->len != n || it->t_us != (int64_t)i)
		return 0;
	memcpy(&got, it->data, sizeof(got));
	if (got != i)
		return 0;
	for (k = sizeof(i); k < n; k++)
		if ((unsigned char)it->data[k] != item_byte(i, k))
			return 0;
	return 1;
}

/* An item's program name comes back as it was given, cut to fit, and an
 * item without one takes no room for it. */
static void names(void)
{
	struct queue *q = queue_new(64 << 10);
	struct qitem head = { .kind = QITEM_DATA, .portid = 7 };
	char long_name[200], got[CT_PROGNAME_MAX];
	const struct qitem *it;

	CHECK(q != NULL);
	if (!q)
		return;
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	CHECK(queue_add(q, &head, "abc", 3, "conntrack") == 0);
	CHECK(queue_add(q, &head, "de", 2, long_name) == 0);
	CHECK(queue_add(q, &head, "f", 1, NULL) == 0);
	queue_flush(q);
	it = queue_peek(q, 0);
	CHECK(it && it->len == 3 && memcmp(it->data, "abc", 3) == 0 && it->portid == 7);
	qitem_name(it, got);
	CHECK(strcmp(got, "conntrack") == 0);
	queue_pop(q);
	it = queue_peek(q, 0);
	qitem_name(it, got);
	CHECK(it->len == 2 && strlen(got) == CT_PROGNAME_MAX - 1 && got[0] == 'x');
	queue_pop(q);
	it = queue_peek(q, 0);
	qitem_name(it, got);
	CHECK(it->len == 1 && it->data[0] == 'f' && got[0] == 0);
	queue_pop(q);
	CHECK(queue_peek(q, 0) == NULL);
	queue_free(q);
}

/* A small queue, one thread: when a release is due (half the room read
 * and not released), and when the queue is drained (closed, all read). */
static void release_and_drain(void)
{
	struct queue *q = queue_new(64 << 10);
	struct qitem head = { .kind = QITEM_DATA };
	static char buf[1000];
	int i, n = 0;

	CHECK(q != NULL);
	if (!q)
		return;
	for (i = 0; i < 48; i++)	/* ~48 KiB: three quarters of the room */
		n += queue_add(q, &head, buf, sizeof(buf), NULL) == 0;
	CHECK(n == 48);
	queue_flush(q);
	CHECK(!queue_release_due(q));
	for (i = 0; i < 24 && queue_peek(q, 0); i++)
		queue_pop(q);
	CHECK(!queue_release_due(q));	/* a quarter and a half read */
	for (i = 0; i < 12 && queue_peek(q, 0); i++)
		queue_pop(q);
	CHECK(queue_release_due(q));
	queue_release(q);
	CHECK(!queue_release_due(q));
	queue_close(q);
	CHECK(!queue_drained(q));	/* closed, 12 items unread */
	for (i = 0; queue_peek(q, 0); i++)
		queue_pop(q);
	CHECK(i == 12);
	CHECK(queue_drained(q));
	queue_free(q);
}

int main(void)
{
	struct queue *q = queue_new(CAPACITY);
	pthread_t t;
	const struct qitem *it;
	uint32_t next = 0, batch_start = 0, bad = 0, rewinds = 0;
	size_t rss0 = peak_rss();

	release_and_drain();
	names();
	CHECK(q != NULL);
	if (!q)
		return unit_done("t_queue");
	CHECK(pthread_create(&t, NULL, produce, q) == 0);
	/* The writer: batches of up to 200 items, every 37th rolled back and
	 * read again, as after a failed commit; it stays BACKLOG items behind,
	 * so that the queue is never empty (as under a long storm). */
	while (1) {
		while (__atomic_load_n(&added, __ATOMIC_ACQUIRE) < next + BACKLOG &&
		       __atomic_load_n(&added, __ATOMIC_ACQUIRE) < ITEMS)
			sched_yield();
		if (!(it = queue_peek(q, 1000000)))
			break;
		if (!item_ok(it, next))
			bad++;
		queue_pop(q);
		next++;
		if (next - batch_start == 200 || next == ITEMS) {
			if ((next / 200) % 37 == 0 && rewinds < next / 200) {
				rewinds = next / 200;
				queue_rewind(q);
				next = batch_start;
				continue;
			}
			queue_release(q);
			batch_start = next;
			__atomic_store_n(&released, next, __ATOMIC_RELEASE);
		}
	}
	pthread_join(t, NULL);
	CHECK(bad == 0);
	CHECK(next == ITEMS);
	CHECK(queue_used(q) == 0);
	CHECK(queue_peak(q) > 0 && queue_peak(q) < CAPACITY);
	/* More went through than the room holds, so the ring came round; its
	 * released room was given back: the memory it ever kept is near what
	 * it held, not all it touched. */
	CHECK(queue_touched(q) > CAPACITY / 2);
	if (rss_is_ours())
		CHECK(peak_rss() - rss0 < (48u << 20));
	printf("t_queue: peak %zu B, touched %zu of %u B, at most %zu B more resident than at the start\n",
	       queue_peak(q), queue_touched(q), CAPACITY, peak_rss() - rss0);
	queue_free(q);
	return unit_done("t_queue");
}
