#!/bin/bash
# t0060: each libFuzzer target, built by `make test` with the build's compiler and tests/fuzz/corpus_main.c, runs its corpus (tests/fuzz/corpus) without a crash, an abort or (under `make asan`) a sanitizer report.
#
# Needs no root. `make fuzz` (clang, libFuzzer) links the same sources (the
# Makefile's FUZZ_SRC_x): a target whose sources no longer link fails here
# first, and the inputs that once found defects are replayed on every run.
. "$(dirname "$0")/lib.sh"

require_built ctrecord
export CTRECORD=$BIN/ctrecord	# fuzz_db imports the history it edits with it
for t in import_text:text import_save:save import_xml:xml evblock:evblock options:options db:db; do
	target=${t%%:*} corpus=$TOP/tests/fuzz/corpus/${t#*:}
	require_built "fuzzcheck/fuzz_$target"
	n=$(ls "$corpus" | wc -l)
	[ "$n" -gt 0 ] || fail "no corpus in $corpus"
	"$BIN/fuzzcheck/fuzz_$target" "$corpus" >"$TMP/$target.out" 2>&1 ||
		fail "fuzz_$target failed on its corpus: $(tail -5 "$TMP/$target.out")"
	grep -qx "$n inputs" "$TMP/$target.out" ||
		fail "fuzz_$target ran $(tail -1 "$TMP/$target.out"), not the $n inputs of $corpus"
	say "fuzz_$target: $n inputs"
done
