#!/bin/bash
# t1100: forced loss (a tiny buffer and a burst) leaves a gap row and a warning, and after the resync the open flows equal conntrack -L.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord trafficgen
require_cmd sqlite3
netns_setup
# Flows must outlive the test so that conntrack -L still shows them at the end.
netns_long_udp

DB=$TMP/flows.db
# 4 KiB holds a handful of events; the receiving thread cannot keep up with
# a burst of thousands of flows, so the kernel drops some (ENOBUFS).
start_recorder rec "$TMP/rec.err" --db "$DB" -b 4K -v

for round in 1 2 3; do
	in_ns "$BIN/trafficgen" -S udp 127.0.0.1 $((7000 + round)) 3000 >/dev/null
done
# Let the recorder resync (at most once a second) and store what it queued.
sleep 3
in_ns conntrack -L -p udp 2>/dev/null | sort >"$TMP/ct.list"
stop_recorder rec 20
cat "$TMP/rec.err"

gaps=$(sqlite3 "$DB" "SELECT count(*) FROM gaps WHERE kind = 'enobufs'")
[ "$gaps" -gt 0 ] || fail "no gap recorded although the buffer was 4 KiB"
grep -q "warning: the kernel dropped events (ENOBUFS)" "$TMP/rec.err" ||
	fail "no ENOBUFS warning on stderr"
grep -Eq '^ctrecord: [0-9]+ events, [0-9]+ flows, events lost at [1-9][0-9]* points' "$TMP/rec.err" ||
	fail "the summary does not count the loss"
say "$gaps gap rows"
# ctquery reports them, the number of events lost unknown (ENOBUFS says only that some were)
"$BIN/ctquery" --db "$DB" stats | grep -qx "gaps: $gaps, events lost: unknown" ||
	fail "stats does not report the $gaps gaps: $("$BIN/ctquery" --db "$DB" stats | grep gaps)"
"$BIN/ctquery" --db "$DB" sessions | awk -v g="$gaps" '$1 == 1 && $9 == g && $10 == "?" { ok = 1 } END { exit !ok }' ||
	fail "sessions does not show $gaps gaps, lost '?': $("$BIN/ctquery" --db "$DB" sessions)"

# The flows the database still holds open must be exactly the kernel's table.
sqlite3 "$DB" "SELECT hex(o_src), hex(o_dst), o_sport, o_dport FROM flows
	WHERE proto = 17 AND end_us IS NULL" | tr '|' ' ' | sort >"$TMP/db.open"
sed -n 's/^udp  *17 [0-9]* src=\([^ ]*\) dst=\([^ ]*\) sport=\([0-9]*\) dport=\([0-9]*\) .*/\1 \2 \3 \4/p' \
	"$TMP/ct.list" | awk '{ split($1, s, "."); split($2, d, ".");
	printf "%02X%02X%02X%02X %02X%02X%02X%02X %s %s\n", s[1], s[2], s[3], s[4],
		d[1], d[2], d[3], d[4], $3, $4 }' | sort >"$TMP/ct.open"
n=$(wc -l <"$TMP/ct.open")
[ "$n" -ge 9000 ] || fail "expected 9000 open udp flows in the kernel, found $n"
test_cmp "$TMP/ct.open" "$TMP/db.open"
say "open flows after resync equal conntrack -L: $n"
# ctquery list shows them open, their counters unknown until their end: "-", not 0/0
k=$("$BIN/ctquery" --db "$DB" list -p udp | awk '$3 == "open" && $(NF - 2) == "-" && $(NF - 1) == "-"' | wc -l)
[ "$k" = "$n" ] || fail "list shows $k open flows with counters '-', not $n: $("$BIN/ctquery" --db "$DB" list -p udp | head -3)"
unknown=$(sqlite3 "$DB" "SELECT count(*) FROM flows WHERE origin = 2")
say "$unknown flows first seen mid-life (their NEW was lost), added by the resync"

# A flow that vanished during a loss (its DESTROY dropped) is ended "end
# unknown" at that resync, and stays so: a later loss's resync neither ends
# it again (later) nor counts it among what vanished then.
DB=$TMP/vanish.db
q() { sqlite3 "$DB" "$1"; }
start_recorder rec2 "$TMP/rec2.err" --db "$DB" -b 4K -v
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7600 20 >/dev/null
wait_until 10 eval "[ \$(q 'SELECT count(*) FROM flows WHERE o_dport = 7600') = 20 ]" ||
	fail "the 20 flows to port 7600 were not recorded"
kill -STOP "$PID_rec2"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7601 3000 >/dev/null
in_ns conntrack -D -p udp --dport 7600 >/dev/null 2>&1 || true
kill -CONT "$PID_rec2"
gone() { [ "$(q 'SELECT count(*) FROM flows WHERE o_dport = 7600 AND end_kind = 2')" = 20 ]; }
wait_until 20 gone || fail "the 20 flows deleted during the loss were not ended 'end unknown':
	$(q 'SELECT end_kind, count(*) FROM flows WHERE o_dport = 7600 GROUP BY 1')"
ends=$(q 'SELECT group_concat(end_us) FROM flows WHERE o_dport = 7600 ORDER BY id')
gaps=$(q 'SELECT count(*) FROM gaps')
kill -STOP "$PID_rec2"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7602 3000 >/dev/null
kill -CONT "$PID_rec2"
wait_until 20 eval "[ \$(q 'SELECT count(*) FROM gaps') -gt $gaps ]" || fail "no second loss"
sleep 3		# its resync, and the end of what vanished in it
stop_recorder rec2 20
[ "$(q 'SELECT group_concat(end_us) FROM flows WHERE o_dport = 7600 ORDER BY id')" = "$ends" ] ||
	fail "a second loss moved the ends of the flows that vanished in the first"
say "flows that vanished in one loss keep their end through the next"
