#!/bin/bash
# t0050: a test that sources tests/lib.sh exits with its own status (pass, fail, skip), with and without small_fs's tmpfs, so a failing test is never reported as passing.
#
# Each case is a small script written to $TMP that sources lib.sh, as a test
# does, and ends one way; its exit status must be the one it ended with.
# shellcheck disable=SC2016 # the cases' bodies expand in their own scripts
set -eu
. "$(dirname "$0")/lib.sh"

# case_status NAME BODY: runs a script sourcing lib.sh, then BODY; prints its
# exit status (its output goes to $TMP/NAME.out).
case_status() {
	local rc=0
	printf '#!/bin/bash\nset -eu\n. "%s/lib.sh"\n%s\n' "$TESTS_DIR" "$2" >"$TMP/$1.sh"
	TMPDIR=$TMP bash "$TMP/$1.sh" >"$TMP/$1.out" 2>&1 || rc=$?
	echo "$rc"
}
expect() {	# expect NAME STATUS BODY
	local got
	got=$(case_status "$1" "$3")
	[ "$got" = "$2" ] || fail "case $1 exited with $got, not $2: $(cat "$TMP/$1.out")"
}

expect pass 0 'true'
expect fail 1 'fail "on purpose"'
expect skip 77 'skip "on purpose"'
expect false 1 'false'
mkdir "$TMP/probe"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m tmpfs "$TMP/probe" 2>/dev/null; then
	umount "$TMP/probe"
	expect small_pass 0 'small_fs; [ -d "$SMALL" ]'
	expect small_fail 1 'small_fs; fail "on purpose"'
	expect small_false 1 'small_fs; false'
	expect small_skip 77 'small_fs; skip "on purpose"'
	! grep -q " $TMP/" /proc/mounts || fail "small_fs left a tmpfs mounted: $(grep " $TMP/" /proc/mounts)"
else
	say "not root or no tmpfs: small_fs's cases not run"
fi
exit 0
