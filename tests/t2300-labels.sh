#!/bin/bash
# t2300: connection labels: `ctquery replay -o labels` and `--label` print what `conntrack -E` with the same options printed (--label alone prints the labels too, in text and XML), and ctrecord --label records what it showed.
#
# Labels have names only through a label map: libnetfilter_conntrack reads
# /etc/xtables/connlabel.conf, nft /etc/connlabel.conf. The test writes both
# into an overlay over /etc in a mount namespace of its own, so the host's
# /etc is never touched and the overlay goes away with the test's processes.
# nft then labels every new flow "blue", UDP to port 5002 also "vip", TCP to
# port 5000 also "far" (bit 100: the fourth 32-bit word), UDP to port 5003
# fifty long labels (conntrack cuts its lines at 1023 bytes), and every flow
# that becomes established also "eth-in" (an UPDATE event carrying labels).
set -eu

if [ "${CTT_LABEL_NS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "skip: needs root (mount and network namespaces)"; exit 77; }
	command -v unshare >/dev/null || { echo "skip: command 'unshare' not found"; exit 77; }
	CTT_LABEL_NS=1 exec unshare --mount --propagation private "$BASH" "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord ctquery trafficgen

mkdir -p "$TMP/upper/xtables" "$TMP/work"
{
	printf '0 eth-in\n1 blue\n5 vip\n100 far\n'
	for b in $(seq 10 59); do echo "$b long-label-number-$b-abcdefghijk"; done
} >"$TMP/upper/connlabel.conf"
cp "$TMP/upper/connlabel.conf" "$TMP/upper/xtables/connlabel.conf"
mount -t overlay ctt-labels -o "lowerdir=/etc,upperdir=$TMP/upper,workdir=$TMP/work" /etc ||
	skip "cannot mount an overlay over /etc in a private mount namespace"
grep -qx '5 vip' /etc/xtables/connlabel.conf || fail "the overlay does not show the label map"

netns_setup
in_ns nft -f - <<-'EOF' || fail "cannot load the label rules"
table inet ctt_labels {
	chain out {
		type filter hook output priority 0;
		ct state new ct label set blue
		ct state new udp dport 5002 ct label set vip
		ct state new tcp dport 5000 ct label set far
		ct state established ct label set eth-in
	}
}
EOF
# UDP to ::1 port 5003 gets 50 long labels too: its lines pass 1023 bytes,
# where conntrack cuts them.
for b in $(seq 10 59); do
	echo "add rule inet ctt_labels out ct state new udp dport 5003 ct label set long-label-number-$b-abcdefghijk"
done | in_ns nft -f - || fail "cannot load the long label rules"

# Labels 10-16 and blue five times: 255 bytes. A longer list was cut there
# (so longvip, its labels and vip, matched the flows to port 5003, which lack vip).
L255=$(seq 10 16 | sed 's/.*/long-label-number-&-abcdefghijk/' | paste -sd,),blue,blue,blue,blue,blue
[ ${#L255} = 255 ] || fail "the list of labels is ${#L255} bytes, not 255"
# name|options for conntrack -E and ctquery replay
LISTENERS="text|-o labels,id
plain|-o labels
xml|-o xml,labels,id
vip|-o labels,id --label vip
both|-o labels --label blue,far
lonly|--label vip
lxml|-o xml,id -l blue,far
nolabels|-o id
longvip|-o labels -l $L255,vip
long|-o labels -l $L255"
names=$(echo "$LISTENERS" | cut -d'|' -f1)
opts_of() { echo "$LISTENERS" | awk -F'|' -v n="$1" '$1 == n { print $2 }'; }

start_recorder rec "$TMP/rec.err" --db "$TMP/flows.db"
start_recorder recvip "$TMP/recvip.err" --db "$TMP/vip.db" --label vip
nsub=$(nsubscribed)
start_bg all conntrack -E >"$TMP/all.ct" 2>/dev/null
nsub=$((nsub + 1))
for n in $names; do
	# shellcheck disable=SC2046
	start_bg "ct_$n" conntrack -E $(opts_of "$n") >"$TMP/$n.ct" 2>"$TMP/$n.ct.err"
	nsub=$((nsub + 1))
done
# Without a label map conntrack prints no labels: a listener in a mount
# namespace of its own without the overlay.
start_bg ct_nomap unshare --mount --propagation private sh -c \
	'umount /etc && exec conntrack -E -o labels,id' >"$TMP/nomap.ct" 2>"$TMP/nomap.ct.err"
# and one whose standard error goes into its log, as 2>&1 leaves it
start_bg ct_nomap2 unshare --mount --propagation private sh -c \
	'umount /etc && exec conntrack -E -o labels,id' >"$TMP/nomap2.log" 2>&1
nsub=$((nsub + 2))
subscribed() { [ "$(nsubscribed)" -ge "$nsub" ]; }
wait_until 10 subscribed || fail "conntrack -E listeners did not subscribe: $(cat "$TMP"/*.ct.err)"

say "generating traffic"
in_ns "$BIN/trafficgen" tcp 127.0.0.1 5000 2
in_ns "$BIN/trafficgen" tcp ::1 5001 1
in_ns "$BIN/trafficgen" udp 127.0.0.1 5002 2
in_ns "$BIN/trafficgen" udp ::1 5003 1
expire_all "$TMP/all.ct"
for r in rec recvip; do
	stop_bg "$r" TERM 10 || fail "ctrecord ($r) ignored SIGTERM"
	[ "$BG_STATUS" = 0 ] || fail "ctrecord ($r) exited with $BG_STATUS"
done
stop_bg all INT 5 || true
for n in $names nomap nomap2; do
	stop_bg "ct_$n" INT 5 || fail "conntrack -E ($n) ignored SIGINT"
done

# The traffic gave what the comparisons need.
grep -q 'labels=blue,vip' "$TMP/text.ct" || fail "no event labelled blue,vip: $(head -3 "$TMP/text.ct")"
grep -q 'labels=blue,far' "$TMP/text.ct" || fail "no event labelled blue,far (bit 100)"
grep -q '^ *\[UPDATE\].*labels=eth-in' "$TMP/text.ct" || fail "no UPDATE event carrying labels"
[ -s "$TMP/vip.ct" ] && [ -s "$TMP/both.ct" ] && [ -s "$TMP/long.ct" ] ||
	fail "the --label listeners showed nothing"
[ ! -s "$TMP/longvip.ct" ] || fail "conntrack -E -l with long labels and vip showed events"
# -l alone prints the labels too (conntrack loads the label map for it)
grep -q 'labels=blue,vip' "$TMP/lonly.ct" || fail "conntrack -E --label vip printed no labels: $(head -3 "$TMP/lonly.ct")"
ncut=$(awk 'length($0) == 1023' "$TMP/text.ct" | wc -l)
[ "$ncut" -gt 0 ] || fail "no line was cut at 1023 bytes"

total=0
for n in $names; do
	o=$(opts_of "$n")
	# shellcheck disable=SC2086
	"$BIN/ctquery" --db "$TMP/flows.db" replay $o >"$TMP/$n.replay" 2>"$TMP/$n.replay.err" ||
		fail "ctquery replay $o failed: $(cat "$TMP/$n.replay.err")"
	test_cmp "$TMP/$n.ct" "$TMP/$n.replay"
	k=$(grep -c 'flow\|\[' "$TMP/$n.ct" || true)
	total=$((total + k))
	say "replay $o: $k events identical"
done
"$BIN/ctquery" --db "$TMP/vip.db" replay -o labels,id >"$TMP/recvip.replay"
test_cmp "$TMP/vip.ct" "$TMP/recvip.replay"
say "ctrecord --label vip: $(wc -l <"$TMP/vip.ct") events as conntrack -E --label vip showed them"
say "compared $total events with labels"

# -o json,labels, and -o json -l: each event's labels as conntrack -E -o
# labels printed them (but where it cut the line at 1023 bytes), "-" for none.
ct_labels() { awk 'length($0) == 1023 { print "cut"; next }
	{ if (match($0, / labels=[^ ]*/)) print substr($0, RSTART + 8, RLENGTH - 8); else print "-" }' "$1"; }
json_labels() { sed 's/.*"labels":\[\([^]]*\)\].*/\1/; t; s/.*/-/' | tr -d '"'; }
"$BIN/ctquery" --db "$TMP/flows.db" replay -o json,labels | json_labels >"$TMP/json.labels"
paste -d' ' <(ct_labels "$TMP/plain.ct") "$TMP/json.labels" | awk '$1 == "cut" { next } { print $1 }' >"$TMP/want"
paste -d' ' <(ct_labels "$TMP/plain.ct") "$TMP/json.labels" | awk '$1 == "cut" { next } { print $2 }' >"$TMP/got"
[ "$(wc -l <"$TMP/json.labels")" = "$(wc -l <"$TMP/plain.ct")" ] || fail "replay -o json,labels: not one line an event"
grep -q 'eth-in,blue,vip' "$TMP/want" || fail "no labels to compare: $(head -3 "$TMP/want")"
test_cmp "$TMP/want" "$TMP/got"
"$BIN/ctquery" --db "$TMP/flows.db" replay -o json -l vip | json_labels >"$TMP/got"
ct_labels "$TMP/vip.ct" >"$TMP/want"
test_cmp "$TMP/want" "$TMP/got"
"$BIN/ctquery" --db "$TMP/flows.db" replay -o json | grep -q '"labels"' && fail "replay -o json printed labels unasked"
say "replay -o json,labels and -o json -l: the labels conntrack -E -o labels printed"

# Without the map, replay prints what conntrack printed then (no labels) and warns once.
unshare --mount --propagation private sh -c 'umount /etc && exec "$0" --db "$1" replay -o labels,id' \
	"$BIN/ctquery" "$TMP/flows.db" >"$TMP/nomap.replay" 2>"$TMP/nomap.replay.err" ||
	fail "replay without a label map failed: $(cat "$TMP/nomap.replay.err")"
test_cmp "$TMP/nomap.ct" "$TMP/nomap.replay"
grep -q 'labels=' "$TMP/nomap.ct" && fail "conntrack printed labels without a map"
[ "$(grep -c 'connlabel.conf' "$TMP/nomap.replay.err")" = 1 ] ||
	fail "replay without a label map did not warn once: $(cat "$TMP/nomap.replay.err")"
say "without a label map: $(wc -l <"$TMP/nomap.ct") events, no labels, as conntrack -E"
# conntrack's perror() of the missing map is its own line in such a log
head -n 1 "$TMP/nomap2.log" | grep -q '^nfct_labelmap_new: ' || fail "no perror line: $(head -n 1 "$TMP/nomap2.log")"
"$BIN/ctrecord" --db "$TMP/nomap2.db" --import "$TMP/nomap2.log" 2>"$TMP/nomap2.err" ||
	fail "importing a log with conntrack's error about the map failed: $(cat "$TMP/nomap2.err")"
"$BIN/ctquery" --db "$TMP/nomap2.db" replay -o labels,id | test_cmp "$TMP/nomap.ct" -

# Importing the log: a cut line loses its unfinished last label, with a
# warning; the rest of the event is stored.
"$BIN/ctrecord" --db "$TMP/import.db" --import "$TMP/text.ct" 2>"$TMP/import.err" ||
	fail "importing the labelled log failed: $(cat "$TMP/import.err")"
grep -q "$ncut lines were cut at 1023 bytes" "$TMP/import.err" ||
	fail "the import did not warn about the $ncut cut lines: $(cat "$TMP/import.err")"
awk 'length($0) == 1023 { sub(/,[^,]*$/, "") } { print }' "$TMP/text.ct" >"$TMP/import.want"
"$BIN/ctquery" --db "$TMP/import.db" replay -o labels,id >"$TMP/import.replay"
test_cmp "$TMP/import.want" "$TMP/import.replay"
say "import: $ncut cut lines stored without their unfinished label"

# An unknown label is bad input: exit 2, one line naming it.
rc=0
err=$("$BIN/ctquery" --db "$TMP/flows.db" replay --label nosuch 2>&1 >/dev/null) || rc=$?
[ "$rc" = 2 ] || fail "replay --label nosuch exited with $rc"
[ "$(echo "$err" | wc -l)" = 1 ] && echo "$err" | grep -q nosuch || fail "replay --label nosuch said: $err"
