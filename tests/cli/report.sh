#!/bin/sh
# report.sh - `mailsentry report` as a user runs it: options, exit codes,
# text and JSON on a small log (documentation addresses only).
# Usage: report.sh path/to/mailsentry. Exit 77 (skip) when the parsers do
# not yet turn the sample log into events.
set -u
. "$(dirname "$0")/lib/common.sh"

json_ok() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -m json.tool "$1" >/dev/null || fail "not valid JSON: $1"
	fi
}

# Options and exit codes: these need no parser.
want 0 "$MS" report --help
grep -q 'score = ' "$T/out" || fail "--help does not document the score"
want 2 "$MS" report
want 2 "$MS" report --format=xml /dev/null
want 2 "$MS" report --top 101 /dev/null
want 2 "$MS" report --limit -1 /dev/null
want 2 "$MS" report --timeline-hours 0 /dev/null
want 2 "$MS" report "$T/does-not-exist"
grep -q 'does-not-exist' "$T/err" || fail "missing file not named on stderr"

# No events: still a report, and one valid JSON document.
want 0 "$MS" report /dev/null
grep -q 'no events' "$T/out" || fail "empty input: no 'no events' line"
want 0 "$MS" report --format=json /dev/null
json_ok "$T/out"
grep -q '"accounts":\[\]' "$T/out" || fail "empty input: accounts not []"

# Incident 1 in miniature: qmail + vpopmail, one account, mixed case.
cat >"$T/mail.log" <<'EOF'
Jul 22 09:52:50 mx vpopmail[17115]: vchkpw-submission: (PLAIN) login success hello@example.com:192.0.2.27
Jul 22 09:52:57 mx qmail: 1374486777.611077 info msg 90219: bytes 1364 from <hello@example.com> qp 17121 uid 103
Jul 22 09:52:57 mx qmail: 1374486777.638528 starting delivery 77421: msg 90219 to remote rcpt@example.net
Jul 22 09:52:58 mx qmail: 1374486778.700000 delivery 77421: failure: Sorry,_no_mailbox_here_by_that_name./
Jul 22 10:20:01 mx vpopmail[17200]: vchkpw-submission: (PLAIN) login success Hello@Example.com:2001:db8:5::1
Jul 22 10:25:01 mx vpopmail[32749]: vchkpw-submission: password fail hello@example.com:198.51.100.32
Jul 22 10:26:01 mx vpopmail[32750]: vchkpw-pop3: password fail other@example.org:203.0.113.5
EOF
if [ -z "$("$MS" events --year 2013 "$T/mail.log" 2>/dev/null)" ]; then
	echo "FAIL: mailsentry events finds no events in the sample log"
	exit 1
fi

want 0 "$MS" report --year 2013 --format=json "$T/mail.log"
json_ok "$T/out"
grep -q '"report":"mailsentry-report"' "$T/out" || fail "json: no report tag"
grep -q '"key":"hello@example.com"' "$T/out" || fail "json: hello@example.com missing"

want 0 "$MS" report --year 2013 "$T/mail.log"
grep -q '^ACCOUNT ' "$T/out" || fail "text: no table header"
awk 'length($0) > 80 { bad = 1 } END { exit bad }' "$T/out" || fail "text: line over 80 columns"
[ "$(grep -ci '^hello@example\.com  *[0-9]' "$T/out")" -eq 1 ] || fail "text: account not grouped once"

want 0 "$MS" report --year 2013 --account HELLO@example.com "$T/mail.log"
grep -q 'timeline, UTC' "$T/out" || fail "--account: no timeline"
grep -q 'other@example.org' "$T/out" && fail "--account: shows another account"

want 0 "$MS" report --year 2013 --account nobody@example.com "$T/mail.log"
grep -q 'nobody@example.com' "$T/err" || fail "--account: unknown account not said"

[ "$fails" -eq 0 ] || exit 1
echo "ok"
