/* One recorder per database: an exclusive flock on the file while recording into it. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "dbclaim.h"
#include "log.h"

int dbclaim_take(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return log_errno("cannot open '%s'", path);
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno == EWOULDBLOCK)
		log_error("another ctrecord is recording into '%s': one recorder per database"
			  " (give this one another --db)", path);
	else
		log_errno("cannot lock '%s'", path);
	close(fd);
	return -1;
}

void dbclaim_drop(int fd)
{
	if (fd >= 0)
		close(fd);
}
