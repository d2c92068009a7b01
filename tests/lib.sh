# tests/lib.sh: helpers sourced by every tests/tNNNN-*.sh (namespace, background jobs, waits, comparisons).
#
# A test is an executable script: exit 0 = pass, 77 = skip, anything else = fail.
# It sources this file, calls require_root and netns_setup, and then uses in_ns,
# start_bg/stop_bg, wait_for_line, wait_until and test_cmp.  Files go to $TMP,
# which is removed on success and kept (path printed) on failure.

TEST_NAME=$(basename "$0" .sh)
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$TESTS_DIR/.." && pwd)
BIN=$(cd "${BIN:-$TOP/build}" 2>/dev/null && pwd || echo "${BIN:-$TOP/build}")
SEED=${SEED:-$(cd "$TOP/../shared/seed" 2>/dev/null && pwd || echo "$TOP/../shared/seed")}
export BIN SEED
NS=""
NS_EXTRA=""
BG_PIDS=""
BG_STATUS=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/$TEST_NAME.XXXXXX")
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# fail() in a subshell (the last part of a pipeline, "cmd | test_cmp want -";
# a $(...); a background check) ends the test too, not the subshell alone
TEST_PID=$$
trap 'exit 1' USR1

say()  { echo "# $*"; }
skip() { echo "skip: $*"; exit 77; }
fail() {
	echo "FAIL: $*" >&2
	[ "$BASHPID" = "$TEST_PID" ] || kill -USR1 "$TEST_PID" 2>/dev/null
	exit 1
}

# require_cmd CMD...: skip unless every CMD is on PATH.
require_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "command '$c' not found"
	done
}

# require_built PROG...: fail unless every PROG of ours is built in $BIN.
require_built() {
	local b
	for b in "$@"; do
		[ -x "$BIN/$b" ] || fail "'$BIN/$b' not built (run make, or set BIN)"
	done
}

# require_seed FILE...: skip unless every FILE of the seed samples is there.
require_seed() {
	local f
	for f in "$@"; do
		[ -r "$SEED/$f" ] || skip "seed files not found in '$SEED'"
	done
}

# require_root: skip unless root and able to create a network namespace.
require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, conntrack)"
	require_cmd ip nft conntrack
	local probe
	probe=ctt-probe-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
	ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace (ip netns add failed)"
	ip netns del "$probe"
}

# in_ns CMD...: run CMD inside the test namespace.
in_ns() { ip netns exec "$NS" "$@"; }

# pid_ours PID: true if PID is alive (not a zombie) and a child of this shell.
pid_ours() {
	local st
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) \([0-9]*\) .*/\1 \2/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "${st%% *}" != Z ] && [ "${st#* }" = "$$" ]
}

# start_bg NAME CMD...: start CMD in the namespace in the background; its pid
# goes to $PID_NAME and to the list cleanup kills.  Redirect at the call site.
start_bg() {
	local name=$1; shift
	ip netns exec "$NS" "$@" &
	eval "PID_$name=$!"
	BG_PIDS="$BG_PIDS $!"
}

# stop_bg NAME [SIGNAL [TIMEOUT]]: send SIGNAL (default TERM) to the job NAME,
# wait up to TIMEOUT seconds (default 5), then SIGKILL.  Its exit status goes to
# $BG_STATUS; returns 1 if it had to be killed.
stop_bg() {
	local pid rc=0 i=0 max
	eval "pid=\${PID_$1:?no job $1}"
	max=$(( ${3:-5} * 10 ))
	pid_ours "$pid" && kill "-${2:-TERM}" "$pid" 2>/dev/null
	while pid_ours "$pid" && [ $i -lt $max ]; do sleep 0.1; i=$((i + 1)); done
	if pid_ours "$pid"; then
		echo "# $1 (pid $pid) did not stop on SIG${2:-TERM}, killing it" >&2
		kill -KILL "$pid" 2>/dev/null
		rc=1
	fi
	BG_STATUS=0
	wait "$pid" || BG_STATUS=$?
	BG_PIDS=$(echo "$BG_PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
	return $rc
}

# wait_bg NAME [TIMEOUT]: wait up to TIMEOUT seconds (default 10) for job NAME
# to exit by itself; status in $BG_STATUS; returns 1 (and kills it) on timeout.
wait_bg() {
	local pid i=0 max
	eval "pid=\${PID_$1:?no job $1}"
	max=$(( ${2:-10} * 10 ))
	while pid_ours "$pid" && [ $i -lt $max ]; do sleep 0.1; i=$((i + 1)); done
	if pid_ours "$pid"; then
		stop_bg "$1" KILL 2 || true
		echo "# $1 (pid $pid) did not exit within ${2:-10}s" >&2
		return 1
	fi
	BG_STATUS=0
	wait "$pid" || BG_STATUS=$?
	BG_PIDS=$(echo "$BG_PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
}

# wait_until TIMEOUT CMD...: poll CMD every 0.1s until it succeeds; 1 on timeout.
wait_until() {
	local max=$(( $1 * 10 )) i=0; shift
	until "$@"; do
		i=$((i + 1))
		[ $i -ge $max ] && return 1
		sleep 0.1
	done
	return 0
}

# wait_for_line FILE REGEX TIMEOUT: wait until FILE has a line matching the ERE.
wait_for_line() {
	wait_until "$3" grep -Eq -- "$2" "$1" 2>/dev/null && return 0
	echo "# timeout after $3s waiting for /$2/ in $1" >&2
	return 1
}

# test_cmp EXPECTED ACTUAL: fail unless the files are identical (diff -u shown).
test_cmp() {
	diff -u "$1" "$2" || fail "'$2' differs from '$1'"
}

# test_cmp_stamped EXPECTED ACTUAL: two conntrack -E -o timestamp outputs
# (each line "[SEC.USEC]<tab>..."): the same but for the receive times, which
# may differ by up to 1 s line by line; fails on a line without the prefix.
test_cmp_stamped() {
	local f bad
	for f in "$1" "$2"; do
		bad=$(grep -Evc '^\[[0-9]{8,}\.[0-9]{6}\]	' "$f" || true)
		[ "$bad" = 0 ] || fail "$f: $bad lines without a well-formed [SEC.USEC] prefix"
		sed 's/^[^	]*	//' "$f" >"$f.rest"
		cut -f1 "$f" | tr -d '[]' >"$f.when"
	done
	test_cmp "$1.rest" "$2.rest"
	paste "$1.when" "$2.when" | awk -F'\t' '
		{ d = $1 - $2; if (d < 0) d = -d; if (d > 1) { print "line " NR ": " $1 " vs " $2; bad = 1 } }
		END { exit bad }' || fail "timestamp prefixes of '$2' differ from '$1' by more than 1s"
}

# save_import_check SAVE PLAIN: imports SAVE, what `conntrack -E -o save`
# printed, into a database of its own: `ctquery replay -o save` must print it
# back byte for byte, and the plain replay must print PLAIN, what
# `conntrack -E` printed of the same events, without what a save log does not
# hold (mark=, packets= and bytes=, delta-time=, helper=).
save_import_check() {
	local db=$TMP/save-import.db
	rm -f "$db" "$db-wal" "$db-shm"
	"$BIN/ctrecord" --db "$db" --import "$1" 2>"$TMP/save-import.err" ||
		fail "import of $1 failed: $(cat "$TMP/save-import.err")"
	grep -q "imported $(wc -l <"$1") events, [0-9]* flows from '$1' (save)" "$TMP/save-import.err" ||
		fail "import of $1: $(cat "$TMP/save-import.err")"
	"$BIN/ctquery" --db "$db" replay -o save >"$TMP/save-import.save" ||
		fail "replay -o save of the imported save log failed"
	test_cmp "$1" "$TMP/save-import.save"
	sed -E 's/ (mark|packets|bytes|delta-time|helper)=[^ ]+//g' "$2" >"$TMP/save-import.want"
	"$BIN/ctquery" --db "$db" replay >"$TMP/save-import.plain" ||
		fail "replay of the imported save log failed"
	test_cmp "$TMP/save-import.want" "$TMP/save-import.plain"
}

# netns_setup: create a fresh namespace with lo up, conntrack switched on by an
# nft rule using ct, accounting and timestamps on, and short timeouts.
netns_setup() {
	NS=ctt-$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
	trap cleanup EXIT
	ip netns add "$NS" || skip "cannot create network namespace '$NS'"
	in_ns ip link set lo up
	in_ns nft -f - <<-'EOF' || fail "cannot load the conntrack nft rule"
	table inet ctt {
		chain out { type filter hook output priority 0; ct state new counter; }
	}
	EOF
	local s
	for s in nf_conntrack_acct=1 nf_conntrack_timestamp=1 \
	    nf_conntrack_udp_timeout=2 nf_conntrack_udp_timeout_stream=2 \
	    nf_conntrack_tcp_timeout_time_wait=2 nf_conntrack_tcp_timeout_close=2 \
	    nf_conntrack_icmp_timeout=2 nf_conntrack_icmpv6_timeout=2; do
		in_ns sysctl -qw "net.netfilter.$s" || fail "sysctl net.netfilter.$s failed"
	done
}

# ns_keep_flows: the namespace's UDP and TIME_WAIT flows last 300 s instead of
# netns_setup's 2, so that they are still in the table when a test compares
# ctquery with conntrack -L.
ns_keep_flows() {
	in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=300 \
		net.netfilter.nf_conntrack_udp_timeout_stream=300 \
		net.netfilter.nf_conntrack_tcp_timeout_time_wait=300 || fail "cannot set the timeouts"
}

# netns_extra VAR: another fresh namespace (lo down, nothing else set up),
# its random name in $VAR; cleanup deletes it with $NS.  For tests that join
# namespaces with veth pairs ($NS being the one conntrack is watched in).
netns_extra() {
	local name
	name=ctt-$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
	ip netns add "$name" || skip "cannot create network namespace '$name'"
	NS_EXTRA="$NS_EXTRA $name"
	eval "$1=\$name"
}

# netns_storm PREFIX: for the benchmarks' storms, a fresh namespace
# PREFIX-XXXXXX with lo up, conntrack on (an output rule using ct), accounting
# and timestamps on (as the end-to-end tests run, kernel timeouts left as
# they are), and the storm's destinations, 127.2.0.0/16, dropped at input so
# that no ICMP error (and no extra event) comes back.
netns_storm() {
	NS=$1-$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
	ip netns add "$NS" || skip "cannot create network namespace '$NS'"
	in_ns ip link set lo up
	in_ns nft -f - <<-'EOF' || fail "cannot load the nft rules"
	table inet ctstorm {
		chain out { type filter hook output priority 0; ct state new counter; }
		chain in { type filter hook input priority 0; ip daddr 127.2.0.0/16 drop; }
	}
	EOF
	in_ns sysctl -qw net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_timestamp=1 ||
		fail "cannot switch on conntrack accounting and timestamps"
}

# unit_state_dir DIR: makes DIR as systemd makes ctrecord.service's
# StateDirectory (root, the service's group, 0770), with nobody's group for
# the ctrecord user's; $TMP is opened so that nobody can reach it.
unit_state_dir() {
	chmod 0755 "$TMP"
	mkdir -m 0770 "$1"
	chgrp "$(id -gn nobody)" "$1"
}

# unit_bounding UNIT: the unit's CapabilityBoundingSet= as setpriv's
# --bounding-set wants it after "-all," (e.g. +net_admin,+setuid,+setgid).
unit_bounding() {
	sed -n 's/^CapabilityBoundingSet=//p' "$1" | tr '[:upper:]' '[:lower:]' | sed 's/cap_/+/g; s/ /,/g'
}

# netns_mark_zone_nat: rules for the special flows the oracle tests make:
# ct mark 42 on tcp dport 5004, ct zone 7 on udp port 5005, and tcp dport
# 5006 DNAT'ed to 127.0.0.1:5007.
netns_mark_zone_nat() {
	in_ns nft -f - <<-'EOF' || fail "cannot load mark/zone/nat rules"
	table inet ctt_special {
		chain raw_out { type filter hook output priority raw; udp dport 5005 ct zone set 7; udp sport 5005 ct zone set 7; }
		chain mark_out { type filter hook output priority 0; tcp dport 5004 ct mark set 42; }
	}
	table ip ctt_nat {
		chain nat_out { type nat hook output priority -100; tcp dport 5006 dnat to 127.0.0.1:5007; }
	}
	EOF
}

# small_fs: a 4 MiB tmpfs at $SMALL ($TMP/small), unmounted at exit, for
# tests of a full disk.
small_fs() {
	SMALL=$TMP/small
	mkdir "$SMALL"
	mount -t tmpfs -o size=4m tmpfs "$SMALL" || skip "cannot mount a tmpfs"
	trap small_fs_exit EXIT
}
# small_fs_exit: small_fs's exit trap: unmounts $SMALL, then cleans up with
# the test's exit status (the umount's would make a failed test pass).
small_fs_exit() {
	local rc=$?
	umount "$SMALL" 2>/dev/null
	cleanup "$rc"
}

# netns_long_udp [SECONDS]: UDP flows live SECONDS (default 120) instead of
# 2 s, for tests whose flows must still be open when they look.
netns_long_udp() {
	in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout="${1:-120}" \
		net.netfilter.nf_conntrack_udp_timeout_stream="${1:-120}" ||
		fail "cannot set the UDP timeouts"
}

# start_recorder NAME ERRFILE ARGS...: starts ctrecord ARGS in the namespace
# as job NAME, its stderr appended to ERRFILE, and waits until it says it is
# listening (a restart waits for its own line, not an earlier run's).
start_recorder() {
	local name=$1 err=$2 before; shift 2
	before=$(grep -c '^ctrecord: listening' "$err" 2>/dev/null || true)
	start_bg "$name" "$BIN/ctrecord" "$@" 2>>"$err"
	eval "ERR_$name=\$err"
	wait_until 10 eval "[ \$(grep -c '^ctrecord: listening' '$err') -gt ${before:-0} ]" ||
		fail "ctrecord $* did not start: $(cat "$err")"
}

# stop_recorder NAME [TIMEOUT]: stops the recorder start_recorder started as
# job NAME with SIGTERM (waiting up to TIMEOUT seconds, default 20); fails,
# with the last lines it wrote, unless it stopped by itself with status 0.
stop_recorder() {
	local err
	eval "err=\${ERR_$1:-/dev/null}"
	stop_bg "$1" TERM "${2:-20}" || fail "ctrecord ($1) did not stop: $(tail -5 "$err")"
	[ "$BG_STATUS" = 0 ] || fail "ctrecord ($1) exited $BG_STATUS: $(tail -5 "$err")"
}

# holds_snapshot PID DB: PID holds a read mark of DB's -wal index (bytes
# 123-127 of the -shm, SQLite's WAL_READ_LOCK(0..4)): it reads a snapshot.
holds_snapshot() {
	local ino
	ino=$(stat -c %i "$2-shm") || return 1
	awk -v p="$1" -v i=":$ino" '$5 == p && substr($6, length($6) - length(i) + 1) == i &&
		$7 >= 123 && $7 <= 127 { found = 1 } END { exit !found }' /proc/locks
}

# events_of DB: every stored event, one "id flow t_us type" line each, in
# the order stored (tests/tools/evdump.c: events are packed in blocks).
events_of() { "$BIN/evdump" "$1"; }

# count_events DB TYPE: stored events of that type (1 NEW, 2 UPDATE, 3 DESTROY, 4 DUMP).
count_events() { "$BIN/evdump" "$1" | awk -v t="$2" '$4 == t { n++ } END { print n + 0 }'; }

# updates_to DB PORT: stored UPDATE events of the flows to that destination port.
updates_to() {
	sqlite3 -readonly "$1" "SELECT id FROM flows WHERE o_dport = $2" >"$TMP/updates_to.ids"
	events_of "$1" | awk 'NR == FNR { want[$1] = 1; next } $4 == 2 && want[$2]' "$TMP/updates_to.ids" - | wc -l
}

# The keys of each flow, as flow_keys holds them, and the flow ids that
# open_ranges lists: STORE_FLOW_KEYS_OF and STORE_OPEN_FLOW_IDS of
# lib/store_sql.h, as the definitions the checks below hold the store to.
FLOW_KEYS_OF="(SELECT id, 1 AS kind, o_src AS val, (id - 1) >> 10 AS rng FROM flows
	UNION ALL SELECT id, 2, o_dst, (id - 1) >> 10 FROM flows
	UNION ALL SELECT id, 3, o_dport, (id - 1) >> 10 FROM flows WHERE o_dport IS NOT NULL
	UNION ALL SELECT id, 4, length(end_dur) * 17592186044416 + (first_us >> 20),
		(id - 1) >> 10 FROM flows WHERE end_dur IS NOT NULL)"
OPEN_FLOW_IDS="(SELECT (o.rng << 10) + 1 + j.value AS id FROM open_ranges o, json_each(o.ids) j)"

# check_flow_keys DB: flow_keys lists exactly the keys FLOW_KEYS_OF gives
# for the flows (the writer computes them in C: lib/store_keys.c).
check_flow_keys() {
	local missing extra
	missing=$(sqlite3 -readonly "$1" "SELECT count(*) FROM (SELECT kind, val, rng FROM $FLOW_KEYS_OF
		EXCEPT SELECT kind, val, rng FROM flow_keys)")
	extra=$(sqlite3 -readonly "$1" "SELECT count(*) FROM (SELECT kind, val, rng FROM flow_keys
		EXCEPT SELECT kind, val, rng FROM $FLOW_KEYS_OF)")
	[ "$missing" = 0 ] && [ "$extra" = 0 ] ||
		fail "flow_keys of $1: $missing keys missing, $extra too many"
}

# check_open_ranges DB [exact]: every flow without an end is listed in
# open_ranges (lib/store_open.c); with exact (after a clean stop), no other is.
check_open_ranges() {
	local missing extra=0
	missing=$(sqlite3 -readonly "$1" "SELECT count(*) FROM flows WHERE end_dur IS NULL
		AND id NOT IN (SELECT id FROM $OPEN_FLOW_IDS)")
	[ "${2:-}" = exact ] && extra=$(sqlite3 -readonly "$1" "SELECT count(*) FROM $OPEN_FLOW_IDS
		WHERE id NOT IN (SELECT id FROM flows WHERE end_dur IS NULL)")
	[ "$missing" = 0 ] && [ "$extra" = 0 ] ||
		fail "open_ranges of $1: $missing open flows missing, $extra listed too many"
}

# nsubscribed: netlink sockets in the namespace subscribed to conntrack events.
nsubscribed() { in_ns awk '$2 == 12 && $4 != "00000000"' /proc/net/netlink | wc -l; }

# mixed_traffic [PINGS]: the oracle tests' traffic, with the rules of
# netns_mark_zone_nat: TCP and UDP over IPv4 and IPv6 (ports 5000-5003), a
# marked (5004), a zoned (5005) and a DNAT'ed flow (5006 -> 5007), and PINGS
# (default 1) ICMP and ICMPv6 echo requests.
mixed_traffic() {
	local tg=${TG:-$BIN/trafficgen} n=${1:-1}
	in_ns "$tg" tcp 127.0.0.1 5000 2
	in_ns "$tg" tcp ::1 5001 2
	in_ns "$tg" udp 127.0.0.1 5002 2
	in_ns "$tg" udp ::1 5003 2
	in_ns "$tg" tcp 127.0.0.1 5004 1
	in_ns "$tg" udp 127.0.0.1 5005 1
	in_ns "$tg" tcp 127.0.0.1 5007 1 5006 || fail "DNAT'ed connection 5006 -> 5007 failed"
	in_ns ping -c"$n" -i0.2 -W2 127.0.0.1 >/dev/null || fail "ping 127.0.0.1 failed"
	in_ns ping -6 -c"$n" -i0.2 -W2 ::1 >/dev/null || fail "ping ::1 failed"
}

# expire_all FILE: after mixed_traffic, lets its flows expire (the test
# timeouts are 2 s), makes the kernel evict them (a table dump does; it sends
# DESTROY events without [USERSPACE]) and waits until FILE, the text of an
# unfiltered conntrack -E, has a DESTROY for every NEW.
expire_all() {
	sleep 2.5
	in_ns conntrack -L >/dev/null 2>&1 || true
	wait_until 20 all_destroyed "$1" || fail "DESTROY events missing in $1"
	sleep 1
}
all_destroyed() {
	local n
	n=$(grep -c '\[NEW\]' "$1" || true)
	[ "$n" -gt 0 ] && [ "$(grep -c '\[DESTROY\]' "$1" || true)" = "$n" ]
}

# cleanup [RC]: kill the jobs we started (only those still our children), delete
# the namespaces, remove $TMP unless the test failed (or KEEP_TMP=1), and exit
# with RC (default: the status the test exited with).
cleanup() {
	local rc=${1:-$?} pid ns
	set +e
	for pid in $BG_PIDS; do pid_ours "$pid" && kill -TERM "$pid" 2>/dev/null; done
	for pid in $BG_PIDS; do
		wait_until 3 eval "! pid_ours $pid" || kill -KILL "$pid" 2>/dev/null
	done
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	for ns in $NS_EXTRA; do ip netns del "$ns" 2>/dev/null; done
	if [ "${KEEP_TMP:-0}" != 1 ] && { [ "$rc" = 0 ] || [ "$rc" = 77 ]; }; then
		rm -rf "$TMP"
	else
		echo "# files kept in $TMP" >&2
	fi
	exit "$rc"
}
