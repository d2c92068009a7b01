#!/bin/bash
# t1270: a replay --follow holds no snapshot while it waits for new events, so the recorder's checkpoints can take the whole -wal and reuse it from its start; a follower that always held one kept the -wal growing under steady traffic (1.5 GB in 13 minutes at 5,000 events/s).
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord ctquery trafficgen
netns_setup
netns_long_udp 300

DB=$TMP/flows.db
# (the recorder checkpoints from 1 MiB of -wal on, not 40 MiB: a test's worth)
export CT_WAL_WARN_BYTES=$((1 << 20))
start_recorder rec "$TMP/rec.err" --db "$DB"
start_bg fol "$BIN/ctquery" --db "$DB" replay --follow >"$TMP/follow.txt" 2>"$TMP/follow.err"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7600 100 >/dev/null
wait_until 10 eval "[ \$(wc -l <'$TMP/follow.txt') -ge 200 ]" || fail "the follower printed nothing"

# Idle: the follower reads a few milliseconds every 200; it held a snapshot
# all the time, a read mark of the -wal.
held=0
for i in $(seq 20); do
	! holds_snapshot "$PID_fol" "$DB" || held=$((held + 1))
	sleep 0.05
done
[ "$held" -le 10 ] || fail "the follower held a snapshot at $held of 20 moments while no event came"

# Steady traffic: 150,000 UDP flows (a NEW and an UPDATE each), 10 MiB or
# more of -wal that a follower holding snapshots throughout kept from reuse.
for port in $(seq 7601 7615); do
	in_ns "$BIN/trafficgen" -S udp 127.0.0.1 "$port" 5000 >/dev/null
done
wait_until 30 eval "[ \$(wc -l <'$TMP/follow.txt') -ge 150200 ]" ||
	fail "the follower printed $(wc -l <"$TMP/follow.txt") events of 150200: $(cat "$TMP/follow.err")"
wal=$(stat -c %s "$DB-wal")
stop_bg fol TERM 10 || fail "the follower did not stop"
stop_recorder rec 10
[ "$wal" -lt $((8 << 20)) ] ||
	fail "the -wal grew to $wal bytes with a follower reading along: $(grep 'has grown' "$TMP/rec.err" | head -2)"
"$BIN/ctquery" --db "$DB" replay | test_cmp - "$TMP/follow.txt"
say "idle, the follower held a snapshot at $held of 20 moments; it read 150,200 events as they came, and the -wal stayed at $wal bytes"
