/* Is a ctrecord recording into a database: the flock(2) recorder/dbclaim.c holds on the file, as /proc/locks lists it. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "recorder_lock.h"

int recorder_lock_held(const char *db)
{
	char line[256];
	struct stat sb;
	int held = 0;
	FILE *f;

	if (stat(db, &sb) || !(f = fopen("/proc/locks", "r")))
		return -1;
	/* "2: FLOCK  ADVISORY  WRITE 4242 fe:01:1234567 0 EOF"; a waiter's line
	 * has "->" before FLOCK and holds nothing yet. */
	while (!held && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long long ino;
		char type[16], mode[16];

		held = !strstr(line, "->") &&
		       sscanf(line, "%*d: %15s %*s %15s %*d %x:%x:%llu", type, mode, &maj, &min,
			      &ino) == 5 &&
		       !strcmp(type, "FLOCK") && !strcmp(mode, "WRITE") &&
		       maj == major(sb.st_dev) && min == minor(sb.st_dev) && ino == sb.st_ino;
	}
	fclose(f);
	return held;
}
