/* Tells a file of the kernel's (/proc, /sys and their kin) from a database: SQLite takes one for an empty database, or would write its schema into it. */
#include <sys/statfs.h>
#include <linux/magic.h>

#include "log.h"
#include "store_internal.h"

/* The file systems whose files the kernel makes up as they are read (their
 * sizes are 0 or a page, whatever they hold). */
static const unsigned long kernel_fs[] = {
	PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC, SECURITYFS_MAGIC,
	CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, EFIVARFS_MAGIC, PSTOREFS_MAGIC, BPF_FS_MAGIC,
	0x62656570,	/* configfs (not in linux/magic.h) */
};

int store_kernel_file(const char *path)
{
	struct statfs fs;
	size_t i;

	if (!statfs(path, &fs))
		for (i = 0; i < sizeof(kernel_fs) / sizeof(kernel_fs[0]); i++)
			if ((unsigned long)fs.f_type == kernel_fs[i])
				return log_error("'%s' is a kernel file (as in /proc or /sys),"
						 " not a database", path);
	return 0;
}
