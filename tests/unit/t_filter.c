/* Unit tests of filter parsing (good and bad values), time parsing, replay's JSON, and that selective filters use an index. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sqlite3.h>

#include "filter.h"
#include "filter_text.h"
#include "log.h"
#include "store.h"
#include "store_query.h"
#include "store_sql.h"
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
	/* the whole address as a prefix, as conntrack takes it */
	CHECK(parses('s', "10.0.0.1/32") && parses('d', "2001:db8::1/128") &&
	      !parses('d', "2001:db8::1/129"));
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
	/* a window of one instant is one; --until before --since is none */
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, FO_SINCE, "@1764151200") == 1 && opt1(&f, FO_UNTIL, "@1764151200") == 1 &&
	      filter_finish(&f) == 0);
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, FO_SINCE, "@1764151200") == 1 && opt1(&f, FO_UNTIL, "@1764151199.5") == 1 &&
	      filter_finish(&f) == -1);
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
	ev.type = CT_EV_DUMP;	/* an entry of the table (list): no mark is mark 0 */
	CHECK(filter_match(&f, &ev));
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'm', "0/0") == 1 && filter_match(&f, &ev));
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'm', "1") == 1 && !filter_match(&f, &ev));
	ev.type = CT_EV_NEW;
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
	/* --status: every status given must be set, not one of them */
	ev.status |= 0x2;	/* SEEN_REPLY, not ASSURED */
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'u', "SEEN_REPLY") == 1 && !filter_finish(&f) && filter_match(&f, &ev));
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'u', "SEEN_REPLY,ASSURED") == 1 && !filter_finish(&f) &&
	      !filter_match(&f, &ev));
	/* the reply tuple's ports: 443 -> 40000, each on its own side */
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'p', "tcp") == 1 && opt1(&f, FO_RDPORT, "40000") == 1 &&
	      !filter_finish(&f) && filter_match(&f, &ev));
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'p', "tcp") == 1 && opt1(&f, FO_RDPORT, "443") == 1 &&
	      !filter_finish(&f) && !filter_match(&f, &ev));
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'p', "tcp") == 1 && opt1(&f, FO_RSPORT, "443") == 1 &&
	      !filter_finish(&f) && filter_match(&f, &ev));
	memset(&f, 0, sizeof(f));
	CHECK(opt1(&f, 'p', "tcp") == 1 && opt1(&f, FO_RSPORT, "40000") == 1 &&
	      !filter_finish(&f) && !filter_match(&f, &ev));
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
	/* every field in its range, nothing rolled into the next month */
	CHECK(!time_parse("2024-02-29T10:00Z", now, &t));
	CHECK(time_parse("2025-02-29", now, &t) == -1);
	CHECK(time_parse("2025-11-31", now, &t) == -1);
	CHECK(time_parse("2025-04-31T10:00Z", now, &t) == -1);
	CHECK(time_parse("2025-11-26T24:00Z", now, &t) == -1);
	CHECK(time_parse("2025-11-26T10:00:60Z", now, &t) == -1);
	CHECK(time_parse("2025-11-26T10:00:05e1Z", now, &t) == -1);
	CHECK(!time_parse("2025-11-26T10:00:05.25Z", now, &t) && t == now + 5250000);
	/* offsets: +HH, +HHMM, +HH:MM, in range, nothing after */
	CHECK(!time_parse("2025-11-26T12:00+02", now, &t) && t == now);
	CHECK(!time_parse("2025-11-26T12:00+0200", now, &t) && t == now);
	CHECK(!time_parse("2025-11-26T08:30-01:30", now, &t) && t == now);
	CHECK(time_parse("2025-11-26T10:00+123", now, &t) == -1);
	CHECK(time_parse("2025-11-26T10:00+99:99", now, &t) == -1);
	CHECK(time_parse("2025-11-26T10:00+24:00", now, &t) == -1);
	CHECK(time_parse("2025-11-26T10:00+01:00:99", now, &t) == -1);
	CHECK(time_parse("2025-11-26T10:00+01:", now, &t) == -1);
	/* a '.' is followed by the fraction's digits, as in an ISO time */
	CHECK(time_parse("@1764151200.", now, &t) == -1);
	CHECK(time_parse("1764151200.", now, &t) == -1);
	CHECK(time_parse("-1.h", now, &t) == -1);
	CHECK(time_parse("2025-11-26T10:00:00.Z", now, &t) == -1);
	/* relative: digits and a fraction, no exponent, no hex, no overflow */
	CHECK(!time_parse("-1.5m", now, &t) && t == now - 90000000LL);
	CHECK(time_parse("-0x10m", now, &t) == -1);
	CHECK(time_parse("-1e3s", now, &t) == -1);
	CHECK(time_parse("-99999999999d", now, &t) == -1);
	CHECK(time_parse("-99999999999999999999999s", now, &t) == -1);
	CHECK(!time_parse("-1000w", now, &t) && t == now - 604800000000000LL);
	CHECK(time_parse("@99999999999999", now, &t) == -1);
	/* local times: one that the clocks skipped is refused (Paris went from
	 * 02:00 to 03:00 on 2026-03-29), one they passed twice is read */
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	CHECK(!time_parse("2026-03-29 01:59:59", now, &t) && t == 1774745999000000LL);
	CHECK(time_parse("2026-03-29 02:30", now, &t) == TIME_SKIPPED);
	CHECK(!time_parse("2026-03-29 03:00", now, &t) && t == 1774746000000000LL);
	CHECK(time_parse("2026-10-25 02:30", now, &t) == TIME_TWICE);
	CHECK(!time_parse("2026-03-29T02:30Z", now, &t));
	/* a time the clocks passed twice is the first of the two, whatever
	 * was read before it (mktime() read it after a winter time as the
	 * second: --since '2026-12-01' --at '2026-10-25 02:30' moved --at) */
	CHECK(!time_parse("2026-12-01 00:00", now, &t));
	CHECK(time_parse("2026-10-25 02:30", now, &t) == TIME_TWICE && t == 1792888200000000LL);
	/* what time_format() prints names either: the zone's abbreviation */
	CHECK(!time_parse("2026-10-25 02:30 CEST", now, &t) && t == 1792888200000000LL);
	CHECK(!time_parse("2026-10-25 02:30:00.000000 CET", now, &t) && t == 1792891800000000LL);
	CHECK(!time_parse("2026-10-25 02:30:00 cet", now, &t) && t == 1792891800000000LL);
	CHECK(!time_parse("2026-10-25 02:30 +01:00", now, &t) && t == 1792891800000000LL);
	CHECK(!time_parse("2026-10-25 01:30 UTC", now, &t) && t == 1792891800000000LL);
	CHECK(!time_parse("2026-07-01 12:00 CEST", now, &t) && t == 1782900000000000LL);
	CHECK(time_parse("2026-07-01 12:00 CET", now, &t) == TIME_NOT_ZONE);
	CHECK(time_parse("2026-03-29 02:30 CEST", now, &t) == TIME_SKIPPED);
	CHECK(time_parse("2026-10-25 02:30 ", now, &t) == TIME_BAD);
	CHECK(time_parse("2026-10-25 CET", now, &t) == TIME_BAD);
	CHECK(time_parse("2026-10-25 02:30 CET1", now, &t) == TIME_BAD);
	{
		char buf[40];

		time_format(buf, sizeof(buf), 1792888200000000LL, 0);
		CHECK(!strcmp(buf, "2026-10-25 02:30:00 CEST"));
		time_format(buf, sizeof(buf), 1792891800000000LL, 1);
		CHECK(!strcmp(buf, "2026-10-25 02:30:00.000000 CET"));
		time_format(buf, sizeof(buf), 1792893600000000LL, 0);
		CHECK(!strcmp(buf, "2026-10-25 03:00:00"));
	}
	CHECK(!time_parse("2026-10-25 03:00", now, &t) && t == 1792893600000000LL);
	setenv("TZ", "America/New_York", 1);
	tzset();
	CHECK(!time_parse("2026-12-01 00:00", now, &t));
	CHECK(time_parse("2026-11-01 01:30", now, &t) == TIME_TWICE && t == 1793511000000000LL);
	CHECK(time_parse("2026-03-08 02:30", now, &t) == TIME_SKIPPED);
	/* half an hour, and a change of standard time (isdst 0 on both sides) */
	setenv("TZ", "Australia/Lord_Howe", 1);
	tzset();
	CHECK(!time_parse("2026-07-01 00:00", now, &t));
	CHECK(time_parse("2026-04-05 01:45", now, &t) == TIME_TWICE && t == 1775313900000000LL);
	CHECK(time_parse("2026-10-04 02:15", now, &t) == TIME_SKIPPED);
	setenv("TZ", "Europe/Moscow", 1);
	tzset();
	CHECK(time_parse("2014-10-26 01:30", now, &t) == TIME_TWICE && t == 1414272600000000LL);
	setenv("TZ", "UTC", 1);
	tzset();
}

/* Every relative time of one command line is relative to the same now:
 * --until now --since now was --until before --since, and refused. */
static void test_time_now(void)
{
	struct ct_filter f = { 0 };

	CHECK(opt1(&f, FO_UNTIL, "now") == 1);
	usleep(2000);
	CHECK(opt1(&f, FO_SINCE, "now") == 1);
	CHECK(opt1(&f, FO_AT, "-0s") == 1);
	CHECK(!filter_finish(&f) && f.since_us == f.until_us && f.at_us == f.until_us);
}

/* A time before 1970 (a damaged database's, or a clock set wrong) prints as
 * the second it falls in, with a fraction of 0 to 999999, and parses back:
 * it printed the second after, with a negative fraction (".-500000"). */
static void test_time_format(void)
{
	char buf[64];
	int64_t t;

	setenv("TZ", "UTC", 1);
	tzset();
	time_format(buf, sizeof(buf), -1, 1);
	CHECK(!strcmp(buf, "1969-12-31 23:59:59.999999"));
	time_format(buf, sizeof(buf), -1, 0);
	CHECK(!strcmp(buf, "1969-12-31 23:59:59"));
	time_format(buf, sizeof(buf), -31556926500000LL, 1);
	CHECK(!time_parse(buf, 0, &t) && t == -31556926500000LL);
	time_format(buf, sizeof(buf), 1764151200000001LL, 1);
	CHECK(!strcmp(buf, "2025-11-26 10:00:00.000001"));
}

/* The plan must search an index (never scan a whole table first). */
static int uses_index(struct store *st, const struct store_query *q, const char *idx)
{
	char plan[2048];

	if (store_query_plan(st, q, plan, sizeof(plan)))
		return 0;
	if (!strstr(plan, idx))
		fprintf(stderr, "plan lacks %s:\n%s", idx, plan);
	return strstr(plan, idx) != NULL;
}

/* ... and never scan the whole flows table. */
static int no_flow_scan(struct store *st, const struct store_query *q)
{
	char plan[2048];

	if (store_query_plan(st, q, plan, sizeof(plan)))
		return 0;
	if (strstr(plan, "SCAN f\n") || strstr(plan, "SCAN flows\n") ||
	    strstr(plan, "SCAN f USING") || strstr(plan, "SCAN flows USING")) {
		fprintf(stderr, "plan scans flows:\n%s", plan);
		return 0;
	}
	return 1;
}

/* Flows one second apart from t = 1000 s, each 10 s long; the last 5 open. */
static int add_flows(struct store *st, int n)
{
	char *sql = sqlite3_mprintf(
		"INSERT INTO sessions(id, kind, started_us, version) VALUES (1, 'record', 0, 't');"
		"WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < %d)"
		" INSERT INTO flows(session, family, proto, o_l3, o_src, o_dst,"
		" origin, first_us, end_dur, end_kind)"
		" SELECT 1, 2, 17, 2, x'7f000001', x'7f000001', 0,"
		" (1000 + i) * 1000000, CASE WHEN i > %d THEN NULL ELSE 10000000 END,"
		" CASE WHEN i > %d THEN NULL ELSE 1 END FROM k;"
		"INSERT INTO flow_keys SELECT DISTINCT kind, val, rng FROM " STORE_FLOW_KEYS_OF ";"
		"INSERT INTO open_ranges SELECT (id - 1) >> 10, min(first_us),"
		" json_group_array((id - 1) & 1023)"
		" FROM flows WHERE end_dur IS NULL GROUP BY 1", n, n - 5, n - 5);
	int rc = sql ? sqlite3_exec(store_db(st), sql, NULL, NULL, NULL) : SQLITE_NOMEM;

	sqlite3_free(sql);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Counts the flows store_flows returns for q. */
static int64_t nflows(struct store *st, const struct store_query *q)
{
	static struct store_flow fl;
	struct store_cursor *c = store_flows(st, q);
	int64_t n = 0;

	while (c && store_next_flow(c, &fl) > 0)
		n++;
	store_cursor_free(c);
	return c ? n : -1;
}

/* --at, --since and --until on flows: served by flow_keys (one range per
 * duration class) and open_ranges wherever the instant lies, never by a scan
 * of flows. */
static void test_time_plans(const char *path)
{
	struct store *st = store_open(path, STORE_WRITE);
	struct store_query q;

	CHECK(st && !add_flows(st, 1000));
	store_close(st);
	st = store_open(path, STORE_READ);
	if (!st)
		return;
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_AT;
	q.at_us = 1100 * 1000000LL;		/* early */
	CHECK(uses_index(st, &q, "flow_keys") && no_flow_scan(st, &q));
	CHECK(nflows(st, &q) == 11);		/* flows 90..100 */
	q.at_us = 1990 * 1000000LL;		/* late */
	CHECK(uses_index(st, &q, "flow_keys") && no_flow_scan(st, &q));
	CHECK(nflows(st, &q) == 11);		/* 980..990 */
	q.at_us = 2500 * 1000000LL;		/* after everything: the open ones */
	CHECK(nflows(st, &q) == 5);
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_SINCE | STORE_PF_UNTIL;
	q.since_us = 1980 * 1000000LL;
	q.until_us = 1985 * 1000000LL;
	CHECK(uses_index(st, &q, "flow_keys") && no_flow_scan(st, &q));
	CHECK(nflows(st, &q) == 16);		/* 970..985 */
	q.since_us = 1100 * 1000000LL;
	q.until_us = 1105 * 1000000LL;
	CHECK(uses_index(st, &q, "flow_keys") && no_flow_scan(st, &q));
	CHECK(nflows(st, &q) == 16);		/* 90..105 */
	q.pf = STORE_PF_SINCE;			/* since alone: what ended after, or is open */
	q.since_us = 1995 * 1000000LL;
	CHECK(uses_index(st, &q, "flow_keys") && no_flow_scan(st, &q));
	CHECK(nflows(st, &q) == 16);		/* 985..995 ended at >= 1995, 996..1000 open */
	/* with a key: the window's ranges (ended and open) among the key's */
	memcpy(q.src.lo, "\x7f\0\0\x01", 4);
	memcpy(q.src.hi, q.src.lo, 4);
	q.src.len = 4;
	CHECK(uses_index(st, &q, "flow_keys") && no_flow_scan(st, &q));
	CHECK(nflows(st, &q) == 16);
	q.pf = STORE_PF_AT;
	q.at_us = 2500 * 1000000LL;
	CHECK(nflows(st, &q) == 5);
	q.at_us = 1100 * 1000000LL;
	CHECK(nflows(st, &q) == 11);
	q.src.lo[0] = q.src.hi[0] = 10;		/* a key no flow has */
	CHECK(nflows(st, &q) == 0);
	store_close(st);
}

/* How many times the plan of q's flows query scans flows (as f, or as the
 * view's vf); -1 when it cannot be planned. */
static int flow_scans(struct store *st, const struct store_query *q)
{
	static const char *const scans[] = { "SCAN f\n", "SCAN f USING", "SCAN vf\n",
					     "SCAN vf USING" };
	char plan[4096];
	const char *p;
	size_t i;
	int n = 0;

	if (store_query_plan(st, q, plan, sizeof(plan)))
		return -1;
	for (i = 0; i < sizeof(scans) / sizeof(scans[0]); i++)
		for (p = plan; (p = strstr(p, scans[i])); p++)
			n++;
	return n;
}

/* The full-scan steps (SQLITE_STMTSTATUS_FULLSCAN_STEP) of q's flows query
 * run to its end, or -1 when it cannot run; *rows: the rows it returned. */
static int64_t fullscan_steps(struct store *st, const struct store_query *q, int64_t *rows)
{
	sqlite3_stmt *s = store_query_prepare(st, q, "SELECT f.id", "");
	int64_t steps;
	int rc;

	if (!s)
		return -1;
	*rows = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		++*rows;
	steps = rc == SQLITE_DONE ? sqlite3_stmt_status(s, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0) : -1;
	sqlite3_finalize(s);
	return steps;
}

/* q's flows query with q->where reads no more of flows than without it (no
 * full-scan step more, no scan in the plan beyond the one without), and
 * returns n rows. */
static int where_reads_as_without(struct store *st, const struct store_query *q, int64_t n)
{
	struct store_query bare = *q;
	int64_t rows, bare_rows, steps, bare_steps;

	bare.where = NULL;
	steps = fullscan_steps(st, q, &rows);
	bare_steps = fullscan_steps(st, &bare, &bare_rows);
	if (steps < 0 || bare_steps < 0 || rows != n || steps > bare_steps) {
		fprintf(stderr, "--where '%s': %lld rows (%lld expected), %lld full-scan steps (%lld"
			" without)\n", q->where, (long long)rows, (long long)n, (long long)steps,
			(long long)bare_steps);
		return 0;
	}
	if (flow_scans(st, q) != flow_scans(st, &bare)) {
		fprintf(stderr, "--where '%s': a scan of flows more than without\n", q->where);
		return 0;
	}
	return 1;
}

/* --where is evaluated on the flows the other conditions pick (a flow, a
 * key's ranges, a time window's), each looked up by its id, never first over
 * every flow: on 1.1M flows, the list of the ids where it was true, built
 * over all and then searched by id from each key range, took minutes where
 * the same query without --where took 6 ms. Else (alone, with a protocol)
 * that list picks the flows: every flow is read once. */
static void test_where_plans(const char *path)
{
	struct store *st = store_open(path, STORE_READ);
	struct store_query q;

	if (!st)
		return;
	memset(&q, 0, sizeof(q));
	q.where = "end_us IS NULL OR id % 2 = 0";
	q.pf = STORE_PF_AT;
	q.at_us = 1100 * 1000000LL;
	CHECK(where_reads_as_without(st, &q, 6));	/* 90, 92 .. 100 */
	q.pf = STORE_PF_SINCE | STORE_PF_UNTIL;
	q.since_us = 1980 * 1000000LL;
	q.until_us = 1985 * 1000000LL;
	CHECK(where_reads_as_without(st, &q, 8));	/* 970, 972 .. 984 */
	memcpy(q.src.lo, "\x7f\0\0\x01", 4);		/* (every flow's) */
	memcpy(q.src.hi, q.src.lo, 4);
	q.src.len = 4;
	CHECK(where_reads_as_without(st, &q, 8));
	q.pf = STORE_PF_PROTO;
	q.proto = 17;
	CHECK(where_reads_as_without(st, &q, 502));	/* the even ones, 997 and 999 */
	memset(&q.src, 0, sizeof(q.src));
	CHECK(where_reads_as_without(st, &q, 502));
	q.pf = 0;
	CHECK(where_reads_as_without(st, &q, 502));
	CHECK(flow_scans(st, &q) <= 1);
	q.pf = STORE_PF_FLOW;
	q.flow = 998;
	CHECK(where_reads_as_without(st, &q, 1));
	store_close(st);
}

/* A UDP flow 10.0.0.1:sport -> 10.0.0.2:53, its reply from rsrc:rsport. */
static int64_t add_udp_flow(struct store *st, int64_t session, int sport, const char *rsrc,
			    int rsport, int64_t t_us)
{
	static struct ct_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CT_EV_NEW;
	ev.t_us = t_us;
	ev.family = ev.orig.l3 = ev.reply.l3 = AF_INET;
	ev.orig.proto = ev.reply.proto = 17;
	inet_pton(AF_INET, "10.0.0.1", ev.orig.src);
	inet_pton(AF_INET, "10.0.0.2", ev.orig.dst);
	inet_pton(AF_INET, rsrc, ev.reply.src);
	memcpy(ev.reply.dst, ev.orig.src, 4);
	ev.orig.has_ports = ev.reply.has_ports = 1;
	ev.orig.sport = ev.reply.dport = sport;
	ev.orig.dport = 53;
	ev.reply.sport = rsport;
	return store_flow_insert(st, session, &ev, 0);
}

static void exact(struct store_range *r, const char *addr)
{
	inet_pton(AF_INET, addr, r->lo);
	memcpy(r->hi, r->lo, 4);
	r->len = 4;
}

/* The reply tuple's conditions on the flows read (list; replay's flows),
 * and the view's reply columns: a flow stored without a reply tuple of its
 * own (the original's mirror) has the original's destination as its reply
 * source and its source port as the reply's destination port. */
static void test_reply_tuple(const char *path)
{
	struct store *st = store_open(path, STORE_WRITE);
	struct store_query q;
	int64_t session;

	CHECK(st != NULL);
	if (!st)
		return;
	session = store_session_start(st, "record", NULL, 1000000);
	CHECK(session > 0 && store_begin(st) == 0);
	CHECK(add_udp_flow(st, session, 40000, "10.0.0.2", 53, 2000000) > 0);	/* mirror */
	CHECK(add_udp_flow(st, session, 40001, "10.0.0.9", 5353, 3000000) > 0);	/* DNAT'ed */
	CHECK(store_commit(st) == 0);
	store_close(st);
	if (!(st = store_open(path, STORE_READ)))
		return;
	memset(&q, 0, sizeof(q));
	exact(&q.rsrc, "10.0.0.2");
	CHECK(nflows(st, &q) == 1);
	exact(&q.rsrc, "10.0.0.9");
	CHECK(nflows(st, &q) == 1);
	memset(&q, 0, sizeof(q));
	exact(&q.rdst, "10.0.0.1");
	CHECK(nflows(st, &q) == 2);
	exact(&q.rdst, "10.0.0.2");
	CHECK(nflows(st, &q) == 0);
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_RDPORT;
	q.rdport = 40000;
	CHECK(nflows(st, &q) == 1);
	q.rdport = 53;
	CHECK(nflows(st, &q) == 0);
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_RSPORT;
	q.rsport = 53;
	CHECK(nflows(st, &q) == 1);
	q.rsport = 40000;
	CHECK(nflows(st, &q) == 0);
	memset(&q, 0, sizeof(q));
	q.where = "reply_src = '10.0.0.2' AND reply_dst = '10.0.0.1' AND reply_sport = 53"
		  " AND reply_dport = 40000";
	CHECK(nflows(st, &q) == 1);
	store_close(st);
}

static void test_plans(void)
{
	char dir[] = "/tmp/ct-unit-XXXXXX", path[64] = "";
	struct store_cursor *c;
	struct store *st;
	struct store_query q;

	CHECK(unit_tmpdir(dir, "f.db", path, sizeof(path)) == 0);
	if (!*path)
		return;
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
	/* the flows query (list; replay's flows when a flow condition is given) */
	CHECK(uses_index(st, &q, "flow_keys"));
	memset(&q, 0, sizeof(q));
	q.dst.len = 4;
	CHECK(uses_index(st, &q, "flow_keys"));
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_DPORT | STORE_PF_PROTO;
	q.dport = 443;
	q.proto = 6;
	CHECK(uses_index(st, &q, "flow_keys"));
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_SINCE | STORE_PF_UNTIL;
	CHECK(uses_index(st, &q, "flow_keys"));
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_FLOW;
	q.flow = 4711;
	CHECK(uses_index(st, &q, "PRIMARY KEY"));
	memset(&q, 0, sizeof(q));
	q.pf = STORE_PF_AT;
	/* --where: read-only, one expression */
	memset(&q, 0, sizeof(q));
	q.where = "bytes_orig > 1e6 AND dport = 22";
	CHECK((c = store_flows(st, &q)) != NULL);
	store_cursor_free(c);
	q.where = "1); DELETE FROM flows; SELECT (1";
	CHECK(store_flows(st, &q) == NULL);
	q.where = "id IN (SELECT id FROM sessions)";
	CHECK((c = store_flows(st, &q)) != NULL);
	store_cursor_free(c);
	store_close(st);
	test_time_plans(path);
	test_where_plans(path);
	snprintf(path, sizeof(path), "%s/r.db", dir);
	test_reply_tuple(path);
	CHECK(unit_rmdir(dir, 0) == 0);
}

/* replay -o json: only what the event carried, status as names, strings escaped. */
static void test_event_json(void)
{
	static struct ct_event ev;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return;
	ev.type = CT_EV_DESTROY;
	ev.t_us = 1764151200000001LL;
	ev.family = ev.orig.l3 = ev.reply.l3 = AF_INET;
	ev.orig.proto = ev.reply.proto = 1;
	ev.orig.has_icmp = ev.reply.has_icmp = 1;
	ev.orig.itype = 8;
	ev.orig.has_zone = 1;
	ev.orig.zone = 3;
	ev.has = CT_HAS_STATUS | CT_HAS_ZONE;
	ev.zone = 7;
	ev.status = 1 << 1 | 1 << 2 | 1 << 20;
	ev.portid = 42;
	snprintf(ev.progname, sizeof(ev.progname), "a\"b\\c\n");
	ft_event_json(&ev, 9, NULL, out);
	fclose(out);
	CHECK(buf && !strcmp(buf, "{\"flow\":9,\"t_us\":1764151200000001,"
		"\"time\":\"2025-11-26T10:00:00.000001Z\",\"type\":\"DESTROY\",\"family\":\"ipv4\","
		"\"proto\":\"icmp\",\"src\":\"0.0.0.0\",\"dst\":\"0.0.0.0\",\"icmp_type\":8,"
		"\"icmp_code\":0,\"icmp_id\":0,\"orig_zone\":3,\"reply_src\":\"0.0.0.0\","
		"\"reply_dst\":\"0.0.0.0\",\"reply_icmp_type\":0,\"reply_icmp_code\":0,"
		"\"reply_icmp_id\":0,\"zone\":7,\"status\":[\"SEEN_REPLY\",\"ASSURED\",\"BIT20\"],"
		"\"portid\":42,\"progname\":\"a\\\"b\\\\c\\u000a\"}\n"));
	if (unit_failures)
		fprintf(stderr, "json: %s", buf ? buf : "(none)\n");
	free(buf);
}

int main(void)
{
	log_init("t_filter");
	test_parse();
	test_match();
	test_time();
	test_time_now();
	test_time_format();
	test_event_json();
	test_plans();
	return unit_done("t_filter");
}
