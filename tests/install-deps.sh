#!/bin/sh
# Installs the Debian 12 packages that building, running and testing need (as root); "bench" adds the benchmark's peers, "fuzz" clang.
set -eu
pkgs="build-essential pkg-config libnetfilter-conntrack-dev libmnl-dev libsqlite3-dev
libxml2-dev zlib1g-dev sqlite3 conntrack nftables iproute2 iputils-ping python3
strace systemd util-linux"
case "${1:-}" in
bench) pkgs="$pkgs ulogd2 ulogd2-sqlite3" ;;
fuzz) pkgs="$pkgs clang" ;;
esac
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
