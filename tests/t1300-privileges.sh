#!/bin/bash
# t1300: ctrecord --user gives up root (no capability left, a dumper keeps CAP_NET_ADMIN for resyncs), files are 0640, and a read-only user can query.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3 su
require_built ctrecord trafficgen
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
id daemon >/dev/null 2>&1 || skip "no user 'daemon'"
netns_setup
netns_long_udp

DIR=$TMP/state
mkdir "$DIR"
chown nobody "$DIR"
chmod 0755 "$TMP"
DB=$DIR/flows.db
start_recorder rec "$TMP/rec.err" --db "$DB" --user nobody -b 4K -v

pid=$PID_rec
status() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
[ "$(status "$pid" Uid | cut -f1)" = "$(id -u nobody)" ] || fail "the recorder still runs as uid $(status "$pid" Uid)"
[ "$(status "$pid" CapEff)" = 0000000000000000 ] || fail "the recorder kept capabilities: $(status "$pid" CapEff)"
[ "$(status "$pid" CapPrm)" = 0000000000000000 ] || fail "the recorder kept permitted capabilities"
# Two dumpers: the writer's and the receiving thread's.
dumpers=$(cat /proc/"$pid"/task/*/children | tr " " "\n" | grep .)
[ "$(echo "$dumpers" | wc -l)" = 2 ] || fail "not two dumper processes: $dumpers"
for dumper in $dumpers; do
	[ "$(cat /proc/"$dumper"/comm)" = ctrecord-dump ] || fail "child $dumper is $(cat /proc/"$dumper"/comm)"
	[ "$(status "$dumper" Uid | cut -f1)" = "$(id -u nobody)" ] || fail "a dumper runs as root"
	[ "$(status "$dumper" CapEff)" = 0000000000001000 ] || fail "a dumper has $(status "$dumper" CapEff), not CAP_NET_ADMIN only"
done
say "recorder: uid nobody, no capabilities; dumpers: uid nobody, CAP_NET_ADMIN only"

# A burst through a 4 KiB buffer forces ENOBUFS: the resync must still work.
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7300 3000 >/dev/null
sleep 3
# A user who may only read the files queries while the recorder writes.
chmod 0644 "$DB" "$DB-wal" "$DB-shm"
su -s /bin/sh daemon -c "'$BIN/ctquery' --db '$DB' stats" >"$TMP/stats.live" 2>&1 ||
	{ cat "$TMP/stats.live"; fail "a read-only user cannot query while recording"; }
in_ns conntrack -L -p udp 2>/dev/null | wc -l >"$TMP/ct.count"
stop_recorder rec 20
grep -Eq 'resync: [0-9]+ entries in the table; 3000 open flows' "$TMP/rec.err" || { cat "$TMP/rec.err"; fail "no resync as nobody"; }
open=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM flows WHERE end_us IS NULL AND proto = 17")
[ "$open" = "$(cat "$TMP/ct.count")" ] || fail "open flows $open, conntrack -L $(cat "$TMP/ct.count")"
say "resync through the dumper: $open open flows equal conntrack -L"

for f in "$DB" "$DB-wal" "$DB-shm"; do
	[ -e "$f" ] || fail "'$f' is gone: readers without write access need it"
done
# Files were created 0640 by the recorder (we widened them above for the reader).
rm -rf "$TMP/fresh"; mkdir "$TMP/fresh"; chown nobody "$TMP/fresh"
start_recorder rec2 "$TMP/rec2.err" --db "$TMP/fresh/f.db" --user nobody
stop_bg rec2 TERM 10
for f in f.db f.db-wal f.db-shm; do
	m=$(stat -c %a:%U "$TMP/fresh/$f")
	[ "$m" = 640:nobody ] || fail "$f is $m, not 640:nobody"
done
chmod 0644 "$TMP"/fresh/f.db*
su -s /bin/sh daemon -c "'$BIN/ctquery' --db '$TMP/fresh/f.db' sessions" >"$TMP/sessions" 2>&1 ||
	{ cat "$TMP/sessions"; fail "a read-only user cannot query a stopped recording"; }
say "files 0640 owned by the recorder's user; read-only users query live and stopped databases"

# A start that fails (no such user, a database that cannot be created) says
# so in one line: the warning about net.netfilter.nf_conntrack_events came
# first, about a recording that then did not happen. A start that goes on
# still warns.
in_ns sysctl -qw net.netfilter.nf_conntrack_events=2 || fail "cannot set nf_conntrack_events"
for args in "--user nosuchuser-$$" "--db $TMP/nodir/f.db" "--db $TMP/nodir/f.db --user nobody"; do
	rc=0
	in_ns timeout 10 "$BIN/ctrecord" --db "$TMP/one.db" $args >/dev/null 2>"$TMP/one.err" || rc=$?
	[ "$rc" = 1 ] && [ "$(wc -l <"$TMP/one.err")" = 1 ] && grep -q 'error:' "$TMP/one.err" ||
		fail "ctrecord $args: exit status $rc, not one error line: $(cat "$TMP/one.err")"
done
start_recorder rec3 "$TMP/rec3.err" --db "$TMP/one.db"
stop_recorder rec3 10
grep -q "warning: net.netfilter.nf_conntrack_events=2" "$TMP/rec3.err" ||
	fail "a recording with nf_conntrack_events=2 does not warn: $(cat "$TMP/rec3.err")"
! grep -q "nf_conntrack_acct" "$TMP/rec3.err" || fail "a warning about accounting, which is on: $(cat "$TMP/rec3.err")"
say "a failed start: one line; a recording with nf_conntrack_events=2 warns"

# Accounting off: flows end without counters (list shows '-'), so it warns.
in_ns sysctl -qw net.netfilter.nf_conntrack_acct=0 || fail "cannot set nf_conntrack_acct"
start_recorder rec4 "$TMP/rec4.err" --db "$TMP/one.db"
stop_recorder rec4 10
grep -q "^ctrecord: warning: net.netfilter.nf_conntrack_acct=0: flows end without packet and byte counts; set it to 1" "$TMP/rec4.err" ||
	fail "a recording with nf_conntrack_acct=0 does not warn: $(cat "$TMP/rec4.err")"
in_ns sysctl -qw net.netfilter.nf_conntrack_acct=1
say "a recording with nf_conntrack_acct=0 warns"

# A database that a run as root left, given to the --user's user without its
# -wal and -shm (root's, 0640): one line naming the file that cannot be
# opened, where SQLite said "cannot read the schema ...: unable to open
# database file".
chown nobody "$TMP/one.db"
rc=0
in_ns timeout 10 "$BIN/ctrecord" --db "$TMP/one.db" --user nobody >/dev/null 2>"$TMP/one.err" || rc=$?
[ "$rc" = 1 ] && [ "$(cat "$TMP/one.err")" = "ctrecord: error: cannot open '$TMP/one.db-wal': Permission denied" ] ||
	fail "--user on a database whose -wal is root's: exit status $rc: $(cat "$TMP/one.err")"
say "--user on a database whose -wal is root's: $(cat "$TMP/one.err")"
