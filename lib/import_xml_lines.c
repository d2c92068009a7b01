/* Between an XML log of conntrack -E and the XML reader: conntrack's own lines blanked, its cut lines closed. */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "import_text.h"
#include "import_xml_lines.h"

#define LINE_MAX_OURS 4096	/* longer lines are passed through */
#define DEPTH 16
#define NAME 24

struct xml_lines {
	int (*read)(void *ctx, char *buf, int len);
	void *ctx;
	char raw[65536];
	size_t rpos, rlen;
	int eof;
	char line[LINE_MAX_OURS];	/* the current line, while it may be one to change */
	size_t llen;
	int passing;		/* the current line is too long: passed as it is */
	/* what waits to be read: a line, the tags that close it, its suffix
	 * escaped (5 bytes for 1 at most) */
	char out[LINE_MAX_OURS * 5 + DEPTH * (NAME + 4) + 2];
	size_t opos, olen;
	long lineno;		/* lines ended so far */
	uint64_t cut;
	long first_cut;
	long unended;		/* the number of a last line without its newline, left out */
	long *gaps;		/* numbers of ENOBUFS lines */
	size_t ngaps, gaps_cap, gaps_taken;
};

struct xml_lines *xml_lines_new(int (*read)(void *ctx, char *buf, int len), void *ctx)
{
	struct xml_lines *l = calloc(1, sizeof(*l));

	if (l) {
		l->read = read;
		l->ctx = ctx;
	}
	return l;
}

void xml_lines_from(struct xml_lines *l, long lines)
{
	l->lineno = lines;
}

void xml_lines_free(struct xml_lines *l)
{
	if (l)
		free(l->gaps);
	free(l);
}

static int starts(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && !memcmp(p, s, k);
}

static void emit(struct xml_lines *l, const char *p, size_t n)
{
	memcpy(l->out + l->olen, p, n);
	l->olen += n;
}

/* Emits the first n bytes of a cut <flow> line p cut back to the end of its
 * last whole part (a child of the <flow> or of a <meta>), and closes the
 * elements open there. Returns 0, or -1 when the line is not made of tags
 * that nest (it is left as it is). */
static int close_cut(struct xml_lines *l, const char *p, size_t n)
{
	char open[DEPTH][NAME], safe[DEPTH][NAME];
	size_t i = 0, depth = 0, safe_depth = 0, safe_pos = 0, k;

	while (i < n) {
		const char *lt = memchr(p + i, '<', n - i), *gt;
		size_t len;

		if (!lt || !(gt = memchr(lt, '>', (size_t)(p + n - lt))))
			break;	/* the cut */
		len = (size_t)(gt - lt) + 1;
		if (lt[1] == '/') {
			if (!depth || len - 3 >= NAME || strncmp(open[depth - 1], lt + 2, len - 3) ||
			    open[depth - 1][len - 3])
				return -1;
			depth--;
		} else if (gt[-1] != '/') {
			size_t m = 0;

			while (lt + 1 + m < gt && !strchr(" /", lt[1 + m]))
				m++;
			if (depth == DEPTH || m >= NAME || m == 0)
				return -1;
			memcpy(open[depth], lt + 1, m);
			open[depth++][m] = 0;
		}
		i = (size_t)(gt - p) + 1;
		/* whole parts of a <meta> or of the <flow>: a <when> or a
		 * <labels> cut in the middle goes whole */
		if ((lt[1] == '/' || gt[-1] == '/') && depth &&
		    (!strcmp(open[depth - 1], "flow") || !strcmp(open[depth - 1], "meta"))) {
			safe_pos = i;
			safe_depth = depth;
			memcpy(safe, open, depth * sizeof(open[0]));
		}
	}
	if (!safe_depth)
		return -1;
	emit(l, p, safe_pos);
	for (k = safe_depth; k-- > 0;) {
		emit(l, "</", 2);
		emit(l, safe[k], strlen(safe[k]));
		emit(l, ">", 1);
	}
	return 0;
}

/* Emits the text after a </flow>, p (n bytes), with XML's special
 * characters escaped: conntrack prints the [USERSPACE] suffix's program
 * name as it is, and one with a '<' or '&' would not parse. */
static void emit_suffix(struct xml_lines *l, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '<')
			emit(l, "&lt;", 4);
		else if (p[i] == '>')
			emit(l, "&gt;", 4);
		else if (p[i] == '&')
			emit(l, "&amp;", 5);
		else
			emit(l, p + i, 1);
}

/* A <flow> line p (n bytes), line number no: its [USERSPACE] suffix
 * escaped, and closed if conntrack cut it at 1023 bytes (the suffix comes
 * after the cut). Returns 1 when emitted, 0 to emit it as it is. */
static int take_flow_line(struct xml_lines *l, const char *p, size_t n, long no)
{
	static const char us[] = " [USERSPACE] portid=";
	const char *end = memmem(p, n, "</flow>", 7);
	size_t k = end ? (size_t)(end - p) + 7 : IMPORT_CONNTRACK_CUT;

	if (k > n || (k < n && !starts(p + k, n - k, us)))
		return 0;
	if (end)
		emit(l, p, k);
	else if (close_cut(l, p, k))
		return 0;
	else if (!l->cut++)
		l->first_cut = no;
	emit_suffix(l, p + k, n - k);
	return 1;
}

/* Emits line p (n bytes, without its newline), changed if it is one of
 * those xml_lines_read() changes, then a newline. */
static void take_line(struct xml_lines *l, const char *p, size_t n)
{
	long no = l->lineno + 1;
	int own = import_conntrack_line(p, n);

	if (own == IMPORT_ENOBUFS_LINE) {
		long *g = grow_array(l->gaps, &l->gaps_cap, l->ngaps, sizeof(*g), 16);

		if (g) {	/* (out of memory: the gap is not recorded) */
			l->gaps = g;
			l->gaps[l->ngaps++] = no;
		}
		n = 0;
	} else if (own == IMPORT_OWN_LINE) {
		n = 0;
	} else if (starts(p, n, "<flow") && take_flow_line(l, p, n, no)) {
		n = 0;
	}
	emit(l, p, n);
	emit(l, "\n", 1);
}

int xml_line_partial(const char *p, size_t n)
{
	while (n && strchr(" \t\r", p[n - 1]))
		n--;
	while (n && strchr(" \t\r", *p)) {
		p++;
		n--;
	}
	return n && !memmem(p, n, "</flow>", 7) && !(n == 12 && !memcmp(p, "</conntrack>", 12));
}

/* At the end of the input, a last line without its newline: as it is when
 * it is whole, else (the log read while conntrack wrote that line, or cut
 * short when the disk filled up) left out, as in a text log. */
static void end_unended(struct xml_lines *l)
{
	if (xml_line_partial(l->line, l->llen))
		l->unended = l->lineno + 1;
	else
		emit(l, l->line, l->llen);
	l->llen = 0;
}

/* Moves input to l->out: at least one byte unless the input ended.
 * Returns 0, or -1 on a read error. */
static int refill(struct xml_lines *l)
{
	while (!l->olen) {
		const char *p, *nl;
		size_t n;

		if (l->rpos == l->rlen) {
			int r;

			if (l->eof)
				break;
			r = l->read(l->ctx, l->raw, (int)sizeof(l->raw));
			if (r < 0)
				return -1;
			l->rpos = 0;
			l->rlen = (size_t)r;
			if (r == 0) {
				l->eof = 1;
				end_unended(l);
				break;
			}
		}
		p = l->raw + l->rpos;
		n = l->rlen - l->rpos;
		nl = memchr(p, '\n', n);
		if (nl)
			n = (size_t)(nl - p) + 1;
		if (!l->passing && l->llen + n > sizeof(l->line)) {
			/* too long to be conntrack's: out with what was held */
			emit(l, l->line, l->llen);
			l->llen = 0;
			l->passing = 1;
		}
		if (l->passing) {
			if (n > sizeof(l->out) - l->olen)
				n = sizeof(l->out) - l->olen;
			emit(l, p, n);
		} else if (nl) {
			memcpy(l->line + l->llen, p, n - 1);
			take_line(l, l->line, l->llen + n - 1);
			l->llen = 0;
		} else {
			memcpy(l->line + l->llen, p, n);
			l->llen += n;
		}
		l->rpos += n;
		if (n && p[n - 1] == '\n') {
			l->lineno++;
			l->passing = 0;
		}
	}
	return 0;
}

int xml_lines_read(void *arg, char *buf, int len)
{
	struct xml_lines *l = arg;
	size_t n;

	if (l->opos == l->olen) {
		l->opos = l->olen = 0;
		if (refill(l))
			return -1;
	}
	n = l->olen - l->opos;
	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(buf, l->out + l->opos, n);
	l->opos += n;
	return (int)n;
}

long xml_lines_unended(const struct xml_lines *l)
{
	return l->unended;
}

uint64_t xml_lines_cut(const struct xml_lines *l, long *first)
{
	*first = l->first_cut;
	return l->cut;
}

long xml_lines_gap(struct xml_lines *l, long before)
{
	if (l->gaps_taken < l->ngaps && l->gaps[l->gaps_taken] < before)
		return l->gaps[l->gaps_taken++];
	return 0;
}
