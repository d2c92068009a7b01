/* Reads a word of conntrack's -u and -e lists as conntrack 1.4.7 does: an abbreviation, in any case, of the first word of its table that it begins, SRC_NAT and DST_NAT tried first. */
#include <string.h>
#include <strings.h>

#include "ct_words.h"

static int abbreviates(const char *p, size_t n, const char *word)
{
	return n && n <= strlen(word) && !strncasecmp(p, word, n);
}

int ct_word_find(const char *p, size_t n, const char *const *words, size_t nwords)
{
	size_t i;

	if (abbreviates(p, n, "SRC_NAT"))
		return CT_WORD_SRC_NAT;
	if (abbreviates(p, n, "DST_NAT"))
		return CT_WORD_DST_NAT;
	for (i = 0; i < nwords; i++)
		if (abbreviates(p, n, words[i]))
			return (int)i;
	return CT_WORD_NONE;
}
