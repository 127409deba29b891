#!/bin/sh
# jobs.sh - `--jobs 2` (reading on one thread, the rest on another) gives
# exactly what `--jobs 1` gives: events, report and scan output byte for
# byte, with --explain and --verbose (standard error included), on Postfix
# and qmail logs large enough to fill the hand-over queue many times over,
# gzip and rotated files given out of order; a file that cannot be read is
# reported and the others still read, as with one thread; a bad --jobs is
# a usage error.
# Usage: sh tests/cli/jobs.sh path/to/mailsentry (msgen sits beside it).
set -u
. "$(dirname "$0")/lib/common.sh"
need_msgen
export LC_ALL=C

# same ARGS...: run mailsentry ARGS with --jobs 1 and --jobs 2; fail unless
# exit status, standard output and standard error are the same.
same() {
	"$MS" "$@" --jobs 1 >"$T/o1" 2>"$T/e1"
	r1=$?
	"$MS" "$@" --jobs 2 >"$T/o2" 2>"$T/e2"
	r2=$?
	if [ "$r1" -ne "$r2" ]; then
		fail "exit $r1 with --jobs 1, $r2 with --jobs 2: $*"
	elif ! cmp -s "$T/o1" "$T/o2"; then
		fail "standard output differs: $*"
	elif ! cmp -s "$T/e1" "$T/e2"; then
		fail "standard error differs: $*"
	elif [ ! -s "$T/o1" ]; then
		fail "no output to compare: $*"
	else
		ok "same with --jobs 2 (exit $r1, $(wc -l <"$T/o1") lines): $*"
	fi
}

"$MSGEN" --scenario=mixed --format=postfix --lines=150000 --seed=5 -o "$T/p.log" ||
	fail "msgen postfix"
"$MSGEN" --scenario=incident1 --format=qmail --lines=150000 --seed=5 -o "$T/q.log" ||
	fail "msgen qmail"

for log in p q; do
	same events --year 2013 "$T/$log.log"
	same scan --year 2013 "$T/$log.log"
	same scan --format=json --year 2013 --verbose "$T/$log.log"
	same report --format=json --year 2013 "$T/$log.log"
	same report --year 2013 "$T/$log.log"
done

# the scan found something, and --explain of its first account is the same
"$MS" scan --format=json --year 2013 "$T/p.log" >"$T/f.json"
acct=$(sed -n 's/.*"account":"\([^"]*\)".*/\1/p' "$T/f.json" | head -1)
if [ -n "$acct" ]; then
	same scan --explain "$acct" --year 2013 "$T/p.log"
else
	fail "the mixed scenario gave no finding with an account"
fi

# rotated and compressed: p.log split in two, the older half gzipped,
# given newest first
lines=$(wc -l <"$T/p.log")
head -n $((lines / 2)) "$T/p.log" | gzip >"$T/mail.log.1.gz"
tail -n +$((lines / 2 + 1)) "$T/p.log" >"$T/mail.log"
touch -d '2013-07-01' "$T/mail.log.1.gz"
same scan --format=json --year 2013 "$T/mail.log" "$T/mail.log.1.gz"
same events --year 2013 --verbose "$T/mail.log" "$T/mail.log.1.gz"

# a missing file: said, exit 2, the other file still read
same events --year 2013 "$T/q.log" "$T/missing.log"
"$MS" events --year 2013 --jobs 2 "$T/q.log" "$T/missing.log" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -eq 2 ] || fail "missing file with --jobs 2: exit $rc, wanted 2"
grep -q "missing.log" "$T/err" || fail "missing file with --jobs 2: not named on standard error"
[ -s "$T/out" ] || fail "missing file with --jobs 2: the other file was not read"

# standard input
"$MS" scan --format=json --year 2013 --jobs 2 - <"$T/q.log" >"$T/stdin.json"
"$MS" scan --format=json --year 2013 --jobs 1 "$T/q.log" >"$T/file.json"
cmp -s "$T/stdin.json" "$T/file.json" || fail "scan --jobs 2 of standard input differs"

for bad in 0 x -1 1025 ""; do
	for cmd in events scan report; do
		want 2 "$MS" "$cmd" --jobs "$bad" "$T/q.log"
		grep -q -- "--jobs" "$T/err" || fail "$cmd --jobs '$bad': the error does not name --jobs"
	done
done
ok "bad --jobs values refused"

if [ "$fails" -gt 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "all passed"
