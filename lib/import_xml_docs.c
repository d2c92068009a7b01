/* Cuts an input into the XML documents it holds (a log that `conntrack -E -o xml` appended to more than once) and gives each to libxml2's reader whole. */
#include <ctype.h>
#include <string.h>

#include "import_xml_docs.h"

/* What an input that begins inside a document is read after: the start of
 * one, on the same line as its first. */
static const char mid_doc_head[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><conntrack>";

void xml_docs_init(struct xml_docs *d, int (*read)(void *ctx, char *buf, int len), void *ctx,
		   int mid_doc, long lines)
{
	memset(d, 0, sizeof(*d));
	d->read = read;
	d->ctx = ctx;
	d->mid_doc = mid_doc;
	d->line_base = lines;
}

void xml_docs_next(struct xml_docs *d)
{
	d->line_base += d->doc_lines;
	d->doc_lines = 0;
	d->doc_started = d->doc_over = d->at_eof = 0;
	memset(d->tail, 0, sizeof(d->tail));
}

/* An input that may begin inside a document, once its first bytes are
 * held: puts the start of one before them, unless they begin a document
 * of their own. (fill() keeps room for it.) */
static void open_mid_doc(struct xml_docs *d)
{
	size_t from = 0, n = sizeof(mid_doc_head) - 1;

	while (from < d->hlen && (isspace((unsigned char)d->hold[from]) ||
				  (unsigned char)d->hold[from] == 0xef ||
				  (unsigned char)d->hold[from] == 0xbb ||
				  (unsigned char)d->hold[from] == 0xbf))
		from++;
	if (d->hlen - from < 5 && !d->src_eof)
		return;	/* more input first */
	d->mid_doc = 0;
	if (d->hlen - from >= 5 && !memcmp(d->hold + from, "<?xml", 5))
		return;
	memmove(d->hold + n, d->hold, d->hlen);
	memcpy(d->hold, mid_doc_head, n);
	d->hlen += n;
}

/* Refills the held input, keeping what is not given yet. Returns -1 on a
 * read error (the source reported it). */
static int fill(struct xml_docs *d)
{
	size_t room;
	int n;

	if (d->hpos) {
		memmove(d->hold, d->hold + d->hpos, d->hlen - d->hpos);
		d->hlen -= d->hpos;
		d->hpos = 0;
	}
	room = sizeof(d->hold) - d->hlen - (d->mid_doc ? sizeof(mid_doc_head) : 0);
	if (d->src_eof || !room)
		return 0;
	n = d->read(d->ctx, d->hold + d->hlen, (int)room);
	if (n < 0)
		return -1;
	if (n == 0)
		d->src_eof = 1;
	d->hlen += (size_t)n;
	if (d->mid_doc)
		open_mid_doc(d);
	return 0;
}

/* How many of the avail held bytes belong to this document: up to the next
 * <?xml once the document has begun (its own declaration comes first, after
 * a byte order mark). Blanks before the document are left out, their lines
 * counted. A possible start of one at the very end waits for more input. */
static size_t doc_bytes(struct xml_docs *d, size_t avail)
{
	const char *p = d->hold + d->hpos, *next;
	size_t from = 0;

	if (!d->doc_started) {
		/* The reader refuses an <?xml after anything, blanks too: a
		 * grown log's new part may begin with blank lines (or with
		 * conntrack's own, which xml_lines blanked). */
		while (avail && isspace((unsigned char)*p)) {
			if (*p == '\n')
				d->line_base++;
			p++;
			d->hpos++;
			avail--;
		}
		while (from < avail && (isspace((unsigned char)p[from]) ||
					(unsigned char)p[from] == 0xef ||
					(unsigned char)p[from] == 0xbb ||
					(unsigned char)p[from] == 0xbf))
			from++;
		if (avail - from < 5 && !d->src_eof)
			return from;	/* more input first */
		if (from < avail)
			d->doc_started = 1;
		if (avail - from >= 5 && !memcmp(p + from, "<?xml", 5))
			from += 5;
	}
	next = memmem(p + from, avail - from, "<?xml", 5);
	if (next) {
		if (next == p)
			d->doc_over = 1;
		return (size_t)(next - p);
	}
	if (!d->src_eof)
		return avail >= from + 4 ? avail - 4 : from;
	return avail;
}

int xml_docs_read(void *arg, char *buf, int len)
{
	static const char close_tag[] = "\n</conntrack>\n";
	struct xml_docs *d = arg;
	size_t n = 0, i;

	if (d->at_eof)
		return 0;
	while (!d->doc_over) {
		if (d->hlen - d->hpos < 5 && !d->src_eof && fill(d))
			return -1;
		if (d->hpos == d->hlen)
			break;
		n = doc_bytes(d, d->hlen - d->hpos);
		if (n || d->doc_over || d->src_eof)
			break;
		if (fill(d))	/* only a possible "<?xml" start is held: read on */
			return -1;
	}
	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(buf, d->hold + d->hpos, n);
	d->hpos += n;
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n')
			d->doc_lines++;
		if (isspace((unsigned char)buf[i]))
			continue;
		memmove(d->tail, d->tail + 1, sizeof(d->tail) - 1);
		d->tail[sizeof(d->tail) - 1] = buf[i];
	}
	if (n != 0 || len < (int)sizeof(close_tag) ||
	    !memcmp(d->tail, "</conntrack>", sizeof(d->tail)))
		return (int)n;
	d->at_eof = 1;
	memcpy(buf, close_tag, sizeof(close_tag) - 1);
	return (int)sizeof(close_tag) - 1;
}
