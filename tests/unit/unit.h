/* A minimal unit-test harness: CHECK() records failures, unit_done() sets the exit code. */
#ifndef CT_UNIT_H
#define CT_UNIT_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static int unit_failures, unit_checks;

#define CHECK(cond) do { \
	unit_checks++; \
	if (!(cond)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

static inline int unit_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, unit_checks, unit_failures);
	return unit_failures ? 1 : 0;
}

/* Makes tmpl ("/tmp/ct-unit-XXXXXX") a fresh directory for the test's files and
 * puts "tmpl/name" into path. Returns 0, or -1 (reported). */
static inline int unit_tmpdir(char *tmpl, const char *name, char *path, size_t size)
{
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(path, size, "%s/%s", tmpl, name);
	return 0;
}

static inline int unit_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

/* Removes dir and everything in it. Returns rc, or 1 when that fails. */
static inline int unit_rmdir(const char *dir, int rc)
{
	if (nftw(dir, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS)) {
		perror(dir);
		return 1;
	}
	return rc;
}

#endif
