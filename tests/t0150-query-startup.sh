#!/bin/bash
# t0150: ctquery starts without loading libnetfilter_conntrack, libmnl or libxml2, and loads libnetfilter_conntrack when a command needs it (-o labels).
#
# Needs no root and no namespace. Start-up is most of a selective query's time
# (BENCHMARKS.md), so a link line that pulls these libraries back in fails here.
. "$(dirname "$0")/lib.sh"

require_built ctquery ctrecord
[ -r "$SEED/events.txt" ] || skip "seed log '$SEED/events.txt' not found"

# loaded CMD...: the shared objects CMD loads, one soname per line (glibc's LD_DEBUG).
loaded() {
	LD_DEBUG=files "$@" 2>&1 >/dev/null | sed -n 's/.*file=\([^ ]*\) .*\[0\];.*/\1/p' | sort -u
}

for lib in libnetfilter_conntrack libmnl libnfnetlink libxml2 libicu; do
	! ldd "$BIN/ctquery" | grep -q "$lib" || fail "ctquery is linked with $lib: $(ldd "$BIN/ctquery" | grep "$lib")"
done

DB=$TMP/flows.db
"$BIN/ctrecord" --db "$DB" --import "$SEED/events.txt" 2>"$TMP/imp.err" ||
	fail "import failed: $(cat "$TMP/imp.err")"

# The loader's own report, as a check that LD_DEBUG works here at all.
loaded "$BIN/ctquery" --db "$DB" list >"$TMP/list.libs"
grep -q '^libc\.so' "$TMP/list.libs" || skip "LD_DEBUG=files reports no libc here"
! grep -qE 'libnetfilter_conntrack|libmnl|libxml2' "$TMP/list.libs" ||
	fail "ctquery list loaded: $(tr '\n' ' ' <"$TMP/list.libs")"

loaded "$BIN/ctquery" --db "$DB" replay -o labels >"$TMP/labels.libs"
grep -q '^libnetfilter_conntrack\.so' "$TMP/labels.libs" ||
	fail "ctquery replay -o labels did not load libnetfilter_conntrack: $(tr '\n' ' ' <"$TMP/labels.libs")"
"$BIN/ctquery" --db "$DB" replay -o labels >"$TMP/labels.out" 2>"$TMP/labels.err" ||
	fail "replay -o labels failed: $(cat "$TMP/labels.err")"
test_cmp "$SEED/events.txt" "$TMP/labels.out"
say "ctquery loads libnetfilter_conntrack only when asked for labels"
