#!/bin/bash
# t0150: ctquery starts without loading libnetfilter_conntrack, libmnl, libxml2 or (with SQLite linked in) libm, and loads libnetfilter_conntrack when a command needs it (replay's and list's -o labels), libm when SQL's math functions are called (--where).
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

# show loads it for a flow with labels only (the seed log has none)
loaded "$BIN/ctquery" --db "$DB" show 1 >"$TMP/show.libs"
! grep -qE 'libnetfilter_conntrack|libmnl|libxml2' "$TMP/show.libs" ||
	fail "ctquery show 1 loaded: $(tr '\n' ' ' <"$TMP/show.libs")"
for o in json csv; do
	loaded "$BIN/ctquery" --db "$DB" list -o "$o" >"$TMP/list.$o.libs"
	! grep -qE 'libnetfilter_conntrack|libmnl|libxml2' "$TMP/list.$o.libs" ||
		fail "ctquery list -o $o loaded: $(tr '\n' ' ' <"$TMP/list.$o.libs")"
done
loaded "$BIN/ctquery" --db "$DB" list -o labels >"$TMP/list-labels.libs"
grep -q '^libnetfilter_conntrack\.so' "$TMP/list-labels.libs" ||
	fail "ctquery list -o labels did not load libnetfilter_conntrack: $(tr '\n' ' ' <"$TMP/list-labels.libs")"

loaded "$BIN/ctquery" --db "$DB" replay -o labels >"$TMP/labels.libs"
grep -q '^libnetfilter_conntrack\.so' "$TMP/labels.libs" ||
	fail "ctquery replay -o labels did not load libnetfilter_conntrack: $(tr '\n' ' ' <"$TMP/labels.libs")"
"$BIN/ctquery" --db "$DB" replay -o labels >"$TMP/labels.out" 2>"$TMP/labels.err" ||
	fail "replay -o labels failed: $(cat "$TMP/labels.err")"
test_cmp "$SEED/events.txt" "$TMP/labels.out"
say "ctquery loads libnetfilter_conntrack only when asked for labels"

# libm: SQLite's math functions only (query/libm_lazy.c); a libsqlite3.so
# (make STATIC=) brings it itself, and so does AddressSanitizer's runtime.
if ! ldd "$BIN/ctquery" | grep -qE 'libsqlite3|libasan'; then
	! ldd "$BIN/ctquery" | grep -q 'libm\.so' || fail "ctquery is linked with libm: $(ldd "$BIN/ctquery" | grep 'libm\.so')"
	! grep -q '^libm\.so' "$TMP/list.libs" || fail "ctquery list loaded libm"
fi
where="round(pow(2, 10)) = 1024 AND round(ln(100) * 1000) = 4605 AND round(log(1000), 9) = 3 AND round(atan2(1, 1) * 4000) = 3142 AND mod(7, 3) = 1 AND sqrt(16) = 4"
loaded "$BIN/ctquery" --db "$DB" list --where "$where" >"$TMP/math.libs"
grep -q '^libm\.so' "$TMP/math.libs" || fail "--where with math functions did not load libm: $(tr '\n' ' ' <"$TMP/math.libs")"
"$BIN/ctquery" --db "$DB" list >"$TMP/all.out"
"$BIN/ctquery" --db "$DB" list --where "$where" >"$TMP/math.out" 2>"$TMP/math.err" || fail "--where with math functions: $(cat "$TMP/math.err")"
test_cmp "$TMP/all.out" "$TMP/math.out"
"$BIN/ctquery" --db "$DB" list --where "ln(100) > 5" >"$TMP/none.out" || fail "--where 'ln(100) > 5' failed"
[ "$(wc -l <"$TMP/none.out")" = 1 ] || fail "--where 'ln(100) > 5' listed flows: $(cat "$TMP/none.out")"
say "ctquery loads libm only for SQL's math functions, and they compute as libm does"
