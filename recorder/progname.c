/* Finds the program that owns a netlink port, as conntrack -E does for [USERSPACE] events. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "progname.h"

#define CACHE_NS 1000000000LL

/* The command name in /proc/PID/stat (between the first '(' and the next ')'). */
static int comm_of_pid(unsigned long pid, char *name, size_t size)
{
	char path[64], buf[512], *open, *close;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%lu/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	open = strchr(buf, '(');
	close = open ? strchr(open + 1, ')') : NULL;
	if (!close || close == open + 1)
		return -1;
	*close = 0;
	snprintf(name, size, "%s", open + 1);
	return 0;
}

/* Does process pid hold the socket with this inode? 1 yes, 0 no, -1 when
 * its descriptors may not be read (another user's process, after --user). */
static int pid_has_socket(unsigned long pid, unsigned long inode)
{
	char path[64], link[128], want[64];
	struct dirent *ent;
	DIR *dir;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%lu/fd", pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	dir = opendir(path);
	if (!dir)
		return errno == EACCES || errno == EPERM ? -1 : 0;
	while (!found && (ent = readdir(dir))) {
		char fdpath[320];
		ssize_t n;

		if (ent->d_type != DT_LNK)
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, ent->d_name);
		n = readlink(fdpath, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		found = !strcmp(link, want);
	}
	closedir(dir);
	return found;
}

/* Tries the process whose pid is the portid first, then every process. */
static int name_of_socket(uint32_t portid, unsigned long inode, char *name, size_t size)
{
	struct dirent *ent;
	DIR *dir;
	int rc = -1;

	/* When its descriptors may not be read (-1: we run unprivileged), the
	 * process whose pid is the portid is the best answer we have: the kernel
	 * gives a process's first netlink socket its pid as portid. */
	if (pid_has_socket(portid, inode) != 0)
		return comm_of_pid(portid, name, size);
	dir = opendir("/proc");
	if (!dir)
		return -1;
	while (rc && (ent = readdir(dir))) {
		char *end;
		unsigned long pid = strtoul(ent->d_name, &end, 10);

		if (ent->d_type != DT_DIR || *end || pid <= 1 || pid == portid)
			continue;
		if (pid_has_socket(pid, inode) == 1)
			rc = comm_of_pid(pid, name, size);
	}
	closedir(dir);
	return rc;
}

/* The inode of the NETLINK_NETFILTER socket bound to portid, or 0. */
static unsigned long inode_of_portid(uint32_t portid)
{
	unsigned long inode = 0, ino;
	char line[256];
	unsigned int port;
	FILE *f;
	int proto;

	f = fopen("/proc/net/netlink", "r");
	if (!f)
		return 0;
	while (!inode && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*x %d %u %*x %*d %*d %*x %*d %*u %lu", &proto, &port,
			   &ino) == 3 && port == portid && proto == NETLINK_NETFILTER)
			inode = ino;
	}
	fclose(f);
	return inode;
}

int progname_of_portid(uint32_t portid, char *name, size_t size)
{
	static uint32_t last_portid;
	static unsigned long last_inode;
	static char last_name[64];
	static struct timespec last_at;
	struct timespec now;
	unsigned long inode;

	/* A flush sends thousands of events from one port: reading /proc for
	 * each would make the receiver the bottleneck, so an answer is reused
	 * for the same port within CACHE_NS. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (portid && portid == last_portid &&
	    (now.tv_sec - last_at.tv_sec) * 1000000000LL + now.tv_nsec - last_at.tv_nsec < CACHE_NS) {
		snprintf(name, size, "%s", last_name);
		return name[0] ? 0 : -1;
	}
	name[0] = 0;
	inode = inode_of_portid(portid);
	if (!inode)
		return -1;
	if (portid != last_portid || inode != last_inode) {
		last_portid = portid;
		last_inode = inode;
		if (name_of_socket(portid, inode, last_name, sizeof(last_name)))
			last_name[0] = 0;
	}
	last_at = now;
	snprintf(name, size, "%s", last_name);
	return name[0] ? 0 : -1;
}
