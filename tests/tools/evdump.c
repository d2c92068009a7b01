/* evdump: prints every stored event of a ctrecord database, one "id flow t_us type" line each, for tests that check what was committed. */
#include <stdio.h>
#include <stdlib.h>

#include "store.h"

int main(int argc, char **argv)
{
	static struct ct_event ev;
	struct store_query q = { 0 };
	struct store_cursor *c;
	struct store *st;
	int64_t flow;
	int rc = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: evdump DB\n");
		return 2;
	}
	st = store_open(argv[1], STORE_READ);
	if (!st)
		return 1;
	q.type_mask = 1 << CT_EV_NEW | 1 << CT_EV_UPDATE | 1 << CT_EV_DESTROY | 1 << CT_EV_DUMP;
	c = store_events(st, &q);
	while (c && (rc = store_next(c, &ev, &flow)) > 0)
		printf("%lld %lld %lld %d\n", (long long)store_cursor_event_id(c), (long long)flow,
		       (long long)ev.t_us, ev.type);
	store_cursor_free(c);
	store_close(st);
	return c && rc == 0 ? 0 : 1;
}
