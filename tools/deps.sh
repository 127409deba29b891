#!/bin/sh
# deps.sh - install the Debian packages mailsentry's build and tests need, if missing.
# Runs apt-get only when something is absent, so repeated builds stay quick.
set -e
PKGS="gcc make cmake ninja-build pkg-config zlib1g-dev libbz2-dev liblzma-dev libzstd-dev
      libcmocka-dev libevent-dev libsqlite3-dev libjansson-dev libcurl4-openssl-dev libhiredis-dev gzip bzip2 xz-utils zstd clang libclang-rt-14-dev python3 tor-geoipdb"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: not root; install these packages and run make again:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing
