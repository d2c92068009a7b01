/* The receiving thread: drains the netlink socket into the queue so the kernel never waits on the disk. */
#ifndef CT_RECEIVER_H
#define CT_RECEIVER_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>

struct queue;

struct receiver {
	int fd;
	struct queue *q;
	pthread_t thread;
	volatile sig_atomic_t stop;
	int running;
	int error;		/* set when recv failed for good (reported) */
	uint64_t datagrams, enobufs;
	uint32_t sync_asked;	/* atomic: receiver_ask_sync() calls so far */
	uint32_t sync_placed;	/* the receiving thread's own: the last one answered */
	uint32_t dumps;		/* atomic: the receiving thread's dumps begun so far */
	int dump_due;		/* the thread's own: events were lost, a dump is owed */
	int dump_asked;		/* atomic: receiver_ask_dump() was called */
	int64_t last_dump;	/* the thread's own: monotonic µs */
	int64_t clock_off;	/* the thread's own: wall clock minus monotonic, µs (0: none yet) */
	int64_t clock_mono;	/* ... read at this monotonic µs */
};

/* Starts the thread, with every signal blocked in it. It reads events into
 * the queue; after a loss (ENOBUFS) it queues a gap, then, once it has read
 * the socket empty, a dump of the table (QITEM_DUMP_BEGIN .. QITEM_DUMP_END).
 * When it ends it closes the queue. Returns 0 or -1 (reported). */
int receiver_start(struct receiver *r);

/* Asks for a QITEM_SYNC item after every event the kernel made before this
 * call: the thread queues it once a read finds the socket empty (the kernel
 * puts an event in the socket when it makes it). Returns the ask's number,
 * which the item's seq reaches (modulo 2^32) when it answers this ask.
 * Callable before the thread starts. Under a storm that never lets the
 * socket empty, the item waits. */
uint32_t receiver_ask_sync(struct receiver *r);

/* Asks for another dump of the table, as after a loss. */
void receiver_ask_dump(struct receiver *r);

/* Asks the thread to read what is still in the socket (and to dump the table
 * if a loss is not reconciled yet), then to close the queue and end. Does
 * not wait: the queue must be read meanwhile, until queue_drained(). */
void receiver_finish(struct receiver *r);

/* Waits for the thread to end. It must not be blocked on a full queue: call
 * after the queue was drained, or closed. */
void receiver_stop(struct receiver *r);

#endif
