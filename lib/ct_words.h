/* Reads a word of conntrack's -u and -e lists as conntrack 1.4.7 does: an abbreviation, in any case, of the first word of its table that it begins, SRC_NAT and DST_NAT tried first. */
#ifndef CT_WORDS_H
#define CT_WORDS_H

#include <stddef.h>

/* What ct_word_find() finds besides an index into its table. */
enum {
	CT_WORD_NONE = -1,	/* no word of the table begins so */
	CT_WORD_SRC_NAT = -2,	/* SRC_NAT or an abbreviation of it ("S", "src") */
	CT_WORD_DST_NAT = -3,	/* DST_NAT or an abbreviation of it ("D", "dst_n") */
};

/* The word p (n bytes, not NUL-terminated) as conntrack's
 * do_parse_parameter() reads it: CT_WORD_SRC_NAT or CT_WORD_DST_NAT when it
 * abbreviates one of those (conntrack tries them first, for -e too, and
 * ignores them with a warning), else the index of the first of
 * words[0..nwords) it abbreviates ("A" is the first word beginning with A),
 * else CT_WORD_NONE (n == 0 too). A word is its own abbreviation; a longer
 * text ("ASSUREDX") abbreviates nothing. */
int ct_word_find(const char *p, size_t n, const char *const *words, size_t nwords);

#endif
