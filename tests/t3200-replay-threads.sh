#!/bin/bash
# t3200: replay formatted on several threads (query/parformat.c) prints byte for byte what one thread prints, in the same order, for every -o.
#
# Needs no root and no namespace. A generated log of about 62000 events
# (TCP/UDP/ICMP over IPv4 and IPv6, counters, -o ktimestamp start/stop, marks,
# zones, a helper, [USERSPACE] suffixes) is imported, which is well over a
# hundred of parformat's batches; then every output is compared between
# CTQUERY_THREADS=1 (formatting on one thread, the store read ahead on another)
# and 2, 3 and 4 formatting threads. Only XML with -o labels still formats
# on several threads (the rest is written faster than the store is read, on
# one: those comparisons guard that choice). The library keeps a static
# buffer for IPv6 addresses in XML, so those events take turns: they are run
# a few times, as a race shows only sometimes. Swapping two batches, or
# formatting them without taking turns, makes this test fail.
set -eu
. "$(dirname "$0")/lib.sh"

require_built ctrecord ctquery
export TZ=UTC	# [start=...] in the log and in the replay: the same zone
DB=$TMP/flows.db
q() { "$BIN/ctquery" --db "$DB" "$@"; }

# FLOWS flows of 2 to 4 events, as conntrack -E -o extended,timestamp,id[,ktimestamp] prints them.
gen_log() {
	awk -v FLOWS="$1" '
	function addr(v6, net, host) {
		return v6 ? sprintf("2001:db8:%x::%x", net, host) : \
			sprintf("10.%d.%d.%d", net % 256, int(host / 256) % 256, host % 256)
	}
	function line(type, body) {
		t += 1 + int(rand() * 3000)
		printf "[%d.%06d]\t%9s %s\n", int(t / 1000000), t % 1000000, "[" type "]", body
	}
	function ctime(s) { return strftime("%a %b %d %H:%M:%S %Y", s) }
	BEGIN {
		srand(7)
		t = 1700000000 * 1000000
		for (f = 0; f < FLOWS; f++) {
			v6 = rand() < 0.25
			l3 = v6 ? "ipv6     10" : "ipv4     2"
			r = rand()
			proto = r < 0.45 ? "tcp" : r < 0.9 ? "udp" : "icmp"
			s = addr(v6, 1 + f % 200, 1 + int(rand() * 60000))
			d = addr(v6, 2, 1 + f % 5000)
			sp = 1024 + int(rand() * 60000)
			dp = f % 3 == 0 ? 443 : 1 + int(rand() * 65000)
			id = sprintf("%d", 1 + int(rand() * 4000000000))
			tail = ""
			if (rand() < 0.1) tail = tail " mark=" int(rand() * 100)
			if (rand() < 0.05) tail = tail " zone=" int(rand() * 10)
			if (proto == "icmp") {
				if (v6) { l4 = "icmpv6   58"; ty = 128; ry = 129 } else { l4 = "icmp     1"; ty = 8; ry = 0 }
				o = "src=" s " dst=" d " type=" ty " code=0 id=" sp
				q = "src=" d " dst=" s " type=" ry " code=0 id=" sp
				line("NEW", l3 " " l4 " 30 " o " [UNREPLIED] " q tail " id=" id)
				line("DESTROY", l3 " " l4 " " o " packets=1 bytes=84 " q " packets=1 bytes=84" tail " id=" id)
				continue
			}
			o = "src=" s " dst=" d " sport=" sp " dport=" dp
			q = "src=" d " dst=" s " sport=" dp " dport=" sp
			help = proto == "tcp" && rand() < 0.03 ? " helper=ftp" : ""
			if (proto == "tcp") {
				l4 = "tcp      6"
				line("NEW", l3 " " l4 " 120 SYN_SENT " o " [UNREPLIED] " q tail help " id=" id)
				line("UPDATE", l3 " " l4 " 60 SYN_RECV " o " " q tail help " id=" id)
				line("UPDATE", l3 " " l4 " 432000 ESTABLISHED " o " " q " [ASSURED]" tail help " id=" id)
			} else {
				l4 = "udp      17"
				line("NEW", l3 " " l4 " 30 " o " [UNREPLIED] " q tail " id=" id)
				if (rand() < 0.5) line("UPDATE", l3 " " l4 " 30 " o " " q tail " id=" id)
			}
			ts = ""
			if (rand() < 0.6) {
				now = int(t / 1000000)
				st = now - int(rand() * 5)
				ts = " delta-time=" now - st " [start=" ctime(st) "] [stop=" ctime(now) "]"
			}
			us = rand() < 0.1 ? " [USERSPACE] portid=" int(rand() * 100000) " progname=conntrack" : ""
			pk = 1 + int(rand() * 50)
			line("DESTROY", l3 " " l4 " " o " packets=" pk " bytes=" pk * 60 " " q " packets=" pk - 1 \
			     " bytes=" (pk - 1) * 1400 (proto == "tcp" ? " [ASSURED]" : "") tail ts help " id=" id us)
		}
	}'
}

say "a log of 20000 flows, imported"
gen_log 20000 >"$TMP/log.txt"
n=$(wc -l <"$TMP/log.txt")
[ "$n" -gt 50000 ] || fail "the generated log has only $n lines"
"$BIN/ctrecord" --db "$DB" --import "$TMP/log.txt" 2>"$TMP/imp.err" ||
	fail "import failed: $(cat "$TMP/imp.err")"

say "one thread replays the log as it was (the reference is right)"
CTQUERY_THREADS=1 q replay -o extended,timestamp,id,ktimestamp >"$TMP/one.txt"
test_cmp "$TMP/log.txt" "$TMP/one.txt"

# compare NAME RUNS ARGS...: the output of ctquery replay ARGS with 2, 3 and
# 4 formatting threads (2 of them RUNS times) equals that of one thread.
compare() {
	local name=$1 runs=$2 t i what
	shift 2
	what="replay${*:+ $*}"
	CTQUERY_THREADS=1 q replay "$@" >"$TMP/$name.1" 2>"$TMP/$name.err1" ||
		fail "$what failed: $(cat "$TMP/$name.err1")"
	[ -s "$TMP/$name.1" ] || fail "$what printed nothing"
	for t in 2 3 4; do
		for i in $(seq "$runs"); do
			[ "$t" = 2 ] || [ "$i" = 1 ] || break
			CTQUERY_THREADS=$t q replay "$@" >"$TMP/$name.$t" 2>"$TMP/$name.err" ||
				fail "$what with $t threads failed: $(cat "$TMP/$name.err")"
			cmp -s "$TMP/$name.err1" "$TMP/$name.err" ||
				fail "$what with $t threads said: $(cat "$TMP/$name.err")"
			cmp -s "$TMP/$name.1" "$TMP/$name.$t" || {
				diff "$TMP/$name.1" "$TMP/$name.$t" | head -n 6
				fail "$what with $t threads differs from one thread (run $i)"
			}
		done
	done
	say "  $name: $(wc -l <"$TMP/$name.1") lines, the same on 1 to 4 threads"
}

say "every output, on 1 to 4 threads"
compare text 1
compare extended_id 1 -o extended,id
compare xml 3 -o xml
compare ktimestamp 3 -o extended,id,ktimestamp
compare xml_all 2 -o xml,timestamp,id,ktimestamp
compare timestamp 1 -o timestamp,extended
compare json 1 -o json
compare xml6 3 -o xml -f ipv6
compare limit 1 -o extended --limit 12345
compare filtered 1 -p tcp -e DESTROY -o xml,id
# With -o labels every XML line goes through the library, on several threads
# (without a label map it prints no labels, and warns once whatever the threads).
compare xml_labels 3 -o xml,labels,id
compare xml6_labels 3 -o xml,labels -f ipv6
[ "$(wc -l <"$TMP/limit.1")" = 12345 ] || fail "--limit 12345 printed $(wc -l <"$TMP/limit.1") lines"
[ "$(head -n 2 "$TMP/xml.2" | tr '\n' '|')" = '<?xml version="1.0" encoding="utf-8"?>|<conntrack>|' ] ||
	fail "the XML header is not first: $(head -n 2 "$TMP/xml.2")"
[ "$(tail -n 1 "$TMP/xml.2")" = "</conntrack>" ] || fail "the XML footer is not last"

say "nothing selected prints nothing, also in XML"
CTQUERY_THREADS=2 q replay -o xml -p sctp >"$TMP/none.xml"
[ ! -s "$TMP/none.xml" ] || fail "an empty replay printed: $(head -c 200 "$TMP/none.xml")"

if command -v sqlite3 >/dev/null 2>&1; then
	say "a damaged block: the same events before it, the same error, exit status 1"
	sqlite3 "$DB" ".backup '$TMP/bad.db'"
	sqlite3 "$TMP/bad.db" "UPDATE event_data SET data = substr(data, 1, length(data) / 2)
			       WHERE id = (SELECT min(id) + 7 FROM event_data)"
	for t in 1 2 3; do
		if CTQUERY_THREADS=$t "$BIN/ctquery" --db "$TMP/bad.db" replay -o xml \
			>"$TMP/bad.$t" 2>"$TMP/bad.$t.err"; then
			fail "a damaged block replayed without an error on $t threads"
		fi
		grep -q "damaged" "$TMP/bad.$t.err" || fail "no clear error: $(cat "$TMP/bad.$t.err")"
	done
	n=$(wc -l <"$TMP/bad.1")
	[ "$n" -gt 1000 ] && [ "$n" -lt "$(wc -l <"$TMP/xml.1")" ] ||
		fail "the damaged block is not in the middle ($n lines)"
	test_cmp "$TMP/bad.1" "$TMP/bad.2"
	test_cmp "$TMP/bad.1" "$TMP/bad.3"
	test_cmp "$TMP/bad.1.err" "$TMP/bad.2.err"
else
	say "sqlite3 not found: the damaged block case is left out"
fi

say "a bad CTQUERY_THREADS is a warning, not a failure"
CTQUERY_THREADS=lots q replay --limit 3 >"$TMP/bad.out" 2>"$TMP/bad.err" ||
	fail "replay failed with CTQUERY_THREADS=lots"
grep -q "CTQUERY_THREADS" "$TMP/bad.err" || fail "no warning: $(cat "$TMP/bad.err")"
[ "$(wc -l <"$TMP/bad.out")" = 3 ] || fail "CTQUERY_THREADS=lots: not 3 lines"
exit 0
