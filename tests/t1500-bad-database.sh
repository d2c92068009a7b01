#!/bin/bash
# t1500: a missing directory, a file where its directory should be, a file that is not a database, a newer schema, a read-only file, a locked database, a damaged row of flow_pending and a damaged event block each give one clear error and exit 1, and change nothing.
set -eu
. "$(dirname "$0")/lib.sh"

require_cmd sqlite3 md5sum
require_built ctrecord ctquery
cd "$TMP"
LOG=$SEED/events.txt
[ -r "$LOG" ] || fail "no seed log '$LOG'"

# expect_error WHAT REGEX CMD...: exit status 1, and exactly one "error:" line matching REGEX.
expect_error() {
	local what=$1 re=$2 rc=0; shift 2
	"$@" >out 2>err </dev/null || rc=$?
	[ "$rc" = 1 ] || { cat err; fail "$what: exit status $rc, not 1"; }
	[ "$(grep -c 'error:' err)" = 1 ] || { cat err; fail "$what: not exactly one error line"; }
	grep -Eq "$re" err || { cat err; fail "$what: the error does not say /$re/"; }
	! grep -q 'events, .* flows' err || { cat err; fail "$what: a summary after a failed start"; }
	say "$what: $(grep 'error:' err)"
}
fingerprint() { cat "$@" 2>/dev/null | md5sum; }

expect_error "missing directory" "cannot create '.*/nope/f.db'.*No such file" \
	"$BIN/ctrecord" --db "$TMP/nope/f.db" --import "$LOG"
[ ! -e "$TMP/nope" ] || fail "a directory was created"
# a file where the directory should be: root was told "Permission denied"
echo text >notdir
expect_error "a file as the directory" "cannot create 'notdir/f.db' in 'notdir': Not a directory" \
	"$BIN/ctrecord" --db notdir/f.db --import "$LOG"

echo "just some text, not a database at all, long enough for sqlite to look" >junk.db
before=$(fingerprint junk.db)
expect_error "not a database" "'junk.db' is not a ctrecord database" "$BIN/ctrecord" --db junk.db --import "$LOG"
expect_error "not a database (ctquery)" "'junk.db' is not a ctrecord database" "$BIN/ctquery" --db junk.db replay
[ "$(fingerprint junk.db)" = "$before" ] || fail "junk.db changed"

# A FIFO or a device at the path: no database either. ctquery waited
# forever in the open of a FIFO (for a writer), took /dev/null for an empty
# database, and ctrecord said only "disk I/O error".
mkfifo fifo.db
expect_error "a FIFO (ctquery)" "'fifo.db' is not a regular file, not a database" \
	timeout 10 "$BIN/ctquery" --db fifo.db list
expect_error "a FIFO" "'fifo.db' is not a regular file, not a database" \
	timeout 10 "$BIN/ctrecord" --db fifo.db --import "$LOG"
expect_error "a device (ctquery)" "'/dev/null' is not a regular file, not a database" \
	"$BIN/ctquery" --db /dev/null stats
expect_error "a device" "'/dev/null' is not a regular file, not a database" \
	"$BIN/ctrecord" --db /dev/null --import "$LOG"

# A kernel file: /proc's are of size 0, and ctquery said "an empty database:
# nothing recorded yet" of /proc/self/status; /sys's are no database either.
# (ctrecord only on files the kernel lets no one write.)
for f in /proc/self/status /proc/version /sys/kernel/mm/transparent_hugepage/enabled; do
	[ -r "$f" ] || continue
	expect_error "a kernel file (ctquery)" "'$f' is a kernel file \(as in /proc or /sys\), not a database" \
		"$BIN/ctquery" --db "$f" list
done
for f in /proc/self/status /proc/version; do
	for mode in --upgrade "--prune --retain 1d" "--import $LOG"; do
		expect_error "a kernel file ($mode)" "'$f' is a kernel file" "$BIN/ctrecord" --db "$f" $mode
	done
done
# while a regular file of 0 bytes stays an empty database, as SQLite takes it
: >zero.db
expect_error "a file of 0 bytes (ctquery)" "'zero.db' is an empty database: nothing recorded yet" \
	"$BIN/ctquery" --db zero.db list
[ ! -s zero.db ] || fail "ctquery wrote into zero.db"

# --prune and --upgrade of a database that is not there (a mistyped path):
# an error, and no empty database made and said pruned or up to date
expect_error "--upgrade of a missing database" "cannot open 'missing.db': No such file" \
	"$BIN/ctrecord" --db missing.db --upgrade
expect_error "--prune of a missing database" "cannot open 'missing.db': No such file" \
	"$BIN/ctrecord" --db missing.db --prune --retain 1d
[ ! -e missing.db ] || fail "--prune or --upgrade created 'missing.db'"

# A closed standard input is no empty log (SQLite had put /dev/null there)
rc=0
"$BIN/ctrecord" --db stdin.db --import - <&- 2>err || rc=$?
[ "$rc" = 1 ] && [ "$(wc -l <err)" = 1 ] && grep -q "cannot read '<stdin>': Bad file descriptor" err ||
	fail "--import - with standard input closed: exit status $rc, $(cat err)"
say "a closed standard input: $(cat err)"

"$BIN/ctrecord" --db new.db --import "$LOG" 2>/dev/null
sqlite3 new.db "PRAGMA user_version = 99"
before=$(fingerprint new.db new.db-wal)
expect_error "newer schema" "schema version 99, newer" "$BIN/ctrecord" --db new.db --import "$SEED/events.xml"
expect_error "newer schema (ctquery)" "schema version 99, newer" "$BIN/ctquery" --db new.db list
[ "$(fingerprint new.db new.db-wal)" = "$before" ] || fail "new.db changed"

# An older schema: ctquery (read-only) says how to bring it up to date,
# without touching it; ctrecord --upgrade does, and then both read it.
sqlite3 old.db <"$TOP/tests/unit/schema-v5.sql"
sqlite3 old.db "PRAGMA application_id = 1668575843;
	INSERT INTO sessions (id, kind, started_us, version) VALUES (1, 'record', 1, '0');
	INSERT INTO flows (id, session, family, proto, o_l3, o_src, o_dst, o_sport, o_dport, r_l3,
	  r_src, r_dst, r_sport, r_dport, origin, first_us, end_us, end_kind)
	VALUES (1, 1, 2, 17, 2, x'0a000001', x'0a000002', 1000, 53, 2, x'0a000002', x'0a000001',
	  53, 1000, 0, 1795000000000000, 1795000001000000, 1),
	  (2, 1, 2, 17, 2, x'0a000003', x'0a000002', 1001, 53, 2, x'0a000002', x'0a000003',
	  53, 1001, 0, 1795000002000000, NULL, NULL);
	INSERT INTO events (flow, t_us, type, status, timeout, session) VALUES
	  (1, 1795000000000000, 1, 8, 30, 1), (1, 1795000001000000, 3, 8, NULL, 1),
	  (2, 1795000002000000, 1, 8, 30, 1);
	PRAGMA user_version = 5"
before=$(fingerprint old.db)
expect_error "older schema (ctquery)" "schema version 5, older .*ctrecord --db old.db --upgrade" \
	"$BIN/ctquery" --db old.db replay
[ "$(fingerprint old.db)" = "$before" ] || fail "ctquery changed old.db"
"$BIN/ctrecord" --db old.db --upgrade 2>err || { cat err; fail "--upgrade failed"; }
grep -q "'old.db': schema upgraded from version 5 to [0-9]" err ||
	fail "--upgrade does not say what it did: $(cat err)"
"$BIN/ctquery" --db old.db replay >replayed || fail "ctquery cannot read the upgraded file"
cat >expected <<-'EOF'
	    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=1000
	[DESTROY] udp      17 src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=1000
	    [NEW] udp      17 30 src=10.0.0.3 dst=10.0.0.2 sport=1001 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.3 sport=53 dport=1001
	EOF
test_cmp expected replayed
# the open flow is still found open (listed in open_ranges since version 7)
check_open_ranges old.db exact
[ "$("$BIN/ctquery" --db old.db list --at @1795000003 -o json | wc -l)" = 1 ] ||
	fail "the open flow is not alive after the upgrade"
[ "$(sqlite3 old.db "PRAGMA auto_vacuum")" = 2 ] || fail "--upgrade left auto_vacuum off"
say "schema 5: ctquery asks for --upgrade; after it, the events replay as stored"

# A version 8 database (before imports.continues) is read as it is: a
# reader needs nothing of version 9; the next import brings it up to date.
"$BIN/ctrecord" --db v8.db --import "$LOG" 2>/dev/null || fail "import into v8.db failed"
sqlite3 v8.db "ALTER TABLE imports DROP COLUMN continues; PRAGMA user_version = 8"
before=$(fingerprint v8.db)
"$BIN/ctquery" --db v8.db replay >v8.replay 2>err || fail "ctquery does not read version 8: $(cat err)"
[ -s v8.replay ] && [ "$(fingerprint v8.db)" = "$before" ] || fail "ctquery read nothing or changed v8.db"
"$BIN/ctrecord" --db v8.db --import "$SEED/events.txt" --force 2>err || fail "import into v8.db: $(cat err)"
grep -q "schema upgraded from version 8 to [0-9]" err || fail "the import did not upgrade v8.db: $(cat err)"
say "schema 8: ctquery reads it as it is; an import upgrades it"

expect_error "missing database (ctquery)" "cannot open 'none.db'" "$BIN/ctquery" --db none.db replay
expect_error "a directory (ctquery)" "'$TMP' is a directory, not a database" "$BIN/ctquery" --db "$TMP" list
expect_error "a directory (ctrecord)" "'$TMP' is a directory, not a database" "$BIN/ctrecord" --db "$TMP" --import "$LOG"
[ ! -e none.db ] || fail "ctquery created a database"

if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	"$BIN/ctrecord" --db ro.db --import "$LOG" 2>/dev/null
	chmod 0644 ro.db*
	chmod 0755 "$TMP"
	before=$(fingerprint ro.db ro.db-wal)
	expect_error "read-only file" "ro.db.: Permission denied" \
		su -s /bin/sh nobody -c "'$BIN/ctrecord' --db '$TMP/ro.db' --import '$SEED/events.xml'"
	[ "$(fingerprint ro.db ro.db-wal)" = "$before" ] || fail "ro.db changed"
fi

# A reader in a long read transaction (a sqlite3 shell left open) does not
# stop the writer: WAL lets both go on.
"$BIN/ctrecord" --db reader.db --import "$LOG" 2>/dev/null
{ echo "BEGIN;"; echo "SELECT 'reading', count(*) FROM event_blocks;"; sleep 6; echo "COMMIT;"; } |
	sqlite3 reader.db >reader.out &
reader=$!
wait_until 5 grep -q reading reader.out || fail "the reader did not start"
"$BIN/ctrecord" --db reader.db --import "$SEED/events.xml" 2>err ||
	{ cat err; fail "a long reader blocked the writer"; }
kill "$reader" 2>/dev/null || true
wait "$reader" 2>/dev/null || true
say "a long read transaction: the writer went on"

"$BIN/ctrecord" --db locked.db --import "$LOG" 2>/dev/null
# A sqlite3 shell holds the write lock for longer than ctrecord waits (5 s).
{ echo "BEGIN IMMEDIATE;"; echo "SELECT 'locked';"; sleep 8; echo "COMMIT;"; } |
	sqlite3 locked.db >holder.out &
holder=$!
wait_until 5 grep -q locked holder.out || fail "the lock holder did not start"
before=$(sqlite3 -readonly locked.db "SELECT count(*), sum(n) FROM event_blocks")
expect_error "locked database" "database is locked \(another process holds a write lock" \
	"$BIN/ctrecord" --db locked.db --import "$SEED/events.xml"
wait "$holder"
[ "$(sqlite3 -readonly locked.db "SELECT count(*), sum(n) FROM event_blocks")" = "$before" ] || fail "locked.db changed"

# A damaged row of flow_pending (a change cut short): one error naming the row and
# how to go on, from a reader and from a writer (not again when it closes); once
# the row is removed, both work again.
"$BIN/ctrecord" --db pending.db --import "$LOG" 2>/dev/null
sqlite3 pending.db "INSERT INTO flow_pending (data) VALUES (X'02')"
seq=$(sqlite3 -readonly pending.db "SELECT max(seq) FROM flow_pending")
before=$(sqlite3 -readonly pending.db "SELECT count(*), sum(n) FROM event_blocks")
expect_error "a damaged change of flows (ctquery)" "row $seq of flow_pending .* is damaged" \
	"$BIN/ctquery" --db pending.db list
expect_error "a damaged change of flows (ctrecord)" "row $seq of flow_pending .* is damaged" \
	"$BIN/ctrecord" --db pending.db --import "$SEED/events.xml"
[ "$(sqlite3 -readonly pending.db "SELECT count(*), sum(n) FROM event_blocks")" = "$before" ] ||
	fail "pending.db changed"
fix=$(sed -n "s/.*to go on without them: sqlite3 'pending.db' '\(.*\)'$/\1/p" err)
[ -n "$fix" ] || fail "the error gives no command to go on"
sqlite3 pending.db "$fix"
"$BIN/ctquery" --db pending.db list >/dev/null || fail "ctquery still fails after: $fix"
"$BIN/ctrecord" --db pending.db --import "$SEED/events.xml" 2>err ||
	fail "ctrecord still fails after $fix: $(cat err)"
say "a damaged change of flows: one error each, and after '$fix' both work"

# A damaged event block: one error naming the block, its events and their
# times; the history before and after it still reads (--until, --since).
awk 'BEGIN { for (i = 0; i < 6000; i++)
	printf "[%d.%06d]\t    [NEW] udp      17 30 src=10.0.%d.%d dst=10.1.0.1 sport=%d dport=53 [UNREPLIED] src=10.1.0.1 dst=10.0.%d.%d sport=53 dport=%d\n",
		1795700000 + int(i / 1000), (i % 1000) * 1000, int(i / 250), i % 250, 1024 + i,
		int(i / 250), i % 250, 1024 + i }' >gen.log
"$BIN/ctrecord" --db blocks.db --import gen.log 2>/dev/null
read -r n1 last1 <<<"$(sqlite3 -readonly blocks.db "SELECT n, last_us FROM event_blocks WHERE id = 1" | tr '|' ' ')"
# (at least two blocks, however many records a block holds: 3 at 2048)
[ "$(sqlite3 -readonly blocks.db "SELECT count(*) FROM event_blocks")" -ge 2 ] && [ "$n1" -lt 6000 ] ||
	fail "gen.log did not make 2 blocks or more"
sqlite3 blocks.db "UPDATE event_data SET data = substr(data, 1, 40) || zeroblob(60) || substr(data, 101) WHERE id = 1"
expect_error "a damaged event block" "event block 1 is damaged: its $n1 events, received from 2026-.* to 2026-.*, cannot be read" \
	"$BIN/ctquery" --db blocks.db replay
after=$("$BIN/ctquery" --db blocks.db replay --since "@$((last1 / 1000000)).$(printf %06d $((last1 % 1000000 + 1)))" | wc -l) ||
	fail "replay --since after the damaged block failed"
[ "$after" = $((6000 - n1)) ] || fail "replay --since after the damaged block: $after events, not $((6000 - n1))"
say "a damaged event block: one error; the $after events after it still read"
