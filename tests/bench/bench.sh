#!/bin/bash
# bench.sh: issue 5's benchmark: ctrecord, conntrack -E (text and xml), ulogd2 and a ground-truth counter on the same storm, three times; then ingest, replay and query speed.
#
# Run as root through `make bench` (or BIN=build tests/bench/bench.sh).  Needs
# build/{ctrecord,ctquery,trafficgen,stormgen,nlcount,ingest,qtime,evdump}, conntrack,
# nft, ulogd2 with its SQLITE3 plugin, sqlite3.  Everything happens in a fresh
# network namespace on loopback; the table goes to stdout and to $BENCH_OUT
# (default tests/out/bench.txt).  Knobs: FLOWS (200000), TCP (20000),
# STORMS (5: the storm is run that many times, the summary gives medians),
# PASSES (5: copies of the storm's history in the big database, >= 1M flows),
# SCALE_PASSES (16, ingest's most: the same for a bigger one, the selective queries only; 0: none).
# shellcheck disable=SC2034,SC2086 # PID_* are read through eval; $o is split on purpose
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-$ROOT/build}
. "$ROOT/tests/lib.sh"

FLOWS=${FLOWS:-200000}
TCP=${TCP:-20000}
PASSES=${PASSES:-5}
SCALE_PASSES=${SCALE_PASSES:-16}
STORMS=${STORMS:-5}
OUT=${BENCH_OUT:-$ROOT/tests/out/bench.txt}
HZ=$(getconf CLK_TCK)
ULOGD_LIB=${ULOGD_LIB:-/usr/lib/x86_64-linux-gnu/ulogd}
ULOGD_TABLE=${ULOGD_TABLE:-/usr/share/doc/ulogd2/sqlite3.table}

require_root
require_cmd sqlite3 ulogd awk grep
for b in ctrecord ctquery trafficgen stormgen nlcount ingest qtime evdump; do
	[ -x "$BIN/$b" ] || fail "'$BIN/$b' not built (run make bench)"
done
[ -e "$ULOGD_LIB/ulogd_output_SQLITE3.so" ] || skip "ulogd2-sqlite3 not installed"
[ -r "$ULOGD_TABLE" ] || skip "'$ULOGD_TABLE' (ulogd2's sqlite3 schema) not found"
mkdir -p "$(dirname "$OUT")"
: >"$OUT"
out() { echo "$*" | tee -a "$OUT"; }

netns_storm ctb

# /proc helpers: CPU ticks (utime + stime) and peak RSS (kB) of a pid.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
pstate() { sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null; }

# stop_measured NAME SIGNAL TIMEOUT: stop job NAME; CPU_$NAME = the last CPU
# ticks read while it was stopping (what it did while exiting included, up to 50 ms).
stop_measured() {
	local pid i=0 t last
	eval "pid=\$PID_$1 last=\$PRE_$1"
	kill "-$2" "$pid" 2>/dev/null || true
	while pid_ours "$pid" && [ $i -lt $(($3 * 20)) ]; do
		t=$(cpu_ticks "$pid")
		[ "$t" -gt 0 ] && last=$t
		sleep 0.05; i=$((i + 1))
	done
	eval "CPU_$1=$last"
	stop_bg "$1" KILL 2 || true
	eval "RC_$1=$BG_STATUS"
}

# ulogd2: the documented NFCT -> SQLITE3 stack, event mode, own config and database.
ulogd_setup() {	# ulogd_setup DIR
	sqlite3 "$1/ulogd.sqlite3db" <"$ULOGD_TABLE"
	cat >"$1/ulogd.conf" <<-EOF
	[global]
	logfile="$1/ulogd.log"
	loglevel=5
	plugin="$ULOGD_LIB/ulogd_inpflow_NFCT.so"
	plugin="$ULOGD_LIB/ulogd_output_SQLITE3.so"
	stack=ct1:NFCT,sqlite3_ct:SQLITE3

	[ct1]

	[sqlite3_ct]
	table="ulog_ct"
	db="$1/ulogd.sqlite3db"
	EOF
}

nsubscribed() { in_ns awk '$2 == 12 && $4 != "00000000"' /proc/net/netlink | wc -l; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
row() {	# tool truth stored cpu_ticks hwm_kb bytes
	awk -v tool="$1" -v truth="$2" -v n="$3" -v t="$4" -v hwm="$5" -v b="$6" -v hz="$HZ" 'BEGIN {
		cpu = t / hz
		printf "%-26s %9d %9d %9d %7.2f%% %7.2f %10s %9s %8.1f\n", tool, truth, n, truth - n,
			truth ? 100 * (truth - n) / truth : 0, cpu,
			n ? sprintf("%.3f", cpu * 100000 / n) : "-",
			((b >= 0 && n) ? sprintf("%.1f", b / n) : "-"), hwm / 1024
	}' | tee -a "$OUT"
}
per100k() { awk -v t="$1" -v n="$2" -v hz="$HZ" 'BEGIN { printf "%.3f", n ? t / hz * 100000 / n : 0 }'; }

# storm R: one storm with every tool listening (files in $TMP/rR); prints its
# table and adds its figures to the lists the summary reads.
storm() {
	local r=$1 D=$TMP/r$1 t0 t1 t2 t3 t4 prev cur i j pid
	mkdir -p "$D"
	ulogd_setup "$D"
	start_bg gt "$BIN/nlcount" -w "$D/capture" -s "$D/gt.status" >"$D/gt.out" 2>"$D/gt.err"
	start_bg rec "$BIN/ctrecord" --db "$D/ctrecord.db" >"$D/rec.out" 2>"$D/rec.err"
	start_bg xml conntrack -E -o xml >"$D/xml.ct" 2>"$D/xml.err"
	start_bg txt conntrack -E >"$D/txt.ct" 2>"$D/txt.err"
	start_bg ulogd ulogd -c "$D/ulogd.conf" >"$D/ulogd.out" 2>&1
	wait_for_line "$D/rec.err" '^ctrecord: listening' 10 || fail "ctrecord did not start: $(cat "$D/rec.err")"
	five() { [ "$(nsubscribed)" -ge 5 ]; }
	wait_until 10 five || fail "only $(nsubscribed) of 5 listeners subscribed (ulogd: $(tail -3 "$D/ulogd.log" 2>/dev/null))"
	sleep 0.5

	say "storm $r of $STORMS: $FLOWS UDP flows, then $TCP TCP connections, then conntrack -F"
	t0=$(date +%s.%N)
	in_ns "$BIN/stormgen" -n "$FLOWS" 2>"$D/storm.err" || fail "stormgen: $(cat "$D/storm.err")"
	t1=$(date +%s.%N)
	in_ns "$BIN/trafficgen" -S tcp 127.0.0.1 5000 "$TCP" || fail "trafficgen failed"
	t2=$(date +%s.%N)
	in_ns conntrack -F 2>/dev/null
	t3=$(date +%s.%N)

	# Quiet: the ground truth has seen nothing new for 3 s (at most 180 s).
	quiet() { [ -s "$D/gt.status" ] && [ "$(cut -d' ' -f3 "$D/gt.status")" -ge 3000 ]; }
	wait_until 180 quiet || fail "events kept coming for 180 s"
	t4=$(date +%s.%N)

	# Every tool idle (its CPU time unchanged for 1 s, at most 300 s: ctrecord
	# may still be writing its queue); then peak memory and CPU before stopping.
	JOBS="gt rec xml txt ulogd"
	cpu_all() { local j pid; for j in $JOBS; do eval "pid=\$PID_$j"; cpu_ticks "$pid"; done | tr '\n' ' '; }
	prev=$(cpu_all); i=0
	while sleep 1; cur=$(cpu_all); [ "$cur" != "$prev" ] && [ $i -lt 300 ]; do prev=$cur; i=$((i + 1)); done
	[ "$cur" = "$prev" ] || say "tools still busy after 300 s: $cur"
	for j in $JOBS; do
		eval "pid=\$PID_$j"
		eval "HWM_$j=$(hwm_kb "$pid") PRE_$j=$(cpu_ticks "$pid")"
	done
	stop_measured rec TERM 300
	stop_measured xml INT 10
	stop_measured txt INT 10
	stop_measured ulogd TERM 30
	stop_measured gt TERM 10
	read -r _ GT _ GT_NEW _ GT_UPD _ GT_DES _ GT_NOBUF <"$D/gt.out" || fail "no ground truth: $(cat "$D/gt.err")"
	FLOWS_MADE=$GT_DES	# every flow ended (expiry or flush) inside the run

	N_rec=$("$BIN/evdump" "$D/ctrecord.db" | awk '$4 < 4' | wc -l)
	B_rec=$(cat "$D"/ctrecord.db "$D"/ctrecord.db-wal 2>/dev/null | wc -c)
	N_xml=$(grep -c '<flow ' "$D/xml.ct" || true)
	B_xml=$(wc -c <"$D/xml.ct")
	N_txt=$(wc -l <"$D/txt.ct")
	B_txt=$(wc -c <"$D/txt.ct")
	N_ulogd=$(sqlite3 "$D/ulogd.sqlite3db" 'select count(*) from ulog_ct')
	B_ulogd=$(cat "$D"/ulogd.sqlite3db* | wc -c)

	out ""
	out "# storm $r: $(cat "$D/storm.err"), $TCP TCP connections in $(secs "$t1" "$t2") s, conntrack -F in $(secs "$t2" "$t3") s; ground truth quiet after $(secs "$t0" "$t4") s"
	out "# ground truth (nlcount, 1 GiB forced buffer): $GT events = $GT_NEW NEW + $GT_UPD UPDATE + $GT_DES DESTROY, $GT_NOBUF ENOBUFS; $FLOWS_MADE flows"
	out "$(printf '%-26s %9s %9s %9s %8s %7s %10s %9s %8s' tool truth stored lost lost% cpu_s cpu/100k B/item VmHWM_MB)"
	row "ctrecord (defaults)" "$GT" "$N_rec" "$PRE_rec" "$HWM_rec" "$B_rec"
	row "conntrack -E -o xml >file" "$GT" "$N_xml" "$PRE_xml" "$HWM_xml" "$B_xml"
	row "conntrack -E >file" "$GT" "$N_txt" "$PRE_txt" "$HWM_txt" "$B_txt"
	row "ulogd2 NFCT>SQLITE3 (flows)" "$FLOWS_MADE" "$N_ulogd" "$PRE_ulogd" "$HWM_ulogd" "$B_ulogd"
	row "nlcount (ground truth)" "$GT" "$GT" "$PRE_gt" "$HWM_gt" -1
	out "# cpu read while exiting: ctrecord $(awk -v t="$CPU_rec" -v h="$HZ" 'BEGIN { printf "%.2f", t / h }') s," \
	    "xml $(awk -v t="$CPU_xml" -v h="$HZ" 'BEGIN { printf "%.2f", t / h }') s, text $(awk -v t="$CPU_txt" -v h="$HZ" 'BEGIN { printf "%.2f", t / h }') s," \
	    "ulogd2 $(awk -v t="$CPU_ulogd" -v h="$HZ" 'BEGIN { printf "%.2f", t / h }') s"
	out "# ctrecord said: $(tail -1 "$D/rec.err")"
	out "# conntrack -E -o xml said: $(sort "$D/xml.err" | uniq -c | head -2 | tr -s ' \n' '  ')"
	out "# conntrack -E said: $(sort "$D/txt.err" | uniq -c | head -2 | tr -s ' \n' '  ')"

	# what the summary reads: lost, CPU per 100k of ctrecord and of xml, their ratio, bytes per event
	LOST="$LOST $((GT - N_rec))"
	CPU_REC="$CPU_REC $(per100k "$PRE_rec" "$N_rec")"
	CPU_XML="$CPU_XML $(per100k "$PRE_xml" "$N_xml")"
	RATIO="$RATIO $(awk -v a="$(per100k "$PRE_rec" "$N_rec")" -v b="$(per100k "$PRE_xml" "$N_xml")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 99) }')"
	BPE="$BPE $(awk -v b="$B_rec" -v n="$N_rec" 'BEGIN { printf "%.1f", n ? b / n : 999 }')"
	if [ "$r" = 1 ] && sqlite3 "$D/ctrecord.db" 'select 1 from dbstat limit 1' >/dev/null 2>&1; then
		out "# where ctrecord's bytes go (dbstat, bytes per stored event):"
		sqlite3 -separator ' ' "$D/ctrecord.db" "select name, sum(pgsize), round(sum(pgsize) * 1.0 / $N_rec, 1) from dbstat group by name order by 2 desc" |
			while read -r name sz per; do out "#   $(printf '%-14s %11s B %6s B/event' "$name" "$sz" "$per")"; done
	fi
	rm -f "$D"/*.ct "$D"/ulogd.sqlite3db*	# (big; the capture of storm 1 stays for the rest)
	[ "$r" = 1 ] || rm -f "$D/capture"
}

median() { echo "$*" | tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

out "# make bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
out "# items: events (flows for ulogd2, which logs a flow when it ends); cpu = user+sys once"
out "# every tool was idle, before the stop signal; B/item = bytes on disk (ctrecord: db +"
out "# wal after exit, all indexes) per stored item. $STORMS storms, one after the other."
LOST= CPU_REC= CPU_XML= RATIO= BPE=
for r in $(seq "$STORMS"); do storm "$r"; done
out ""
out "# over the $STORMS storms: ctrecord lost$LOST; cpu/100k ctrecord$CPU_REC, xml$CPU_XML;"
out "#   ratio ctrecord/xml$RATIO (median $(median $RATIO)); B/event$BPE"
out "# targets: ctrecord lost 0: $([ "$(echo $LOST | tr ' ' '\n' | sort -u)" = 0 ] && echo met || echo NOT met) (every storm);" \
    "cpu/event <= xml/2: $(awk -v m="$(median $RATIO)" 'BEGIN { print ((m != "" && m <= 0.5) ? "met" : "NOT met") }') (median ratio);" \
    "<= 48 B/event: $(awk -v m="$(median $BPE)" 'BEGIN { print ((m != "" && m <= 48) ? "met" : "NOT met") }') (median)"

# (c) Ingest ceiling without the kernel: the captured storm through ct_decode + record_event.
out ""
out "# (c) ingest without the kernel (ct_decode + record_event, commits every 50000 events or 100 ms):"
"$BIN/ingest" "$TMP/r1/capture" "$TMP/ingest1.db" >"$TMP/ingest1.out" || fail "ingest failed"
out "#   1 pass:  $(cat "$TMP/ingest1.out")"
rm -f "$TMP"/ingest1.db*
# A live database for (b): the same history, with the changes of flows a
# recorder has not folded yet (readers apply them), its store kept open as a
# running recorder's is (ingest -w) until fd 9, the fifo's other end, closes.
mkfifo "$TMP/live.in"
"$BIN/ingest" -k -w -c 7000 "$TMP/r1/capture" "$TMP/live.db" <"$TMP/live.in" >"$TMP/live.out" &
LIVE_PID=$!
BG_PIDS="$BG_PIDS $LIVE_PID"
exec 9>"$TMP/live.in"
wait_until 120 grep -q "changes of flows waiting" "$TMP/live.out" || fail "ingest -k -w did not finish"

# (a) Replay speed on a big history: the storm's history $PASSES times (1 h apart, addresses shifted).
BIG=$TMP/big.db
"$BIN/ingest" -n "$PASSES" "$TMP/r1/capture" "$BIG" >"$TMP/ingestN.out" || fail "ingest -n $PASSES failed"
out "#   $PASSES passes: $(cat "$TMP/ingestN.out")"
NEV=$("$BIN/evdump" "$BIG" | awk '$4 < 4' | wc -l)
NFL=$(sqlite3 "$BIG" 'select count(*) from flows')
BB=$(cat "$BIG" "$BIG"-wal 2>/dev/null | wc -c)
out ""
out "# (a) replay: $NEV events, $NFL flows, database $BB B ($(awk -v b="$BB" -v n="$NEV" 'BEGIN { printf "%.1f", b / n }') B/event)"
# Wall clocks read without a process of their own (bash's EPOCHREALTIME, µs):
# $(date +%s%N) around a command adds a fork and an exec, 1-2 ms here.
now_us() { echo "${EPOCHREALTIME/./}"; }
tsec() {	# tsec CMD...: run CMD, print its wall seconds
	local a b
	a=$(now_us); "$@"; b=$(now_us)
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'
}
replay_null() { "$BIN/ctquery" --db "$BIG" replay >/dev/null; }
replay_log() { "$BIN/ctquery" --db "$BIG" replay -o timestamp >"$TMP/big.log"; }
s=$(tsec replay_null)
out "#   ctquery replay >/dev/null: $s s, $(awk -v s="$s" -v n="$NEV" 'BEGIN { printf "%.0f", n / s }') events/s (target >= 500000)"
# A filter that keeps a few flows of many: the TCP ones (the events of the
# other flows are read and passed over).
replay_tcp() { "$BIN/ctquery" --db "$BIG" replay -p tcp >"$TMP/tcp.txt"; }
s=$(tsec replay_tcp)
n=$(wc -l <"$TMP/tcp.txt")
[ "$n" -gt 0 ] || fail "ctquery replay -p tcp printed nothing"
out "#   ctquery replay -p tcp >file: $s s for its $n events of $NEV"
s=$(tsec replay_log)
LB=$(wc -c <"$TMP/big.log")
out "#   ctquery replay -o timestamp >log: $s s, $(awk -v s="$s" -v n="$NEV" 'BEGIN { printf "%.0f", n / s }') events/s; log $LB B ($(awk -v b="$LB" -v n="$NEV" 'BEGIN { printf "%.1f", b / n }') B/event, $(awk -v b="$LB" -v d="$BB" 'BEGIN { printf "%.2f", b / d }')x the database)"

# (b) Selective queries on a big history: the store's SQL (qtime) and the whole
# ctquery process vs grep/awk over the same history as a conntrack -o timestamp log.
run_ms() {	# run_ms CMD...: median wall ms of 7 runs of CMD >/dev/null ("fail" if one fails)
	local i a b t=()
	for i in 1 2 3 4 5 6 7; do
		a=${EPOCHREALTIME/./}
		"$@" >/dev/null 2>&1 || { echo fail; return; }
		b=${EPOCHREALTIME/./}
		t+=($((b - a)))
	done
	printf '%s\n' "${t[@]}" | sort -n | awk 'NR == 4 { printf "%.1f", $1 / 1e3 }'
}
ctq_ms_db() { local db=$1; shift; run_ms "$BIN/ctquery" --db "$db" "$@"; }
med_ms() {	# med_ms FN: median wall ms of 3 runs of FN
	local i t=()
	for i in 1 2 3; do t+=("$(tsec "$1")"); done
	printf '%s\n' "${t[@]}" | sort -n | awk 'NR == 2 { printf "%.1f", $1 * 1000 }'
}
# query_params PASSES: the queries' parameters in $QDB (a history of PASSES
# passes), from its last passes so that no query can stop early by luck;
# checks that each grep baseline finds what it stands for in $QLOG.
query_params() {
	local P=$(($1 - 1)) PP T0 n
	PP=$(( P > 1 ? P - 1 : P ))
	T0=$(sqlite3 "$QDB" 'select min(first_us) from flows')
	SRC=127.$((1 + 8 * P)).0.77
	FLOW=$(sqlite3 "$QDB" "select id from flows where o_src = X'$(printf '%02x%02x%02x%02x' 127 $((1 + 8 * P)) 0 77)'")
	# the flow's original tuple as conntrack prints it (its destination differs by phase)
	TUPLE=$(sqlite3 "$QDB" "select hex(o_dst), o_sport, o_dport from flows where id = $FLOW" |
		awk -F'|' -v src="$SRC" '{ d = ""; h = "0123456789ABCDEF"
			for (i = 1; i <= 7; i += 2)
				d = d (i > 1 ? "." : "") (index(h, substr($1, i, 1)) - 1) * 16 + index(h, substr($1, i + 1, 1)) - 1
			printf "src=%s dst=%s sport=%s dport=%s ", src, d, $2, $3 }')
	W0=$(( T0 + PP * 3600000000 )); W1=$(( W0 + 600000000 ))
	S0=$((W0 / 1000000)); S1=$((W1 / 1000000))
	AT=$(sqlite3 "$QDB" "select first_us from flows where o_src = X'$(printf '%02x%02x%02x%02x' 127 $((1 + 8 * PP)) 0 77)'")
	BETWEEN=$(( T0 + PP * 3600000000 - 1800000000 ))
	cat "$QLOG" >/dev/null	# both sides from the page cache
	n=$(grep -cF "$TUPLE" "$QLOG" || true)
	[ "$n" = "$(sqlite3 "$QDB" "select nevents from flows where id = $FLOW")" ] ||
		fail "grep finds $n lines of flow $FLOW ('$TUPLE'), not its events"
	grep -qF " src=$SRC " "$QLOG" || fail "grep finds no line of source $SRC"
}
q_src() { grep -F " src=$SRC " "$QLOG" >/dev/null || true; }
q_dport() { grep -F ' dport=10077 ' "$QLOG" | awk -F'\t' -v lo="$W0" -v hi="$W1" '{ t = substr($1, 2, 17) * 1e6; if (t >= lo && t <= hi) n++ }' || true; }
alive_awk() {	# alive_awk T_US: flows alive at T_US, pairing [NEW] and [DESTROY] lines by tuple
	awk -F'\t' -v at="$1" '{
		t = substr($1, 2, 17) * 1e6; if (t > at) exit
		if (!match($2, /src=[^ ]+ dst=[^ ]+ sport=[^ ]+ dport=[^ ]+/)) next
		k = substr($2, RSTART, RLENGTH)
		if ($2 ~ /^ *\[NEW\]/) open[k] = 1; else if ($2 ~ /^\[DESTROY\]/) delete open[k]
	} END { n = 0; for (k in open) n++; print n }' "$QLOG" >/dev/null
}
q_at() { alive_awk "$AT"; }
q_between() { alive_awk "$BETWEEN"; }
q_flow() { grep -F "$TUPLE" "$QLOG" >/dev/null || true; }
qhead() {
	out "$(printf '#   %-40s %7s %9s %9s %10s %9s %7s %7s %7s' query rows store_ms median_ms ctquery_ms grep_ms ratio ratio_q max_q)"
}
qrow() {	# label qtime-args... -- grep-function -- ctquery-args...
	local label=$1 r best med g c fn; shift
	local args=() ; while [ "$1" != -- ]; do args+=("$1"); shift; done; shift
	fn=$1; shift 2
	read -r r best med <<<"$("$BIN/qtime" "$QDB" "${args[@]}")"
	g=$(med_ms "$fn")
	c=$(ctq_ms_db "$QDB" "$@")
	out "$(printf '#   %-40s %7s %9s %9s %10s %9s %7s %7s %7s' "$label" "$r" "$best" "$med" "$c" "$g" \
		"$(awk -v g="$g" -v m="$med" 'BEGIN { printf "%.0fx", (m > 0 ? g / m : 0) }')" \
		"$(awk -v g="$g" -v m="$c" 'BEGIN { printf "%.0fx", (m > 0 ? g / m : 0) }')" \
		"$(awk -v g="$g" -v m="$TRUE_MS" 'BEGIN { printf "%.0fx", (m > 0 ? g / m : 0) }')")"
}
TRUE_MS=$(run_ms /bin/true)
QDB=$BIG QLOG=$TMP/big.log
query_params "$PASSES"
out ""
out "# (b) queries on $NFL flows: store (best/median of 7, all rows read) vs grep/awk over the $LB B log"
qhead
qrow "source address $SRC" src "$SRC" -- q_src -- list -s "$SRC"
qrow "dport 10077 within 10 min" dport 10077 "$W0" "$W1" -- q_dport -- list -p udp --dport 10077 --since "@$S0" --until "@$S1"
qrow "alive at an instant (TCP phase)" at "$AT" -- q_at -- list --at "@$((AT / 1000000))"
qrow "alive at an instant (between storms)" at "$BETWEEN" -- q_between -- list --at "@$((BETWEEN / 1000000))"
qrow "one flow's events (flow $FLOW)" flow "$FLOW" -- q_flow -- show "$FLOW"
W=$(sed -n 's/.* \([0-9]*\) changes of flows waiting/\1/p' "$TMP/live.out")
lw=$(ctq_ms_db "$TMP/live.db" list -s 127.1.0.77)
exec 9>&-	# the writer exits without closing its store, as if killed
wait "$LIVE_PID" || fail "ingest -k -w failed"
lwal=$(wc -c <"$TMP/live.db-wal")
first_reader() { "$BIN/ctquery" --db "$TMP/live.db" list -s 127.1.0.77 >/dev/null; }
lk1=$(awk -v s="$(tsec first_reader)" 'BEGIN { printf "%.1f", s * 1000 }')
[ "$(wc -c <"$TMP/live.db-wal")" = 0 ] || fail "the first reader after the writer was killed left its WAL"
lk=$(ctq_ms_db "$TMP/live.db" list -s 127.1.0.77)
"$BIN/ctrecord" --db "$TMP/live.db" --upgrade >/dev/null 2>&1 || fail "ctrecord --upgrade (the fold) failed"
out "#   a live database, the storm's history with $W changes of flows waiting for a fold:"
out "#     ctquery list -s 127.1.0.77 (1 row) $lw ms while its writer runs; once it is killed, $lk1 ms for"
out "#     the first reader (it checkpoints the $lwal B WAL left) and $lk ms after; $(ctq_ms_db "$TMP/live.db" list -s 127.1.0.77) ms once folded"
out "# store_ms/median_ms: the store's query alone (qtime); ctquery_ms: the whole ctquery"
out "# list/show process (median of 7, output to /dev/null; the same way, /bin/true takes"
out "# $TRUE_MS ms here and ctquery --version $(run_ms "$BIN/ctquery" --version) ms); grep_ms: median of 3;"
out "# ratio = grep/median, ratio_q = grep/ctquery; max_q = grep / /bin/true's time, the"
out "# most any process started this way could reach."
out "# (targets: each selective query < 20 ms and >= 100x faster than grep)"

# (b2) The same selective queries on a bigger history: grep's time grows with
# the history, a query's (and a process's start) does not.
if [ "$SCALE_PASSES" -gt 0 ]; then
	rm -f "$TMP"/live.db* "$TMP/big.log"
	QDB=$TMP/scale.db QLOG=$TMP/scale.log
	"$BIN/ingest" -n "$SCALE_PASSES" "$TMP/r1/capture" "$QDB" >"$TMP/ingestS.out" || fail "ingest -n $SCALE_PASSES failed"
	"$BIN/ctquery" --db "$QDB" replay -o timestamp >"$QLOG"
	query_params "$SCALE_PASSES"
	out ""
	out "# (b2) the selective queries on $(sqlite3 "$QDB" 'select count(*) from flows') flows ($SCALE_PASSES passes), log $(wc -c <"$QLOG") B"
	qhead
	qrow "source address $SRC" src "$SRC" -- q_src -- list -s "$SRC"
	qrow "dport 10077 within 10 min" dport 10077 "$W0" "$W1" -- q_dport -- list -p udp --dport 10077 --since "@$S0" --until "@$S1"
	qrow "one flow's events (flow $FLOW)" flow "$FLOW" -- q_flow -- show "$FLOW"
	rm -f "$QDB"* "$QLOG"
fi
exit 0
