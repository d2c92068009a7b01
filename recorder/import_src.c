/* The log an import reads, through one reader that hashes and counts every byte, so that an import can tell a log it has seen before, whole or grown. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "grow.h"
#include "import_src.h"
#include "import_text.h"
#include "log.h"

/* The hashes of no bytes. */
static void hash_reset(struct src *s)
{
	s->h1 = 0xcbf29ce484222325ULL;
	s->h2 = 0x84222325cbf29ce4ULL;
}

int src_open(struct src *s, const char *file)
{
	int stdin_ = !strcmp(file, "-");
	struct stat sb;

	memset(s, 0, sizeof(*s));
	s->name = stdin_ ? "<stdin>" : file;
	hash_reset(s);
	s->size = -1;
	s->tty = isatty(STDERR_FILENO);
	s->f = stdin_ ? stdin : fopen(file, "r");
	if (!s->f)
		return log_errno("cannot open '%s'", file);
	if (!fstat(fileno(s->f), &sb) && S_ISREG(sb.st_mode))
		s->size = sb.st_size;
	return 0;
}

void src_close(struct src *s)
{
	if (s->f && s->f != stdin)
		fclose(s->f);
	s->f = NULL;
	free(s->prior);
	s->prior = NULL;
}

void src_digest(const struct src *s, uint64_t bytes, char *out, size_t size)
{
	snprintf(out, size, "%016llx%016llx-%llu", (unsigned long long)s->h1,
		 (unsigned long long)s->h2, (unsigned long long)bytes);
}

int src_add_prior(int64_t session, const char *digest, int64_t bytes, void *arg)
{
	struct src *s = arg;
	struct prior *p;

	if (bytes <= 0 || !digest)
		return 0;
	if (!(p = grow_array(s->prior, &s->prior_cap, s->nprior, sizeof(*p), 64)))
		return -1;
	s->prior = p;
	p += s->nprior++;
	p->session = session;
	p->bytes = (uint64_t)bytes;
	snprintf(p->digest, sizeof(p->digest), "%s", digest);
	return 0;
}

/* After the input's first `at` bytes: were they an earlier import's? */
static void check_prior(struct src *s, uint64_t at)
{
	char digest[64];

	src_digest(s, at, digest, sizeof(digest));
	for (; s->next_prior < s->nprior && s->prior[s->next_prior].bytes == at; s->next_prior++)
		if (!strcmp(s->prior[s->next_prior].digest, digest)) {
			s->begins_session = s->prior[s->next_prior].session;
			s->begins_bytes = at;
			s->begins_line_at = s->line_at;
			s->begins_lines = s->lines;
		}
}

int src_read(struct src *s, char *buf, size_t len)
{
	size_t n, i;

	if (s->peek_off < s->peek_len) {
		n = s->peek_len - s->peek_off;
		n = n < len ? n : len;
		memcpy(buf, s->peek + s->peek_off, n);
		s->peek_off += n;
	} else {
		n = fread(buf, 1, len, s->f);
		if (n == 0 && ferror(s->f)) {
			s->failed = 1;
			return log_errno("cannot read '%s'", s->name);
		}
	}
	/* Two 64-bit hashes (FNV-1a and a multiplicative one): duplicate detection, not security. */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		s->h1 = (s->h1 ^ c) * 0x100000001b3ULL;
		s->h2 = (s->h2 + c + 1) * 0x9e3779b97f4a7c15ULL;
		s->h2 ^= s->h2 >> 29;
		if (c == '\n') {
			s->lines++;
			s->line_at = s->bytes + i + 1;
		}
		if (s->next_prior < s->nprior && s->prior[s->next_prior].bytes == s->bytes + i + 1)
			check_prior(s, s->bytes + i + 1);
	}
	s->bytes += n;
	return (int)n;
}

int src_xml_read(void *ctx, char *buf, int len)
{
	return src_read(ctx, buf, (size_t)len);
}

int src_peek(struct src *s)
{
	s->peek_off = 0;
	s->peek_len = fread(s->peek, 1, sizeof(s->peek), s->f);
	if (s->peek_len == 0 && ferror(s->f))
		return log_errno("cannot read '%s'", s->name);
	return 0;
}

/* The end of the line of the peek buffer that begins at i, past its newline
 * when it is one of conntrack's own (import_conntrack_line()); else i. */
static size_t past_own_line(const struct src *s, size_t i)
{
	const char *nl = memchr(s->peek + i, '\n', s->peek_len - i);

	if (!nl || import_conntrack_line(s->peek + i, (size_t)(nl - s->peek) - i) == IMPORT_EVENT_LINE)
		return i;
	return (size_t)(nl - s->peek) + 1;
}

int src_detect(struct src *s)
{
	size_t i = 0, was;

	if (src_peek(s))
		return -1;
	if (s->peek_len >= 3 && !memcmp(s->peek, "\xef\xbb\xbf", 3))
		i = 3;
	do {	/* blanks, and conntrack's own lines (-b's NOTICE) */
		while (i < s->peek_len && strchr(" \t\r\n", s->peek[i]))
			i++;
		was = i;
		i = past_own_line(s, i);
	} while (i != was);
	if (i < s->peek_len && s->peek[i] == '<')
		return SRC_XML;
	return i < s->peek_len && s->peek[i] == '-' ? SRC_SAVE : SRC_TEXT;
}

int src_rewind(struct src *s)
{
	if (fseek(s->f, 0, SEEK_SET))
		return log_errno("cannot read '%s' again", s->name);
	s->peek_len = s->peek_off = 0;
	hash_reset(s);
	s->bytes = 0;
	s->lines = 0;
	s->line_at = 0;
	s->next_prior = 0;
	s->begins_session = 0;
	s->begins_bytes = 0;
	return 0;
}

int src_skip(struct src *s, uint64_t n)
{
	char buf[65536];
	int got;

	while (n) {
		got = src_read(s, buf, n < sizeof(buf) ? (size_t)n : sizeof(buf));
		if (got <= 0)
			return got;
		n -= (uint64_t)got;
	}
	return 0;
}

/* (through log_live(): cut to the terminal's width and erased before any
 * message, an error on a line of the log) */
void src_progress(struct src *s, int done)
{
	int64_t now;

	if (!s->tty)
		return;
	if (done) {
		log_live_end();
		return;
	}
	now = clock_mono_us();
	if (now < s->next_progress)
		return;
	s->next_progress = now + 200000;
	if (s->size > 0)
		log_live("importing '%s': %3d%%, %llu events", s->name,
			 (int)(100 * (double)s->bytes / (double)s->size),
			 (unsigned long long)s->events);
	else
		log_live("importing '%s': %llu events", s->name, (unsigned long long)s->events);
}
