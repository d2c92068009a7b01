#!/bin/bash
# t3610: an entry found in the start-up dump was caused by no process: `ctquery show` prints no "by portid" for it (the dump's answer carries the recorder's own portid), while an event that `conntrack -U` caused keeps it.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_built ctrecord ctquery trafficgen
netns_setup
netns_long_udp 60
# The entry is made before any listener: with the kernel's default (2) it
# would then send no event at all, and conntrack -U's UPDATE never came.
in_ns sysctl -qw net.netfilter.nf_conntrack_events=1 || fail "cannot set nf_conntrack_events"
in_ns python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 7610))' ||
	fail "cannot send the datagram"
start_recorder rec "$TMP/rec.err" --db "$TMP/flows.db"
in_ns conntrack -U -f ipv4 -p udp --dport 7610 -m 5 >/dev/null 2>&1 || fail "conntrack -U failed"
wait_until 10 eval "\"$BIN/ctquery\" --db '$TMP/flows.db' show 1 | grep -q ' UPDATE .*mark=5'" ||
	fail "the UPDATE of conntrack -U was not recorded: $("$BIN/ctquery" --db "$TMP/flows.db" show 1)"
stop_bg rec
"$BIN/ctquery" --db "$TMP/flows.db" show 1 >"$TMP/show"
grep -q '^  first seen .*, from the start-up dump$' "$TMP/show" || fail "flow 1 is not from the dump: $(cat "$TMP/show")"
! grep -q ' DUMP .* by portid=' "$TMP/show" || fail "the DUMP entry says a process caused it: $(cat "$TMP/show")"
grep -q ' UPDATE .*mark=5 by portid=[0-9]' "$TMP/show" || fail "the UPDATE lost its portid: $(cat "$TMP/show")"
say "the start-up dump's entry names no process; the UPDATE of conntrack -U its portid"
exit 0
