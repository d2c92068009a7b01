#!/bin/bash
# t3410: a ctquery replay or list whose output nobody reads (a pager left open) gives up its snapshot within seconds, so a writer's checkpoints are not held back; read again, it goes on where it was and prints exactly the history it started with (a list's flows as they are then), not what was stored meanwhile; when retention removed history it had still to print, it says so. Replay: text (one formatting thread), XML with labels (several), a filter, one flow; list: all flows, a filter.
set -eu
. "$(dirname "$0")/lib.sh"

require_built ctrecord ctquery
require_seed events.txt

# log N T0: the seed's events N times over, as conntrack -E -o timestamp
# prints them, a millisecond apart from T0 (epoch seconds) on
log() {
	local i
	for i in $(seq 1 "$1"); do cat "$SEED/events.txt"; done |
		awk -v t0="$2" '{ printf "[%d.%06d]\t%s\n", t0 + int(NR / 1000), (NR % 1000) * 1000, $0 }'
}

# paused NAME DB COMMAND ARGS...: starts ctquery --db DB COMMAND ARGS into
# a pipe nobody reads; returns once it is blocked there and has given its
# snapshot up. Its pid goes to $PAUSED.
paused() {
	local name=$1 db=$2; shift 2
	rm -f "$TMP/pipe"
	mkfifo "$TMP/pipe"
	exec 8<>"$TMP/pipe"	# a reader that never reads
	"$BIN/ctquery" --db "$db" "$@" >"$TMP/pipe" 2>"$TMP/$name.err" &
	PAUSED=$!
	BG_PIDS="$BG_PIDS $PAUSED"
	wait_until 5 holds_snapshot "$PAUSED" "$db" ||
		fail "$*: never seen reading a snapshot"
	wait_until 10 eval "! holds_snapshot $PAUSED $db" ||
		fail "$*: still holds its snapshot while its output waits"
	kill -0 "$PAUSED" 2>/dev/null || fail "$*: did not block on its output: $(cat "$TMP/$name.err")"
}

# drain NAME: reads what the paused replay prints, to its end, into $TMP/NAME.out.
drain() {
	local rc=0 reader
	cat "$TMP/pipe" 8<&- >"$TMP/$1.out" &
	reader=$!
	exec 8<&-
	wait "$PAUSED" || rc=$?
	wait "$reader"
	BG_PIDS=$(echo "$BG_PIDS" | tr ' ' '\n' | grep -vx "$PAUSED" | tr '\n' ' ')
	[ "$rc" = 0 ] || fail "$1: ctquery exited $rc: $(cat "$TMP/$1.err")"
}

DB=$TMP/flows.db
NOW=$(date +%s)
log 300 $((NOW - 3600)) >"$TMP/a.log"
"$BIN/ctrecord" --db "$DB" --import "$TMP/a.log" 2>"$TMP/imp.err" || fail "import: $(cat "$TMP/imp.err")"
# and one long flow among others: a selective replay (one flow, searched
# from both ends of the history) of more than a pipe holds
awk -v t0=$((NOW - 1800)) -v f='tcp      6 %s src=10.9.9.9 dst=10.8.8.8 sport=1000 dport=80 %ssrc=10.8.8.8 dst=10.9.9.9 sport=80 dport=1000%s' '
	{ seed[NR] = $0 }
	function out(l) { n++; printf "[%d.%06d]\t%s\n", t0 + int(n / 1000), (n % 1000) * 1000, l }
	END {
		out("    [NEW] " sprintf(f, "120 SYN_SENT", "[UNREPLIED] ", ""))
		for (i = 0; i < 4000; i++) {
			out(" [UPDATE] " sprintf(f, "432000 ESTABLISHED", "", " [ASSURED]"))
			out(seed[i % NR + 1])
		}
		out("[DESTROY] " sprintf(f, "", "", " [ASSURED]"))
	}' "$SEED/events.txt" >"$TMP/long.log"
"$BIN/ctrecord" --db "$DB" --import "$TMP/long.log" 2>"$TMP/imp.err" || fail "import: $(cat "$TMP/imp.err")"
n=0
for args in "replay" "replay -o xml,labels" "replay -p udp -o id" "replay -s 10.9.9.9" \
	    "list" "list -s 172.17.0.3 -o conntrack"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	"$BIN/ctquery" --db "$DB" $args >"$TMP/ref$n" 2>/dev/null
	[ "$(wc -c <"$TMP/ref$n")" -gt 200000 ] || fail "$args: too little for a pipe to fill"
	# shellcheck disable=SC2086
	CTQUERY_THREADS=2 paused "p$n" "$DB" $args
	# a writer stores more while the replay waits; its snapshot held, the
	# -wal could not have been reset (the import's close does that)
	log 10 $((NOW + 100 * n)) >"$TMP/b$n.log"	# (each its own: not a grown one)
	"$BIN/ctrecord" --db "$DB" --import "$TMP/b$n.log" 2>"$TMP/imp.err" ||
		fail "import while ctquery $args waits: $(cat "$TMP/imp.err")"
	[ ! -s "$DB-wal" ] || fail "the -wal was not reset after the import: $(wc -c <"$DB-wal") bytes"
	drain "p$n"
	grep -v 'connlabel.conf: labels are not shown' "$TMP/p$n.err" >"$TMP/err" || true
	[ ! -s "$TMP/err" ] || fail "$args said: $(cat "$TMP/err")"
	test_cmp "$TMP/ref$n" "$TMP/p$n.out"
done
say "paused replays (text, XML with labels on two threads, -p udp, one flow of $(wc -l <"$TMP/ref4") events) and lists (all, -s 172.17.0.3) gave up their snapshots; read again, each printed the events or flows it started with ($(wc -l <"$TMP/ref1") events, $(($(wc -l <"$TMP/ref5") - 1)) flows), none stored meanwhile"

# A stats whose last lines wait at the exit on a pipe already full (a
# pager that has not read what came before) holds no snapshot there, with
# --where too: its authorizer refused the ROLLBACK that was to end it.
for args in "stats" "stats --where bytes>=0"; do
	rm -f "$TMP/pipe"
	mkfifo "$TMP/pipe"
	exec 8<>"$TMP/pipe"
	head -c 65536 /dev/zero >&8	# a pipe's 64 KiB, unread
	# shellcheck disable=SC2086
	"$BIN/ctquery" --db "$DB" $args >"$TMP/pipe" 2>"$TMP/st.err" &
	PAUSED=$!
	BG_PIDS="$BG_PIDS $PAUSED"
	wait_until 10 eval "grep -q pipe_write /proc/$PAUSED/wchan" ||
		fail "$args: not seen waiting on its output: $(cat "$TMP/st.err")"
	! holds_snapshot "$PAUSED" "$DB" || fail "$args: holds its snapshot while its output waits"
	kill "$PAUSED"
	wait "$PAUSED" 2>/dev/null || true
	BG_PIDS=$(echo "$BG_PIDS" | tr ' ' '\n' | grep -vx "$PAUSED" | tr '\n' ' ')
	exec 8<&-
done
say "stats and stats --where waiting on their output at the exit hold no snapshot"

# Retention removes the first hours while a replay of them waits: it says so.
DB2=$TMP/pruned.db
log 300 $((NOW - 10 * 86400)) >"$TMP/old.log"
"$BIN/ctrecord" --db "$DB2" --import "$TMP/old.log" 2>"$TMP/imp.err" || fail "import: $(cat "$TMP/imp.err")"
"$BIN/ctrecord" --db "$DB2" --import "$TMP/a.log" 2>"$TMP/imp.err" || fail "import: $(cat "$TMP/imp.err")"
"$BIN/ctquery" --db "$DB2" replay >"$TMP/ref" 2>/dev/null
paused pr "$DB2" replay
"$BIN/ctrecord" --db "$DB2" --prune --retain 1d 2>"$TMP/prune.err" || fail "prune: $(cat "$TMP/prune.err")"
drain pr
grep -q 'retention removed the history before .* while the output waited' "$TMP/pr.err" ||
	fail "no word of the history removed: $(cat "$TMP/pr.err")"
[ "$(wc -l <"$TMP/pr.err")" = 1 ] || fail "more than the one warning: $(cat "$TMP/pr.err")"
# what it printed is the history it started with, less what was removed
diff "$TMP/ref" "$TMP/pr.out" | grep -q '^>' && fail "lines the history did not have: $(diff "$TMP/ref" "$TMP/pr.out" | grep -m3 '^>')"
[ "$(wc -l <"$TMP/pr.out")" -lt "$(wc -l <"$TMP/ref")" ] || fail "nothing was missing after the prune"
tail -n "$(wc -l <"$TMP/a.log")" "$TMP/ref" | cmp -s - <(tail -n "$(wc -l <"$TMP/a.log")" "$TMP/pr.out") ||
	fail "the history retention kept is not all there"
say "retention while a replay waited: $(cat "$TMP/pr.err")"
say "it printed $(wc -l <"$TMP/pr.out") of the $(wc -l <"$TMP/ref") events, the last $(wc -l <"$TMP/a.log") (kept) all"
