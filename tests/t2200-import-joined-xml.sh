#!/bin/bash
# t2200: an XML log that `conntrack -E -o xml,id >>FILE` grew over three runs (stopped, killed, stopped) imports whole, and every event replays as logged.
#
# Each run appends a document of its own: SIGINT closes it with </conntrack>,
# SIGKILL leaves it cut off. The import must take the three documents one
# after the other; its replay (-o xml,id) must print the log's <flow> lines
# byte for byte, in order.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord ctquery trafficgen
netns_setup
LOG=$TMP/joined.xml
: >"$LOG"
base=$(nsubscribed)

run=0
for sig in INT KILL INT; do
	run=$((run + 1))
	start_bg ct conntrack -E -o xml,id >>"$LOG" 2>>"$TMP/ct.err"
	subscribed() { [ "$(nsubscribed)" -gt "$base" ]; }
	wait_until 10 subscribed || fail "conntrack -E (run $run) did not subscribe"
	before=$(grep -c '^<flow' "$LOG" || true)
	in_ns "$BIN/trafficgen" udp 127.0.0.1 $((6000 + run)) 5 || fail "trafficgen failed"
	# 5 flows: a NEW and an UPDATE (the reply) each
	logged() { [ "$(grep -c '^<flow' "$LOG")" -ge $((before + 10)) ]; }
	wait_until 10 logged || fail "run $run: the events did not reach the log"
	stop_bg ct "$sig" 5 || true
	gone() { [ "$(nsubscribed)" -le "$base" ]; }
	wait_until 10 gone || fail "conntrack -E (run $run) did not go away"
done
[ "$(grep -c '^<?xml' "$LOG")" = 3 ] || fail "expected 3 documents in the log"
[ "$(grep -c '^</conntrack>' "$LOG")" = 2 ] || fail "expected 2 closed documents in the log"

"$BIN/ctrecord" --db "$TMP/j.db" --import "$LOG" 2>"$TMP/import.err" ||
	fail "import failed: $(cat "$TMP/import.err")"
"$BIN/ctquery" --db "$TMP/j.db" replay -o xml,id >"$TMP/replayed.xml"
grep '^<flow' "$LOG" >"$TMP/logged"
grep '^<flow' "$TMP/replayed.xml" >"$TMP/replayed"
test_cmp "$TMP/logged" "$TMP/replayed"
say "3 documents (2 closed, 1 cut off), $(wc -l <"$TMP/logged") events: imported and replayed byte for byte"
