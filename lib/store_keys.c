/* The keys a flow is listed under in flow_keys (schema/schema.sql), written once per transaction each, in batches. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sqlite3.h>

#include "grow.h"
#include "log.h"
#include "radix_sort.h"
#include "store_internal.h"

/* Must agree with STORE_FLOW_KEYS_OF (lib/store_sql.h), which retention uses,
 * and with the view migrate-6.sql fills flow_keys from (tests/lib.sh
 * check_flow_keys compares them on real recordings). */
enum { KEY_SRC = 1, KEY_DST = 2, KEY_DPORT = 3, KEY_SPAN = 4 };
#define RNG_SHIFT 10
#define SPAN_CLASS_SHIFT 44
#define SPAN_BUCKET_SHIFT 20

/* A key as flow_keys holds it: val is an address (len 4 or 16) or an integer (len 0). */
struct fkey {
	int64_t rng, ival;
	uint32_t gen;		/* in the cache: the transaction that wrote it */
	uint8_t kind, len;
	uint8_t addr[16];
};

/* Keys written in this transaction: a direct-mapped cache, exact (a slot
 * holds a whole key and the number of the transaction that wrote it), so a
 * repeat costs no SQL. */
#define KEYCACHE_SLOTS 16384

static uint64_t key_hash(const struct fkey *k)
{
	uint64_t h = 1469598103934665603ULL ^ k->kind;
	size_t i;

	h = (h ^ (uint64_t)k->rng) * 1099511628211ULL;
	h = (h ^ (uint64_t)k->ival) * 1099511628211ULL;
	for (i = 0; i < k->len; i++)
		h = (h ^ k->addr[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

void store_keys_forget(struct store *st)
{
	st->nkeys_due = 0;
	/* A new number rather than clearing 640 KiB at every transaction. */
	if (++st->keygen == 0 && st->keycache) {
		memset(st->keycache, 0, KEYCACHE_SLOTS * sizeof(struct fkey));
		st->keygen = 1;
	}
}

/* Lists k to be written, unless this transaction already did. Returns 0 or -1 (reported). */
static int put_key(struct store *st, struct fkey *k)
{
	struct fkey *slot, *due;

	if (!st->keycache && !(st->keycache = calloc(KEYCACHE_SLOTS, sizeof(struct fkey))))
		return log_error("out of memory");
	k->gen = st->keygen;
	slot = (struct fkey *)st->keycache + key_hash(k) % KEYCACHE_SLOTS;
	if (!memcmp(slot, k, sizeof(*k)))
		return 0;
	if (!(due = grow_array(st->keys_due, &st->keys_due_cap, st->nkeys_due, sizeof(*due), 1024)))
		return -1;
	st->keys_due = due;
	((struct fkey *)st->keys_due)[st->nkeys_due++] = *k;
	*slot = *k;
	return 0;
}

/* A key's place in flow_keys, as near as it matters (neighbours there are
 * then written one after the other): its kind, then the first 60 bits of
 * its value (an address's first bytes, or the integer, which is below 2^60). */
static uint64_t key_order(const struct fkey *k)
{
	uint64_t v = (uint64_t)k->ival;

	if (k->len) {
		uint8_t b[8] = { 0 };
		int i;

		memcpy(b, k->addr, k->len < 8 ? k->len : 8);
		for (v = 0, i = 0; i < 8; i++)
			v = v << 8 | b[i];
		v >>= 4;
	}
	return (uint64_t)k->kind << 60 | (v & ((1ULL << 60) - 1));
}

/* Binds key k as the row at parameter i (kind, val, rng). */
static void bind_key(sqlite3_stmt *s, int i, const struct fkey *k)
{
	sqlite3_bind_int(s, i, k->kind);
	if (k->len)
		sqlite3_bind_blob(s, i + 1, k->addr, k->len, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, i + 1, k->ival);
	sqlite3_bind_int64(s, i + 2, k->rng);
}

int store_keys_flush(struct store *st)
{
	const struct fkey *k = st->keys_due;
	size_t n = st->nkeys_due, i, j, rows;
	struct radix_item *order;
	sqlite3_stmt *s;
	int rc = SQLITE_DONE;

	if (!n)
		return 0;
	order = malloc(2 * n * sizeof(*order));
	if (!order)
		return log_error("out of memory");
	for (i = 0; i < n; i++) {
		order[i].key = key_order(&k[i]);
		order[i].val = i;
	}
	radix_sort(order, order + n, n);
	/* STORE_KEY_BATCH rows a statement: one step instead of 32 */
	for (i = 0; i < n && rc == SQLITE_DONE; i += rows) {
		rows = n - i >= STORE_KEY_BATCH ? STORE_KEY_BATCH : 1;
		s = store_stmt(st, rows > 1 ? STMT_KEY_INSERT_MANY : STMT_KEY_INSERT);
		if (!s) {
			free(order);
			return -1;
		}
		for (j = 0; j < rows; j++)
			bind_key(s, 1 + 3 * (int)j, &k[order[i + j].val]);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
	}
	free(order);
	if (rc != SQLITE_DONE)
		return store_fail(st, "cannot store a flow's keys");
	st->nkeys_due = 0;
	return 0;
}

void store_keys_free(struct store *st)
{
	free(st->keycache);
	free(st->keys_due);
	st->keycache = st->keys_due = NULL;
	st->nkeys_due = st->keys_due_cap = 0;
}

static int put_addr(struct store *st, int kind, int64_t rng, const uint8_t *a, int l3)
{
	struct fkey k;

	memset(&k, 0, sizeof(k));
	k.kind = (uint8_t)kind;
	k.rng = rng;
	k.len = l3 == AF_INET6 ? 16 : 4;
	memcpy(k.addr, a, k.len);
	return put_key(st, &k);
}

static int put_int(struct store *st, int kind, int64_t rng, int64_t v)
{
	struct fkey k;

	memset(&k, 0, sizeof(k));
	k.kind = (uint8_t)kind;
	k.rng = rng;
	k.ival = v;
	return put_key(st, &k);
}

int store_keys_new(struct store *st, int64_t id, const struct ct_tuple *orig)
{
	int64_t rng = (id - 1) >> RNG_SHIFT;

	if (put_addr(st, KEY_SRC, rng, orig->src, orig->l3) ||
	    put_addr(st, KEY_DST, rng, orig->dst, orig->l3))
		return -1;
	return orig->has_ports ? put_int(st, KEY_DPORT, rng, orig->dport) : 0;
}

/* SQLite's length() of an integer: its decimal digits, and the sign. */
static int64_t text_length(int64_t v)
{
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	int64_t n = v < 0 ? 2 : 1;

	while (u >= 10) {
		u /= 10;
		n++;
	}
	return n;
}

int store_keys_end(struct store *st, int64_t id, int64_t first_us, int64_t end_us)
{
	int64_t span = (int64_t)((uint64_t)text_length(end_us - first_us) << SPAN_CLASS_SHIFT) +
		       (first_us >> SPAN_BUCKET_SHIFT);

	return put_int(st, KEY_SPAN, (id - 1) >> RNG_SHIFT, span);
}
