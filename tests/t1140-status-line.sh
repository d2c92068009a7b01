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

# --import's progress line on a terminal of 40 columns: cut to the width (a
# longer line wraps, and \r goes back to its last row only), and erased
# before an error about a line of the log.
awk 'BEGIN { for (i = 0; i < 2000; i++)
	printf "[1795700000.%06d]\t    [NEW] udp      17 30 src=10.0.%d.%d dst=10.1.0.1 sport=%d dport=53 [UNREPLIED] src=10.1.0.1 dst=10.0.%d.%d sport=53 dport=%d\n",
		i, int(i / 250), i % 250, 1024 + i, int(i / 250), i % 250, 1024 + i
	print "not an event" }' >"$TMP/a-log-with-a-rather-long-name.log"
script -qfec "stty cols 40; $BIN/ctrecord --db $TMP/imp.db --import $TMP/a-log-with-a-rather-long-name.log" \
	"$TMP/imp.out" </dev/null >/dev/null || true
grep -aq "importing" "$TMP/imp.out" || fail "no progress line: $(cat -A "$TMP/imp.out")"
perl -ne 'for (split /\r|\e\[K/) { exit 1 if /importing/ && length > 39 }' "$TMP/imp.out" ||
	fail "a progress line wider than the terminal: $(cat -A "$TMP/imp.out")"
grep -aq "ctrecord: error: .*name.log:2001: " "$TMP/imp.out" || fail "no error: $(cat -A "$TMP/imp.out")"
perl -0777 -ne 'exit 1 unless /(\e\[K|\n)ctrecord: error: /' "$TMP/imp.out" ||
	fail "the error was written after the progress line: $(cat -A "$TMP/imp.out")"

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
say "terminal: $n status lines in place, erased before the summary, none in the background; --import's progress cut and erased; -v: status messages; a file without -v: none"
