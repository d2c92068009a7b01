#!/bin/bash
# t3040: list -o conntrack,ktimestamp (and xml,ktimestamp) prints a flow's kernel start and stop as conntrack prints them: a flow found in the table at start-up as conntrack -L -o ktimestamp prints the live entry, a flow ended as its DESTROY in conntrack -E -o ktimestamp; a flow seen from its NEW and still open has none (the kernel sends no times with NEW); with table, json or csv ktimestamp is a usage error.
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord ctquery trafficgen

netns_setup	# (timestamps on)
ns_keep_flows
# in the table before the recorder starts: its start-up dump has their start
in_ns "$BIN/trafficgen" tcp 127.0.0.1 5000 2
in_ns "$BIN/trafficgen" udp ::1 5001 1
start_recorder rec "$TMP/rec.err" --db "$TMP/flows.db"
nsub=$(( $(nsubscribed) + 1 ))
start_bg ev conntrack -E -e DESTROY -o ktimestamp >"$TMP/ev" 2>/dev/null
wait_until 10 eval '[ "$(nsubscribed)" -ge "$nsub" ]' || fail "conntrack -E did not subscribe"
in_ns "$BIN/trafficgen" udp 127.0.0.1 5002 1
in_ns "$BIN/trafficgen" udp ::1 5003 1
in_ns conntrack -D -p udp --dport 5002 >/dev/null 2>&1 || fail "conntrack -D failed"
wait_for_line "$TMP/ev" 'dport=5002 ' 10 || fail "no DESTROY from conntrack -E: $(cat "$TMP/ev")"
wait_until 10 eval "'$BIN/ctquery' --db '$TMP/flows.db' replay -e DESTROY | grep -q 'dport=5002 '" ||
	fail "the DESTROY was not recorded"
stop_recorder rec
stop_bg ev

norm() {
	sed -E 's/^([a-z][a-z0-9]* +[0-9]+) [0-9]+ /\1 /; s/ packets=[0-9]+ bytes=[0-9]+//g;
		s/ mark=0//; s/ delta-time=[0-9]+//; s/ use=[0-9]+//; s/ +$//' | sort
}
list() { "$BIN/ctquery" --db "$TMP/flows.db" list "$@"; }

in_ns conntrack -L -o ktimestamp 2>/dev/null | grep -E 'dport=500[01] ' | norm >"$TMP/want"
[ "$(grep -c '\[start=' "$TMP/want")" = 3 ] || fail "conntrack -L -o ktimestamp: not 3 flows with a start: $(cat "$TMP/want")"
list -o conntrack,ktimestamp 2>"$TMP/err" | grep -E 'dport=500[01] ' | norm >"$TMP/got"
test_cmp "$TMP/want" "$TMP/got"
[ ! -s "$TMP/err" ] || fail "list -o conntrack,ktimestamp said: $(cat "$TMP/err")"
say "the flows of the start-up dump: the start of conntrack -L -o ktimestamp"

grep 'dport=5002 ' "$TMP/ev" | sed 's/^\[DESTROY\] //; s/ \[USERSPACE\].*//' | norm >"$TMP/want"
grep -q '\[start=.*\] \[stop=.*\]$' "$TMP/want" || fail "conntrack -E printed no start and stop: $(cat "$TMP/want")"
list -o KTimestamp,conntrack -p udp --dport 5002 | norm | test_cmp "$TMP/want" -
say "a flow ended: the start and stop of its DESTROY in conntrack -E -o ktimestamp"

got=$(list -o conntrack,ktimestamp -p udp --dport 5003)
[ -n "$got" ] && ! grep -q 'start=' <<<"$got" || fail "the flow seen from its NEW: '$got'"

# XML: the same times, in ns
xts() { sed -nE 's/^<flow><meta direction="original">.*<sport>([0-9]+)<\/sport><dport>(500[0-3])<\/dport>.*(<timestamp>.*<\/timestamp>).*/\1 \2 \3/p' | sort; }
in_ns conntrack -L -o xml,ktimestamp 2>/dev/null | xts | grep ' 500[01] ' >"$TMP/want"
list -o xml,ktimestamp | xts >"$TMP/got"
grep ' 500[01] ' "$TMP/got" | test_cmp "$TMP/want" -
grep -q ' 5002 <timestamp><start>[0-9]*</start><stop>[0-9]*</stop></timestamp>$' "$TMP/got" ||
	fail "list -o xml,ktimestamp: no start and stop for the flow ended: $(cat "$TMP/got")"
say "list -o xml,ktimestamp: conntrack -L -o xml,ktimestamp's <timestamp>"

for o in ktimestamp json,ktimestamp table,ktimestamp csv,ktimestamp,labels; do
	rc=0
	err=$(list -o "$o" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 2 ] && [ "$(echo "$err" | wc -l)" = 1 ] &&
		[ "$err" = "ctquery: error: --output: ktimestamp with conntrack or xml only (as conntrack -L -o ktimestamp)" ] ||
		fail "list -o $o: exit $rc, said: $err"
done
