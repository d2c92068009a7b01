/* libFuzzer target: any bytes through the importer's XML path (conntrack's lines filtered, then the streaming reader) must not crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "import_xml.h"
#include "import_xml_lines.h"

struct mem {
	const uint8_t *p;
	size_t left;
	size_t chunk;		/* at most this much a read: lines across reads */
};

static int mem_read(void *ctx, char *buf, int len)
{
	struct mem *m = ctx;
	size_t n = m->left < (size_t)len ? m->left : (size_t)len;

	if (n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->p, n);
	m->p += n;
	m->left -= n;
	return (int)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ct_event ev;
	struct mem m = { data, size, size && data[0] < 128 ? 1u + data[0] : 4096 };
	struct xml_lines *l = xml_lines_new(mem_read, &m);
	struct import_xml *x = l ? import_xml_new(xml_lines_read, l) : NULL;
	struct import_err e;
	long line, first;
	int timed, n = 0;

	if (x)
		while (import_xml_next(x, 0, &ev, &timed, &e, &line) > 0 && n++ < 100000)
			while (xml_lines_gap(l, line))
				;
	(void)xml_lines_cut(l, &first);
	import_xml_free(x);
	xml_lines_free(l);
	return 0;
}
