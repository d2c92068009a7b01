#!/bin/bash
# t0210: ctrecord records, reopens after a rotation and stops under ctrecord.service's sandbox, built here without systemd: file system read-only but for the state directory, /proc/sys read-only, /home and /root empty, only AF_UNIX and AF_NETLINK sockets, no memory both writable and executable, native system calls, no_new_privs, the unit's bounding set and user.
#
# What systemd does for ProtectSystem=strict, ProtectKernelTunables=,
# ProtectHome=, RestrictAddressFamilies=, MemoryDenyWriteExecute= and
# SystemCallArchitectures= is built from a mount namespace (unshare -m, then
# read-only remounts) and tests/tools/sandbox.c (seccomp, PR_SET_MDWE); the
# test first checks that each limit bites.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd unshare setpriv findmnt
require_built ctrecord ctquery trafficgen sandbox
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
UNIT=$TOP/contrib/ctrecord.service
for d in ProtectSystem=strict ProtectHome=yes ProtectKernelTunables=yes \
    'RestrictAddressFamilies=AF_NETLINK AF_UNIX' MemoryDenyWriteExecute=yes \
    SystemCallArchitectures=native NoNewPrivileges=yes; do
	grep -qx "$d" "$UNIT" || fail "the unit no longer says $d (update this test)"
done
rc=0
"$BIN/sandbox" -- "$BIN/sandbox" --check 2>"$TMP/check.err" || rc=$?
[ "$rc" = 77 ] && skip "this kernel cannot apply the limits: $(cat "$TMP/check.err")"
[ "$rc" = 0 ] || fail "the limits do not hold under sandbox: $(cat "$TMP/check.err")"
! "$BIN/sandbox" --check 2>/dev/null || fail "sandbox --check passes without the limits: it checks nothing"

STATE=$TMP/state
unit_state_dir "$STATE"
# protect STATE CMD...: in a mount namespace of its own, every mount read-only
# but STATE (and /proc, /sys, /dev), /proc/sys read-only, /home and /root
# empty; then CMD.
cat >"$TMP/protect.sh" <<'EOF'
#!/bin/sh
set -e
state=$1; shift
mount --make-rprivate /
mount --bind "$state" "$state"
findmnt -rn -o TARGET | while read -r m; do
	case $m in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|"$state") continue ;; esac
	mount -o remount,bind,ro "$m" 2>/dev/null || true
done
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
for d in /home /root; do
	[ -d "$d" ] && mount -t tmpfs -o mode=000,size=4k tmpfs "$d"
done
exec "$@"
EOF
protect() { in_ns unshare -m sh "$TMP/protect.sh" "$STATE" "$@"; }

netns_setup
netns_long_udp 300
# The emulation must bite, or the run below proves nothing.
protect touch "$STATE/probe" || fail "the state directory is not writable"
rm -f "$STATE/probe"
! protect touch /var/tmp/t0210.probe 2>/dev/null ||
	{ rm -f /var/tmp/t0210.probe; fail "/var/tmp is writable: ProtectSystem=strict not emulated"; }
! protect sh -c 'cat /proc/sys/net/netfilter/nf_conntrack_acct >/proc/sys/net/netfilter/nf_conntrack_acct' 2>/dev/null ||
	fail "/proc/sys is writable: ProtectKernelTunables not emulated"
[ -z "$(ls -A /root)" ] || [ -z "$(protect ls -A /root)" ] || fail "/root shows its files: ProtectHome not emulated"
say "emulated: read-only file system but the state directory, /proc/sys read-only, /root empty; sockets and W+X memory limited"

caps=$(unit_bounding "$UNIT")
umask "$(sed -n 's/^UMask=//p' "$UNIT")"
start_bg rec unshare -m sh "$TMP/protect.sh" "$STATE" \
	setpriv --bounding-set=-all,"$caps" --inh-caps=-all --no-new-privs \
	"$BIN/sandbox" -- "$BIN/ctrecord" --db "$STATE/flows.db" --user nobody 2>>"$TMP/rec.err"
umask 022
wait_for_line "$TMP/rec.err" '^ctrecord: listening' 10 || fail "ctrecord did not start in the sandbox: $(cat "$TMP/rec.err")"
eval "MAINPID=\$PID_rec"
[ "$(sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$MAINPID/status")" = 2 ] ||
	fail "ctrecord runs without the seccomp filter: $(grep -E '^(Seccomp|NoNewPrivs)' "/proc/$MAINPID/status")"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7600 20 >/dev/null
wait_until 10 eval "[ \$('$BIN/ctquery' --db '$STATE/flows.db' list -p udp --dport 7600 | grep -c 7600) = 20 ]" ||
	fail "the 20 flows were not recorded: $(cat "$TMP/rec.err")"

# A rotation: the reopened file starts with a table dump, made by the helper
# that kept CAP_NET_ADMIN (a netlink socket, a Unix socket to the recorder).
mkdir "$STATE/old"
mv "$STATE"/flows.db* "$STATE/old/"
kill -HUP "$MAINPID"
wait_until 10 eval "[ \$(grep -c 'reopened' '$TMP/rec.err') = 1 ]" || fail "no reopen after SIGHUP: $(cat "$TMP/rec.err")"
wait_until 10 eval "[ \"\$('$BIN/ctquery' --db '$STATE/flows.db' list -p udp --dport 7600 2>/dev/null | grep -c 7600)\" = 20 ]" ||
	fail "the new file does not have the 20 live flows: $(cat "$TMP/rec.err")"
stop_bg rec TERM 30 || fail "ctrecord did not stop on SIGTERM"
[ "$BG_STATUS" = 0 ] || fail "ctrecord exited $BG_STATUS in the sandbox: $(cat "$TMP/rec.err")"
! grep -q 'error' "$TMP/rec.err" || fail "ctrecord reported an error in the sandbox: $(grep error "$TMP/rec.err")"
say "in the sandbox: recorded 20 flows, reopened with them after a rotation, stopped with status 0"
exit 0
