/* libFuzzer target: any bytes through the streaming XML log reader must not crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "import_xml.h"

struct mem {
	const uint8_t *p;
	size_t left;
};

static int mem_read(void *ctx, char *buf, int len)
{
	struct mem *m = ctx;
	size_t n = m->left < (size_t)len ? m->left : (size_t)len;

	memcpy(buf, m->p, n);
	m->p += n;
	m->left -= n;
	return (int)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ct_event ev;
	struct mem m = { data, size };
	struct import_xml *x = import_xml_new(mem_read, &m);
	struct import_err e;
	long line;
	int timed, n = 0;

	if (!x)
		return 0;
	while (import_xml_next(x, 0, &ev, &timed, &e, &line) > 0 && n++ < 100000)
		;
	import_xml_free(x);
	return 0;
}
