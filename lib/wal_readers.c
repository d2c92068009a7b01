/* Which processes hold a read lock of a WAL database, from /proc/locks: the readers that keep its -wal from being reused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "wal_readers.h"

/* SQLite's WAL-index locks are bytes 120-127 of the -shm: WRITE, CKPT,
 * RECOVER, then the five read marks a reader holds while it reads. */
#define READ_FIRST 123
#define READ_LAST 127

#define MAX_PIDS 8

/* Appends "comm (pid N)" for pid to buf, after ", " unless it is the first. */
static void append(char *buf, size_t size, int pid)
{
	char path[64], comm[64] = "?";
	size_t n = strlen(buf);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if ((f = fopen(path, "r"))) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	if (n < size)
		snprintf(buf + n, size - n, "%s%s (pid %d)", n ? ", " : "", comm, pid);
}

int wal_readers(const char *shm_path, char *buf, size_t size)
{
	int pids[MAX_PIDS], npids = 0, i;
	char line[256];
	struct stat sb;
	FILE *f;

	if (size)
		buf[0] = 0;
	if (stat(shm_path, &sb) || !(f = fopen("/proc/locks", "r")))
		return 0;
	/* "1: POSIX  ADVISORY  READ  4242 fe:01:1234567 123 123"; a waiter's
	 * line has "->" before POSIX and holds nothing yet. */
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long long ino, start;
		char type[16], end[24];
		int pid, seen = 0;

		if (strstr(line, "->") ||
		    sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%llu %llu %23s", type, &pid, &maj, &min,
			   &ino, &start, end) != 7 || strcmp(type, "POSIX") ||
		    maj != major(sb.st_dev) || min != minor(sb.st_dev) || ino != sb.st_ino ||
		    start > READ_LAST || (strcmp(end, "EOF") && strtoull(end, NULL, 10) < READ_FIRST) ||
		    pid == getpid())
			continue;
		for (i = 0; i < npids; i++)
			seen |= pids[i] == pid;
		if (!seen && npids < MAX_PIDS)
			pids[npids++] = pid;
	}
	fclose(f);
	for (i = 0; i < npids; i++)
		append(buf, size, pids[i]);
	return npids;
}
