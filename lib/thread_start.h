/* Starting helper threads with every signal blocked, so that signals go to the main thread. */
#ifndef CT_THREAD_START_H
#define CT_THREAD_START_H

#include <pthread.h>

/* pthread_create(t, NULL, fn, arg), the new thread blocking every signal:
 * a signal then reaches the main thread, whose handler sets its flag and
 * whose blocked system call (a write to a full pipe) it interrupts, rather
 * than a helper that would not look at the flag in time. Returns 0 or
 * pthread_create's error number (nothing reported). */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
