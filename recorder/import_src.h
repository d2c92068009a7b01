/* The log an import reads: every byte hashed and counted, the first ones peeked at, earlier imports recognized at the size they had (recorder/import_src.c). */
#ifndef CT_IMPORT_SRC_H
#define CT_IMPORT_SRC_H

#include <stdint.h>
#include <stdio.h>

/* An earlier import: its content's digest and size. */
struct prior {
	int64_t session;
	uint64_t bytes;
	char digest[64];
};

struct src {
	FILE *f;
	const char *name;	/* for messages */
	char peek[4096];
	size_t peek_len, peek_off;
	uint64_t h1, h2, bytes;
	int64_t size;		/* of a regular file, else -1 */
	int tty, failed;	/* failed: a read error (reported) */
	int64_t next_progress;
	uint64_t events;	/* counted by the importer, for the progress line */
	/* earlier imports by size, and the largest one this input begins with */
	struct prior *prior;
	size_t nprior, prior_cap, next_prior;
	int64_t begins_session;
	uint64_t begins_bytes;
	uint64_t begins_line_at;	/* where the line byte begins_bytes ends in starts */
	long begins_lines;		/* the lines before it */
	/* newlines read so far, and where the line after the last one starts */
	long lines;
	uint64_t line_at;
};

/* Opens file ("-": standard input) into s. Returns 0, or -1 (reported). */
int src_open(struct src *s, const char *file);

/* Closes the file (not standard input) and frees what s holds. */
void src_close(struct src *s);

/* Lists an earlier import (a callback of store_imports_by_size(), which
 * gives them by size): src_read() then notes the largest whose digest the
 * input's first bytes have. Returns 0, or -1 when out of memory (reported). */
int src_add_prior(int64_t session, const char *digest, int64_t bytes, void *s);

/* The digest of the input's first `bytes` bytes, read so far, into out:
 * what the imports table keeps to tell a log imported before. */
void src_digest(const struct src *s, uint64_t bytes, char *out, size_t size);

/* Reads up to len bytes: the peeked ones first. Returns the count, 0 at the
 * end, -1 on a read error (reported, and s->failed set). */
int src_read(struct src *s, char *buf, size_t len);

/* src_read() as libxml2's reader and import_xml_new() call it (ctx: s). */
int src_xml_read(void *ctx, char *buf, int len);

/* Fills the peek buffer from where the input is. Returns 0 or -1 (reported). */
int src_peek(struct src *s);

/* What a log holds, as src_detect() tells it. */
enum src_format {
	SRC_TEXT = 0,	/* conntrack -E's text, any -o variant: "[NEW] ..." */
	SRC_XML = 1,	/* -o xml */
	SRC_SAVE = 2,	/* -o save: conntrack command lines, "-A ..." */
};

/* Fills the peek buffer and tells the format (enum src_format) by the first
 * non-blank byte that is not on one of conntrack's own lines: '<' XML, '-'
 * save, anything else text. Returns the format, or -1 (reported). */
int src_detect(struct src *s);

/* Back to the start of a regular file, nothing read. Returns 0 or -1 (reported). */
int src_rewind(struct src *s);

/* Reads (hashing) the next n bytes, or up to the end. Returns 0 or -1 (reported). */
int src_skip(struct src *s, uint64_t n);

/* The progress line on a terminal (every 0.2 s at most), or with done its end. */
void src_progress(struct src *s, int done);

#endif
