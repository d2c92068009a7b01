#!/bin/bash
# steady.sh: what ctrecord writes to disk on a busy host that is not in a storm, beside conntrack -E's text and XML logs of the same events.
#
# Run as root through `make bench` (after bench.sh) or BIN=build tests/bench/steady.sh.
# In a fresh namespace: 50,000 UDP flows left to time out (20 s) while TCP
# connections come 300 at a time for SECONDS_STEADY (default 40) seconds: about
# 5,000 events a second over tens of thousands of open flows, so that the
# changes of flows touch pages all over the flows table. Prints the bytes each
# tool wrote (/proc/PID/io write_bytes: the -wal, the checkpoints, the logs)
# per event it stored, and appends them to $BENCH_OUT.
# shellcheck disable=SC2034 # PID_* are read through eval
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-$ROOT/build}
. "$ROOT/tests/lib.sh"

SECS=${SECONDS_STEADY:-40}
OUT=${BENCH_OUT:-$ROOT/tests/out/bench.txt}

require_root
for b in ctrecord trafficgen stormgen evdump; do
	[ -x "$BIN/$b" ] || fail "'$BIN/$b' not built (run make bench)"
done
mkdir -p "$(dirname "$OUT")"
out() { echo "$*" | tee -a "$OUT"; }

netns_storm cts
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=20 || fail "cannot set the UDP timeout"

written() { awk '/^write_bytes:/ { print $2 }' "/proc/$1/io"; }

start_bg REC "$BIN/ctrecord" --db "$TMP/r.db" 2>"$TMP/rec.err"
start_bg TXT conntrack -E -o timestamp >"$TMP/ct.txt" 2>/dev/null
start_bg XML conntrack -E -o xml,timestamp >"$TMP/ct.xml" 2>/dev/null
sleep 1
in_ns "$BIN/stormgen" -n 50000 >/dev/null
sleep 2	# conntrack -E has printed their NEW events
w0r=$(written "$PID_REC"); w0t=$(written "$PID_TXT"); w0x=$(written "$PID_XML")
n0=$(wc -l <"$TMP/ct.txt")
end=$((SECONDS + SECS))
while [ $SECONDS -lt $end ]; do
	in_ns "$BIN/trafficgen" -S tcp 127.0.0.1 5000 300 >/dev/null 2>&1 || true
	sleep 0.5
done
w1r=$(written "$PID_REC"); w1t=$(written "$PID_TXT"); w1x=$(written "$PID_XML")
n1=$(wc -l <"$TMP/ct.txt")
stop_bg TXT; stop_bg XML; stop_bg REC
[ "$BG_STATUS" = 0 ] || fail "ctrecord exited with status $BG_STATUS: $(cat "$TMP/rec.err")"
n=$((n1 - n0))
[ "$n" -gt 0 ] || fail "no event in $SECS s"
per() { awk -v b="$1" -v n="$n" 'BEGIN { printf "%.1f", b / n }'; }
out ""
out "# (d) a steady host: $n events in $SECS s (50,000 UDP flows timing out, TCP connections"
out "#   300 at a time), bytes written to disk (write_bytes) per event conntrack -E printed:"
out "$(printf '#   %-34s %12s %9s' tool bytes B/event)"
out "$(printf '#   %-34s %12s %9s' 'ctrecord (defaults)' $((w1r - w0r)) "$(per $((w1r - w0r)))")"
out "$(printf '#   %-34s %12s %9s' 'conntrack -E -o timestamp >file' $((w1t - w0t)) "$(per $((w1t - w0t)))")"
out "$(printf '#   %-34s %12s %9s' 'conntrack -E -o xml,timestamp >file' $((w1x - w0x)) "$(per $((w1x - w0x)))")"
out "#   (ctrecord's database: $(stat -c %s "$TMP/r.db") B; its writes include the -wal and the checkpoints)"
exit 0
