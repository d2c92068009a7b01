/* Waiting on a condition variable for at most a given time. */
#include <errno.h>
#include <time.h>

#include "cond_wait.h"

int cond_wait_ms(pthread_cond_t *c, pthread_mutex_t *m, long ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return pthread_cond_timedwait(c, m, &t) == ETIMEDOUT ? ETIMEDOUT : 0;
}
