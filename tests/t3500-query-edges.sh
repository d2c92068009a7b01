#!/bin/bash
# t3500: ctquery's edge cases found in review, on a database imported from the seed log: each a usage error (2) or a clear failure (1) in one line where it should be, and an answer where it should be.
set -eu
. "$(dirname "$0")/lib.sh"

require_cmd sqlite3
require_built ctrecord ctquery
require_seed events.txt
cd "$TMP"
"$BIN/ctrecord" --db seed.db --import "$SEED/events.txt" 2>/dev/null ||
	fail "cannot import the seed log"
Q() { "$BIN/ctquery" --db seed.db "$@"; }

# expect RC REGEX CMD...: CMD exits RC with one line on stderr matching REGEX.
expect() {
	local want=$1 re=$2 rc=0; shift 2
	"$@" >out 2>err </dev/null || rc=$?
	[ "$rc" = "$want" ] || { cat err; fail "ctquery $*: exit status $rc, not $want"; }
	[ "$(wc -l <err)" = 1 ] || { cat err; fail "ctquery $*: not one line on stderr"; }
	grep -Eq -- "$re" err || { cat err; fail "ctquery $*: the error does not say /$re/"; }
}

# --where: an SQL comment ends the expression's line, not the query around it.
[ "$(Q list --where 'dport = 53 -- the DNS ones' -o csv | wc -l)" = 3 ] ||
	fail "--where with a trailing -- comment: not the 2 DNS flows"
[ "$(Q replay --where 'dport = 53 -- DNS' | wc -l)" = 6 ] ||
	fail "replay --where with a trailing -- comment: not the 6 DNS events"
expect 2 "--where '1\) --': " Q list --where '1) --'
# A parenthesis closed early and clauses after it: one statement, no expression.
expect 2 "only one expression" Q list --where '1) LIMIT (1'
expect 2 "only one expression" Q replay --where '0) UNION SELECT (1'
expect 2 "only one expression" Q stats --where '1) ORDER BY (1'
# A long expression (a list of 2000 ports, 9 KB) is one like the others,
# with other conditions or without.
long="dport IN ($(seq -s, 60001 62000), 53)"
[ "$(Q list --where "$long" -o csv | wc -l)" = 3 ] ||
	fail "list --where with a 9 KB expression: not the 2 DNS flows"
[ "$(Q list -p udp --where "$long" -o csv | wc -l)" = 3 ] ||
	fail "list -p udp --where with a 9 KB expression: not the 2 DNS flows"
[ "$(Q replay --dport 53 -p udp --where "$long" | wc -l)" = 6 ] ||
	fail "replay --dport 53 --where with a 9 KB expression: not the 6 DNS events"
Q stats --where "$long" >/dev/null || fail "stats --where with a 9 KB expression failed"
say "--where: comments, a long expression"

# --where sees counters as the kernel's unsigned values: one of 2^63 or more
# (stored as the signed integer of its bits) was negative, so bytes_orig >
# 1000 left out a flow of 2^64 - 1 bytes. Flow 1: bytes 2^64 - 1 each way,
# packets 1 back; flow 2: 2^63 bytes out, 5 back, 2^64 - 1 packets back.
M=18446744073709551615
printf '%s\n' \
	"    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=1000" \
	" [DESTROY] udp      17 src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=53 packets=1 bytes=$M src=10.0.0.2 dst=10.0.0.1 sport=53 dport=1000 packets=1 bytes=$M" \
	"    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=1001 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=1001" \
	" [DESTROY] udp      17 src=10.0.0.1 dst=10.0.0.2 sport=1001 dport=53 packets=1 bytes=9223372036854775808 src=10.0.0.2 dst=10.0.0.1 sport=53 dport=1001 packets=$M bytes=5" \
	>big.txt
"$BIN/ctrecord" --db big.db --import big.txt 2>/dev/null || fail "cannot import big.txt"
for w in "bytes_orig > 1000:1 2" "bytes_orig >= 9223372036854775808:1 2" "bytes_reply > 5:1" \
	 "packets_reply > 1:2" "bytes > 2e19:1" "bytes > 9e18:1 2" "packets > 1e19:2" "bytes_orig < 0:"; do
	got=$("$BIN/ctquery" --db big.db list --where "${w%%:*}" -o csv | awk -F, 'NR > 1 { printf "%s%s", s, $1; s = " " }')
	[ "$got" = "${w#*:}" ] || fail "list --where '${w%%:*}': flows '$got', not '${w#*:}'"
done
say "--where: counters of 2^63 and more compare as the unsigned values they are"

# -e with a type no event has: no flow, no error (under make asan, no
# null pointer handed to qsort either).
"$BIN/ctrecord" --db open.db --import - 2>/dev/null <<'LOG' || fail "cannot import a log without DESTROY"
    [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=1000
LOG
"$BIN/ctquery" --db open.db stats -e DESTROY >out 2>err || { cat err; fail "stats -e DESTROY failed"; }
[ ! -s err ] || { cat err; fail "stats -e DESTROY wrote to stderr"; }
grep -qx 'flows: 0' out || fail "stats -e DESTROY counts flows without a DESTROY"
"$BIN/ctquery" --db open.db list -e DESTROY -o csv >out 2>err || { cat err; fail "list -e DESTROY failed"; }
[ ! -s err ] && [ "$(wc -l <out)" = 1 ] || { cat err out; fail "list -e DESTROY: not just the header"; }
say "-e with a type no event has"

# --session of a session the database does not have: an error naming it
# (exit 1), as show of a flow it does not have, not an empty answer.
for cmd in list replay stats; do
	expect 1 "no session 7 in 'seed.db'" Q $cmd --session 7
	[ ! -s out ] || fail "$cmd --session 7: printed $(head -2 out)"
done
expect 1 "no flow 99 in 'seed.db'" Q show 99
for cmd in list replay stats; do	# and --flow, likewise
	expect 1 "no flow 99 in 'seed.db'" Q $cmd --flow 99
	[ ! -s out ] || fail "$cmd --flow 99: printed $(head -2 out)"
done
[ "$(Q replay --flow 2 | wc -l)" = 8 ] || fail "replay --flow 2: not its 8 events"
[ "$(Q list --session 1 -o csv | wc -l)" = 6 ] || fail "list --session 1: not the 5 flows"
say "--session, --flow and show of a session or flow that does not exist: an error"

# --db names a file, also one that SQLite takes for a name of its own
# (":memory:", an in-memory database; "file:...", a URI naming another file):
# an import into them was said done, into memory or into 'mem.db'.
for db in :memory: file:mem.db; do
	"$BIN/ctrecord" --db "$db" --import "$SEED/events.txt" 2>err || { cat err; fail "import into '$db' failed"; }
	[ -s "$db" ] || fail "ctrecord --db '$db' did not write the file '$db'"
	[ "$("$BIN/ctquery" --db "$db" list -o csv | wc -l)" = 6 ] ||
		fail "ctquery --db '$db' list: not the 5 flows imported"
done
[ ! -e mem.db ] || fail "ctrecord --db file:mem.db wrote into 'mem.db'"
say "--db ':memory:' and 'file:mem.db' are files of those names"

# sessions reads its options as every command does: an option it does not
# take is an unknown option (it was "unexpected argument '-p'"), --he is --help
expect 2 "unknown option '-p'" Q sessions -p tcp
expect 2 "unknown option '--limit'" Q sessions --limit 1
expect 2 "option '--help' takes no value" Q sessions --help=yes
Q sessions --he | grep -q '^usage: ctquery \[--db PATH\] sessions' || fail "sessions --he: not its usage"
say "sessions: its options read by getopt_long, as the other commands'"

# The view's columns, as the man page and the README list them, are the same
# and each is one --where can read ([name]: a quoted name that is no column
# is an error, not a string)
man_cols=$(awk '/^\.SH/ { s = ($0 ~ /FLOWS_V/); next } s && tag { print; tag = 0 } s && /^\.TP/ { tag = 1 }' \
	"$TOP/man/ctquery.1" | sed -e 's/^\.[A-Z]*[ \t]*//' -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/"//g' |
	tr ', ' '\n\n' | sed '/^$/d' | sort -u)
readme_cols=$(tr '\n' ' ' <"$TOP/README.md" | grep -o 'over the view `flows_v`: `[^`]*`' |
	sed -e 's/^[^:]*: `//' -e 's/`$//' -e 's/([^)]*)//g' | tr ' ' '\n' | sed '/^$/d' | sort -u)
[ -n "$man_cols" ] && [ -n "$readme_cols" ] || fail "no flows_v columns found in ctquery.1 or README.md"
[ "$man_cols" = "$readme_cols" ] ||
	fail "flows_v: README.md and ctquery.1 list other columns: $(diff <(echo "$readme_cols") <(echo "$man_cols") | grep '^[<>]' | tr '\n' ' ')"
for c in $man_cols; do
	Q list --where "[$c] IS NULL OR 1" >/dev/null 2>err || fail "--where: the documented column '$c': $(cat err)"
done
say "flows_v: $(wc -w <<<"$man_cols") columns, the same in ctquery.1 and README.md, each readable"

# A reader that may not create the -wal or -shm beside the database (a
# read-only directory), or not open them, is told which file, not SQLite's
# "attempt to write a readonly database" or "unable to open database file".
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 0755 "$TMP"
	mkdir ro
	cp seed.db ro/
	chmod 0644 ro/seed.db
	chmod 0555 ro
	asnobody() { su -s /bin/sh nobody -c "'$BIN/ctquery' --db '$TMP/ro/seed.db' list"; }
	expect 1 "'.*/ro/seed.db-wal' is missing and cannot be created in '.*/ro'" asnobody
	chmod 0755 ro
	cp seed.db-wal seed.db-shm ro/
	chmod 0644 ro/seed.db-wal
	chmod 0600 ro/seed.db-shm
	expect 1 "cannot open '.*/ro/seed.db-shm': Permission denied" asnobody
	chmod 0644 ro/seed.db-shm
	asnobody >/dev/null 2>err || { cat err; fail "nobody cannot read with both files readable"; }
	say "a -wal or -shm the reader cannot create or open is named"
fi

exit 0
