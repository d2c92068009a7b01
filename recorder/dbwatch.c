/* Noticing that the database's path no longer names the file being written (removed, moved away or replaced). */
#include <sys/stat.h>

#include "dbwatch.h"

#define LOOK_EVERY_US (2 * 1000000)

void dbwatch_start(struct dbwatch *d, const char *path, int64_t now_us)
{
	struct stat sb;

	d->dev = 0;
	d->ino = 0;
	if (!stat(path, &sb)) {
		d->dev = sb.st_dev;
		d->ino = sb.st_ino;
	}
	d->next_us = now_us + LOOK_EVERY_US;
	d->strikes = 0;
}

int dbwatch_changed(struct dbwatch *d, const char *path, int64_t now_us)
{
	struct stat sb;

	if (now_us < d->next_us)
		return 0;
	d->next_us = now_us + LOOK_EVERY_US;
	if (!stat(path, &sb) && sb.st_dev == d->dev && sb.st_ino == d->ino) {
		d->strikes = 0;
		return 0;
	}
	return ++d->strikes >= 2;
}
