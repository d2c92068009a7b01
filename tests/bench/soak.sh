#!/bin/bash
# soak.sh: ctrecord recording steady traffic for SOAK_MIN minutes with retention and a follower reading along, its memory and files sampled each minute, then every event accounted for against the ground truth.
#
# Run as root through `make soak` (SOAK_MIN, default 20) or BIN=build tests/bench/soak.sh.
# In a fresh namespace: TCP connections, UDP flows over IPv4 and IPv6 and pings
# without pause (about 5,000 events a second here), ctrecord with SOAK_ARGS
# (default --retain 3m --max-size 48M), a `ctquery replay --follow` reading
# along, a `show` and a `list -s` every minute. Prints a line a minute (ctrecord's RSS
# and peak, the database and -wal sizes, the events so far), then checks that
# the ground truth's count (nlcount) is the events stored plus those
# retention removed, that the follower printed each, that there is no gap,
# and that the -wal was reused (at most 128 MiB); exits 1 if not. Appends its
# lines to $BENCH_OUT.
# shellcheck disable=SC2034 # PID_* are read through eval
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-$ROOT/build}
. "$ROOT/tests/lib.sh"

MIN=${SOAK_MIN:-20}
ARGS=${SOAK_ARGS:---retain 3m --max-size 48M}
OUT=${BENCH_OUT:-$ROOT/tests/out/soak.txt}

require_root
require_cmd sqlite3
for b in ctrecord ctquery trafficgen nlcount; do
	[ -x "$BIN/$b" ] || fail "'$BIN/$b' not built (run make soak)"
done
mkdir -p "$(dirname "$OUT")"
out() { echo "$*" | tee -a "$OUT"; }
q() { sqlite3 -readonly "$DB" "$1"; }
size_kb() { echo $(( $(stat -c %s "$1" 2>/dev/null || echo 0) / 1024 )); }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

netns_setup
netns_long_udp 5
DB=$TMP/soak.db
start_bg gt "$BIN/nlcount" -b 268435456 -s "$TMP/gt.status" >"$TMP/gt.out" 2>"$TMP/gt.err"
wait_until 10 grep -q listening "$TMP/gt.err" || fail "nlcount did not start"
# shellcheck disable=SC2086 # (ARGS: options, split)
start_recorder rec "$TMP/rec.err" --db "$DB" $ARGS -v
start_bg fol "$BIN/ctquery" --db "$DB" replay --follow -o id >"$TMP/follow.out" 2>"$TMP/follow.err"
# (inside the namespace already: start_bg runs it there)
start_bg gen bash -c 'while :; do
	"$BIN/trafficgen" tcp 127.0.0.1 5000 60; "$BIN/trafficgen" -S udp 127.0.0.1 7601 200
	"$BIN/trafficgen" udp ::1 5003 20; ping -c1 -W1 127.0.0.1; sleep 0.2
done >/dev/null 2>&1'

out "# soak: $(date -u '+%Y-%m-%d %H:%M UTC'), $MIN min, ctrecord $ARGS, a follower"
out "$(printf '#   %5s %8s %8s %8s %8s %10s %9s %10s %6s %6s' min rss_kB hwm_kB db_kB wal_kB truth stored pruned show_ms list_ms)"
start=$SECONDS wal_max=0
for ((m = 1; m <= MIN; m++)); do
	w=$((start + 60 * m - SECONDS))
	[ "$w" -le 0 ] || sleep "$w"
	max=$(q "SELECT max(id) FROM flows")
	a=${EPOCHREALTIME/./}
	"$BIN/ctquery" --db "$DB" show "$max" >/dev/null 2>>"$TMP/q.err" || fail "show $max: $(tail -1 "$TMP/q.err")"
	b=${EPOCHREALTIME/./}
	"$BIN/ctquery" --db "$DB" list -s 127.1.0.9 >/dev/null 2>>"$TMP/q.err" || fail "list: $(tail -1 "$TMP/q.err")"
	c=${EPOCHREALTIME/./}
	wal=$(size_kb "$DB-wal")
	[ "$wal" -le "$wal_max" ] || wal_max=$wal
	out "$(printf '#   %5s %8s %8s %8s %8s %10s %9s %10s %6s %6s' "$m" \
		"$(status_kb "$PID_rec" VmRSS)" "$(status_kb "$PID_rec" VmHWM)" "$(size_kb "$DB")" \
		"$wal" "$(awk '{ print $1 }' "$TMP/gt.status")" \
		"$(q "SELECT coalesce(sum(n), 0) FROM event_blocks")" \
		"$(q "SELECT coalesce(sum(events), 0) FROM prunes")" $(((b - a) / 1000)) $(((c - b) / 1000)))"
done
stop_bg gen TERM 5 2>/dev/null || true
# the last flows time out (UDP 5 s, TIME_WAIT 2 s); a table dump evicts
# them, and the kernel's last DESTROY events come before ctrecord stops
sleep 7
in_ns conntrack -L >/dev/null 2>&1 || true
wait_until 20 eval "[ \$(awk '{ print \$3 }' '$TMP/gt.status') -ge 2000 ]" ||
	fail "events still came 20 s after the traffic stopped"
stop_recorder rec 20
wait_until 10 eval "[ \$(wc -l <'$TMP/follow.out') -ge \$(awk '{ print \$1 }' '$TMP/gt.status') ]" || true
stop_bg fol TERM 10 || fail "the follower did not stop"
stop_bg gt INT 10 || fail "nlcount did not stop"
truth=$(awk '{ print $2 }' "$TMP/gt.out")
stored=$(q "SELECT coalesce(sum(n), 0) FROM event_blocks")
pruned=$(q "SELECT coalesce(sum(events), 0) FROM prunes")
followed=$(wc -l <"$TMP/follow.out")
out "#   ground truth $truth events; stored $stored + removed by retention $pruned ($(q "SELECT count(*) FROM prunes") steps);" \
	"gaps $(q "SELECT count(*) FROM gaps"); the follower printed $followed"
[ "$((stored + pruned))" = "$truth" ] || fail "stored + pruned = $((stored + pruned)), not the ground truth's $truth"
[ "$followed" = "$truth" ] || fail "the follower printed $followed events of $truth: $(head -3 "$TMP/follow.err")"
[ "$(q "SELECT count(*) FROM gaps")" = 0 ] || fail "gaps: $(q "SELECT * FROM gaps")"
[ "$(q "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
# (checkpoints every 40 MiB: a -wal past 128 MiB was never reused, as when a
# follower held a snapshot all the time)
[ "$wal_max" -le 131072 ] || fail "the -wal grew to $wal_max kB"
out "#   every event accounted for; integrity_check ok"
