#!/bin/bash
# t1260: a reader that keeps an old snapshot (here sqlite3 in a read transaction) keeps the recorder's checkpoints from reusing the -wal, which grows: ctrecord warns once it passes CT_WAL_WARN_BYTES, naming the reader, and says when the -wal is checkpointed again; without such a reader it never warns, nor with a paused ctquery replay or list, which give their snapshots up (t3410).
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3
require_built ctrecord ctquery trafficgen
netns_setup
netns_long_udp 300

DB=$TMP/flows.db
export CT_WAL_WARN_BYTES=$((1 << 20))
warned() { grep -c 'has grown to' "$TMP/rec.err" || true; }

# Some history, so that a replay's output is more than a pipe holds.
start_recorder rec "$TMP/rec.err" --db "$DB"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7500 3000 >/dev/null
# No reader: the -wal passes 1 MiB again and again, each checkpoint takes it all.
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7501 6000 >/dev/null
sleep 1
[ "$(warned)" = 0 ] || fail "a warning with no reader: $(cat "$TMP/rec.err")"

# The recorder folds its waiting changes of flows a second after the last
# event: that write must not fall in the second the readers below hold
# their snapshots (it warned, naming them, on a slow host).
wait_until 20 eval "[ \$(sqlite3 '$DB' 'SELECT count(*) FROM flow_pending') = 0 ]" ||
	fail "the recorder never folded its waiting changes"
mkfifo "$TMP/pager"
exec 8<>"$TMP/pager"	# a reader that never reads
# A replay and a list nobody reads give their snapshots up (t3410): the
# recorder goes on as with no reader.
"$BIN/ctquery" --db "$DB" replay >"$TMP/pager" 2>"$TMP/replay.err" &
r1=$!
"$BIN/ctquery" --db "$DB" list >"$TMP/pager" 2>"$TMP/list.err" &
r2=$!
# (seen reading a snapshot, then not: a fixed wait was too short under load)
wait_until 5 eval "holds_snapshot $r1 '$DB' && holds_snapshot $r2 '$DB'" ||
	fail "the replay and the list never seen reading a snapshot"
wait_until 10 eval "! holds_snapshot $r1 '$DB' && ! holds_snapshot $r2 '$DB'" ||
	fail "the replay or the list keeps its snapshot"
kill -0 "$r1" 2>/dev/null || fail "the replay did not block on its output"
kill -0 "$r2" 2>/dev/null || fail "the list did not block on its output"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7502 12000 >/dev/null
sleep 1
[ "$(warned)" = 0 ] || fail "a warning with a paused replay and list: $(cat "$TMP/rec.err")"
kill -TERM "$r1" "$r2"
wait "$r1" || true
wait "$r2" || true
exec 8<&-

# A reader that keeps its snapshot: sqlite3 in a read transaction, waiting
# for its next command.
mkfifo "$TMP/sql"
sqlite3 "$DB" <"$TMP/sql" >"$TMP/sql.out" 2>&1 &
reader=$!
exec 7>"$TMP/sql"
echo 'BEGIN; SELECT count(*) > 0 FROM flows;' >&7
wait_until 5 grep -q 1 "$TMP/sql.out" || fail "sqlite3 read nothing: $(cat "$TMP/sql.out")"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7504 12000 >/dev/null
wait_until 10 eval "[ \$(warned) -ge 1 ]" ||
	fail "no warning while a reader held its snapshot: $(cat "$TMP/rec.err")"
grep -q 'a reader still reads an old snapshot' "$TMP/rec.err" || fail "the warning does not say why"
# ... and names it (from /proc/locks), so that it can be ended
grep -q "old snapshot (sqlite3 (pid $reader))" "$TMP/rec.err" ||
	fail "the warning does not name the reader, sqlite3 (pid $reader): $(grep 'has grown' "$TMP/rec.err")"
n=$(warned)
[ "$n" -le 6 ] || fail "$n warnings: not one per doubling"

# The reader ends: the next checkpoint takes the -wal, and ctrecord says so.
exec 7>&-
wait "$reader" || true
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7503 3000 >/dev/null
wait_until 10 grep -q 'is checkpointed again' "$TMP/rec.err" ||
	fail "no word that the -wal is checkpointed again: $(cat "$TMP/rec.err")"
stop_bg rec
[ "$BG_STATUS" = 0 ] || fail "ctrecord exited $BG_STATUS: $(cat "$TMP/rec.err")"
say "$(grep -m1 "has grown" "$TMP/rec.err")"
say "a reader in a read transaction: $n warning(s) as the -wal grew, one line once it was checkpointed again; none without it, nor with a paused replay and list"
