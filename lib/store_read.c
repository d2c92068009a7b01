/* Reading flows, sessions, gaps and what retention removed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/socket.h>

#include "grow.h"
#include "log.h"
#include "store_cursor.h"
#include "store_query.h"

static int is_set(sqlite3_stmt *s, int col)
{
	return sqlite3_column_type(s, col) != SQLITE_NULL;
}

/* Is column col NULL (read as 0) or an integer from 0 to max (not text, a
 * fraction, a value out of the field's range: a damaged or edited row)? */
static int in_range(sqlite3_stmt *s, int col, int64_t max)
{
	int64_t v = sqlite3_column_int64(s, col);

	return !is_set(s, col) ||
	       (sqlite3_column_type(s, col) == SQLITE_INTEGER && v >= 0 && v <= max);
}

int store_read_tuple(sqlite3_stmt *s, int i, struct ct_tuple *t)
{
	int alen = sqlite3_column_bytes(s, i + 1);

	memset(t, 0, sizeof(*t));
	t->l3 = sqlite3_column_int(s, i);
	if ((alen != 4 && alen != 16) || sqlite3_column_bytes(s, i + 2) != alen ||
	    alen != (t->l3 == AF_INET ? 4 : t->l3 == AF_INET6 ? 16 : 0))
		return -1;
	memcpy(t->src, sqlite3_column_blob(s, i + 1), alen);
	memcpy(t->dst, sqlite3_column_blob(s, i + 2), alen);
	/* (the fields' own sizes: a port of 70000.5 was read as 4464) */
	if ((t->has_ports = is_set(s, i + 3))) {
		if (!in_range(s, i + 3, UINT16_MAX) || !in_range(s, i + 4, UINT16_MAX))
			return -1;
		t->sport = sqlite3_column_int(s, i + 3);
		t->dport = sqlite3_column_int(s, i + 4);
	}
	if ((t->has_icmp = is_set(s, i + 5))) {
		if (!in_range(s, i + 5, UINT8_MAX) || !in_range(s, i + 6, UINT8_MAX) ||
		    !in_range(s, i + 7, UINT16_MAX))
			return -1;
		t->itype = sqlite3_column_int(s, i + 5);
		t->icode = sqlite3_column_int(s, i + 6);
		t->iid = sqlite3_column_int(s, i + 7);
	}
	if ((t->has_zone = is_set(s, i + 8))) {
		if (!in_range(s, i + 8, UINT16_MAX))
			return -1;
		t->zone = sqlite3_column_int(s, i + 8);
	}
	return 0;
}

int store_read_reply(sqlite3_stmt *s, int i, const struct ct_tuple *orig, struct ct_tuple *t)
{
	if (!is_set(s, i)) {
		ct_tuple_mirror(orig, t);
		return 0;
	}
	return store_read_tuple(s, i, t);
}

void store_read_opt(sqlite3_stmt *s, int col, uint64_t *v, uint32_t *has, uint32_t bit)
{
	if (is_set(s, col)) {
		*v = (uint64_t)sqlite3_column_int64(s, col);
		*has |= bit;
	}
}

static void opt_u32(sqlite3_stmt *s, int col, uint32_t *v, uint32_t *has, uint32_t bit)
{
	if (is_set(s, col)) {
		*v = (uint32_t)sqlite3_column_int64(s, col);
		*has |= bit;
	}
}

/* Column order of the flows SELECT below. */
enum {
	F_ID, F_SESSION, F_ORIGIN, F_FIRST, F_END, F_ENDKIND, F_FAMILY, F_CTID, F_ZONE,
	F_PROTO, F_ORIG, F_REPLY = F_ORIG + 9, F_STATE = F_REPLY + 9, F_OPKTS, F_OBYTES,
	F_RPKTS, F_RBYTES, F_STATUS, F_MARK, F_LAST, F_NEVENTS,
};

static const char flows_head[] =
	"SELECT f.id, f.session, f.origin, f.first_us, f.end_us, f.end_kind, f.family,"
	" f.ct_id, m.zone, f.proto, " STORE_TUPLE_COLS ","
	" f.state, f.o_packets, f.o_bytes, f.r_packets, f.r_bytes, f.status, f.mark,"
	" f.last_us, f.nevents";

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The flows that had an event of q's types (any time, any session), sorted. */
static int flows_with_events(struct store_cursor *c, const struct store_query *q)
{
	struct store_query eq = *q;
	struct store_cursor *ec;
	static struct ct_event ev;
	size_t cap = 0, n = 0, i;
	int64_t flow;
	int rc;

	eq.pf &= ~(STORE_PF_SINCE | STORE_PF_UNTIL | STORE_PF_AT | STORE_PF_SESSION);
	ec = store_events(c->st, &eq);
	if (!ec)
		return -1;
	while ((rc = store_next(ec, &ev, &flow)) > 0) {
		int64_t *p = grow_array(c->ids, &cap, n, sizeof(*p), 1024);

		if (!p) {
			rc = -1;
			break;
		}
		c->ids = p;
		c->ids[n++] = flow;
	}
	store_cursor_free(ec);
	if (rc < 0)
		return -1;
	if (n)	/* (none: c->ids is NULL, which qsort may not take) */
		qsort(c->ids, n, sizeof(*c->ids), cmp_id);
	for (i = 0, c->nids = 0; i < n; i++)
		if (!i || c->ids[i] != c->ids[i - 1])
			c->ids[c->nids++] = c->ids[i];
	return 0;
}

int store_cursor_flows(struct store_cursor *c)
{
	struct store_query fq = c->q;

	fq.type_mask = 0;	/* (c->ids lists the flows with such events) */
	if (c->bounded) {
		fq.pf |= STORE_PF_IDS;
		fq.ids_after = c->last_flow;
		fq.ids_upto = c->upto;
	}
	c->s = store_query_prepare(c->st, &fq, flows_head, "ORDER BY f.id");
	return c->s ? 0 : -1;
}

struct store_cursor *store_flows(struct store *st, const struct store_query *q)
{
	struct store_cursor *c = calloc(1, sizeof(*c));

	if (!c) {
		log_error("out of memory");
		return NULL;
	}
	c->st = st;
	c->of_flows = 1;
	c->q = *q;
	if ((q->type_mask && flows_with_events(c, q)) || store_cursor_flows(c)) {
		store_cursor_free(c);
		return NULL;
	}
	return c;
}

int store_next_flow(struct store_cursor *c, struct store_flow *fl)
{
	struct ct_event *ev = &fl->ev;
	sqlite3_stmt *s;
	int rc;

	if (c->broken || (c->released && store_cursor_resume(c)))
		return -1;
	if (c->q.type_mask && !c->nids)	/* no flow had an event of those types */
		return 0;
	s = c->s;
	do {
		c->row_snapshot = 0;	/* (the statement leaves the row) */
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			return 0;
		if (rc != SQLITE_ROW)
			return store_fail(c->st, "cannot read flows");
	} while (c->ids && !bsearch(&(int64_t){ sqlite3_column_int64(s, F_ID) }, c->ids, c->nids,
				    sizeof(*c->ids), cmp_id));
	memset(fl, 0, offsetof(struct store_flow, ev) + offsetof(struct ct_event, extra));
	fl->id = c->last_flow = sqlite3_column_int64(s, F_ID);
	fl->session = sqlite3_column_int64(s, F_SESSION);
	fl->origin = sqlite3_column_int(s, F_ORIGIN);
	fl->first_us = c->last_us = sqlite3_column_int64(s, F_FIRST);
	fl->end_us = sqlite3_column_int64(s, F_END);
	fl->end_kind = sqlite3_column_int(s, F_ENDKIND);
	fl->last_us = sqlite3_column_int64(s, F_LAST);
	fl->nevents = sqlite3_column_int64(s, F_NEVENTS);
	ev->extra_len = 0;
	ev->type = CT_EV_DUMP;	/* a table entry, as conntrack -L has them */
	ev->t_us = fl->first_us;
	ev->family = sqlite3_column_int(s, F_FAMILY);
	if (store_read_tuple(s, F_ORIG, &ev->orig) ||
	    store_read_reply(s, F_REPLY, &ev->orig, &ev->reply))
		return log_error("flow %lld has a malformed tuple", (long long)fl->id);
	ev->orig.proto = ev->reply.proto = sqlite3_column_int(s, F_PROTO);
	opt_u32(s, F_CTID, &ev->id, &ev->has, CT_HAS_ID);
	opt_u32(s, F_STATUS, &ev->status, &ev->has, CT_HAS_STATUS);
	opt_u32(s, F_MARK, &ev->mark, &ev->has, CT_HAS_MARK);
	if (is_set(s, F_ZONE)) {
		ev->zone = sqlite3_column_int(s, F_ZONE);
		ev->has |= CT_HAS_ZONE;
	}
	/* as the kernel sends it (TCP's in tcpinfo, SCTP's and DCCP's in
	 * protoinfo), so that list -o conntrack and xml print it as conntrack -L;
	 * extra was emptied above and holds it */
	if (is_set(s, F_STATE))
		(void)ct_event_set_state(ev, (uint8_t)sqlite3_column_int(s, F_STATE));
	store_read_opt(s, F_OPKTS, &ev->pkts_orig, &ev->has, CT_HAS_COUNTERS_ORIG);
	store_read_opt(s, F_OBYTES, &ev->bytes_orig, &ev->has, 0);
	store_read_opt(s, F_RPKTS, &ev->pkts_reply, &ev->has, CT_HAS_COUNTERS_REPLY);
	store_read_opt(s, F_RBYTES, &ev->bytes_reply, &ev->has, 0);
	c->row_snapshot = c->st->snapshot ? c->st->snapshots : 0;
	return 1;
}

int store_flow_row(const struct store_cursor *c, const struct store_flow *fl, struct cflow *f)
{
	const struct ct_event *ev = &fl->ev;

	if (!c->row_snapshot || !c->st->snapshot || c->row_snapshot != c->st->snapshots)
		return 0;
	memset(f, 0, sizeof(*f));
	f->id = fl->id;
	f->family = ev->family;
	f->has = ev->has & (CT_HAS_ID | CT_HAS_ZONE);
	f->ct_id = ev->id;
	f->zone = ev->zone;
	f->orig = ev->orig;
	f->reply = ev->reply;
	f->first_us = fl->first_us;
	/* (as lib/store_events.c reads a flow's row: coalesced) */
	f->last_us = is_set(c->s, F_LAST) ? fl->last_us : fl->first_us;
	f->nevents = fl->nevents;
	f->ended = is_set(c->s, F_END);
	return 1;
}

static void text_col(sqlite3_stmt *s, int col, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(buf, size, "%s", t ? (const char *)t : "");
}

/* The flows each session started, in one scan of flows (a count per
 * session would scan them once each): (*counts)[i] for the session whose id
 * is (*ids)[i], *n sessions sorted by id (an array indexed by the ids took
 * 8 bytes for every id up to the largest: a session numbered 2^62 by hand
 * asked for 2^65 bytes, "out of memory"). Returns 0 or -1 (reported). */
static int flows_per_session(struct store *st, int64_t **ids, int64_t **counts, size_t *n)
{
	size_t cap = 0;
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT id FROM sessions ORDER BY id", -1, &s, NULL) !=
	    SQLITE_OK)
		return store_fail(st, "cannot read sessions");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t *p = grow_array(*ids, &cap, *n, sizeof(*p), 64);

		if (!p) {
			sqlite3_finalize(s);
			return -1;
		}
		*ids = p;
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "cannot read sessions");
	*counts = calloc(*n ? *n : 1, sizeof(**counts));
	if (!*counts)
		return log_error("out of memory");
	if (sqlite3_prepare_v2(st->db, "SELECT session FROM flows", -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read sessions");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0), *p;

		p = *n ? bsearch(&id, *ids, *n, sizeof(**ids), cmp_id) : NULL;
		if (p)
			(*counts)[p - *ids]++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "cannot read sessions");
}

int store_sessions(struct store *st, int (*fn)(const struct store_session *s, void *arg),
		   void *arg)
{
	static const char sql[] =
		"SELECT s.id, s.kind, s.started_us, s.stopped_us, s.host, s.pid, s.source,"
		" s.version, (SELECT coalesce(sum(n), 0) FROM event_blocks WHERE session = s.id),"
		" (SELECT count(*) FROM gaps WHERE session = s.id),"
		" (SELECT coalesce(sum(lost), 0) FROM gaps WHERE session = s.id),"
		" (SELECT count(*) FROM gaps WHERE session = s.id AND lost IS NULL)"
		" FROM sessions s ORDER BY s.id";
	struct store_session ss;
	int64_t *ids = NULL, *flows = NULL, *p;
	size_t n;
	sqlite3_stmt *s;
	int rc;

	if (flows_per_session(st, &ids, &flows, &n)) {
		free(ids);
		free(flows);
		return -1;
	}
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		free(ids);
		free(flows);
		return store_fail(st, "cannot read sessions");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&ss, 0, sizeof(ss));
		ss.id = sqlite3_column_int64(s, 0);
		text_col(s, 1, ss.kind, sizeof(ss.kind));
		ss.started_us = sqlite3_column_int64(s, 2);
		ss.stopped_us = sqlite3_column_int64(s, 3);
		text_col(s, 4, ss.host, sizeof(ss.host));
		ss.pid = sqlite3_column_int64(s, 5);
		text_col(s, 6, ss.source, sizeof(ss.source));
		text_col(s, 7, ss.version, sizeof(ss.version));
		p = n ? bsearch(&ss.id, ids, n, sizeof(*ids), cmp_id) : NULL;
		ss.flows = p ? flows[p - ids] : 0;
		ss.events = sqlite3_column_int64(s, 8);
		ss.gaps.n = sqlite3_column_int64(s, 9);
		ss.gaps.lost = sqlite3_column_int64(s, 10);
		ss.gaps.unknown = sqlite3_column_int64(s, 11);
		if (fn(&ss, arg)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	free(ids);
	free(flows);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "cannot read sessions");
}

/* Whether the row of table with that id is there: 0, or -1 reported ("no
 * what N in 'path'", or the read's failure). */
static int check_row(struct store *st, const char *sql, int64_t id, const char *what,
		     const char *fail)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, fail);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return log_error("no %s %lld in '%s'", what, (long long)id, st->path);
	return rc == SQLITE_ROW ? 0 : store_fail(st, fail);
}

int store_check_named(struct store *st, const struct store_query *q)
{
	if (q->session && check_row(st, "SELECT 1 FROM sessions WHERE id = ?", q->session,
				    "session", "cannot read sessions"))
		return -1;
	if ((q->pf & STORE_PF_FLOW) && check_row(st, "SELECT 1 FROM flows WHERE id = ?", q->flow,
						 "flow", "cannot read flows"))
		return -1;
	return 0;
}

int store_event_totals(struct store *st, uint64_t types[5])
{
	static const char sql[] =
		/* a header whose counts do not add up to its n (a damaged or edited
		 * row) cannot tell either: its records are counted */
		"SELECT count(*) FILTER (WHERE (types & 8191) + ((types >> 13) & 8191) +"
		" ((types >> 26) & 8191) + ((types >> 39) & 8191) IS NOT n),"
		" coalesce(sum(types & 8191), 0),"
		" coalesce(sum((types >> 13) & 8191), 0), coalesce(sum((types >> 26) & 8191), 0),"
		" coalesce(sum((types >> 39) & 8191), 0),"
		" (SELECT count(*) FROM prunes WHERE flows > 0) FROM event_blocks";
	sqlite3_stmt *s;
	int rc, known = 0, i;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot count events");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		known = sqlite3_column_int64(s, 0) == 0 && sqlite3_column_int64(s, 5) == 0;
		types[0] = 0;
		for (i = 1; i <= 4; i++)
			types[i] = (uint64_t)sqlite3_column_int64(s, i);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? known : store_fail(st, "cannot count events");
}

int store_flow_totals(struct store *st,
		      int (*fn)(int proto, int state, int64_t n, int64_t first_us,
				int64_t last_us, void *arg),
		      void *arg)
{
	/* summed here: GROUP BY would sort every row */
	static const char sql[] = "SELECT proto, state, first_us, last_us FROM flows";
	struct cell { int64_t n, first_us, last_us; } *t;
	sqlite3_stmt *s;
	int rc, i;

	t = calloc(256 * 17, sizeof(*t));	/* proto, state (16: none) */
	if (!t)
		return log_error("out of memory");
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		free(t);
		return store_fail(st, "cannot count flows");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int state = sqlite3_column_type(s, 1) == SQLITE_NULL ? 16 :
			    sqlite3_column_int(s, 1);
		int64_t first = sqlite3_column_int64(s, 2), last = sqlite3_column_int64(s, 3);
		struct cell *c;

		if (state < 0 || state > 15)	/* none that a name is known for */
			state = 16;
		c = &t[(sqlite3_column_int(s, 0) & 255) * 17 + state];

		if (!c->n++ || first < c->first_us)
			c->first_us = first;
		if (last > c->last_us)
			c->last_us = last;
	}
	sqlite3_finalize(s);
	for (i = 0; rc == SQLITE_DONE && i < 256 * 17; i++)
		if (t[i].n && fn(i / 17, i % 17 == 16 ? -1 : i % 17, t[i].n, t[i].first_us,
				 t[i].last_us, arg))
			break;
	free(t);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "cannot count flows");
}

int store_history_span(struct store *st, int64_t *first_us, int64_t *last_us)
{
	static const char sql[] = "SELECT min(first_us), max(last_us) FROM event_blocks";
	sqlite3_stmt *s;
	int rc, any = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read the events' times");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && (any = is_set(s, 0))) {
		*first_us = sqlite3_column_int64(s, 0);
		*last_us = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? any : store_fail(st, "cannot read the events' times");
}

int store_gap_totals(struct store *st, int64_t session, int64_t since_us, int64_t until_us,
		     struct store_gaps *g)
{
	static const char sql[] =
		"SELECT count(*), coalesce(sum(lost), 0), count(*) - count(lost) FROM gaps"
		" WHERE t_us BETWEEN ?1 AND ?2 AND (?3 = 0 OR session = ?3)";
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read gaps");
	sqlite3_bind_int64(s, 1, since_us);
	sqlite3_bind_int64(s, 2, until_us);
	sqlite3_bind_int64(s, 3, session);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		g->n = sqlite3_column_int64(s, 0);
		g->lost = sqlite3_column_int64(s, 1);
		g->unknown = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, "cannot read gaps");
}

int store_prune_totals(struct store *st, int64_t *steps, int64_t *before_us, int64_t *flows,
		       int64_t *events)
{
	static const char sql[] =
		"SELECT count(*), max(before_us), coalesce(sum(flows), 0),"
		" coalesce(sum(events), 0) FROM prunes";
	static const char has_table[] =
		"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'prunes'";
	sqlite3_stmt *s;
	int rc;

	*steps = 0;
	if (sqlite3_prepare_v2(st->db, has_table, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read the pruning record");
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;	/* a database from before version 3 */
	if (rc != SQLITE_ROW || sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot read the pruning record");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*steps = sqlite3_column_int64(s, 0);
		if (*steps) {
			*before_us = sqlite3_column_int64(s, 1);
			*flows = sqlite3_column_int64(s, 2);
			*events = sqlite3_column_int64(s, 3);
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, "cannot read the pruning record");
}

int store_max_flow_id(struct store *st, int64_t *id)
{
	return store_one_int(st, "SELECT coalesce(max(id), 0) FROM main.flows", "cannot read flows", id);
}
