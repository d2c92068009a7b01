#!/bin/bash
# t1200: kill -9 during a storm, repeated: the database stays intact, committed events stay, and restarts continue open flows under the same ids.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3
require_built ctrecord trafficgen
netns_setup
# Events for every entry, also those made while no recorder listens: with the
# default "auto" (2) they would never send their DESTROY (see ctrecord's warning).
netns_long_udp 300
in_ns sysctl -qw net.netfilter.nf_conntrack_events=1

DB=$TMP/flows.db
KILLS=3
STORM=30000	# flows per storm: long enough (about 1 s) to be killed in its middle
start_rec() { start_recorder rec "$TMP/rec.err" --db "$DB"; }
start_rec

# Long-lived flows that must survive every restart under their first flow id.
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7100 50 >/dev/null
wait_until 10 eval "[ \$(sqlite3 '$DB' 'SELECT count(*) FROM flows WHERE o_dport = 7100') = 50 ]" ||
	fail "the 50 long-lived flows were not recorded"
sqlite3 -readonly "$DB" "SELECT id FROM flows WHERE o_dport = 7100 ORDER BY id" >"$TMP/ids.before"

for k in $(seq 1 $KILLS); do
	# A storm in the background; kill the recorder in the middle of it.
	in_ns "$BIN/trafficgen" -S udp 127.0.0.1 $((7200 + k)) $STORM >/dev/null &
	storm=$!
	sleep 0.$((3 + RANDOM % 5))
	kill_us=$(date +%s%6N)
	stop_bg rec KILL 5 || true
	wait "$storm" || fail "the storm generator failed"
	ok=$(sqlite3 -readonly "$DB" "PRAGMA integrity_check")
	[ "$ok" = ok ] || fail "integrity_check after kill $k: $ok"
	check_flow_keys "$DB"
	check_open_ranges "$DB"
	# What was committed before the kill must still be there, unchanged, later.
	events_of "$DB" >"$TMP/committed.$k"
	maxid[$k]=$(tail -n 1 "$TMP/committed.$k" | cut -d' ' -f1)
	# Received but not committed when killed: at most about one commit
	# interval (100 ms) plus what waited in the queue; more means the writer lags.
	lag=$(( (kill_us - $(awk '$3 > m { m = $3 } END { print m }' "$TMP/committed.$k")) / 1000 ))
	say "kill $k: $(wc -l <"$TMP/committed.$k") events committed, the last one received $lag ms before the kill"
	[ "$lag" -lt 1000 ] || fail "the last committed event is $lag ms older than the kill"
	start_rec
done
in_ns conntrack -F 2>/dev/null
wait_until 10 eval "[ \$(sqlite3 '$DB' 'SELECT count(*) FROM flows WHERE o_dport = 7100 AND end_kind = 1') = 50 ]" ||
	fail "the DESTROY events of the long-lived flows did not reach their first flows"
stop_recorder rec 20
check_open_ranges "$DB" exact

for k in $(seq 1 $KILLS); do
	events_of "$DB" | awk -v m="${maxid[$k]}" '$1 <= m' >"$TMP/still.$k"
	test_cmp "$TMP/committed.$k" "$TMP/still.$k"
done
sqlite3 -readonly "$DB" "SELECT id FROM flows WHERE o_dport = 7100 ORDER BY id" >"$TMP/ids.after"
test_cmp "$TMP/ids.before" "$TMP/ids.after"
crashes=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM gaps WHERE kind = 'crash'")
[ "$crashes" = $KILLS ] || fail "expected $KILLS crash gaps, found $crashes"
[ "$(grep -c 'did not stop cleanly' "$TMP/rec.err")" = $KILLS ] || fail "no warning after a crash"
open=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM flows WHERE end_us IS NULL")
[ "$open" = 0 ] || fail "$open flows still open after conntrack -F"
dup=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM (SELECT ct_id, o_src, o_sport, o_dport, count(*) c
	FROM flows GROUP BY 1,2,3,4, first_us / 300000000 HAVING c > 1)")
say "flows continued across $KILLS kills: 50 of 50; duplicate flows: $dup"
[ "$dup" = 0 ] || fail "restarts opened duplicate flows"
stored=$(events_of "$DB" | awk '$4 < 4' | wc -l)
# Each flow makes exactly three events: NEW, UPDATE (the reply), DESTROY (-F).
generated=$(( (50 + KILLS * STORM) * 3 ))
say "events generated: $generated, stored: $stored," \
	"lost while down or uncommitted: $((generated - stored))," \
	"flows: $(sqlite3 -readonly "$DB" "SELECT count(*) FROM flows")," \
	"first seen in a restart dump: $(sqlite3 -readonly "$DB" "SELECT count(*) FROM flows WHERE origin = 1")"
