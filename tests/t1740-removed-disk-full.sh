#!/bin/bash
# t1740: the database removed to make room on a full disk: ctrecord leaves the removed file (whose session it cannot end there; the room comes back once it is closed) and goes on in a new file at the path with what it held; it waited for good to write into the removed file, whose room it kept.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3 mount umount
require_built ctrecord trafficgen
netns_setup

small_fs
DB=$SMALL/flows.db
q() { sqlite3 -readonly "$DB" "$1"; }

start_recorder rec "$TMP/rec.err" --db "$DB"
# history that ended: the new file need not take it again from a dump
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7901 5000 >/dev/null
in_ns conntrack -F 2>/dev/null
wait_until 20 eval "[ \$(count_events '$DB' 3) = 5000 ]" || fail "the first flows were not recorded"

dd if=/dev/zero of="$SMALL/filler" bs=64k 2>/dev/null || true
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7902 500 >/dev/null
wait_for_line "$TMP/rec.err" 'warning: cannot write to' 15 || fail "no stall when the disk is full: $(cat "$TMP/rec.err")"
say "$(ls -l "$SMALL" | awk '/flows.db|filler/ { printf "%s %s; ", $NF, $5 }')"
rm -f "$DB" "$DB-wal" "$DB-shm"
wait_for_line "$TMP/rec.err" "reopened '.*' \(the file at its path changed\)" 20 ||
	fail "no new file after the database was removed: $(tail -4 "$TMP/rec.err")"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7903 100 >/dev/null
stop_recorder rec 20
cat "$TMP/rec.err"
grep -q "'.*' was removed and cannot be written: its last events go into the new file" "$TMP/rec.err" ||
	fail "the removed file's end not said"
[ "$(q "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
# each flow's reply is one UPDATE: those held go into the new file
[ "$(updates_to "$DB" 7902)" = 500 ] || fail "$(updates_to "$DB" 7902) of the 500 held UPDATE events in the new file"
[ "$(updates_to "$DB" 7903)" = 100 ] || fail "$(updates_to "$DB" 7903) of the 100 later UPDATE events in the new file"
