#!/bin/bash
# t3400: ctquery replay stopped by SIGTERM or SIGINT while its output is full (a pager nobody reads) exits 0 without an error message, as conntrack -E does; also when it formats on several threads (-o xml,labels).
set -eu
. "$(dirname "$0")/lib.sh"

require_built ctrecord ctquery
require_seed events.txt
DB=$TMP/flows.db
# A history whose replay is far more than a pipe holds (64 KiB).
for i in $(seq 1 500); do cat "$SEED/events.txt"; done >"$TMP/many.txt"
"$BIN/ctrecord" --db "$DB" --import "$TMP/many.txt" 2>"$TMP/imp.err" || fail "import failed: $(cat "$TMP/imp.err")"
mkfifo "$TMP/pager"
exec 8<>"$TMP/pager"	# a reader that never reads
for sig in TERM INT; do
	for o in "" "-o xml" "-o xml,labels"; do
		# (-o xml,labels formats on several threads, parformat.c; without a
		# label map it warns once, as conntrack does)
		# shellcheck disable=SC2086
		CTQUERY_THREADS=2 "$BIN/ctquery" --db "$DB" replay $o >"$TMP/pager" 2>"$TMP/err.all" &
		pid=$!
		sleep 0.5
		kill -0 "$pid" 2>/dev/null || fail "replay $o did not block on its output"
		kill "-$sig" "$pid"
		rc=0
		wait_until 5 eval "! pid_ours $pid" || { kill -KILL "$pid"; fail "replay $o hung after SIG$sig"; }
		wait "$pid" || rc=$?
		grep -v 'connlabel.conf: labels are not shown' "$TMP/err.all" >"$TMP/err" || true
		[ "$rc" = 0 ] || fail "replay $o exited $rc on SIG$sig: $(cat "$TMP/err")"
		[ ! -s "$TMP/err" ] || fail "replay $o on SIG$sig said: $(cat "$TMP/err")"
		# what it wrote so far must not be read by the next one
		exec 8<&-
		exec 8<>"$TMP/pager"
	done
done
exec 8<&-
say "replay (text, XML, XML on two threads) blocked on a full pipe: SIGTERM and SIGINT end it with status 0, silently"
