#!/bin/bash
# t2000: ctrecord --import of conntrack -E logs (text and XML) replays byte for byte (also with DOS line ends, a byte order mark, one tuple in two zones); duplicates (also a log that grew since, from stdin) and bad files are refused whole, a grown log named is imported from where it grew; an unended last line is left out with a warning (text and XML, read from its start once the log grew); conntrack's own lines are passed over (its ENOBUFS warning, three lines, a gap at its place; -b's NOTICE), in text and XML; an XML line it cut at 1023 bytes is closed; a [USERSPACE] suffix in XML with '<' or '&' in its program name; DCCP's ports in XML; times that go back are warned of.
set -eu
. "$(dirname "$0")/lib.sh"

require_cmd sqlite3
require_built ctrecord ctquery
require_seed events.txt events.xml
DB=$TMP/flows.db
rec() { "$BIN/ctrecord" --db "$DB" "$@"; }
q() { "$BIN/ctquery" --db "$DB" "$@"; }

say "text: import and replay"
rec --import "$SEED/events.txt" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
q replay >"$TMP/replay.txt"
test_cmp "$SEED/events.txt" "$TMP/replay.txt"

say "the same file twice is refused, and changes nothing"
sqlite3 "$DB" .dump >"$TMP/before.dump"
if rec --import "$SEED/events.txt" 2>"$TMP/dup.err"; then fail "second import accepted"; fi
grep -q "imported before" "$TMP/dup.err" || fail "no clear message: $(cat "$TMP/dup.err")"
sqlite3 "$DB" .dump >"$TMP/after.dump"
test_cmp "$TMP/before.dump" "$TMP/after.dump"

say "the same log grown since is refused from stdin (its start cannot be read twice), imported from what follows by its name"
sed 's/52486/52487/g' "$SEED/events.txt" >"$TMP/grown.txt"	# (not the content imported above)
head -n 10 "$TMP/grown.txt" >"$TMP/grow.txt"
rec --import "$TMP/grow.txt" 2>/dev/null || fail "import of the log's start failed"
cp "$TMP/grown.txt" "$TMP/grow.txt"
sqlite3 "$DB" .dump >"$TMP/before.dump"
if rec --import - <"$TMP/grow.txt" 2>"$TMP/grow.err"; then fail "the grown log was imported whole again"; fi
n=$(head -n 10 "$TMP/grown.txt" | wc -c)
grep -q "<stdin>: its first $n bytes were imported before (session [0-9]*) and it has grown since; nothing imported (import the log by its file name" "$TMP/grow.err" ||
	fail "no clear message: $(cat "$TMP/grow.err")"
sqlite3 "$DB" .dump >"$TMP/after.dump"
test_cmp "$TMP/before.dump" "$TMP/after.dump"
rec --import "$TMP/grow.txt" 2>"$TMP/grow.err" || fail "the import of what follows failed: $(cat "$TMP/grow.err")"
grep -q "'$TMP/grow.txt' continues the import of session [0-9]* (its first $n bytes): importing the $(($(wc -c <"$TMP/grow.txt") - n)) bytes after them" "$TMP/grow.err" ||
	fail "no word of the continuation: $(cat "$TMP/grow.err")"
q replay | tail -n "$(wc -l <"$TMP/grown.txt")" | test_cmp "$TMP/grown.txt" -

say "--force imports it again; stdin works"
rec --import - --force <"$SEED/events.txt" 2>/dev/null || fail "--force import from stdin failed"
[ "$(q replay | wc -l)" = $((3 * $(wc -l <"$SEED/events.txt"))) ] || fail "forced import did not add the events"

say "a malformed file leaves the database unchanged"
sqlite3 "$DB" .dump >"$TMP/before.dump"
{ head -n 5 "$SEED/events.txt"; echo ' [UPDATE] udp      17 30 src=1.2.3.4 dst=1.2.3.999 sport=1 dport=2 src=1.2.3.4 dst=1.2.3.4 sport=2 dport=1'; } >"$TMP/bad.txt"
if rec --import "$TMP/bad.txt" 2>"$TMP/bad.err"; then fail "malformed file accepted"; fi
grep -q "bad.txt:6: bad address" "$TMP/bad.err" || fail "error lacks file:line: $(cat "$TMP/bad.err")"
printf '<?xml version="1.0" encoding="utf-8"?>\n<conntrack>\n<flow type="new"><meta direction="original"></flow>\n' >"$TMP/bad.xml"
if rec --import "$TMP/bad.xml" 2>"$TMP/badx.err"; then fail "malformed XML accepted"; fi
grep -q "bad.xml:[0-9]*: " "$TMP/badx.err" || fail "XML error lacks file:line: $(cat "$TMP/badx.err")"
head -c 3000 /dev/urandom >"$TMP/junk.bin"
if rec --import "$TMP/junk.bin" 2>/dev/null; then fail "binary junk accepted"; fi
sqlite3 "$DB" .dump >"$TMP/after.dump"
test_cmp "$TMP/before.dump" "$TMP/after.dump"

say "xml: import and replay in the documented layout"
DB=$TMP/xml.db
rec --import "$SEED/events.xml" 2>"$TMP/imp.err" || fail "XML import failed: $(cat "$TMP/imp.err")"
q replay -o xml --pretty >"$TMP/replay.xml"
test_cmp "$SEED/events.xml" "$TMP/replay.xml"

say "xml as conntrack writes it, cut off before </conntrack>, with a [USERSPACE] suffix"
DB=$TMP/xml2.db
q() { "$BIN/ctquery" --db "$TMP/xml.db" "$@"; }
q replay -o xml | sed '$d' | sed '3s|$| [USERSPACE] portid=42 progname=conntrack|' >"$TMP/cut.xml"
"$BIN/ctrecord" --db "$DB" --import "$TMP/cut.xml" 2>"$TMP/imp.err" || fail "cut-off XML import failed: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$DB" replay -o xml | sed '$d' >"$TMP/cut.replay"
test_cmp "$TMP/cut.xml" "$TMP/cut.replay"

say "text with -o extended,timestamp,id"
DB=$TMP/ext.db
cat >"$TMP/ext.txt" <<'LOG'
[1700000000.000001]	    [NEW] ipv4     2 tcp      6 120 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 mark=42 zone=7 id=123456
[1700000000.500000]	 [UPDATE] ipv4     2 tcp      6 60 SYN_RECV src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 mark=42 zone=7 id=123456
[1700000003.000000]	[DESTROY] ipv4     2 tcp      6 src=10.0.0.1 dst=10.0.0.2 sport=40000 dport=80 packets=3 bytes=180 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=40000 packets=2 bytes=120 [ASSURED] mark=42 zone=7 delta-time=3 id=123456 [USERSPACE] portid=99 progname=conntrack
LOG
"$BIN/ctrecord" --db "$DB" --import "$TMP/ext.txt" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$DB" replay -o extended,timestamp,id >"$TMP/ext.replay"
test_cmp "$TMP/ext.txt" "$TMP/ext.replay"
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM flows')" = 1 ] || fail "the three events are not one flow"

say "-o ktimestamp in the hour repeated when summer time ends: start and stop as delta-time has them"
# (a POSIX TZ: no zone files needed; 02:00-03:00 on 25 Oct 2026 comes twice)
printf '[DESTROY] udp      17 src=10.0.0.1 dst=10.0.0.2 sport=5 dport=53 packets=1 bytes=60 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5 packets=0 bytes=0 delta-time=2400 [start=Sun Oct 25 02:30:00 2026] [stop=Sun Oct 25 02:10:00 2026]\n' >"$TMP/dst.txt"
TZ='CET-1CEST,M3.5.0,M10.5.0/3' "$BIN/ctrecord" --db "$TMP/dst.db" --import "$TMP/dst.txt" 2>/dev/null ||
	fail "import of the DST log failed"
TZ='CET-1CEST,M3.5.0,M10.5.0/3' "$BIN/ctquery" --db "$TMP/dst.db" replay -o ktimestamp | test_cmp "$TMP/dst.txt" -

say "one tuple in two zones, in a log without ids: two entries, each with its zone"
DB=$TMP/zone.db
cat >"$TMP/zone.txt" <<'LOG'
    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=5 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5 zone=3
    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=5 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5
[DESTROY] udp      17 src=10.0.0.1 dst=10.0.0.2 sport=5 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5 zone=3
[DESTROY] udp      17 src=10.0.0.1 dst=10.0.0.2 sport=5 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5
LOG
"$BIN/ctrecord" --db "$DB" --import "$TMP/zone.txt" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$DB" replay >"$TMP/zone.replay"
test_cmp "$TMP/zone.txt" "$TMP/zone.replay"
[ "$(sqlite3 "$DB" 'SELECT group_concat(nevents || "/" || end_kind, " ") FROM flows')" = "2/1 2/1" ] ||
	fail "not two flows of two events, each destroyed: $(sqlite3 "$DB" 'SELECT * FROM flows')"

say "DOS line ends and a byte order mark are read as the log's own"
DB=$TMP/crlf.db
{ printf '\357\273\277'; sed 's/$/\r/' "$SEED/events.txt"; } >"$TMP/crlf.txt"
"$BIN/ctrecord" --db "$DB" --import "$TMP/crlf.txt" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$DB" replay >"$TMP/crlf.replay"
test_cmp "$SEED/events.txt" "$TMP/crlf.replay"

say "a last line without its end (a log still being written) is left out, with a warning"
DB=$TMP/unended.db
{ head -n 2 "$SEED/events.txt"; sed -n 3p "$SEED/events.txt" | head -c 150; } >"$TMP/unended.txt"
"$BIN/ctrecord" --db "$DB" --import "$TMP/unended.txt" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
grep -q "unended.txt:3: the last line has no end" "$TMP/imp.err" || fail "no warning: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$DB" replay >"$TMP/unended.replay"
head -n 2 "$SEED/events.txt" | test_cmp - "$TMP/unended.replay"
# in XML too (a log read while conntrack wrote a line, or cut short by a
# full disk, ends inside a <flow> line): left out, and read from its start
# once the log has grown
"$BIN/ctquery" --db "$DB" replay -o xml >"$TMP/unended.xml"
head -n 4 "$TMP/unended.xml" | head -c -40 >"$TMP/unended2.xml"
DB=$TMP/unended2.db
"$BIN/ctrecord" --db "$DB" --import "$TMP/unended2.xml" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
grep -q "unended2.xml:4: the last line has no end" "$TMP/imp.err" || fail "no warning: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$DB" replay -o xml | test_cmp <(head -n 3 "$TMP/unended.xml"; echo '</conntrack>') -
cp "$TMP/unended.xml" "$TMP/unended2.xml"
"$BIN/ctrecord" --db "$DB" --import "$TMP/unended2.xml" 2>"$TMP/imp.err" || fail "import of the grown log failed: $(cat "$TMP/imp.err")"
grep -q "the last line unended): importing the [0-9]* bytes from that line on" "$TMP/imp.err" ||
	fail "not read from the unended line: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$DB" replay -o xml | test_cmp "$TMP/unended.xml" -

say "conntrack's ENOBUFS line in a timed log: a gap at the time of the event before it"
DB=$TMP/gap.db
{ head -n 2 "$TMP/ext.txt"; echo 'WARNING: We have hit ENOBUFS! We are losing events.'; tail -n 1 "$TMP/ext.txt"; } >"$TMP/gap.txt"
"$BIN/ctrecord" --db "$DB" --import "$TMP/gap.txt" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
[ "$(sqlite3 "$DB" "SELECT t_us, kind FROM gaps")" = "1700000000500000|enobufs" ] ||
	fail "the gap is not at 1700000000.5: $(sqlite3 "$DB" 'SELECT * FROM gaps')"
"$BIN/ctquery" --db "$DB" stats | grep -qx 'gaps: 1, events lost: unknown' ||
	fail "stats: $("$BIN/ctquery" --db "$DB" stats | grep gaps)"

say "conntrack -E -b's NOTICE (its standard output) and its whole ENOBUFS warning (three lines), in text and XML"
enobufs() {
	printf '%s\n' 'WARNING: We have hit ENOBUFS! We are losing events.' \
		'This message means that the current netlink socket buffer size is too small.' \
		'Please, check --buffer-size in conntrack(8) manpage.'
}
notice='NOTICE: Netlink socket buffer size has been set to 6000 bytes.'
{ echo "$notice"; head -n 2 "$TMP/ext.txt"; enobufs; tail -n +3 "$TMP/ext.txt"; } >"$TMP/b.txt"
DB=$TMP/b.db
"$BIN/ctrecord" --db "$DB" --import "$TMP/b.txt" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$DB" replay -o extended,timestamp,id | test_cmp "$TMP/ext.txt" -
[ "$(sqlite3 "$DB" "SELECT t_us, kind FROM gaps")" = "1700000000500000|enobufs" ] ||
	fail "the gap is not at 1700000000.5: $(sqlite3 "$DB" 'SELECT * FROM gaps')"
# in XML the NOTICE comes first, and a warning may come before the header
"$BIN/ctquery" --db "$DB" replay -o xml,id >"$TMP/b.xml"
{ echo "$notice"; enobufs; head -n 3 "$TMP/b.xml"; enobufs; tail -n +4 "$TMP/b.xml"; } >"$TMP/bx.xml"
DB=$TMP/bx.db
"$BIN/ctrecord" --db "$DB" --import "$TMP/bx.xml" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
grep -q "imported 3 events, 1 flows from '.*bx.xml' (xml)" "$TMP/imp.err" || fail "not imported as XML: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$DB" replay -o xml,id | test_cmp "$TMP/b.xml" -
[ "$(sqlite3 "$DB" "SELECT count(*) FROM gaps WHERE kind = 'enobufs'")" = 2 ] ||
	fail "not 2 gaps: $(sqlite3 "$DB" 'SELECT * FROM gaps')"

say "XML with conntrack's own lines in it, and a line it cut at 1023 bytes"
# the -o extended,timestamp,id log as XML, over IPv6 (its NEW 10 s earlier),
# an ENOBUFS warning after the NEW, the UPDATE with a long security context
# (so past 1023 bytes, and cut there), and conntrack's closing count
a=2001:db8:1111:2222:3333:4444:5555:6666 b=2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff
sed "s/10\.0\.0\.1/$a/g; s/10\.0\.0\.2/$b/g; s/ipv4     2/ipv6     10/; 1s/^\[1700000000/[1699999990/" \
	"$TMP/ext.txt" >"$TMP/ext6.txt"
"$BIN/ctrecord" --db "$TMP/ext6.db" --import "$TMP/ext6.txt" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$TMP/ext6.db" replay -o xml,timestamp,id >"$TMP/ext6.xml"
ctx=$(printf 's%.0s' $(seq 250))
awk -v ctx="$ctx" 'NR == 4 { sub(/<meta direction="independent">/, "&<secctx>" ctx "</secctx>"); $0 = substr($0, 1, 1023) }
	NR == 4 { print "WARNING: We have hit ENOBUFS! We are losing events." }
	{ print } END { print "conntrack v1.4.7 (conntrack-tools): 3 flow events have been shown." }' \
	"$TMP/ext6.xml" >"$TMP/chatter.xml"
[ "$(sed -n 5p "$TMP/chatter.xml" | tr -d '\n' | wc -c)" = 1023 ] && ! sed -n 5p "$TMP/chatter.xml" | grep -q '</flow>' ||
	fail "the test's line 5 is not a cut one"
DB=$TMP/chatter.db
"$BIN/ctrecord" --db "$DB" --import "$TMP/chatter.xml" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
grep -q "1 lines were cut at 1023 bytes by conntrack (the first: line 5)" "$TMP/imp.err" ||
	fail "no word of the cut line: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$DB" replay -o xml,timestamp,id >"$TMP/chatter.replay"
sed 4d "$TMP/ext6.xml" | test_cmp - <(sed 4d "$TMP/chatter.replay")
sed -n 4p "$TMP/chatter.replay" | grep -q "<flow type=\"update\">.*<src>$a</src>" ||
	fail "the cut event is not the UPDATE: $(sed -n 4p "$TMP/chatter.replay")"
# the gap is after the NEW, at its time (not before it, at the import's)
[ "$(sqlite3 "$DB" "SELECT t_us FROM gaps")" = 1699999990000000 ] ||
	fail "the gap is not after the NEW: $(sqlite3 "$DB" 'SELECT * FROM gaps')"
say "XML: [USERSPACE] suffixes whose program names hold '<', '>' and '&' (conntrack prints them as they are), one after a line it cut"
awk -v ctx="$ctx" 'NR == 3 { $0 = $0 " [USERSPACE] portid=42 progname=a<b>&c" }
	NR == 4 { sub(/<zone>7<\/zone><id>/, "<secctx>" ctx "</secctx>&")
		  $0 = substr($0, 1, 1023) " [USERSPACE] portid=43 progname=x&y" } { print }' \
	"$TMP/ext6.xml" >"$TMP/us.xml"
DB=$TMP/us.db
"$BIN/ctrecord" --db "$DB" --import "$TMP/us.xml" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
# as logged, but for the time that the cut took from the UPDATE (its <when>:
# it has the NEW's, 10 s before)
sed '4s|<sec>20</sec>|<sec>10</sec>|' "$TMP/us.xml" | test_cmp - <("$BIN/ctquery" --db "$DB" replay -o xml,timestamp,id)

# an XML error names the line of the element that is wrong
sed '3s/<timeout>120</<timeout>x</' "$TMP/ext6.xml" >"$TMP/badline.xml"
if "$BIN/ctrecord" --db "$TMP/badline.db" --import "$TMP/badline.xml" 2>"$TMP/imp.err"; then fail "a bad <timeout> imported"; fi
grep -q "badline.xml:3: bad number <timeout>x</timeout>" "$TMP/imp.err" || fail "not line 3: $(cat "$TMP/imp.err")"

say "a log's name with control characters in it is shown escaped by sessions"
name=$(printf '%s/a\nb\033[31m.txt' "$TMP")
cp "$TMP/dccp.txt" "$name" 2>/dev/null || printf '    [NEW] dccp     33 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1\n' >"$name"
"$BIN/ctrecord" --db "$TMP/names.db" --import "$name" 2>/dev/null || fail "import of '$name' failed"
"$BIN/ctquery" --db "$TMP/names.db" sessions >"$TMP/sessions.out"
[ "$(wc -l <"$TMP/sessions.out")" = 2 ] && grep -qF 'a\x0ab\x1b[31m.txt' "$TMP/sessions.out" ||
	fail "sessions shows the name raw: $(cat -A "$TMP/sessions.out")"

say "a log with no event imports nothing, not even a session, and says so"
: >"$TMP/empty.txt"
printf '\n\n' >"$TMP/blank.txt"
for f in empty.txt blank.txt; do
	"$BIN/ctrecord" --db "$TMP/empty.db" --import "$TMP/$f" 2>"$TMP/imp.err" || fail "$f: $(cat "$TMP/imp.err")"
	grep -q "$f: no events in it; nothing imported" "$TMP/imp.err" || fail "$f: $(cat "$TMP/imp.err")"
done
[ "$(sqlite3 "$TMP/empty.db" 'SELECT count(*) FROM sessions')" = 0 ] || fail "sessions for logs without events"

say "DCCP in XML, with its ports as libnetfilter_conntrack prints them"
printf '    [NEW] dccp     33 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1\n' >"$TMP/dccp.txt"
"$BIN/ctrecord" --db "$TMP/dccp.db" --import "$TMP/dccp.txt" 2>/dev/null || fail "DCCP text import failed"
"$BIN/ctquery" --db "$TMP/dccp.db" replay -o xml >"$TMP/dccp.xml"
grep -q '<layer4 protonum="33" protoname="dccp"><sport>1</sport><dport>2</dport>' "$TMP/dccp.xml" ||
	fail "replay -o xml prints no DCCP ports: $(cat "$TMP/dccp.xml")"
"$BIN/ctrecord" --db "$TMP/dccp2.db" --import "$TMP/dccp.xml" 2>"$TMP/imp.err" || fail "DCCP XML import failed: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$TMP/dccp2.db" replay | test_cmp "$TMP/dccp.txt" -

say "a log whose times go back (logs joined out of order) is imported with a warning"
printf '%s\n' \
	'[1795000100.000000]	    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=1000' \
	'[1795000000.000000]	[DESTROY] udp      17 src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=1000' \
	>"$TMP/back.txt"
"$BIN/ctrecord" --db "$TMP/back.db" --import "$TMP/back.txt" 2>"$TMP/imp.err" || fail "back.txt: $(cat "$TMP/imp.err")"
grep -q "warning: 1 events are timed before the event before them in the log (by up to 100.000000 s)" "$TMP/imp.err" ||
	fail "no warning for times going back: $(cat "$TMP/imp.err")"
sed '1s/^\[1795000100/[1795000000/; 2s/^\[1795000000/[1795000100/' "$TMP/back.txt" >"$TMP/fwd.txt"
"$BIN/ctrecord" --db "$TMP/fwd.db" --import "$TMP/fwd.txt" 2>"$TMP/imp.err" || fail "fwd.txt: $(cat "$TMP/imp.err")"
! grep -q "timed before" "$TMP/imp.err" || fail "a warning for a log in order: $(cat "$TMP/imp.err")"
exit 0
