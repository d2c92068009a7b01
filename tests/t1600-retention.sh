#!/bin/bash
# t1600: retention prunes the oldest history (by age, by size, once or while recording) without touching the rest, and records what it removed.
set -eu
. "$(dirname "$0")/lib.sh"

require_cmd sqlite3 awk
require_built ctrecord ctquery
cd "$TMP"
q() { sqlite3 -readonly "$DB" "$1"; }

# Two copies of the seed log, 40 days old and 1 hour old (conntrack -o timestamp prefixes).
now=$(date +%s)
stamp() { awk -v t="$1" '{ printf "[%d.%06d]\t%s\n", t + NR, NR, $0 }' "$SEED/events.txt"; }
stamp $((now - 40 * 86400)) >old.log
stamp $((now - 3600)) >new.log
DB=$TMP/age.db
"$BIN/ctrecord" --db "$DB" --import old.log 2>/dev/null
"$BIN/ctrecord" --db "$DB" --import new.log 2>/dev/null
[ "$(q "SELECT count(*) FROM flows")" = 10 ] || fail "the logs did not import"
"$BIN/ctrecord" --db "$DB" --prune --retain 30d 2>prune.err || { cat prune.err; fail "--prune failed"; }
[ "$(q "SELECT count(*) FROM flows")" = 5 ] || fail "age: $(q "SELECT count(*) FROM flows") flows left, not 5"
[ "$(q "SELECT sum(flows) || ' ' || sum(events) FROM prunes")" = "5 24" ] || fail "age: prunes says $(q "SELECT sum(flows), sum(events) FROM prunes")"
"$BIN/ctquery" --db "$DB" replay -o timestamp >replayed.log
test_cmp new.log replayed.log
[ "$(q "PRAGMA integrity_check")" = ok ] || fail "age: integrity_check"
check_flow_keys "$DB"
check_open_ranges "$DB" exact
say "--retain 30d: the 40-day-old copy went (5 flows, 24 events), the recent one replays unchanged"

# stats, which must read the blocks once something was pruned, counts what is left, once.
events() { "$BIN/ctquery" --db "$1" stats | awk '/^  (NEW|UPDATE|DESTROY|DUMP) / { n += $2 } END { print n + 0 }'; }
[ "$(events "$DB")" = "$(wc -l <new.log)" ] || fail "age: stats counts $(events "$DB") events, not $(wc -l <new.log)"
# A flow pruned whose events share a block with a flow kept: its events are not counted.
u() { printf '[%d.000001]\t%s udp      17 %ssrc=10.0.0.%d dst=10.0.0.9 sport=1000 dport=53 [UNREPLIED] src=10.0.0.9 dst=10.0.0.%d sport=53 dport=1000\n' "$1" "$2" "$3" "$4" "$4"; }
{ u $((now - 40 * 86400)) "    [NEW]" "30 " 1; u $((now - 35 * 86400)) "[DESTROY]" "" 1
  u $((now - 60)) "    [NEW]" "30 " 2; u $((now - 50)) "[DESTROY]" "" 2; } >mixed.log
"$BIN/ctrecord" --db "$TMP/mixed.db" --import mixed.log 2>/dev/null
"$BIN/ctrecord" --db "$TMP/mixed.db" --prune --retain 30d 2>/dev/null || fail "--prune of mixed.db failed"
[ "$(events "$TMP/mixed.db")" = 2 ] || fail "mixed: stats counts $(events "$TMP/mixed.db") events, not 2"
[ "$("$BIN/ctquery" --db "$TMP/mixed.db" replay | wc -l)" = 2 ] || fail "mixed: replay shows the pruned flow's events"
say "stats after pruning counts the events left (not those of a pruned flow, not twice)"

# By size: 20,000 flows, then --max-size well below: the oldest go first.
awk -v t=$((now - 86400)) 'BEGIN {
	for (i = 0; i < 20000; i++) {
		p = 1024 + i % 60000; s = t + i
		printf "[%d.000001]\t    [NEW] udp      17 30 src=10.%d.%d.1 dst=10.9.9.9 sport=%d dport=53 [UNREPLIED] src=10.9.9.9 dst=10.%d.%d.1 sport=53 dport=%d\n", s, int(i / 250), i % 250, p, int(i / 250), i % 250, p
		printf "[%d.000002]\t[DESTROY] udp      17 src=10.%d.%d.1 dst=10.9.9.9 sport=%d dport=53 [UNREPLIED] src=10.9.9.9 dst=10.%d.%d.1 sport=53 dport=%d\n", s, int(i / 250), i % 250, p, int(i / 250), i % 250, p
	} }' >big.log
DB=$TMP/size.db
"$BIN/ctrecord" --db "$DB" --import big.log 2>/dev/null
before=$(q "SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size)")
max=$((before / 4))
"$BIN/ctrecord" --db "$DB" --prune --max-size "$max" 2>prune.err || { cat prune.err; fail "--prune --max-size failed"; }
used=$(q "SELECT ((SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count)) * (SELECT page_size FROM pragma_page_size)")
[ "$used" -le "$max" ] || fail "size: $used bytes in use, more than --max-size $max"
left=$(q "SELECT count(*) FROM flows")
[ "$left" -gt 0 ] && [ "$left" -lt 20000 ] || fail "size: $left flows left"
[ "$(q "SELECT min(first_us) >= (SELECT max(before_us) FROM prunes) FROM flows")" = 1 ] ||
	fail "size: a flow older than the pruned span survived"
[ "$(q "PRAGMA integrity_check")" = ok ] || fail "size: integrity_check"
check_flow_keys "$DB"
check_open_ranges "$DB" exact
say "--max-size $max (of $before): $left flows left, the newest, $used bytes in use"

# A flow still open whose first events were pruned: show gives the events
# left and says how many retention removed, and from before when.
v() { printf '[%d.000001]\t%s udp      17 30 src=10.0.0.7 dst=10.0.0.9 sport=1000 dport=53 %ssrc=10.0.0.9 dst=10.0.0.7 sport=53 dport=1000%s\n' "$@"; }
{ v $((now - 40 * 86400)) "    [NEW]" "[UNREPLIED] " ""; v $((now - 39 * 86400)) " [UPDATE]" "" ""; } >long1.log
v $((now - 3600)) " [UPDATE]" "" " [ASSURED]" >long2.log
DB=$TMP/long.db
"$BIN/ctrecord" --db "$DB" --import long1.log 2>/dev/null
"$BIN/ctrecord" --db "$DB" --import long2.log --continue 2>/dev/null
"$BIN/ctquery" --db "$DB" show 1 >before.out || fail "long: show before pruning failed"
"$BIN/ctrecord" --db "$DB" --prune --retain 30d 2>/dev/null || fail "--prune of long.db failed"
[ "$(q "SELECT sum(events) FROM prunes")" = 2 ] || fail "long: prunes says $(q "SELECT sum(flows), sum(events) FROM prunes")"
cut=$(q "SELECT max(before_us) FROM prunes")
cut=$(date -d "@$((cut / 1000000))" '+%Y-%m-%d %H:%M:%S').$(printf '%06d' $((cut % 1000000)))
"$BIN/ctquery" --db "$DB" show 1 >out 2>err || fail "long: show after pruning: status $?: $(cat err)"
{ grep -v '^  20' before.out | grep -v '^  still open'; grep ' UPDATE ' before.out | tail -1
  echo "  (2 earlier events removed by retention: the history before $cut is gone)"
  echo "  still open (as far as the recording goes)"; } | test_cmp - out
say "a flow whose first events were pruned: show says 2 earlier events were removed, and before when"

# While recording: flows that ended 2 s ago go; the recorder loses nothing.
[ "$(id -u)" = 0 ] || { say "not root: the live part is left out"; exit 0; }
require_root
require_built trafficgen
netns_setup
netns_long_udp
DB=$TMP/live.db
start_recorder rec "rec.err" --db "$DB" --retain 2s
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7601 500 >/dev/null
in_ns conntrack -F 2>/dev/null
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7602 500 >/dev/null
wait_until 20 eval "[ \$(q 'SELECT count(*) FROM flows WHERE o_dport = 7601') = 0 ]" ||
	fail "live: the flows that ended were not pruned"
stop_recorder rec 10
[ "$(q "SELECT count(*) FROM flows WHERE o_dport = 7602")" = 500 ] || fail "live: open flows were pruned"
[ "$(q "SELECT count(*) FROM gaps WHERE kind = 'enobufs'")" = 0 ] || fail "live: pruning made the recorder lose events"
say "--retain 2s while recording: 500 ended flows pruned, 500 open ones kept, no loss"
