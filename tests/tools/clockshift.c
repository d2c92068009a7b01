/* clockshift: an LD_PRELOAD library for tests that moves CLOCK_REALTIME by the seconds written in the file $CLOCKSHIFT (read at every call), as a clock set by NTP or by hand would, without touching the system's clock. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* The shift in seconds, 0 when the file is missing or unreadable. */
static long shift(void)
{
	const char *path = getenv("CLOCKSHIFT");
	char buf[32];
	ssize_t n;
	int fd;

	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int rc;

	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	rc = real(id, ts);
	if (rc == 0 && id == CLOCK_REALTIME)
		ts->tv_sec += shift();
	return rc;
}
