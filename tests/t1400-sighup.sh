#!/bin/bash
# t1400: SIGHUP reopens the database: after a move (rotation) a new file starts with the live flows; history before stays in the moved file. A database removed without SIGHUP is noticed and recording goes on in a new file.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3
require_built ctrecord trafficgen
netns_setup
netns_long_udp

DB=$TMP/flows.db
q() { sqlite3 -readonly "$1" "$2"; }
start_recorder rec "$TMP/rec.err" --db "$DB"

in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7401 20 >/dev/null
wait_until 10 eval "[ \$(count_events '$DB' 2) = 20 ]" ||
	fail "the first flows were not recorded"

# Same file: the open flows continue under their ids, and nothing is lost.
kill -HUP "$PID_rec"
wait_until 10 eval "[ \$(grep -c 'reopened' '$TMP/rec.err') = 1 ]" || fail "no reopen after SIGHUP"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7402 20 >/dev/null
wait_until 10 eval "[ \$(count_events '$DB' 2) = 40 ]" ||
	fail "flows after the same-file reopen were not recorded"
[ "$(q "$DB" "SELECT count(*) FROM flows")" = 40 ] || fail "the reopen duplicated flows"
[ "$(q "$DB" "SELECT count(*) FROM gaps")" = 0 ] || fail "a reopen is not a gap"

# Rotation: move the files away, SIGHUP; a new database starts at the path.
for f in "$DB" "$DB-wal" "$DB-shm"; do [ -e "$f" ] && mv "$f" "${f/flows.db/old.db}"; done
kill -HUP "$PID_rec"
wait_until 10 eval "[ \$(grep -c 'reopened' '$TMP/rec.err') = 2 ]" || fail "no reopen after the move"
[ -e "$DB" ] || fail "no new database after SIGHUP"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7403 20 >/dev/null
wait_until 10 eval "[ \$(count_events '$DB' 2) = 20 ]" ||
	fail "flows after the rotation were not recorded in the new file"
# The 40 flows still alive were entered in the new file from the dump.
[ "$(q "$DB" "SELECT count(*) FROM flows WHERE origin = 1")" = 40 ] ||
	fail "the live flows were not carried into the new file"

# Removed without SIGHUP: ctrecord notices within seconds, warns, and goes
# on in a new file at the path, with the live flows.
rm -f "$DB" "$DB-wal" "$DB-shm"
wait_until 10 eval "grep -q 'no longer the file being written' '$TMP/rec.err'" ||
	fail "no warning after the database was removed: $(cat "$TMP/rec.err")"
wait_until 10 eval "[ \$(grep -c 'reopened' '$TMP/rec.err') = 3 ]" || fail "no reopen after the removal"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7404 20 >/dev/null
wait_until 10 eval "[ \$(q '$DB' 'SELECT count(*) FROM flows WHERE o_dport = 7404' 2>/dev/null) = 20 ]" ||
	fail "flows after the removal were not recorded in a new file"
[ "$(q "$DB" "SELECT count(*) FROM flows WHERE origin = 1")" = 60 ] ||
	fail "the live flows were not carried into the file made after the removal"
stop_recorder rec 10

OLD=$TMP/old.db
[ "$(q "$OLD" "SELECT count(*) FROM sessions WHERE stopped_us IS NULL")" = 0 ] ||
	fail "the rotated file's sessions were not closed"
[ "$(count_events "$OLD" 2)" = 40 ] || fail "the rotated file lost events"
[ "$(q "$OLD" "SELECT count(*) FROM flows WHERE o_dport = 7403")" = 0 ] || fail "the rotated file got later flows"
say "same-file reopen: 40 flows, no duplicate, no gap; rotation: old file closed with 40 UPDATEs, new file has 20 new flows and 40 carried over; removal: noticed, 60 live flows and 20 new in a new file"
