#!/bin/sh
# e2e.sh - the end-to-end suite (tests/e2e/, pytest): real Postfix, Dovecot
# and smtp-sink from Debian, started by the tests in a private network
# namespace that holds only lo (nothing leaves the machine, not even DNS).
# See tests/e2e/README.md.
# Usage: sh tests/cli/e2e.sh [path/to/mailsentry] [pytest args...]
# The binary is handed to the tests as MS_BIN. Exit 77 (skip) when not
# root, when `ip netns` cannot create a namespace, or when the packages
# (sh tools/e2e-deps.sh) or pytest are missing.
set -u
MS=${1:-build/mailsentry}
[ $# -gt 0 ] && shift
case $MS in /*) ;; *) MS=$(pwd)/$MS ;; esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

skip() {
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" -eq 0 ] || skip "the e2e tests need root (network namespaces, Postfix, Dovecot)"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not found"
probe=ms-e2e-probe-$$
ip netns add "$probe" >/dev/null 2>&1 || skip "\`ip netns add\` does not work here"
ip netns del "$probe" >/dev/null 2>&1
for f in /usr/sbin/postfix /usr/sbin/smtp-sink /usr/sbin/dovecot /usr/lib/dovecot/imap; do
	[ -x "$f" ] || skip "$f missing: run sh tools/e2e-deps.sh (or make e2e)"
done
PY=
for p in /usr/bin/python3 python3; do
	if "$p" -c "import pytest" >/dev/null 2>&1; then
		PY=$p
		break
	fi
done
[ -n "$PY" ] || skip "python3 with pytest (python3-pytest) missing: run sh tools/e2e-deps.sh"

cd "$ROOT" || exit 1
MS_BIN=$MS PYTHONDONTWRITEBYTECODE=1 exec "$PY" -m pytest -p no:cacheprovider -rs \
	--rootdir "$ROOT/tests/e2e" "$ROOT/tests/e2e" "$@"
