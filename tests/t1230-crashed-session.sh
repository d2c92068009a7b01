#!/bin/bash
# t1230: ctquery sessions tells a recorder run that is recording from one that crashed (killed, never stopped): both were "(running/crashed)", also a run that the next recorder on the file had already found dead, and one whose ctrecord had gone.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord ctquery trafficgen
netns_setup

DB=$TMP/flows.db
# stopped SESSION: the STOPPED column of that session (its date alone if stopped).
stopped() { "$BIN/ctquery" --db "$DB" sessions | awk -v s="$1" '$1 == s { print $5 }'; }
expect() {
	local got
	got=$(stopped "$1")
	[ "$got" = "$2" ] || fail "session $1 ($3): STOPPED is '$got', not '$2': $("$BIN/ctquery" --db "$DB" sessions)"
}

start_recorder rec "$TMP/rec.err" --db "$DB"
in_ns "$BIN/trafficgen" udp 127.0.0.1 7601 5 >/dev/null
expect 1 '(recording)' "recording"
stop_bg rec KILL 5 || true
expect 1 '(crashed)' "killed"

start_recorder rec "$TMP/rec.err" --db "$DB"
grep -q 'did not stop cleanly' "$TMP/rec.err" || fail "the restart did not see the crash: $(cat "$TMP/rec.err")"
expect 1 '(crashed)' "killed, another recording after it"
expect 2 '(recording)' "recording after a crash"
in_ns "$BIN/ctrecord" --db "$DB" 2>"$TMP/second.err" && fail "a second ctrecord recorded into the file"
expect 2 '(recording)' "a second ctrecord refused"
stop_recorder rec
expect 1 '(crashed)' "killed, another recording after it, stopped"
stopped 2 | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' || fail "session 2 stopped: $(stopped 2)"
"$BIN/ctquery" --db "$DB" sessions
