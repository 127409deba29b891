#!/bin/sh
# secrets.sh - a password written to the log never leaves mailsentry.
# vpopmail at log levels 3-4 logs the password that was tried, unescaped:
# "vchkpw-smtp: password fail (pass: 'S3cr3t pw') user@example.com:192.0.2.8".
# Whatever the password holds (spaces, quotes, "') ", colons, @, an address
# and IP of its own, a backslash) and however the line is broken (an invalid
# IP, cut short, over-long, more than 400 bytes with a quote inside the
# password), no output of mailsentry contains it: events on stdout, report
# text and JSON, --verbose samples on stderr, error messages. The
# well-formed lines still give their auth_failure event, for the right
# account and IP, and a password shaped like "user@host:ip" gives no event
# of its own.
# Usage: sh tests/cli/secrets.sh path/to/mailsentry. Documentation
# addresses only. Exit 77 (skip) when the sample line gives no event yet.
set -u
. "$(dirname "$0")/lib/common.sh"

# One password a line. Every run of letters and digits that could leak
# alone carries the marker QZJ (or is S3cr3t), so a fragment is found too.
cat >"$T/passwords" <<'EOF'
S3cr3t pw
QZJ1'QZJ2
QZJ3') QZJ4
QZJ5:192.0.2.77
QZJ6@example.com:QZJ7
QZJ8') evil@example.com:192.0.2.66
QZJ9 "QZJ10"
QZJ11'
'QZJ12
QZJ13\QZJ14
QZJ15 (pass: 'QZJ16') x
QZJ17,QZJ18 password=QZJ19
EOF
# More than 400 bytes, with a quote, and with "') ", inside: the --verbose
# sample of a line is cut, and must not be cut before it is redacted.
awk 'BEGIN { q = sprintf("%c", 39)
	s = "QZJ20"; for (i = 0; i < 60; i++) s = s "QZJ2x"; s = s q "QZJ21"
	for (i = 0; i < 60; i++) s = s "QZJ2y"; print s
	s = "QZJ22"; for (i = 0; i < 60; i++) s = s "QZJ2z"; s = s q ") QZJ23"
	for (i = 0; i < 60; i++) s = s "QZJ2w"; print s }' >>"$T/passwords"

# all_outputs LOG: every output of mailsentry on LOG, concatenated, in
# $T/all; events stdout of the plain run in $T/events.
all_outputs() {
	log=$1
	acct=$2
	: >"$T/all"
	for args in "events --year 2013" "events --verbose --year 2013" "events --verbose" \
		    "report --year 2013" "report --verbose --year 2013" \
		    "report --format=json --verbose --year 2013" \
		    "report --account $acct --year 2013" "report --account $acct --format=json --year 2013"; do
		# shellcheck disable=SC2086
		"$MS" $args "$log" >"$T/o" 2>"$T/e"
		rc=$?
		[ "$rc" -eq 0 ] || fail "mailsentry $args: exit $rc"
		cat "$T/o" "$T/e" >>"$T/all"
		case $args in
		"events --year 2013") cp "$T/o" "$T/events" ;;
		"events --verbose --year 2013") cp "$T/e" "$T/verbose" ;;
		esac
	done
	# From standard input too.
	"$MS" events --verbose --year 2013 - <"$log" >>"$T/all" 2>&1
	# A truncated gzip of the log: an error message.
	gzip -n -c <"$log" >"$T/z.gz"
	size=$(wc -c <"$T/z.gz")
	head -c $((size - 12)) "$T/z.gz" >"$T/trunc.gz"
	"$MS" events --verbose --year 2013 "$T/trunc.gz" >"$T/o" 2>"$T/e"
	rc=$?
	[ "$rc" -eq 2 ] || fail "truncated gzip: exit $rc, wanted 2"
	cat "$T/o" "$T/e" >>"$T/all"
}

i=0
total_events=0
while IFS= read -r pw; do
	i=$((i + 1))
	log="$T/pw$i.log"
	line="Jul 22 10:00:01 mx vpopmail[$i]: vchkpw-smtp: password fail (pass: '$pw') user$i@example.com:192.0.2.$i"
	{
		# well-formed: an event
		printf '%s\n' "$line"
		# an invalid IP: skipped as malformed, sampled by --verbose
		printf '%s\n' "${line%:*}:192.0.2.999"
		# cut short after the password: skipped
		printf "%s\n" "Jul 22 10:00:02 mx vpopmail[$i]: vchkpw-smtp: password fail (pass: '$pw')"
		# cut inside the password (after its last byte). Not when the
		# password holds "') ": the line could then be a whole one.
		case $pw in
		*"') "*) ;;
		*) printf "%s\n" "Jul 22 10:00:03 mx vpopmail[$i]: vchkpw-smtp: password fail (pass: '$pw" ;;
		esac
		# over-long: the account padded past any line limit
		printf "%s" "Jul 22 10:00:04 mx vpopmail[$i]: vchkpw-pop3: password fail (pass: '$pw') user$i"
		awk 'BEGIN { for (i = 0; i < 2000; i++) printf "padding"; print "@example.com:192.0.2.1" }'
		# the same with the IMAP service and IPv6, well-formed: an event
		printf '%s\n' "Jul 22 10:00:05 mx vpopmail[$i]: vchkpw-imap: password fail (pass: '$pw') user$i@example.com:2001:db8::$i"
	} >"$log"
	all_outputs "$log" "user$i@example.com"
	if [ "$i" -eq 1 ] && [ ! -s "$T/events" ]; then
		echo "FAIL: no event from the vpopmail password line"
		exit 1
	fi
	if grep -qF -- "$pw" "$T/all"; then
		fail "password $i leaked: $(grep -F -- "$pw" "$T/all" | head -n 1 | cut -c1-300)"
	elif grep -q 'QZJ\|S3cr3t' "$T/all"; then
		fail "part of password $i leaked: $(grep -o '.\{0,60\}\(QZJ\|S3cr3t\).\{0,20\}' "$T/all" | head -n 3)"
	else
		ok "password $i appears in no output"
	fi
	# The events: two auth_failure, right account, right IPs, nothing else.
	n=$(grep -c '"type":"auth_failure"' "$T/events")
	n1=$(grep -c "\"type\":\"auth_failure\".*\"account\":\"user$i@example.com\",\"ip\":\"192.0.2.$i\"" "$T/events")
	n2=$(grep -c "\"type\":\"auth_failure\".*\"account\":\"user$i@example.com\",\"ip\":\"2001:db8::$i\"" "$T/events")
	if [ "$n" -eq 2 ] && [ "$n1" -eq 1 ] && [ "$n2" -eq 1 ] && [ "$(wc -l <"$T/events")" -eq 2 ]; then
		ok "password $i: both well-formed lines give their auth_failure"
	else
		fail "password $i: events: $(cat "$T/events")"
	fi
	grep -q 'evil@example\.com\|192\.0\.2\.66\|192\.0\.2\.77' "$T/all" &&
		fail "password $i: text from inside the password became data"
	# The broken lines were sampled (so the check above covered them).
	[ "$(grep -c 'skipped (' "$T/verbose")" -ge 3 ] ||
		fail "password $i: --verbose sampled fewer than 3 skipped lines: $(cat "$T/verbose")"
	total_events=$((total_events + 2))
done <"$T/passwords"
[ "$i" -eq 14 ] || fail "read $i passwords, wanted 14"

# All the logs at once, in one report: still no password, all events.
cat "$T"/pw*.log >"$T/all.log"
"$MS" events --year 2013 "$T/all.log" >"$T/o" 2>&1
[ "$(grep -c '"type":"auth_failure"' "$T/o")" -eq "$total_events" ] ||
	fail "all logs: $(grep -c auth_failure "$T/o") auth_failure events, wanted $total_events"
"$MS" report --format=json --limit 0 --year 2013 "$T/all.log" >>"$T/o" 2>&1
"$MS" report --limit 0 --top 100 --verbose --year 2013 "$T/all.log" >>"$T/o" 2>&1
grep -q 'QZJ\|S3cr3t' "$T/o" && fail "all logs: a password leaked into events or report"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok"
