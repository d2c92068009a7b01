#!/bin/bash
# t3300: ctquery stats --top, every --by and --sort, lists every group as awk counts them from the imported log (largest first, ties in key order), with more groups than the hash table's first size; by port, ICMP is one group and GRE keys are in hex. Output that cannot be written is an error.
set -eu
. "$(dirname "$0")/lib.sh"

require_built ctrecord ctquery
DB=$TMP/flows.db
LOG=$TMP/events.txt
N=6000

# Flows from 1500 sources (every tenth IPv6; more groups than the table's first size) to 50 destinations and 30
# ports, each with its own source port and its own packets and bytes, each
# a NEW then a DESTROY as conntrack -E prints them.
awk -v n=$N -v seed="${RANDOM}" 'BEGIN {
	srand(seed)
	for (i = 0; i < n; i++) {
		s = int(rand() * 1500); d = int(rand() * 50); p = 1000 + int(rand() * 30)
		if (s % 10 == 0) { src = sprintf("2001:db8::%x", s + 1); dst = sprintf("2001:db8:1::%x", d + 1) }
		else { src = sprintf("10.0.%d.%d", int(s / 250), s % 250 + 1); dst = sprintf("192.168.1.%d", d + 1) }
		sp = 20000 + i; po = 1 + int(rand() * 9); pr = int(rand() * 9)
		bo = po * (40 + int(rand() * 1400)); br = pr * (40 + int(rand() * 1400))
		printf "    [NEW] udp      17 30 src=%s dst=%s sport=%d dport=%d [UNREPLIED] src=%s dst=%s sport=%d dport=%d\n", src, dst, sp, p, dst, src, p, sp
		printf " [DESTROY] udp      17 src=%s dst=%s sport=%d dport=%d packets=%d bytes=%d src=%s dst=%s sport=%d dport=%d packets=%d bytes=%d\n", src, dst, sp, p, po, bo, dst, src, p, sp, pr, br
	}
}' >"$LOG"
"$BIN/ctrecord" --db "$DB" --import "$LOG" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"

# expected BY SORT: every group of the log's DESTROY lines, as ctquery
# prints them (largest first, ties by key in byte order).
expected() {
	awk -v by="$1" '$1 == "[DESTROY]" {
		for (i = 4; i <= NF; i++) { split($i, kv, "="); if (!(kv[1] in f)) f[kv[1]] = kv[2]; else if (kv[1] == "packets" || kv[1] == "bytes") f[kv[1] "2"] = kv[2] }
		if (by == "src") k = f["src"]; else if (by == "dst") k = f["dst"]
		else if (by == "sport") k = "udp/" f["sport"]; else if (by == "dport") k = "udp/" f["dport"]
		else if (by == "proto") k = "udp"; else k = f["src"] " -> " f["dst"]
		flows[k]++; pk[k] += f["packets"] + f["packets2"]; by_[k] += f["bytes"] + f["bytes2"]
		delete f
	} END { for (k in flows) printf "%s\t%d\t%d\t%d\n", k, flows[k], pk[k], by_[k] }' "$LOG" |
	LC_ALL=C sort -t "$(printf '\t')" -k "$2,$2nr" -k 1,1 |
	awk -F '\t' '{ printf "  %-44s %8s %10s %14s\n", $1, $2, $3, $4 }'
}
for by in src dst sport dport proto pair; do
	for sort in flows:2 packets:3 bytes:4; do
		expected "$by" "${sort#*:}" >"$TMP/want"
		"$BIN/ctquery" --db "$DB" stats --top 100000 --by "$by" --sort "${sort%:*}" |
			sed -n '/^top 100000:$/,$p' | tail -n +3 >"$TMP/got"
		[ -s "$TMP/want" ] || fail "no expected groups for --by $by"
		test_cmp "$TMP/want" "$TMP/got"
	done
done
say "stats --top (all groups), 6 keys x 3 orders over $N flows: equal to awk's count of the log"

# By port: a protocol without ports (ICMP) is one group, not port 0; GRE's
# keys are in hex, as conntrack prints them.
printf '%s\n' \
	'    [NEW] icmp     1 30 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=7' \
	'    [NEW] icmp     1 30 src=10.0.0.3 dst=10.0.0.2 type=8 code=0 id=9 [UNREPLIED] src=10.0.0.2 dst=10.0.0.3 type=0 code=0 id=9' \
	'    [NEW] gre      47 30 src=10.0.0.1 dst=10.0.0.2 srckey=0x1a dstkey=0x2b [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 srckey=0x2b dstkey=0x1a' \
	>"$TMP/noports.txt"
"$BIN/ctrecord" --db "$TMP/noports.db" --import "$TMP/noports.txt" 2>/dev/null || fail "import noports.txt failed"
for by in sport dport; do
	"$BIN/ctquery" --db "$TMP/noports.db" stats --by $by | awk '/^top/ { on = 1; next } on && $1 != "KEY" { print $1, $2 }' >"$TMP/got"
	want=$([ $by = sport ] && echo 0x1a || echo 0x2b)
	printf 'icmp/- 2\ngre/%s 1\n' "$want" | test_cmp - "$TMP/got"
done
say "stats --by sport/dport: ICMP one group without a port, GRE keys in hex"

# Sums of counters past 2^64 are exact, and sort as such: 2^64 - 1 is the
# largest counter a log can hold. udp/53: packets (2^64 - 1) * 2 + 2 and
# bytes (2^64 - 1) + 1 + (2^64 - 1) + 1, both 2^65; udp/54: 2^64 - 1 bytes;
# udp/55: 10^18 bytes (a nine-digit run of zeros inside). A sum kept in 64
# bits wrapped: udp/53 printed 0 bytes and sorted last.
M=18446744073709551615
big() {	# big SPORT DPORT PACKETS_O BYTES_O PACKETS_R BYTES_R
	printf '    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=%s dport=%s [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=%s dport=%s\n' "$1" "$2" "$2" "$1"
	printf ' [DESTROY] udp      17 src=10.0.0.1 dst=10.0.0.2 sport=%s dport=%s packets=%s bytes=%s src=10.0.0.2 dst=10.0.0.1 sport=%s dport=%s packets=%s bytes=%s\n' "$1" "$2" "$3" "$4" "$2" "$1" "$5" "$6"
}
{ big 1000 53 $M $M $M 1; big 1001 53 2 $M 0 1; big 1002 54 1 $M 0 0; big 1003 55 1 1000000000000000000 0 0; } >"$TMP/big.txt"
"$BIN/ctrecord" --db "$TMP/big.db" --import "$TMP/big.txt" 2>/dev/null || fail "import big.txt failed"
for sort in bytes packets; do
	"$BIN/ctquery" --db "$TMP/big.db" stats --by dport --sort $sort |
		awk '/^top/ { on = 1; next } on && $1 != "KEY" { print $1, $2, $3, $4 }' >"$TMP/got"
	# (by packets, udp/54 and udp/55 tie: in key order)
	printf '%s\n' "udp/53 2 36893488147419103232 36893488147419103232" \
		"udp/54 1 1 $M" "udp/55 1 1 1000000000000000000" | test_cmp - "$TMP/got"
done
say "stats --top: sums past 2^64 exact and in order (2^65, 2^64 - 1, 10^18)"

# The span: from the earliest start to the latest event, of every flow
# (summed by protocol and state) or of those a filter passes (flow by flow),
# whichever of them comes first. TCP 0 s to 30 s; UDP 10 s to 20 s, then
# 5 s to 8 s.
T0=1700000000
{
	printf '[%d.000000]\t    [NEW] tcp      6 120 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000\n' $T0
	printf '[%d.000000]\t    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.3 sport=5001 dport=53 [UNREPLIED] src=10.0.0.3 dst=10.0.0.1 sport=53 dport=5001\n' $((T0 + 10))
	printf '[%d.000000]\t    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.3 sport=5002 dport=53 [UNREPLIED] src=10.0.0.3 dst=10.0.0.1 sport=53 dport=5002\n' $((T0 + 5))
	printf '[%d.000000]\t[DESTROY] udp      17 src=10.0.0.1 dst=10.0.0.3 sport=5002 dport=53 [UNREPLIED] src=10.0.0.3 dst=10.0.0.1 sport=53 dport=5002\n' $((T0 + 8))
	printf '[%d.000000]\t[DESTROY] udp      17 src=10.0.0.1 dst=10.0.0.3 sport=5001 dport=53 [UNREPLIED] src=10.0.0.3 dst=10.0.0.1 sport=53 dport=5001\n' $((T0 + 20))
	printf '[%d.000000]\t[DESTROY] tcp      6 src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000\n' $((T0 + 30))
} >"$TMP/span.log"
"$BIN/ctrecord" --db "$TMP/span.db" --import "$TMP/span.log" 2>"$TMP/imp.err" ||
	fail "import of span.log failed: $(cat "$TMP/imp.err")"
# span FROM TO: the line for seconds FROM to TO after T0, in local time
span() { echo "span: $(date -d "@$((T0 + $1))" '+%F %T') .. $(date -d "@$((T0 + $2))" '+%F %T') ($(($2 - $1))s)"; }
got=$("$BIN/ctquery" --db "$TMP/span.db" stats | grep '^span:')
[ "$got" = "$(span 0 30)" ] || fail "stats: '$got', not '$(span 0 30)'"
got=$("$BIN/ctquery" --db "$TMP/span.db" stats -p udp | grep '^span:')
[ "$got" = "$(span 5 20)" ] || fail "stats -p udp: '$got', not '$(span 5 20)'"
say "stats' span: from the earliest start to the latest event, filtered or not"
# With --since or --until the span is the window asked, clipped to the
# history (0 s to 30 s), not the lives of the flows counted (the TCP flow's
# 0 s to 30 s, the UDP one's 10 s to 20 s); a window outside it has none.
for w in "12 25|12 25" "-100 15|0 15" "25 -|25 30" "- 40|0 30" "-100 100|0 30"; do
	win=${w%|*} want=${w#*|}
	set -- $win
	args=()
	[ "$1" = - ] || args+=(--since "@$((T0 + $1))")
	[ "$2" = - ] || args+=(--until "@$((T0 + $2))")
	got=$("$BIN/ctquery" --db "$TMP/span.db" stats "${args[@]}" | grep '^span:')
	[ "$got" = "$(span $want)" ] || fail "stats ${args[*]}: '$got', not '$(span $want)'"
	got=$("$BIN/ctquery" --db "$TMP/span.db" stats -p udp "${args[@]}" | grep '^span:')
	[ "$got" = "$(span $want)" ] || fail "stats -p udp ${args[*]}: '$got', not '$(span $want)'"
done
got=$("$BIN/ctquery" --db "$TMP/span.db" stats --since "@$((T0 + 40))" | grep '^span:' || true)
[ -z "$got" ] || fail "stats --since after the history: '$got'"
# --flow asks for a flow's life: its part in the window (flow 1: 0 s to 30 s)
got=$("$BIN/ctquery" --db "$TMP/span.db" stats --flow 1 --since "@$((T0 + 12))" | grep '^span:')
[ "$got" = "$(span 12 30)" ] || fail "stats --flow 1 --since: '$got', not '$(span 12 30)'"
say "stats --since/--until: the span is the window, clipped to the history"

# Output that cannot be written is an error (exit 1, one line), as for replay and list.
for cmd in "stats" "stats --top 5 --by src" "sessions" "show 1"; do
	rc=0
	# shellcheck disable=SC2086
	err=$("$BIN/ctquery" --db "$DB" $cmd 2>&1 >/dev/full) || rc=$?
	[ "$rc" = 1 ] && [ "$err" = "ctquery: error: cannot write the output: No space left on device" ] ||
		fail "ctquery $cmd >/dev/full: exit $rc, '$err'"
done
say "stats, sessions and show into a full disk: exit 1, 'cannot write the output'"
