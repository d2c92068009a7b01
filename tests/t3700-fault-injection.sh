#!/bin/bash
# t3700: a libc call made to fail (an LD_PRELOAD library: out of memory, an I/O error) makes a command fail in one error line with exit status 1, or changes nothing, and an import it stops commits nothing and leaves a database a second import completes.
set -eu
. "$(dirname "$0")/lib.sh"

require_cmd sqlite3
require_built ctrecord ctquery faultinject.so
require_seed events.txt events.xml
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

# base CMD...: CMD's output and exit status without a failure, for fails.
base() {
	rc0=0
	"$@" >out0 2>err0 || rc0=$?
}

# fails FAM ERRNO N CMD...: CMD with the Nth call of FAM failing with ERRNO
# exits 1 with one error line, or as it does without the failure (base).
fails() {
	local fam=$1 err=$2 n=$3 prog rc=0; shift 3
	prog=$(basename "$1")
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
	base "$BIN/ctquery" --db seed.db $cmd
	for i in 0 1 2 3; do
		fails malloc ENOMEM $((n - i)) "$BIN/ctquery" --db seed.db $cmd
	done
done
# A read error of the database: reported once.
for cmd in "show 1" replay; do
	n=$(calls read "$BIN/ctquery" --db seed.db $cmd)
	base "$BIN/ctquery" --db seed.db $cmd
	for ((i = 1; i <= n; i++)); do
		fails read EIO $i "$BIN/ctquery" --db seed.db $cmd
	done
done
# Out of memory anywhere in a reading says so (the building of the query's
# text took it for a query too long), or names what it could not have (a
# thread: pthread_create's EAGAIN). Not replay's under AddressSanitizer: its
# runtime allocates when a thread starts, and stops on a CHECK when it fails.
reads="list replay"
! ldd "$BIN/ctquery" 2>/dev/null | grep -q libasan || reads=list
for cmd in $reads; do
	n=$(calls malloc "$BIN/ctquery" --db seed.db $cmd)
	base "$BIN/ctquery" --db seed.db $cmd
	for ((i = 1; i <= n; i++)); do
		fails malloc ENOMEM $i "$BIN/ctquery" --db seed.db $cmd
		[ ! -s err ] || grep -Eq 'out of memory|Cannot allocate memory|: Resource temporarily unavailable$' err ||
			fail "ctquery $cmd (malloc call $i: ENOMEM): $(cat err)"
	done
done

# imports FAM ERRNO STEP LOG [LAST]: an import of LOG (the seed's, by the
# name it has here) into a new database with every STEPth call of FAM after
# the log is opened failing, and each of the LAST calls; each fails in one
# line and commits nothing, or imports the whole log saying what it says
# without a failure; a second import then does.
imports() {
	local fam=$1 err=$2 step=$3 log=$4 last=${5:-0} n i rc
	rm -f whole.db*
	"$BIN/ctrecord" --db whole.db --import "$log" 2>whole.err || fail "cannot import $log"
	"$BIN/ctquery" --db whole.db replay >whole.out
	rm -f count whole.db*
	FAULT_FROM=$log FAULT_COUNT=$TMP/count LD_PRELOAD=$BIN/faultinject.so \
		"$BIN/ctrecord" --db whole.db --import "$log" >/dev/null 2>&1
	n=$(sed -n "s/^$fam //p" count)
	[ "${n:-0}" -gt 0 ] || fail "import of $log: no calls of $fam counted"
	for i in $(seq 1 "$step" "$n") $(seq $((n > last ? n - last + 1 : 1)) "$n"); do
		rm -f new.db*
		rc=0
		FAULT_FROM=$log FAULT_FUNC=$fam FAULT_ERRNO=$err FAULT_N=$i \
			LD_PRELOAD=$BIN/faultinject.so "$BIN/ctrecord" --db new.db --import "$log" \
			>/dev/null 2>err || rc=$?
		[ "$rc" -lt 128 ] || { cat err; fail "import of $log ($fam call $i: $err): killed by signal $((rc - 128))"; }
		if [ "$rc" != 0 ]; then
			[ "$rc" = 1 ] && [ "$(wc -l <err)" = 1 ] && grep -q "^ctrecord: error: " err ||
				{ cat -v err; fail "import of $log ($fam call $i: $err): exit status $rc, not one error line"; }
			# (an attribute's value libxml2 could not copy was called missing)
			[ "$err" != ENOMEM ] || grep -Eq 'out of memory|Memory allocation failed|Cannot allocate memory' err ||
				fail "import of $log ($fam call $i: $err): $(cat err)"
		else
			# (folding the changes of flows at the close failed after
			# the import said it was done: an error, with exit status 0)
			cmp -s err whole.err || fail "import of $log ($fam call $i: $err): exit status 0, and: $(cat err)"
		fi
		[ "$(sqlite3 new.db 'PRAGMA integrity_check')" = ok ] ||
			fail "import of $log ($fam call $i: $err): the database is damaged"
		if "$BIN/ctquery" --db new.db replay >out 2>/dev/null && [ -s out ]; then
			[ "$rc" = 0 ] && cmp -s out whole.out ||
				fail "import of $log ($fam call $i: $err): exit status $rc, $(wc -l <out) events committed"
		else
			[ "$rc" != 0 ] || fail "import of $log ($fam call $i: $err): exit status 0, nothing imported"
			"$BIN/ctrecord" --db new.db --import "$log" 2>err ||
				{ cat err; fail "import of $log after $fam call $i failed: the second import failed"; }
			"$BIN/ctquery" --db new.db replay | cmp -s - whole.out ||
				fail "import of $log after $fam call $i failed: the second import is not the whole log"
		fi
	done
}

cp "$SEED/events.xml" seed.xml
imports malloc ENOMEM 3 seed.xml 40
cp "$SEED/events.txt" seed.txt
imports malloc ENOMEM 50 seed.txt 40
# A disk that stays full from the Nth write of an import on (the schema's
# writes first): one error line (the close read flow_pending, not created).
rm -f count new.db*
FAULT_COUNT=$TMP/count LD_PRELOAD=$BIN/faultinject.so "$BIN/ctrecord" --db new.db --import seed.txt >/dev/null 2>&1
n=$(sed -n "s/^write //p" count)
[ "${n:-0}" -gt 0 ] || fail "import of seed.txt: no writes counted"
for ((i = 1; i <= n; i++)); do
	rm -f new.db*
	rc=0
	FAULT_ALL=1 FAULT_FUNC=write FAULT_ERRNO=ENOSPC FAULT_N=$i LD_PRELOAD=$BIN/faultinject.so \
		"$BIN/ctrecord" --db new.db --import seed.txt >/dev/null 2>err || rc=$?
	[ "$rc" = 0 ] || { [ "$rc" = 1 ] && [ "$(wc -l <err)" = 1 ]; } ||
		{ cat err; fail "import of seed.txt (every write from the ${i}th: ENOSPC): exit status $rc, not one error line"; }
done

# A log in two parts, the second imported with --continue into a database
# holding the first, its calls of FAM failing as in imports (every STEPth
# after the log is opened, and the LAST ones): a failed one leaves the flows
# it continued as they were.
continues() {
	local fam=$1 err=$2 step=$3 last=$4 n i rc
	head -n 10 seed.txt >part1.txt
	tail -n +11 seed.txt >part2.txt
	flows() { sqlite3 "$1" "SELECT group_concat(id || ':' || nevents || '/' ||
		coalesce(end_kind, 'open'), ' ') FROM flows"; }
	rm -f part1.db*
	"$BIN/ctrecord" --db part1.db --import part1.txt 2>/dev/null || fail "cannot import part1.txt"
	before=$(flows part1.db)
	cp part1.db whole.db
	"$BIN/ctrecord" --db whole.db --import part2.txt --continue 2>whole.err ||
		fail "cannot import part2.txt: $(cat whole.err)"
	"$BIN/ctquery" --db whole.db replay >whole.out
	cp part1.db new.db
	rm -f count
	FAULT_FROM=part2.txt FAULT_COUNT=$TMP/count LD_PRELOAD=$BIN/faultinject.so \
		"$BIN/ctrecord" --db new.db --import part2.txt --continue >/dev/null 2>&1
	n=$(sed -n "s/^$fam //p" count)
	[ "${n:-0}" -gt 0 ] || fail "import of part2.txt: no calls of $fam counted"
	for i in $(seq 1 "$step" "$n") $(seq $((n > last ? n - last + 1 : 1)) "$n"); do
		cp part1.db new.db
		rc=0
		FAULT_FROM=part2.txt FAULT_FUNC=$fam FAULT_ERRNO=$err FAULT_N=$i \
			LD_PRELOAD=$BIN/faultinject.so "$BIN/ctrecord" --db new.db \
			--import part2.txt --continue >/dev/null 2>err || rc=$?
		[ "$rc" -lt 128 ] || { cat err; fail "import of part2.txt ($fam call $i: $err): killed by signal $((rc - 128))"; }
		if [ "$rc" = 0 ]; then
			# (folding the changes of flows at the close failed after
			# the import said it was done: an error, exit status 0)
			cmp -s err whole.err || fail "import of part2.txt ($fam call $i: $err): exit status 0, and: $(cat err)"
			"$BIN/ctquery" --db new.db replay | cmp -s - whole.out ||
				fail "import of part2.txt ($fam call $i: $err): exit status 0, not all of it"
			continue
		fi
		[ "$rc" = 1 ] && [ "$(grep -vc 'continues the import of session' err)" = 1 ] &&
			grep -q "^ctrecord: error: " err ||
			{ cat err; fail "import of part2.txt ($fam call $i: $err): exit status $rc, not one error line"; }
		[ "$(flows new.db)" = "$before" ] ||
			fail "import of part2.txt ($fam call $i: $err) failed, yet the flows changed: $(flows new.db)"
		"$BIN/ctrecord" --db new.db --import part2.txt --continue 2>err ||
			{ cat err; fail "import of part2.txt after $fam call $i failed: the second import failed"; }
		"$BIN/ctquery" --db new.db replay | cmp -s - whole.out ||
			fail "import of part2.txt after $fam call $i failed: the second import is not the rest of the log"
	done
}
continues malloc ENOMEM 25 40

# --prune of flows long ended (the seed's log timed in 2023) with every
# STEPth call of FAM failing, and each of the LAST ones (0: none): it fails
# in one line that says why, or prunes as it does without a failure and
# says only that (the changes of flows store_close() folded after it said
# so: an error, with exit status 0).
prunes() {
	local fam=$1 err=$2 step=$3 last=$4 n i rc
	sed 's/^/[1700000000.000001]\t/' seed.txt >old.txt
	rm -f old.db*
	"$BIN/ctrecord" --db old.db --import old.txt 2>/dev/null || fail "cannot import old.txt"
	cp old.db prune.db
	"$BIN/ctrecord" --db prune.db --prune --retain 1s 2>prune.err || fail "--prune: $(cat prune.err)"
	grep -q "pruned 5 flows" prune.err || fail "--prune: $(cat prune.err)"
	cp old.db prune.db
	rm -f count
	FAULT_COUNT=$TMP/count LD_PRELOAD=$BIN/faultinject.so \
		"$BIN/ctrecord" --db prune.db --prune --retain 1s >/dev/null 2>&1
	n=$(sed -n "s/^$fam //p" count)
	[ "${n:-0}" -gt 0 ] || fail "--prune: no calls of $fam counted"
	for i in $(seq 1 "$step" "$n") $( ((last)) && seq $((n > last ? n - last + 1 : 1)) "$n"); do
		cp old.db prune.db
		rc=0
		FAULT_FUNC=$fam FAULT_ERRNO=$err FAULT_N=$i LD_PRELOAD=$BIN/faultinject.so \
			"$BIN/ctrecord" --db prune.db --prune --retain 1s >/dev/null 2>err || rc=$?
		if [ "$rc" = 0 ]; then
			cmp -s err prune.err || fail "--prune ($fam call $i: $err): exit status 0, and: $(cat err)"
		else
			[ "$rc" = 1 ] && [ "$(wc -l <err)" = 1 ] && grep -q "^ctrecord: error: " err ||
				{ cat err; fail "--prune ($fam call $i: $err): exit status $rc, not one error line"; }
			# (SQLite's message read after a statement that did not fail
			# was finalized)
			! grep -q ': not an error$' err || fail "--prune ($fam call $i: $err): $(cat err)"
		fi
	done
}
prunes malloc ENOMEM 20 60
prunes read EIO 1 0
continues write EIO 1 0
continues fsync EIO 1 0
exit 0
