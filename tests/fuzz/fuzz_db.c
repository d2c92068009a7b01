/* libFuzzer target: a history database whose rows were edited or damaged (any value in any column ctrecord writes, rows deleted) must not crash any ctquery command, nor make one fail without an error or report one and succeed. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

/* ctquery's commands, called in this process: its main() under another name. */
#define main ctquery_main
#include "../../query/main.c"
#undef main

/*
 * The template: a history ctrecord imports once, at start-up, from a log
 * written here (two sessions, IPv4 and IPv6, TCP, UDP and ICMP flows, some
 * left open, zones and marks, events enough for several blocks and
 * segments), plus a row of flow_pending as a writer killed before its fold
 * leaves. Each input is a list of edits applied with SQL to a fresh copy of
 * it; then every command below runs on the copy.
 *
 * The input's first 3 bytes choose the commands run (bit i of the first
 * little-endian 24 bits: commands_run[i]; a shorter input runs them all);
 * the edits follow. An edit: a byte choosing a column (the table below), a byte choosing the
 * row (its rank, modulo the table's rows), a byte choosing what is done,
 * then that edit's bytes:
 *   0 the value from the next 8 bytes (little-endian); 1 a small value (the
 *   next byte, signed); 2 the value plus a delta (the next 2 bytes, signed);
 *   3 NULL; 4 a blob of the next byte's length; 5 one byte of the value as a
 *   blob xored (offset: next 2 bytes; the bits: the byte after); 6 the row
 *   deleted; 7 a text of the next byte's length.
 * SQLite may refuse an edit (NOT NULL, a duplicate key): it is then skipped.
 *
 * What is checked: no crash and no sanitizer report (libFuzzer), and each
 * command either succeeds without an error or reports at least one and
 * fails (exit status 1 or 2): never a failure without a word, nor an error
 * with a success. (More than one error is allowed here: a command that
 * finds two damaged rows may report each.)
 */

extern int fuzz_logged, fuzz_warned;	/* tests/fuzz/log_count.c */

#define MUST(cond) do { if (!(cond)) { fprintf(stderr, "fuzz_db: %s\n", #cond); abort(); } } while (0)

static const char *const columns[] = {
	"flows.id", "flows.session", "flows.ct_id", "flows.family", "flows.proto", "flows.o_l3",
	"flows.o_src", "flows.o_dst", "flows.o_sport", "flows.o_dport", "flows.origin",
	"flows.first_us", "flows.end_dur", "flows.end_kind", "flows.state", "flows.o_packets",
	"flows.o_bytes", "flows.r_packets", "flows.r_bytes", "flows.last_dur", "flows.nevents",
	"flows.status", "flows.mark",
	"flows_more.id", "flows_more.zone", "flows_more.o_itype", "flows_more.o_icode",
	"flows_more.o_iid", "flows_more.o_zone", "flows_more.r_l3", "flows_more.r_src",
	"flows_more.r_dst", "flows_more.r_sport", "flows_more.r_dport", "flows_more.r_itype",
	"flows_more.r_icode", "flows_more.r_iid", "flows_more.r_zone",
	"flow_keys.kind", "flow_keys.val", "flow_keys.rng",
	"open_ranges.rng", "open_ranges.first_us", "open_ranges.ids",
	"event_blocks.id", "event_blocks.session", "event_blocks.first_event", "event_blocks.n",
	"event_blocks.first_us", "event_blocks.last_us", "event_blocks.min_flow",
	"event_blocks.max_flow", "event_blocks.types",
	"event_data.id", "event_data.bloom", "event_data.data",
	"flow_pending.seq", "flow_pending.data",
	"gaps.session", "gaps.t_us", "gaps.kind", "gaps.lost",
	"sessions.id", "sessions.kind", "sessions.started_us", "sessions.stopped_us",
	"sessions.version",
	"imports.session", "imports.events", "imports.untimed", "imports.continues",
	"prunes.t_us", "prunes.before_us", "prunes.flows", "prunes.events",
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* The commands run on each edited copy ("DB" is the copy's path). */
static const char *const commands_run[][10] = {
	{ "list" },
	{ "list", "-o", "conntrack,extended,id" },
	{ "list", "--at", "@1700000005" },
	{ "list", "-s", "10.0.1.7", "-o", "labels" },
	{ "list", "-p", "tcp", "--since", "@1700000002", "--until", "@1700000004" },
	{ "show", "3" },
	{ "show", "250" },
	{ "show", "600" },
	{ "replay" },
	{ "replay", "-o", "xml" },
	{ "replay", "-o", "save" },
	{ "replay", "-o", "json" },
	{ "replay", "--flow", "77" },
	{ "replay", "-p", "udp", "--since", "@1700000003" },
	{ "stats" },
	{ "stats", "--top", "3", "--by", "pair", "--sort", "bytes" },
	{ "stats", "--at", "@1700000004" },
	{ "sessions" },
};
#define NRUN (sizeof(commands_run) / sizeof(commands_run[0]))

static char dir[64], template_db[96], copy_db[96];
static int out_fd = -1, null_fd = -1;	/* standard output, and /dev/null */

/* The template's log: 600 flows over about 6 seconds, then a second log of
 * 100 more, imported with --continue. */
static void write_log(const char *path, int first, int n)
{
	FILE *f = fopen(path, "w");
	int i;

	MUST(f);
	for (i = first; i < first + n; i++) {
		long t0 = 1700000000L + i / 100, us = (i % 100) * 10000;
		int v6 = i % 5 == 4, open = i % 7 == 3, kind = i % 3;
		char src[48], dst[48];
		const char *fam = v6 ? "ipv6     10" : "ipv4     2";
		char extra[48] = "";

		if (v6) {
			snprintf(src, sizeof(src), "fd00::1:%x", i);
			snprintf(dst, sizeof(dst), "fd00:1234:5678:9abc:def0:1234:5678:%x", i % 16);
		} else {
			snprintf(src, sizeof(src), "10.0.%d.%d", i / 250, i % 250);
			snprintf(dst, sizeof(dst), "192.168.%d.1", i % 4);
		}
		if (i % 11 == 0)
			snprintf(extra, sizeof(extra), " mark=%d", i);
		if (i % 13 == 0)
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), " zone=%d", i % 3 + 1);
		if (kind == 0) {
			fprintf(f, "[%ld.%06ld]\t    [NEW] %s tcp      6 120 SYN_SENT src=%s dst=%s sport=%d dport=80"
				" [UNREPLIED] src=%s dst=%s sport=80 dport=%d%s id=%d\n",
				t0, us, fam, src, dst, 30000 + i, dst, src, 30000 + i, extra, 1000 + i);
			fprintf(f, "[%ld.%06ld]\t [UPDATE] %s tcp      6 432000 ESTABLISHED src=%s dst=%s sport=%d"
				" dport=80 src=%s dst=%s sport=80 dport=%d [ASSURED]%s id=%d\n",
				t0, us + 1000, fam, src, dst, 30000 + i, dst, src, 30000 + i, extra, 1000 + i);
			if (!open)
				fprintf(f, "[%ld.%06ld]\t[DESTROY] %s tcp      6 src=%s dst=%s sport=%d dport=80"
					" packets=%d bytes=%d src=%s dst=%s sport=80 dport=%d packets=2"
					" bytes=120 [ASSURED]%s delta-time=1 id=%d\n",
					t0 + 1, us, fam, src, dst, 30000 + i, 3 + i % 5, 180 + i, dst, src,
					30000 + i, extra, 1000 + i);
		} else if (kind == 1 || v6) {
			fprintf(f, "[%ld.%06ld]\t    [NEW] %s udp      17 30 src=%s dst=%s sport=%d dport=53"
				" [UNREPLIED] src=%s dst=%s sport=53 dport=%d%s id=%d\n",
				t0, us, fam, src, dst, 40000 + i, dst, src, 40000 + i, extra, 1000 + i);
			if (!open)
				fprintf(f, "[%ld.%06ld]\t[DESTROY] %s udp      17 src=%s dst=%s sport=%d dport=53"
					" [UNREPLIED] src=%s dst=%s sport=53 dport=%d%s id=%d\n",
					t0 + 2, us, fam, src, dst, 40000 + i, dst, src, 40000 + i, extra,
					1000 + i);
		} else {
			fprintf(f, "[%ld.%06ld]\t    [NEW] %s icmp     1 30 src=%s dst=%s type=8 code=0 id=%d"
				" [UNREPLIED] src=%s dst=%s type=0 code=0 id=%d%s id=%d\n",
				t0, us, fam, src, dst, i, dst, src, i, extra, 1000 + i);
			if (!open)
				fprintf(f, "[%ld.%06ld]\t[DESTROY] %s icmp     1 src=%s dst=%s type=8 code=0"
					" id=%d src=%s dst=%s type=0 code=0 id=%d%s id=%d\n",
					t0 + 1, us, fam, src, dst, i, dst, src, i, extra, 1000 + i);
		}
	}
	MUST(!fclose(f));
}

/* At exit: the template, its logs and the last copy removed. */
static void remove_dir(void)
{
	static const char *const names[] = {
		"1.log", "2.log", "template.db", "copy.db", "copy.db-wal", "copy.db-shm",
	};
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Runs a shell command that must succeed. */
static void run(const char *cmd)
{
	int rc = system(cmd);

	if (rc) {
		fprintf(stderr, "fuzz_db: '%s' failed (%d)\n", cmd, rc);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *ctrecord = getenv("CTRECORD");
	char cmd[512];
	sqlite3 *db;

	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	if (!ctrecord)
		ctrecord = "build/ctrecord";
	strcpy(dir, "/tmp/fuzz_db.XXXXXX");
	MUST(mkdtemp(dir));
	snprintf(template_db, sizeof(template_db), "%s/template.db", dir);
	snprintf(copy_db, sizeof(copy_db), "%s/copy.db", dir);
	snprintf(cmd, sizeof(cmd), "%s/1.log", dir);
	write_log(cmd, 0, 600);
	snprintf(cmd, sizeof(cmd), "%s/2.log", dir);
	write_log(cmd, 600, 100);
	snprintf(cmd, sizeof(cmd), "'%s' --db '%s' --import '%s/1.log' 2>/dev/null &&"
		 " '%s' --db '%s' --import '%s/2.log' --continue 2>/dev/null",
		 ctrecord, template_db, dir, ctrecord, template_db, dir);
	run(cmd);
	/* a writer's changes waiting for a fold: flow 1's mark set to 5, then
	 * one more event of flow 3, the last at 1700000009 */
	MUST(sqlite3_open(template_db, &db) == SQLITE_OK);
	MUST(sqlite3_exec(db, "INSERT INTO flow_pending (data) VALUES (X'020405');"
			  " INSERT INTO gaps (session, t_us, kind, lost) VALUES"
			  " (1, 1700000003000000, 'enobufs', 12);"
			  " INSERT INTO prunes (t_us, before_us, flows, events) VALUES"
			  " (1700000009000000, 1699999999000000, 4, 9)",
			  NULL, NULL, NULL) == SQLITE_OK);
	{
		uint8_t row[16] = { 4, 1, 1 }, *q = row + 3;
		uint64_t v = 1700000009000000ULL;
		sqlite3_stmt *s;

		for (; v >= 0x80; v >>= 7)
			*q++ = (uint8_t)(v | 0x80);
		*q++ = (uint8_t)v;
		MUST(sqlite3_prepare_v2(db, "INSERT INTO flow_pending (data) VALUES (?1)", -1, &s,
					NULL) == SQLITE_OK);
		sqlite3_bind_blob(s, 1, row, (int)(q - row), SQLITE_STATIC);
		MUST(sqlite3_step(s) == SQLITE_DONE);
		sqlite3_finalize(s);
	}
	MUST(sqlite3_close(db) == SQLITE_OK);
	/* the commands' output is not looked at: it goes to /dev/null while
	 * they run (corpus_main.c prints its count after) */
	MUST((out_fd = dup(1)) >= 0 && (null_fd = open("/dev/null", O_WRONLY)) >= 0);
	MUST(!atexit(remove_dir));
	return 0;
}

/* Copies the template to copy_db (its -wal and -shm removed). */
static void fresh_copy(void)
{
	char buf[65536], path[128];
	FILE *in = fopen(template_db, "rb"), *out = fopen(copy_db, "wb");
	size_t n;

	MUST(in && out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		MUST(fwrite(buf, 1, n, out) == n);
	MUST(!ferror(in) && !fclose(out));
	fclose(in);
	snprintf(path, sizeof(path), "%s-wal", copy_db);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", copy_db);
	unlink(path);
}

/* Reads up to n bytes of the input as an unsigned little-endian value. */
static uint64_t take(const uint8_t **p, const uint8_t *end, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n && *p < end; i++)
		v |= (uint64_t)*(*p)++ << (8 * i);
	return v;
}

/* Applies one edit (the input from *p); a refused edit is skipped. */
static void edit(sqlite3 *db, const uint8_t **p, const uint8_t *end)
{
	const char *col = columns[take(p, end, 1) % NCOLUMNS], *dot = strchr(col, '.');
	unsigned row = (unsigned)take(p, end, 1), what = (unsigned)take(p, end, 1) % 8;
	char table[32], sql[512], key[64];
	sqlite3_stmt *s;
	uint8_t bytes[256];
	size_t n;

	snprintf(table, sizeof(table), "%.*s", (int)(dot - col), col);
	/* the row of that rank (flow_keys has no rowid) */
	snprintf(key, sizeof(key), "%s", strcmp(table, "flow_keys") ? "rowid" : "(kind, val, rng)");
	if (what == 6)
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s IN (SELECT %s FROM %s LIMIT 1 OFFSET"
			 " ?2 %% max(1, (SELECT count(*) FROM %s)))", table, key, key, table, table);
	else if (what == 2 || what == 5)
		snprintf(sql, sizeof(sql), "UPDATE %s SET %s = %s WHERE %s IN (SELECT %s FROM %s LIMIT 1"
			 " OFFSET ?2 %% max(1, (SELECT count(*) FROM %s)))", table, dot + 1,
			 what == 2 ? "CASE WHEN typeof(%s) = 'integer' THEN %s + ?1 ELSE ?1 END" :
			 "ct_xor(%s, ?1, ?3)", key, key, table, table);
	else
		snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ?1 WHERE %s IN (SELECT %s FROM %s LIMIT 1"
			 " OFFSET ?2 %% max(1, (SELECT count(*) FROM %s)))", table, dot + 1, key, key,
			 table, table);
	if (what == 2 || what == 5) {	/* the column's name where the expression has %s */
		char tmp[512];

		snprintf(tmp, sizeof(tmp), sql, dot + 1, dot + 1);
		strcpy(sql, tmp);
	}
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int(s, 2, (int)row);
	switch (what) {
	case 0:
		sqlite3_bind_int64(s, 1, (int64_t)take(p, end, 8));
		break;
	case 1:
		sqlite3_bind_int(s, 1, (int8_t)take(p, end, 1));
		break;
	case 2:
		sqlite3_bind_int(s, 1, (int16_t)take(p, end, 2));
		break;
	case 4:
	case 7:
		n = (size_t)take(p, end, 1);
		if (n > (size_t)(end - *p))
			n = (size_t)(end - *p);
		memcpy(bytes, *p, n);
		*p += n;
		if (what == 4)
			sqlite3_bind_blob(s, 1, bytes, (int)n, SQLITE_TRANSIENT);
		else
			sqlite3_bind_text(s, 1, (const char *)bytes, (int)n, SQLITE_TRANSIENT);
		break;
	case 5:
		sqlite3_bind_int(s, 1, (int)take(p, end, 2));
		sqlite3_bind_int(s, 3, (int)take(p, end, 1));
		break;
	}
	sqlite3_step(s);
	sqlite3_finalize(s);
}

/* ct_xor(VALUE, OFFSET, BITS): VALUE as a blob with its byte at OFFSET
 * (modulo its length) xored with BITS. */
static void ct_xor(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int n = sqlite3_value_bytes(argv[0]);
	const uint8_t *v = sqlite3_value_blob(argv[0]);
	uint8_t *out;

	(void)argc;
	if (!n || !v) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	out = sqlite3_malloc(n);
	if (!out) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	memcpy(out, v, (size_t)n);
	out[sqlite3_value_int(argv[1]) % n] ^= (uint8_t)sqlite3_value_int(argv[2]);
	sqlite3_result_blob(ctx, out, n, sqlite3_free);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	uint32_t mask = size < 3 ? ~0u : (uint32_t)take(&p, end, 3);
	sqlite3 *db;
	size_t i;

	fresh_copy();
	MUST(sqlite3_open(copy_db, &db) == SQLITE_OK);
	MUST(sqlite3_create_function(db, "ct_xor", 3, SQLITE_UTF8, NULL, ct_xor, NULL, NULL) ==
	     SQLITE_OK);
	while (p < end)
		edit(db, &p, end);
	MUST(sqlite3_close(db) == SQLITE_OK);
	fflush(stdout);
	MUST(dup2(null_fd, 1) == 1);
	for (i = 0; i < NRUN; i++) {
		char *argv[16];
		int argc = 0, k, rc;

		if (!(mask >> i & 1))
			continue;

		argv[argc++] = "ctquery";
		argv[argc++] = "--db";
		argv[argc++] = copy_db;
		for (k = 0; k < 10 && commands_run[i][k]; k++)
			argv[argc++] = (char *)commands_run[i][k];
		argv[argc] = NULL;
		fuzz_logged = fuzz_warned = 0;
		optind = 0;
		rc = ctquery_main(argc, argv);
		store_left_close();
		if (size == 0 && (rc != 0 || fuzz_logged)) {	/* the template itself */
			fprintf(stderr, "fuzz_db: '%s' failed (status %d) on the unedited history\n",
				commands_run[i][0], rc);
			abort();
		}
		if ((rc != 0) != (fuzz_logged != 0)) {
			fprintf(stderr, "fuzz_db: '%s': status %d after %d errors\n",
				commands_run[i][0], rc, fuzz_logged);
			abort();
		}
	}
	fflush(stdout);
	MUST(dup2(out_fd, 1) == 1);
	return 0;
}
