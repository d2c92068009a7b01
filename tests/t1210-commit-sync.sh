#!/bin/bash
# t1210: every commit is synced to disk (fdatasync of the -wal) before the writer goes on, so a committed event survives a power loss, not only a crash of ctrecord.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd strace
require_built ctrecord trafficgen
netns_setup

DB=$TMP/flows.db
# -y names each descriptor's file; -f follows the writer thread.
start_bg rec strace -f -qq -y -e trace=fdatasync,fsync -o "$TMP/trace" \
	"$BIN/ctrecord" --db "$DB" 2>>"$TMP/rec.err"
wait_for_line "$TMP/rec.err" '^ctrecord: listening' 10 || fail "ctrecord did not start: $(cat "$TMP/rec.err")"
synced() { grep -c 'flows\.db-wal>) = 0' "$TMP/trace" || true; }
before=$(synced)
# Five connections, each in a commit of its own (the default interval is 100 ms).
for i in 1 2 3 4 5; do
	in_ns "$BIN/trafficgen" tcp 127.0.0.1 $((7500 + i)) >/dev/null
	sleep 0.5
done
during=$(( $(synced) - before ))
recorded=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM flows WHERE o_dport BETWEEN 7501 AND 7505")
[ "$recorded" = 5 ] || fail "$recorded of the 5 connections were recorded"
# ctrecord is strace's child: stop it, and strace ends with it.
eval "tracer=\$PID_rec"
rec=$(pgrep -P "$tracer" -x ctrecord) || fail "no ctrecord under strace"
kill -TERM "$rec"
wait_bg rec 20 || fail "ctrecord did not stop"
say "fdatasync of the -wal while 5 connections 0.5 s apart were recorded: $during"
[ "$during" -ge 5 ] || fail "only $during syncs of the -wal for 5 commits: commits are not synced"
