/* ctrecord --import: loads existing `conntrack -E` logs (text, XML or -o save) into the database. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "flowmap.h"
#include "import.h"
#include "import_save.h"
#include "import_src.h"
#include "import_text.h"
#include "import_xml.h"
#include "import_xml_lines.h"
#include "log.h"
#include "record.h"
#include "store.h"
#include "store_flows.h"

/* Where an import carries on from an earlier one, whose open flows it continues. */
struct cont {
	int64_t session;	/* that import's session; 0: none */
	uint64_t bytes;		/* a grown log: that import's size, what the log begins with */
	uint64_t from;		/* ... and where this import starts: the start of the line
				 * byte `bytes` ends in (that import left out a line without
				 * its end) */
	long lines;		/* the lines before `from` */
	uint64_t flows;		/* its flows open when this import began */
};

/* Line reader over src for the text format. */
struct lines {
	char buf[1 << 18];
	size_t pos, len;
	int eof;
	long lineno;
};

/* Returns 1 with the next line (without its newline), 0 at the end, -1 on
 * a read error or a line that does not fit (reported). *ended is 0 for a
 * last line without a newline. */
static int next_line(struct src *s, struct lines *l, char **line, size_t *len, int *ended)
{
	char *nl;
	int n;

	for (;;) {
		nl = memchr(l->buf + l->pos, '\n', l->len - l->pos);
		if (nl || (l->eof && l->pos < l->len)) {
			*line = l->buf + l->pos;
			*len = nl ? (size_t)(nl - *line) : l->len - l->pos;
			*ended = nl != NULL;
			l->pos += *len + (nl ? 1 : 0);
			l->lineno++;
			return 1;
		}
		if (l->eof)
			return 0;
		memmove(l->buf, l->buf + l->pos, l->len - l->pos);
		l->len -= l->pos;
		l->pos = 0;
		if (l->len == sizeof(l->buf))
			return log_error("%s:%ld: line longer than %d bytes", s->name,
					 l->lineno + 1, IMPORT_LINE_MAX);
		n = src_read(s, l->buf + l->len, sizeof(l->buf) - l->len);
		if (n < 0)
			return -1;
		if (n == 0)
			l->eof = 1;
		l->len += (size_t)n;
	}
}

struct run {
	struct recorder rec;
	struct src *src;
	enum src_format fmt;
	int64_t now;
	uint64_t untimed;	/* events without a time in the log */
	uint64_t untimed_now;	/* ... of them before any with one: stored at the import's */
	uint64_t cut;		/* text lines conntrack cut at 1023 bytes */
	long first_cut;		/* the first one's line number */
	int64_t last_us;	/* the time of the last event with one in the log */
	uint64_t back;		/* events timed before the timed event before them */
	int64_t most_back_us;	/* by how much, at most */
	uint64_t gaps;		/* conntrack's ENOBUFS lines */
	uint64_t unprinted;	/* lines of events conntrack could not print (skipped) */
	long first_unprinted;	/* the first one's line number */
	char first_unprinted_text[64];	/* ... and its start */
	uint64_t klast;		/* the kernel time of the last text line with one */
	struct cont cont;	/* the import this one continues, if any */
};

/* The time of an event without one in the log: the event's before it
 * (in order), else the import's. */
static int64_t untimed_at(const struct run *r)
{
	return r->last_us ? r->last_us : r->now;
}

static int store_one(struct run *r, struct ct_event *ev, int timed)
{
	if (!timed) {
		r->untimed++;
		r->untimed_now += !r->last_us;
	} else {
		if (r->last_us && ev->t_us < r->last_us) {
			r->back++;
			if (r->last_us - ev->t_us > r->most_back_us)
				r->most_back_us = r->last_us - ev->t_us;
		}
		r->last_us = ev->t_us;
	}
	r->src->events++;
	src_progress(r->src, 0);
	return record_event(&r->rec, ev);
}

/* conntrack's ENOBUFS warning in the log: a gap, after the event before it. */
static int note_enobufs(struct run *r)
{
	r->gaps++;
	return store_gap_insert(r->rec.st, r->rec.session, untimed_at(r), "enobufs", -1);
}

/* A line of an event conntrack could not print (its "unsupported l3proto"
 * warning, or the save line it left unfinished): skipped, kept whole in
 * table unparsed, and counted for the warning at the end. Returns 0 or -1
 * (reported). */
static int note_unprinted(struct run *r, const char *p, size_t len, long lineno)
{
	if (!r->unprinted++) {
		r->first_unprinted = lineno;
		snprintf(r->first_unprinted_text, sizeof(r->first_unprinted_text), "%.*s",
			 (int)(len < sizeof(r->first_unprinted_text) ? len :
			       sizeof(r->first_unprinted_text) - 1), p);
	}
	return store_unparsed_insert(r->rec.st, r->rec.session, untimed_at(r), p, len);
}

/* Lines conntrack writes besides events (import_conntrack_line()): 1 to
 * pass over (an ENOBUFS warning's gap stored, an unprinted event's warning
 * kept), 0 for an event's, -1 when the row could not be stored (reported). */
static int is_chatter(const char *p, size_t len, long lineno, struct run *r)
{
	switch (import_conntrack_line(p, len)) {
	case IMPORT_ENOBUFS_LINE:
		return note_enobufs(r) ? -1 : 1;
	case IMPORT_UNPRINTED_LINE:
		return note_unprinted(r, p, len, lineno) ? -1 : 1;
	case IMPORT_OWN_LINE:
		return 1;
	default:
		return 0;
	}
}

/* A last line without its newline, left out: a grown log reads it again
 * from its start (find_grown()). */
static void warn_unended(const struct src *s, long lineno)
{
	log_warn("%s:%ld: the last line has no end (was the log still being written?): not"
		 " imported", s->name, lineno);
}

/* Text logs and save logs, a line an event. */
static int import_text(struct run *r)
{
	static struct lines l;
	static struct ct_event ev;
	struct import_err e;
	char *line = NULL;
	size_t len = 0, i;
	int rc, how, ended = 1;

	memset(&l, 0, offsetof(struct lines, buf));
	l.pos = l.len = 0;
	l.eof = 0;
	l.lineno = r->cont.lines;	/* a grown log's: those already imported */
	while ((rc = next_line(r->src, &l, &line, &len, &ended)) > 0) {
		/* a UTF-8 byte order mark; DOS line ends */
		if (l.lineno == 1 && len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
			line += 3;
			len -= 3;
		}
		if (len && line[len - 1] == '\r')
			len--;
		for (i = 0; i < len && line[i] == ' '; i++)
			;
		if (i == len)
			continue;	/* blank */
		if (!ended) {
			/* conntrack ends every line: this one was being written
			 * (cut in a number, it would be read as another) */
			warn_unended(r->src, l.lineno);
			return 0;
		}
		rc = is_chatter(line, len, l.lineno, r);
		if (rc < 0)
			return -1;
		if (rc)
			continue;
		how = 0;	/* (a save line has no time, and is never cut) */
		if (r->fmt == SRC_SAVE ? import_save_line(line, len, untimed_at(r), &ev, &e)
				       : import_text_line(line, len, untimed_at(r), &r->klast, &ev,
							  &how, &e)) {
			if (r->fmt == SRC_SAVE && import_save_unprinted(line, len)) {
				if (note_unprinted(r, line, len, l.lineno))
					return -1;
				continue;
			}
			return log_error("%s:%ld: %s", r->src->name, l.lineno, e.msg);
		}
		if ((how & IMPORT_CUT) && !r->cut++)
			r->first_cut = l.lineno;
		if (store_one(r, &ev, how & IMPORT_TIMED))
			return -1;
	}
	return rc;
}

/* Stores the gaps of the ENOBUFS lines before line `before`. Returns 0 or -1. */
static int xml_gaps(struct run *r, struct xml_lines *xl, long before)
{
	while (xml_lines_gap(xl, before))
		if (note_enobufs(r))
			return -1;
	return 0;
}

static int import_xml(struct run *r)
{
	static struct ct_event ev;
	struct xml_lines *xl = xml_lines_new(src_xml_read, r->src);
	struct import_xml *x = NULL;
	struct import_err e;
	long line = 0;
	int rc, timed;

	if (xl && r->cont.bytes) {	/* a grown log, read from where it grew */
		xml_lines_from(xl, r->cont.lines);
		x = import_xml_new_grown(xml_lines_read, xl, r->cont.lines);
	} else if (xl) {
		x = import_xml_new(xml_lines_read, xl);
	}
	if (!x) {
		xml_lines_free(xl);
		return log_error("out of memory");
	}
	e.msg[0] = 0;
	while ((rc = import_xml_next(x, untimed_at(r), &ev, &timed, &e, &line)) > 0)
		if (xml_gaps(r, xl, line) || store_one(r, &ev, timed)) {
			rc = -2;	/* (reported) */
			break;
		}
	if (rc == 0 && xml_gaps(r, xl, LONG_MAX))
		rc = -2;
	r->cut = xml_lines_cut(xl, &r->first_cut);
	if (rc == 0 && xml_lines_unended(xl))
		warn_unended(r->src, xml_lines_unended(xl));
	import_xml_free(x);
	xml_lines_free(xl);
	/* the log's error, unless reading it failed (reported) */
	if (rc == -1 && !r->src->failed && e.msg[0])
		log_error("%s:%ld: %s", r->src->name, line, e.msg);
	return rc < 0 ? -1 : 0;
}

/* An earlier import left out its last line without an end (text), or the
 * one of an XML log that was not whole (xml_line_partial()), and read
 * such a line that was: reads that line (from c->from on) and moves c->from
 * past it if the import read it. Returns 0 or -1 (reported). */
static int whole_last_line(struct src *s, struct cont *c)
{
	char line[4096];
	size_t n = (size_t)(c->bytes - c->from);
	int got;

	if (!n)
		return 0;
	if (n > sizeof(line)) {	/* (passed as it was: read) */
		c->from = c->bytes;
		return 0;
	}
	if (src_rewind(s) || src_skip(s, c->from) || (got = src_read(s, line, n)) < 0)
		return -1;
	if (got != (int)n)
		return log_error("'%s' is shorter than when it was imported", s->name);
	if (!xml_line_partial(line, n))
		c->from = c->bytes;
	return 0;
}

/* A regular file that grew since an earlier import: sets c to the largest
 * such import (none: c->session stays 0) and leaves s where this import is
 * to start, before any event is read: at c->from, or at the start. Hashes
 * the file's first bytes up to the largest earlier import no larger than it;
 * one as large as it is a duplicate, which finish() refuses. Returns 0 or
 * -1 (reported). */
static int find_grown(struct src *s, struct cont *c, int xml)
{
	uint64_t upto = 0;
	size_t i;

	for (i = 0; i < s->nprior; i++)
		if ((int64_t)s->prior[i].bytes <= s->size)
			upto = s->prior[i].bytes;
	if (!upto)
		return 0;
	if (src_skip(s, upto))
		return -1;
	if (s->begins_session && s->begins_bytes < (uint64_t)s->size) {
		c->session = s->begins_session;
		c->bytes = s->begins_bytes;
		c->from = s->begins_line_at;
		if (xml && whole_last_line(s, c) < 0)
			return -1;
		c->lines = s->begins_lines;
	}
	return src_rewind(s) || src_skip(s, c->from) || src_peek(s) ? -1 : 0;
}

static int continue_flow(int64_t flow, const struct ct_event *ev, void *data)
{
	struct run *r = data;

	if (!flowmap_add(r->rec.open, ev, flow))
		return log_error("out of memory");
	r->cont.flows++;
	return 0;
}

/* --continue: sets c to the last import. Returns 0, or -1 when there is
 * none or on a database error (reported). */
static int continue_last(struct store *st, struct cont *c)
{
	c->session = store_import_last(st);
	if (c->session < 0)
		return -1;
	if (!c->session)
		return log_error("--continue: no earlier import to continue; nothing imported");
	return 0;
}

/* Picks up the flows the import r continues left open, and says so. Returns
 * 0 or -1 (reported). */
static int continue_import(struct run *r)
{
	const struct src *s = r->src;

	if (store_each_open_import_flow(r->rec.st, r->cont.session, continue_flow, r))
		return -1;
	/* what comes before its first timed event (an untimed one, an ENOBUFS
	 * line) follows the last event of the import it continues */
	if ((r->last_us = store_session_last_us(r->rec.st, r->cont.session)) < 0)
		return -1;
	if (!r->cont.bytes)
		log_info("'%s' continues the import of session %lld (--continue): %llu flows it left"
			 " open", s->name, (long long)r->cont.session,
			 (unsigned long long)r->cont.flows);
	else if (r->cont.from == r->cont.bytes)
		log_info("'%s' continues the import of session %lld (its first %llu bytes): importing"
			 " the %llu bytes after them", s->name, (long long)r->cont.session,
			 (unsigned long long)r->cont.bytes,
			 (unsigned long long)(s->size - (int64_t)r->cont.from));
	else
		log_info("'%s' continues the import of session %lld (its first %llu bytes, the last"
			 " line unended): importing the %llu bytes from that line on", s->name,
			 (long long)r->cont.session, (unsigned long long)r->cont.bytes,
			 (unsigned long long)(s->size - (int64_t)r->cont.from));
	return 0;
}

/* The format's name, as the imports table keeps it. */
static const char *format_name(enum src_format fmt)
{
	return fmt == SRC_XML ? "xml" : fmt == SRC_SAVE ? "save" : "text";
}

/* Checks for an earlier import of the same bytes and records this one. */
static int finish(struct run *r, const struct import_opts *o)
{
	struct src *s = r->src;
	char digest[64];
	int64_t prev;

	src_digest(s, s->bytes, digest, sizeof(digest));
	prev = store_import_find(r->rec.st, digest);
	if (prev < 0)
		return -1;
	if (prev > 0 && !o->force)
		return log_error("%s: this content was imported before (session %lld);"
				 " nothing imported (use --force to import it again)",
				 s->name, (long long)prev);
	/* a log that grew since it was imported, not continued (find_grown:
	 * read from standard input): its events would be there twice */
	if (s->begins_session && !o->force && !r->cont.bytes)
		return log_error("%s: its first %llu bytes were imported before (session %lld)"
				 " and it has grown since; nothing imported (import the log by"
				 " its file name: only what follows them is read then)",
				 s->name, (unsigned long long)s->begins_bytes,
				 (long long)s->begins_session);
	if (store_import_insert(r->rec.st, r->rec.session, digest, (int64_t)s->bytes,
				format_name(r->fmt), (int64_t)r->rec.n.events, (int64_t)r->untimed,
				r->cont.session) ||
	    store_session_stop(r->rec.st, r->rec.session, clock_now_us()))
		return -1;
	return store_commit_whole(r->rec.st);
}

int import_log(struct store *st, const struct import_opts *o)
{
	static struct src s;
	struct run r = { .rec = { .st = st }, .src = &s };
	int stdin_ = !strcmp(o->file, "-"), fmt, rc = -1, empty = 0;

	if (src_open(&s, o->file))
		return -1;
	r.rec.open = flowmap_new();
	r.now = clock_now_us();
	if (!r.rec.open) {
		log_error("out of memory");
		goto out;
	}
	fmt = src_detect(&s);
	if (fmt < 0 || store_begin(st) || store_imports_by_size(st, src_add_prior, &s))
		goto out;
	/* a regular file named: its start can be read twice */
	r.fmt = (enum src_format)fmt;
	if (!o->force && !stdin_ && s.size >= 0 && find_grown(&s, &r.cont, fmt == SRC_XML))
		goto out;
	/* (a grown log continues its own import, not necessarily the last) */
	if (o->cont && !r.cont.session && continue_last(st, &r.cont))
		goto out;
	r.rec.session = store_session_start(st, "import", s.name, r.now);
	if (r.rec.session < 0 || (r.cont.session && continue_import(&r)))
		goto out;
	if (fmt == SRC_XML ? import_xml(&r) : import_text(&r))
		goto out;	/* nothing committed: store_close() rolls back */
	if (!r.rec.n.events && !r.gaps && !r.unprinted) {
		/* nothing to keep: no session either, and the next empty log
		 * is no duplicate of this one */
		if (r.cont.bytes)
			log_warn("%s: no events after what session %lld imported; nothing imported",
				 s.name, (long long)r.cont.session);
		else
			log_warn("%s: no events in it; nothing imported", s.name);
		rc = 0;
		empty = 1;
		goto out;
	}
	if (finish(&r, o))
		goto out;
	rc = 0;
out:
	src_progress(&s, 1);
	if (rc == 0 && !empty) {
		log_info("imported %llu events, %llu flows from '%s' (%s)",
			 (unsigned long long)r.rec.n.events, (unsigned long long)r.rec.n.flows,
			 s.name, format_name(r.fmt));
		if (r.untimed_now)
			log_warn("%llu events had no time in the log: stored with the import's time",
				 (unsigned long long)r.untimed_now);
		if (r.untimed > r.untimed_now)
			log_warn("%llu events had no time in the log: stored with the time of the"
				 " event before them", (unsigned long long)(r.untimed - r.untimed_now));
		if (r.back)
			log_warn("%llu events are timed before the event before them in the log (by"
				 " up to %.6f s): logs joined out of order? Their flows' times may"
				 " not add up", (unsigned long long)r.back, r.most_back_us / 1e6);
		if (r.unprinted)
			log_warn("%llu lines were conntrack's for events it could not print (the first:"
				 " line %ld, '%s'): skipped, kept in table unparsed", (unsigned long long)
				 r.unprinted, r.first_unprinted, r.first_unprinted_text);
		if (r.cut)
			log_warn("%llu lines were cut at %d bytes by conntrack (the first: line %ld):"
				 " what they held past that is lost", (unsigned long long)r.cut,
				 IMPORT_CONNTRACK_CUT, r.first_cut);
	}
	flowmap_free(r.rec.open);
	src_close(&s);
	return rc;
}
