#!/bin/bash
# t1730: SIGHUP (systemctl reload, a rotation) while the disk is full: the reopen waits until the file can be written, and nothing held is lost; the recorder ended on it ('stopped on an error'), with every event it held.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3 mount umount
require_built ctrecord trafficgen
netns_setup
netns_long_udp

small_fs
DB=$SMALL/flows.db
q() { sqlite3 -readonly "$DB" "$1"; }

start_recorder rec "$TMP/rec.err" --db "$DB"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7801 100 >/dev/null
wait_until 10 eval "[ \$(count_events '$DB' 2) = 100 ]" || fail "the first flows were not recorded"

dd if=/dev/zero of="$SMALL/filler" bs=64k 2>/dev/null || true
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7802 1000 >/dev/null
wait_for_line "$TMP/rec.err" 'warning: cannot write to' 15 || fail "no stall when the disk is full: $(cat "$TMP/rec.err")"
kill -HUP "$PID_rec"
wait_for_line "$TMP/rec.err" "reopening '.*' \(SIGHUP\) once it can be written again" 15 ||
	fail "SIGHUP on a full disk: $(tail -3 "$TMP/rec.err")"
pid_ours "$PID_rec" || fail "ctrecord ended on SIGHUP while the disk was full: $(tail -3 "$TMP/rec.err")"

rm -f "$SMALL/filler"
wait_for_line "$TMP/rec.err" "reopened '.*' \(SIGHUP\)" 15 || fail "no reopen once space returned: $(tail -3 "$TMP/rec.err")"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7803 100 >/dev/null
stop_recorder rec 20
cat "$TMP/rec.err"
[ "$(q "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
[ "$(q "SELECT count(*) FROM sessions WHERE stopped_us IS NOT NULL")" = 2 ] ||
	fail "sessions: $(q "SELECT * FROM sessions")"
# each flow's reply is one UPDATE: all held through the stall and the reopen
[ "$(count_events "$DB" 2)" = 1200 ] || fail "$(count_events "$DB" 2) of 1200 UPDATE events stored"
[ "$(q "SELECT count(*) FROM gaps")" = 0 ] || fail "gaps: $(q "SELECT * FROM gaps")"
