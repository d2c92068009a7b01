#!/bin/bash
# t1000: ctquery replay must print byte for byte what `conntrack -E` printed live beside ctrecord.
#
# One fresh namespace; ctrecord and `conntrack -E` listeners (default,
# extended,id,ktimestamp, xml, timestamp, each of extended, id and
# ktimestamp alone, xml,ktimestamp,id,extended,userspace and
# extended,id,ktimestamp,userspace) see the same real loopback traffic:
# TCP/UDP over IPv4 and IPv6, ICMP, ICMPv6, a marked, a zoned and a DNAT'ed flow,
# expiry, `conntrack -D` and `conntrack -F`.  With CT_ORACLE_SELFTEST=1 a second
# set of conntrack listeners stands in for ctrecord/ctquery (checks the harness).
# shellcheck disable=SC2016,SC2034,SC2086,SC2317 # awk scripts, eval, split $o, indirect calls
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ping timeout
SELFTEST=${CT_ORACLE_SELFTEST:-0}
if [ "$SELFTEST" != 1 ]; then
	require_built ctrecord ctquery
fi
TG=$BIN/trafficgen
if [ ! -x "$TG" ]; then
	TG=$TMP/trafficgen
	cc -O2 -Wall -Wextra -o "$TG" "$TESTS_DIR/tools/trafficgen.c" || fail "cannot build trafficgen"
fi

netns_setup
# Ports: tcp4 5000, tcp6 5001, udp4 5002, udp6 5003, mark 5004 (tcp),
# zone 5005 (udp), DNAT 5006 -> 5007 (tcp); conntrack -D: 6001 (udp);
# conntrack -F: 6002 (udp), 6003 (tcp).
netns_mark_zone_nat

OPTS_default=""
OPTS_ext="-o extended,id,ktimestamp"
OPTS_xml="-o xml"
OPTS_ts="-o timestamp"
# and each of -o extended, id and ktimestamp alone: what one word prints
OPTS_l3="-o extended"
OPTS_id="-o id"
OPTS_kts="-o ktimestamp"
# XML with what it prints of ktimestamp (<timestamp>, <deltatime>), and
# every word but timestamp and labels (userspace changes nothing)
OPTS_xkts="-o xml,ktimestamp,id,extended,userspace"
OPTS_all="-o extended,id,ktimestamp,userspace"
KINDS="default ext xml ts l3 id kts xkts all"

# Start ctrecord (wait until it is subscribed), then the oracles: conntrack -E
# writing $TMP/KIND.ct; in selftest mode a second set writing $TMP/KIND.ct2
# stands in for ctrecord.  Traffic starts once all of them have subscribed.
if [ "$SELFTEST" != 1 ]; then
	start_recorder rec "$TMP/rec.err" --db "$TMP/flows.db"
fi
nsub=$(( $(nsubscribed) + $(echo $KINDS | wc -w) ))
for k in $KINDS; do
	eval "o=\$OPTS_$k"
	start_bg "ct_$k" conntrack -E $o >"$TMP/$k.ct" 2>"$TMP/$k.ct.err"
	if [ "$SELFTEST" = 1 ]; then
		start_bg "ct2_$k" conntrack -E $o >"$TMP/$k.ct2" 2>"$TMP/$k.ct2.err"
		nsub=$((nsub + 1))
	fi
done
subscribed() { [ "$(nsubscribed)" -ge "$nsub" ]; }
wait_until 10 subscribed || fail "conntrack -E listeners did not subscribe"

# Phase 1: flows that expire by themselves (timeouts are 2s).
say "generating traffic"
mixed_traffic
# Expired entries go lazily; a table dump evicts them (DESTROY without USERSPACE).
sleep 2.5
in_ns conntrack -L >/dev/null 2>&1

# Phase 2: longer-lived flows destroyed by conntrack -D and -F.  The deleting
# process must still exist when the listeners read its events (they look up
# progname in /proc), so its last write blocks on a full pipe until every
# subscribed socket's receive queue is empty (Rmem 0 in /proc/net/netlink).
netns_long_udp 30
in_ns "$TG" udp 127.0.0.1 6001 1
in_ns "$TG" udp 127.0.0.1 6002 1
in_ns "$TG" tcp 127.0.0.1 6003 1
mkfifo "$TMP/fifo"
exec 3<>"$TMP/fifo"
drained() { [ -z "$(in_ns awk '$2 == 12 && $4 != "00000000" && $5 != 0' /proc/net/netlink)" ]; }
userspace() {
	dd if=/dev/zero of="$TMP/fifo" oflag=nonblock bs=4096 count=64 2>/dev/null || true
	start_bg userspace conntrack "$@" >"$TMP/fifo" 2>"$TMP/fifo" 3>&-
	sleep 0.3
	wait_until 10 drained || fail "listeners did not read the events of conntrack $*"
	sleep 0.5
	timeout 2 cat <&3 >/dev/null || true
	wait_bg userspace 10 || fail "conntrack $* did not exit"
	[ "$BG_STATUS" = 0 ] || fail "conntrack $* exited with $BG_STATUS"
}
userspace -D -p udp --dport 6001
userspace -F
exec 3>&-

# Wait until every flow has its DESTROY in every oracle file.
count() { grep -c -- "$1" "$2" || true; }
complete() {
	local n k f
	n=$(count '^ *\[NEW\]' "$TMP/default.ct")
	[ "$n" -gt 0 ] && [ "$(count '^\[DESTROY\]' "$TMP/default.ct")" = "$n" ] || return 1
	for k in $KINDS; do
		for f in "$TMP/$k.ct" "$TMP/$k.ct2"; do
			[ -e "$f" ] || continue
			if [ "$k" = xml ] || [ "$k" = xkts ]; then
				[ "$(count '<flow type="destroy">' "$f")" = "$n" ] || return 1
			else
				[ "$(count '\[DESTROY\]' "$f")" = "$n" ] || return 1
			fi
		done
	done
}
wait_until 15 complete || fail "DESTROY events missing: $(count NEW "$TMP/default.ct") NEW, $(count DESTROY "$TMP/default.ct") DESTROY"
sleep 0.5

if [ "$SELFTEST" != 1 ]; then
	stop_recorder rec 10
fi
for k in $KINDS; do
	for j in ct ct2; do
		[ -e "$TMP/$k.$j" ] || continue
		stop_bg "${j}_$k" INT 5 || fail "conntrack -E ($k) ignored SIGINT"
	done
done
for f in "$TMP/xml.ct" "$TMP/xml.ct2" "$TMP/xkts.ct" "$TMP/xkts.ct2"; do
	[ ! -e "$f" ] || [ "$(tail -n1 "$f")" = "</conntrack>" ] || fail "$f lacks </conntrack>"
done

# The traffic must have produced what this test claims to cover.
D=$TMP/default.ct
has() { grep -Eq -- "$1" "${2:-$D}" || fail "${2:-$D} has no event matching /$1/"; }
has '^ *\[NEW\] tcp +6 .* src=::1 '
has '^ *\[NEW\] udp +17 .* src=::1 '
has '^ *\[NEW\] icmp +1 '
has '^ *\[NEW\] icmpv6 +58 '
has ' mark=42( |$)'
has ' zone=7( |$)'
has 'dport=5006 .*src=127\.0\.0\.1 dst=127\.0\.0\.1 sport=5007 dport='
has '^\[DESTROY\] .* packets=[0-9]+ bytes=[0-9]+ .*delta-time=[0-9]+$'
has '^\[DESTROY\] udp .*dport=6001 .*\[USERSPACE\] portid=[0-9]+ progname=conntrack$'
has '^\[DESTROY\] ipv6 +10 .*\[start=.*\] \[stop=.*\] id=[0-9]+' "$TMP/ext.ct"
has '<flow type="destroy">.*<counters><packets>[0-9]+</packets>.*<deltatime>[0-9]+</deltatime>' "$TMP/xml.ct"
has '<flow type="destroy">.*<id>[0-9]+</id>.*<timestamp><start>[0-9]+</start><stop>[0-9]+</stop></timestamp><deltatime>' "$TMP/xkts.ct"
say "oracle: $(count '\[NEW\]' "$D") NEW, $(count '\[UPDATE\]' "$D") UPDATE," \
    "$(count '\[DESTROY\]' "$D") DESTROY, $(count '\[USERSPACE\]' "$D") USERSPACE"
for f in "$TMP"/*.ct "$TMP"/*.ct2; do
	[ -e "$f" ] || continue
	nu=$(count '\[USERSPACE\]' "$f")
	[ "$nu" -ge 2 ] || fail "$f: only $nu USERSPACE events"
	[ "$(count '\[USERSPACE\] portid=[0-9]* progname=conntrack$' "$f")" = "$nu" ] ||
		fail "$f: a USERSPACE event lacks progname=conntrack"
done

# Replay and compare.
replay() {	# replay KIND OUTFILE
	if [ "$SELFTEST" = 1 ]; then
		cp "$TMP/$1.ct2" "$2"
	else
		eval "o=\$OPTS_$1"
			"$BIN/ctquery" --db "$TMP/flows.db" replay $o >"$2" 2>"$TMP/$1.replay.err" ||
			fail "ctquery replay $o failed: $(tail -5 "$TMP/$1.replay.err")"
	fi
}
for k in default ext xml l3 id kts xkts all; do
	replay $k "$TMP/$k.replay"
	test_cmp "$TMP/$k.ct" "$TMP/$k.replay"
	if [ $k = xml ] || [ $k = xkts ]; then
		n=$(count '<flow ' "$TMP/$k.ct")
	else
		n=$(wc -l <"$TMP/$k.ct")
	fi
	eval "o=\$OPTS_$k"
	o=${o#-o }
	say "compared $n events (${o:-default})"
done

# -o timestamp: receive times differ a little; the rest must not.
replay ts "$TMP/ts.replay"
test_cmp_stamped "$TMP/ts.ct" "$TMP/ts.replay"
say "compared $(wc -l <"$TMP/ts.ct") events (timestamp, prefixes within 1s)"
exit 0
