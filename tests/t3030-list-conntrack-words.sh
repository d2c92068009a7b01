#!/bin/bash
# t3030: list -o conntrack,extended,id prints each flow as conntrack -L -o extended,id prints the live entry (less what a recorded flow lacks: timeout, use=, delta-time=, mark=0, counters of an open flow); extended and id with another format are a usage error.
#
# TCP and UDP flows over IPv4 and IPv6, left in the table (UDP and
# TIME_WAIT last 300 s here) to be compared with conntrack -L.
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord ctquery trafficgen

netns_setup
ns_keep_flows
start_recorder rec "$TMP/rec.err" --db "$TMP/flows.db"
in_ns "$BIN/trafficgen" tcp 127.0.0.1 5000 2
in_ns "$BIN/trafficgen" tcp ::1 5001 1
in_ns "$BIN/trafficgen" udp 127.0.0.1 5002 1
in_ns "$BIN/trafficgen" udp ::1 5003 1
stop_recorder rec

norm() {
	sed -E 's/^(ipv[46] +[0-9]+ [a-z0-9]+ +[0-9]+) [0-9]+ /\1 /;
		s/^([a-z][a-z0-9]* +[0-9]+) [0-9]+ /\1 /; s/ packets=[0-9]+ bytes=[0-9]+//g;
		s/ mark=0//; s/ delta-time=[0-9]+//; s/ use=[0-9]+//; s/ +$//' | sort
}
in_ns conntrack -L -o extended,id 2>/dev/null | norm >"$TMP/want"
[ "$(wc -l <"$TMP/want")" = 5 ] || fail "not the 5 flows expected: $(cat "$TMP/want")"
grep -q '^ipv6 .* id=[0-9]*$' "$TMP/want" || fail "conntrack -L -o extended,id printed no id: $(cat "$TMP/want")"
for o in conntrack,extended,id ID,Extended,conntrack; do
	"$BIN/ctquery" --db "$TMP/flows.db" list -o "$o" 2>"$TMP/err" | norm >"$TMP/got"
	test_cmp "$TMP/want" "$TMP/got"
	[ ! -s "$TMP/err" ] || fail "list -o $o said: $(cat "$TMP/err")"
done
in_ns conntrack -L -o id 2>/dev/null | norm >"$TMP/want"
"$BIN/ctquery" --db "$TMP/flows.db" list -o conntrack,id | norm | test_cmp "$TMP/want" -
say "list -o conntrack,extended,id and -o conntrack,id: conntrack -L -o extended,id's lines ($(wc -l <"$TMP/want") flows)"

for o in extended id json,id table,extended csv,id,labels; do
	rc=0
	err=$("$BIN/ctquery" --db "$TMP/flows.db" list -o "$o" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 2 ] && [ "$(echo "$err" | wc -l)" = 1 ] &&
		echo "$err" | grep -q "^ctquery: error: --output: \(extended\|id\) with conntrack or xml only" ||
		fail "list -o $o: exit $rc, said: $err"
done
