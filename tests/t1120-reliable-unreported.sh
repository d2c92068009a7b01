#!/bin/bash
# t1120: under --reliable the kernel reports no ENOBUFS, yet NEW events are still lost when the socket overflows: each flow first seen after its NEW counts as a lost NEW, stored as a gap ("unreported"), warned of and in the summary, not "0 lost"; no loss, no gap.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord trafficgen
require_cmd sqlite3 conntrack
netns_setup
netns_long_udp
DB=$TMP/flows.db
N=3000
q() { sqlite3 "$DB" "$1"; }

# no_loss NAME DB PORT N [OPTION...]: ctrecord with the options records N
# UDP flows to PORT, and stops saying it lost nothing, with no gap stored.
no_loss() {
	local name=$1 db=$2 port=$3 n=$4
	shift 4
	start_recorder "$name" "$TMP/$name.err" --db "$db" "$@"
	in_ns "$BIN/trafficgen" -S udp 127.0.0.1 "$port" "$n" >/dev/null
	wait_until 10 eval "[ \$(sqlite3 '$db' 'SELECT count(*) FROM flows WHERE o_dport = $port') = $n ]" ||
		fail "$name: the $n flows were not recorded: $(cat "$TMP/$name.err")"
	stop_bg "$name" TERM 20 || fail "$name: ctrecord did not stop"
	[ "$BG_STATUS" = 0 ] || { cat "$TMP/$name.err"; fail "$name: ctrecord exited $BG_STATUS"; }
	grep -q "^ctrecord: [0-9]* events, [0-9]* flows, 0 lost" "$TMP/$name.err" ||
		fail "$name: a loss without one: $(cat "$TMP/$name.err")"
	[ "$(sqlite3 "$db" 'SELECT count(*) FROM gaps')" = 0 ] || fail "$name: gaps without a loss"
}

# No loss: nothing unreported.
no_loss rec "$DB" 7401 200 --reliable

# A filter that a flow's NEW fails and a later event passes (-m 1: the
# reply sets the mark, so the reply's UPDATE carries it, the NEW not): flows
# first seen after their NEW there are no loss either.
in_ns nft add rule inet ctt out ct direction reply udp sport 7403 ct mark set 1 ||
	fail "cannot add the mark rule"
no_loss recf "$TMP/filtered.db" 7403 50 --reliable -m 1
in_ns conntrack -D -p udp >/dev/null 2>&1 || true
rm -f "$DB" "$DB-wal" "$DB-shm"

# A loss: the recorder is stopped while N flows begin (their NEW overflow its
# 64 KiB socket and are dropped, unreported) and are deleted (the kernel
# keeps each DESTROY until it could deliver it).
start_recorder rec2 "$TMP/rec2.err" --db "$DB" --reliable -b 64K
kill -STOP "$PID_rec2"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7402 $N >/dev/null
in_ns conntrack -D -p udp >/dev/null 2>&1 || true
kill -CONT "$PID_rec2"
ended() { [ "$(q "SELECT count(*) FROM flows WHERE o_dport = 7402 AND end_kind = 1")" = $N ]; }
wait_until 30 ended || fail "not every DESTROY was delivered: $(q "SELECT origin, end_kind, count(*)
	FROM flows WHERE o_dport = 7402 GROUP BY 1, 2")"
stop_recorder rec2 20
cat "$TMP/rec2.err"

unseen=$(q "SELECT count(*) FROM flows WHERE o_dport = 7402 AND origin = 2")
[ "$unseen" -gt 0 ] || fail "no NEW was lost: the test proves nothing"
[ "$(q "SELECT count(*) FROM flows WHERE o_dport = 7402")" = $N ] || fail "not $N flows"
lost=$(q "SELECT coalesce(sum(lost), 0) FROM gaps WHERE kind = 'unreported'")
[ "$lost" = "$unseen" ] || fail "$unseen flows first seen mid-life, gaps say $lost NEW lost"
[ "$(q "SELECT count(*) FROM gaps WHERE kind <> 'unreported'")" = 0 ] || fail "other gaps: $(q 'SELECT * FROM gaps')"
grep -q "^ctrecord: warning: events were lost although the kernel did not say so (--reliable)" "$TMP/rec2.err" ||
	fail "no warning"
[ "$(grep -c 'did not say so' "$TMP/rec2.err")" = 1 ] || fail "the warning was repeated"
grep -q "^ctrecord: [0-9]* events, $N flows, $unseen NEW events lost (unreported)" "$TMP/rec2.err" ||
	fail "the summary does not count them"
"$BIN/ctquery" --db "$DB" stats | grep -q "^gaps: [0-9]*, events lost: $unseen\$" ||
	fail "stats: $("$BIN/ctquery" --db "$DB" stats | grep gaps)"
say "$unseen of $N NEW events lost unreported, in $(q 'SELECT count(*) FROM gaps') gaps; every DESTROY delivered"
