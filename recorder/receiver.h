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
};

/* Starts the thread, with every signal blocked in it. Returns 0 or -1 (reported). */
int receiver_start(struct receiver *r);

/* Asks the thread to read what is still queued in the socket, then stop; waits for it. */
void receiver_stop(struct receiver *r);

#endif
