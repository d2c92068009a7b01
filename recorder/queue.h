/* A bounded queue of received datagrams between the receiving thread and the writing thread. */
#ifndef CT_QUEUE_H
#define CT_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ct_event.h"

/* What a queued item is. */
enum qitem_kind {
	QITEM_DATA,	/* netlink messages as received */
	QITEM_GAP,	/* seq: the kernel dropped events here (ENOBUFS) for the seq-th time */
	QITEM_SYNC,	/* seq: every event made before that receiver_ask_sync() came before */
	QITEM_DUMP_BEGIN,	/* seq: the receiver's dump of that number follows,
				 * after every event made before it */
	QITEM_DUMP,	/* a datagram of that dump, as received */
	QITEM_DUMP_END,	/* its end; seq: the ask whose QITEM_SYNC follows every
			 * event made before this */
};

struct qitem {
	uint32_t len;		/* bytes of data, the program's name not included */
	uint8_t kind;		/* enum qitem_kind */
	uint8_t name_len;	/* bytes of the program's name, after the data */
	int64_t t_us;		/* receive time */
	uint32_t portid;	/* the first non-zero portid among the messages, or 0 */
	uint32_t seq;		/* the number its kind gives it */
	char data[];		/* len bytes, then name_len: the program of portid,
				 * read at receive time (no NUL; most items have
				 * none, so it takes no room in them) */
};

/* The item's program name into name (size bytes at least CT_PROGNAME_MAX):
 * "" when it names none. */
static inline void qitem_name(const struct qitem *it, char *name)
{
	memcpy(name, it->data + it->len, it->name_len);
	name[it->name_len] = 0;
}

struct queue;

/* Creates a queue holding at most capacity bytes of items. NULL when out of memory. */
struct queue *queue_new(size_t capacity);
void queue_free(struct queue *q);

/* Appends an item with len bytes of data copied from data, and the program
 * name name (NULL or "" for none; cut at CT_PROGNAME_MAX - 1 bytes); blocks
 * while the queue is full, unless it is closed. head gives the rest (its
 * len and name_len are set here). Returns 0, or -1 with errno EPIPE when
 * closed, EMSGSIZE when the item can never fit. The reader sees the item at
 * once if it looks, but is not woken: call queue_flush() after a batch of
 * queue_add(). */
int queue_add(struct queue *q, const struct qitem *head, const void *data, size_t len,
	      const char *name);

/* Wakes the reader if it waits and items were added since the last flush.
 * Cheap when it does not wait (no system call). */
void queue_flush(struct queue *q);

/* Waits up to timeout_us for an item not read yet. Returns it (valid until
 * queue_release()), or NULL on timeout or when the queue is closed and has
 * nothing unread. Takes no lock while items it already knew of are unread.
 * Single producer, single consumer: queue_add and queue_flush belong to one
 * thread (the receiver); queue_peek, queue_peek_known, queue_pop,
 * queue_release and queue_rewind to one other (the writer). */
const struct qitem *queue_peek(struct queue *q, int64_t timeout_us);

/* The next unread item when the reader already knows of one (as
 * queue_peek() returns it), else NULL: no lock, no clock, no wait. */
const struct qitem *queue_peek_known(struct queue *q);

/* Marks the item queue_peek() returned as read; it keeps its room until
 * queue_release(), so that a failed transaction can read it again. */
void queue_pop(struct queue *q);

/* Frees the room of every item read so far (their transaction committed). */
void queue_release(struct queue *q);

/* Do the items read but not released take half of the queue or more? Then
 * the receiver may soon wait for a release, however many items are left
 * to read. The reader's call. */
int queue_release_due(const struct queue *q);

/* Makes every read but unreleased item unread again (their transaction was
 * rolled back). Returns the bytes they take. */
size_t queue_rewind(struct queue *q);

/* Wakes everyone; queue_add fails from now on, queue_peek drains what is left. */
void queue_close(struct queue *q);

/* Is the queue closed, with every item read? */
int queue_drained(struct queue *q);

/* Bytes of the items held now, and the most ever held. */
size_t queue_used(struct queue *q);
size_t queue_peak(struct queue *q);

/* How far into its room the queue has ever written: the memory it took. */
size_t queue_touched(struct queue *q);

#endif
