#!/bin/bash
# t3510: the times of the history, on logs imported with known answers: the events of a flow open across a step back of the wall clock; an XML log's local times in the hour repeated when summer time ends.
set -eu
. "$(dirname "$0")/lib.sh"

require_built ctrecord ctquery
cd "$TMP"
Q() { "$BIN/ctquery" --db "$DB" "$@"; }

# udp_log: a conntrack -E -o timestamp,id log from lines "SEC.USEC TYPE N"
# (type NEW, UPDATE or DESTROY; N numbers the entry: its source and id).
udp_log() {
	awk '{
		split("NEW UPDATE DESTROY", t); split("    [NEW]| [UPDATE]|[DESTROY]", l, "|")
		for (i = 1; i <= 3; i++) if ($2 == t[i]) lab = l[i]
		src = sprintf("10.0.%d.%d", int($3 / 256), $3 % 256)
		printf "[%s]\t%s udp      17%s src=%s dst=192.168.0.1 sport=1000 dport=53%s" \
		       " src=192.168.0.1 dst=%s sport=53 dport=1000 id=%d\n", $1, lab,
		       $2 == "DESTROY" ? "" : " 30", src, $2 == "NEW" ? " [UNREPLIED]" : "", src, $3
	}'
}

# A flow open across a step back of an hour (as a recorder stores it: the
# clock's times), with 6,000 flows around it, so that its later events are
# in blocks that end before it began: show and replay --flow found only its
# NEW and called the database damaged (exit 1).
DB=step.db
{
	echo "1800000000.000000 NEW 1"
	awk 'BEGIN { for (i = 2; i < 6000; i++) {
		t = 1800000000 + i / 1000 - (i >= 3000 ? 3600 : 0)
		printf "%.6f NEW %d\n%.6f DESTROY %d\n", t, i, t, i } }'
	echo "1799996406.000001 UPDATE 1"
	echo "1799996406.000002 DESTROY 1"
} | udp_log >step.log
"$BIN/ctrecord" --db "$DB" --import step.log 2>/dev/null || fail "cannot import step.log"
[ "$(Q show 1 | grep -c '^  20')" = 3 ] || { Q show 1; fail "show: not the 3 events of a flow open across a step back"; }
Q replay --flow 1 -o timestamp >out || fail "replay --flow 1 failed"
[ "$(cut -c1-19 out | tr '\n' ' ')" = "[1800000000.000000] [1799996406.000001] [1799996406.000002] " ] ||
	{ cat out; fail "replay --flow: not the 3 events of a flow open across a step back"; }
[ "$(Q replay -s 10.0.0.1 | wc -l)" = 3 ] || fail "replay -s: not the 3 events of the flow"
say "a flow open across a step back of the clock: its 3 events"

# How long it lasted is unknown (its DESTROY is timed an hour before its
# NEW): show said 'after -3594.000s', list the same, flows_v's duration too.
Q show 1 >out
grep -q '^  ended: destroyed at .*, after a time unknown: the wall clock was set back' out ||
	{ cat out; fail "show: not a duration unknown across a step back of the clock"; }
Q show 2 | grep -q '^  ended: destroyed at .*, after 0\.000s$' || fail "show 2: not its duration"
[ "$(Q list --flow 1 | awk 'NR == 2 { print $3 }')" = "?" ] ||
	{ Q list --flow 1; fail "list: not a duration unknown across a step back of the clock"; }
[ "$(Q list -o csv --where 'duration < 0' | wc -l)" = 1 ] ||
	fail "flows_v: a negative duration"
[ "$(Q list -o csv --where 'duration IS NULL' | sed -n '2s/,.*//p')" = 1 ] ||
	fail "flows_v: the duration of flow 1 is not NULL"
say "a flow open across a step back of the clock: how long it lasted is unknown"

# An XML log (its <when> in local time, to the second) of a night when summer
# time ends, a flow every 5 minutes: the hour passed twice is read in order,
# its second pass after the first (it was read as the first again, an hour
# back in time, after a summer time), as the times conntrack received them.
xml_night() {
	local tz=$1 t0=$2
	DB=night.db
	rm -f night.db* night-x.db*
	awk -v t0="$t0" 'BEGIN { for (i = 1; i <= 40; i++)
		printf "%d.000000 NEW %d\n%d.000000 DESTROY %d\n", t0 + i * 300, i, t0 + i * 300 + 150, i }' |
		udp_log >night.log
	"$BIN/ctrecord" --db night.db --import night.log 2>/dev/null || fail "cannot import night.log"
	TZ=$tz Q replay -o xml,timestamp >night.xml
	TZ=$tz "$BIN/ctrecord" --db night-x.db --import night.xml 2>err || { cat err; fail "cannot import night.xml"; }
	! grep -q "timed before" err || { cat err; fail "$tz: the XML log's times went back"; }
	Q replay -o timestamp | cut -c1-19 >want
	DB=night-x.db
	Q replay -o timestamp | cut -c1-19 >got
	test_cmp want got
}
xml_night Europe/Berlin 1792884600	# 2026-10-24 23:30 UTC, 01:30 CEST
xml_night America/New_York 1793505600	# 2026-11-01 04:00 UTC, 00:00 EDT
xml_night Australia/Lord_Howe 1775311200	# 2026-04-04 14:00 UTC, 01:00 +11
say "XML logs of the night summer time ends: each event at its time"

# list and show of a night when summer time ends, a flow every 15 minutes:
# the times of the hour passed twice tell the two passes apart (02:15 CEST,
# then 02:15 CET; both printed "02:15:00", two flows an hour apart alike),
# and what list and show print is read back by --since and --at as the
# instant it names.
night_times() {
	local tz=$1 t0=$2 i start first
	DB=times.db
	rm -f times.db*
	awk -v t0="$t0" 'BEGIN { for (i = 1; i <= 16; i++)
		printf "%d.000000 NEW %d\n%d.000000 DESTROY %d\n", t0 + i * 900, i, t0 + i * 900 + 60, i }' |
		udp_log >times.log
	"$BIN/ctrecord" --db "$DB" --import times.log 2>/dev/null || fail "cannot import times.log"
	TZ=$tz Q list | sed -E '1d; s/^(.*[^ ]) +[0-9.]+s udp .* ([0-9]+)$/\2|\1/' >starts
	[ "$(wc -l <starts)" = 16 ] || { cat starts; fail "$tz: list: not 16 flows"; }
	[ "$(cut -d'|' -f2 starts | sort -u | wc -l)" = 16 ] ||
		{ TZ=$tz Q list; fail "$tz: list prints two flows an hour apart at the same time"; }
	while IFS='|' read -r i start; do
		first=$(TZ=$tz Q list -o csv --since "$start" | sed -n '2s/,.*//p')
		[ "$first" = "$i" ] || fail "$tz: list --since '$start' begins with flow '$first', not $i"
		start=$(TZ=$tz Q show "$i" | sed -n 's/^  first seen \(.*\), from .*/\1/p')
		first=$(TZ=$tz Q list -o csv --at "$start" | sed -n '2s/,.*//p')
		[ "$first" = "$i" ] || fail "$tz: list --at '$start' (show's) finds flow '$first', not $i"
	done <starts
	TZ=$tz Q list | grep -q ' CE\?S\?T  \| [-+][0-9][0-9]:[0-9][0-9]  \| E[DS]T  ' ||
		{ TZ=$tz Q list; fail "$tz: no zone after a time of the repeated hour"; }
}
night_times Europe/Berlin 1792884600	# 01:30 CEST
night_times America/New_York 1793505600	# 00:00 EDT
night_times Australia/Lord_Howe 1775311200	# 01:00 +11, a zone whose abbreviations are offsets
say "list and show in the hour passed twice: each time tells its pass, and is read back"

# stats' gaps (ENOBUFS lines in the log: a gap at the event before) follow
# what it counts: with --at, the lives of the flows alive then; with --flow,
# that flow's; with --session, that session's; with --since/--until, the
# window. stats --at printed the gaps of the whole history.
DB=gaps.db
rm -f gaps.db*
gappy_log() {	# udp_log, with "GAP" lines as conntrack's ENOBUFS warning
	while read -r line; do
		if [ "$line" = GAP ]; then
			echo "WARNING: We have hit ENOBUFS! We are losing events."
		else
			echo "$line" | udp_log
		fi
	done
}
printf '%s\n' "1800000000.000000 NEW 1" "1800000010.000000 DESTROY 1" \
	"1800000050.000000 NEW 9" "1800000050.000000 DESTROY 9" GAP \
	"1800000100.000000 NEW 2" "1800000110.000000 DESTROY 2" "1800000140.000000 NEW 3" \
	"1800000150.000000 NEW 8" "1800000150.000000 DESTROY 8" GAP \
	"1800000160.000000 DESTROY 3" | gappy_log >gaps1.log
printf '%s\n' "1800000300.000000 NEW 4" GAP "1800000310.000000 DESTROY 4" | gappy_log >gaps2.log
"$BIN/ctrecord" --db "$DB" --import gaps1.log 2>/dev/null || fail "cannot import gaps1.log"
"$BIN/ctrecord" --db "$DB" --import gaps2.log 2>/dev/null || fail "cannot import gaps2.log"
stats_gaps() {	# stats_gaps N ARGS...: stats ARGS must say N gaps
	local want=$1 got
	shift
	got=$(Q stats "$@" | sed -n 's/^gaps: \([0-9]*\),.*/\1/p')
	[ "$got" = "$want" ] || fail "stats $*: $got gaps, not $want"
}
stats_gaps 3
stats_gaps 0 --at @1800000105		# flow 2, 100 to 110
stats_gaps 1 --at @1800000155		# flow 3, 140 to 160: the gap at 150
stats_gaps 0 --at @1800000005		# flow 1
stats_gaps 0 --at @1800000200		# none alive
stats_gaps 1 --at @1800000305		# flow 4
stats_gaps 0 --flow 3			# (entry 2: flows are numbered as first seen)
stats_gaps 1 --flow 4			# entry 3
stats_gaps 1 --since @1800000040 --until @1800000060
stats_gaps 0 --since @1800000060 --until @1800000140
stats_gaps 1 --at @1800000155 --until @1800000152
stats_gaps 0 --at @1800000155 --until @1800000149
stats_gaps 2 --session 1
stats_gaps 1 --session 2
stats_gaps 0 --session 2 --until @1800000200
say "stats: the gaps of what it counts (--at, --flow, --session, --since/--until)"

# conntrack -E -o ktimestamp's [start=...] [stop=...] (a DESTROY's; ctime(),
# local time without a zone) in the hour passed twice when summer time ends:
# each reading is the one the line's receive time (-o timestamp) tells, or
# without one the log's order. A log written in UTC (no hour passed twice)
# is the reference; replayed in Europe/Berlin's time and imported there, its
# flows must keep their kernel times. Flows of both passes, two across them.
ctime_utc() { TZ=UTC date -d "@$1" '+%a %b %e %H:%M:%S %Y'; }
ktime_flows() {	# "START DURATION" of each flow, 00:00 to 02:00 UTC on 25 Oct 2026
	local i
	for i in $(seq 0 11); do echo "$((1792886100 + i * 600)) 240"; done
	echo "1792886600 4000"	# 02:03 CEST to 02:10 CET
	echo "1792889400 1500"	# 02:50 CEST to 02:15 CET
}
n=0
ktime_flows | while read -r s d; do
	n=$((n + 1))
	printf '%d.000000 [%d.000000]\t    [NEW] udp      17 30 src=10.0.1.%d dst=192.168.0.1 sport=1000 dport=53 [UNREPLIED] src=192.168.0.1 dst=10.0.1.%d sport=53 dport=1000 id=%d\n' \
		"$s" "$s" "$n" "$n" "$n"
	printf '%d.000000 [%d.000000]\t[DESTROY] udp      17 src=10.0.1.%d dst=192.168.0.1 sport=1000 dport=53 src=192.168.0.1 dst=10.0.1.%d sport=53 dport=1000 delta-time=%d [start=%s] [stop=%s] id=%d\n' \
		"$((s + d))" "$((s + d))" "$n" "$n" "$d" "$(ctime_utc "$s")" "$(ctime_utc $((s + d)))" "$n"
done | sort -s -n -k1,1 | cut -d' ' -f2- >kts-utc.log
kernel_times() {	# the start_ns and stop_ns of each DESTROY, in flow order (by start)
	Q replay -o json -e DESTROY | sed -n 's/.*"flow":\([0-9]*\),.*"start_ns":\([0-9]*\),"stop_ns":\([0-9]*\).*/\1 \2 \3/p' |
		sort -n
}
DB=kts-utc.db
rm -f kts*.db*
TZ=UTC "$BIN/ctrecord" --db "$DB" --import kts-utc.log 2>/dev/null || fail "cannot import kts-utc.log"
kernel_times >kts-want
ktime_flows | sort -s -n -k1,1 | awk '{ printf "%d %d000000000 %d000000000\n", NR, $1, $1 + $2 }' >kts-ref
test_cmp kts-ref kts-want
TZ=Europe/Berlin Q replay -o timestamp,ktimestamp,id >kts-timed.log
TZ=Europe/Berlin Q replay -o ktimestamp,id >kts-untimed.log
grep -q 'start=Sun Oct 25 02:.*stop=Sun Oct 25 02:' kts-untimed.log || fail "no flow in the repeated hour"
for how in timed untimed; do
	DB=kts-$how.db
	TZ=Europe/Berlin "$BIN/ctrecord" --db "$DB" --import "kts-$how.log" 2>/dev/null ||
		fail "cannot import kts-$how.log"
	kernel_times >"kts-got-$how"
	test_cmp kts-want "kts-got-$how"
done
say "-o ktimestamp in the hour passed twice: each start and stop as the receive time or the log's order tells"

# Times typed in the hours summer time moves: one the clocks skipped is
# refused saying so (it was 'invalid time', as a typo is); one they passed
# twice is the first, with a warning that says which and how to choose the
# other (it was taken silently); a zone that is not the local one's then is
# refused.
DB=times.db
night_times Europe/Berlin 1792884600
r=0
TZ=Europe/Berlin Q list --since '2026-03-29 02:30' >out 2>err || r=$?
[ "$r" = 2 ] && [ ! -s out ] && grep -q "^ctquery: error: --since: '2026-03-29 02:30' is a local time the clocks skipped" err ||
	{ cat err; fail "--since in the hour skipped: not refused as such (exit $r)"; }
TZ=Europe/Berlin Q list -o csv --since '2026-10-25 02:15' >out 2>err || fail "--since in the hour passed twice failed"
grep -q "^ctquery: warning: --since: '2026-10-25 02:15' came twice .*: read as the first, 2026-10-25 02:15:00 CEST" err ||
	{ cat err; fail "--since in the hour passed twice: no warning"; }
[ "$(sed -n '2s/,.*//p' out)" = 3 ] || { cat out; fail "--since in the hour passed twice: not the first"; }
r=0
TZ=Europe/Berlin Q list --at '2026-07-01 12:00 CET' >out 2>err || r=$?
[ "$r" = 2 ] && grep -q "^ctquery: error: --at: '2026-07-01 12:00 CET': the local time zone (TZ) is not that" err ||
	{ cat err; fail "--at with a zone not the local one's: not refused (exit $r)"; }
say "times typed in the hours summer time moves: skipped refused, passed twice said, a wrong zone refused"
