#!/bin/bash
# t0200: make install puts every file in place (and make uninstall takes them away, leaving the history), systemd accepts the unit and its sysusers file, and ctrecord runs as the unit runs it (its ExecStart, capability bounding set, no new privileges, umask; reload; stop) in a namespace.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd systemd-analyze
require_cmd systemd-sysusers
require_cmd setpriv
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
P=$TMP/prefix
B=$(realpath --relative-to="$TOP" "$BIN")
# -o: the programs as built, never remade here (under make asan they have other flags)
make -s -C "$TOP" B="$B" PREFIX="$P" -o "$B/ctrecord" -o "$B/ctquery" install >"$TMP/install.out" 2>&1 ||
	{ cat "$TMP/install.out"; fail "make install failed"; }
UNIT=$P/lib/systemd/system/ctrecord.service
for f in 755:sbin/ctrecord 755:bin/ctquery 644:share/man/man8/ctrecord.8 \
	644:share/man/man1/ctquery.1 644:lib/systemd/system/ctrecord.service \
	644:lib/sysusers.d/ctrecord.conf; do
	m=$(stat -c %a "$P/${f#*:}" 2>/dev/null) || fail "make install did not install ${f#*:}"
	[ "$m" = "${f%%:*}" ] || fail "${f#*:} is mode $m, not ${f%%:*}"
done
"$P/sbin/ctrecord" --version >/dev/null && "$P/bin/ctquery" --version >/dev/null ||
	fail "the installed programs do not run"

# systemd's own checks: the directives, the paths (ExecStart must be the
# installed program), the sandbox's exposure, the user the sysusers file makes.
systemd-analyze verify --man=no "$UNIT" >"$TMP/verify" 2>&1 || { cat "$TMP/verify"; fail "systemd-analyze verify rejects the unit"; }
exposure=$(systemd-analyze security --offline=yes "$UNIT" 2>/dev/null |
	sed -n 's/.*Overall exposure level for ctrecord.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "systemd-analyze security gave no exposure level"
awk -v e="$exposure" 'BEGIN { exit !(e < 5.0) }' || fail "the unit's exposure level is $exposure (at most 5.0 expected)"
mkdir -p "$TMP/sysroot/etc"
systemd-sysusers --root="$TMP/sysroot" "$P/lib/sysusers.d/ctrecord.conf" >/dev/null 2>&1 ||
	fail "systemd-sysusers rejects the sysusers file"
grep -q '^ctrecord:x:[0-9]*:[0-9]*:.*:/var/lib/ctrecord:/usr/sbin/nologin$' "$TMP/sysroot/etc/passwd" ||
	fail "systemd-sysusers made no ctrecord user: $(cat "$TMP/sysroot/etc/passwd")"
say "installed: modes right; systemd-analyze verify passes, exposure $exposure; sysusers makes the user"

# The unit's ExecStart, as systemd would run it, with our namespace's state
# directory for /var/lib/ctrecord and nobody for the ctrecord user (made as
# systemd makes StateDirectory: root, the service's group, 0770).
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
exec_reload=$(sed -n 's/^ExecReload=//p' "$UNIT")
caps=$(unit_bounding "$UNIT")
umask_unit=$(sed -n 's/^UMask=//p' "$UNIT")
grep -qx 'NoNewPrivileges=yes' "$UNIT" || fail "the unit no longer sets NoNewPrivileges (update this test)"
grep -qx 'KillSignal=SIGTERM' "$UNIT" || fail "the unit no longer stops with SIGTERM (update this test)"
[ "${exec_start%% *}" = "$P/sbin/ctrecord" ] || fail "ExecStart runs '${exec_start%% *}', not the installed ctrecord"
STATE=$TMP/state
unit_state_dir "$STATE"
# shellcheck disable=SC2086
set -- ${exec_start//\/var\/lib\/ctrecord/$STATE}
args=("$@")
for i in "${!args[@]}"; do [ "${args[$i]}" = ctrecord ] && [ "${args[$((i - 1))]}" = --user ] && args[$i]=nobody; done

netns_setup
netns_long_udp 300
umask "$umask_unit"
start_bg rec setpriv --bounding-set=-all,"$caps" --inh-caps=-all --no-new-privs "${args[@]}" 2>>"$TMP/rec.err"
umask 022
wait_for_line "$TMP/rec.err" '^ctrecord: listening' 10 || fail "ctrecord did not start as the unit runs it: $(cat "$TMP/rec.err")"
eval "MAINPID=\$PID_rec"
# What the recorder keeps after --user: nothing (t1300 checks the helper).
[ "$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$MAINPID/status")" = 0000000000000000 ] ||
	fail "ctrecord keeps capabilities: $(grep ^Cap "/proc/$MAINPID/status")"
[ "$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$MAINPID/status")" = "$(id -u nobody)" ] ||
	fail "ctrecord did not switch to nobody"
[ "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' "/proc/$MAINPID/status")" = 1 ] || fail "ctrecord runs without no_new_privs"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7600 20 >/dev/null
wait_until 10 eval "[ \$('$P/bin/ctquery' --db '$STATE/flows.db' list -p udp --dport 7600 | grep -c 7600) = 20 ]" ||
	fail "the 20 flows were not recorded: $(cat "$TMP/rec.err")"
for f in flows.db flows.db-wal flows.db-shm; do
	m=$(stat -c %a:%U "$STATE/$f")
	[ "$m" = 640:nobody ] || fail "$f is $m, not 640:nobody"
done

# ExecReload after a rotation: a new file starts with the live flows, which
# takes a table dump from the helper that kept CAP_NET_ADMIN.
mkdir "$STATE/old"
mv "$STATE"/flows.db* "$STATE/old/"
eval "$exec_reload"
wait_until 10 eval "[ \$(grep -c 'reopened' '$TMP/rec.err') = 1 ]" || fail "no reopen after ExecReload: $(cat "$TMP/rec.err")"
wait_until 10 eval "[ \"\$('$P/bin/ctquery' --db '$STATE/flows.db' list -p udp --dport 7600 2>/dev/null | grep -c 7600)\" = 20 ]" ||
	fail "the new file does not have the 20 live flows: $(cat "$TMP/rec.err")"
stop_bg rec TERM 30 || fail "ctrecord did not stop within the unit's TimeoutStopSec"
[ "$BG_STATUS" = 0 ] || fail "ctrecord exited $BG_STATUS on the unit's KillSignal: $(cat "$TMP/rec.err")"
say "run as the unit runs it (bounding set $caps, no_new_privs, umask $umask_unit): recorded, reopened with the live flows after ExecReload, stopped with status 0"

# make uninstall: the files install put in place are gone; the history stays.
make -s -C "$TOP" B="$B" PREFIX="$P" uninstall >"$TMP/uninstall.out" 2>&1 ||
	{ cat "$TMP/uninstall.out"; fail "make uninstall failed"; }
left=$(find "$P" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
[ -s "$STATE/flows.db" ] || fail "make uninstall took the history"
say "make uninstall removed the six files, not the history"
