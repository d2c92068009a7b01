#!/bin/bash
# t1900: an import into the live database holds the write lock for seconds; the recorder waits (holding events in memory) instead of failing, and loses nothing. A second recorder into it is refused. A recorder started again leaves the import's open flows open.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3 awk
require_built ctrecord trafficgen
netns_setup
netns_long_udp

# A log big enough that importing it takes longer than ctrecord's 5 s busy timeout.
# Its last 300 flows never end: open flows of the import beside the recorder's,
# in the same ranges of open_ranges (checked at the end).
awk -v t=$(( $(date +%s) - 86400 )) 'BEGIN {
	for (i = 0; i < 500000; i++) {
		p = 1024 + i % 60000; s = t + i; a = int(i / 250) % 250; b = i % 250; c = int(i / 62500)
		printf "[%d.000001]\t    [NEW] udp      17 30 src=10.%d.%d.%d dst=10.99.9.9 sport=%d dport=53 [UNREPLIED] src=10.99.9.9 dst=10.%d.%d.%d sport=53 dport=%d\n", s, c, a, b, p, c, a, b, p
		if (i < 499700)
			printf "[%d.000002]\t[DESTROY] udp      17 src=10.%d.%d.%d dst=10.99.9.9 sport=%d dport=53 [UNREPLIED] src=10.99.9.9 dst=10.%d.%d.%d sport=53 dport=%d\n", s, c, a, b, p, c, a, b, p
	} }' >"$TMP/big.log"

DB=$TMP/flows.db
start_recorder rec "$TMP/rec.err" --db "$DB"
# A second recorder into the same database is refused at once (it would
# store every event twice, and take the first for crashed); an import is not.
rc=0
in_ns timeout 10 "$BIN/ctrecord" --db "$DB" 2>"$TMP/second.err" || rc=$?
[ "$rc" = 1 ] || fail "a second recorder into the same database: exit status $rc, not 1"
grep -q "another ctrecord is recording into" "$TMP/second.err" ||
	fail "the second recorder did not say why: $(cat "$TMP/second.err")"
[ "$(sqlite3 -readonly "$DB" "SELECT count(*) FROM sessions")" = 1 ] ||
	fail "the refused recorder left a session"
# Traffic all along: 100 flows a second from 14 ports.
( for i in $(seq 1 14); do in_ns "$BIN/trafficgen" -S udp 127.0.0.1 $((7900 + i)) 100 >/dev/null; sleep 1; done ) &
traffic=$!
sleep 1
t0=$(date +%s%N)
"$BIN/ctrecord" --db "$DB" --import "$TMP/big.log" 2>"$TMP/import.err" || { cat "$TMP/import.err"; fail "the import failed"; }
took=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "$traffic" || fail "the traffic failed"
sleep 1
pid_ours "$PID_rec" || { cat "$TMP/rec.err"; fail "the recorder died while the import held the lock"; }
stop_recorder rec 20
cat "$TMP/rec.err"
if grep -q 'warning: cannot write to' "$TMP/rec.err"; then
	grep -q 'writing again after' "$TMP/rec.err" || fail "the recorder never wrote again"
	say "the import held the lock for $took ms: the recorder waited and wrote again"
else
	say "the import took $took ms: within the recorder's busy timeout, it did not have to wait"
fi
# Every reply of the 1,400 live flows was recorded (one UPDATE each).
n=$("$BIN/ctquery" --db "$DB" replay -o json -e UPDATE --session "$(sqlite3 -readonly "$DB" \
	"SELECT id FROM sessions WHERE kind = 'record'")" | wc -l)
[ "$n" = 1400 ] || fail "$n of 1400 live UPDATE events recorded"
[ "$(sqlite3 -readonly "$DB" "SELECT count(*) FROM gaps WHERE kind = 'enobufs'")" = 0 ] || fail "events were lost"
[ "$(sqlite3 -readonly "$DB" "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
check_flow_keys "$DB"
check_open_ranges "$DB" exact
open=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM $OPEN_FLOW_IDS o JOIN flows f ON f.id = o.id
	JOIN sessions s ON s.id = f.session WHERE s.kind = 'import' AND f.end_dur IS NULL")
[ "$open" = 300 ] || fail "$open of the import's 300 open flows listed in open_ranges"
say "1400 of 1400 live events recorded beside 999,700 imported ones; the import's 300 open flows listed"

# A recorder started again takes up the flows its own sessions left open, not
# the import's: those are no flows of this kernel's table, and stay open
# (they were ended "end unknown" at the recorder's start).
start_recorder rec2 "$TMP/rec2.err" --db "$DB"
stop_recorder rec2 20
open=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM flows f JOIN sessions s ON s.id = f.session
	WHERE s.kind = 'import' AND f.end_dur IS NULL")
[ "$open" = 300 ] || fail "after a recorder's restart, $open of the import's 300 flows are open"
say "a recorder started again leaves the import's 300 open flows open"
