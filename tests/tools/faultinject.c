/* faultinject: an LD_PRELOAD library for tests that makes the Nth call of one family of libc functions fail with a chosen errno, or counts the calls a run makes. */
/*
 * Environment:
 *   FAULT_FUNC   the family: malloc (malloc, calloc, realloc), open (open,
 *                openat, fopen and their 64 forms), read (read, pread, pread64),
 *                write (write, pwrite, pwrite64), fsync (fsync, fdatasync),
 *                ftruncate, mmap, lock (fcntl with a lock command)
 *   FAULT_N      the call that fails, from 1; unset or 0: none fails
 *   FAULT_ERRNO  the errno it fails with (a number or a name: ENOMEM, EACCES,
 *                EMFILE, EIO, ENOSPC, EAGAIN, EINTR, EBADF); default EIO
 *   FAULT_ALL    1: every call from the Nth on fails, not only the Nth
 *   FAULT_FROM   calls are counted (and failed) only from the first open or
 *                fopen of a path that contains this text on (that call
 *                itself not counted): "the Nth allocation after the log is
 *                opened", whatever came before it
 *   FAULT_COUNT  a file the number of calls of each family is appended to at
 *                exit ("family calls"), and "hit" when a call was failed
 * Only the program's own calls and those of the libraries it loads through
 * the PLT are seen (glibc's internal ones, stdio's write, are not).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

enum fam { FAM_MALLOC, FAM_OPEN, FAM_READ, FAM_WRITE, FAM_FSYNC, FAM_FTRUNCATE, FAM_MMAP, FAM_LOCK, FAM_N };
static const char *const fam_name[FAM_N] = {
	"malloc", "open", "read", "write", "fsync", "ftruncate", "mmap", "lock",
};

static int target = -1, all, fail_errno = EIO;
static long fail_n;
static unsigned long calls[FAM_N];
static int hit;
static const char *from;	/* FAULT_FROM, until that path is opened */
static __thread int inside __attribute__((tls_model("initial-exec")));	/* our own calls (dlsym, the count file) pass */

static int errno_named(const char *s)
{
	static const struct { const char *n; int e; } names[] = {
		{ "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EMFILE", EMFILE },
		{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EAGAIN", EAGAIN },
		{ "EINTR", EINTR }, { "EBADF", EBADF }, { "EDQUOT", EDQUOT },
		{ "EPERM", EPERM }, { "ENFILE", ENFILE },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].n))
			return names[i].e;
	return atoi(s) > 0 ? atoi(s) : EIO;
}

__attribute__((constructor)) static void setup(void)
{
	const char *f = getenv("FAULT_FUNC"), *n = getenv("FAULT_N"), *e = getenv("FAULT_ERRNO");
	int i;

	inside++;
	for (i = 0; f && i < FAM_N; i++)
		if (!strcmp(f, fam_name[i]))
			target = i;
	fail_n = n ? atol(n) : 0;
	if (e)
		fail_errno = errno_named(e);
	all = getenv("FAULT_ALL") && !strcmp(getenv("FAULT_ALL"), "1");
	from = getenv("FAULT_FROM");
	if (from && !*from)
		from = NULL;
	inside--;
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("FAULT_COUNT");
	FILE *f;
	int i;

	if (!path)
		return;
	inside++;
	if ((f = fopen(path, "a"))) {
		for (i = 0; i < FAM_N; i++)
			fprintf(f, "%s %lu\n", fam_name[i], calls[i]);
		if (hit)
			fprintf(f, "hit\n");
		fclose(f);
	}
	inside--;
}

/* Counts a call of family `fam`; 1 when it is to fail (errno set). */
static int fault(enum fam fam)
{
	unsigned long n;

	if (inside || from)
		return 0;
	n = __atomic_add_fetch(&calls[fam], 1, __ATOMIC_RELAXED);
	if ((int)fam != target || fail_n <= 0)
		return 0;
	if (n == (unsigned long)fail_n || (all && n > (unsigned long)fail_n)) {
		hit = 1;
		errno = fail_errno;
		return 1;
	}
	return 0;
}

#define REAL(name, type) \
	static __typeof__(&name) real_##name; \
	if (!real_##name) { inside++; real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name); inside--; }

/* dlsym may allocate before the real allocator is known: from here. */
static char boot[8192];
static size_t boot_used;

static void *boot_alloc(size_t size)
{
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (boot_used + size > sizeof(boot))
		return NULL;
	p = boot + boot_used;
	boot_used += size;
	return p;
}

static int is_boot(void *p)
{
	return (char *)p >= boot && (char *)p < boot + sizeof(boot);
}

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int resolving;

static void resolve_alloc(void)
{
	if (real_malloc || resolving)
		return;
	resolving = 1;
	inside++;
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	inside--;
	resolving = 0;
}

void *malloc(size_t size)
{
	resolve_alloc();
	if (!real_malloc)
		return boot_alloc(size);
	if (fault(FAM_MALLOC))
		return NULL;
	return real_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	resolve_alloc();
	if (!real_calloc)
		return boot_alloc(n * size);	/* static: zeroed */
	if (fault(FAM_MALLOC))
		return NULL;
	return real_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	resolve_alloc();
	if (is_boot(p)) {
		void *q = malloc(size);

		if (q)
			memcpy(q, p, size < 256 ? size : 256);
		return q;
	}
	if (fault(FAM_MALLOC))
		return NULL;
	return real_realloc(p, size);
}

void free(void *p)
{
	if (!p || is_boot(p))
		return;
	resolve_alloc();
	real_free(p);
}

/* FAULT_FROM's path opened: counting starts with the next call. */
static void opened(const char *path)
{
	if (from && path && strstr(path, from))
		from = NULL;
}

FILE *fopen(const char *path, const char *mode)
{
	REAL(fopen, FILE *(*)(const char *, const char *));
	if (fault(FAM_OPEN))
		return NULL;
	opened(path);
	return real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	REAL(fopen64, FILE *(*)(const char *, const char *));
	if (fault(FAM_OPEN))
		return NULL;
	opened(path);
	return real_fopen64(path, mode);
}

#define OPEN_LIKE(name, ...) \
	{ \
		mode_t mode = 0; \
		if (flags & (O_CREAT | __O_TMPFILE)) { \
			va_list ap; \
			va_start(ap, flags); \
			mode = (mode_t)va_arg(ap, int); \
			va_end(ap); \
		} \
		if (fault(FAM_OPEN)) \
			return -1; \
		opened(path); \
		return real_##name(__VA_ARGS__, flags, mode); \
	}

int open(const char *path, int flags, ...)
{
	REAL(open, int (*)(const char *, int, ...));
	OPEN_LIKE(open, path)
}

int open64(const char *path, int flags, ...)
{
	REAL(open64, int (*)(const char *, int, ...));
	OPEN_LIKE(open64, path)
}

int openat(int dir, const char *path, int flags, ...)
{
	REAL(openat, int (*)(int, const char *, int, ...));
	OPEN_LIKE(openat, dir, path)
}

int openat64(int dir, const char *path, int flags, ...)
{
	REAL(openat64, int (*)(int, const char *, int, ...));
	OPEN_LIKE(openat64, dir, path)
}

ssize_t read(int fd, void *buf, size_t n)
{
	REAL(read, ssize_t (*)(int, void *, size_t));
	return fault(FAM_READ) ? -1 : real_read(fd, buf, n);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	REAL(pread, ssize_t (*)(int, void *, size_t, off_t));
	return fault(FAM_READ) ? -1 : real_pread(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	REAL(pread64, ssize_t (*)(int, void *, size_t, off_t));
	return fault(FAM_READ) ? -1 : real_pread64(fd, buf, n, off);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	REAL(write, ssize_t (*)(int, const void *, size_t));
	/* (stderr passes: the messages are what a run is judged by) */
	return fd != 2 && fault(FAM_WRITE) ? -1 : real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(pwrite, ssize_t (*)(int, const void *, size_t, off_t));
	return fault(FAM_WRITE) ? -1 : real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	REAL(pwrite64, ssize_t (*)(int, const void *, size_t, off_t));
	return fault(FAM_WRITE) ? -1 : real_pwrite64(fd, buf, n, off);
}

int fsync(int fd)
{
	REAL(fsync, int (*)(int));
	return fault(FAM_FSYNC) ? -1 : real_fsync(fd);
}

int fdatasync(int fd)
{
	REAL(fdatasync, int (*)(int));
	return fault(FAM_FSYNC) ? -1 : real_fdatasync(fd);
}

int ftruncate(int fd, off_t len)
{
	REAL(ftruncate, int (*)(int, off_t));
	return fault(FAM_FTRUNCATE) ? -1 : real_ftruncate(fd, len);
}

int ftruncate64(int fd, off_t len)
{
	REAL(ftruncate64, int (*)(int, off_t));
	return fault(FAM_FTRUNCATE) ? -1 : real_ftruncate64(fd, len);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(mmap, void *(*)(void *, size_t, int, int, int, off_t));
	return fault(FAM_MMAP) ? MAP_FAILED : real_mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(mmap64, void *(*)(void *, size_t, int, int, int, off_t));
	return fault(FAM_MMAP) ? MAP_FAILED : real_mmap64(addr, len, prot, flags, fd, off);
}

static int is_lock(int cmd)
{
	return cmd == F_SETLK || cmd == F_SETLKW || cmd == F_GETLK ||
	       cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW || cmd == F_OFD_GETLK;
}

#define FCNTL_LIKE(name) \
	{ \
		va_list ap; \
		void *arg; \
		REAL(name, int (*)(int, int, ...)); \
		va_start(ap, cmd); \
		arg = va_arg(ap, void *); \
		va_end(ap); \
		if (is_lock(cmd) && fault(FAM_LOCK)) \
			return -1; \
		return real_##name(fd, cmd, arg); \
	}

int fcntl(int fd, int cmd, ...) FCNTL_LIKE(fcntl)
int fcntl64(int fd, int cmd, ...) FCNTL_LIKE(fcntl64)
