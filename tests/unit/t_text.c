/* Unit test: ct_text_format() writes byte for byte what libnetfilter_conntrack writes for the same event, over random events, and handles the common ones. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_format.h"
#include "ct_text.h"
#include "randev.h"
#include "unit.h"

#define EVENTS 30000

/* An event whose line is as long as a line ct_text_format() writes can be:
 * IPv6 tuples of 39-character addresses, GRE keys, 20-digit counters and
 * delta-time, every optional piece. */
static void longest_event(struct ct_event *ev)
{
	rand_widest(ev);
	ev->has |= CT_HAS_TS_STOP;
	ev->status = IPS_HW_OFFLOAD;
	ev->ts_stop = 1000000000;
}

/* The library's line, as format_line() in lib/ct_format.c has it written.
 * Returns its length, or -1. */
static int library_line(const struct ct_event *ev, unsigned int flags, char *line)
{
	int ret = ct_fmt_library_line(ev, flags, 0, NULL, line);

	return ret < 0 ? -1 : ret;
}

static int failed;

/* Pieces the lines compared must have shown somewhere, so that each rule was
 * put to the test. */
static const char *const pieces[] = {
	"    [NEW] ", " [UPDATE] ", "[DESTROY] ", "ipv4     2 tcp      6 ", "ipv6     10 udp ",
	"icmpv6   58 ", "unknown  200 ", "udplite  136 ", "SYN_SENT2 ", "ESTABLISHED ", "NONE ",
	" type=", "srckey=0x", "sport=65535 ", "zone-orig=", "zone-reply=", "packets=18446744073709551615 ",
	"[UNREPLIED] ", "[HW_OFFLOAD] ", "[OFFLOAD] ", "[ASSURED] ", "mark=0 ", " zone=0 ",
	"delta-time=0 ", "delta-time=1844674407", " id=", "=::ffff:", "=::1 ", "=:: ", "::1.",
	":0:", "=0.0.0.0 ", "255.255.", ":ffff:0:",
};
#define NPIECES (sizeof(pieces) / sizeof(pieces[0]))
static int seen[NPIECES];

/* Compares the two lines of ev with these flags. Returns the fast path's
 * length (its line matched, else it is reported), or -1 when it declined.
 * A line with a delta-time from the clock is compared again when the clock
 * ticked in between. */
static int compare(const struct ct_event *ev, unsigned int flags, int n)
{
	char fast[CT_TEXT_BUFSZ], lib[1024];
	int try, x, y = -1;
	size_t i;
	time_t t0;

	for (try = 0; try < 2; try++) {
		t0 = time(NULL);
		x = ct_text_format(ev, flags, fast, sizeof(fast));
		if (x < 0)
			return -1;
		y = library_line(ev, flags, lib);
		if (x == y && !memcmp(fast, lib, x + 1)) {
			for (i = 0; i < NPIECES; i++)
				seen[i] |= strstr(fast, pieces[i]) != NULL;
			return x;
		}
		if (time(NULL) == t0)
			break;
	}
	if (failed++ < 3)
		fprintf(stderr, "event %d, flags 0x%x: %d and %d bytes\n  fast: '%s'\n  lib:  '%s'\n",
			n, flags, x, y, fast, lib);
	return x;
}

int main(void)
{
	static const unsigned int flagsets[] = {
		0, NFCT_OF_SHOW_LAYER3, NFCT_OF_ID, NFCT_OF_SHOW_LAYER3 | NFCT_OF_ID,
	};
	static struct ct_event ev;
	char buf[CT_TEXT_BUFSZ];
	int i, f, len, compared = 0, must = 0, taken = 0, extra = 0, extra_declined = 0;
	int longest = 0, other_flags = 0, unseen = 0;
	size_t k;

	for (i = 0; i < EVENTS; i++) {
		rand_event(&ev);
		if (coin(5))
			rand_extra(&ev);
		for (f = 0; f < 4; f++) {
			len = compare(&ev, flagsets[f], i);
			compared += len >= 0;
			if (rand_is_common(&ev)) {
				must++;
				taken += len >= 0;
			}
			if (ev.extra_len) {
				extra++;
				extra_declined += len < 0;
			}
			if (len > longest)
				longest = len;
		}
		if (ct_text_format(&ev, NFCT_OF_TIMESTAMP, buf, sizeof(buf)) >= 0 ||
		    ct_text_format(&ev, NFCT_OF_ID | NFCT_OF_TIME, buf, sizeof(buf)) >= 0 ||
		    ct_text_format(&ev, NFCT_OF_ID, buf, sizeof(buf) - 1) >= 0)
			other_flags++;
	}
	for (k = 0; k < NPIECES; k++)
		if (!seen[k]) {
			fprintf(stderr, "no line compared had '%s'\n", pieces[k]);
			unseen++;
		}
	CHECK(failed == 0);
	CHECK(must > EVENTS / 2 && taken == must);	/* about a quarter of the events */
	CHECK(extra > 0 && extra_declined == extra);
	CHECK(other_flags == 0);
	CHECK(unseen == 0);
	CHECK(longest > 300);
	/* The longest line there is: every piece at its widest. */
	longest_event(&ev);
	len = compare(&ev, NFCT_OF_SHOW_LAYER3 | NFCT_OF_ID, -1);
	CHECK(len == 531 && failed == 0);
	CHECK(len < CT_TEXT_BUFSZ);
	printf("t_text: %d lines compared, %d differ; %d of %d lines of the common shapes "
	       "taken; longest %d bytes\n", compared, failed, taken, must, longest);
	return unit_done("t_text");
}
