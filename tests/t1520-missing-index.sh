#!/bin/bash
# t1520: a database that lacks an index of schema/schema.sql (someone ran DROP INDEX) is read as one that has it, with a warning naming the --upgrade that makes it again; ctrecord --upgrade makes every missing index again.
set -eu
. "$(dirname "$0")/lib.sh"

require_cmd sqlite3
require_built ctrecord ctquery
require_seed events.txt
cd "$TMP"

# the indexes the schema makes: each is dropped in turn
indexes=$(sed -n 's/^CREATE INDEX \([a-z_]*\) .*/\1/p' "$TOP/schema/schema.sql")
[ -n "$indexes" ] || fail "no CREATE INDEX in schema/schema.sql"

"$BIN/ctrecord" --db seed.db --import "$SEED/events.txt" 2>/dev/null || fail "import failed"
top=$(sqlite3 seed.db "SELECT max(id) FROM flows")
# the queries: flows old and new (the newest are looked for through
# event_blocks_time, which queries named with INDEXED BY: 'no such index')
queries=("list" "list -o json" "show 1" "show $top" "replay" "replay --flow 1"
	 "replay --flow $top" "replay -p udp" "stats" "sessions" "list --since -1d")
run_all() {	# run_all DB: each query's output and exit status, into DB.out
	local db=$1 qy rc
	for qy in "${queries[@]}"; do
		rc=0
		echo "== $qy"
		"$BIN/ctquery" --db "$db" $qy 2>>"$db.err" || rc=$?
		echo "== exit $rc"
	done >"$db.out"
}
: >seed.db.err
run_all seed.db
[ ! -s seed.db.err ] || fail "the queries of the whole database said: $(cat seed.db.err)"
for ix in $indexes; do
	rm -f "$ix.db"*
	cp seed.db "$ix.db"
	sqlite3 "$ix.db" "DROP INDEX $ix"
	: >"$ix.db.err"
	run_all "$ix.db"
	test_cmp seed.db.out "$ix.db.out" || fail "without $ix, the queries answer otherwise"
	# a warning at most, which names the index and the way to make it again
	if [ -s "$ix.db.err" ]; then
		! grep -v "warning: '$ix.db' lacks its index $ix: .* 'ctrecord --db $ix.db --upgrade' makes it again" \
			"$ix.db.err" || fail "without $ix: not the warning expected"
		say "without $ix: $(head -1 "$ix.db.err")"
	fi
	# the writer works without it too: a prune, an import said done already
	"$BIN/ctrecord" --db "$ix.db" --prune --retain 36500d 2>err || fail "--prune without $ix: $(cat err)"
	rc=0
	"$BIN/ctrecord" --db "$ix.db" --import "$SEED/events.txt" 2>err || rc=$?
	[ "$rc" = 1 ] && grep -q "this content was imported before (session 1)" err || fail "--import again without $ix: exit $rc: $(cat err)"
	# --upgrade makes it again, and says so
	"$BIN/ctrecord" --db "$ix.db" --upgrade 2>err || fail "--upgrade without $ix: $(cat err)"
	grep -q "'$ix.db': made its missing index $ix again" err || fail "--upgrade without $ix said: $(cat err)"
	[ "$(sqlite3 "$ix.db" "SELECT sql FROM sqlite_master WHERE name = '$ix'")" = \
	  "$(sqlite3 seed.db "SELECT sql FROM sqlite_master WHERE name = '$ix'")" ] ||
		fail "--upgrade did not make $ix as the schema does"
	: >"$ix.db.err"
	run_all "$ix.db"
	test_cmp seed.db.out "$ix.db.out" || fail "after --upgrade, the queries answer otherwise"
	[ ! -s "$ix.db.err" ] || fail "after --upgrade: $(cat "$ix.db.err")"
done
# all of them dropped at once: --upgrade names each
cp seed.db all.db
for ix in $indexes; do sqlite3 all.db "DROP INDEX $ix"; done
"$BIN/ctrecord" --db all.db --upgrade 2>err || fail "--upgrade without any index: $(cat err)"
[ "$(grep -c "made its missing index" err)" = "$(wc -w <<<"$indexes")" ] || fail "--upgrade said: $(cat err)"
say "$(wc -w <<<"$indexes") indexes dropped in turn: the same answers, and --upgrade makes each again"
exit 0
