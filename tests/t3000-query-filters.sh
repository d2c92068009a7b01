#!/bin/bash
# t3000: `ctquery replay FILTER` prints exactly what `conntrack -E FILTER` printed, for each filter; list/show/stats/--at/--since and bad input.
#
# One namespace; ctrecord and one `conntrack -E` listener per filter (plus one
# without) see the same traffic: TCP/UDP over IPv4 and IPv6, ICMP, ICMPv6, a
# marked, a zoned and a DNAT'ed flow, all expiring by themselves (no
# conntrack -D/-F, whose [USERSPACE] suffix races with /proc).
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ping sqlite3 python3
require_built ctrecord ctquery trafficgen
TG=$BIN/trafficgen
Q() { "$BIN/ctquery" --db "$TMP/flows.db" "$@"; }

netns_setup
netns_mark_zone_nat

# name|filter options (the same words for conntrack -E and ctquery replay; ocase:
# -o words in capitals, which conntrack takes in any case; icmp6name and
# icmp6alias: -p names of /etc/protocols; evabbr, evupd: -e's words
# abbreviated, as conntrack takes them; evnat: D taken as DST_NAT and ignored)
FILTERS='all|
tcp|-p tcp
udp6dport|-p udp --dport 5003
tcpdport|-p tcp --dport 5000
rsport5|-p udp --reply-port-src 5005
rsport|-p tcp --reply-port-src 5007
tcp6|-p tcp -s ::1
src4|-s 127.0.0.1
dst6|-d ::1
cidr|-s 127.0.0.0/8
cidr6|-d ::/1
rsrc|-r 127.0.0.1
rdst6|-q ::1
mark|-m 42
mark0|-m 0
markmask|-m 40/0xf8
zone|-w 7
zone0|-w 0
ozone|--orig-zone 0
rzone|--reply-zone 0
dnat|-g
dnatip|-g 127.0.0.1
snat|-n
anynat|-j
state|-p tcp --state ESTABLISHED
state2|-p tcp --state TIME_WAIT
fam6|-f ipv6
icmp|-p icmp
icmptype|-p icmp --icmp-type 8
icmpcode|-p icmp --icmp-type 8 --icmp-code 0
icmpid0|-p icmp --icmp-code 0
icmp6|-p icmpv6
icmp6name|-p ipv6-icmp
icmp6alias|-p IPv6-ICMP
icmp6type|-p icmpv6 --icmpv6-type 128
icmp6num|-p 58 --icmpv6-type 129 --icmpv6-code 0
evnew|-e NEW
evdestroy|-e DESTROY -p udp
evabbr|-e DES,n -p udp
evupd|-e u -p tcp
evnat|-e A,D -p icmp
ocase|-o EXTENDED,Id,KTimestamp -p udp'
names=$(echo "$FILTERS" | cut -d'|' -f1)
opts_of() { echo "$FILTERS" | awk -F'|' -v n="$1" '$1 == n { print $2 }'; }

start_recorder rec "$TMP/rec.err" --db "$TMP/flows.db"
nsub=$(nsubscribed)
for n in $names; do
	# shellcheck disable=SC2046
	start_bg "ct_$n" conntrack -E $(opts_of "$n") >"$TMP/$n.ct" 2>"$TMP/$n.ct.err"
	nsub=$((nsub + 1))
done
# conntrack -E -c (--secmark), which ctquery refuses: it selects every event
start_bg ct_secmark conntrack -E -c 5 >"$TMP/secmark.ct" 2>"$TMP/secmark.ct.err"
nsub=$((nsub + 1))
subscribed() { [ "$(nsubscribed)" -ge "$nsub" ]; }
wait_until 10 subscribed || fail "conntrack -E listeners did not subscribe: $(cat "$TMP"/*.ct.err)"

T0=$(date +%s)
say "generating traffic"
mixed_traffic
expire_all "$TMP/all.ct"
stop_bg rec TERM 10 || fail "ctrecord ignored SIGTERM"
check_flow_keys "$TMP/flows.db"
check_open_ranges "$TMP/flows.db" exact
[ "$BG_STATUS" = 0 ] || fail "ctrecord exited with $BG_STATUS"
for n in $names secmark; do
	stop_bg "ct_$n" INT 5 || fail "conntrack -E ($n) ignored SIGINT"
done
T1=$(date +%s)

total=0
for n in $names; do
	o=$(opts_of "$n")
	# shellcheck disable=SC2086
	Q replay $o >"$TMP/$n.replay" 2>"$TMP/$n.replay.err" ||
		fail "ctquery replay $o failed: $(cat "$TMP/$n.replay.err")"
	test_cmp "$TMP/$n.ct" "$TMP/$n.replay"
	k=$(wc -l <"$TMP/$n.ct")
	total=$((total + k))
	say "replay ${o:-(no filter)}: $k events identical"
done
[ "$(wc -l <"$TMP/mark.ct")" -gt 0 ] || fail "no marked events"
[ "$(wc -l <"$TMP/zone.ct")" -gt 0 ] || fail "no zoned events"
[ "$(wc -l <"$TMP/dnat.ct")" -gt 0 ] || fail "no DNAT events"
[ "$(wc -l <"$TMP/state.ct")" -gt 0 ] || fail "no ESTABLISHED events"
[ "$(wc -l <"$TMP/ocase.ct")" -gt 0 ] || fail "no events for -o in capitals"
for n in evabbr evupd evnat; do
	[ "$(wc -l <"$TMP/$n.ct")" -gt 0 ] || fail "no events for $(opts_of $n)"
done
# -p with a name of /etc/protocols, as there (conntrack takes it as its
# number; 'unsupported protocol' was said of it)
[ "$(wc -l <"$TMP/icmp6alias.ct")" -gt 0 ] || fail "no events for -p IPv6-ICMP"
[ "$(wc -l <"$TMP/icmp6type.ct")" -gt 0 ] || fail "no events for -p icmpv6 --icmpv6-type 128"
say "compared $total filtered events in all"
test_cmp "$TMP/all.ct" "$TMP/secmark.ct"
say "conntrack -E -c 5 showed every event ($(wc -l <"$TMP/all.ct")): the kernel sends no secmark"

# list -o takes its format in any case too, as conntrack -L -o XML does.
Q list -o xml >"$TMP/list.xml" || fail "ctquery list -o xml failed"
Q list -o XML >"$TMP/list.XML" || fail "ctquery list -o XML failed"
[ -s "$TMP/list.xml" ] || fail "list -o xml printed nothing"
test_cmp "$TMP/list.xml" "$TMP/list.XML"

# list: one line per flow; flows = NEW events.
nflows=$(grep -c '^ *\[NEW\]' "$TMP/all.ct" || true)
Q list >"$TMP/list" || fail "ctquery list failed"
[ "$(($(wc -l <"$TMP/list") - 1))" = "$nflows" ] || fail "list shows $(wc -l <"$TMP/list") lines for $nflows flows"
Q list -o json >"$TMP/list.json" || fail "list -o json failed"
[ "$(wc -l <"$TMP/list.json")" = "$nflows" ] || fail "list -o json: wrong count"
[ "$(Q list -p tcp --dport 5004 -o csv | tail -n +2 | wc -l)" = 1 ] || fail "list -p tcp --dport 5004"
Q list -o conntrack -p tcp --dport 5004 | grep -q 'mark=42' || fail "list -o conntrack lacks mark=42"
# ... and the state, as conntrack prints it (here the one its DESTROY carried)
st=$(awk '/^\[DESTROY\] tcp .* dport=5004 / { print $4; exit }' "$TMP/all.ct")
Q list -o conntrack -p tcp --dport 5004 | grep -q "^tcp      6 $st src=" ||
	fail "list -o conntrack lacks the state $st: $(Q list -o conntrack -p tcp --dport 5004)"
Q list --any-nat | grep -q 5006 || fail "list --any-nat lacks the DNAT'ed flow"
# list -e: the flows that had such an event; conntrack's UPDATE lines, keyed
# by their original tuple, say how many flows had one.
[ "$(Q list -e DESTROY -o csv | tail -n +2 | wc -l)" = "$nflows" ] || fail "list -e DESTROY"
nupd=$(awk '/^ *\[UPDATE\]/ { k = ""; for (i = 1; i <= NF; i++)
	if ($i ~ /^(src|dst|sport|dport|id)=/) k = k " " $i; keys[k] = 1 }
	END { print length(keys) }' "$TMP/all.ct")
[ "$(Q list -e UPDATE -o csv | tail -n +2 | wc -l)" = "$nupd" ] || fail "list -e UPDATE: not the $nupd flows with an UPDATE"
Q list --where 'dport = 5004 AND bytes_orig > 0' -o csv | grep -q 5004 || fail "--where failed"
# --at: the instant after the traffic, nothing was alive any more; at its start, something was.
[ "$(Q list --at "@$((T1 + 5))" -o csv | tail -n +2 | wc -l)" = 0 ] || fail "--at after the end shows flows"
first=$(Q list -o json --limit 1 | sed -n 's/.*"first_us":\([0-9]*\).*/\1/p')
[ -n "$first" ] || fail "no first_us in list -o json"
[ "$(Q list --at "@$((first / 1000000)).$(printf %06d $((first % 1000000)))" -o csv | tail -n +2 | wc -l)" -ge 1 ] ||
	fail "--at the first flow's start shows nothing"
[ "$(Q replay --since "@$((T1 + 60))" | wc -l)" = 0 ] || fail "--since in the future shows events"
[ "$(Q replay --since "@$((T0 - 1))" | wc -l)" = "$(wc -l <"$TMP/all.ct")" ] || fail "--since before the start misses events"
# show: one flow's life.
Q show 1 >"$TMP/show" || fail "show 1 failed"
grep -q 'NEW' "$TMP/show" && grep -q 'DESTROY' "$TMP/show" || fail "show 1 lacks NEW/DESTROY: $(cat "$TMP/show")"
# stats
Q stats >"$TMP/stats" || fail "stats failed"
grep -Eq "^ *NEW +$nflows\$" "$TMP/stats" || fail "stats: NEW count is not $nflows: $(cat "$TMP/stats")"
Q stats --top 3 --by dport --sort bytes >/dev/null || fail "stats --top failed"
# Without conditions, stats counts from the blocks' headers and in SQL; a
# condition that passes everything reads every event and flow: the same totals.
Q stats --since @0 >"$TMP/stats.read" || fail "stats --since failed"
test_cmp "$TMP/stats" "$TMP/stats.read"
Q sessions | grep -q record || fail "sessions lists no recording"
grep -q '^pruned:' "$TMP/stats" && fail "stats reports pruning that never happened"
# stats reports what retention removed (rows of prunes, summed; the latest bound).
cp "$TMP/flows.db" "$TMP/pruned.db"
sqlite3 "$TMP/pruned.db" "INSERT INTO prunes(t_us, before_us, flows, events) VALUES
	($((T0 * 1000000)), $(((T0 - 7200) * 1000000)), 10, 31), ($((T0 * 1000000)), $(((T0 - 3600) * 1000000)), 5, 12)"
want="pruned: history before $(date -d "@$((T0 - 3600))" '+%Y-%m-%d %H:%M:%S') removed (15 flows, 43 events)"
"$BIN/ctquery" --db "$TMP/pruned.db" stats | grep -qxF "$want" || fail "stats lacks '$want'"

# replay -o json: one valid JSON object per event, as many as replay prints, with the same filters.
json_count() { python3 -c 'import json, sys; print(sum(1 for l in sys.stdin if json.loads(l)))'; }
for n in all tcp udp6dport mark zone dnat icmp6 evdestroy; do
	o=$(opts_of "$n")
	# shellcheck disable=SC2086
	Q replay -o json $o >"$TMP/$n.json" || fail "replay -o json $o failed"
	[ "$(json_count <"$TMP/$n.json")" = "$(wc -l <"$TMP/$n.ct")" ] ||
		fail "replay -o json $o: $(wc -l <"$TMP/$n.json") objects for $(wc -l <"$TMP/$n.ct") events"
done
python3 - "$TMP/all.json" <<'PY' || fail "replay -o json: fields do not match the events"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
types = {e["type"] for e in evs}
assert types == {"NEW", "UPDATE", "DESTROY"}, types
for e in evs:
    for k in ("flow", "t_us", "time", "family", "proto", "src", "dst", "reply_src", "reply_dst", "ct_id", "status"):
        assert k in e, (k, e)
    assert e["time"].endswith("Z") and e["time"][10] == "T", e
    if e["proto"] in ("tcp", "udp"):
        assert "sport" in e and "reply_dport" in e, e
    if e["proto"] in ("icmp", "icmpv6"):
        assert "icmp_type" in e and "reply_icmp_id" in e, e
    if e["type"] == "NEW":
        assert "timeout" in e and "packets_orig" not in e, e
    if e["type"] == "DESTROY":
        assert "packets_orig" in e and "start_ns" in e and "stop_ns" in e, e
assert any(e.get("mark") == 42 for e in evs)
assert any(e.get("zone") == 7 for e in evs)
assert any("ASSURED" in e["status"] for e in evs)
assert any(e.get("state") == "ESTABLISHED" for e in evs)
assert any(e["family"] == "ipv6" for e in evs)
PY
say "replay -o json: $(wc -l <"$TMP/all.json") objects"

# --at and --since/--until (flows alive in the window) agree with the definition
# evaluated over every flow, at instants throughout the recording.
span=$(sqlite3 "$TMP/flows.db" 'SELECT min(first_us), max(coalesce(end_us, first_us)) FROM flows')
lo=${span%|*}
hi=${span#*|}
for k in 0 1 2 3 4 5 6 7 8; do
	t=$((lo + (hi - lo) * k / 8))
	at="@$((t / 1000000)).$(printf %06d $((t % 1000000)))"
	want=$(sqlite3 "$TMP/flows.db" "SELECT count(*) FROM flows WHERE first_us <= $t AND (end_us >= $t OR end_us IS NULL)")
	[ "$(Q list --at "$at" -o csv | tail -n +2 | wc -l)" = "$want" ] || fail "list --at $at: not $want flows"
	u=$((t + 500000))
	until="@$((u / 1000000)).$(printf %06d $((u % 1000000)))"
	want=$(sqlite3 "$TMP/flows.db" "SELECT count(*) FROM flows WHERE first_us <= $u AND (end_us >= $t OR end_us IS NULL)")
	[ "$(Q list --since "$at" --until "$until" -o csv | tail -n +2 | wc -l)" = "$want" ] ||
		fail "list --since $at --until $until: not $want flows"
done
say "--at and --since/--until agree with their definition"

# Bad input: exit 2 and one line naming the option.
bad() {
	local rc=0 err
	err=$(Q "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 2 ] || fail "ctquery $* exited $rc, not 2"
	[ "$(echo "$err" | wc -l)" = 1 ] || fail "ctquery $*: not one line: $err"
}
bad replay -s 1.2.3.400
bad replay -s 10.0.0.0/33
bad replay -r 10.0.0.0/8
bad replay -p tcp --dport 70000
bad replay -p tcp --dport http
bad replay --dport 80
bad replay -m 0xzz
bad replay --since 'yesterday'
bad replay --until '2026-13-01'
bad replay --bogus
bad list -w 65536
bad list -p tcp --state NOPE
bad list --where 'id = 1; DROP TABLE flows'
bad list --where "id IN (SELECT 1) OR writefile('x', 'y')"
bad show notanumber
bad replay -o json,xml
bad replay -o json --pretty
# ... and says what is wrong with it: a missing value is not an unknown option.
says() {	# says TEXT ARGS...: bad ARGS, whose line contains TEXT
	local want=$1 err; shift
	bad "$@"
	err=$(Q "$@" 2>&1 >/dev/null) || true
	grep -qF -- "$want" <<<"$err" || fail "ctquery $*: '$err' does not say \"$want\""
}
says "option '--at' needs a value" list --at
says "option '-s' needs a value" replay -s
says "option '--dport' needs a value" list -p tcp --dport
says "option '--top' needs a value" stats --top
says "option '--help' takes no value" show --help=1
says "unknown option '--bogus'" list --bogus=1
says "unknown option '-Z'" list -Zs 1.2.3.4
# a bad --where is the user's error (2) in every command, not the store's (1)
says "--where 'x =': " replay --where 'x ='
says "--where 'nope(1)': no such function" stats --where 'nope(1)'
# a time read strictly: no day past the month's end, no exponent, no overflow
says "--since" list --since 2025-11-31
says "--until" replay --until '2025-11-26T10:00+99:99'
says "--at" list --at -99999999999d
says "--since" stats --since -1e3s
# what a time may be, when it is none (10m: back from now is -10m)
says "--since: invalid time '10m' (ISO 8601, e.g. 2026-11-28T14:05:00, local or with Z or +HH:MM; @EPOCH; now; or back from now: -30s, -5m, -1h, -2d)" list --since 10m
says "--at: invalid time 'yesterday' (ISO 8601" stats --at yesterday
says "--limit: invalid number '0'" list --limit 0
says "show: invalid flow id '+1'" show +1
says "show: invalid flow id '99999999999999999999'" show 99999999999999999999
says "--top: invalid number ' 3'" stats --top ' 3'
says "--speed: invalid factor '1e-20'" replay --speed 1e-20
says "not authorized to use function: load_extension" list --where "load_extension('x')"
says "--sort orders the groups of --top or --by" stats --sort bytes
says "--where ' ': an empty expression" list --where ' '
says "--status: an empty status in 'ASSURED,'" list -u ASSURED,
# a second --flow or --session replaced the first, silently (one was read as both)
says "--flow: given twice; one flow a query (--where 'id IN (1, 2)' selects several)" list --flow 1 --flow 2
says "--flow: given twice" replay --flow 2 --flow 1
says "--session: given twice; one session a query (--where 'session IN (1, 2)' selects the flows several started)" stats --session 1 --session 2
# an IPv6 NAT address is not compared (conntrack compares IPv4 ones only):
# the IPv6 flows NAT'ed to any address, with a warning
Q list -n 2001:db8::1 >"$TMP/nat6.list" 2>"$TMP/nat6.err" || fail "list -n 2001:db8::1 refused: $(cat "$TMP/nat6.err")"
grep -q "^ctquery: warning: --src-nat: conntrack compares IPv4 addresses only: '2001:db8::1'" "$TMP/nat6.err" ||
	fail "no warning: $(cat "$TMP/nat6.err")"
Q list -f ipv6 -n | test_cmp - "$TMP/nat6.list"
Q list -n :80 >/dev/null || fail "list -n :80 (a port alone) refused"
says "--db goes before the command: ctquery --db PATH list" list --db x.db
says "--db goes before the command: ctquery --db PATH sessions" sessions --db x.db
[ "$(Q list -p TCP | wc -l)" = "$(Q list -p tcp | wc -l)" ] || fail "-p TCP is not -p tcp"
# repeated, -e and -u add up as in conntrack
[ "$(Q replay -e NEW -e DESTROY | wc -l)" = "$(Q replay -e NEW,DESTROY | wc -l)" ] &&
	[ "$(Q replay -e NEW | wc -l)" -lt "$(Q replay -e NEW,DESTROY | wc -l)" ] ||
	fail "replay -e NEW -e DESTROY is not -e NEW,DESTROY"
[ "$(Q list -u ASSURED -u SEEN_REPLY | wc -l)" = "$(Q list -u ASSURED,SEEN_REPLY | wc -l)" ] ||
	fail "list -u ASSURED -u SEEN_REPLY is not -u ASSURED,SEEN_REPLY"
# --follow with a window already past ends by itself
timeout 10 "$BIN/ctquery" --db "$TMP/flows.db" replay --follow --until -1s >/dev/null ||
	fail "replay --follow --until in the past did not end"
say "bad input checks passed"
exit 0
