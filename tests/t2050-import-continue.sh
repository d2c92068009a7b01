#!/bin/bash
# t2050: a log imported in parts keeps its flows whole: a grown text log continues the flows its earlier import left open (one flow per connection, each event once, ended by its DESTROY), so does a rotated log or a tail from stdin with --continue (without it, today's two flows); --continue without --import is refused; duplicates are still refused, --force still imports whole, a grown log from stdin is still refused; a grown XML log continues too, inside its document or after it, also where what it grew by begins with blank lines or its import read a last line without its end, with errors at the file's line numbers.
set -eu
. "$(dirname "$0")/lib.sh"

require_cmd sqlite3
require_built ctrecord ctquery

# tcp EVENT TIME FIELDS...: a line of conntrack -E -o extended,timestamp,id
# for the TCP entry 10.0.0.1:40000 -> 10.0.0.2:80 (id 1); udp PORT ID EVENT
# TIME: a UDP entry 10.0.0.1:PORT -> 10.0.0.3:53.
tcp() {
	case $1 in
	NEW)	printf '[%s]\t    [NEW] ipv4     2 tcp      6 120 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 id=1\n' "$2" ;;
	UPDATE)	printf '[%s]\t [UPDATE] ipv4     2 tcp      6 60 SYN_RECV src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 id=1\n' "$2" ;;
	DESTROY) printf '[%s]\t[DESTROY] ipv4     2 tcp      6 src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 packets=3 bytes=180 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 packets=2 bytes=120 [ASSURED] delta-time=3 id=1\n' "$2" ;;
	esac
}
udp() {
	case $3 in
	NEW)	printf '[%s]\t    [NEW] ipv4     2 udp      17 30 src=10.0.0.1 dst=10.0.0.3 sport=%s dport=53 [UNREPLIED] src=10.0.0.3 dst=10.0.0.1 sport=53 dport=%s id=%s\n' "$4" "$1" "$1" "$2" ;;
	DESTROY) printf '[%s]\t[DESTROY] ipv4     2 udp      17 src=10.0.0.1 dst=10.0.0.3 sport=%s dport=53 [UNREPLIED] src=10.0.0.3 dst=10.0.0.1 sport=53 dport=%s id=%s\n' "$4" "$1" "$1" "$2" ;;
	esac
}
# The first part: the TCP entry opens, a UDP one opens and ends, another
# UDP one opens (its DESTROY lost: the kernel reuses its id and tuple later).
{
	tcp NEW 1700000000.000001
	udp 5000 2 NEW 1700000000.100000
	udp 5000 2 DESTROY 1700000000.200000
	udp 6000 3 NEW 1700000000.300000
} >"$TMP/part1.log"
# What follows: the TCP entry goes on and ends; the UDP entry's tuple and id
# come again.
{
	tcp UPDATE 1700000000.500000
	udp 6000 3 NEW 1700000001.000000
	tcp DESTROY 1700000003.000000
} >"$TMP/part2.log"
cat "$TMP/part1.log" "$TMP/part2.log" >"$TMP/whole.log"
flows() { sqlite3 "$1" "SELECT group_concat(f, ' ') FROM (SELECT id || ':' || nevents || '/' ||
	coalesce(end_kind, 'open') || '/' || coalesce(end_dur, '-') AS f FROM flows ORDER BY id)"; }
replay() { "$BIN/ctquery" --db "$1" replay -o extended,timestamp,id; }

say "a grown text log: what follows continues the flows its import left open"
DB=$TMP/grown.db
cp "$TMP/part1.log" "$TMP/flows.log"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.log" 2>"$TMP/imp.err" || fail "import of the first part: $(cat "$TMP/imp.err")"
cat "$TMP/part2.log" >>"$TMP/flows.log"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.log" 2>"$TMP/imp.err" || fail "the grown log was refused: $(cat "$TMP/imp.err")"
n=$(wc -c <"$TMP/part1.log") m=$(wc -c <"$TMP/part2.log")
grep -q "'$TMP/flows.log' continues the import of session 1 (its first $n bytes): importing the $m bytes after them" "$TMP/imp.err" ||
	fail "no word of the continuation: $(cat "$TMP/imp.err")"
replay "$DB" | test_cmp "$TMP/whole.log" -
# TCP: one flow of 3 events, destroyed after 2.999999 s; UDP 5000: destroyed;
# UDP 6000: its first flow ended "end unknown" by the second NEW, which is open
[ "$(flows "$DB")" = "1:3/1/2999999 2:2/1/100000 3:1/2/700000 4:1/open/-" ] ||
	fail "flows: $(flows "$DB")"
# list's DURATION: the time to a DESTROY, "?" to an end unknown, "open"
durs=$("$BIN/ctquery" --db "$DB" list | awk 'NR > 1 { printf "%s%s:%s", s, $NF, $3; s = " " }')
[ "$durs" = "1:3.000s 2:0.100s 3:? 4:open" ] || fail "list's durations: $durs"
# show's end: destroyed, or an end unknown noticed at the second NEW
"$BIN/ctquery" --db "$DB" show 2 | grep -qx '  ended: destroyed at .*, after 0.100s' ||
	fail "show 2: $("$BIN/ctquery" --db "$DB" show 2 | grep ended)"
want="  ended: end unknown (noticed at $(date -d @1700000001 '+%F %T').000000; history has a gap)"
"$BIN/ctquery" --db "$DB" show 3 | grep -qxF "$want" ||
	fail "show 3: $("$BIN/ctquery" --db "$DB" show 3 | grep ended), not '$want'"
"$BIN/ctquery" --db "$DB" sessions >"$TMP/sessions.out"
[ "$(grep -c ' import ' "$TMP/sessions.out")" = 2 ] || fail "not two import sessions: $(cat "$TMP/sessions.out")"
[ "$(sqlite3 "$DB" 'SELECT group_concat(coalesce(continues, "-"), " ") FROM imports ORDER BY id')" = "- 1" ] ||
	fail "imports: $(sqlite3 "$DB" 'SELECT * FROM imports')"

say "grown once more: the flows left open by both imports are continued"
udp 6000 3 DESTROY 1700000004.000000 >>"$TMP/flows.log"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.log" 2>"$TMP/imp.err" || fail "the log grown again was refused: $(cat "$TMP/imp.err")"
[ "$(flows "$DB")" = "1:3/1/2999999 2:2/1/100000 3:1/2/700000 4:2/1/3000000" ] ||
	fail "flows: $(flows "$DB")"
replay "$DB" | test_cmp "$TMP/flows.log" -

say "the same bytes again are still a duplicate, and change nothing"
sqlite3 "$DB" .dump >"$TMP/before.dump"
if "$BIN/ctrecord" --db "$DB" --import "$TMP/flows.log" 2>"$TMP/imp.err"; then fail "a duplicate was imported"; fi
grep -q "this content was imported before (session 3); nothing imported" "$TMP/imp.err" ||
	fail "no clear message: $(cat "$TMP/imp.err")"
sqlite3 "$DB" .dump >"$TMP/after.dump"
test_cmp "$TMP/before.dump" "$TMP/after.dump"

say "--force imports a grown log whole, as an import of its own"
DB=$TMP/force.db
"$BIN/ctrecord" --db "$DB" --import "$TMP/part1.log" 2>/dev/null || fail "import of the first part failed"
"$BIN/ctrecord" --db "$DB" --import "$TMP/whole.log" --force 2>"$TMP/imp.err" || fail "--force: $(cat "$TMP/imp.err")"
! grep -q "continues" "$TMP/imp.err" || fail "--force continued: $(cat "$TMP/imp.err")"
[ "$(replay "$DB" | wc -l)" = $(($(wc -l <"$TMP/part1.log") + $(wc -l <"$TMP/whole.log"))) ] ||
	fail "--force did not import the whole log"
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM flows WHERE session = 2')" = 4 ] || fail "flows: $(flows "$DB")"

say "a grown log from stdin is refused still (its start cannot be read twice)"
DB=$TMP/stdin.db
"$BIN/ctrecord" --db "$DB" --import "$TMP/part1.log" 2>/dev/null || fail "import of the first part failed"
if cat "$TMP/whole.log" | "$BIN/ctrecord" --db "$DB" --import - 2>"$TMP/imp.err"; then fail "imported whole again"; fi
grep -q "<stdin>: its first $n bytes were imported before (session 1) and it has grown since; nothing imported (import the log by its file name" "$TMP/imp.err" ||
	fail "no clear message: $(cat "$TMP/imp.err")"

say "a grown XML log, cut between two flows, continues its flows from where it grew"
"$BIN/ctrecord" --db "$TMP/x.db" --import "$TMP/whole.log" 2>/dev/null || fail "import for the XML failed"
"$BIN/ctquery" --db "$TMP/x.db" replay -o xml,timestamp,id >"$TMP/closed.xml"
sed '$d' "$TMP/closed.xml" >"$TMP/whole.xml"	# conntrack -E -o xml still running
head -n 6 "$TMP/whole.xml" >"$TMP/part1.xml"	# the document and part1.log's 4 flows
# (its times are whole seconds: compared with the log imported at once)
"$BIN/ctrecord" --db "$TMP/xonce.db" --import "$TMP/whole.xml" 2>/dev/null || fail "import of the whole XML failed"
want=$(flows "$TMP/xonce.db")
[ "$want" = "1:3/1/3000000 2:2/1/0 3:1/2/1000000 4:1/open/-" ] || fail "the whole XML's flows: $want"
DB=$TMP/xml.db
cp "$TMP/part1.xml" "$TMP/flows.xml"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.xml" 2>"$TMP/imp.err" || fail "XML first part: $(cat "$TMP/imp.err")"
cp "$TMP/whole.xml" "$TMP/flows.xml"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.xml" 2>"$TMP/imp.err" || fail "the grown XML log: $(cat "$TMP/imp.err")"
xn=$(wc -c <"$TMP/part1.xml") xm=$(($(wc -c <"$TMP/whole.xml") - xn))
grep -q "'$TMP/flows.xml' continues the import of session 1 (its first $xn bytes): importing the $xm bytes after them" "$TMP/imp.err" ||
	fail "no word of the continuation: $(cat "$TMP/imp.err")"
grep -q "imported 3 events, 1 flows from '$TMP/flows.xml' (xml)" "$TMP/imp.err" || fail "$(cat "$TMP/imp.err")"
[ "$(flows "$DB")" = "$want" ] || fail "flows: $(flows "$DB")"
replay "$TMP/xonce.db" >"$TMP/xonce.replay"
replay "$DB" | test_cmp "$TMP/xonce.replay" -

say "... and one whose first document was closed (conntrack ran again, >>FILE): the new document"
DB=$TMP/xml2.db
{ sed -n 1,6p "$TMP/whole.xml"; echo "</conntrack>"; } >"$TMP/flows.xml"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.xml" 2>/dev/null || fail "XML first document failed"
{ sed -n 1,2p "$TMP/whole.xml"; sed -n '7,$p' "$TMP/whole.xml"; } >>"$TMP/flows.xml"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.xml" 2>"$TMP/imp.err" || fail "the grown XML log: $(cat "$TMP/imp.err")"
grep -q "continues the import of session 1" "$TMP/imp.err" || fail "not continued: $(cat "$TMP/imp.err")"
[ "$(flows "$DB")" = "$want" ] || fail "flows: $(flows "$DB")"

say "... an error in what it grew by names the line of the file"
DB=$TMP/xml3.db
cp "$TMP/part1.xml" "$TMP/flows.xml"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.xml" 2>/dev/null || fail "XML first part failed"
{ sed -n 7p "$TMP/whole.xml"; echo '<flow type="new"><meta direction="bogus">'; } >>"$TMP/flows.xml"
if "$BIN/ctrecord" --db "$DB" --import "$TMP/flows.xml" 2>"$TMP/imp.err"; then fail "a broken XML log imported"; fi
grep -q "^ctrecord: error: $TMP/flows.xml:8: " "$TMP/imp.err" || fail "not line 8: $(cat "$TMP/imp.err")"
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM imports')" = 1 ] || fail "the broken import left rows"

say "... and one whose new part begins with blank lines (conntrack's ENOBUFS line, blanked, then an empty one)"
DB=$TMP/xml4.db
cp "$TMP/part1.xml" "$TMP/flows.xml"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.xml" 2>/dev/null || fail "XML first part failed"
{ echo 'WARNING: We have hit ENOBUFS! We are losing events.'; echo; sed '1,6d' "$TMP/whole.xml"; } >>"$TMP/flows.xml"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.xml" 2>"$TMP/imp.err" || fail "the grown XML log: $(cat "$TMP/imp.err")"
grep -q "imported 3 events, 1 flows from '$TMP/flows.xml' (xml)" "$TMP/imp.err" || fail "$(cat "$TMP/imp.err")"
[ "$(flows "$DB")" = "$want" ] || fail "flows: $(flows "$DB")"
[ "$(sqlite3 "$DB" 'SELECT group_concat(session || ":" || kind) FROM gaps')" = "2:enobufs" ] ||
	fail "gaps: $(sqlite3 "$DB" 'SELECT * FROM gaps')"
# the gap is where the log grew: at the last event of the first import, not at the import's time
[ "$(sqlite3 "$DB" 'SELECT t_us = (SELECT max(last_us) FROM event_blocks WHERE session = 1) FROM gaps')" = 1 ] ||
	fail "the gap's time: $(sqlite3 "$DB" 'SELECT t_us FROM gaps'), the first import's last event: $(sqlite3 "$DB" 'SELECT max(last_us) FROM event_blocks WHERE session = 1')"
# (an error names the file's line still: the blank ones are 7 and 8)
cp "$TMP/part1.xml" "$TMP/flows.xml"
"$BIN/ctrecord" --db "$TMP/xml5.db" --import "$TMP/flows.xml" 2>/dev/null || fail "XML first part failed"
{ echo; echo; sed -n 7p "$TMP/whole.xml"; echo '<flow type="new"><meta direction="bogus">'; } >>"$TMP/flows.xml"
if "$BIN/ctrecord" --db "$TMP/xml5.db" --import "$TMP/flows.xml" 2>"$TMP/imp.err"; then fail "a broken XML log imported"; fi
grep -q "^ctrecord: error: $TMP/flows.xml:10: " "$TMP/imp.err" || fail "not line 10: $(cat "$TMP/imp.err")"

say "... and one whose import read a last <flow> line without its end: not read again"
DB=$TMP/xml6.db
head -n 7 "$TMP/whole.xml" | head -c -1 >"$TMP/flows.xml"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.xml" 2>"$TMP/imp.err" || fail "XML first part: $(cat "$TMP/imp.err")"
grep -q "imported 5 events, 3 flows" "$TMP/imp.err" || fail "the unended <flow> line was not read: $(cat "$TMP/imp.err")"
cp "$TMP/whole.xml" "$TMP/flows.xml"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.xml" 2>"$TMP/imp.err" || fail "the grown XML log: $(cat "$TMP/imp.err")"
grep -q "imported 2 events, 1 flows from '$TMP/flows.xml' (xml)" "$TMP/imp.err" || fail "$(cat "$TMP/imp.err")"
[ "$(flows "$DB")" = "$want" ] || fail "flows: $(flows "$DB")"
replay "$DB" | test_cmp "$TMP/xonce.replay" -
head -n 7 "$TMP/whole.xml" | head -c -1 >"$TMP/flows.xml"
"$BIN/ctrecord" --db "$TMP/xml7.db" --import "$TMP/flows.xml" 2>/dev/null || fail "XML first part failed"
{ echo; echo '<flow type="new"><meta direction="bogus">'; } >>"$TMP/flows.xml"
if "$BIN/ctrecord" --db "$TMP/xml7.db" --import "$TMP/flows.xml" 2>"$TMP/imp.err"; then fail "a broken XML log imported"; fi
grep -q "^ctrecord: error: $TMP/flows.xml:8: " "$TMP/imp.err" || fail "not line 8: $(cat "$TMP/imp.err")"

say "--continue: a rotated log continues the flows the log before it left open"
DB=$TMP/rot.db
cp "$TMP/part1.log" "$TMP/flows.log.1"
cp "$TMP/part2.log" "$TMP/flows.log"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.log.1" 2>/dev/null || fail "import of flows.log.1 failed"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.log" --continue 2>"$TMP/imp.err" || fail "--continue: $(cat "$TMP/imp.err")"
grep -q "'$TMP/flows.log' continues the import of session 1 (--continue): 2 flows it left open" "$TMP/imp.err" ||
	fail "no word of the continuation: $(cat "$TMP/imp.err")"
[ "$(flows "$DB")" = "1:3/1/2999999 2:2/1/100000 3:1/2/700000 4:1/open/-" ] ||
	fail "flows: $(flows "$DB")"
replay "$DB" | test_cmp "$TMP/whole.log" -

say "without --continue the rotated log's flows are its own (two flows for the TCP entry)"
DB=$TMP/rot2.db
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.log.1" 2>/dev/null || fail "import of flows.log.1 failed"
"$BIN/ctrecord" --db "$DB" --import "$TMP/flows.log" 2>"$TMP/imp.err" || fail "import of flows.log: $(cat "$TMP/imp.err")"
! grep -q "continues" "$TMP/imp.err" || fail "continued without --continue: $(cat "$TMP/imp.err")"
[ "$(flows "$DB")" = "1:1/open/- 2:2/1/100000 3:1/open/- 4:2/1/2500000 5:1/open/-" ] ||
	fail "flows: $(flows "$DB")"

say "--continue from stdin (what followed, read by tail) continues the last import only"
DB=$TMP/tail.db
udp 7000 9 NEW 1690000000.000000 | "$BIN/ctrecord" --db "$DB" --import - 2>/dev/null || fail "import of another log failed"
"$BIN/ctrecord" --db "$DB" --import "$TMP/part1.log" 2>/dev/null || fail "import of part1.log failed"
tail -c +$((n + 1)) "$TMP/whole.log" | "$BIN/ctrecord" --db "$DB" --import - --continue 2>"$TMP/imp.err" ||
	fail "--continue from stdin: $(cat "$TMP/imp.err")"
grep -q "'<stdin>' continues the import of session 2 (--continue): 2 flows it left open" "$TMP/imp.err" ||
	fail "no word of the continuation: $(cat "$TMP/imp.err")"
# the other log's flow (1) is left alone
[ "$(flows "$DB")" = "1:1/open/- 2:3/1/2999999 3:2/1/100000 4:1/2/700000 5:1/open/-" ] ||
	fail "flows: $(flows "$DB")"
replay "$DB" | tail -n +2 | test_cmp "$TMP/whole.log" -

say "a continued import that fails changes nothing: the flows it continued stay open"
DB=$TMP/failed.db
"$BIN/ctrecord" --db "$DB" --import "$TMP/part1.log" 2>"$TMP/imp.err" || fail "import of the first part: $(cat "$TMP/imp.err")"
before=$(flows "$DB")
{ cat "$TMP/part2.log"; echo "not an event"; } >"$TMP/bad.log"
set +e
"$BIN/ctrecord" --db "$DB" --import "$TMP/bad.log" --continue 2>"$TMP/imp.err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q "bad.log:4: expected" "$TMP/imp.err" || fail "exit $rc: $(cat "$TMP/imp.err")"
# (its DESTROY and UPDATE were folded into the first import's flows at the
# close: flow 1 ended with 3 events of which 1 is stored)
[ "$(flows "$DB")" = "$before" ] || fail "flows after a failed import: $(flows "$DB"), not $before"
"$BIN/ctquery" --db "$DB" show 1 >/dev/null 2>"$TMP/show.err" || fail "show 1: $(cat "$TMP/show.err")"
"$BIN/ctrecord" --db "$DB" --import "$TMP/part2.log" --continue 2>"$TMP/imp.err" || fail "import again: $(cat "$TMP/imp.err")"
[ "$(flows "$DB")" = "1:3/1/2999999 2:2/1/100000 3:1/2/700000 4:1/open/-" ] ||
	fail "flows: $(flows "$DB")"
replay "$DB" | test_cmp "$TMP/whole.log" -

say "--continue without --import is refused; without an earlier import, nothing is imported"
set +e
"$BIN/ctrecord" --db "$TMP/none.db" --continue 2>"$TMP/opt.err"; rc=$?
set -e
[ "$rc" = 2 ] && [ "$(cat "$TMP/opt.err")" = "ctrecord: error: --continue goes with --import" ] ||
	fail "exit $rc: $(cat "$TMP/opt.err")"
set +e
"$BIN/ctrecord" --db "$TMP/none.db" --import "$TMP/part2.log" --continue 2>"$TMP/imp.err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q "continue: no earlier import to continue; nothing imported" "$TMP/imp.err" ||
	fail "exit $rc: $(cat "$TMP/imp.err")"
exit 0
