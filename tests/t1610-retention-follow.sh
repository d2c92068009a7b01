#!/bin/bash
# t1610: retention that removes every block of events leaves event ids growing: a replay --follow started before shows what is stored after.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3
require_built ctrecord ctquery trafficgen
netns_setup
DB=$TMP/f.db
q() { sqlite3 -readonly "$DB" "$1"; }

start_recorder rec "$TMP/rec.err" --db "$DB" --retain 2s
in_ns "$BIN/trafficgen" udp 127.0.0.1 7601 2 >/dev/null
wait_until 10 eval "[ \$(q 'SELECT count(*) FROM event_blocks') -gt 0 ]" || fail "nothing stored"
"$BIN/ctquery" --db "$DB" replay --follow >"$TMP/follow.out" 2>"$TMP/follow.err" &
PID_follow=$!
BG_PIDS="$BG_PIDS $!"
# the flows end (2 s), then retention removes them and every event older than 2 s
in_ns conntrack -F 2>/dev/null
wait_until 20 eval "[ \$(q 'SELECT count(*) FROM flows') = 0 ]" || fail "the flows were not pruned"
sleep 0.5
in_ns "$BIN/trafficgen" udp 127.0.0.1 7602 1 >/dev/null
wait_until 10 grep -q 'dport=7602 \[UNREPLIED\]' "$TMP/follow.out" ||
	fail "replay --follow did not show the events stored after the prune (blocks: $(q 'SELECT id, first_event, n FROM event_blocks'))"
stop_bg follow INT 5 || fail "replay --follow ignored SIGINT"
stop_recorder rec 10
say "--retain 2s removed every flow; replay --follow went on with the events stored next"
