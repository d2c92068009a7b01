#!/bin/bash
# t1000: ctquery replay must print byte for byte what `conntrack -E` printed live beside ctrecord.
#
# One fresh namespace; ctrecord and `conntrack -E` listeners (default,
# extended,id,ktimestamp, xml, timestamp, each of extended, id and
# ktimestamp alone, xml,ktimestamp,id,extended,userspace,
# extended,id,ktimestamp,userspace and save, each event a conntrack command
# line) see the same real loopback traffic:
# TCP/UDP over IPv4 and IPv6, ICMP, ICMPv6, a marked, a zoned and a DNAT'ed flow,
# expiry, entries that `conntrack -I` makes and -U updates (status
# FIXED_TIMEOUT, zones of one direction, SCTP tags, GRE keys, a reply tuple
# that is not the mirror), `conntrack -D` and `conntrack -F`.  The save log,
# imported, replays back byte for byte, and plain as conntrack printed it but
# for what save does not print.  With CT_ORACLE_SELFTEST=1 a second
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
# -o save: -A, -U or -D and the entry's options (conntrack refuses it with any
# other word but userspace)
OPTS_save="-o save"
KINDS="default ext xml ts l3 id kts xkts all save"

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
# What the traffic does not make, made and updated by conntrack itself (one
# process each, blocked until the listeners have read its events); -F ends them.
userspace -I -p udp -s 10.9.0.1 -d 10.9.0.2 --sport 1001 --dport 1002 -r 10.9.0.9 -q 10.9.0.8 \
	--reply-port-src 5 --reply-port-dst 6 -t 50 -u SEEN_REPLY,ASSURED,FIXED_TIMEOUT -m 7
userspace -U -p udp -s 10.9.0.1 -d 10.9.0.2 --sport 1001 --dport 1002 -m 8
userspace -I -p udp -s fd00::1 -d fd00::2 --sport 1004 --dport 1002 -t 50 -u SEEN_REPLY --reply-zone 4
userspace -I -p tcp -s 10.9.0.1 -d 10.9.0.2 --sport 1005 --dport 1002 -t 50 -u SEEN_REPLY --state SYN_SENT2 -w 9
userspace -I -p sctp -s 10.9.0.1 -d 10.9.0.2 --sport 1006 --dport 1002 -t 50 -u SEEN_REPLY \
	--state ESTABLISHED --orig-vtag 77 --reply-vtag 88
userspace -I -p gre -s fd00::1 -d fd00::2 --srckey 5 --dstkey 6 -t 50 -u SEEN_REPLY --orig-zone 3
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
			elif [ "$k" = save ]; then
				[ "$(count '^-D ' "$f")" = "$n" ] || return 1
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
S=$TMP/save.ct
has '^-A -t [0-9]+ -u UNSET -s 127\.0\.0\.1 -d 127\.0\.0\.1 -r 127\.0\.0\.1 -q 127\.0\.0\.1 -p tcp --sport [0-9]+ --dport 5000 --reply-port-src 5000 --reply-port-dst [0-9]+ --state SYN_SENT$' "$S"
has '^-U -t [0-9]+ -u SEEN_REPLY,ASSURED -s ::1 -d ::1 -r ::1 -q ::1 -p tcp .* --state ESTABLISHED$' "$S"
has '^-U .* -p udp --sport [0-9]+ --dport 5003 --reply-port-src 5003 --reply-port-dst [0-9]+$' "$S"
has '^-D .* -p icmp --icmp-type 8 --icmp-code 0 --icmp-id [0-9]+$' "$S"
has '^-D .* -p icmpv6 --icmpv6-type 128 --icmpv6-code 0 --icmpv6-id [0-9]+$' "$S"
has '^-A -t [0-9]+ -u UNSET -w 7 -s 127\.0\.0\.1 .* -p udp .*--dport 5005 ' "$S"
has '^-A .* -p tcp --sport [0-9]+ --dport 5006 --reply-port-src 5007 ' "$S"
has '^-A -t 50 -u SEEN_REPLY,ASSURED,FIXED_TIMEOUT -s 10\.9\.0\.1 -d 10\.9\.0\.2 -r 10\.9\.0\.9 -q 10\.9\.0\.8 -p udp --sport 1001 --dport 1002 --reply-port-src 5 --reply-port-dst 6 \[USERSPACE\] portid=[0-9]+ progname=conntrack$' "$S"
has '^-U -t [0-9]+ -u SEEN_REPLY,ASSURED,FIXED_TIMEOUT -s 10\.9\.0\.1 .* -p udp --sport 1001 .*progname=conntrack$' "$S"
has '^-A -t 50 -u SEEN_REPLY --reply-zone 4 -s fd00::1 -d fd00::2 -r fd00::2 -q fd00::1 -p udp ' "$S"
has '^-A -t 50 -u SEEN_REPLY -w 9 -s 10\.9\.0\.1 .* -p tcp .* --state SYN_SENT2 ' "$S"
has '^-A .* -p sctp --sport 1006 --dport 1002 --reply-port-src 1002 --reply-port-dst 1006 --state ESTABLISHED --orig-vtag 77 --reply-vtag 88 ' "$S"
has '^-A -t 50 -u SEEN_REPLY --orig-zone 3 -s fd00::1 .* -p gre --srckey 5 --dstkey 6 --reply-key-src 6 --reply-key-dst 5 ' "$S"
has '^-D (-t [0-9]+ )?-u SEEN_REPLY -s 127\.0\.0\.1 .* -p udp .*--dport 6001 .* \[USERSPACE\] portid=[0-9]+ progname=conntrack$' "$S"
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
for k in default ext xml l3 id kts xkts all save; do
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

# The save log imported: replayed back byte for byte, and plain as conntrack
# printed it but for what save does not print (mark, counters, delta-time).
if [ "$SELFTEST" != 1 ]; then
	save_import_check "$TMP/save.ct" "$TMP/default.ct"
	say "save log imported: replay -o save identical ($(wc -l <"$TMP/save.ct") events), plain without mark, counters, delta-time"
fi

# -o timestamp: receive times differ a little; the rest must not.
replay ts "$TMP/ts.replay"
test_cmp_stamped "$TMP/ts.ct" "$TMP/ts.replay"
say "compared $(wc -l <"$TMP/ts.ct") events (timestamp, prefixes within 1s)"
exit 0
