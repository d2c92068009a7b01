#!/bin/bash
# tests/run.sh: runs every tests/tNNNN-*.sh and each binary in $UNIT_TESTS; prints PASS/FAIL/SKIP and a summary.
#
# usage: tests/run.sh [PATTERN...]   (only tests whose name contains a PATTERN)
# Exit status per test: 0 pass, 77 skip, else fail.  Logs go to tests/out/NAME.log.
# Env: BIN (default <top>/build), SEED (default <top>/../shared/seed),
#      UNIT_TESTS (space-separated paths), CT_STRICT=1 (a skip fails the run),
#      CT_TEST_TIMEOUT (seconds per test, default 300).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BIN=$(cd "${BIN:-$top/build}" 2>/dev/null && pwd || echo "${BIN:-$top/build}")
SEED=${SEED:-$(cd "$top/../shared/seed" 2>/dev/null && pwd || echo "$top/../shared/seed")}
export BIN SEED
out=$here/out
if ! { mkdir -p "$out" 2>/dev/null && [ -w "$out" ]; }; then
	out=$(mktemp -d "${TMPDIR:-/tmp}/ct-tests.XXXXXX") || exit 1
	echo "# $here/out is not writable; logs go to $out"
fi
pass=0 failed=0 skipped=0

wanted() {
	[ $# -le 1 ] && return 0
	local name=$1 p; shift
	for p in "$@"; do case $name in *"$p"*) return 0 ;; esac; done
	return 1
}

run_one() {	# run_one NAME CMD
	local name=$1 log=$out/$1.log rc reason
	rm -f "$log"
	timeout -k 10 "${CT_TEST_TIMEOUT:-300}" "$2" >"$log" 2>&1 </dev/null
	rc=$?
	case $rc in
	0)	echo "PASS $name"; pass=$((pass + 1)) ;;
	77)	reason=$(grep -i '^\(# \)\?skip' "$log" | tail -n1 | sed 's/^\(# \)\?[sS][kK][iI][pP][a-z]*:\? *//')
		echo "SKIP $name: ${reason:-$(tail -n1 "$log")}"; skipped=$((skipped + 1)) ;;
	*)	[ $rc = 124 ] && echo "# timed out after ${CT_TEST_TIMEOUT:-300}s" >>"$log"
		echo "FAIL $name"; tail -n 30 "$log" | sed 's/^/    /'; echo "    (exit status $rc)"
		failed=$((failed + 1)) ;;
	esac
}

cd "$top" || exit 1
for t in "$here"/t[0-9][0-9][0-9][0-9]-*.sh; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=$(basename "$t" .sh)
	wanted "$name" "$@" && run_one "$name" "$t"
done
for u in ${UNIT_TESTS:-}; do
	name=$(basename "$u")
	wanted "$name" "$@" || continue
	if [ -x "$u" ]; then
		run_one "$name" "$u"
	else
		echo "FAIL $name"; echo "    not found or not executable: $u"; failed=$((failed + 1))
	fi
done

echo "$pass passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] || exit 1
[ "${CT_STRICT:-0}" = 1 ] && [ "$skipped" != 0 ] && exit 1
exit 0
