#!/bin/bash
# t1710: a loss while the disk is full: the transactions that reconcile the flows against the kernel's table are rolled back again and again, and once space returns the vanished flows still end, no flow twice, none left open; the loss is reported once, the retries' errors counted.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3 mount umount conntrack
require_built ctrecord trafficgen
netns_setup
netns_long_udp

small_fs
DB=$SMALL/flows.db
N=2000
# flows to PORT..PORT+9 (200 each)
ports="BETWEEN 7301 AND 7310"

start_recorder rec "$TMP/rec.err" --db "$DB" -b 1M -v
for p in $(seq 7301 7310); do
	in_ns "$BIN/trafficgen" -S udp 127.0.0.1 "$p" $((N / 10)) >/dev/null
done
wait_until 20 eval "[ \$(sqlite3 -readonly '$DB' 'SELECT count(*) FROM flows WHERE o_dport $ports') = $N ]" ||
	fail "the $N flows were not recorded: $(cat "$TMP/rec.err")"

# The disk fills; the recorder is stopped while the flows are deleted, so
# that its 1 MiB socket overflows: when it goes on, the kernel reports
# ENOBUFS, the receiving thread dumps the table (empty of them) and queues
# the dump and its sync mark, and every transaction that reads them, where
# the vanished flows are ended, fails for want of space and is rolled back.
# New flows after it make each transaction too big for the WAL's old room.
dd if=/dev/zero of="$SMALL/filler" bs=64k 2>/dev/null || true
kill -STOP "$PID_rec"
in_ns conntrack -D -p udp >/dev/null 2>&1 || true
kill -CONT "$PID_rec"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7320 3000 >/dev/null
wait_for_line "$TMP/rec.err" 'warning: the kernel dropped events' 20 || { cat "$TMP/rec.err"; fail "no loss: the test proves nothing"; }
wait_for_line "$TMP/rec.err" 'warning: cannot write to' 20 || { cat "$TMP/rec.err"; fail "no warning when the disk is full"; }
wait_for_line "$TMP/rec.err" '^ctrecord: resync:' 20 || { cat "$TMP/rec.err"; fail "no resync"; }
sleep 2.5	# (the writer retries every second: two more rollbacks)
pid_ours "$PID_rec" || fail "ctrecord died when the disk filled up"
[ "$(sqlite3 -readonly "$DB" "SELECT count(*) FROM flows WHERE o_dport $ports AND end_kind IS NOT NULL")" = 0 ] ||
	fail "flows were ended although nothing could be written"

rm -f "$SMALL/filler"
wait_for_line "$TMP/rec.err" 'writing again after' 15 || { cat "$TMP/rec.err"; fail "did not resume when space returned"; }
sleep 1.5
left=$(in_ns conntrack -L -p udp 2>/dev/null | grep -c 'dport=73[01][0-9] ' || true)
stop_recorder rec 20
cat "$TMP/rec.err"
[ "$left" = 0 ] || fail "conntrack -D left $left of the flows in the table"
# One loss, one resync, said once: the rolled back transactions read the
# gap and the dump again, but they are not news; a retry's error is counted.
[ "$(grep -c 'warning: the kernel dropped events' "$TMP/rec.err")" = 1 ] ||
	fail "the one loss was reported more than once"
[ "$(grep -c '^ctrecord: resync:' "$TMP/rec.err")" = 1 ] || fail "the one resync was reported more than once"
[ "$(grep -c 'error: cannot commit' "$TMP/rec.err")" -le 2 ] || fail "each retry reported its error"
grep -q '^ctrecord: (the line before came [0-9]* more time' "$TMP/rec.err" ||
	fail "the retries' errors are not counted"

twice=$(sqlite3 "$DB" "SELECT count(*) FROM (SELECT 1 FROM flows WHERE o_dport $ports
	GROUP BY o_src, o_sport, o_dport HAVING count(*) > 1)")
[ "$twice" = 0 ] || fail "$twice flows stored twice"
open=$(sqlite3 "$DB" "SELECT count(*) FROM flows WHERE o_dport $ports AND end_kind IS NULL")
[ "$open" = 0 ] || fail "$open of the $N deleted flows left open after the resync: $(sqlite3 "$DB" \
	"SELECT origin, end_kind, count(*) FROM flows WHERE o_dport $ports GROUP BY 1, 2")"
newer=$(sqlite3 "$DB" "SELECT count(*) FROM flows WHERE o_dport = 7320 AND end_kind IS NULL")
[ "$newer" = 3000 ] || fail "$newer of the 3000 flows made after the loss open, not all"
say "$(sqlite3 "$DB" "SELECT sum(end_kind = 1) || ' destroyed, ' || sum(end_kind = 2) || ' end unknown'
	FROM flows WHERE o_dport $ports") of $N; the 3000 later flows open"
