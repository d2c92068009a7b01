/* qtime: times the store's own selective queries (store_flows / store_events) on a database, reading every row, and prints the best of several runs. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store.h"

static const char usage[] =
	"usage: qtime DB src ADDR | dport PORT SINCE_US UNTIL_US | at T_US | flow ID\n"
	"  Runs the query 7 times; prints 'ROWS BEST_MS MEDIAN_MS' (rows are flows,\n"
	"  or events for 'flow').\n";

static struct ct_event ev;

static long run(struct store *st, const struct store_query *q, int events)
{
	struct store_cursor *c = events ? store_events(st, q) : store_flows(st, q);
	struct store_flow fl;
	int64_t flow;
	long rows = 0;
	int r;

	if (!c)
		return -1;
	while ((r = events ? store_next(c, &ev, &flow) : store_next_flow(c, &fl)) == 1)
		rows++;
	store_cursor_free(c);
	return r < 0 ? -1 : rows;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct store_query q = { 0 };
	struct store *st;
	double ms[7];
	long rows = 0;
	int i, events = 0;

	if (argc < 4) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(argv[2], "src") && argc == 4) {
		q.src.len = 4;
		if (inet_pton(AF_INET, argv[3], q.src.lo) != 1)
			return fputs(usage, stderr), 2;
		memcpy(q.src.hi, q.src.lo, 4);
	} else if (!strcmp(argv[2], "dport") && argc == 6) {
		q.pf = STORE_PF_DPORT | STORE_PF_SINCE | STORE_PF_UNTIL;
		q.dport = atoi(argv[3]);
		q.since_us = strtoll(argv[4], NULL, 10);
		q.until_us = strtoll(argv[5], NULL, 10);
	} else if (!strcmp(argv[2], "at") && argc == 4) {
		q.pf = STORE_PF_AT;
		q.at_us = strtoll(argv[3], NULL, 10);
	} else if (!strcmp(argv[2], "flow") && argc == 4) {
		q.pf = STORE_PF_FLOW;
		q.flow = strtoll(argv[3], NULL, 10);
		events = 1;
	} else {
		fputs(usage, stderr);
		return 2;
	}
	st = store_open(argv[1], STORE_READ);
	if (!st)
		return 1;
	for (i = 0; i < 7; i++) {
		int64_t t = clock_mono_us();

		rows = run(st, &q, events);
		if (rows < 0)
			return 1;
		ms[i] = (clock_mono_us() - t) / 1000.0;
	}
	store_close(st);
	qsort(ms, 7, sizeof(ms[0]), cmp);
	printf("%ld %.2f %.2f\n", rows, ms[0], ms[3]);
	return 0;
}
