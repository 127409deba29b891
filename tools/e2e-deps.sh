#!/bin/sh
# e2e-deps.sh - install the Debian packages the end-to-end tests (tests/e2e/)
# need, if missing: a real Postfix (with smtp-sink), Dovecot (SASL + IMAP),
# swaks, pytest and iproute2 (ip netns); multilog and tcpserver (daemontools,
# ucspi-tcp) for the qmail tests, curl for the HTTP ones, redis-server for
# fleet mode. Non-interactive: Postfix is installed
# with "No configuration", so no system main.cf is written. On Debian
# images whose /usr/sbin/policy-rc.d exits 101 the system Postfix/Dovecot are
# never started; elsewhere, stop the system instances (ports 25/143) yourself.
# The harness never uses /etc/postfix or /etc/dovecot.
set -e
PKGS="postfix dovecot-core dovecot-imapd swaks python3 python3-pytest iproute2 daemontools ucspi-tcp curl redis-server"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "e2e-deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "e2e-deps: not root; install these packages and run again:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
