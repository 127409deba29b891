#!/bin/sh
# authpol.sh - the Dovecot auth policy service of `mailsentry serve`, over
# HTTP as Dovecot talks to it (curl, 127.0.0.1 only, a private state_dir):
# a normal login is allowed; `mailsentry lock` refuses the account (-1);
# the API header is enforced (401 without it, 403 with another value); a
# malformed body gets 400 and the daemon still answers; reports are counted
# in /metrics and reach the detectors: logins from new networks lock the
# account and mark its password hash leaked, which is refused afterwards -
# after the unlock and after a restart too - while a new password passes;
# failures from one IP make a brute_force finding and its IP is refused;
# shadow mode answers 0 and counts what it would have refused; requests on
# one connection stay on it (keep-alive).
# Usage: sh tests/cli/authpol.sh path/to/mailsentry. Exit 77 (skip) without
# curl.
set -u
. "$(dirname "$0")/lib/common.sh"

command -v curl >/dev/null || { echo "SKIP: curl is needed"; exit 77; }
TOKEN="Bearer t0k-$$"
PORT=
PID=

stop() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	PID=
	# under ASan/UBSan (make asan) the daemon's own report at exit
	if grep -q "Sanitizer\|runtime error" "$T/serve.out" 2>/dev/null; then
		fail "sanitizer: $(cat "$T/serve.out")"
	fi
}
trap 'stop; rm -rf "$T"' EXIT

# start [-o ...]: serve on a free port of 127.0.0.1 (another is tried when
# one is taken), metrics on a unix socket.
start() {
	tries=0
	while :; do
		tries=$((tries + 1))
		PORT=$((20000 + ($$ * 7 + tries * 7919 + $(date +%N | sed 's/^0*//;s/^$/0/')) % 40000))
		"$MS" serve -o state_dir="$T/state" -o policy_listen= \
			-o "authpolicy_listen=inet:127.0.0.1:$PORT" \
			-o "metrics_listen=unix:$T/metrics.sock" -o geoip_file= -o geoip6_file= \
			-o "authpolicy_api_header=Authorization: $TOKEN" "$@" >"$T/serve.out" 2>&1 &
		PID=$!
		i=0
		while ! grep -q "ready:" "$T/serve.out" 2>/dev/null; do
			if ! kill -0 "$PID" 2>/dev/null; then
				wait "$PID" 2>/dev/null
				PID=
				break
			fi
			i=$((i + 1))
			[ $i -gt 150 ] && { fail "serve did not start: $(cat "$T/serve.out")"; exit 1; }
			sleep 0.1
		done
		[ -n "$PID" ] && return 0
		grep -q "cannot listen" "$T/serve.out" && [ $tries -lt 10 ] && continue
		fail "serve did not start: $(cat "$T/serve.out")"
		exit 1
	done
}

# post COMMAND JSON [curl args]: the answer body in $T/body, the HTTP code
# printed.
post() {
	cmd=$1
	body=$2
	shift 2
	curl -s --noproxy '*' --max-time 5 -o "$T/body" -w '%{http_code}' \
		-H "Authorization: $TOKEN" -H 'Content-Type: application/json' "$@" \
		--data-binary "$body" "http://127.0.0.1:$PORT/policy?command=$cmd"
}

# allow LOGIN PWHASH IP: prints "HTTP-code body"
allow() {
	code=$(post allow "{\"login\":\"$1\",\"pwhash\":\"$2\",\"remote\":\"$3\",\"protocol\":\"imap\",\"device_id\":\"\",\"session_id\":\"\",\"tls\":false}")
	echo "$code $(cat "$T/body")"
}

# report LOGIN PWHASH IP true|false
report() {
	code=$(post report "{\"login\":\"$1\",\"pwhash\":\"$2\",\"remote\":\"$3\",\"protocol\":\"submission\",\"success\":$4,\"policy_reject\":false}")
	[ "$code" = 200 ] || fail "report $*: HTTP $code"
}

metrics() {
	curl -s --max-time 5 --unix-socket "$T/metrics.sock" http://localhost/metrics
}

expect() {	# WHAT GOT WANT
	[ "$2" = "$3" ] && ok "$1" || fail "$1: got '$2', wanted '$3'"
}

ALLOWED='200 {"status":0,"msg":""}'
LOCKED='200 {"status":-1,"msg":"account locked"}'
LEAKED='200 {"status":-1,"msg":"password no longer valid"}'
BLOCKED='200 {"status":-1,"msg":"address blocked"}'

# Account compromise from 3 new networks; brute force from 3 failures.
start -o compromise_networks=3 -o brute_force_failures=3 -o brute_force_per_account=1

expect "a normal login is allowed" "$(allow alice@example.org 0428 192.0.2.9)" "$ALLOWED"

# ---- lock by hand
"$MS" lock bob@example.org -o state_dir="$T/state" >"$T/out" 2>&1 || fail "lock: $(cat "$T/out")"
expect "a locked account is refused" "$(allow Bob@Example.org 0428 192.0.2.9)" "$LOCKED"
expect "others still pass" "$(allow alice@example.org 0428 192.0.2.9)" "$ALLOWED"
"$MS" unlock bob@example.org -o state_dir="$T/state" >"$T/out" 2>&1 || fail "unlock: $(cat "$T/out")"
expect "unlocked, it passes again" "$(allow bob@example.org 0428 192.0.2.9)" "$ALLOWED"

# ---- the API header
code=$(curl -s --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' --data-binary '{}' \
	"http://127.0.0.1:$PORT/policy?command=allow")
expect "without the API header: 401" "$code" 401
code=$(curl -s --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' --data-binary '{}' \
	-H "Authorization: Bearer wrong" "http://127.0.0.1:$PORT/policy?command=allow")
expect "with another value: 403" "$code" 403
code=$(curl -s --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' --data-binary '{}' \
	-H "Authorization: ${TOKEN}x" "http://127.0.0.1:$PORT/policy?command=allow")
expect "with the value and more: 403" "$code" 403
code=$(post allow '{}' -H "Authorization: Bearer wrong")
expect "with the value and another one: 403" "$code" 403

# ---- malformed requests, and the daemon goes on
expect "broken JSON: 400" "$(post allow '{"login":')" 400
expect "a number as login: 400" "$(post allow '{"login":5}')" 400
expect "no command: 400" "$(curl -s --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' \
	-H "Authorization: $TOKEN" --data-binary '{}' "http://127.0.0.1:$PORT/policy")" 400
expect "a report without success: 400" "$(post report '{"login":"a"}')" 400
expect "GET: 501 (evhttp's answer to a method not allowed)" "$(curl -s --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' \
	-H "Authorization: $TOKEN" "http://127.0.0.1:$PORT/policy?command=allow")" 501
awk 'BEGIN { printf "{\"device_id\":\""; for (i = 0; i < 17000; i++) printf "x"; printf "\"}" }' \
	>"$T/big.json"
expect "a body over 16 KiB: 413" "$(curl -s --noproxy '*' --max-time 5 -o /dev/null \
	-w '%{http_code}' -H "Authorization: $TOKEN" --data-binary @"$T/big.json" \
	"http://127.0.0.1:$PORT/policy?command=allow")" 413
expect "the daemon still answers" "$(allow alice@example.org 0428 192.0.2.9)" "$ALLOWED"

# ---- keep-alive: two requests, one connection
n=$(curl -s --noproxy '*' --max-time 5 -H "Authorization: $TOKEN" -o /dev/null -o /dev/null \
	-w '%{num_connects}\n' --data-binary '{"login":"a@example.org"}' \
	"http://127.0.0.1:$PORT/policy?command=allow" "http://127.0.0.1:$PORT/policy?command=allow" |
	tr '\n' ' ')
expect "two requests on one connection" "$n" "1 0 "

# ---- reports into the detectors: incident 1
report hello@example.com a1b2c3d4 192.0.2.10 true	# home
report hello@example.com a1b2c3d4 192.0.2.11 true
report hello@example.com ffff0000 198.51.100.3 false	# a failure teaches no hash
report hello@example.com a1b2c3d4 198.51.100.1 true	# the botnet
report hello@example.com a1b2c3d4 203.0.113.1 true
report hello@example.com a1b2c3d4 2001:db8::1 true
i=0
until grep -q "lock account hello@example.com" "$T/serve.out"; do
	i=$((i + 1))
	[ $i -gt 30 ] && { fail "no lock after logins from 3 networks: $(cat "$T/serve.out")"; break; }
	sleep 0.1
done
grep -q "mark leaked password account hello@example.com: 1 password hash" "$T/serve.out" ||
	fail "the password hash was not marked leaked: $(grep -i leak "$T/serve.out")"
expect "the locked account's old password: refused as leaked" \
	"$(allow hello@example.com a1b2c3d4 203.0.113.50)" "$LEAKED"
expect "the locked account with another password: locked" \
	"$(allow hello@example.com 12345678 192.0.2.10)" "$LOCKED"
"$MS" unlock hello@example.com -o state_dir="$T/state" >"$T/out" 2>&1 ||
	fail "unlock: $(cat "$T/out")"
expect "after the unlock the old password is still refused" \
	"$(allow hello@example.com A1B2C3D4 203.0.113.51)" "$LEAKED"
expect "the new password passes" "$(allow hello@example.com 12345678 192.0.2.10)" "$ALLOWED"

# ---- brute force from one IP
for u in carol dave erin; do
	report "$u@example.org" 0000aaaa 203.0.113.66 false
done
i=0
until grep -q "finding brute_force" "$T/serve.out"; do
	i=$((i + 1))
	[ $i -gt 30 ] && { fail "no brute_force finding: $(cat "$T/serve.out")"; break; }
	sleep 0.1
done
expect "the brute-force IP is refused" "$(allow frank@example.org 1111 203.0.113.66)" "$BLOCKED"
expect "another IP is not" "$(allow frank@example.org 1111 203.0.113.67)" "$ALLOWED"

# ---- metrics
metrics >"$T/m"
for want in 'mailsentry_authpolicy_requests_total{command="report"} 10' \
	'mailsentry_authpolicy_answers_total{verdict="locked"} 2' \
	'mailsentry_authpolicy_answers_total{verdict="leaked"} 2' \
	'mailsentry_authpolicy_answers_total{verdict="ip"} 1' \
	'mailsentry_authpolicy_events_total{type="auth_success"} 5' \
	'mailsentry_authpolicy_events_total{type="auth_failure"} 6' \
	'mailsentry_authpolicy_bad_requests_total 4' \
	'mailsentry_authpolicy_unauthorized_total 4' \
	'mailsentry_authpolicy_leaked_accounts 1' \
	'mailsentry_authpolicy_refused_ips 1'; do
	grep -qxF "$want" "$T/m" || fail "metrics: no line '$want': $(grep authpolicy "$T/m")"
done
grep -q 'audit\|refuse' "$T/serve.out" || fail "nothing audited"
stop

# ---- a restart: the leaked hash and the brute-force IP are still refused
start
expect "after a restart the old password is still refused" \
	"$(allow hello@example.com a1b2c3d4 203.0.113.53)" "$LEAKED"
grep -q "leaked password hashes of 1 account(s) loaded" "$T/serve.out" ||
	fail "no load message: $(cat "$T/serve.out")"
expect "after a restart the brute-force IP is still refused" \
	"$(allow frank@example.org 1111 203.0.113.66)" "$BLOCKED"
grep -q "1 attacking IP(s) refused again" "$T/serve.out" ||
	fail "no reload of the refused IPs: $(cat "$T/serve.out")"
stop

# ---- shadow mode: answers 0, counts what it would have done
start -o shadow=yes
"$MS" lock bob@example.org -o state_dir="$T/state" >"$T/out" 2>&1 || fail "lock: $(cat "$T/out")"
expect "shadow: a locked account passes" "$(allow bob@example.org 0428 192.0.2.9)" "$ALLOWED"
expect "shadow: a leaked password passes" "$(allow hello@example.com a1b2c3d4 203.0.113.54)" \
	"$ALLOWED"
metrics >"$T/m"
grep -qxF 'mailsentry_authpolicy_shadow_would_total{verdict="locked"} 1' "$T/m" &&
	grep -qxF 'mailsentry_authpolicy_shadow_would_total{verdict="leaked"} 1' "$T/m" ||
	fail "shadow counts: $(grep shadow "$T/m")"
grep -q "shadow: would refuse login account bob@example.org" "$T/serve.out" ||
	fail "shadow audit: $(cat "$T/serve.out")"
stop

# ---- authpolicy_listen empty: off; a bad authpolicy_events refuses to start
"$MS" serve -o state_dir="$T/state" -o policy_listen= -o authpolicy_listen= \
	-o metrics_listen= -o authpolicy_events=maybe >"$T/out" 2>&1 &
p=$!
sleep 2
if kill -0 $p 2>/dev/null; then
	kill $p
	fail "authpolicy_events=maybe was accepted"
else
	wait $p
	rc=$?
	[ $rc -eq 2 ] && grep -q 'authpolicy_events: "maybe" is not auto, yes or no' "$T/out" ||
		fail "authpolicy_events=maybe: exit $rc: $(cat "$T/out")"
fi

[ $fails -eq 0 ] && exit 0
echo "$fails failure(s); the daemon said:"
cat "$T/serve.out"
exit 1
