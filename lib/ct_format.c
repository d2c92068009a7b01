/* Prints events exactly as `conntrack -E` printed them, through the same library formatter. */
#include <string.h>
#include <time.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_encode.h"
#include "ct_format.h"
#include "ct_pretty.h"
#include "log.h"

/* conntrack -E formats into a buffer of this size, cutting lines at 1023 bytes. */
#define CONNTRACK_BUFSZ 1024

int ct_fmt_parse(struct ct_fmt *f, const char *list)
{
	char words[256], *w, *save = NULL;

	if (strlen(list) >= sizeof(words))
		return log_error("-o list too long: '%s'", list);
	strcpy(words, list);
	for (w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "xml"))
			f->xml = 1;
		else if (!strcmp(w, "extended"))
			f->extended = 1;
		else if (!strcmp(w, "id"))
			f->id = 1;
		else if (!strcmp(w, "ktimestamp"))
			f->ktimestamp = 1;
		else if (!strcmp(w, "timestamp"))
			f->timestamp = 1;
		else if (!strcmp(w, "labels"))
			f->labels = 1;
		else if (strcmp(w, "userspace"))	/* no effect, as in conntrack 1.4.7 */
			return log_error("unknown -o option '%s'", w);
	}
	return 0;
}

int ct_fmt_open(struct ct_fmt *f)
{
	if (f->labels && !f->labelmap) {
		/* As conntrack: without a readable map, labels print as bit numbers. */
		f->labelmap = nfct_labelmap_new(NULL);
		if (!f->labelmap)
			log_warn("cannot read the connlabel map; labels are shown as numbers");
	}
	return 0;
}

/* Replaces the <when> element the library wrote (the time of formatting)
 * with the event's receive time, as conntrack would have written it then. */
static void set_when(char *buf, size_t size, int64_t t_us)
{
	char when[160], *start, *end;
	time_t t = t_us / 1000000;
	struct tm tm;
	size_t tail;

	start = strstr(buf, "<when>");
	end = start ? strstr(start, "</when>") : NULL;
	if (!end || !localtime_r(&t, &tm))
		return;
	end += strlen("</when>");
	snprintf(when, sizeof(when),
		 "<when><hour>%d</hour><min>%02d</min><sec>%02d</sec><wday>%d</wday>"
		 "<day>%d</day><month>%d</month><year>%d</year></when>",
		 tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_wday + 1, tm.tm_mday,
		 tm.tm_mon + 1, 1900 + tm.tm_year);
	tail = strlen(end) + 1;
	if ((size_t)(start - buf) + strlen(when) + tail > size)
		return;
	memmove(start + strlen(when), end, tail);
	memcpy(start, when, strlen(when));
}

static int format_line(struct ct_fmt *f, const struct ct_event *ev, char *line)
{
	static const int types[] = {
		[CT_EV_NEW] = NFCT_T_NEW, [CT_EV_UPDATE] = NFCT_T_UPDATE,
		[CT_EV_DESTROY] = NFCT_T_DESTROY, [CT_EV_DUMP] = NFCT_T_UNKNOWN,
	};
	char msg[CT_ENCODE_BUFSZ] __attribute__((aligned(8)));
	char big[4 * CONNTRACK_BUFSZ];
	unsigned int flags = 0;
	struct nf_conntrack *ct;
	int ret;

	ct = nfct_new();
	if (!ct)
		return log_error("out of memory");
	if (nfct_nlmsg_parse(ct_encode(ev, msg), ct) < 0) {
		nfct_destroy(ct);
		return log_error("stored event cannot be parsed by libnetfilter_conntrack");
	}
	if (f->extended)
		flags |= NFCT_OF_SHOW_LAYER3;
	if (f->timestamp && f->xml)
		flags |= NFCT_OF_TIME;
	if (f->ktimestamp)
		flags |= NFCT_OF_TIMESTAMP;
	if (f->id)
		flags |= NFCT_OF_ID;
	if (flags & NFCT_OF_TIME) {
		/* Format whole, put the recorded time in, then cut as conntrack did. */
		ret = nfct_snprintf_labels(big, sizeof(big), ct, types[ev->type],
					   NFCT_O_XML, flags, f->labelmap);
		set_when(big, sizeof(big), ev->t_us);
		big[CONNTRACK_BUFSZ - 1] = 0;
		memcpy(line, big, strlen(big) + 1);
	} else {
		ret = nfct_snprintf_labels(line, CONNTRACK_BUFSZ, ct, types[ev->type],
					   f->xml ? NFCT_O_XML : NFCT_O_DEFAULT, flags,
					   f->labelmap);
	}
	nfct_destroy(ct);
	if (ret < 0)
		return log_error("libnetfilter_conntrack cannot format a stored event");
	return 0;
}

int ct_fmt_event(struct ct_fmt *f, const struct ct_event *ev, FILE *out)
{
	char line[CONNTRACK_BUFSZ];

	if (ev->type < CT_EV_NEW || ev->type > CT_EV_DUMP)
		return log_error("stored event has unknown type %d", ev->type);
	if (format_line(f, ev, line))
		return -1;
	if (f->xml && !f->header_done) {
		f->header_done = 1;
		if (f->pretty)
			ct_pretty_begin(out);
		else
			fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n", out);
	}
	if (f->pretty)	/* the documented layout has no [USERSPACE] suffix */
		return ct_pretty_flow(line, out);
	if (f->timestamp && !f->xml) {
		long sec = ev->t_us / 1000000, usec = ev->t_us % 1000000;

		fprintf(out, "[%-.8ld.%-.6ld]\t", sec, usec);
	}
	if (ev->portid && ev->progname[0])
		fprintf(out, "%s [USERSPACE] portid=%u progname=%s\n", line, ev->portid,
			ev->progname);
	else if (ev->portid)
		fprintf(out, "%s [USERSPACE] portid=%u\n", line, ev->portid);
	else {
		fputs(line, out);
		fputc('\n', out);
	}
	return 0;
}

void ct_fmt_close(struct ct_fmt *f, FILE *out)
{
	if (f->xml && f->header_done && f->pretty)
		ct_pretty_end(out);
	else if (f->xml && f->header_done)
		fputs("</conntrack>\n", out);
	if (f->labelmap)
		nfct_labelmap_destroy(f->labelmap);
	f->labelmap = NULL;
}
