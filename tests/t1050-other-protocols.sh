#!/bin/bash
# t1050: SCTP, GRE, UDP-Lite and a protocol conntrack does not know, over IPv4 and IPv6: ctquery replay prints byte for byte what conntrack -E printed (default, extended,id,ktimestamp, xml, save), and the save log imported replays back byte for byte.
#
# One fresh namespace; one raw packet of each (tests/tools/rawgen.c), left to
# expire (their timeouts set to 2 s) and evicted by a table dump.
# shellcheck disable=SC2034,SC2086,SC2154,SC2317 # OPTS_* read through eval, $o split on purpose, functions called indirectly
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord ctquery rawgen
netns_setup
for s in nf_conntrack_sctp_timeout_closed=2 nf_conntrack_sctp_timeout_cookie_wait=2 \
    nf_conntrack_gre_timeout=2 nf_conntrack_gre_timeout_stream=2 nf_conntrack_generic_timeout=2; do
	in_ns sysctl -qw "net.netfilter.$s" || fail "sysctl net.netfilter.$s failed"
done

OPTS_default=""
OPTS_ext="-o extended,id,ktimestamp"
OPTS_xml="-o xml"
OPTS_save="-o save"
KINDS="default ext xml save"
start_recorder rec "$TMP/rec.err" --db "$TMP/flows.db"
nsub=$(( $(nsubscribed) + 4 ))
for k in $KINDS; do
	eval "o=\$OPTS_$k"
	start_bg "ct_$k" conntrack -E $o >"$TMP/$k.ct" 2>"$TMP/$k.ct.err"
done
subscribed() { [ "$(nsubscribed)" -ge "$nsub" ]; }
wait_until 10 subscribed || fail "conntrack -E listeners did not subscribe"

for a in 127.0.0.1 ::1; do
	in_ns "$BIN/rawgen" sctp "$a" 1000 2000
	in_ns "$BIN/rawgen" gre "$a"
	in_ns "$BIN/rawgen" udplite "$a" 3000 4000
	in_ns "$BIN/rawgen" 253 "$a"
done
sleep 2.5
in_ns conntrack -L >/dev/null 2>&1 || true	# evicts the expired entries
count() { grep -c -- "$1" "$2" || true; }
complete() {
	local n
	n=$(count '^ *\[NEW\]' "$TMP/default.ct")
	[ "$n" = 8 ] && [ "$(count '^\[DESTROY\]' "$TMP/default.ct")" = 8 ] &&
		[ "$(count '^\[DESTROY\]' "$TMP/ext.ct")" = 8 ] &&
		[ "$(count '<flow type="destroy">' "$TMP/xml.ct")" = 8 ] &&
		[ "$(count '^-D ' "$TMP/save.ct")" = 8 ]
}
wait_until 15 complete || fail "not 8 NEW and 8 DESTROY in each oracle: $(cat "$TMP/default.ct")"
sleep 0.5
stop_recorder rec 10
for k in $KINDS; do
	stop_bg "ct_$k" INT 5 || fail "conntrack -E ($k) ignored SIGINT"
done

# What the test claims to cover, as conntrack printed it.
D=$TMP/default.ct
for re in '^ *\[NEW\] sctp +132 .* src=127\.0\.0\.1 .*sport=1000 dport=2000 ' \
    '^ *\[NEW\] sctp +132 .* src=::1 ' '^ *\[NEW\] gre +47 .* srckey=0x0 dstkey=0x0 ' \
    '^ *\[NEW\] gre +47 .* src=::1 ' '^ *\[NEW\] udplite +136 .* sport=3000 dport=4000 ' \
    '^ *\[NEW\] udplite +136 .* src=::1 ' '^ *\[NEW\] unknown +253 .* src=127\.0\.0\.1 ' \
    '^ *\[NEW\] unknown +253 .* src=::1 '; do
	grep -Eq -- "$re" "$D" || fail "$D has no event matching /$re/"
done
# -o save: the protocol by name with its options (SCTP's state and
# verification tags, GRE's keys in decimal), by number when conntrack has no
# extension for it
for re in '^-A -t [0-9]+ -u UNSET -s 127\.0\.0\.1 .* -p sctp --sport 1000 --dport 2000 --reply-port-src 2000 --reply-port-dst 1000 --state CLOSED --orig-vtag [0-9]+ --reply-vtag [0-9]+$' \
    '^-A .* -s ::1 .* -p gre --srckey 0 --dstkey 0 --reply-key-src 0 --reply-key-dst 0$' \
    '^-A .* -p udplite --sport 3000 --dport 4000 --reply-port-src 4000 --reply-port-dst 3000$' \
    '^-A -t [0-9]+ -u UNSET -s ::1 -d ::1 -r ::1 -q ::1 -p 253$' '^-D -u UNSET -s 127\.0\.0\.1 .* -p 253$'; do
	grep -Eq -- "$re" "$TMP/save.ct" || fail "$TMP/save.ct has no event matching /$re/"
done
for k in $KINDS; do
	eval "o=\$OPTS_$k"
	"$BIN/ctquery" --db "$TMP/flows.db" replay $o >"$TMP/$k.replay" 2>"$TMP/$k.replay.err" ||
		fail "ctquery replay $o failed: $(cat "$TMP/$k.replay.err")"
	test_cmp "$TMP/$k.ct" "$TMP/$k.replay"
	say "compared 16 events (${o:-default}): identical"
done
# list and show name them too; list -o conntrack with SCTP's state, as conntrack -L
"$BIN/ctquery" --db "$TMP/flows.db" list -p sctp >"$TMP/list"
[ "$(grep -c 'sctp' "$TMP/list")" = 2 ] || fail "list -p sctp: $(cat "$TMP/list")"
[ "$("$BIN/ctquery" --db "$TMP/flows.db" list -o conntrack -p sctp | grep -c '^sctp     132 CLOSED src=')" = 2 ] ||
	fail "list -o conntrack -p sctp lacks the state: $("$BIN/ctquery" --db "$TMP/flows.db" list -o conntrack -p sctp)"
f=$("$BIN/ctquery" --db "$TMP/flows.db" list -o csv -p gre | awk -F, 'NR == 2 { print $1 }')
"$BIN/ctquery" --db "$TMP/flows.db" show "$f" >"$TMP/show" || fail "show $f failed"
grep -q 'ipv4 gre$' "$TMP/show" || fail "show $f does not say gre: $(cat "$TMP/show")"
# a GRE tuple's keys in hex, as conntrack shows srckey=0x0, not as ports
grep -q '^  original 127\.0\.0\.1:0x0->127\.0\.0\.1:0x0$' "$TMP/show" ||
	fail "show $f does not give the GRE keys: $(cat "$TMP/show")"
"$BIN/ctquery" --db "$TMP/flows.db" list -p gre | grep -q ' \[::1\]:0x0->\[::1\]:0x0 ' ||
	fail "list -p gre does not give the keys: $("$BIN/ctquery" --db "$TMP/flows.db" list -p gre)"
say "sctp, gre, udplite and protocol 253 over IPv4 and IPv6: replayed as conntrack -E printed them"
# The save log imported: replayed back byte for byte (SCTP's tags, GRE's
# keys, a protocol by number), plain as conntrack printed it but for the
# counters and delta-time that save does not print.
save_import_check "$TMP/save.ct" "$TMP/default.ct"
say "save log imported: replay -o save identical, plain without counters, delta-time"
exit 0
