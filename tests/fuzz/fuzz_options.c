/* libFuzzer target: any text as the value of ctquery's time, number and filter options must not crash, is refused with exactly one message, and what is taken prints back as text that parses to the same value. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ct_names.h"
#include "evmask.h"
#include "filter.h"
#include "filter_text.h"
#include "numparse.h"
#include "timeparse.h"

/*
 * The input: options, each a byte choosing it and its text up to a NUL (or
 * the end); they are given in turn to one filter, then filter_finish(),
 * filter_match() against an event made of the input's bytes and
 * filter_to_query(). Each value is also checked on its own:
 *   - num_parse(): the number printed in decimal is the text without its
 *     leading zeros, and parses back;
 *   - time_parse(): a time printed by time_format() (local time, TZ=UTC)
 *     and by ft_iso_time() (UTC) parses back to the same microsecond, and
 *     "@N" is N;
 *   - filter_option(): 1 and no error (a warning may say how a value is
 *     taken), or -1 and exactly one error and no warning; what it
 *     took (address and prefix, ports, zones, ICMP fields, NAT address and
 *     port, mark and mask, status bits, event types, protocol, times)
 *     printed back as ctquery prints it is taken again as the same.
 */

extern int fuzz_logged, fuzz_warned;	/* tests/fuzz/log_count.c */

#define MUST(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	return 0;
}

/* The options tried, in the order the selecting byte picks them. */
static const int opts[] = {
	'p', 's', 'd', 'r', 'q', 'u', 'm', 'w', 'f', 'e', 'n', 'g', 'j',
	FO_SPORT, FO_DPORT, FO_RSPORT, FO_RDPORT, FO_ICMP_TYPE, FO_ICMP_CODE, FO_ICMP_ID,
	FO_MASK_SRC, FO_MASK_DST, FO_STATE, FO_ORIG_ZONE, FO_REPLY_ZONE, FO_SINCE, FO_UNTIL,
	FO_AT, FO_FLOW, FO_LIMIT, FO_WHERE, FO_SESSION,
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* A fixed "now" for relative times, so that two parses agree. */
#define NOW_US 1700000000123456LL

/* Times that both formats print with four-digit years (1000 to 9999: strftime
 * prints a smaller year with fewer digits, which time_parse() does not take). */
#define TIME_MIN (-30610224000LL * 1000000)
#define TIME_MAX (253402300799LL * 1000000 + 999999)

static void check_num(const char *s)
{
	static const uint64_t maxes[] = { UINT64_MAX, INT64_MAX, UINT32_MAX, 65535, 255, 0 };
	char back[32];
	const char *digits = s;
	uint64_t v, w;
	size_t i;

	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		if (num_parse(s, maxes[i], &v))
			continue;
		MUST(v <= maxes[i]);
		snprintf(back, sizeof(back), "%llu", (unsigned long long)v);
		while (digits[0] == '0' && digits[1])
			digits++;
		MUST(!strcmp(back, digits));
		MUST(num_parse(back, maxes[i], &w) == 0 && w == v);
	}
}

/* t_us prints back (both ways ctquery prints times) as text that parses to t_us. */
static void check_time_back(int64_t t_us)
{
	char buf[64], iso[64];
	int64_t back;

	if (t_us < TIME_MIN || t_us > TIME_MAX)
		return;
	time_format(buf, sizeof(buf), t_us, 1);
	MUST(time_parse(buf, NOW_US, &back) == 0 && back == t_us);
	ft_iso_time(iso, sizeof(iso), t_us);
	MUST(time_parse(iso, NOW_US, &back) == 0 && back == t_us);
}

static void check_time(const char *s)
{
	char at[300];
	int64_t us, us2;

	if (time_parse(s, NOW_US, &us))
		return;
	check_time_back(us);
	if (s[0] >= '0' && s[0] <= '9' && strlen(s) < 10) {	/* epoch seconds */
		snprintf(at, sizeof(at), "@%s", s);
		MUST(time_parse(at, NOW_US, &us2) == 0 && us2 == us);
	}
}

/* The address option opt took (into a) printed as ctquery prints an
 * address, with its prefix, is taken again as the same. */
static void check_addr(int opt, const struct filter_addr *a)
{
	struct ct_filter g;
	struct ct_tuple t = { .l3 = (uint8_t)a->family };
	char text[INET6_ADDRSTRLEN + 8], *end;
	int i, bits = 0;

	ft_addr(&t, a->addr, text);
	end = text + strlen(text);
	for (i = 0; i < 16; i++)
		bits += __builtin_popcount(a->mask[i]);
	if (a->cidr)
		snprintf(end, sizeof(text) - (size_t)(end - text), "/%d", bits);
	memset(&g, 0, sizeof(g));
	MUST(filter_option(&g, opt, text, 0, NULL) == 1);
	{
		const struct filter_addr *b = opt == 's' ? &g.src : opt == 'd' ? &g.dst :
					      opt == 'r' ? &g.rsrc : opt == 'q' ? &g.rdst :
					      opt == FO_MASK_SRC ? &g.mask_src : &g.mask_dst;

		MUST(b->family == a->family && b->cidr == a->cidr &&
		     !memcmp(b->addr, a->addr, 16) && !memcmp(b->mask, a->mask, 16));
	}
}

/* What filter_option() took into f for opt printed back is taken as the same. */
static void check_back(int opt, const struct ct_filter *f)
{
	struct ct_filter g;
	char text[256], pb[8];
	int bit, n = 0;

	memset(&g, 0, sizeof(g));
	switch (opt) {
	case 's': check_addr(opt, &f->src); return;
	case 'd': check_addr(opt, &f->dst); return;
	case 'r': check_addr(opt, &f->rsrc); return;
	case 'q': check_addr(opt, &f->rdst); return;
	case FO_MASK_SRC: check_addr(opt, &f->mask_src); return;
	case FO_MASK_DST: check_addr(opt, &f->mask_dst); return;
	case 'p':
		MUST(f->proto >= 0 && f->proto <= 255);
		MUST(filter_option(&g, opt, ft_proto(f->proto, pb), 0, NULL) == 1 &&
		     g.proto == f->proto);
		return;
	case FO_SPORT: case FO_DPORT: case FO_RSPORT: case FO_RDPORT: {
		uint16_t v = opt == FO_SPORT ? f->sport : opt == FO_DPORT ? f->dport :
			     opt == FO_RSPORT ? f->rsport : f->rdport;

		snprintf(text, sizeof(text), "%u", v);
		MUST(filter_option(&g, opt, text, 0, NULL) == 1);
		MUST(!memcmp(&g.sport, &f->sport, 4 * sizeof(uint16_t)));
		return;
	}
	case 'w': case FO_ORIG_ZONE: case FO_REPLY_ZONE:
		snprintf(text, sizeof(text), "%u", opt == 'w' ? f->zone :
			 opt == FO_ORIG_ZONE ? f->ozone : f->rzone);
		MUST(filter_option(&g, opt, text, 0, NULL) == 1 && g.zone == f->zone &&
		     g.ozone == f->ozone && g.rzone == f->rzone);
		return;
	case FO_ICMP_TYPE: case FO_ICMP_CODE: case FO_ICMP_ID:
		snprintf(text, sizeof(text), "%u", opt == FO_ICMP_TYPE ? f->itype :
			 opt == FO_ICMP_CODE ? f->icode : f->iid);
		MUST(filter_option(&g, opt, text, 0, NULL) == 1 && g.itype == f->itype &&
		     g.icode == f->icode && g.iid == f->iid);
		return;
	case 'n': case 'g': case 'j':
		if (!f->nat_has_addr && !f->nat_has_port)
			return;
		if (f->nat_has_addr)
			inet_ntop(AF_INET, f->nat_addr, text, sizeof(text));
		else
			text[0] = 0;
		if (f->nat_has_port)
			snprintf(text + strlen(text), sizeof(text) - strlen(text), ":%u", f->nat_port);
		MUST(filter_option(&g, opt, text, 0, NULL) == 1 &&
		     g.nat_has_addr == f->nat_has_addr && g.nat_has_port == f->nat_has_port &&
		     !memcmp(g.nat_addr, f->nat_addr, 4) && g.nat_port == f->nat_port);
		return;
	case 'm':
		snprintf(text, sizeof(text), "0x%x/%u", f->mark, f->mark_mask);
		MUST(filter_option(&g, opt, text, 0, NULL) == 1 && g.mark == f->mark &&
		     g.mark_mask == f->mark_mask);
		return;
	case 'u':
		if (!f->status)	/* (UNSET alone) */
			return;
		for (bit = 0; bit < 32; bit++)
			if (f->status >> bit & 1) {
				MUST(ft_status_name(bit));	/* (only names are taken) */
				n += snprintf(text + n, sizeof(text) - (size_t)n, "%s%s",
					      n ? "," : "", ft_status_name(bit));
			}
		MUST(filter_option(&g, opt, text, 0, NULL) == 1 && g.status == f->status);
		return;
	case 'e':
		MUST(f->event_mask && !(f->event_mask & ~(1u << CT_EV_NEW | 1u << CT_EV_UPDATE |
							   1u << CT_EV_DESTROY)));
		for (bit = CT_EV_NEW; bit <= CT_EV_DESTROY; bit++)
			if (f->event_mask >> bit & 1)
				n += snprintf(text + n, sizeof(text) - (size_t)n, "%s%s",
					      n ? "," : "", ct_ev_type_name(bit));
		MUST(filter_option(&g, opt, text, 0, NULL) == 1 && g.event_mask == f->event_mask);
		return;
	case FO_SINCE: check_time_back(f->since_us); return;
	case FO_UNTIL: check_time_back(f->until_us); return;
	case FO_AT: check_time_back(f->at_us); return;
	}
}

/* An event of the input's bytes, for filter_match(). */
static void make_event(struct ct_event *ev, const uint8_t *p, size_t n)
{
	memset(ev, 0, offsetof(struct ct_event, extra));
	memcpy(ev, p, n < offsetof(struct ct_event, extra) ? n : offsetof(struct ct_event, extra));
	ev->extra_len = 0;
	if (n > offsetof(struct ct_event, extra)) {
		size_t k = n - offsetof(struct ct_event, extra);

		ev->extra_len = k < sizeof(ev->extra) ? k : sizeof(ev->extra);
		memcpy(ev->extra, p + offsetof(struct ct_event, extra), ev->extra_len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ct_event ev;
	struct ct_filter f, one;
	struct store_query q;
	const uint8_t *p = data, *end = data + size;
	char arg[257];
	int given = 0;

	memset(&f, 0, sizeof(f));
	while (p < end && given < 8) {
		int opt = opts[*p++ % NOPTS], rc;
		const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
		size_t n = (size_t)((nul ? nul : end) - p);

		if (n >= sizeof(arg))
			n = sizeof(arg) - 1;
		memcpy(arg, p, n);
		arg[n] = 0;
		p = nul ? nul + 1 : end;
		given++;

		check_num(arg);
		check_time(arg);
		memset(&one, 0, sizeof(one));
		fuzz_logged = fuzz_warned = 0;
		rc = filter_option(&one, opt, arg, 0, NULL);
		MUST(rc == 1 ? fuzz_logged == 0 : rc == -1 && fuzz_logged == 1 && !fuzz_warned);
		if (rc == 1)
			check_back(opt, &one);
		fuzz_logged = fuzz_warned = 0;
		rc = filter_option(&f, opt, arg, 0, NULL);
		MUST(rc == 1 ? fuzz_logged == 0 : rc == -1 && fuzz_logged == 1 && !fuzz_warned);
	}
	fuzz_logged = 0;
	if (filter_finish(&f)) {
		MUST(fuzz_logged == 1);
		return 0;
	}
	MUST(fuzz_logged == 0);
	make_event(&ev, p, (size_t)(end - p));
	filter_match(&f, &ev);
	memset(&q, 0, sizeof(q));
	filter_to_query(&f, &q);
	return 0;
}
