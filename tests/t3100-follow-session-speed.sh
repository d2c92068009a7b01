#!/bin/bash
# t3100: replay --follow prints live exactly what the final replay prints; --session picks one recorder run; --speed re-enacts the pacing.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd sqlite3
require_built ctrecord ctquery trafficgen
netns_setup
DB=$TMP/flows.db
Q() { "$BIN/ctquery" --db "$DB" "$@"; }

start_recorder rec "$TMP/rec.err" --db "$DB"
# Two followers, started before any traffic: the text and the XML stream.
start_bg ftxt "$BIN/ctquery" --db "$DB" replay --follow >"$TMP/follow.txt" 2>"$TMP/ftxt.err"
start_bg fxml "$BIN/ctquery" --db "$DB" replay --follow -o xml >"$TMP/follow.xml" 2>"$TMP/fxml.err"

# Session 1: TCP, UDP and ICMP, ended by a flush.
in_ns "$BIN/trafficgen" tcp 127.0.0.1 7801 3 >/dev/null
in_ns "$BIN/trafficgen" udp ::1 7802 3 >/dev/null
in_ns ping -c1 -W1 127.0.0.1 >/dev/null
in_ns conntrack -F 2>/dev/null
sleep 0.5
stop_bg rec TERM 10 || fail "ctrecord did not stop"

# Session 2: two bursts of UDP two seconds apart, ended by a flush.
start_recorder rec "$TMP/rec.err" --db "$DB"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7803 5 >/dev/null
sleep 2
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7804 5 >/dev/null
in_ns conntrack -F 2>/dev/null
sleep 0.5
stop_bg rec TERM 10 || fail "ctrecord did not stop"

# The followers poll every 200 ms: give them time, then stop them as a user would.
sleep 1
stop_bg ftxt INT 5 || fail "replay --follow did not stop on SIGINT"
[ "$BG_STATUS" = 0 ] || fail "replay --follow exited $BG_STATUS: $(cat "$TMP/ftxt.err")"
stop_bg fxml INT 5 || fail "replay --follow -o xml did not stop on SIGINT"
[ "$BG_STATUS" = 0 ] || fail "replay --follow -o xml exited $BG_STATUS"
Q replay >"$TMP/final.txt"
Q replay -o xml >"$TMP/final.xml"
test_cmp "$TMP/final.txt" "$TMP/follow.txt"
test_cmp "$TMP/final.xml" "$TMP/follow.xml"
n=$(wc -l <"$TMP/final.txt")
[ "$n" -ge 30 ] || fail "only $n events recorded"
say "replay --follow, started before the traffic, printed the same $n events (text and XML) as the final replay"

# --session: each run's events, nothing else; together, everything.
Q sessions >"$TMP/sessions"
[ "$(grep -c record "$TMP/sessions")" = 2 ] || { cat "$TMP/sessions"; fail "sessions does not list the two runs"; }
awk 'NR > 1 { print $1, $7 }' "$TMP/sessions" >"$TMP/sessions.flows"
sqlite3 -separator ' ' "$DB" "SELECT s.id, (SELECT count(*) FROM flows WHERE session = s.id)
	FROM sessions s ORDER BY s.id" >"$TMP/sessions.want"
test_cmp "$TMP/sessions.want" "$TMP/sessions.flows"
Q replay --session 1 >"$TMP/s1.txt"
Q replay --session 2 >"$TMP/s2.txt"
cat "$TMP/s1.txt" "$TMP/s2.txt" >"$TMP/s12.txt"
test_cmp "$TMP/final.txt" "$TMP/s12.txt"
! grep -Eq 'dport=780[34] ' "$TMP/s1.txt" || fail "session 1 shows session 2's flows"
[ "$(grep -Ec 'dport=780[34] ' "$TMP/s2.txt")" = "$(wc -l <"$TMP/s2.txt")" ] || fail "session 2 shows other flows"
[ "$(wc -l <"$TMP/s2.txt")" = 30 ] || fail "session 2: $(wc -l <"$TMP/s2.txt") events, not 30 (10 flows x NEW, UPDATE, DESTROY)"
say "--session 1 and 2: $(wc -l <"$TMP/s1.txt") and 30 events, together the whole replay"

# --speed: session 2 spans about 2 s; at speed 2 it takes about half of that.
span_us=$("$BIN/ctquery" --db "$DB" replay -o json --session 2 |
	awk -F'"t_us":' '{ split($2, a, ","); t = a[1] + 0; if (!n++ || t < lo) lo = t; if (t > hi) hi = t }
		END { print hi - lo }')
t0=$(date +%s%N)
Q replay --session 2 --speed 2 >"$TMP/paced.txt"
took_us=$(( ($(date +%s%N) - t0) / 1000 ))
test_cmp "$TMP/s2.txt" "$TMP/paced.txt"
want_us=$((span_us / 2))
[ "$took_us" -ge $((want_us * 8 / 10)) ] || fail "--speed 2 took $took_us us, the pacing wants $want_us"
[ "$took_us" -le $((want_us + 1500000)) ] || fail "--speed 2 took $took_us us, far more than $want_us"
say "--speed 2 over a span of $span_us us took $took_us us"
