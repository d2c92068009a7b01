/* Writing flows, events, gaps and undecodable messages: flows and events are held until the transaction commits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sqlite3.h>

#include "log.h"

#include "store_internal.h"

static size_t addr_len(const struct ct_tuple *t)
{
	return t->l3 == AF_INET6 ? 16 : 4;
}

/* Steps a bound write statement and resets it. */
static int run(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, what);
}

/* At most this many new flows are held before they are written (memory bound). */
#define PFLOW_FLUSH_AT 16384

void store_drop_flows(struct store *st, int free_all)
{
	id_set_clear(&st->held, free_all);
}

static int need_txn(struct store *st)
{
	return st->in_txn ? 0 : log_error("internal error: a write outside a transaction");
}

/* Binds v at i when set; else the parameter stays NULL. */
static void bind_opt64(sqlite3_stmt *s, int i, int set, int64_t v)
{
	if (set)
		sqlite3_bind_int64(s, i, v);
}

/* Binds the final counters a held flow has (packets and bytes, original then
 * reply) at i..i+3. */
static void bind_counters(sqlite3_stmt *s, int i, const struct pchange *p)
{
	bind_opt64(s, i, p->has & CT_HAS_COUNTERS_ORIG, (int64_t)p->pkts_orig);
	bind_opt64(s, i + 1, p->has & CT_HAS_COUNTERS_ORIG, (int64_t)p->bytes_orig);
	bind_opt64(s, i + 2, p->has & CT_HAS_COUNTERS_REPLY, (int64_t)p->pkts_reply);
	bind_opt64(s, i + 3, p->has & CT_HAS_COUNTERS_REPLY, (int64_t)p->bytes_reply);
}

/* Binds a tuple's address family, addresses and ports at i..i+4 (ports
 * unbound, NULL, for protocols without them). */
static void bind_addrs(sqlite3_stmt *s, int i, const struct ct_tuple *t)
{
	sqlite3_bind_int(s, i, t->l3);
	sqlite3_bind_blob(s, i + 1, t->src, addr_len(t), SQLITE_STATIC);
	sqlite3_bind_blob(s, i + 2, t->dst, addr_len(t), SQLITE_STATIC);
	if (t->has_ports) {
		sqlite3_bind_int(s, i + 3, t->sport);
		sqlite3_bind_int(s, i + 4, t->dport);
	}
}

/* Binds what flows_more keeps of a tuple (its ICMP fields and zone) at i..i+3. */
static void bind_more_tuple(sqlite3_stmt *s, int i, const struct ct_tuple *t)
{
	if (t->has_icmp) {
		sqlite3_bind_int(s, i, t->itype);
		sqlite3_bind_int(s, i + 1, t->icode);
		sqlite3_bind_int(s, i + 2, t->iid);
	}
	if (t->has_zone)
		sqlite3_bind_int(s, i + 3, t->zone);
}

/* A new flow's row in flows_more, when it has anything to put there. */
static int write_more(struct store *st, const struct pflow *p)
{
	struct ct_tuple mirror;
	int mirrored;
	sqlite3_stmt *s;

	ct_tuple_mirror(&p->orig, &mirror);
	mirrored = ct_tuple_equal(&mirror, &p->reply);
	if (mirrored && !(p->c.has & CT_HAS_ZONE) && !p->orig.has_icmp && !p->orig.has_zone)
		return 0;
	s = store_stmt(st, STMT_MORE_INSERT);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, p->c.id);
	bind_opt64(s, 2, p->c.has & CT_HAS_ZONE, p->zone);
	bind_more_tuple(s, 3, &p->orig);
	if (!mirrored) {
		bind_addrs(s, 7, &p->reply);
		bind_more_tuple(s, 12, &p->reply);
	}
	return run(st, s, "cannot store a flow");
}

/* Binds a new flow's row at parameters base + 1 .. base + FLOW_COLUMNS. */
static void bind_flow(sqlite3_stmt *s, int base, const struct pflow *p)
{
	const struct pchange *c = &p->c;

	sqlite3_bind_int64(s, base + 1, c->id);
	sqlite3_bind_int64(s, base + 2, p->session);
	bind_opt64(s, base + 3, c->has & CT_HAS_ID, p->ct_id);
	sqlite3_bind_int(s, base + 4, p->family);
	sqlite3_bind_int(s, base + 5, p->orig.proto);
	bind_addrs(s, base + 6, &p->orig);
	sqlite3_bind_int(s, base + 11, p->origin);
	sqlite3_bind_int64(s, base + 12, c->first_us);
	bind_opt64(s, base + 13, c->end_kind, c->end_us - c->first_us);
	bind_opt64(s, base + 14, c->end_kind, c->end_kind);
	bind_opt64(s, base + 15, c->has & CT_HAS_STATE, c->state);
	bind_counters(s, base + 16, c);
	bind_opt64(s, base + 20, c->nevents, c->last_us - c->first_us);
	sqlite3_bind_int64(s, base + 21, c->nevents);
	bind_opt64(s, base + 22, c->has & CT_HAS_STATUS, c->status);
	bind_opt64(s, base + 23, c->has & CT_HAS_MARK, c->mark);
}

/* What goes with a new flow's row: its flows_more row, its keys, its place
 * among the open flows. */
static int write_new_rest(struct store *st, const struct pflow *p)
{
	const struct pchange *c = &p->c;

	if (write_more(st, p) || store_keys_new(st, c->id, &p->orig) ||
	    (!c->end_kind && store_open_add(st, c->id, c->first_us)))
		return -1;
	return c->end_kind ? store_keys_end(st, c->id, c->first_us, c->end_us) : 0;
}

/* Writes n new flows (at most STORE_FLOW_BATCH): in one statement when
 * there are that many, which costs one step instead of n. */
static int write_new(struct store *st, const struct pflow *const *p, size_t n)
{
	sqlite3_stmt *s;
	size_t i;

	if (n == STORE_FLOW_BATCH) {
		s = store_stmt(st, STMT_FLOW_INSERT_MANY);
		if (!s)
			return -1;
		for (i = 0; i < n; i++)
			bind_flow(s, (int)i * FLOW_COLUMNS, p[i]);
		if (run(st, s, "cannot store a flow"))
			return -1;
	} else {
		s = store_stmt(st, STMT_FLOW_INSERT);
		if (!s)
			return -1;
		for (i = 0; i < n; i++) {
			bind_flow(s, 0, p[i]);
			if (run(st, s, "cannot store a flow"))
				return -1;
		}
	}
	for (i = 0; i < n; i++)
		if (write_new_rest(st, p[i]))
			return -1;
	return 0;
}

int store_change_column(const struct pchange *p, int col, int64_t *v)
{
	switch (col) {
	case 0: *v = p->id; return 1;
	case 1: *v = p->last_us; return p->nevents > 0;
	case 2: *v = p->nevents; return 1;
	case 3: *v = p->status; return !!(p->has & CT_HAS_STATUS);
	case 4: *v = p->mark; return !!(p->has & CT_HAS_MARK);
	case 5: *v = p->end_us; return p->end_kind != 0;
	case 6: *v = p->end_kind; return p->end_kind != 0;
	case 7: *v = p->state; return !!(p->has & CT_HAS_STATE);
	case 8: *v = (int64_t)p->pkts_orig; return !!(p->has & CT_HAS_COUNTERS_ORIG);
	case 9: *v = (int64_t)p->bytes_orig; return !!(p->has & CT_HAS_COUNTERS_ORIG);
	case 10: *v = (int64_t)p->pkts_reply; return !!(p->has & CT_HAS_COUNTERS_REPLY);
	case 11: *v = (int64_t)p->bytes_reply; return !!(p->has & CT_HAS_COUNTERS_REPLY);
	default: return 0;
	}
}

/* Binds change p at ?1..?12, its columns in order (unset ones left NULL). */
static void bind_change(sqlite3_stmt *s, const struct pchange *p)
{
	int64_t v;
	int col;

	for (col = 0; col < STORE_CHANGE_COLUMNS; col++)
		if (store_change_column(p, col, &v))
			sqlite3_bind_int64(s, col + 1, v);
}

int store_flow_update(struct store *st, const struct pchange *p)
{
	sqlite3_stmt *s = store_stmt(st, STMT_FLOW_UPDATE);

	if (!s)
		return -1;
	bind_change(s, p);
	if (run(st, s, "cannot update a flow") || (p->end_kind && store_open_end(st, p->id)))
		return -1;
	/* (no row changed: pruned meanwhile) */
	return p->end_kind && sqlite3_changes(st->db) ?
		store_keys_end(st, p->id, p->first_us, p->end_us) : 0;
}

int store_flush_flows(struct store *st)
{
	const struct pflow *batch[STORE_FLOW_BATCH];
	size_t i, n = 0;

	/* held flows are new ones, in id order (ids are handed out in turn):
	 * neighbours in the table are written one after the other */
	for (i = 0; i < st->held.n; i++) {
		batch[n++] = (const struct pflow *)st->held.a + i;
		if (n == STORE_FLOW_BATCH && write_new(st, batch, n))
			return -1;
		if (n == STORE_FLOW_BATCH)
			n = 0;
	}
	if ((n && write_new(st, batch, n)) || store_pending_write(st))
		return -1;
	store_drop_flows(st, 0);
	st->held_from = st->next_flow;
	return store_keys_flush(st);
}

/* The entry to add ev or an end of flow to: its held entry when it is new,
 * else a change of it (lib/store_pending.c). NULL when out of memory
 * (reported). */
static struct pchange *entry_for(struct store *st, int64_t flow)
{
	struct pflow *p = flow >= st->held_from ? id_set_find(&st->held, flow) : NULL;

	return p ? &p->c : store_change_for(st, flow);
}

int64_t store_flow_insert(struct store *st, int64_t session, const struct ct_event *ev,
			  int origin)
{
	struct pflow *p;

	if (need_txn(st) || (st->held.n >= PFLOW_FLUSH_AT && store_flush_flows(st)))
		return -1;
	p = id_set_add(&st->held, st->next_flow);
	if (!p)
		return -1;
	st->next_flow++;
	p->origin = (uint8_t)origin;
	p->session = session;
	p->c.first_us = ev->t_us;
	p->family = ev->family;
	p->orig = ev->orig;
	p->reply = ev->reply;
	p->c.has = ev->has & (CT_HAS_ID | CT_HAS_ZONE);
	p->ct_id = ev->id;
	p->zone = ev->zone;
	return p->c.id;
}

/* Keeps the final state and counters ev carries on p, a held flow's or a change
 * (the state again: store_event_insert() took it already). */
static void take_final(struct pchange *p, const struct ct_event *ev)
{
	if (ev->has & CT_HAS_STATE) {
		p->state = ev->state;
		p->has |= CT_HAS_STATE;
	}
	if (ev->has & CT_HAS_COUNTERS_ORIG) {
		p->pkts_orig = ev->pkts_orig;
		p->bytes_orig = ev->bytes_orig;
		p->has |= CT_HAS_COUNTERS_ORIG;
	}
	if (ev->has & CT_HAS_COUNTERS_REPLY) {
		p->pkts_reply = ev->pkts_reply;
		p->bytes_reply = ev->bytes_reply;
		p->has |= CT_HAS_COUNTERS_REPLY;
	}
}

int store_flow_end(struct store *st, int64_t flow, int64_t first_us, int64_t t_us,
		   int end_kind, const struct ct_event *ev)
{
	struct pchange *p;

	if (need_txn(st) || !(p = entry_for(st, flow)))
		return -1;
	p->first_us = first_us;
	p->end_us = t_us;
	p->end_kind = (uint8_t)end_kind;
	if (ev)
		take_final(p, ev);
	return 0;
}

int store_event_insert(struct store *st, int64_t flow, const struct ct_event *ev)
{
	struct pchange *p;

	if (need_txn(st) || store_block_add(st, flow, ev) || !(p = entry_for(st, flow)))
		return -1;
	if (!p->nevents || ev->t_us > p->last_us)
		p->last_us = ev->t_us;
	p->nevents++;
	if (ev->has & CT_HAS_STATUS) {
		p->status = ev->status;
		p->has |= CT_HAS_STATUS;
	}
	if (ev->has & CT_HAS_MARK) {
		p->mark = ev->mark;
		p->has |= CT_HAS_MARK;
	}
	if (ev->has & CT_HAS_STATE) {	/* the last known, as conntrack -L would show it */
		p->state = ev->state;
		p->has |= CT_HAS_STATE;
	}
	return 0;
}

int store_gap_insert(struct store *st, int64_t session, int64_t t_us, const char *kind,
		     int64_t lost)
{
	sqlite3_stmt *s = store_stmt(st, STMT_GAP_INSERT);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, session);
	sqlite3_bind_int64(s, 2, t_us);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	if (lost >= 0)
		sqlite3_bind_int64(s, 4, lost);
	return run(st, s, "cannot store a gap");
}

int store_unparsed_insert(struct store *st, int64_t session, int64_t t_us,
			  const void *msg, size_t len)
{
	sqlite3_stmt *s = store_stmt(st, STMT_UNPARSED_INSERT);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, session);
	sqlite3_bind_int64(s, 2, t_us);
	sqlite3_bind_blob(s, 3, msg, len, SQLITE_STATIC);
	return run(st, s, "cannot store an undecodable message");
}

int64_t store_import_find(struct store *st, const char *digest)
{
	const char *sql = "SELECT session FROM imports WHERE digest = ? ORDER BY id LIMIT 1";
	sqlite3_stmt *s;
	int64_t id = -1;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot look up earlier imports");
	sqlite3_bind_text(s, 1, digest, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		id = 0;
	else
		store_fail(st, "cannot look up earlier imports");
	sqlite3_finalize(s);
	return id;
}

int64_t store_import_last(struct store *st)
{
	int64_t id;

	if (store_one_int(st, "SELECT coalesce(max(session), 0) FROM imports",
			  "cannot look up earlier imports", &id))
		return -1;
	return id;
}

int64_t store_session_last_us(struct store *st, int64_t session)
{
	char sql[128];
	int64_t t;

	snprintf(sql, sizeof(sql), "SELECT coalesce(max(last_us), 0) FROM event_blocks"
		 " WHERE session = %lld", (long long)session);
	if (store_one_int(st, sql, "cannot read the events of an earlier import", &t))
		return -1;
	return t;
}

int store_imports_by_size(struct store *st,
			  int (*fn)(int64_t session, const char *digest, int64_t bytes, void *arg),
			  void *arg)
{
	const char *sql = "SELECT session, digest, bytes FROM imports ORDER BY bytes, id";
	sqlite3_stmt *s;
	int rc, r = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot look up earlier imports");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW &&
	       !(r = fn(sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
			sqlite3_column_int64(s, 2), arg)))
		;
	sqlite3_finalize(s);
	if (r)
		return r < 0 ? -1 : 0;
	return rc == SQLITE_DONE ? 0 : store_fail(st, "cannot look up earlier imports");
}

int store_import_insert(struct store *st, int64_t session, const char *digest,
			int64_t bytes, const char *format, int64_t events, int64_t untimed,
			int64_t continues)
{
	const char *sql = "INSERT INTO imports (session, digest, bytes, format, events, untimed,"
			  " continues) VALUES (?,?,?,?,?,?,?)";
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "cannot record the import");
	sqlite3_bind_int64(s, 1, session);
	sqlite3_bind_text(s, 2, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, bytes);
	sqlite3_bind_text(s, 4, format, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, events);
	sqlite3_bind_int64(s, 6, untimed);
	if (continues > 0)
		sqlite3_bind_int64(s, 7, continues);
	rc = run(st, s, "cannot record the import");
	sqlite3_finalize(s);
	return rc;
}
