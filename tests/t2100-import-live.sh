#!/bin/bash
# t2100: logs that `conntrack -E` wrote live, imported with ctrecord --import, replay byte for byte, and match what ctrecord recorded beside them.
#
# One namespace; side by side: ctrecord --db live.db, `conntrack -E -o xml,id`
# (a.xml) and `conntrack -E -o extended,timestamp,id` (b.log), over real traffic
# (TCP/UDP over IPv4 and IPv6, ICMP, ICMPv6, a marked, a zoned and a DNAT'ed
# flow) that ends by itself: no conntrack -D/-F, whose [USERSPACE] progname is
# read from /proc and races with the deleting process's exit.
#
# Then a.xml goes into a.db and b.log into b.db, and:
#  1. a.db replays a.xml (-o xml,id) and b.db replays b.log
#     (-o extended,timestamp,id) byte for byte: each log holds everything its
#     own format prints.
#  2. Across formats, each import against the live recording, whole lines,
#     except for two things a log cannot hold, which are compared apart:
#     a.db -o extended,id = live.db -o extended,id:
#       - ICMP/ICMPv6 type=, code=, id= of both tuples: the XML formatter of
#         libnetfilter_conntrack 1.0.9 prints an empty <layer4> for ICMP, so
#         a.xml never had them (the import stores 0s). Masked on both sides.
#       - delta-time=: the text prints stop/1e9 - start/1e9 (each truncated),
#         the XML's <deltatime> is (stop - start)/1e9 truncated, and <timestamp>
#         (the ns values) only comes with -o ktimestamp; so the live text can
#         be one more than what a.xml allows: checked as live - a in {0, 1}.
#     b.db -o xml,id = live.db -o xml,id:
#       - <deltatime>: the same rounding, the other way round: the import
#         rebuilds start/stop exactly delta-time apart, so b - live in {0, 1}.
#       ICMP is no trouble here: the text has the values, the XML omits them.
#     Receive times play no part: neither comparison prints them (no -o
#     timestamp); they differ (the text log has them to the µs, the XML log not
#     at all, and its import stores them at the import's time).
# shellcheck disable=SC2016,SC2317 # awk scripts, functions called through wait_until
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ping
require_built ctrecord ctquery trafficgen
TG=$BIN/trafficgen
Q() { db=$1; shift; "$BIN/ctquery" --db "$TMP/$db" "$@"; }

netns_setup
netns_mark_zone_nat

start_recorder rec "$TMP/rec.err" --db "$TMP/live.db"
nsub=$(( $(nsubscribed) + 2 ))
start_bg xml conntrack -E -o xml,id >"$TMP/a.xml" 2>"$TMP/a.err"
start_bg txt conntrack -E -o extended,timestamp,id >"$TMP/b.log" 2>"$TMP/b.err"
subscribed() { [ "$(nsubscribed)" -ge "$nsub" ]; }
wait_until 10 subscribed || fail "conntrack -E listeners did not subscribe"

say "generating traffic"
mixed_traffic 2
sleep 2.5
# Expired entries go lazily; a table dump evicts them (a dump makes no events).
in_ns conntrack -L >/dev/null 2>&1 || true

count() { grep -c -- "$1" "$2" || true; }
complete() {
	local n
	n=$(count '\[NEW\]' "$TMP/b.log")
	[ "$n" -gt 0 ] && [ "$(count '\[DESTROY\]' "$TMP/b.log")" = "$n" ] &&
		[ "$(count '<flow type="destroy">' "$TMP/a.xml")" = "$n" ]
}
wait_until 20 complete || fail "DESTROY events missing: $(count NEW "$TMP/b.log") NEW, $(count DESTROY "$TMP/b.log") DESTROY"
sleep 0.5
stop_recorder rec 10
stop_bg xml INT 5 || fail "conntrack -E -o xml,id ignored SIGINT"
stop_bg txt INT 5 || fail "conntrack -E -o extended,timestamp,id ignored SIGINT"
[ "$(tail -n1 "$TMP/a.xml")" = "</conntrack>" ] || fail "a.xml lacks </conntrack>"
nev=$(wc -l <"$TMP/b.log")
[ "$(count '<flow ' "$TMP/a.xml")" = "$nev" ] || fail "the two logs disagree: $nev text lines, $(count '<flow ' "$TMP/a.xml") XML flows"

# The traffic must have produced what this test claims to cover.
has() { grep -Eq -- "$1" "$TMP/b.log" || fail "b.log has no event matching /$1/"; }
has '\[NEW\] ipv6 +10 tcp +6 '
has '\[NEW\] ipv6 +10 udp +17 '
has '\[NEW\] ipv4 +2 icmp +1 '
has '\[NEW\] ipv6 +10 icmpv6 +58 '
has ' mark=42 '
has ' zone=7 '
has 'dport=5006 .*src=127\.0\.0\.1 dst=127\.0\.0\.1 sport=5007 dport='
has '\[DESTROY\] .* packets=[0-9]+ bytes=[0-9]+ .*delta-time=[0-9]+ id=[0-9]+$'
say "logs: $nev events ($(count '\[NEW\]' "$TMP/b.log") flows)"

say "import both logs"
"$BIN/ctrecord" --db "$TMP/a.db" --import "$TMP/a.xml" 2>"$TMP/imp-a.err" || fail "import of a.xml failed: $(cat "$TMP/imp-a.err")"
"$BIN/ctrecord" --db "$TMP/b.db" --import "$TMP/b.log" 2>"$TMP/imp-b.err" || fail "import of b.log failed: $(cat "$TMP/imp-b.err")"

say "1. each import replays its own log byte for byte"
Q a.db replay -o xml,id >"$TMP/a.replay"
test_cmp "$TMP/a.xml" "$TMP/a.replay"
Q b.db replay -o extended,timestamp,id >"$TMP/b.replay"
test_cmp "$TMP/b.log" "$TMP/b.replay"

say "2. across formats, against the live recording"
# mask_text FILE: ICMP tuple fields and delta-time masked; the delta-times
# (or "-") one a line go to FILE.delta.
mask_text() {
	sed -E -e 's/type=[0-9]+ code=[0-9]+ id=[0-9]+ /type=? code=? id=? /g' \
		-e 's/delta-time=[0-9]+/delta-time=?/' "$1" >"$1.masked"
	sed -E -e 's/.*delta-time=([0-9]+).*/\1/;t' -e 's/.*/-/' "$1" >"$1.delta"
}
mask_xml() {
	sed -E 's|<deltatime>[0-9]+</deltatime>|<deltatime>?</deltatime>|' "$1" >"$1.masked"
	sed -E -e 's|.*<deltatime>([0-9]+)</deltatime>.*|\1|;t' -e 's/.*/-/' "$1" >"$1.delta"
}
# delta_within A B: each line's delta-time in B is the one in A, or one more.
delta_within() {
	paste -d' ' "$1.delta" "$2.delta" | awk -v a="$1" -v b="$2" '
		($1 == "-") != ($2 == "-") || ($1 != "-" && ($2 < $1 || $2 > $1 + 1)) {
			print "line " NR ": delta " $1 " in " a ", " $2 " in " b; bad = 1 }
		$1 != "-" { n++ } END { if (!n) { print "no delta-time at all"; bad = 1 } exit bad }' ||
		fail "delta-times of $2 are not those of $1 or one more"
}
Q live.db replay -o extended,id >"$TMP/live.ext"
Q a.db replay -o extended,id >"$TMP/a.ext"
[ "$(wc -l <"$TMP/live.ext")" = "$nev" ] || fail "live.db replays $(wc -l <"$TMP/live.ext") events, the logs hold $nev"
mask_text "$TMP/live.ext"
mask_text "$TMP/a.ext"
test_cmp "$TMP/live.ext.masked" "$TMP/a.ext.masked"
delta_within "$TMP/a.ext" "$TMP/live.ext"
say "a.db and live.db, -o extended,id: equal but for ICMP tuple fields and delta-time (+0/+1)"

Q live.db replay -o xml,id >"$TMP/live.xml"
Q b.db replay -o xml,id >"$TMP/b.xml"
mask_xml "$TMP/live.xml"
mask_xml "$TMP/b.xml"
test_cmp "$TMP/live.xml.masked" "$TMP/b.xml.masked"
delta_within "$TMP/live.xml" "$TMP/b.xml"
say "b.db and live.db, -o xml,id: equal but for <deltatime> (+0/+1)"
say "compared $nev events in 4 ways"
exit 0
