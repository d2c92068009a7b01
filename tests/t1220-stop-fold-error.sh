#!/bin/bash
# t1220: when ctrecord stops, the changes of flows still waiting are folded into their rows before its summary: a failure there is one error and exit status 1 (the changes waiting for the next writer), not a summary and exit status 0.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3
require_built ctrecord trafficgen
netns_setup

DB=$TMP/flows.db
start_recorder rec "$TMP/rec.err" --db "$DB"
stop_recorder rec
# The database refuses to change a flow's row once the newest session has
# stopped: the fold at the stop is the one write that can meet it.
sqlite3 "$DB" "CREATE TRIGGER refuse_fold BEFORE UPDATE ON flows
	WHEN (SELECT stopped_us FROM sessions ORDER BY id DESC LIMIT 1) IS NOT NULL
	BEGIN SELECT RAISE(ABORT, 'the test refuses the fold'); END"
: >"$TMP/rec.err"
start_recorder rec "$TMP/rec.err" --db "$DB"
# Connections whose later events (their ends) come in commits after the one
# that wrote their rows: their changes wait for a fold, which the writer does
# after a second without events or at its stop. Other flows keep coming until
# the stop, so that the stop's is the fold that runs.
for i in 1 2 3; do
	in_ns "$BIN/trafficgen" tcp 127.0.0.1 $((7600 + i)) >/dev/null
	in_ns "$BIN/trafficgen" udp 127.0.0.1 $((7600 + i)) >/dev/null
done
start_bg gen bash -c 'while :; do "$0" udp 127.0.0.1 7700 >/dev/null; sleep 0.05; done' \
	"$BIN/trafficgen"
sleep 0.3
in_ns conntrack -D -p tcp >/dev/null 2>&1 || true
sleep 0.3
stop_bg rec TERM 20 || fail "ctrecord did not stop: $(tail -5 "$TMP/rec.err")"
rc=$BG_STATUS
stop_bg gen || true
say "ctrecord exited $rc: $(tail -3 "$TMP/rec.err" | tr '\n' '|')"
[ "$rc" = 1 ] || fail "a fold refused at the stop: exit status $rc, not 1"
[ "$(grep -c 'the test refuses the fold' "$TMP/rec.err")" = 1 ] ||
	fail "a fold refused at the stop: not one error naming it: $(cat "$TMP/rec.err")"
grep -q 'stopped on an error' "$TMP/rec.err" ||
	fail "the summary does not say ctrecord stopped on an error: $(cat "$TMP/rec.err")"
# Nothing is lost: the session's flows are all there, their changes wait in
# flow_pending, and the next writer folds them once the trigger is gone.
n=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM flows WHERE o_dport BETWEEN 7601 AND 7603")
[ "$n" = 6 ] || fail "$n of the 6 flows recorded"
n=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM flow_pending")
[ "$n" -gt 0 ] || fail "no changes of flows left to fold after the refused fold"
sqlite3 "$DB" "DROP TRIGGER refuse_fold"
start_recorder rec "$TMP/rec.err" --db "$DB"
stop_recorder rec
n=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM flows WHERE o_dport BETWEEN 7601 AND 7603
	AND proto = 6 AND end_dur IS NOT NULL")
[ "$n" = 3 ] || fail "$n of the 3 TCP connections ended after a clean stop"
[ "$(sqlite3 -readonly "$DB" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check failed"
