#!/bin/bash
# t1250: a recorder killed leaves its -wal; readers give the same answers from it, the first one that may write the files checkpoints it (so later ones need not index it), and none touches it while a recorder runs.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3
id daemon >/dev/null 2>&1 || skip "no user 'daemon'"
require_built ctrecord trafficgen
netns_setup
netns_long_udp 300

DB=$TMP/flows.db
wal_size() { stat -c %s "$1-wal"; }
answers() {	# DB [USER]: what a few queries print, as that user
	local q
	for q in "list" "stats" "replay -o id" "list -p udp --dport 7400"; do
		if [ -n "${2:-}" ]; then
			su -s /bin/sh "$2" -c "'$BIN/ctquery' --db '$1' $q"
		else
			"$BIN/ctquery" --db "$1" $q
		fi || fail "ctquery $q failed on $1"
	done
}

start_recorder rec "$TMP/rec.err" --db "$DB"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7400 15000 >/dev/null
wait_until 20 eval "[ \$(sqlite3 -readonly '$DB' 'SELECT count(*) FROM flows') -ge 15000 ]" ||
	fail "the 15000 flows were not recorded"
stop_bg rec KILL 5 || true
w=$(wal_size "$DB")
[ "$w" -ge $((1 << 20)) ] || fail "the killed recorder left a -wal of $w bytes: too small to test"

# A copy the user daemon may read but not write: its queries leave the -wal.
mkdir "$TMP/ro"
cp "$DB" "$DB-wal" "$DB-shm" "$TMP/ro/"
chmod 0755 "$TMP" "$TMP/ro"
chmod 0644 "$TMP"/ro/flows.db*
answers "$TMP/ro/flows.db" daemon >"$TMP/answers.ro"
[ "$(wal_size "$TMP/ro/flows.db")" = "$w" ] || fail "a reader without write access changed the -wal"
grep -q 'dport=7400' "$TMP/answers.ro" ||
	fail "the read-only answers do not show the flows"

# root may write: the first reader checkpoints, and the answers stay the same.
answers "$DB" >"$TMP/answers.1"
[ "$(wal_size "$DB")" = 0 ] || fail "the -wal of a dead recorder is still $(wal_size "$DB") bytes after a reader"
[ -e "$DB-shm" ] || fail "the -shm is gone: readers without write access need it"
answers "$DB" >"$TMP/answers.2"
test_cmp "$TMP/answers.ro" "$TMP/answers.1"
test_cmp "$TMP/answers.ro" "$TMP/answers.2"
ok=$(sqlite3 -readonly "$DB" "PRAGMA integrity_check")
[ "$ok" = ok ] || fail "integrity_check after the checkpoint: $ok"
say "a -wal of $w bytes left by a killed recorder: the same answers before and after a reader checkpointed it"

# A recorder running: readers never checkpoint its -wal.
start_recorder rec "$TMP/rec.err" --db "$DB"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7401 15000 >/dev/null
wait_until 20 eval "[ \$(sqlite3 -readonly '$DB' 'SELECT count(*) FROM flows WHERE o_dport = 7401') -ge 15000 ]" ||
	fail "the second 15000 flows were not recorded"
sleep 1
w=$(wal_size "$DB")
[ "$w" -ge $((1 << 20)) ] || fail "the running recorder's -wal is $w bytes: too small to test"
"$BIN/ctquery" --db "$DB" stats >/dev/null || fail "ctquery stats failed while recording"
w2=$(wal_size "$DB")
[ "$w2" -ge "$w" ] || fail "a reader shrank the running recorder's -wal from $w to $w2 bytes"
stop_recorder rec 20
say "with the recorder running its -wal ($w bytes) stayed as it was"
