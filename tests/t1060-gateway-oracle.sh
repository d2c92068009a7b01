#!/bin/bash
# t1060: on a gateway (client, router, server namespaces), ctquery replay, list --at and show agree byte for byte with conntrack -E and -L run in the router, NAT, zones, marks and filters included.
#
# The router forwards IPv4 and IPv6 between the client's subnet and the
# server's: it masquerades the client going out (NAT66 too), SNATs one port to
# a second address, forwards router ports to the server (DNAT, the source
# kept; and a REDIRECT to itself), sets a zone by input interface (both
# directions; the original direction alone for another port), a ct mark by
# rule and the TFTP helper.  The traffic: TCP closed, reset and refused; UDP
# answered, sent to a closed port (its ICMP error is RELATED), fragmented;
# ICMP and ICMPv6 echo.
# ctrecord runs in the router beside conntrack -E (plain, -o
# timestamp,extended,id, -o xml, -o save, and with each filter option) and a replay
# --follow of what it records; then list --at a time while TCP flows were
# held open is compared with conntrack -L taken then, with the same filters,
# and show of NAT'ed flows with their NEW events.  The save log, imported,
# replays back byte for byte.
# shellcheck disable=SC2016,SC2034,SC2086,SC2317 # awk scripts, eval, split $o, indirect calls
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ping
require_built ctrecord ctquery peer
PEER=$BIN/peer

netns_setup			# $NS is the router
netns_extra NSC			# the client
netns_extra NSS			# the server
in_c() { ip netns exec "$NSC" "$@"; }
in_s() { ip netns exec "$NSS" "$@"; }

ip link add c0 netns "$NSC" type veth peer name r0 netns "$NS" || fail "cannot create a veth pair"
ip link add s0 netns "$NSS" type veth peer name r1 netns "$NS" || fail "cannot create a veth pair"
in_c ip addr add 10.60.1.2/24 dev c0
in_c ip addr add fd60:1::2/64 dev c0 nodad
in_ns ip addr add 10.60.1.1/24 dev r0
in_ns ip addr add fd60:1::1/64 dev r0 nodad
in_ns ip addr add 10.60.2.1/24 dev r1
in_ns ip addr add 10.60.2.100/24 dev r1
in_ns ip addr add fd60:2::1/64 dev r1 nodad
in_s ip addr add 10.60.2.2/24 dev s0
in_s ip addr add fd60:2::2/64 dev s0 nodad
for n in "$NSC" "$NSS"; do ip netns exec "$n" ip link set lo up; done
in_c ip link set c0 up
in_s ip link set s0 up
in_ns ip link set r0 up
in_ns ip link set r1 up
in_c ip route add default via 10.60.1.1
in_c ip -6 route add default via fd60:1::1
in_s ip route add default via 10.60.2.1
in_s ip -6 route add default via fd60:2::1
in_ns sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || fail "cannot switch forwarding on"

# The router's rules.  Ports: 7000 tcp/udp masqueraded (both families), 7001
# tcp mark 42, 7002 udp mark 0x10042, 7003 udp SNAT to 10.60.2.100, 7004 tcp
# reset, 7005 udp fragmented, 7006 udp masqueraded to port 20000, 9998 tcp
# refused, 9999 udp closed (ICMP error), 5353 zone 5 (both directions), 5354
# original zone 6, 69 udp with the TFTP helper (its reply an expected flow,
# NAT'ed by the helper), router 8080 tcp -> server 80 and router 8053 udp ->
# server 53 (DNAT, not masqueraded), router 8081 tcp -> server 81 (DNAT and
# masqueraded), router 8082 tcp -> router 7200 (REDIRECT: the port alone
# changed), 7100 tcp held open for list --at.
in_ns nft -f - <<-'EOF' || fail "cannot load the router's rules"
table inet gw {
	ct helper tftp_h { type "tftp" protocol udp; }
	chain helpers { type filter hook prerouting priority 0;
		iifname "r0" udp dport 69 ct helper set "tftp_h"
	}
	chain raw_pre { type filter hook prerouting priority raw;
		iifname "r0" udp dport 5353 ct zone set 5
		iifname "r1" udp sport 5353 ct zone set 5
		iifname "r0" udp dport 5354 ct original zone set 6
		iifname "r0" tcp dport 5353 ct zone set 5
		iifname "r1" tcp sport 5353 ct zone set 5
		iifname "r0" tcp dport 5354 ct original zone set 6
	}
	chain forward_f { type filter hook forward priority 0;
		ct state new counter
		tcp dport 7001 ct mark set 42
		udp dport 7002 ct mark set 0x10042
	}
}
table ip nat4 {
	chain pre { type nat hook prerouting priority dstnat;
		iifname "r0" tcp dport 8080 dnat to 10.60.2.2:80
		iifname "r0" udp dport 8053 dnat to 10.60.2.2:53
		iifname "r0" tcp dport 8081 dnat to 10.60.2.2:81
		iifname "r0" tcp dport 8082 redirect to :7200
	}
	chain post { type nat hook postrouting priority srcnat;
		oifname "r1" ct status dnat tcp dport 81 masquerade
		oifname "r1" ct status dnat accept
		oifname "r1" udp dport 7003 snat to 10.60.2.100
		oifname "r1" udp dport 7006 masquerade to :20000
		oifname "r1" ip saddr 10.60.1.0/24 masquerade
	}
}
table ip6 nat6 {
	chain pre { type nat hook prerouting priority dstnat;
		iifname "r0" tcp dport 8080 dnat to [fd60:2::2]:80
	}
	chain post { type nat hook postrouting priority srcnat;
		oifname "r1" ct status dnat accept
		oifname "r1" ip6 saddr fd60:1::/64 masquerade
	}
}
EOF

# Listeners: ctrecord, conntrack -E in three formats and with each filter.
OPTS_default=""
OPTS_ext="-o timestamp,extended,id"
OPTS_xml="-o xml"
OPTS_save="-o save"
FILTERS=(
	"-s 10.60.1.2" "-d 10.60.2.2" "-d 10.60.1.1" "-s fd60:1::2" "-d fd60:2::2"
	"-r 10.60.2.2" "-q 10.60.2.1" "-q 10.60.2.100" "-q 10.60.1.2" "-q fd60:2::1"
	"-n" "-g" "-j" "-n -g" "-n 10.60.2.100" "-g 10.60.2.2" "-j 10.60.2.1" "-g 10.60.2.2:80"
	"-w 5" "--orig-zone 6" "-m 42" "-m 0x42/0xff" "-m 0x10000/0x10000"
	"-p tcp --dport 8080" "-p tcp --reply-port-src 80" "-p udp --dport 8053"
	"-p udp --reply-port-dst 20000" "-p tcp --state CLOSE" "-p icmp" "-p icmpv6"
	"-f ipv6" "-f ipv4 -p udp"
	"-e NEW -n" "-e DESTROY -g"
	"-n 10.60.2.1:20000" "-p udp --dport 69" "-n -g -p tcp"
	"-p tcp --dport 8082 -g" "-p tcp --reply-port-src 7200"
	"-g fd60:2::2" "-n fd60:9::9" "-j fd60:2::1"
	"-g [fd60:2::2]:80" "-j [fd60:9::9]:80" "-g [10.60.2.2]:80"
)
KINDS="default ext xml save"
i=0
for f in "${FILTERS[@]}"; do
	eval "OPTS_f$i=\$f"
	KINDS="$KINDS f$i"
	i=$((i + 1))
done

start_recorder rec "$TMP/rec.err" --db "$TMP/flows.db"
# and a replay --follow of it, which prints the events as ctrecord stores them
"$BIN/ctquery" --db "$TMP/flows.db" replay --follow >"$TMP/follow.replay" 2>"$TMP/follow.err" &
PID_follow=$!
BG_PIDS="$BG_PIDS $!"
nsub=$(( $(nsubscribed) + $(echo $KINDS | wc -w) ))
for k in $KINDS; do
	eval "o=\$OPTS_$k"
	start_bg "ct_$k" conntrack -E $o >"$TMP/$k.ct" 2>"$TMP/$k.ct.err"
done
subscribed() { [ "$(nsubscribed)" -ge "$nsub" ]; }
wait_until 10 subscribed || fail "conntrack -E listeners did not subscribe: $(cat "$TMP"/*.ct.err)"

# serve NAME PROTO PORT COUNT: a server in the server namespace, on both families.
serve() {
	ip netns exec "$NSS" "$PEER" serve "$2" :: "$3" "$4" >"$TMP/srv_$1" 2>&1 &
	eval "PID_srv_$1=$!"
	BG_PIDS="$BG_PIDS $!"
	wait_for_line "$TMP/srv_$1" '^ready' 5 || fail "server $1 did not start: $(cat "$TMP/srv_$1")"
}
serve t7000 tcp 7000 2
serve u7000 udp 7000 2
serve t7001 tcp 7001 1
serve u7002 udp 7002 1
serve u7003 udp 7003 1
serve t7004 tcp 7004 2
serve u7005 udp 7005 2
serve u5353 udp 5353 1
serve u5354 udp 5354 1
serve t80 tcp 80 2
serve u53 udp 53 1
serve t81 tcp 81 1
serve u7006 udp 7006 1
serve u69 udpx 69 2
in_ns "$PEER" serve tcp :: 7200 1 >"$TMP/srv_t7200" 2>&1 &	# in the router
PID_srv_t7200=$!
BG_PIDS="$BG_PIDS $!"
wait_for_line "$TMP/srv_t7200" '^ready' 5 || fail "server t7200 did not start: $(cat "$TMP/srv_t7200")"

say "generating traffic"
c() { in_c "$PEER" "$@" || fail "client: peer $* failed"; }
c tcp 10.60.2.2 7000
c tcp fd60:2::2 7000
c udp 10.60.2.2 7000
c udp fd60:2::2 7000
c tcp 10.60.2.2 7001
c udp 10.60.2.2 7002
c udp 10.60.2.2 7003
c rst 10.60.2.2 7004
c rst fd60:2::2 7004
c udp 10.60.2.2 7005 3000
c udp fd60:2::2 7005 3000
c udp 10.60.2.2 5353
c udp 10.60.2.2 5354
c tcp 10.60.1.1 8080
c tcp fd60:1::1 8080
c udp 10.60.1.1 8053
c tcp 10.60.1.1 8081
c tcp 10.60.1.1 8082
c udp 10.60.2.2 7006
c udpx 10.60.2.2 69
c udpx fd60:2::2 69
c refused 10.60.2.2 9998
c refused fd60:2::2 9998
c udp1 10.60.2.2 9999
c udp1 fd60:2::2 9999
c udp1 10.60.1.1 9999
in_c ping -c1 -W2 10.60.2.2 >/dev/null || fail "ping 10.60.2.2 failed"
in_c ping -6 -c1 -W2 fd60:2::2 >/dev/null || fail "ping fd60:2::2 failed"
for s in t7000 u7000 t7001 u7002 u7003 t7004 u7005 u5353 u5354 t80 u53 t81 u7006 u69 t7200; do
	wait_bg "srv_$s" 10 || fail "server $s did not finish"
	[ "$BG_STATUS" = 0 ] || fail "server $s: $(cat "$TMP/srv_$s")"
done
expire_all "$TMP/default.ct"

# Phase 2: TCP flows held open (masqueraded, DNAT'ed, marked, zoned; both
# families) while conntrack -L lists the table, whole and with each filter.
LFILTERS=(
	"" "-s 10.60.1.2" "-d 10.60.1.1" "-r 10.60.2.2" "-q 10.60.2.1" "-q 10.60.1.2"
	"-n" "-g" "-j" "-g 10.60.2.2:80" "-j 10.60.2.1" "-w 5" "--orig-zone 6" "-m 42"
	"-p tcp --dport 8080" "-p tcp --reply-port-src 80" "-f ipv6"
)
serve t7100 tcp 7100 2
serve t80b tcp 80 2
serve t7001b tcp 7001 1
serve t5353 tcp 5353 1
serve t5354 tcp 5354 1
# one at a time, each closing 300 ms after the one before: the events of two
# flows made at once on two CPUs may reach two listeners in different orders.
holders="" nheld=0
hold() {
	nheld=$((nheld + 1))
	in_c "$PEER" hold "$1" "$2" $((2500 + 300 * nheld)) >"$TMP/hold$nheld" &
	BG_PIDS="$BG_PIDS $!"
	holders="$holders $!"
	wait_for_line "$TMP/hold$nheld" '^held' 5 || fail "peer hold $1 $2 got no reply"
}
hold 10.60.2.2 7100
hold fd60:2::2 7100
hold 10.60.1.1 8080
hold fd60:1::1 8080
hold 10.60.2.2 7001
hold 10.60.2.2 5353
hold 10.60.2.2 5354
sleep 1.5
AT=$(date +%s.%N)
i=0
for f in "${LFILTERS[@]}"; do
	in_ns conntrack -L $f >"$TMP/L$i.ct" 2>"$TMP/L$i.err" || fail "conntrack -L $f failed: $(cat "$TMP/L$i.err")"
	i=$((i + 1))
done
for p in $holders; do wait $p || fail "a held connection failed"; done
for s in t7100 t80b t7001b t5353 t5354; do wait_bg "srv_$s" 10 || fail "server $s did not finish"; done
expire_all "$TMP/default.ct"

count() { grep -c -- "$1" "$2" || true; }
complete() {
	local n
	n=$(count '^ *\[NEW\]' "$TMP/default.ct")
	[ "$(count '\[DESTROY\]' "$TMP/ext.ct")" = "$n" ] &&
		[ "$(count '<flow type="destroy">' "$TMP/xml.ct")" = "$n" ] &&
		[ "$(count '^-D ' "$TMP/save.ct")" = "$n" ]
}
wait_until 15 complete || fail "DESTROY events missing in the oracles"
# --follow reads what ctrecord committed (every 100 ms)
wait_until 10 eval '[ "$(wc -l <"$TMP/follow.replay")" -ge "$(wc -l <"$TMP/default.ct")" ]' ||
	fail "replay --follow printed $(wc -l <"$TMP/follow.replay") events of $(wc -l <"$TMP/default.ct")"
sleep 0.5
stop_bg follow INT 5 || fail "replay --follow ignored SIGINT"
[ "$BG_STATUS" = 0 ] || fail "replay --follow exited with $BG_STATUS: $(cat "$TMP/follow.err")"
stop_recorder rec 10
for k in $KINDS; do
	stop_bg "ct_$k" INT 5 || fail "conntrack -E ($k) ignored SIGINT"
done

# What the test claims to cover, as conntrack printed it.
D=$TMP/default.ct
has() { grep -Eq -- "$1" "${2:-$D}" || fail "${2:-$D} has no event matching /$1/"; }
has '^ *\[NEW\] tcp .* dport=7000 \[UNREPLIED\] src=10\.60\.2\.2 dst=10\.60\.2\.1 '	# masquerade
has '^ *\[NEW\] tcp .* dport=7000 \[UNREPLIED\] src=fd60:2::2 dst=fd60:2::1 '	# NAT66
has ' dport=7003 \[UNREPLIED\] src=10\.60\.2\.2 dst=10\.60\.2\.100 '		# SNAT
has ' dport=7006 \[UNREPLIED\] src=10\.60\.2\.2 dst=10\.60\.2\.1 sport=7006 dport=20000$'
has ' dst=10\.60\.1\.1 sport=[0-9]+ dport=8080 \[UNREPLIED\] src=10\.60\.2\.2 dst=10\.60\.1\.2 sport=80 '
has ' dst=fd60:1::1 sport=[0-9]+ dport=8080 \[UNREPLIED\] src=fd60:2::2 dst=fd60:1::2 sport=80 '
has ' dport=8081 \[UNREPLIED\] src=10\.60\.2\.2 dst=10\.60\.2\.1 sport=81 '	# DNAT and SNAT
has ' dst=10\.60\.1\.1 sport=[0-9]+ dport=8082 \[UNREPLIED\] src=10\.60\.1\.1 dst=10\.60\.1\.2 sport=7200 '	# REDIRECT
has ' dport=5353 .* zone=5$'
has ' dport=5354 zone-orig=6 '
has ' mark=42$'
has ' mark=65602$'
has ' dport=69 .* helper=tftp$'
has '^ *\[NEW\] udp .* src=10\.60\.2\.2 dst=10\.60\.2\.1 sport=[0-9]+ dport=[0-9]+ \[UNREPLIED\] src=10\.60\.1\.2 '	# expected by TFTP
has '^\[DESTROY\] tcp .* CLOSE .*dport=7004 .*\[ASSURED\]'			# reset
has '^\[DESTROY\] tcp .* CLOSE .*dport=9998 .*\[UNREPLIED\]'			# refused
has '^\[DESTROY\] udp .* dport=9999 packets=1 bytes=[0-9]+ \[UNREPLIED\] .* packets=0 bytes=0 '	# ICMP error
has '^\[DESTROY\] udp .* dport=7005 packets=1 bytes=3028 '				# fragmented
has '^\[DESTROY\] udp .* dport=7005 packets=1 bytes=3048 '
has '^ *\[NEW\] icmp +1 .* dst=10\.60\.2\.2 type=8 .* dst=10\.60\.2\.1 type=0 '
has '^ *\[NEW\] icmpv6 +58 .* dst=fd60:2::2 type=128 .* dst=fd60:2::1 type=129 '
say "oracle: $(count '\[NEW\]' "$D") NEW, $(count '\[UPDATE\]' "$D") UPDATE, $(count '\[DESTROY\]' "$D") DESTROY"

Q() { "$BIN/ctquery" --db "$TMP/flows.db" "$@"; }

# replay as conntrack -E printed it: plain and XML byte for byte; with
# -o timestamp,extended,id the same but for the receive times (within 1 s).
for k in default xml save; do
	eval "o=\$OPTS_$k"
	Q replay $o >"$TMP/$k.replay" 2>"$TMP/$k.replay.err" || fail "replay $o failed: $(cat "$TMP/$k.replay.err")"
	test_cmp "$TMP/$k.ct" "$TMP/$k.replay"
done
Q replay $OPTS_ext >"$TMP/ext.replay" || fail "replay $OPTS_ext failed"
test_cmp_stamped "$TMP/ext.ct" "$TMP/ext.replay"
test_cmp "$D" "$TMP/follow.replay"
say "replay: $(wc -l <"$D") events identical (default, xml, save, timestamp,extended,id; --follow while recording)"
# The save log imported: replayed back byte for byte (-g and -n of the
# NAT'ed flows, IPv4 and NAT66, -r of REDIRECT's port-only DNAT, TFTP's
# EXPECTED flows, zones), plain as conntrack printed it but for the marks,
# counters, delta-time and helper that save does not print.
save_import_check "$TMP/save.ct" "$D"
say "save log imported: replay -o save identical, plain without marks, counters, delta-time, helper"

# replay with each filter as conntrack -E with the same options.
i=0
for f in "${FILTERS[@]}"; do
	Q replay $f >"$TMP/f$i.replay" 2>"$TMP/f$i.replay.err" || fail "replay $f failed: $(cat "$TMP/f$i.replay.err")"
	test_cmp "$TMP/f$i.ct" "$TMP/f$i.replay"
	[ -s "$TMP/f$i.ct" ] || fail "conntrack -E $f printed nothing: the filter tests nothing"
	i=$((i + 1))
done
say "replay: ${#FILTERS[@]} filters identical"

# list --at, as conntrack -L listed the table then: the same flows, with the
# same tuples, zones, marks and flags (list shows a flow's last state and
# counters, and neither timeout, use nor delta-time; a mark only once an
# event carried one: conntrack -L's mark=0 goes).
norm() {
	sed -E 's/^([a-z0-9]+ +[0-9]+ )([0-9]+ )?([A-Z_]+ )?/\1/; s/ (packets|bytes)=[0-9]+//g
		s/ mark=0( |$)/\1/; s/ (delta-time|use)=[0-9]+//g' "$@" | sort
}
[ "$(wc -l <"$TMP/L0.ct")" = "$nheld" ] || fail "conntrack -L did not list the $nheld held flows: $(cat "$TMP/L0.ct")"
i=0
for f in "${LFILTERS[@]}"; do
	Q list --at "@$AT" -o conntrack $f >"$TMP/L$i.list" 2>"$TMP/L$i.list.err" ||
		fail "list --at @$AT $f failed: $(cat "$TMP/L$i.list.err")"
	norm "$TMP/L$i.ct" >"$TMP/L$i.ct.n"
	norm "$TMP/L$i.list" >"$TMP/L$i.list.n"
	test_cmp "$TMP/L$i.ct.n" "$TMP/L$i.list.n"
	i=$((i + 1))
done
say "list --at: ${#LFILTERS[@]} listings identical to conntrack -L's"

# show: a NAT'ed flow's tuples as its NEW event gave them, and its nat line.
# check_show PATTERN NAT: the flow whose NEW event matches PATTERN.
check_show() {
	local line id o r
	line=$(grep -E -- "^ *\[NEW\] .*$1" "$D" | head -n1)
	[ -n "$line" ] || fail "no NEW event matches /$1/"
	id=$(Q list -o csv --where "ct_id = $(Q replay $OPTS_ext | grep -F -- "${line#*] }" | sed -n '1s/.* id=//p')" |
		awk -F, 'NR == 2 { print $1 }')
	[ -n "$id" ] || fail "no flow for /$1/"
	o=$(echo "$line" | sed -E 's/.* src=([^ ]+) dst=([^ ]+) sport=([0-9]+) dport=([0-9]+) (zone-orig=([0-9]+) )?\[UNREPLIED\].*/\1 \3 \2 \4 \6/')
	r=$(echo "$line" | sed -E 's/.*\[UNREPLIED\] src=([^ ]+) dst=([^ ]+) sport=([0-9]+) dport=([0-9]+).*/\1 \3 \2 \4/')
	Q show "$id" >"$TMP/show$id" || fail "show $id failed"
	grep -qxF "  original $(tuple $o)" "$TMP/show$id" || fail "show $id: not the original tuple $(tuple $o): $(cat "$TMP/show$id")"
	grep -qxF "  reply    $(tuple $r)" "$TMP/show$id" || fail "show $id: not the reply tuple $(tuple $r): $(cat "$TMP/show$id")"
	grep -qxF "  nat      $2" "$TMP/show$id" || fail "show $id: not nat $2: $(cat "$TMP/show$id")"
}
# tuple SRC SPORT DST DPORT [ZONE]: a tuple as show writes it.
tuple() {
	case $1 in *:*) printf '[%s]:%s->[%s]:%s' "$1" "$2" "$3" "$4" ;; *) printf '%s:%s->%s:%s' "$1" "$2" "$3" "$4" ;; esac
	[ -z "${5:-}" ] || printf ' zone %s' "$5"
	echo
}
check_show 'dst=10\.60\.2\.2 sport=[0-9]+ dport=7000 ' source
check_show 'dst=fd60:2::2 sport=[0-9]+ dport=7000 ' source
check_show 'dport=7003 ' source
check_show 'dport=7006 ' source
check_show 'dst=10\.60\.1\.1 sport=[0-9]+ dport=8080 ' destination
check_show 'dst=fd60:1::1 sport=[0-9]+ dport=8080 ' destination
check_show 'dport=8081 ' 'source and destination'
check_show 'dport=8082 ' destination
check_show 'src=10\.60\.2\.2 dst=10\.60\.2\.1 sport=[0-9]+ dport=[0-9]+ \[UNREPLIED\] src=10\.60\.1\.2 ' destination
check_show 'dport=9999 \[UNREPLIED\] src=10\.60\.1\.1 ' none
check_show 'udp .* dport=5354 zone-orig=6 ' source	# its original tuple's zone too
say "show: the tuples and nat line of 11 flows"
exit 0
