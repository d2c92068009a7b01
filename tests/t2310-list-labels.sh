#!/bin/bash
# t2310: connection labels in `ctquery list` and `stats` compared with `conntrack -L` on the live table: -l selects the flows whose last labels include those given, as conntrack -L -l does.
#
# As t2300: the label map in an overlay over /etc in a mount namespace of
# our own; nft labels every new flow "blue", UDP to port 5002 also "vip",
# TCP to port 5000 also "far" (bit 100), and every flow that becomes
# established also "eth-in" (an UPDATE carrying labels; the TCP flows'
# later UPDATEs carry none). UDP and TIME_WAIT last 300 s here, so that the
# flows are all still in the table when ctquery and conntrack -L are
# compared. Two flows predate ctrecord: their labels come from its start-up
# dump.
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
printf '0 eth-in\n1 blue\n5 vip\n100 far\n' >"$TMP/upper/xtables/connlabel.conf"
cp "$TMP/upper/xtables/connlabel.conf" "$TMP/upper/connlabel.conf"
mount -t overlay ctt-labels -o "lowerdir=/etc,upperdir=$TMP/upper,workdir=$TMP/work" /etc ||
	skip "cannot mount an overlay over /etc in a private mount namespace"

netns_setup
ns_keep_flows
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

# before the recorder: known from its start-up dump
in_ns "$BIN/trafficgen" udp 127.0.0.1 5002 1
in_ns "$BIN/trafficgen" tcp 127.0.0.1 5000 1
start_recorder rec "$TMP/rec.err" --db "$TMP/flows.db"
in_ns "$BIN/trafficgen" tcp 127.0.0.1 5000 2
in_ns "$BIN/trafficgen" tcp ::1 5001 1
in_ns "$BIN/trafficgen" udp 127.0.0.1 5002 2
in_ns "$BIN/trafficgen" udp ::1 5003 1
in_ns "$BIN/trafficgen" udp 127.0.0.1 5004 1
stop_recorder rec
in_ns conntrack -L -o labels >"$TMP/table.ct" 2>/dev/null
[ "$(wc -l <"$TMP/table.ct")" = 9 ] || fail "not the 9 flows expected in the table: $(cat "$TMP/table.ct")"
grep -q 'labels=eth-in,blue,far' "$TMP/table.ct" || fail "no flow labelled eth-in,blue,far: $(cat "$TMP/table.ct")"
grep -q 'labels=eth-in,blue,vip' "$TMP/table.ct" || fail "no flow labelled eth-in,blue,vip"

# A flow as "proto src dst sport dport" (its original tuple).
tuples() { sed -E 's/^([a-z0-9]+)[^=]* src=([^ ]+) dst=([^ ]+) sport=([0-9]+) dport=([0-9]+) .*/\1 \2 \3 \4 \5/' | sort; }

# -l: the flows whose labels include every one given, as conntrack -L -l.
n=0
for l in vip blue far eth-in,far blue,vip,eth-in; do
	in_ns conntrack -L -l "$l" 2>/dev/null | tuples >"$TMP/want"
	[ -s "$TMP/want" ] || fail "conntrack -L -l $l shows no flow"
	"$BIN/ctquery" --db "$TMP/flows.db" list -o conntrack -l "$l" | tuples >"$TMP/got"
	test_cmp "$TMP/want" "$TMP/got"
	want=$(wc -l <"$TMP/want")
	got=$("$BIN/ctquery" --db "$TMP/flows.db" stats -l "$l" | sed -n 's/^flows: //p')
	[ "$got" = "$want" ] || fail "stats -l $l counted $got flows, conntrack -L -l $l shows $want"
	n=$((n + want))
done
say "list -l and stats -l: the flows conntrack -L -l shows ($n over 5 lists)"

# -o labels: the labels conntrack -L -o labels shows, in each format. conntrack
# -L's lines without what a recorded flow lacks (timeout, counters of an
# open flow, mark=0, delta-time, use).
norm_text() {
	sed -E 's/^([a-z0-9]+ +[0-9]+) [0-9]+ /\1 /; s/ packets=[0-9]+ bytes=[0-9]+//g;
		s/ mark=0//; s/ delta-time=[0-9]+//; s/ use=[0-9]+//; s/ +$//' | sort
}
norm_xml() {
	grep '^<flow>' | sed -E 's#<counters>[^/]*</packets><bytes>[0-9]+</bytes></counters>##g;
		s#<timeout>[0-9]+</timeout>##; s#<mark>0</mark>##; s#<use>[0-9]+</use>##;
		s#<deltatime>[0-9]+</deltatime>##' | sort
}
norm_text <"$TMP/table.ct" >"$TMP/want"
"$BIN/ctquery" --db "$TMP/flows.db" list -o conntrack,labels 2>"$TMP/err" | norm_text >"$TMP/got"
test_cmp "$TMP/want" "$TMP/got"
[ ! -s "$TMP/err" ] || fail "list -o conntrack,labels said: $(cat "$TMP/err")"
for l in vip eth-in,far; do	# -l prints them too, as conntrack -L -l
	in_ns conntrack -L -l "$l" 2>/dev/null | norm_text >"$TMP/want"
	grep -q 'labels=' "$TMP/want" || fail "conntrack -L -l $l printed no labels"
	"$BIN/ctquery" --db "$TMP/flows.db" list -o conntrack -l "$l" | norm_text >"$TMP/got"
	test_cmp "$TMP/want" "$TMP/got"
done
in_ns conntrack -L -o xml,labels 2>/dev/null | norm_xml >"$TMP/want"
grep -q '<label>far</label>' "$TMP/want" || fail "conntrack -L -o xml,labels printed no label far"
"$BIN/ctquery" --db "$TMP/flows.db" list -o XML,Labels | norm_xml >"$TMP/got"
test_cmp "$TMP/want" "$TMP/got"
say "list -o conntrack,labels, -o xml,labels and -l: conntrack -L's labels ($(wc -l <"$TMP/want") flows)"

# The table, JSON and CSV: "sport dport labels" of each flow, as conntrack -L -o labels.
sed -E 's/^[^=]* src=[^ ]+ dst=[^ ]+ sport=([0-9]+) dport=([0-9]+) .* labels=([^ ]+).*/\1 \2 \3/' "$TMP/table.ct" |
	sort >"$TMP/want"
"$BIN/ctquery" --db "$TMP/flows.db" list -o labels >"$TMP/table.out"
head -n 1 "$TMP/table.out" | grep -q ' FLOW LABELS$' || fail "no LABELS column: $(head -n 1 "$TMP/table.out")"
awk 'NR > 1 { o = $5; sub(/->.*/, "", o); sub(/.*:/, "", o); d = $5; sub(/.*:/, "", d); print o, d, $NF }' \
	"$TMP/table.out" >"$TMP/got.table"
"$BIN/ctquery" --db "$TMP/flows.db" list -o json,labels >"$TMP/list.json"
"$BIN/ctquery" --db "$TMP/flows.db" list -o labels,csv >"$TMP/list.csv"
python3 - "$TMP/list.json" "$TMP/list.csv" "$TMP/got.json" "$TMP/got.csv" <<'EOF' || fail "JSON or CSV not as expected"
import csv, json, sys
with open(sys.argv[3], "w") as out:
    for line in open(sys.argv[1]):
        f = json.loads(line)
        out.write("%d %d %s\n" % (f["sport"], f["dport"], ",".join(f["labels"])))
with open(sys.argv[4], "w") as out:
    for f in csv.DictReader(open(sys.argv[2])):
        out.write("%s %s %s\n" % (f["sport"], f["dport"], f["labels"]))
EOF
for f in table json csv; do
	sort "$TMP/got.$f" | test_cmp "$TMP/want" -
done
"$BIN/ctquery" --db "$TMP/flows.db" list -o json | grep -q labels && fail "list -o json printed labels unasked"
"$BIN/ctquery" --db "$TMP/flows.db" list -o csv | head -n 1 | grep -q labels && fail "list -o csv has a labels column unasked"
say "list -o labels (table), json,labels and csv,labels: the labels of conntrack -L -o labels"

# Without a label map, as conntrack: no labels, and a warning once.
unshare --mount --propagation private sh -c 'umount /etc && exec ip netns exec "$0" conntrack -L -o labels' \
	"$NS" 2>/dev/null | norm_text >"$TMP/want"
[ -s "$TMP/want" ] || fail "conntrack -L without a label map showed nothing"
grep -q 'labels=' "$TMP/want" && fail "conntrack printed labels without a map"
unshare --mount --propagation private sh -c 'umount /etc && exec "$0" --db "$1" list -o conntrack,labels' \
	"$BIN/ctquery" "$TMP/flows.db" 2>"$TMP/nomap.err" | norm_text >"$TMP/got"
test_cmp "$TMP/want" "$TMP/got"
[ "$(grep -c 'connlabel.conf' "$TMP/nomap.err")" = 1 ] && [ "$(wc -l <"$TMP/nomap.err")" = 1 ] ||
	fail "list without a label map did not warn once: $(cat "$TMP/nomap.err")"
say "without a label map: no labels, one warning, as conntrack -L -o labels"

# show: each event's labels, as replay -o labels prints them (t2300: as
# conntrack -E printed them), and a flow of the start-up dump with the
# labels its DUMP entry carried, as conntrack -L shows them.
Q() { "$BIN/ctquery" --db "$TMP/flows.db" "$@"; }
id=$(Q list -o csv --where "origin = 'new' AND dport = 5002" | awk -F, 'NR == 2 { print $1 }')
[ -n "$id" ] || fail "no recorded flow to port 5002"
Q show "$id" | sed -n 's/.* labels=\([^ ]*\).*/\1/p' >"$TMP/got"
Q replay -o labels --flow "$id" | sed -n 's/.* labels=\([^ ]*\).*/\1/p' >"$TMP/want"
[ "$(wc -l <"$TMP/want")" = 2 ] || fail "flow $id: not 2 events with labels: $(Q replay -o labels --flow "$id")"
test_cmp "$TMP/want" "$TMP/got"
read -r id sport < <(Q list -o csv --where "origin = 'dump' AND dport = 5002" | awk -F, 'NR == 2 { print $1, $10 }')
[ -n "$id" ] || fail "no flow to port 5002 from the start-up dump"
grep " sport=$sport dport=5002 " "$TMP/table.ct" | sed 's/.* labels=//' >"$TMP/want"
Q show "$id" | sed -n 's/.* DUMP .* labels=\([^ ]*\).*/\1/p' | test_cmp "$TMP/want" -
say "show: the labels of each event, and of the start-up dump's entry"

# Bad -o lists: exit 2, one line.
for o in json,csv labels, table,,labels colour; do
	rc=0
	err=$("$BIN/ctquery" --db "$TMP/flows.db" list -o "$o" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 2 ] && [ "$(echo "$err" | wc -l)" = 1 ] || fail "list -o $o: exit $rc, said: $err"
done
