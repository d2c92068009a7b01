/* Parses one line of `conntrack -E` text output (any -o variant) into a struct ct_event. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct_names.h"
#include "import_ktime.h"
#include "import_text.h"

#define MAX_TOKENS 128

struct dir {
	int src, dst, sport, dport, type, code, id, pkts, bytes;
};

/* Parses the "[sec.usec]\t" prefix; returns its length, or 0 when there is none. */
static size_t parse_prefix(const char *s, int64_t *t_us)
{
	const char *p = s + 1;
	int64_t sec = 0, usec = 0;
	int nsec = 0, nusec = 0;

	if (*s != '[')
		return 0;
	for (; *p >= '0' && *p <= '9' && nsec < 12; p++, nsec++)
		sec = sec * 10 + (*p - '0');
	if (*p++ != '.' || !nsec)
		return 0;
	for (; *p >= '0' && *p <= '9' && nusec < 6; p++, nusec++)
		usec = usec * 10 + (*p - '0');
	if (nusec != 6 || p[0] != ']' || p[1] != '\t')
		return 0;
	*t_us = sec * 1000000 + usec;
	return (size_t)(p + 2 - s);
}

static int num(const char *key, const char *v, uint64_t max, uint64_t *out,
	       struct import_err *e)
{
	if (num_parse(v, max, out))
		return import_fail(e, "bad number %s=%s", key, v);
	return 0;
}

/* One key=value of an original or reply tuple. Returns 1 when key is not a tuple key. */
static int tuple_kv(const char *k, const char *v, struct ct_tuple *t, struct dir *d,
		    uint64_t *pkts, uint64_t *bytes, const char *zonekey, struct import_err *e)
{
	uint64_t n;
	char *end;

	if (!strcmp(k, "src") || !strcmp(k, "dst")) {
		int isdst = k[0] == 'd';

		if (isdst ? d->dst : d->src)
			return import_fail(e, "%s= twice", k);
		if (import_addr(v, t, isdst))
			return import_fail(e, "bad address %s=%s", k, v);
		*(isdst ? &d->dst : &d->src) = 1;
	} else if (!strcmp(k, "sport") || !strcmp(k, "dport")) {
		if (num(k, v, 65535, &n, e))
			return -1;
		*(k[0] == 's' ? &t->sport : &t->dport) = (uint16_t)n;
		*(k[0] == 's' ? &d->sport : &d->dport) = 1;
	} else if (!strcmp(k, "srckey") || !strcmp(k, "dstkey")) {
		if (strncmp(v, "0x", 2) || !v[2] || strlen(v) > 6)
			return import_fail(e, "bad GRE key %s=%s", k, v);
		n = strtoul(v + 2, &end, 16);
		if (*end)
			return import_fail(e, "bad GRE key %s=%s", k, v);
		*(k[1] == 'r' ? &t->sport : &t->dport) = (uint16_t)n;
		*(k[1] == 'r' ? &d->sport : &d->dport) = 1;
	} else if (!strcmp(k, "type") || !strcmp(k, "code")) {
		if (num(k, v, 255, &n, e))
			return -1;
		*(k[0] == 't' ? &t->itype : &t->icode) = (uint8_t)n;
		*(k[0] == 't' ? &d->type : &d->code) = 1;
	} else if (!strcmp(k, "id") && d->code && !d->id) {
		if (num(k, v, 65535, &n, e))
			return -1;
		t->iid = (uint16_t)n;
		d->id = 1;
	} else if (!strcmp(k, zonekey)) {
		if (num(k, v, 65535, &n, e))
			return -1;
		t->zone = (uint16_t)n;
		t->has_zone = 1;
	} else if (!strcmp(k, "packets")) {
		if (num(k, v, UINT64_MAX, pkts, e))
			return -1;
		d->pkts = 1;
	} else if (!strcmp(k, "bytes")) {
		if (num(k, v, UINT64_MAX, bytes, e))
			return -1;
		d->bytes = 1;
	} else {
		return 1;
	}
	return 0;
}

/* Checks that a tuple has what its protocol prints. */
static int tuple_check(const char *which, struct ct_tuple *t, const struct dir *d,
		       struct import_err *e)
{
	if (!d->src || !d->dst)
		return import_fail(e, "%s tuple lacks src= or dst=", which);
	if (import_proto_has_ports(t->proto)) {
		if (!d->sport || !d->dport)
			return import_fail(e, "%s tuple lacks its ports", which);
		t->has_ports = 1;
	} else if (t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6) {
		if (!d->type || !d->code || !d->id)
			return import_fail(e, "%s tuple lacks type=, code= or id=", which);
		t->has_icmp = 1;
	} else if (d->sport || d->dport || d->type) {
		return import_fail(e, "%s tuple has ports its protocol does not print", which);
	}
	if (d->pkts != d->bytes)
		return import_fail(e, "%s tuple has packets= without bytes= or the reverse",
				   which);
	return 0;
}

/* Tail: everything after the reply tuple. */
struct tail {
	int unreplied, assured, offload, hw_offload;
	struct ktimes k;	/* [start=], [stop=] and delta-time= */
};

static int tail_kv(const char *k, const char *v, struct ct_event *ev, struct tail *tl,
		   struct import_err *e)
{
	uint64_t n;

	if (!strcmp(k, "mark")) {
		if (num(k, v, UINT32_MAX, &n, e))
			return -1;
		ev->mark = (uint32_t)n;
		ev->has |= CT_HAS_MARK;
	} else if (!strcmp(k, "zone")) {
		if (num(k, v, 65535, &n, e))
			return -1;
		ev->zone = (uint16_t)n;
		ev->has |= CT_HAS_ZONE;
	} else if (!strcmp(k, "id")) {
		if (num(k, v, UINT32_MAX, &n, e))
			return -1;
		ev->id = (uint32_t)n;
		ev->has |= CT_HAS_ID;
	} else if (!strcmp(k, "delta-time")) {
		if (num(k, v, UINT32_MAX, &tl->k.delta, e))
			return -1;
		tl->k.have_delta = 1;
	} else if (!strcmp(k, "secmark") || !strcmp(k, "use")) {
		if (num(k, v, UINT32_MAX, &n, e))
			return -1;
		if (import_extra_u32(ev, k[0] == 's' ? CTA_SECMARK : CTA_USE, (uint32_t)n))
			return import_fail(e, "too many attributes");
	} else if (!strcmp(k, "secctx") || !strcmp(k, "helper")) {
		if (!*v || strlen(v) > 255)
			return import_fail(e, "bad %s=", k);
		if (k[0] == 's' ? import_extra_str(ev, CTA_SECCTX, CTA_SECCTX_NAME, v)
				: import_extra_str(ev, CTA_HELP, CTA_HELP_NAME, v))
			return import_fail(e, "too many attributes");
	} else if (!strcmp(k, "labels")) {
		return import_labels(ev, v, e);
	} else {
		return import_fail(e, "unknown field '%s='", k);
	}
	return 0;
}

static int flag_word(const char *w, struct tail *tl, int after_reply)
{
	if (!after_reply)
		return 1;
	if (!strcmp(w, "[ASSURED]"))
		tl->assured = 1;
	else if (!strcmp(w, "[OFFLOAD]"))
		tl->offload = 1;
	else if (!strcmp(w, "[HW_OFFLOAD]"))
		tl->hw_offload = 1;
	else
		return 1;
	return 0;
}

/* Parses the tokens after the event word. */
/* A protocol's number; conntrack prints "unknown" (256 here) for protocols
 * without a name, then the real number. -1 for anything else. */
static int proto_num(const char *name)
{
	return strcmp(name, "unknown") ? ct_proto_num(name) : 256;
}

static int parse_tokens(char **tok, int ntok, const int *how, uint64_t *klast,
			struct ct_event *ev, struct import_err *e)
{
	struct dir d[2] = { 0 };
	struct tail tl = { 0 };
	int i = 0, dir = 0, proto, after_reply = 0;
	uint64_t n;
	char *eq;

	/* [l3name l3num] protoname protonum */
	if (ntok >= 4 && proto_num(tok[2]) >= 0 && !num_parse(tok[3], 255, &n) &&
	    (!strcmp(tok[0], "ipv4") || !strcmp(tok[0], "ipv6") || !strcmp(tok[0], "unknown"))) {
		if (num_parse(tok[1], 255, &n))
			return import_fail(e, "bad layer 3 number '%s'", tok[1]);
		ev->family = (uint8_t)n;
		i = 2;
	}
	if (ntok < i + 2 || (proto = proto_num(tok[i])) < 0)
		return import_fail(e, "expected a protocol name, got '%s'", ntok > i ? tok[i] : "");
	if (num_parse(tok[i + 1], 255, &n) || (proto != 256 && (uint64_t)proto != n))
		return import_fail(e, "bad protocol number '%s'", tok[i + 1]);
	ev->orig.proto = ev->reply.proto = (uint8_t)n;
	i += 2;
	if (i < ntok && !num_parse(tok[i], UINT32_MAX, &n)) {
		ev->timeout = (uint32_t)n;
		ev->has |= CT_HAS_TIMEOUT;
		i++;
	}
	if (i < ntok && !strchr(tok[i], '=') && tok[i][0] != '[') {
		int st = ct_state_num(ev->orig.proto, tok[i]);

		if (st < 0)
			return import_fail(e, "unknown state '%s'", tok[i]);
		if (ct_event_set_state(ev, (uint8_t)st))
			return import_fail(e, "too many attributes");
		i++;
	}
	for (; i < ntok; i++) {
		char *k = tok[i], *v;
		int r;

		if (k[0] == '[') {
			uint64_t *r2;
			char when[64];
			size_t wl = 0;

			if (!strcmp(k, "[UNREPLIED]") && dir == 0 && !tl.unreplied) {
				tl.unreplied = 1;
				continue;
			}
			if (!flag_word(k, &tl, after_reply || dir == 1)) {
				after_reply = 1;
				continue;
			}
			if (strncmp(k, "[start=", 7) && strncmp(k, "[stop=", 6))
				return import_fail(e, "unexpected '%s'", k);
			r2 = k[3] == 'a' ? tl.k.start : tl.k.stop;
			*(k[3] == 'a' ? &tl.k.have_start : &tl.k.have_stop) = 1;
			/* "[start=Thu Nov 26 18:03:44 2026]" spans five tokens. */
			k = strchr(k, '=') + 1;
			for (;;) {
				size_t kl = strlen(k);

				if (wl + kl + 2 > sizeof(when))
					return import_fail(e, "bad time stamp");
				memcpy(when + wl, k, kl);
				wl += kl;
				if (wl && when[wl - 1] == ']')
					break;
				if (++i >= ntok)
					return import_fail(e, "unterminated time stamp");
				when[wl++] = ' ';
				k = tok[i];
			}
			when[wl - 1] = 0;
			if (ktime_parse(when, r2))
				return import_fail(e, "bad time stamp '%s'", when);
			after_reply = 1;
			continue;
		}
		eq = strchr(k, '=');
		if (!eq || eq == k)
			return import_fail(e, "unexpected '%s'", k);
		*eq = 0;
		v = eq + 1;
		if (!after_reply) {
			if (!strcmp(k, "src") && d[dir].src) {
				if (dir == 1) {
					*eq = '=';
					return import_fail(e, "a third tuple");
				}
				dir = 1;
			}
			r = tuple_kv(k, v, dir ? &ev->reply : &ev->orig, &d[dir],
				     dir ? &ev->pkts_reply : &ev->pkts_orig,
				     dir ? &ev->bytes_reply : &ev->bytes_orig,
				     dir ? "zone-reply" : "zone-orig", e);
			if (r < 0)
				return -1;
			if (r == 0)
				continue;
			if (dir == 0)
				return import_fail(e, "unexpected '%s=' in the original tuple", k);
			after_reply = 1;
		}
		if (tail_kv(k, v, ev, &tl, e))
			return -1;
	}
	if (dir == 0)
		return import_fail(e, "no reply tuple");
	if (tuple_check("original", &ev->orig, &d[0], e) ||
	    tuple_check("reply", &ev->reply, &d[1], e))
		return -1;
	if (d[0].pkts)
		ev->has |= CT_HAS_COUNTERS_ORIG;
	if (d[1].pkts)
		ev->has |= CT_HAS_COUNTERS_REPLY;
	if (!ev->family)
		ev->family = ev->orig.l3;
	import_set_status(ev, tl.unreplied, tl.assured, tl.offload, tl.hw_offload);
	if (tl.k.have_start || tl.k.have_stop) {
		/* no zone in them: where the clocks passed an hour twice, the
		 * readings the line's receive time, or the order of the log, tell */
		uint64_t start, stop;

		ktime_choose(&tl.k, *how & IMPORT_TIMED ? ev->t_us : -1, klast, &start, &stop);
		if (tl.k.have_start) {
			ev->ts_start = start * 1000000000ULL;
			ev->has |= CT_HAS_TS_START;
		}
		if (tl.k.have_stop) {
			ev->ts_stop = stop * 1000000000ULL;
			ev->has |= CT_HAS_TS_STOP;
		}
	} else if (tl.k.have_delta) {
		import_set_delta(ev, tl.k.delta);
	}
	return 0;
}

/* Drops the unfinished end of a line conntrack cut: the last field, or the
 * last name of a labels= list. */
static void drop_cut_field(char *p)
{
	char *last = strrchr(p, ' '), *comma;

	if (!last)
		return;
	comma = strrchr(last, ',');
	if (!strncmp(last + 1, "labels=", 7) && comma)
		*comma = 0;
	else
		*last = 0;
}

int import_text_line(const char *line, size_t len, int64_t now_us, uint64_t *klast,
		     struct ct_event *ev, int *how, struct import_err *e)
{
	static char buf[IMPORT_LINE_MAX + 1];
	char *tok[MAX_TOKENS], *p, *us;
	size_t off;
	int ntok = 0;

	memset(ev, 0, offsetof(struct ct_event, extra));
	ev->extra_len = 0;
	if (import_line_copy(line, len, buf, e) < 0)
		return -1;
	*how = 0;
	ev->t_us = now_us;
	off = parse_prefix(buf, &ev->t_us);
	if (off)
		*how |= IMPORT_TIMED;
	p = buf + off;
	if (strchr(p, '\t'))
		return import_fail(e, "unexpected tab");
	us = strstr(p, " [USERSPACE] portid=");
	if (us) {
		if (import_userspace(us, ev, e))
			return -1;
		*us = 0;
	}
	if (strlen(p) == IMPORT_CONNTRACK_CUT) {
		*how |= IMPORT_CUT;
		drop_cut_field(p);
	}
	if ((ntok = import_split(p, tok, MAX_TOKENS, e)) < 0)
		return -1;
	if (!strcmp(tok[0], "[NEW]"))
		ev->type = CT_EV_NEW;
	else if (!strcmp(tok[0], "[UPDATE]"))
		ev->type = CT_EV_UPDATE;
	else if (!strcmp(tok[0], "[DESTROY]"))
		ev->type = CT_EV_DESTROY;
	else if (!strcmp(tok[0], "-A") || !strcmp(tok[0], "-U") || !strcmp(tok[0], "-D"))
		return import_fail(e, "a line of conntrack -E -o save ('%s ...') in a log of"
				   " conntrack -E's text output", tok[0]);
	else
		return import_fail(e, "expected [NEW], [UPDATE] or [DESTROY], got '%.40s'", tok[0]);
	return parse_tokens(tok + 1, ntok - 1, how, klast, ev, e);
}

/* Whether p (n bytes) begins with s. */
static int begins(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && !memcmp(p, s, k);
}

int import_conntrack_line(const char *p, size_t n)
{
	if (begins(p, n, "WARNING: We have hit ENOBUFS! We are losing events."))
		return IMPORT_ENOBUFS_LINE;
	if (begins(p, n, "WARNING: unsupported l3proto "))
		return IMPORT_UNPRINTED_LINE;
	if (begins(p, n, "This message means that the current netlink socket buffer size is too small.") ||
	    begins(p, n, "Please, check --buffer-size in conntrack(8) manpage.") ||
	    begins(p, n, "NOTICE: Netlink socket buffer size has been set to ") ||
	    begins(p, n, "nfct_labelmap_new: ") ||
	    begins(p, n, "WARNING: ignoring ") ||
	    begins(p, n, "failed to received netlink event: ") ||
	    begins(p, n, "Try `conntrack -h' or 'conntrack --help' for more information.") ||
	    (begins(p, n, "conntrack v") && memmem(p, n, " (conntrack-tools): ", 20)))
		return IMPORT_OWN_LINE;
	return IMPORT_EVENT_LINE;
}
