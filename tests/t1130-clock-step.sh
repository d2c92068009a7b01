#!/bin/bash
# t1130: a step of the wall clock (NTP at boot, a date set by hand) is warned of once, in either direction, since the times of events before and after it do not compare; a steady clock is not (the clock moved for ctrecord alone by an LD_PRELOAD library, the system's untouched).
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord trafficgen clockshift.so
require_cmd sqlite3
netns_setup
DB=$TMP/flows.db
export CLOCKSHIFT=$TMP/shift
echo 0 >"$CLOCKSHIFT"
# (a sanitized ctrecord wants its runtime first among the libraries)
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
q() { sqlite3 "$DB" "$1"; }
flows_to() { q "SELECT count(*) FROM flows WHERE o_dport = $1"; }

LD_PRELOAD=$BIN/clockshift.so start_recorder rec "$TMP/rec.err" --db "$DB"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7501 20 >/dev/null
wait_until 10 eval "[ \$(flows_to 7501) = 20 ]" || fail "the first flows were not recorded"
sleep 1.2
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7502 20 >/dev/null
wait_until 10 eval "[ \$(flows_to 7502) = 20 ]" || fail "the second flows were not recorded"
! grep -q "system clock" "$TMP/rec.err" || fail "a steady clock was taken for a step: $(cat "$TMP/rec.err")"

echo -3600 >"$CLOCKSHIFT"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7503 20 >/dev/null
wait_until 10 eval "[ \$(flows_to 7503) = 20 ]" || fail "the flows after the step back were not recorded"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7504 20 >/dev/null
wait_until 10 eval "[ \$(flows_to 7504) = 20 ]" || fail "the flows after were not recorded"
echo 0 >"$CLOCKSHIFT"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7505 20 >/dev/null
wait_until 10 eval "[ \$(flows_to 7505) = 20 ]" || fail "the flows after the step forward were not recorded"
stop_recorder rec 20
cat "$TMP/rec.err"

grep -q "warning: the system clock was set back by 3600.[0-9]* s" "$TMP/rec.err" || fail "no warning for the step back"
grep -q "warning: the system clock was set forward by 3600.[0-9]* s" "$TMP/rec.err" || fail "no warning for the step forward"
[ "$(grep -c "system clock was set" "$TMP/rec.err")" = 2 ] || fail "not one warning a step"
# the times stored are the clock's, as conntrack -E would print them
back=$(q "SELECT min(first_us) FROM flows WHERE o_dport = 7503")
before=$(q "SELECT max(first_us) FROM flows WHERE o_dport = 7502")
[ "$back" -lt "$before" ] ||
	fail "the events after the step back were not stored at the clock's time"
say "a step back and a step forward of an hour: one warning each"
