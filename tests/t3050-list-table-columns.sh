#!/bin/bash
# t3050: list's table lines its columns up for any mix of rows: IPv6 tuples of 39-character addresses and 5-digit ports, ICMPv6, IPv4, large counters, recorded live and imported; past the rows it holds to measure (1000), as wide as the longest tuple of each shape held, so a long row of such a shape after them lines up too; a table of IPv4 rows keeps the widths it had (45 for a tuple), and the whitespace-separated fields scripts read.
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord ctquery trafficgen

# aligned FILE: every row of the table in FILE has each cell where its title
# is in the header (left-aligned: its first character under the title's, a
# space before; DURATION right-aligned: its last under the title's last).
aligned() {
	awk 'NR == 1 {
		n = split("START DURATION PROTO ORIGINAL REPLY STATE PACKETS(o/r) BYTES(o/r) FLOW LABELS", t, " ")
		for (i = 1; i <= n; i++) {
			p[i] = index($0, t[i])
			if (!p[i]) { n = i - 1; break }
		}
		if (n < 9) { print "no header: " $0; bad = 1; exit }
		e = p[2] + length(t[2]) - 1
		next
	}
	{
		if (substr($0, e, 1) == " " || substr($0, e + 1, 1) != " ")
			{ print "DURATION not under its title: " $0; bad = 1 }
		for (i = 3; i <= n; i++)
			if (substr($0, p[i] - 1, 1) != " " || substr($0, p[i], 1) == " ")
				{ print t[i] " not under its title: " $0; bad = 1 }
	}
	END { exit bad }' "$1"
}

netns_setup
A=fd00:1234:5678:9abc:def0:1234:5678:9abc
Z=fd00:1234:5678:9abc:def0:1234:5678:9abd
in_ns ip addr add "$A/64" dev lo nodad
in_ns ip addr add "$Z/64" dev lo nodad
start_recorder rec "$TMP/rec.err" --db "$TMP/flows.db"
in_ns "$BIN/trafficgen" tcp 127.0.0.1 5000 1
in_ns "$BIN/trafficgen" tcp "$Z" 44321 2
in_ns "$BIN/trafficgen" udp "$A" 54321 1
in_ns "$BIN/trafficgen" udp 127.0.0.1 5002 1
in_ns ping -6 -c1 -W2 -I "$A" "$Z" >/dev/null || fail "ping $Z failed"
in_ns ping -c1 -W2 127.0.0.1 >/dev/null || fail "ping 127.0.0.1 failed"
wait_until 10 eval "'$BIN/ctquery' --db '$TMP/flows.db' list -p icmpv6 | grep -q 'type=128'" ||
	fail "the ICMPv6 flow was not recorded"
stop_recorder rec

"$BIN/ctquery" --db "$TMP/flows.db" list >"$TMP/live" || fail "list failed"
grep -q "\[$Z\]:44321->" "$TMP/live" || fail "no IPv6 flow of 39-character addresses: $(cat "$TMP/live")"
grep -q "^.* icmpv6 *$A->$Z type=128 " "$TMP/live" || fail "no ICMPv6 flow: $(cat "$TMP/live")"
[ "$(grep -c ' 127\.0\.0\.1:' "$TMP/live")" = 2 ] || fail "not two IPv4 flows: $(cat "$TMP/live")"
aligned "$TMP/live" || fail "list's columns do not line up: $(cat "$TMP/live")"
"$BIN/ctquery" --db "$TMP/flows.db" list -o labels >"$TMP/live.labels" 2>/dev/null || fail "list -o labels failed"
aligned "$TMP/live.labels" || fail "list -o labels: the columns do not line up: $(cat "$TMP/live.labels")"
# the fields scripts split on whitespace are the same: DURATION, PROTO, STATE, ... FLOW
awk 'NR > 1 && $5 !~ /->/ { print "ORIGINAL is not field 5: " $0; bad = 1 }
     NR > 1 && $NF !~ /^[0-9]+$/ { print "FLOW is not the last field: " $0; bad = 1 } END { exit bad }' \
	<(grep -v icmp "$TMP/live") || fail "list's fields moved"
say "recorded: IPv6 (39-character addresses, 5-digit ports), ICMPv6 and IPv4 rows line up"

# A table of IPv4 rows has the widths it had before (a tuple with ports 45).
"$BIN/ctquery" --db "$TMP/flows.db" list -f ipv4 -p tcp >"$TMP/v4"
printf '%-19s %9s %-6s %-45s %-45s %-11s %-12s %-10s %s\n' START DURATION PROTO ORIGINAL REPLY \
	STATE 'PACKETS(o/r)' 'BYTES(o/r)' FLOW | diff - <(head -1 "$TMP/v4") ||
	fail "an IPv4 table's columns changed: $(cat "$TMP/v4")"
aligned "$TMP/v4" || fail "the IPv4 table does not line up: $(cat "$TMP/v4")"

# Past the 1000 rows measured: the longest tuple of each shape held (IPv6
# with ports, ICMPv6: short ones among the first rows), so that a long one
# after them lines up; 1100 IPv4 flows between; large counters among the
# first (a larger counter past them would be wider than its column).
T0=1700000000
awk -v t0=$T0 -v a=$A -v z=$Z 'BEGIN {
	printf("[%d.000000]\t    [NEW] tcp      6 120 SYN_SENT src=fd00::1 dst=fd00::2 sport=1 dport=2 [UNREPLIED] src=fd00::2 dst=fd00::1 sport=2 dport=1\n", t0)
	printf("[%d.000000]\t    [NEW] icmpv6   58 30 src=fd00::1 dst=fd00::2 type=128 code=0 id=1 [UNREPLIED] src=fd00::2 dst=fd00::1 type=129 code=0 id=1\n", t0)
	printf("[%d.000000]\t    [NEW] udp      17 30 src=10.2.0.1 dst=10.1.0.1 sport=7 dport=53 [UNREPLIED] src=10.1.0.1 dst=10.2.0.1 sport=53 dport=7\n", t0)
	for (i = 0; i < 1100; i++)
		printf("[%d.000000]\t    [NEW] udp      17 30 src=10.0.%d.%d dst=10.1.0.1 sport=%d dport=53 [UNREPLIED] src=10.1.0.1 dst=10.0.%d.%d sport=53 dport=%d\n",
		       t0 + 1 + i, int(i / 250), i % 250 + 1, 1024 + i, int(i / 250), i % 250 + 1, 1024 + i)
	printf("[%d.000000]\t    [NEW] tcp      6 120 SYN_SENT src=%s dst=%s sport=54321 dport=44321 [UNREPLIED] src=%s dst=%s sport=44321 dport=54321\n", t0 + 2000, a, z, z, a)
	printf("[%d.000000]\t    [NEW] icmpv6   58 30 src=%s dst=%s type=128 code=0 id=65535 [UNREPLIED] src=%s dst=%s type=129 code=0 id=65535\n", t0 + 2001, a, z, z, a)
	printf("[%d.000000]\t[DESTROY] udp      17 src=10.2.0.1 dst=10.1.0.1 sport=7 dport=53 packets=123456789012 bytes=98765432101234 src=10.1.0.1 dst=10.2.0.1 sport=53 dport=7 packets=5 bytes=7\n", t0 + 999999)
}' >"$TMP/many.log"
"$BIN/ctrecord" --db "$TMP/many.db" --import "$TMP/many.log" 2>"$TMP/imp.err" ||
	fail "import failed: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$TMP/many.db" list >"$TMP/many" || fail "list failed"
[ "$(wc -l <"$TMP/many")" = 1106 ] || fail "list: $(wc -l <"$TMP/many") lines, not 1106"
sed -n 4p "$TMP/many" | grep -q "123456789012/5 *98765432101234/7 " || fail "no large counters: $(sed -n 4p "$TMP/many")"
tail -2 "$TMP/many" | grep -q "\[$A\]:54321->\[$Z\]:44321" || fail "no long IPv6 row last: $(tail -2 "$TMP/many")"
aligned "$TMP/many" || fail "list of 1105 flows: the columns do not line up: $(tail -4 "$TMP/many")"
# the IPv4 flows alone: the IPv4 table's widths, whatever comes past 1000 rows
"$BIN/ctquery" --db "$TMP/many.db" list -f ipv4 --where 'id >= 4 AND id <= 1103' | head -1 | diff - <(head -1 "$TMP/v4") ||
	fail "1100 IPv4 flows: not the IPv4 table's widths"
say "1105 imported flows: long IPv6 and ICMPv6 rows past the 1000 measured line up with the short ones held"
