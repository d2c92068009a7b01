#!/bin/bash
# t3020: list's and stats' -u/--status compared with conntrack -L -u on the live table: names that must be set, !NAME and UNREPLIED for bits that must be clear, SRC_NAT and DST_NAT ignored with a warning, and a list that names no bit refused, as conntrack does.
#
# TCP flows (ASSURED, in TIME_WAIT), UDP flows answered (SEEN_REPLY, not
# assured) and UDP datagrams to a closed port (unreplied); UDP and
# TIME_WAIT last 300 s here, so the flows are all in the table when
# ctquery and conntrack -L are compared.
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord ctquery trafficgen

netns_setup
ns_keep_flows
start_recorder rec "$TMP/rec.err" --db "$TMP/flows.db"
in_ns "$BIN/trafficgen" tcp 127.0.0.1 5000 2
in_ns "$BIN/trafficgen" tcp ::1 5001 1
in_ns "$BIN/trafficgen" udp 127.0.0.1 5002 2
for p in 5009 5010; do	# nobody listens: no reply
	in_ns bash -c "echo x >/dev/udp/127.0.0.1/$p" || fail "cannot send to port $p"
done
stop_recorder rec
[ "$(in_ns conntrack -L 2>/dev/null | wc -l)" = 7 ] || fail "not the 7 flows expected: $(in_ns conntrack -L 2>&1)"

# A flow as "proto src dst sport dport" (its original tuple).
tuples() { sed -E 's/^([a-z0-9]+)[^=]* src=([^ ]+) dst=([^ ]+) sport=([0-9]+) dport=([0-9]+) .*/\1 \2 \3 \4 \5/' | sort; }

n=0
for u in ASSURED SEEN_REPLY UNREPLIED '!ASSURED' '!SEEN_REPLY' SEEN_REPLY,ASSURED \
    '!ASSURED,!SEEN_REPLY' '!expected' SRC_NAT,ASSURED; do
	in_ns conntrack -L -u "$u" 2>"$TMP/ct.err" | tuples >"$TMP/want" ||
		fail "conntrack -L -u $u failed: $(cat "$TMP/ct.err")"
	"$BIN/ctquery" --db "$TMP/flows.db" list -o conntrack -u "$u" 2>"$TMP/q.err" | tuples >"$TMP/got"
	test_cmp "$TMP/want" "$TMP/got"
	want=$(wc -l <"$TMP/want")
	got=$("$BIN/ctquery" --db "$TMP/flows.db" stats -u "$u" 2>/dev/null | sed -n 's/^flows: //p')
	[ "$got" = "$want" ] || fail "stats -u $u counted $got flows, conntrack -L -u $u shows $want"
	# conntrack's warning about SRC_NAT, in our words
	if grep -q 'ignoring SRC_NAT' "$TMP/ct.err"; then
		grep -q "^ctquery: warning: --status: ignoring SRC_NAT, as conntrack does: use --src-nat instead$" "$TMP/q.err" ||
			fail "list -u $u did not warn: $(cat "$TMP/q.err")"
	else
		[ ! -s "$TMP/q.err" ] || fail "list -u $u said: $(cat "$TMP/q.err")"
	fi
	n=$((n + want))
done
[ "$n" -gt 20 ] || fail "only $n flows over the lists"
say "list -u and stats -u: the flows conntrack -L -u shows ($n over 10 lists)"

# conntrack's words abbreviated, in any case, as conntrack -L -u reads them:
# the first word of its table (ASSURED, SEEN_REPLY, UNSET, FIXED_TIMEOUT,
# EXPECTED, OFFLOAD, HW_OFFLOAD) that the text begins, SRC_NAT and DST_NAT
# tried first ('S' is SRC_NAT, 'SE' SEEN_REPLY)
n=0
for u in ASS a se '!A' '!se' 'Se,assur' '!ASS,!SEEN' 'U,A' '!UNSET,ASSURED' 'S,A' 'dst,SE' F E O H; do
	in_ns conntrack -L -u "$u" 2>"$TMP/ct.err" | tuples >"$TMP/want" ||
		fail "conntrack -L -u $u failed: $(cat "$TMP/ct.err")"
	"$BIN/ctquery" --db "$TMP/flows.db" list -o conntrack -u "$u" 2>"$TMP/q.err" | tuples >"$TMP/got" ||
		fail "list -u $u failed: $(cat "$TMP/q.err")"
	test_cmp "$TMP/want" "$TMP/got"
	for nat in SRC_NAT DST_NAT; do
		if grep -q "ignoring $nat" "$TMP/ct.err"; then
			grep -q "^ctquery: warning: --status: ignoring $nat ('[^']*' abbreviates it), as conntrack does" "$TMP/q.err" ||
				fail "list -u $u did not warn of $nat: $(cat "$TMP/q.err")"
		else
			! grep -q "$nat" "$TMP/q.err" || fail "list -u $u warned of $nat: $(cat "$TMP/q.err")"
		fi
	done
	n=$((n + $(wc -l <"$TMP/want")))
done
[ "$n" -gt 20 ] || fail "only $n flows over the abbreviated lists"
say "list -u with abbreviated words: the flows conntrack -L -u shows ($n)"

# A list that names no bit: conntrack -L fails ("invalid parameters"); a usage error here.
for u in UNSET SRC_NAT '!DST_NAT' S D U '!UNSET' un,s; do
	in_ns conntrack -L -u "$u" >/dev/null 2>&1 && fail "conntrack -L -u $u did not fail"
	rc=0
	err=$("$BIN/ctquery" --db "$TMP/flows.db" list -u "$u" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 2 ] && echo "$err" | tail -n 1 | grep -q '^ctquery: error: --status names no status bit' ||
		fail "list -u $u: exit $rc, said: $err"
done
# UNREPLIED in capitals only, as conntrack reads it
# ... and a word that abbreviates none of conntrack's (C, DY: CONFIRMED and
# DYING are taken in full only; ASSUREDX is longer than ASSURED)
for u in '!' unreplied '!UNREPLIED' UNRE C DY ASSUREDX S_R; do
	in_ns conntrack -L -u "$u" >/dev/null 2>&1 && fail "conntrack -L -u $u did not fail"
	rc=0
	err=$("$BIN/ctquery" --db "$TMP/flows.db" list -u "$u" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 2 ] && [ "$(echo "$err" | wc -l)" = 1 ] && echo "$err" | grep -q "^ctquery: error: --status: .*'$u'$" ||
		fail "list -u '$u': exit $rc, said: $err"
done
say "a status list naming no bit is refused, as conntrack -L refuses it"
