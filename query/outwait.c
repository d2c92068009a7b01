/* An output stream that tells when its reader has not read it for a while, so that ctquery can give its snapshot up meanwhile. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"
#include "outwait.h"

struct outwait {
	int fd;
	int polled;		/* a pipe, socket or terminal: wait with poll() */
	void (*stalled)(void *);
	void *arg;
};

/* Waits until o->fd has room, calling o->stalled each RELEASE_AFTER_MS
 * without. Returns 0, or -1 with errno set. */
static int wait_room(struct outwait *o)
{
	struct pollfd p = { .fd = o->fd, .events = POLLOUT };
	int r;

	while ((r = poll(&p, 1, RELEASE_AFTER_MS)) <= 0) {
		if (r == 0)
			o->stalled(o->arg);
		else if (errno != EINTR)
			return -1;
	}
	return 0;	/* (POLLERR or POLLHUP: the write says which) */
}

static ssize_t outwait_write(void *cookie, const char *buf, size_t size)
{
	struct outwait *o = cookie;
	size_t done = 0;

	while (done < size) {
		size_t n = size - done;
		ssize_t k;

		if (o->polled) {
			if (wait_room(o))
				return -1;
			if (n > PIPE_BUF)
				n = PIPE_BUF;
		}
		k = write(o->fd, buf + done, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		done += (size_t)k;
	}
	return (ssize_t)size;
}

static int outwait_close(void *cookie)
{
	free(cookie);
	return 0;
}

FILE *outwait_open(int fd, void (*stalled)(void *), void *arg)
{
	static const cookie_io_functions_t io = { .write = outwait_write, .close = outwait_close };
	struct outwait *o = calloc(1, sizeof(*o));
	struct stat sb;
	FILE *f;

	if (!o) {
		log_error("out of memory");
		return NULL;
	}
	o->fd = fd;
	o->stalled = stalled;
	o->arg = arg;
	o->polled = isatty(fd) ||
		    (!fstat(fd, &sb) && (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)));
	f = fopencookie(o, "w", io);
	if (!f) {
		free(o);
		log_error("out of memory");
		return NULL;
	}
	setvbuf(f, NULL, isatty(fd) ? _IOLBF : _IOFBF, 1 << 16);
	return f;
}
