#!/bin/bash
# t2000: ctrecord --import of conntrack -E logs (text and XML) replays byte for byte (also with DOS line ends, a byte order mark, one tuple in two zones); duplicates and bad files are refused whole; an unended last line is left out with a warning; conntrack's ENOBUFS line is a gap at its place.
set -eu
. "$(dirname "$0")/lib.sh"

require_cmd sqlite3
for b in ctrecord ctquery; do
	[ -x "$BIN/$b" ] || fail "'$BIN/$b' not built (run make, or set BIN)"
done
[ -r "$SEED/events.txt" ] && [ -r "$SEED/events.xml" ] || skip "seed files not found in '$SEED'"
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

say "--force imports it again; stdin works"
rec --import - --force <"$SEED/events.txt" 2>/dev/null || fail "--force import from stdin failed"
[ "$(q replay | wc -l)" = $((2 * $(wc -l <"$SEED/events.txt"))) ] || fail "forced import did not add the events"

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

say "conntrack's ENOBUFS line in a timed log: a gap at the time of the event before it"
DB=$TMP/gap.db
{ head -n 2 "$TMP/ext.txt"; echo 'WARNING: We have hit ENOBUFS! We are losing events.'; tail -n 1 "$TMP/ext.txt"; } >"$TMP/gap.txt"
"$BIN/ctrecord" --db "$DB" --import "$TMP/gap.txt" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
[ "$(sqlite3 "$DB" "SELECT t_us, kind FROM gaps")" = "1700000000500000|enobufs" ] ||
	fail "the gap is not at 1700000000.5: $(sqlite3 "$DB" 'SELECT * FROM gaps')"
"$BIN/ctquery" --db "$DB" stats | grep -qx 'gaps: 1, events lost: unknown' ||
	fail "stats: $("$BIN/ctquery" --db "$DB" stats | grep gaps)"
exit 0
