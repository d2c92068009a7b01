#!/bin/bash
# t1140: the status line: on a terminal it is kept up to date in place (events/s, open flows, loss, sizes) and erased before other messages; -v prints it as messages; neither goes to a file without -v.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd script
require_built ctrecord trafficgen
netns_setup

# On a terminal (script(1) gives it one): 5 s of recording with traffic,
# and a SIGHUP in the middle, whose message must not land on a status line.
start_bg tty script -qfec "$BIN/ctrecord --db $TMP/tty.db & p=\$!; sleep 3; kill -HUP \$p;
	sleep 2; kill -INT \$p; wait \$p" "$TMP/tty.out" </dev/null >/dev/null
wait_until 10 eval "grep -q 'listening' '$TMP/tty.out' 2>/dev/null" || fail "ctrecord did not start: $(cat "$TMP/tty.out")"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7601 30 >/dev/null
wait_bg tty 15 || fail "ctrecord under script did not stop"
erase=$(printf '\r\033[K')
n=$(grep -ao "ctrecord: [0-9]* events/s, [0-9]* open flows, 0 lost, database [0-9.]* MB, queue [0-9.]* MB" \
	"$TMP/tty.out" | wc -l)
[ "$n" -ge 2 ] || fail "$n status lines on the terminal, not 2 or more: $(od -c "$TMP/tty.out" | head -20)"
tr '\r' '\n' <"$TMP/tty.out" | grep -q 'ctrecord: [0-9]* events/s, [1-9][0-9]* open flows' ||
	fail "no status line showed the open flows: $(tr '\r' '\n' <"$TMP/tty.out" | grep 'events/s' | tail -3)"
# a status line ends without a newline, and what follows it is an erase:
# no message is written after it on its line
perl -0777 -ne 'for (split /\r\e\[K/) { exit 1 if /events\/s/ && !/events\/s, [^\r\n]* MB\z/ }' \
	"$TMP/tty.out" || fail "a message was written after a status line: $(od -c "$TMP/tty.out" | tail -12)"
grep -aq "reopened" "$TMP/tty.out" || fail "no message after SIGHUP: $(od -c "$TMP/tty.out" | tail -12)"
grep -aq "ctrecord: [0-9]* events, [0-9]* flows, 0 lost" "$TMP/tty.out" ||
	fail "no summary: $(od -c "$TMP/tty.out" | tail -12)"

# A job in the background of the terminal (set -m: its own process group)
# does not own the line: no status line over the foreground's output.
start_bg bg script -qfec "bash -c 'set -m; $BIN/ctrecord --db $TMP/bg.db & sleep 3;
	echo FOREGROUND; sleep 1; kill -INT %1; wait'" "$TMP/bg.out" </dev/null >/dev/null
wait_bg bg 15 || fail "ctrecord in the background under script did not stop"
grep -aq "ctrecord: [0-9]* events, [0-9]* flows, 0 lost" "$TMP/bg.out" ||
	fail "ctrecord in the background did not run: $(cat "$TMP/bg.out")"
! grep -aq 'events/s' "$TMP/bg.out" ||
	fail "a status line from a job in the background: $(od -c "$TMP/bg.out" | tail -12)"
grep -aq '^FOREGROUND' "$TMP/bg.out" ||
	fail "the foreground's output is not at the start of its line: $(od -c "$TMP/bg.out" | tail -12)"

# -v to a file: the same facts as messages every 5 s, no terminal codes.
start_recorder v "$TMP/v.err" --db "$TMP/v.db" -v
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7602 30 >/dev/null
wait_for_line "$TMP/v.err" '^ctrecord: [0-9]+ events/s, [0-9]+ open flows, 0 lost, database [0-9.]+ MB, queue [0-9.]+ MB$' 12 ||
	fail "no status message with -v: $(cat "$TMP/v.err")"
stop_bg v INT 10 || fail "ctrecord -v did not stop"
! grep -q "$(printf '\033')" "$TMP/v.err" || fail "terminal codes in a file with -v"

# Neither without -v to a file.
start_recorder q "$TMP/q.err" --db "$TMP/q.db"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7603 30 >/dev/null
sleep 2
stop_bg q INT 10 || fail "ctrecord did not stop"
! grep -q 'events/s' "$TMP/q.err" || fail "a status line in a file without -v: $(cat "$TMP/q.err")"
say "terminal: $n status lines in place, erased before the summary, none in the background; -v: status messages; a file without -v: none"
