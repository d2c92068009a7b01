/* Reading a decimal number strictly: digits only, the whole string, within a bound. */
#include "numparse.h"

int num_parse(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9')
			return -1;
		/* up to UINT64_MAX itself: a 64-bit counter's every value */
		if (n > UINT64_MAX / 10 || (n == UINT64_MAX / 10 && d > UINT64_MAX % 10))
			return -1;
		n = n * 10 + d;
	}
	if (n > max)
		return -1;
	*v = n;
	return 0;
}
