#!/bin/bash
# t1720: on a file system smaller than the -wal's 40 MiB between checkpoints, the writer checkpoints, and empties the -wal's file, before the -wal takes the last free room: it used to fill the disk with a -wal that no checkpoint could then move (the database could not grow) and no commit add to, and stalled for good with a quarter of the room holding history; then the room the -wal's file kept between checkpoints (1.4 MB of 4 MiB) was lost to the history.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3 mount umount
require_built ctrecord trafficgen
netns_setup
netns_long_udp 300

small_fs
DB=$SMALL/flows.db
ROUNDS=84
PER=500		# flows a round: 42,000 in all, about 3.4 MB of history in 4 MiB (the code before: 37,000)
flows() { sqlite3 -readonly "$DB" "SELECT count(*) FROM flows"; }

start_recorder rec "$TMP/rec.err" --db "$DB"
for r in $(seq 1 $ROUNDS); do
	in_ns "$BIN/trafficgen" -S udp 127.0.0.1 $((7000 + r)) $PER >/dev/null
	wait_until 20 eval "[ \$(flows) = $((r * PER)) ]" ||
		fail "round $r: $(flows) of $((r * PER)) flows recorded; $(ls -l "$SMALL" | tr '\n' ' ');" \
			"$(tail -3 "$TMP/rec.err")"
done
say "$(flows) flows recorded: $(ls -l "$SMALL" | awk '/flows.db/ { printf "%s %s; ", $NF, $5 }')"
! grep 'cannot write to\|cannot commit' "$TMP/rec.err" || fail "the writer stalled although the history fits"
stop_recorder rec 20
[ "$(sqlite3 -readonly "$DB" "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
[ "$(count_events "$DB" 1)" = $((ROUNDS * PER)) ] || fail "$(count_events "$DB" 1) NEW events stored, not $((ROUNDS * PER))"
