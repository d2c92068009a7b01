#!/bin/bash
# t1800: ctrecord with conntrack's filter options (and -e) records exactly what conntrack -E with the same options shows, and ends every flow the kernel ended, even when its DESTROY is not recorded.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ping
require_built ctrecord ctquery trafficgen
netns_setup
netns_mark_zone_nat

# name|filter (the same words for ctrecord and conntrack -E). proto and the
# IPv4 addresses also go into the kernel's socket filter; the rest is exact
# matching in the recorder. Loopback flows have the same source and
# destination: flows from 127.1.0.0/16 (trafficgen -S) tell -s from -d and
# test a prefix's mask.
FILTERS='tcp5000|-p tcp --dport 5000
udp4|-p udp -s 127.0.0.1
dst4|-d 127.0.0.1
cidr4|-s 127.1.0.0/16
dst6|-d ::1
mark|-m 42
zone|-w 7
nat|-g
icmp6|-p icmpv6
new|-e NEW
update|-e UPDATE
abbr|-e DES,n
estab|-p tcp --state ESTABLISHED'
names=$(echo "$FILTERS" | cut -d'|' -f1)
opts_of() { echo "$FILTERS" | awk -F'|' -v n="$1" '$1 == n { print $2 }'; }

# An unfiltered conntrack -E tells when every flow has ended.
start_bg all conntrack -E >"$TMP/all.ct" 2>/dev/null
nsub=1
for n in $names; do
	# shellcheck disable=SC2046
	start_bg "rec_$n" "$BIN/ctrecord" --db "$TMP/$n.db" $(opts_of "$n") 2>"$TMP/$n.rec.err"
	# shellcheck disable=SC2046
	start_bg "ct_$n" conntrack -E $(opts_of "$n") >"$TMP/$n.ct" 2>"$TMP/$n.ct.err"
	nsub=$((nsub + 2))
done
subscribed() { [ "$(nsubscribed)" -ge "$nsub" ]; }
wait_until 10 subscribed || fail "listeners did not subscribe: $(cat "$TMP"/*.err)"
for n in $names; do
	wait_for_line "$TMP/$n.rec.err" '^ctrecord: listening' 10 || fail "ctrecord ($n) did not start: $(cat "$TMP/$n.rec.err")"
done

say "generating traffic"
mixed_traffic
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 5008 2
expire_all "$TMP/all.ct"
for n in $names; do
	stop_bg "rec_$n" TERM 10 || fail "ctrecord ($n) ignored SIGTERM"
	[ "$BG_STATUS" = 0 ] || fail "ctrecord ($n) exited with $BG_STATUS"
	stop_bg "ct_$n" INT 5 || fail "conntrack -E ($n) ignored SIGINT"
done

total=0
for n in $names; do
	"$BIN/ctquery" --db "$TMP/$n.db" replay >"$TMP/$n.replay"
	test_cmp "$TMP/$n.ct" "$TMP/$n.replay"
	k=$(wc -l <"$TMP/$n.ct")
	[ "$k" -gt 0 ] || fail "filter $n matched nothing: the test proves nothing"
	total=$((total + k))
	flows=$(sqlite3 -readonly "$TMP/$n.db" "SELECT count(*) FROM flows")
	# every flow ended in the kernel: a DESTROY left out (-e, or refused by
	# the filter: --state, which a DESTROY does not match) still ends its flow
	open=$(sqlite3 -readonly "$TMP/$n.db" "SELECT count(*) FROM flows WHERE end_dur IS NULL")
	[ "$open" = 0 ] || fail "ctrecord $(opts_of "$n"): $open of $flows flows still open after they all ended"
	say "ctrecord $(opts_of "$n"): $k events as conntrack -E showed them, $flows flows stored, all ended"
done
say "compared $total events recorded through filters"
# -m is matched in userspace (only -p and IPv4 addresses go into the kernel):
# the summary counts what it refused.
grep -Eq 'flows, 0 lost, [1-9][0-9]* filtered out, 0 undecodable$' "$TMP/mark.rec.err" ||
	fail "the summary does not count the filtered events: $(tail -1 "$TMP/mark.rec.err")"
