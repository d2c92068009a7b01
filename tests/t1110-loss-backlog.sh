#!/bin/bash
# t1110: after a loss, flows whose DESTROY still waited in the socket end "destroyed" (not "end unknown" and again as a second flow); a reopen while the receiver's dump waits in the queue does not end newer flows; a stop with more queued than the queue holds ends; a small queue loses nothing.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord trafficgen evdump
require_cmd sqlite3 conntrack
netns_setup
netns_long_udp
DB=$TMP/flows.db
N=4000
start_recorder rec "$TMP/rec.err" --db "$DB" -b 1M --queue-size 64K -v
# (in rounds: a 64 KiB queue takes a few thousand events a second)
for round in $(seq 1 20); do
	in_ns "$BIN/trafficgen" -S udp 127.0.0.1 $((7000 + round)) $((N / 20)) >/dev/null
	sleep 0.2
done
wait_until 20 eval "[ \$(sqlite3 '$DB' 'SELECT count(*) FROM flows WHERE o_dport BETWEEN 7001 AND 7020') = $N ]" ||
	fail "the $N flows were not recorded: $(cat "$TMP/rec.err")"
# Their deletion while the recorder is stopped overflows its 1 MiB socket.
# When it goes on, the kernel reports ENOBUFS first, then the DESTROYs the
# socket still holds, of flows the table no longer has, which wait there
# while the receiver waits on its 64 KiB queue: a dump made at the ENOBUFS
# finds them gone although their DESTROY is still to come.
kill -STOP "$PID_rec"
in_ns conntrack -D -p udp >/dev/null 2>&1 || true
kill -CONT "$PID_rec"
wait_until 20 eval "grep -q '^ctrecord: resync:' '$TMP/rec.err'" || fail "no resync: $(cat "$TMP/rec.err")"
sleep 2
stop_recorder rec 20
cat "$TMP/rec.err"
gaps=$(sqlite3 "$DB" "SELECT count(*) FROM gaps WHERE kind = 'enobufs'")
[ "$gaps" -gt 0 ] || fail "no loss: the test proves nothing"

# Each flow is one flow, ended once: a DESTROY that came after the flow was
# ended "end unknown" opened a second one (first seen mid-life, origin 2).
twice=$(sqlite3 "$DB" "SELECT count(*) FROM (SELECT o_sport FROM flows WHERE o_dport BETWEEN 7001 AND 7020
	GROUP BY o_src, o_sport, o_dport HAVING count(*) > 1)")
[ "$twice" = 0 ] || fail "$twice flows stored twice: $(sqlite3 "$DB" "SELECT origin, end_kind, count(*)
	FROM flows WHERE o_dport BETWEEN 7001 AND 7020 GROUP BY 1, 2")"
n=$(sqlite3 "$DB" "SELECT count(*) FROM flows WHERE o_dport BETWEEN 7001 AND 7020")
[ "$n" = $N ] || fail "$n flows to ports 7001-7020, not $N"
open=$(sqlite3 "$DB" "SELECT count(*) FROM flows WHERE o_dport BETWEEN 7001 AND 7020 AND end_kind IS NULL")
[ "$open" = 0 ] || fail "$open flows left open although the table is empty"
# A flow ended "end unknown" had its DESTROY lost: none of it is stored.
destroys=$(count_events "$DB" 3)
destroyed=$(sqlite3 "$DB" "SELECT count(*) FROM flows WHERE o_dport BETWEEN 7001 AND 7020 AND end_kind = 1")
[ "$destroys" = "$destroyed" ] ||
	fail "$destroys DESTROY events stored, $destroyed flows ended by one"
say "$gaps gaps; of $N flows, $destroyed destroyed, $((N - destroyed)) end unknown (their DESTROY lost)"

# A stop while more is queued in the socket than the queue holds: the
# receiving thread waited on the full queue, the writer waited for it to
# end, and neither moved. It must now end, and store every event.
rm -f "$DB" "$DB-wal" "$DB-shm"
start_recorder rec2 "$TMP/rec2.err" --db "$DB" --queue-size 64K -v
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7002 $N >/dev/null
stop_recorder rec2 30
cat "$TMP/rec2.err"
# (a UDP flow with a reply: NEW, UPDATE)
grep -q "^ctrecord: $((2 * N)) events, $N flows, 0 lost" "$TMP/rec2.err" ||
	fail "a 64 KiB queue lost events: $(tail -1 "$TMP/rec2.err")"

# A reopen (SIGHUP) while the receiving thread's dump waits in the queue,
# the writer held back by another writer's lock: the reopen dumps the table
# anew, with flows begun after the queued dump; that older dump, reached
# later, must not find them missing and end them (their NEW then opened a
# second flow each). The reopen's dump takes its place.
rm -f "$DB" "$DB-wal" "$DB-shm"
start_recorder rec3 "$TMP/rec3.err" --db "$DB" -b 64K -v
sqlite3 "$DB" "BEGIN IMMEDIATE; SELECT 1 FROM sessions LIMIT 0;" ".shell sleep 4" "COMMIT;" &
locker=$!
sleep 0.3
kill -STOP "$PID_rec3"	# a loss: its socket overflows
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7101 2000 >/dev/null
kill -CONT "$PID_rec3"
sleep 0.8
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7102 200 >/dev/null
sleep 0.3
kill -HUP "$PID_rec3"
wait "$locker"
wait_until 20 eval "grep -q '^ctrecord: reopened' '$TMP/rec3.err'" || fail "no reopen: $(cat "$TMP/rec3.err")"
sleep 3
stop_recorder rec3 20
cat "$TMP/rec3.err"
sqlite3 "$DB" "SELECT count(*) FROM gaps" | grep -qv '^0$' || fail "no loss: this part proves nothing"
n=$(sqlite3 "$DB" "SELECT count(*) FROM flows WHERE o_dport = 7102")
ended=$(sqlite3 "$DB" "SELECT count(*) FROM flows WHERE o_dport = 7102 AND end_kind IS NOT NULL")
[ "$n" = 200 ] && [ "$ended" = 0 ] ||
	fail "$n flows to port 7102 (not 200), $ended of them ended although alive: $(sqlite3 "$DB" "SELECT origin, end_kind, count(*) FROM flows WHERE o_dport = 7102 GROUP BY 1, 2")"
say "a reopen while a dump waited: the 200 newer flows stored once each, open"
