/* Parses conntrack's -e event mask (NEW,UPDATE,DESTROY,ALL). */
#include <string.h>
#include <strings.h>

#include "ct_event.h"
#include "evmask.h"
#include "log.h"

int evmask_parse(const char *list, unsigned *mask)
{
	const char *p = list;
	unsigned m = 0;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 3 && !strncasecmp(p, "NEW", n))
			m |= 1 << CT_EV_NEW;
		else if (n == 6 && !strncasecmp(p, "UPDATE", n))
			m |= 1 << CT_EV_UPDATE;
		else if (n == 7 && !strncasecmp(p, "DESTROY", n))
			m |= 1 << CT_EV_DESTROY;
		else if (n == 3 && !strncasecmp(p, "ALL", n))
			m |= 1 << CT_EV_NEW | 1 << CT_EV_UPDATE | 1 << CT_EV_DESTROY;
		else
			return log_error("unknown event type '%.*s' in -e '%s'", (int)n, p, list);
		p += n;
		/* a word after each comma, as conntrack's "Bad parameter" wants */
		if (*p == ',' && !*++p)
			return log_error("unknown event type '' in -e '%s'", list);
	}
	if (!m)
		return log_error("empty event mask");
	*mask |= m;
	return 0;
}
