#!/bin/bash
# t3700: a libc call made to fail (an LD_PRELOAD library: out of memory, an I/O error) makes a command fail in one error line with exit status 1, or changes nothing, and an import it stops leaves a database a second import completes.
set -eu
. "$(dirname "$0")/lib.sh"

require_cmd sqlite3
require_built ctrecord ctquery faultinject.so
require_seed events.txt
# (a sanitized program wants its runtime first among the libraries)
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
cd "$TMP"
"$BIN/ctrecord" --db seed.db --import "$SEED/events.txt" 2>/dev/null ||
	fail "cannot import the seed log"

# calls FAM CMD...: how many calls of the family FAM CMD makes.
calls() {
	local fam=$1; shift
	rm -f count
	FAULT_COUNT=$TMP/count LD_PRELOAD=$BIN/faultinject.so "$@" >/dev/null 2>&1 || true
	sed -n "s/^$fam //p" count
}

# fails FAM ERRNO N CMD...: CMD with the Nth call of FAM failing with ERRNO
# exits 1 with one error line, or as it does without the failure.
fails() {
	local fam=$1 err=$2 n=$3 prog rc=0 rc0=0; shift 3
	prog=$(basename "$1")
	"$@" >out0 2>err0 || rc0=$?
	FAULT_FUNC=$fam FAULT_ERRNO=$err FAULT_N=$n LD_PRELOAD=$BIN/faultinject.so \
		"$@" >out 2>err || rc=$?
	[ "$rc" -lt 128 ] || { cat err; fail "$* ($fam call $n: $err): killed by signal $((rc - 128))"; }
	if [ "$rc" = "$rc0" ] && cmp -s out out0 && cmp -s err err0; then
		return 0
	fi
	[ "$rc" = 1 ] || { cat err; fail "$* ($fam call $n: $err): exit status $rc, output not the same"; }
	[ "$(wc -l <err)" = 1 ] && grep -q "^$prog: error: " err ||
		{ cat err; fail "$* ($fam call $n: $err): not one error line"; }
}

# A reader's last allocations end its read: what it printed is all there,
# and its exit status says so.
for cmd in "show 1" replay list stats sessions; do
	n=$(calls malloc "$BIN/ctquery" --db seed.db $cmd)
	[ "${n:-0}" -gt 4 ] || fail "ctquery $cmd: no allocations counted"
	for i in 0 1 2 3; do
		fails malloc ENOMEM $((n - i)) "$BIN/ctquery" --db seed.db $cmd
	done
done
# A read error of the database: reported once.
for cmd in "show 1" replay; do
	n=$(calls read "$BIN/ctquery" --db seed.db $cmd)
	for ((i = 1; i <= n; i++)); do
		fails read EIO $i "$BIN/ctquery" --db seed.db $cmd
	done
done
exit 0
