/* libFuzzer target: any bytes through the text log parser, one line at a time, must not crash. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "import_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ct_event ev;
	struct import_err e;
	const char *p = (const char *)data, *end = p + size, *nl;
	uint64_t klast = 0;
	int how;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		import_text_line(p, (size_t)(nl - p), 0, &klast, &ev, &how, &e);
		p = nl + 1;
	}
	return 0;
}
