/* Internal to the XML importer: an input cut into the XML documents it holds, each read whole by libxml2's reader (lib/import_xml_docs.c). */
#ifndef CT_IMPORT_XML_DOCS_H
#define CT_IMPORT_XML_DOCS_H

#include <stddef.h>

/* The input is held in a buffer so that a document can end where the next
 * one's <?xml declaration begins: `conntrack -E -o xml >>FILE` run again
 * appends a whole new document. */
#define XML_DOCS_HOLD 65536

struct xml_docs {
	int (*read)(void *ctx, char *buf, int len);
	void *ctx;
	char hold[XML_DOCS_HOLD];
	size_t hpos, hlen;
	int src_eof;
	int mid_doc;		/* the input may begin inside a document (a grown log) */
	/* the current document */
	int doc_started;	/* a non-blank byte of it was given */
	int doc_over;		/* another document follows in the input */
	int at_eof;		/* it ended; a closing </conntrack> was supplied */
	char tail[12];		/* its last 12 non-blank bytes */
	long line_base;		/* lines of the input before it */
	long doc_lines;		/* newlines given of it */
};

/* Sets d up to read documents from read(ctx, ...), which returns the bytes
 * it read, 0 at the end, or -1 after reporting an error. With mid_doc the
 * input may begin inside a document (between two flows); lines is the
 * number of lines before the input (for line_base). */
void xml_docs_init(struct xml_docs *d, int (*read)(void *ctx, char *buf, int len), void *ctx,
		   int mid_doc, long lines);

/* Moves to the next document: the current one's lines count before it. */
void xml_docs_next(struct xml_docs *d);

/* libxml2's input callback (arg: the struct xml_docs): gives the current
 * document's bytes, up to the next <?xml, and at its end "</conntrack>"
 * when the document did not end with it, so that a document cut off
 * between flows (conntrack killed) parses whole: libxml2's reader drops
 * the nodes it holds on an error. Returns the bytes given, 0 at the
 * document's end (doc_over: another follows), or -1 (a read error). */
int xml_docs_read(void *arg, char *buf, int len);

#endif
