/* The list table: rows in columns as wide as their widest value, laid out over a bounded look-ahead and, past it, over the longest tuples of the shapes it held. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ct_names.h"
#include "filter_text.h"
#include "grow.h"
#include "list_table.h"
#include "log.h"
#include "timeparse.h"

enum { C_START, C_DUR, C_PROTO, C_ORIG, C_REPLY, C_STATE, C_PKTS, C_BYTES, C_FLOW, C_LABELS,
       NCOL };

static const char *const titles[NCOL] = {
	"START", "DURATION", "PROTO", "ORIGINAL", "REPLY", "STATE", "PACKETS(o/r)",
	"BYTES(o/r)", "FLOW", "LABELS",
};

/* The widths the table had before it measured its rows (19 for a time,
 * 45 for any IPv4 tuple with ports): a table of such rows keeps them. */
static const size_t min_width[NCOL] = { 19, 9, 6, 45, 45, 11 };

/* A row's cells, each ended by a NUL, at most this long in all. */
#define CELL_MAX 128
#define ROW_MAX (C_LABELS * CELL_MAX + FT_LABELS_TEXT)

struct list_table {
	FILE *out;
	int ncol;		/* NCOL with labels, else without */
	struct nfct_labelmap *map;
	size_t width[NCOL];
	int laid_out;
	char *held;		/* the rows held, their cells one after the other */
	size_t nheld, held_len, held_cap;
	int64_t last_id;	/* of the last row held */
	/* shapes[proto]: bit 3 * (IPv6) + n set when a tuple of the protocol
	 * held has n = 0 nothing after its addresses, 1 ports (or a key), 2
	 * ICMP fields */
	uint8_t shapes[256];
};

struct list_table *list_table_new(FILE *out, int labels, struct nfct_labelmap *map)
{
	struct list_table *t = calloc(1, sizeof(*t));
	int i;

	if (!t) {
		log_error("out of memory");
		return NULL;
	}
	t->out = out;
	t->ncol = labels ? NCOL : NCOL - 1;
	t->map = map;
	for (i = 0; i < NCOL; i++)
		t->width[i] = strlen(titles[i]) > min_width[i] ? strlen(titles[i]) : min_width[i];
	return t;
}

/* Writes flow fl's cells into row, one after the other. Returns their
 * length in all. */
static size_t format_row(const struct list_table *t, const struct store_flow *fl, char *row)
{
	const struct ct_event *ev = &fl->ev;
	const char *st = ev->has & CT_HAS_STATE ? ct_state_name(ev->orig.proto, ev->state) : NULL;
	char cell[C_LABELS][CELL_MAX], names[FT_LABELS_TEXT];
	char pb[8];
	size_t len = 0;
	int i;

	time_format(cell[C_START], sizeof(cell[C_START]), fl->first_us, 0);
	/* (an end timed before the start: the wall clock was set back meanwhile) */
	if (fl->end_kind == 1 && fl->end_us >= fl->first_us)
		snprintf(cell[C_DUR], sizeof(cell[C_DUR]), "%.3fs",
			 ((double)fl->end_us - fl->first_us) / 1e6);
	else
		snprintf(cell[C_DUR], sizeof(cell[C_DUR]), fl->end_kind ? "?" : "open");
	snprintf(cell[C_PROTO], sizeof(cell[C_PROTO]), "%s", ft_proto(ev->orig.proto, pb));
	ft_tuple(&ev->orig, cell[C_ORIG], sizeof(cell[C_ORIG]));
	ft_tuple(&ev->reply, cell[C_REPLY], sizeof(cell[C_REPLY]));
	snprintf(cell[C_STATE], sizeof(cell[C_STATE]), "%s", st ? st : "-");
	/* counters come with a flow's end: "-" until then, not 0 */
	if (ev->has & (CT_HAS_COUNTERS_ORIG | CT_HAS_COUNTERS_REPLY)) {
		snprintf(cell[C_PKTS], sizeof(cell[C_PKTS]), "%llu/%llu",
			 (unsigned long long)ev->pkts_orig, (unsigned long long)ev->pkts_reply);
		snprintf(cell[C_BYTES], sizeof(cell[C_BYTES]), "%llu/%llu",
			 (unsigned long long)ev->bytes_orig, (unsigned long long)ev->bytes_reply);
	} else {
		strcpy(cell[C_PKTS], "-");
		strcpy(cell[C_BYTES], "-");
	}
	snprintf(cell[C_FLOW], sizeof(cell[C_FLOW]), "%lld", (long long)fl->id);
	for (i = 0; i < C_LABELS; i++) {
		size_t n = strlen(cell[i]) + 1;

		memcpy(row + len, cell[i], n);
		len += n;
	}
	if (t->ncol > C_LABELS) {
		ft_labels_text(ev, t->map, names, sizeof(names));
		snprintf(row + len, FT_LABELS_TEXT, "%s", names[0] ? names : "-");
		len += strlen(row + len) + 1;
	}
	return len;
}

/* Widens the columns to row's cells. Returns the next row held. */
static const char *measure(struct list_table *t, const char *row)
{
	int i;

	for (i = 0; i < t->ncol; i++, row += strlen(row) + 1)
		if (strlen(row) > t->width[i])
			t->width[i] = strlen(row);
	return row;
}

/* Writes the row (its cells one after the other) in the columns; the last
 * is not padded. Returns the next row held. */
static const char *put_row(const struct list_table *t, const char *row)
{
	int i;

	static const char spaces[] = "                                                ";
	size_t n, pad;

	for (i = 0; i < t->ncol; i++, row += n + 1) {
		n = strlen(row);
		pad = i < t->ncol - 1 && t->width[i] > n ? t->width[i] - n : 0;
		if (i == C_DUR)	/* (right-aligned) */
			for (; pad; pad -= pad < sizeof(spaces) - 1 ? pad : sizeof(spaces) - 1)
				fwrite(spaces, 1, pad < sizeof(spaces) - 1 ? pad : sizeof(spaces) - 1,
				       t->out);
		fwrite(row, 1, n, t->out);
		for (; pad; pad -= pad < sizeof(spaces) - 1 ? pad : sizeof(spaces) - 1)
			fwrite(spaces, 1, pad < sizeof(spaces) - 1 ? pad : sizeof(spaces) - 1, t->out);
		putc(i < t->ncol - 1 ? ' ' : '\n', t->out);
	}
	return row;
}

static void widen(struct list_table *t, int col, size_t w)
{
	if (w > t->width[col])
		t->width[col] = w;
}

/* A tuple's shape: its bit in shapes[its protocol]. */
static unsigned shape_bit(const struct ct_tuple *tp)
{
	return 1u << ((tp->l3 == AF_INET6) * 3 + (tp->has_icmp ? 2 : tp->has_ports ? 1 : 0));
}

/* Widens the columns for the rows past those held: for each protocol and
 * shape of tuple held, the longest tuple of that shape (every address byte
 * 0xff, the largest ports and ICMP fields) and the protocol's longest state
 * name; the flow numbers up to max_id. A row past them of another shape, or
 * with larger counters or a longer duration, is wider than its columns. */
static void widen_for_more(struct list_table *t, int64_t max_id)
{
	char buf[128];
	struct ct_tuple tp;
	int proto, bit, s;

	for (proto = 0; proto < 256; proto++) {
		if (!t->shapes[proto])
			continue;
		for (s = 0; s < 16; s++)
			if (ct_state_name(proto, s))
				widen(t, C_STATE, strlen(ct_state_name(proto, s)));
		for (bit = 0; bit < 6; bit++) {
			if (!(t->shapes[proto] & 1 << bit))
				continue;
			memset(&tp, 0, sizeof(tp));
			memset(tp.src, 0xff, sizeof(tp.src));
			memset(tp.dst, 0xff, sizeof(tp.dst));
			tp.l3 = bit / 3 ? AF_INET6 : AF_INET;
			tp.proto = proto;
			tp.has_ports = bit % 3 == 1;
			tp.has_icmp = bit % 3 == 2;
			tp.sport = tp.dport = tp.iid = UINT16_MAX;
			tp.itype = tp.icode = UINT8_MAX;
			ft_tuple(&tp, buf, sizeof(buf));
			widen(t, C_ORIG, strlen(buf));
			widen(t, C_REPLY, strlen(buf));
		}
	}
	widen(t, C_FLOW, (size_t)snprintf(buf, sizeof(buf), "%lld", (long long)max_id));
}

int64_t list_table_full(const struct list_table *t)
{
	return !t->laid_out && t->nheld >= LIST_TABLE_AHEAD ? t->last_id : 0;
}

void list_table_layout(struct list_table *t, int more, int64_t max_id)
{
	const char *row = t->held;
	char header[256];
	size_t i, len = 0;

	for (i = 0; i < t->nheld; i++)
		row = measure(t, row);
	if (more)
		widen_for_more(t, max_id);
	t->laid_out = 1;
	for (i = 0; i < (size_t)t->ncol; i++)
		len += (size_t)snprintf(header + len, sizeof(header) - len, "%s", titles[i]) + 1;
	(void)put_row(t, header);
	for (i = 0, row = t->held; i < t->nheld; i++)
		row = put_row(t, row);
	free(t->held);
	t->held = NULL;
	t->nheld = t->held_len = t->held_cap = 0;
}

int list_table_row(struct list_table *t, const struct store_flow *fl)
{
	char row[ROW_MAX], *p;
	size_t len = format_row(t, fl, row);

	if (t->laid_out) {
		(void)put_row(t, row);
		return 0;
	}
	if (!(p = grow_to(t->held, &t->held_cap, t->held_len + len, 1, 64 * 1024)))
		return -1;
	t->held = p;
	memcpy(t->held + t->held_len, row, len);
	t->held_len += len;
	t->nheld++;
	t->last_id = fl->id;
	t->shapes[fl->ev.orig.proto] |= (uint8_t)shape_bit(&fl->ev.orig);
	t->shapes[fl->ev.reply.proto] |= (uint8_t)shape_bit(&fl->ev.reply);
	return 0;
}

void list_table_end(struct list_table *t)
{
	if (!t)
		return;
	if (!t->laid_out)
		list_table_layout(t, 0, 0);
	free(t->held);
	free(t);
}
