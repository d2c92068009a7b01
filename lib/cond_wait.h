/* Waiting on a condition variable for at most a given time. */
#ifndef CT_COND_WAIT_H
#define CT_COND_WAIT_H

#include <pthread.h>

/* pthread_cond_wait(c, m) for at most ms milliseconds (by the realtime
 * clock, as pthread_cond_timedwait() counts). Returns 0 when woken (or
 * spuriously), ETIMEDOUT when the time ran out. */
int cond_wait_ms(pthread_cond_t *c, pthread_mutex_t *m, long ms);

#endif
