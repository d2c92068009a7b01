/* Unit tests of filter parsing (good and bad values), time parsing, and that selective filters use an index. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "filter.h"
#include "log.h"
#include "store.h"
#include "timeparse.h"
#include "unit.h"

/* Parses one option (short letter or FO_* code) into a fresh filter. */
static int opt1(struct ct_filter *f, int opt, const char *arg)
{
	char *argv[] = { "x", NULL };

	return filter_option(f, opt, arg, 1, argv);
}

static int parses(int opt, const char *arg)
{
	struct ct_filter f = { 0 };

	return opt1(&f, opt, arg) == 1;
}

static void test_parse(void)
{
	struct ct_filter f = { 0 };

	CHECK(parses('p', "tcp") && parses('p', "icmpv6") && parses('p', "132"));
	CHECK(!parses('p', "tcpx") && !parses('p', "256"));
	CHECK(parses('s', "10.0.0.1") && parses('s', "10.0.0.0/8") && parses('d', "2001:db8::/32"));
	CHECK(!parses('s', "10.0.0.256") && !parses('s', "10.0.0.0/33") && !parses('s', "x"));
	CHECK(!parses('r', "10.0.0.0/8") && !parses('q', "::1/64"));
	CHECK(parses(FO_DPORT, "443") && parses(FO_SPORT, "0") && parses(FO_RSPORT, "65535"));
	CHECK(!parses(FO_DPORT, "65536") && !parses(FO_DPORT, "http") && !parses(FO_DPORT, "-1"));
	CHECK(parses(FO_ICMP_TYPE, "8") && !parses(FO_ICMP_TYPE, "256") && !parses(FO_ICMP_ID, "x"));
	CHECK(parses('m', "42") && parses('m', "0x10/0xf0") && !parses('m', "0x1/zz") &&
	      !parses('m', "4294967296"));
	CHECK(parses('w', "7") && parses(FO_ORIG_ZONE, "0x10") && !parses('w', "65536"));
	CHECK(parses('u', "ASSURED,SEEN_REPLY") && !parses('u', "ASSURED,NOPE"));
	CHECK(parses('f', "ipv6") && !parses('f', "ipx"));
	CHECK(parses('e', "NEW,DESTROY") && !parses('e', "BOOM"));
	CHECK(parses(FO_SINCE, "-5m") && parses(FO_UNTIL, "2026-11-26 10:00") &&
	      !parses(FO_AT, "tomorrow"));
	CHECK(parses(FO_FLOW, "4711") && !parses(FO_FLOW, "0") && !parses(FO_LIMIT, "-3"));
	CHECK(parses('n', "10.0.0.1:80") && parses('g', NULL) && !parses('j', "1.2.3.999"));
	CHECK(opt1(&f, 'x', "y") == 0);

	/* mismatched families, and combinations checked at the end */
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 's', "10.0.0.1") == 1 && opt1(&f, 'd', "::1") == -1);
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, FO_DPORT, "80") == 1 && filter_finish(&f) == -1);
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'p', "tcp") == 1 && opt1(&f, FO_STATE, "ESTABLISHED") == 1 &&
	      filter_finish(&f) == 0 && f.state == 3);
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'p', "udp") == 1 && opt1(&f, FO_STATE, "ESTABLISHED") == 1 &&
	      filter_finish(&f) == -1);
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, FO_MASK_SRC, "255.0.0.0") == 1 && filter_finish(&f) == -1);
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'j', NULL) == 1 && opt1(&f, 'n', NULL) == 1 && filter_finish(&f) == -1);
}

static void test_match(void)
{
	struct ct_filter f = { 0 };
	static struct ct_event ev;

	ev.type = CT_EV_NEW;
	ev.family = ev.orig.l3 = ev.reply.l3 = AF_INET;
	ev.orig.proto = ev.reply.proto = 6;
	inet_pton(AF_INET, "10.1.2.3", ev.orig.src);
	inet_pton(AF_INET, "192.0.2.1", ev.orig.dst);
	inet_pton(AF_INET, "198.51.100.9", ev.reply.src);	/* DNAT'ed */
	memcpy(ev.reply.dst, ev.orig.src, 4);
	ev.orig.has_ports = ev.reply.has_ports = 1;
	ev.orig.sport = ev.reply.dport = 40000;
	ev.orig.dport = ev.reply.sport = 443;
	ev.has = CT_HAS_STATUS;
	ev.status = 0x100 | 0x80;	/* DST_NAT_DONE, SRC_NAT_DONE */

	CHECK(opt1(&f, 's', "10.0.0.0/8") == 1 && !filter_finish(&f) && filter_match(&f, &ev));
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 's', "11.0.0.0/8") == 1 && !filter_finish(&f) && !filter_match(&f, &ev));
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'g', NULL) == 1 && filter_match(&f, &ev));
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'n', NULL) == 1 && !filter_match(&f, &ev));
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'g', "198.51.100.9") == 1 && filter_match(&f, &ev));
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'm', "0") == 1 && !filter_match(&f, &ev));	/* no mark sent */
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'p', "tcp") == 1 && opt1(&f, FO_STATE, "SYN_SENT") == 1 &&
	      !filter_finish(&f) && !filter_match(&f, &ev));		/* no protoinfo */
	ev.has |= CT_HAS_STATE;
	ev.state = 1;
	CHECK(filter_match(&f, &ev));
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'w', "0") == 1 && filter_match(&f, &ev));	/* absent zone is 0 */
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'e', "DESTROY") == 1 && !filter_match(&f, &ev));
}

static void test_time(void)
{
	int64_t now = 1764151200000000LL, t;	/* 2025-11-26 10:00:00 UTC */

	CHECK(!time_parse("1764151200", now, &t) && t == now);
	CHECK(!time_parse("@1764151200.5", now, &t) && t == now + 500000);
	CHECK(!time_parse("2025-11-26T10:00:00Z", now, &t) && t == now);
	CHECK(!time_parse("2025-11-26 11:00+01:00", now, &t) && t == now);
	CHECK(!time_parse("-5m", now, &t) && t == now - 300000000LL);
	CHECK(!time_parse("-1h", now, &t) && t == now - 3600000000LL);
	CHECK(!time_parse("now", now, &t) && t == now);
	setenv("TZ", "UTC", 1);
	CHECK(!time_parse("2025-11-26 10:00", now, &t) && t == now);
	CHECK(!time_parse("2025-11-26", now, &t) && t == now - 36000000000LL);
	CHECK(time_parse("2025-13-01", now, &t) == -1);
	CHECK(time_parse("yesterday", now, &t) == -1);
	CHECK(time_parse("-5x", now, &t) == -1);
	CHECK(time_parse("2025-11-26 10", now, &t) == -1);
}

/* The plan must search an index (never scan a whole table first). */
static int uses_index(struct store *st, const struct store_query *q, int flows, const char *idx)
{
	char plan[2048];

	if (store_query_plan(st, q, flows, plan, sizeof(plan)))
		return 0;
	if (!strstr(plan, idx))
		fprintf(stderr, "plan lacks %s:\n%s", idx, plan);
	return strstr(plan, idx) != NULL;
}

static void test_plans(void)
{
	char dir[] = "/tmp/ct-unit-XXXXXX", path[64];
	struct store *st;
	struct store_query q;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/f.db", dir);
	st = store_open(path, STORE_WRITE);
	CHECK(st != NULL);
	if (!st)
		return;
	store_close(st);
	st = store_open(path, STORE_READ);
	memset(&q, 0, sizeof(q));
	q.src.len = 4;
	memset(q.src.hi, 0xff, 4);
	q.src.lo[0] = q.src.hi[0] = 10;
	/* last argument but one: 0 the events query (replay), 1 the flows query (list) */
	CHECK(uses_index(st, &q, 1, "flows_o_src"));
	CHECK(uses_index(st, &q, 0, "flows_o_src") && uses_index(st, &q, 0, "events_flow"));
	memset(&q, 0, sizeof(q));
	q.dst.len = 4;
	CHECK(uses_index(st, &q, 1, "flows_o_dst"));
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_DPORT | STORE_PF_PROTO;
	q.dport = 443;
	q.proto = 6;
	CHECK(uses_index(st, &q, 1, "flows_o_dport"));
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_SINCE | STORE_PF_UNTIL;
	CHECK(uses_index(st, &q, 0, "events_time"));
	CHECK(uses_index(st, &q, 1, "flows_first"));
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_FLOW;
	q.flow = 4711;
	CHECK(uses_index(st, &q, 0, "events_flow"));
	CHECK(uses_index(st, &q, 1, "PRIMARY KEY"));
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_AT;
	CHECK(uses_index(st, &q, 0, "flows_first"));
	/* --where: read-only, one expression */
	memset(&q, 0, sizeof(q));
	q.where = "bytes_orig > 1e6 AND dport = 22";
	CHECK(store_flows(st, &q) != NULL);
	q.where = "1); DELETE FROM flows; SELECT (1";
	CHECK(store_flows(st, &q) == NULL);
	q.where = "id IN (SELECT id FROM sessions)";
	CHECK(store_flows(st, &q) != NULL);
	store_close(st);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	log_init("t_filter");
	test_parse();
	test_match();
	test_time();
	test_plans();
	return unit_done("t_filter");
}
