/* Parses conntrack's -e event mask (NEW,UPDATES,DESTROY,ALL, or abbreviations of them). */
#include <string.h>

#include "ct_event.h"
#include "ct_words.h"
#include "evmask.h"
#include "log.h"

int evmask_parse(const char *list, unsigned *mask)
{
	/* (conntrack's table, in its order: "A" is ALL, "U" UPDATES) */
	static const char *const words[] = { "ALL", "NEW", "UPDATES", "DESTROY" };
	static const unsigned bits[] = {
		1 << CT_EV_NEW | 1 << CT_EV_UPDATE | 1 << CT_EV_DESTROY,
		1 << CT_EV_NEW, 1 << CT_EV_UPDATE, 1 << CT_EV_DESTROY,
	};
	const char *p = list, *ignored = NULL;	/* the first word taken as SRC_NAT or DST_NAT */
	size_t ignored_len = 0;
	unsigned m = 0;
	int nat = 0;

	while (*p) {
		size_t n = strcspn(p, ",");
		int w = ct_word_find(p, n, words, sizeof(words) / sizeof(words[0]));

		if (w >= 0) {
			m |= bits[w];
		} else if (w != CT_WORD_NONE) {
			if (!ignored)
				ignored = p, ignored_len = n, nat = w;
		} else {
			return log_error("unknown event type '%.*s' in -e '%s'", (int)n, p, list);
		}
		p += n;
		/* a word after each comma, as conntrack's "Bad parameter" wants */
		if (*p == ',' && !*++p)
			return log_error("unknown event type '' in -e '%s'", list);
	}
	/* (conntrack -E -e D shows no event: "D" is DST_NAT to it, ignored) */
	if (!m && ignored)
		return log_error("-e '%s' names no event type: '%.*s' is %s to conntrack, which"
				 " ignores it%s", list, (int)ignored_len, ignored,
				 nat == CT_WORD_SRC_NAT ? "SRC_NAT" : "DST_NAT",
				 nat == CT_WORD_SRC_NAT ? "" : " (DE abbreviates DESTROY)");
	if (!m)
		return log_error("empty event mask");
	if (ignored)	/* (once the list is taken: a list refused is one error) */
		log_warn("-e: ignoring '%.*s', as conntrack does: it is %s to conntrack%s",
			 (int)ignored_len, ignored, nat == CT_WORD_SRC_NAT ? "SRC_NAT" : "DST_NAT",
			 nat == CT_WORD_SRC_NAT ? "" : " (DE abbreviates DESTROY)");
	*mask |= m;
	return 0;
}
