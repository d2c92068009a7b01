#!/bin/bash
# t1510: rows that SQLite takes but ctrecord never writes (a user's sqlite3 edits, a damaged copy): a flow's origin out of range in show, a session id far beyond the others in sessions, times 2^63 apart in stats, list and show, a block without its data, a block whose types disagree with its n, blocks whose headers disagree with their records, a block's Bloom filter wrong in show, tuple columns out of their fields, flow ids of flow_pending past 2^63, an empty row of flow_pending, a varint of flow_pending past 64 bits, values of flow_pending past their fields, a schema version of 0 on a database that is ctrecord's.
set -eu
. "$(dirname "$0")/lib.sh"

require_cmd sqlite3
require_built ctrecord ctquery
require_seed events.txt
cd "$TMP"

# base NAME: a copy of a database of the seed log's flows (5 flows, 24 events).
"$BIN/ctrecord" --db seed.db --import "$SEED/events.txt" 2>/dev/null || fail "import failed"
base() { rm -f "$1".db*; cp seed.db "$1.db"; }
q() { local db=$1; shift; "$BIN/ctquery" --db "$db.db" "$@"; }

# A flow's origin (0 NEW, 1 dump, 2 mid-life) out of range: show indexed its
# names with it (a negative one read before the array, and crashed).
base origin
sqlite3 origin.db "UPDATE flows SET origin = -1000000000 WHERE id = 1; UPDATE flows SET origin = 7 WHERE id = 2"
for id in 1 2; do
	q origin show $id >out 2>err || fail "show $id of a flow of origin out of range: status $?: $(cat err)"
	grep -q "first seen .*, from mid-life (after a gap)" out || fail "show $id: $(cat out)"
done
say "an origin out of range: show says mid-life, as flows_v's 'gap'"

# A session numbered far beyond the others (sqlite3 takes any id): sessions
# counted each session's flows in an array indexed by the ids, 8 bytes for
# every id up to the largest ("out of memory" at 2^62, 32 GB at 4 * 10^9).
base sessid
sqlite3 sessid.db "UPDATE sessions SET id = 4611686018427387904 WHERE id = 1;
	UPDATE flows SET session = 4611686018427387904 WHERE session = 1;
	UPDATE event_blocks SET session = 4611686018427387904 WHERE session = 1"
q sessid sessions >out 2>err || fail "sessions with a session id of 2^62: status $?: $(cat err)"
grep -Eq '^4611686018427387904 +import .* 5 +24 ' out || fail "sessions: $(cat out)"
say "a session id of 2^62: sessions counts its flows"

# Times far apart (a first_us of -2^63 + 1, an end 10^19 us after it): the
# span of stats and a flow's duration in list and show were differences of
# 64-bit integers that overflowed (negative, or undefined behaviour).
base farapart
sqlite3 farapart.db "UPDATE flows SET first_us = -9223372036854775807 WHERE id = 1;
	UPDATE flows SET first_us = -9000000000000000000, end_dur = 1e19,
	  last_dur = first_us + last_dur + 9000000000000000000 WHERE id = 3"	# (its events still found)
q farapart stats >out 2>err || fail "stats: status $?: $(cat err)"
grep -Eq '^span: .* \([0-9]+s\)$' out || fail "stats: a negative span: $(grep span out)"
q farapart list --flow 3 >out 2>err || fail "list: status $?: $(cat err)"
grep -q ' 10000000000000\.000s ' out || fail "list: the duration is not 10^13 s: $(cat out)"
q farapart show 3 >out 2>err || fail "show: status $?: $(cat err)"
grep -q 'after 10000000000000\.000s$' out || fail "show: the duration is not 10^13 s: $(cat out)"
say "times 2^63 apart: the span and the durations are not negative"

# A block whose row of event_data is gone (event_blocks holds the header):
# "cannot read events ...: no more rows available" (SQLite's word for a
# statement that found nothing), not that the block is damaged.
base nodata
sqlite3 nodata.db "DELETE FROM event_data WHERE id = 1"
for cmd in replay "show 1"; do
	rc=0
	q nodata $cmd >out 2>err || rc=$?
	[ $rc = 1 ] && [ "$(grep -c error: err)" = 1 ] &&
		grep -q "error: event block 1 is damaged: its 24 events, received from .*, cannot be read" err ||
		fail "$cmd with a block's data gone: status $rc: $(cat err)"
done
say "a block's data gone: replay and show say the block is damaged"

# A block's counts of each type (types) that do not add up to its records
# (n): stats took them as they were, and printed 3 NEW events of 24, no other.
base types
"$BIN/ctquery" --db seed.db stats | sed -n '/^events:/,/DUMP/p' >expected
sqlite3 types.db "UPDATE event_blocks SET types = 3 WHERE id = 1"
q types stats >out 2>err || fail "stats: status $?: $(cat err)"
sed -n '/^events:/,/DUMP/p' out | test_cmp expected -
say "types that disagree with n: stats counts the block's records"

# Block headers that disagree with their records: another block's records
# (data copied over), a block copied whole under a new id, a larger n.
# replay printed the records twice, or as of other flows, and said nothing.
awk 'BEGIN { for (i = 0; i < 5000; i++)
	printf "[%d.%06d]\t    [NEW] udp      17 30 src=10.0.%d.%d dst=10.1.0.1 sport=%d dport=53 [UNREPLIED] src=10.1.0.1 dst=10.0.%d.%d sport=53 dport=%d\n",
		1795700000 + int(i / 1000), (i % 1000) * 1000, int(i / 250), i % 250, 1024 + i,
		int(i / 250), i % 250, 1024 + i }' >gen.log
"$BIN/ctrecord" --db blocks.db --import gen.log 2>/dev/null || fail "import of gen.log failed"
[ "$(sqlite3 -readonly blocks.db "SELECT count(*) FROM event_blocks")" -ge 2 ] ||
	fail "gen.log did not make 2 blocks or more"
for damage in "UPDATE event_data SET data = (SELECT data FROM event_data WHERE id = 1) WHERE id = 2|2" \
	"INSERT INTO event_blocks SELECT 99, session, first_event, n, first_us, last_us, min_flow,
	   max_flow, types FROM event_blocks WHERE id = 1;
	 INSERT INTO event_data SELECT 99, bloom, data FROM event_data WHERE id = 1|99" \
	"UPDATE event_blocks SET n = n + 1000 WHERE id = 1|1"; do
	rm -f lying.db*; cp blocks.db lying.db
	sqlite3 lying.db "${damage%|*}"
	rc=0
	q lying replay >out 2>err || rc=$?
	[ $rc = 1 ] && [ "$(grep -c error: err)" = 1 ] &&
		grep -q "error: event block ${damage##*|} is damaged: its [0-9]* events" err ||
		fail "replay after '${damage%|*}': status $rc, $(wc -l <out) events: $(cat err)"
done
say "block headers that disagree with their records: replay says which block is damaged"

# A block's Bloom filter that is another block's (its flow range right):
# show passes over the block. A flow whose events were all in it was "no
# flow"; one with events after it showed those, exit 0, and said nothing.
# Nothing was pruned, so what a flow counts but was not found is damage.
{ head -1 gen.log; tail -n +2 gen.log; head -1 gen.log |
	sed 's/^\[1795700000\.000000\]\t    \[NEW\] udp      17 30 /[1795700009.000000]\t[DESTROY] udp      17 /'; } >span.log
"$BIN/ctrecord" --db bloom.db --import span.log 2>/dev/null || fail "import of span.log failed"
[ "$(sqlite3 -readonly bloom.db "SELECT count(*) FROM event_blocks WHERE 1 BETWEEN min_flow AND max_flow")" = 2 ] ||
	fail "flow 1's two events are not in two blocks"
q bloom show 1 >out 2>err && grep -q '^  ended: destroyed' out || fail "show 1 before the damage: $(cat out err)"
sqlite3 bloom.db "UPDATE event_data SET bloom = (SELECT bloom FROM event_data WHERE id = 2) WHERE id = 1"
for cmd in "show 1" "show 2" "replay -s 10.0.0.0" "replay --flow 2"; do
	rc=0
	q bloom $cmd >out 2>err || rc=$?
	[ $rc = 1 ] && [ "$(grep -c error: err)" = 1 ] &&
		grep -q "error: events of the flows asked for cannot be found (1), and nothing was pruned: the database's blocks of events are damaged" err ||
		fail "$cmd with another block's Bloom filter: status $rc: $(cat out err)"
done
say "a block's Bloom filter wrong: show and a selective replay say the flows' events cannot be found"

# Tuple columns that are not what ctrecord stores: a port of 70000.5 (read
# as 4464), a negative one (65535), IPv4 addresses under family 10. list
# printed them as the flow's; now the flow's tuple is malformed, as one
# whose addresses are of a wrong length.
for damage in "o_sport = 70000.5" "o_dport = -1" "o_l3 = 10"; do
	base tuple
	sqlite3 tuple.db "UPDATE flows SET $damage WHERE id = 3"
	rc=0
	q tuple list >out 2>err || rc=$?
	[ $rc = 1 ] && [ "$(grep -c error: err)" = 1 ] && grep -q "error: flow 3 has a malformed tuple" err ||
		fail "list with $damage: status $rc: $(cat err)"
done
say "a port or family out of its field: the flow's tuple is malformed"

# A row of flow_pending whose flow ids pass 2^63 (each change's id is a
# delta from the one before): the sum overflowed (undefined behaviour, which
# UBSan reports; the wrapped id was refused). Damaged, as any other.
base pendover
sqlite3 pendover.db "INSERT INTO flow_pending (data) VALUES
	(X'FEFFFFFFFFFFFFFF7F00FEFFFFFFFFFFFFFF7F00FEFFFFFFFFFFFFFF7F00')"
rc=0
q pendover list >out 2>err || rc=$?
[ $rc = 1 ] && [ "$(grep -c error: err)" = 1 ] && ! grep -q 'runtime error' err &&
	grep -q "row [0-9]* of flow_pending .* is damaged" err || fail "list: status $rc: $(cat err)"
say "flow ids of flow_pending past 2^63: the row is damaged"

# An empty row of flow_pending (no changes): read as none, where its NULL
# data was copied (undefined behaviour, which UBSan reports: fuzz_db).
base pendempty
sqlite3 pendempty.db "INSERT INTO flow_pending (data) VALUES (X''), (X'020405')"
q pendempty list -o conntrack >out 2>err || fail "list with an empty row of flow_pending: status $?: $(cat err)"
[ ! -s err ] || fail "list with an empty row of flow_pending: $(cat err)"
base pendone
sqlite3 pendone.db "INSERT INTO flow_pending (data) VALUES (X'020405')"
q pendone list -o conntrack | test_cmp - out
grep -q 'mark=5' out || fail "flow 1's pending mark 5 is not listed: $(cat out)"
say "an empty row of flow_pending: no changes"

# A varint past 64 bits (10 bytes, the last above 1), in a row of
# flow_pending: its top bits were dropped, silently, and list printed flow
# 1's packets as 2^63 - 1. Damaged, for a reader and for a writer; the same
# value in 64 bits is read.
for v in FFFFFFFFFFFFFFFFFF02 FFFFFFFFFFFFFFFFFF7F FFFFFFFFFFFFFFFFFF01; do
	base varint
	# flow 1 (zigzag 2), its counters of the original direction (0x10)
	sqlite3 varint.db "INSERT INTO flow_pending (data) VALUES (X'0210${v}05')"
	rc=0
	q varint list >out 2>err || rc=$?
	if [ $v = FFFFFFFFFFFFFFFFFF01 ]; then
		[ $rc = 0 ] && [ ! -s err ] && grep -Eq ' 18446744073709551615/0 5/0 +1$' out ||
			fail "list with packets of 2^64 - 1 in flow_pending: status $rc: $(cat out err)"
		continue
	fi
	[ $rc = 1 ] && [ "$(grep -c error: err)" = 1 ] && [ ! -s out ] &&
		grep -q "row [0-9]* of flow_pending .* is damaged" err || fail "list, varint $v: status $rc: $(cat out err)"
	rc=0
	"$BIN/ctrecord" --db varint.db --upgrade 2>err || rc=$?
	[ $rc = 1 ] && grep -q "row [0-9]* of flow_pending .* is damaged" err ||
		fail "--upgrade, varint $v: status $rc: $(cat err)"
done
say "a varint past 64 bits in flow_pending: the row is damaged"

# Values of flow_pending past their fields (a status or a mark past 32 bits,
# a state past 8, a count of events past 2^63 - 1), after a change that is
# right: they were cut to the field, silently (list printed the mark 2^32 + 7
# as 7, the events -2^63 + 4). Damaged, for a reader and for a writer; the
# largest that fit are read.
# a change of flow 1 (zigzag 02) of its mark (04) to 1, then of flow 2 (delta
# 1): its flag and values as varints, and whether they fit
for fv in "02 8480808010 damaged"	"02 FFFFFFFF0F fits" \
	  "04 8780808010 damaged"	"04 FFFFFFFF0F fits" \
	  "08 8002 damaged"		"08 FF01 fits" \
	  "01 818080808080808080 01 05 damaged"	"01 808080808080808040 05 fits"; do
	set -- $fv
	data=02040102$(tr -d ' ' <<<"${fv% *}")
	base field
	sqlite3 field.db "INSERT INTO flow_pending (data) VALUES (X'$data')"
	rc=0
	q field list -o json >out 2>err || rc=$?
	if [ "${fv##* }" = fits ]; then
		[ $rc = 0 ] && [ ! -s err ] || fail "list with $fv in flow_pending: status $rc: $(cat err)"
		[ $1 != 04 ] || grep -q '"flow":2,.*"mark":4294967295' out || fail "list: mark 2^32 - 1 not read: $(cat out)"
		# (flow 2 had 8 events, and 2^62 more)
		[ $1 != 01 ] || grep -q '"flow":2,.*"events":4611686018427387912}' out ||
			fail "list: 2^62 events not read: $(cat out)"
		continue
	fi
	[ $rc = 1 ] && [ "$(grep -c error: err)" = 1 ] && [ ! -s out ] &&
		grep -q "row [0-9]* of flow_pending .* is damaged" err || fail "list, $fv: status $rc: $(cat out err)"
	rc=0
	"$BIN/ctrecord" --db field.db --upgrade 2>err || rc=$?
	[ $rc = 1 ] && grep -q "row [0-9]* of flow_pending .* is damaged" err ||
		fail "--upgrade, $fv: status $rc: $(cat err)"
done
say "values of flow_pending past their fields: the row is damaged"

# A schema version of 0 (or below) on a database that is ctrecord's (its
# application id): ctrecord writes both in the transaction that creates the
# schema. Readers said to run --upgrade, which then failed creating a table
# that is there ("table imports already exists"): advice that went round.
base noversion
sqlite3 noversion.db "PRAGMA user_version = 0"
for cmd in "q noversion list" "$BIN/ctrecord --db noversion.db --upgrade"; do
	rc=0
	$cmd >out 2>err || rc=$?
	[ $rc = 1 ] && [ "$(wc -l <err)" = 1 ] &&
		grep -q "error: 'noversion.db' is a ctrecord database without a schema version (0)" err ||
		fail "$cmd with user_version 0: status $rc: $(cat err)"
done
[ "$(sqlite3 noversion.db 'PRAGMA user_version')" = 0 ] || fail "--upgrade changed the file"
say "a schema version of 0 on ctrecord's database: said once, the file left as it is"
