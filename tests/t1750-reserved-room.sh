#!/bin/bash
# t1750: a recorder run as root on a file system that df calls full but whose reserved blocks root may use (ext4's -m): the -wal is checkpointed as usual, not emptied at every commit as on a disk short of room (the room was read as a user's).
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd mkfs.ext4 mount umount su sqlite3
require_built ctrecord trafficgen
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
netns_setup
netns_long_udp

# 16 MiB of ext4, half of it reserved for root; a user fills the rest.
EXT=$TMP/ext
truncate -s 16M "$TMP/ext.img"
mkfs.ext4 -q -m 50 "$TMP/ext.img" || skip "mkfs.ext4 failed"
mkdir "$EXT"
mount -o loop "$TMP/ext.img" "$EXT" || skip "cannot mount a loop device"
trap 'rc=$?; umount "$EXT" 2>/dev/null; cleanup "$rc"' EXIT
chmod 0755 "$TMP"
chmod 0777 "$EXT"
su -s /bin/sh nobody -c "dd if=/dev/zero of='$EXT/fill' bs=64k" 2>/dev/null || true
say "$(stat -f -c 'free to a user: %a, to root: %f blocks of %S bytes' "$EXT")"

DB=$EXT/flows.db
start_recorder rec "$TMP/rec.err" --db "$DB"
in_ns "$BIN/trafficgen" -S udp 127.0.0.1 7751 1000 >/dev/null
wait_until 20 eval "[ \$(count_events '$DB' 2) = 1000 ]" || fail "the flows were not recorded"
sleep 2	# (the fold after a second without events: a commit with no reader)
wal=$(stat -c %s "$DB-wal")
say "-wal: $wal bytes"
[ "$wal" -gt 0 ] || fail "the -wal was emptied at each commit, with $(stat -f -c %f "$EXT") blocks free to root"
stop_recorder rec
