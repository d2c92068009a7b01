/* Unit test: ct_xml_format() writes byte for byte what libnetfilter_conntrack writes (as format_line() has it written) for the same event, over random events and every flag it handles, and takes the common ones. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_format.h"
#include "ct_xml.h"
#include "randev.h"
#include "unit.h"

#define EVENTS 30000

/* An event whose line is as long as a line can be: IPv6 tuples of
 * 39-character addresses, GRE keys (one byte more than udplite's name and
 * ports), zones, 20-digit counters, every optional element, and a 20-digit
 * deltatime: a start time past the clock and no stop (with both, the
 * deltatime has at most 11 digits). */
static void longest_event(struct ct_event *ev)
{
	rand_widest(ev);
	ev->status = IPS_ASSURED;	/* and not SEEN_REPLY: <assured/><unreplied/> */
	ev->t_us = INT64_MIN;		/* the widest year */
}

/* The library's line, as format_line() in lib/ct_format.c has it written.
 * Returns its length, or -1. */
static int library_line(const struct ct_event *ev, unsigned int flags, char *line)
{
	int ret = ct_fmt_library_line(ev, flags, 1, NULL, line);

	return ret < 0 ? -1 : ret;
}

static int failed;

/* Pieces the lines compared must have shown somewhere, so that each rule was
 * put to the test. */
static const char *const pieces[] = {
	"<flow>", "<flow type=\"new\">", "<flow type=\"update\">", "<flow type=\"destroy\">",
	"protonum=\"10\" protoname=\"ipv6\"", "protonum=\"2\" protoname=\"ipv4\"",
	"<layer4 protonum=\"200\" protoname=\"unknown\"></layer4>",
	"<layer4 protonum=\"136\" protoname=\"udplite\"><sport>",
	"<layer4 protonum=\"33\" protoname=\"dccp\"><sport>",
	"<layer4 protonum=\"132\" protoname=\"sctp\"><sport>",
	"<layer4 protonum=\"1\" protoname=\"icmp\"></layer4>",
	"<layer4 protonum=\"58\" protoname=\"icmpv6\"></layer4>",
	"<srckey>0x", "<dstkey>0x0</dstkey>", "<sport>65535</sport>", "<dport>0</dport>",
	"</layer4><zone>", "<zone>0</zone>",
	"<meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>",
	"<packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"independent\">",
	"<packets>18446744073709551615</packets>", "<state>SYN_SENT2</state>",
	"<state>ESTABLISHED</state>", "<state>NONE</state>", "<timeout>0</timeout>",
	"<mark>0</mark>", "<id>", "<assured/><unreplied/>", "<assured/>", "<unreplied/>",
	"<meta direction=\"independent\"></meta>", "<timestamp><start>", "</start><stop>",
	"<timestamp><stop>", "</start></timestamp>", "<deltatime>0</deltatime>",
	"<deltatime>1844674407", "</meta><when><hour>", "<year>-", "<min>0", "<sec>0",
	"</when></flow>", "</meta></flow>",
	">::ffff:", ">::1<", ">::<", "::1.", ":0:", ">0.0.0.0<", ">255.255.", ":ffff:0:",
};
#define NPIECES (sizeof(pieces) / sizeof(pieces[0]))
static int seen[NPIECES];

/* Compares the two lines of ev with these flags, and checks that the fast
 * path writes nothing past CT_XML_BUFSZ. Returns the fast path's length (its
 * line matched, else it is reported), -1 when it declined, -2 when it
 * declined a line the library cut at 1023 bytes (a line of 1023 bytes or
 * more that the fast path keeps is reported). *lib_len is the library's
 * length. A line with a deltatime from the clock is compared again when the
 * clock ticked in between. */
static int compare(const struct ct_event *ev, unsigned int flags, int n, int *lib_len)
{
	char fast[CT_XML_BUFSZ + 64], lib[1024];
	int try, x = -1, y = -1;
	size_t i;
	time_t t0;

	for (try = 0; try < 2; try++) {
		t0 = time(NULL);
		memset(fast, 0xa5, sizeof(fast));
		x = ct_xml_format(ev, flags, fast, CT_XML_BUFSZ);
		for (i = CT_XML_BUFSZ; i < sizeof(fast); i++)
			if ((unsigned char)fast[i] != 0xa5) {
				if (failed++ < 5)
					fprintf(stderr, "event %d, flags 0x%x: written past the buffer\n",
						n, flags);
				break;
			}
		y = library_line(ev, flags, lib);
		*lib_len = y;
		if (x < 0)
			return y == 1023 ? -2 : -1;
		if (x == y && !memcmp(fast, lib, x + 1) && x < 1023) {
			for (i = 0; i < NPIECES; i++)
				seen[i] |= strstr(fast, pieces[i]) != NULL;
			return x;
		}
		if (time(NULL) == t0)
			break;
	}
	if (failed++ < 5) {
		int d = 0, from;

		while (x >= 0 && d < x && d < y && fast[d] == lib[d])
			d++;
		from = d > 60 ? d - 60 : 0;
		fprintf(stderr, "event %d, flags 0x%x: %d and %d bytes, first difference at byte %d\n"
			"  fast: '%.*s'\n  lib:  '%s'\n  there: fast '...%.100s'\n"
			"         lib  '...%.100s'\n", n, flags, x, y, d, x < 0 ? 0 : x, fast, lib,
			x < 0 ? "" : fast + from, y < 0 ? "" : lib + from);
	}
	return x;
}

/* ct_fmt_event() end to end, with ct_xml_format() inside it: the library's
 * line, the [USERSPACE] suffix, the newline. Returns non-zero on a mismatch. */
static int compare_event(const struct ct_event *ev, unsigned int flags, int n)
{
	struct ct_fmt f = { .xml = 1, .header_done = 1 };
	char *out = NULL, want[1024 + 128];
	size_t len = 0;
	int try, y, bad = 1;
	time_t t0;
	FILE *mf;

	f.extended = !!(flags & NFCT_OF_SHOW_LAYER3);
	f.id = !!(flags & NFCT_OF_ID);
	f.ktimestamp = !!(flags & NFCT_OF_TIMESTAMP);
	f.timestamp = !!(flags & NFCT_OF_TIME);
	for (try = 0; try < 2 && bad; try++) {
		free(out);
		out = NULL;
		t0 = time(NULL);
		mf = open_memstream(&out, &len);
		if (!mf)
			return 1;
		ct_fmt_event(&f, ev, mf);
		fclose(mf);
		if (library_line(ev, flags, want) < 0)
			want[0] = 0;
		y = strlen(want);
		if (ev->portid) {
			y += snprintf(want + y, sizeof(want) - y, " [USERSPACE] portid=%u",
				      ev->portid);
			if (ev->progname[0])
				y += snprintf(want + y, sizeof(want) - y, " progname=%s",
					      ev->progname);
		}
		want[y++] = '\n';
		want[y] = 0;
		bad = len != (size_t)y || memcmp(out, want, y);
		if (time(NULL) == t0)
			break;
	}
	if (bad && failed++ < 5)
		fprintf(stderr, "event %d, flags 0x%x, ct_fmt_event():\n  got:  '%s'\n  want: '%s'\n",
			n, flags, out, want);
	free(out);
	return bad;
}

int main(void)
{
	static const unsigned int flagsets[] = {
		0, NFCT_OF_SHOW_LAYER3, NFCT_OF_ID, NFCT_OF_SHOW_LAYER3 | NFCT_OF_ID,
		NFCT_OF_TIMESTAMP, NFCT_OF_TIMESTAMP | NFCT_OF_ID, NFCT_OF_TIME,
		NFCT_OF_SHOW_LAYER3 | NFCT_OF_ID | NFCT_OF_TIMESTAMP | NFCT_OF_TIME,
	};
#define NFLAGSETS (sizeof(flagsets) / sizeof(flagsets[0]))
	static struct ct_event ev;
	char buf[CT_XML_BUFSZ];
	int i, len, lib_len, compared = 0, must = 0, taken = 0, extra = 0, extra_declined = 0;
	int longest = 0, other = 0, unseen = 0, cut = 0, e2e = 0, e2e_bad = 0;
	size_t f, k;

	/* A zone with summer time and a half-hour offset, without tzdata. */
	setenv("TZ", "NST3:30NDT,M3.2.0,M11.1.0", 1);
	tzset();
	for (i = 0; i < EVENTS; i++) {
		rand_event(&ev);
		if (coin(5))
			rand_extra(&ev);
		for (f = 0; f < NFLAGSETS; f++) {
			len = compare(&ev, flagsets[f], i, &lib_len);
			compared += len >= 0;
			cut += len == -2;
			if (rand_is_common(&ev) && lib_len >= 0 && lib_len < 1023) {
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
		/* what it leaves alone: other flags, a small buffer */
		if (ct_xml_format(&ev, 1U << 4, buf, sizeof(buf)) >= 0 ||
		    ct_xml_format(&ev, NFCT_OF_ID | 1U << 7, buf, sizeof(buf)) >= 0 ||
		    ct_xml_format(&ev, NFCT_OF_ID, buf, sizeof(buf) - 1) >= 0)
			other++;
		/* through ct_fmt_event(), now and then, with a process's suffix */
		if (i % 10 == 0 && ev.type >= CT_EV_NEW && ev.type <= CT_EV_DUMP) {
			ev.portid = coin(50) ? 0 : rnd();
			if (coin(50))
				snprintf(ev.progname, sizeof(ev.progname), "prog%d", i);
			e2e++;
			e2e_bad += compare_event(&ev, flagsets[rnd() % NFLAGSETS], i);
		}
	}
	for (k = 0; k < NPIECES; k++)
		if (!seen[k]) {
			fprintf(stderr, "no line compared had '%s'\n", pieces[k]);
			unseen++;
		}
	CHECK(failed == 0);
	CHECK(must > EVENTS && taken == must);
	CHECK(extra > 0 && extra_declined == extra);
	CHECK(other == 0);
	CHECK(unseen == 0);
	CHECK(longest > 700);
	CHECK(e2e_bad == 0);

	/* The longest line there is: without <timestamp> and <when> it is kept
	 * (1018 bytes: never cut), with them conntrack cut it and it is left to
	 * the library. */
	longest_event(&ev);
	len = compare(&ev, NFCT_OF_SHOW_LAYER3 | NFCT_OF_ID, -1, &lib_len);
	CHECK(len == 1018 && failed == 0);
	len = compare(&ev, NFCT_OF_TIMESTAMP | NFCT_OF_TIME, -2, &lib_len);
	CHECK(len == -2 && lib_len == 1023 && failed == 0);
	ev.t_us = INT64_MAX;
	len = compare(&ev, NFCT_OF_TIMESTAMP | NFCT_OF_TIME, -3, &lib_len);
	CHECK(len == -2 && lib_len == 1023 && failed == 0);
	CHECK(compare_event(&ev, NFCT_OF_TIMESTAMP | NFCT_OF_TIME, -3) == 0);
	printf("t_xml: %d lines compared, %d differ; %d of %d lines of the common shapes "
	       "taken; %d cut lines left to the library; %d through ct_fmt_event(); longest %d "
	       "bytes\n", compared, failed, taken, must, cut, e2e, longest);
	return unit_done("t_xml");
}
