#!/bin/bash
# t1700: a full disk (a small tmpfs) stalls the writer, not the recorder: events are held in memory and written when space returns; the database stays intact.
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
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7701 200 >/dev/null
wait_until 10 eval "[ \$(count_events '$DB' 2) = 200 ]" ||
	fail "the first flows were not recorded"

# Fill the file system, then make traffic: the writes fail for want of space.
dd if=/dev/zero of="$SMALL/filler" bs=64k 2>/dev/null || true
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7702 3000 >/dev/null
wait_for_line "$TMP/rec.err" 'warning: cannot write to' 15 || { cat "$TMP/rec.err"; fail "no warning when the disk is full"; }
pid_ours "$PID_rec" || fail "ctrecord died when the disk filled up"
[ "$(q "PRAGMA integrity_check")" = ok ] || fail "integrity_check while full"
say "disk full: $(grep 'cannot write' "$TMP/rec.err")"

# Space returns: the held events are written.
rm -f "$SMALL/filler"
wait_for_line "$TMP/rec.err" 'writing again after' 15 || { cat "$TMP/rec.err"; fail "did not resume when space returned"; }
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7703 200 >/dev/null
stop_recorder rec 20
cat "$TMP/rec.err"
[ "$(q "PRAGMA integrity_check")" = ok ] || fail "integrity_check after"
held=$(updates_to "$DB" 7702)
gaps=$(q "SELECT count(*) FROM gaps WHERE kind = 'enobufs'")
# Each flow's reply makes one UPDATE: all 3000 were held and written, unless the
# queue overflowed, and then the kernel's drops are gaps.
[ "$held" = 3000 ] || [ "$gaps" -gt 0 ] || fail "only $held of 3000 held events written, and no gap"
[ "$(updates_to "$DB" 7703)" = 200 ] ||
	fail "events after the stall were not recorded"
say "after the stall: $held of 3000 events held and written, $gaps gaps; later events recorded"
