#!/bin/sh
# badinput.sh - hostile and broken input never stops the reading, never
# hides the good lines around it, and is accounted for. Over-long lines
# (100 KiB), binary junk, NUL bytes, truncated and unterminated lines,
# invalid UTF-8, unknown programs, empty lines and CRLF endings: exit 0, and
# every good line between them still gives its event. A user name with
# invalid UTF-8 still gives its event (a stray byte must not hide a failed
# login), written as U+FFFD in valid JSON. --verbose shows only the first
# few skipped lines of each reason, as file:line, and the count per reason.
# A corrupt or truncated .gz, a missing file and a directory among good
# files: exit 2, an error naming the bad file, and every event of the good
# files (also those given after the bad one) still printed.
# Usage: sh tests/cli/badinput.sh path/to/mailsentry. Documentation
# addresses only. Exit 77 (skip) without python3.
set -u
. "$(dirname "$0")/lib/common.sh"
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is needed for the JSON checks"
	exit 77
fi

# run CODE CMD...: run CMD, stdout to $T/out, stderr to $T/err; a crash
# (signal) is reported as such.
run() {
	code=$1
	shift
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -gt 128 ]; then
		fail "killed by signal $((rc - 128)): $*"
	elif [ "$rc" -ne "$code" ]; then
		fail "exit $rc, wanted $code: $* ($(head -c 300 "$T/err"))"
	fi
}

# valid_json FILE: every line strict UTF-8 and a JSON object.
valid_json() {
	python3 - "$1" <<'EOF'
import json, sys
for n, raw in enumerate(open(sys.argv[1], "rb"), 1):
    try:
        e = json.loads(raw.decode("utf-8", "strict"))
    except Exception as x:
        sys.exit("line %d: not UTF-8 JSON (%s): %.200r" % (n, x, raw))
    if not isinstance(e, dict):
        sys.exit("line %d: not an object" % n)
    for k, v in e.items():
        if isinstance(v, str) and ("\r" in v or "\0" in v):
            sys.exit("line %d: %s holds CR or NUL: %r" % (n, k, v))
EOF
}

# accounts FILE: the "account" of every event, one a line.
accounts() {
	python3 -c 'import json, sys
for l in open(sys.argv[1], "rb"): print(json.loads(l.decode()).get("account", "-"))' "$1"
}

good() { # good N: a well-formed failed login of goodN@example.com
	printf 'Jul 22 10:00:%02d mx vpopmail[%d]: vchkpw-pop3: password fail good%d@example.com:192.0.2.%d\n' \
		"$1" "$1" "$1" "$1"
}

# --- One file with every kind of bad line between good ones ------------------
{
	good 1
	# 100 KiB line that would otherwise be a valid event
	python3 -c 'import sys; sys.stdout.write("Jul 22 10:00:01 mx vpopmail[1]: vchkpw-pop3: password fail " + "x" * 102400 + "@example.com:192.0.2.200\n")'
	good 2
	# binary junk with NUL bytes, then junk with none and no framing
	printf '\001\002\000\377\376\033[2J\000\000junk\000\n'
	printf '\200\201\376\377\033[2J\033]0;title\007 garbage\n'
	good 3
	# a NUL inside an otherwise valid line
	printf 'Jul 22 10:00:03 mx vpopmail[3]: vchkpw-pop3: password fail nul\000user@example.com:192.0.2.201\n'
	good 4
	# invalid UTF-8 in the user name (Latin-1 e-acute, a lone 0xff)
	printf 'Jul 22 10:00:04 mx vpopmail[4]: vchkpw-pop3: password fail caf\351\377@example.com:192.0.2.44\n'
	good 5
	# truncated lines: cut in the message, in the timestamp, in the IP
	printf 'Jul 22 10:00:05 mx vpopmail[5]: vchkpw-pop3: pass\n'
	printf 'Jul 22 10:0\n'
	printf 'Jul 22 10:00:05 mx vpopmail[5]: vchkpw-pop3: password fail cut@example.com:192.0\n'
	good 6
	# unknown programs, twelve of them (more than --verbose shows)
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		printf 'Jul 22 10:00:06 mx frobnicator[%d]: login ok user=u%d@example.com ip=192.0.2.%d\n' "$i" "$i" "$i"
	done
	good 7
	# empty lines, a CR alone
	printf '\n\n\r\n\n'
	good 8
	# CRLF endings
	printf 'Jul 22 10:00:09 mx vpopmail[9]: vchkpw-pop3: password fail crlf@example.com:192.0.2.9\r\n'
	good 10
	# the last line unterminated
	printf 'Jul 22 10:00:11 mx vpopmail[11]: vchkpw-pop3: password fail last@example.com:192.0.2.11'
} >"$T/bad.log"

run 0 "$MS" events --year 2013 "$T/bad.log"
if [ ! -s "$T/out" ] && [ "$rc" -eq 0 ]; then
	echo "FAIL: no events from the sample lines"
	exit 1
fi
valid_json "$T/out" && ok "bad lines: output is valid UTF-8 JSON" || fail "bad lines: invalid JSON output"
accounts "$T/out" >"$T/acc"
printf '%s\n' good1@example.com good2@example.com good3@example.com good4@example.com \
	'caf\ufffd\ufffd@example.com' good5@example.com good6@example.com good7@example.com \
	good8@example.com crlf@example.com good10@example.com last@example.com >"$T/want"
# python prints U+FFFD as the character; write the expectation the same way.
python3 -c 'import sys; sys.stdout.write(open(sys.argv[1]).read().replace("\\ufffd", "\ufffd"))' \
	"$T/want" >"$T/want2"
if cmp -s "$T/acc" "$T/want2"; then
	ok "every good line around the bad ones gives its event, in order"
else
	fail "events: got accounts $(tr '\n' ' ' <"$T/acc")"
fi
grep -q 'xxxxxxxxxx' "$T/out" && fail "the 100 KiB line became an event"
grep -q '192\.0\.2\.201\|192\.0\.2\.200' "$T/out" && fail "a line with NUL or over-long gave an event"
grep -q '"account":"caf\\ufffd\\ufffd@example.com","ip":"192.0.2.44"' "$T/out" &&
	ok "invalid UTF-8 in a user name: event kept, \\ufffd in the JSON" ||
	fail "invalid UTF-8 user: no event with caf\\ufffd\\ufffd: $(grep 192.0.2.44 "$T/out")"

# Standard input gives the same.
"$MS" events --year 2013 - <"$T/bad.log" >"$T/out2" 2>/dev/null
rc=$?
[ "$rc" -eq 0 ] || fail "bad lines on stdin: exit $rc"
cmp -s "$T/out" "$T/out2" && ok "same events from standard input" || fail "stdin: other events"

# --verbose: the first few samples per reason, file:line, counts per reason.
run 0 "$MS" events --verbose --year 2013 "$T/bad.log"
f="$T/bad.log"
for l in 2 4 5 7; do
	grep -qF "$f:$l: skipped" "$T/err" || fail "--verbose: line $l not shown as $f:$l"
done
grep -qF "$f:2: skipped (too long)" "$T/err" || fail "--verbose: line 2 not 'too long'"
grep -qF "$f:7: skipped (binary" "$T/err" || fail "--verbose: line 7 (NUL) not 'binary'"
samples=$(grep -cF ': skipped (unknown program)' "$T/err")
if [ "$samples" -ge 1 ] && [ "$samples" -le 10 ]; then
	ok "--verbose shows $samples of 12 unknown-program lines"
else
	fail "--verbose shows $samples unknown-program lines, wanted 1..10"
fi
# The first ones are those shown.
n=$(grep -an 'frobnicator\[1\]' "$f" | cut -d: -f1)
grep -qF "$f:$n: skipped (unknown program)" "$T/err" ||
	fail "--verbose: first unknown-program line ($n) not shown"
grep -q 'skipped 12 lines: unknown program' "$T/err" && ok "--verbose counts 12 unknown-program lines" ||
	fail "--verbose: no count 'skipped 12 lines: unknown program'"
grep -q 'skipped 1 lines: too long' "$T/err" || fail "--verbose: no count for the too-long line"
grep -q 'skipped 2 lines: binary' "$T/err" || fail "--verbose: no count 2 for the NUL lines"
grep -q 'invalid UTF-8' "$T/err" || fail "--verbose: invalid UTF-8 not counted"
long=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$T/err")
[ "$long" -le 2048 ] && ok "--verbose lines stay short ($long bytes at most)" ||
	fail "--verbose printed a $long-byte line"
if LC_ALL=C grep -q "$(printf '[\001-\010\016-\037\177]')" "$T/err"; then
	fail "--verbose copies control bytes of the log to the terminal"
fi
# Without --verbose: nothing about skipped lines.
run 0 "$MS" events --year 2013 "$T/bad.log"
grep -q 'skipped' "$T/err" && fail "skipped lines reported without --verbose"

# --- Files made only of junk ---------------------------------------------------
python3 -c 'import random, sys
r = random.Random(7)
sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(1 << 18)))' >"$T/junk.bin"
run 0 "$MS" events --year 2013 "$T/junk.bin"
[ -s "$T/out" ] && fail "random bytes gave events"
[ "$rc" -eq 0 ] && ok "256 KiB of random bytes: exit 0, no events"
# One unterminated 1 MiB line, then EOF.
python3 -c 'import sys; sys.stdout.write("Jul 22 10:00:00 mx " + "y" * (1 << 20))' >"$T/huge.log"
run 0 "$MS" events --year 2013 "$T/huge.log"
[ "$rc" -eq 0 ] && [ ! -s "$T/out" ] && ok "1 MiB unterminated line: exit 0, no event"
# Only empty lines, and an empty file.
printf '\n\n\n\r\n' >"$T/empty.log"
: >"$T/zero.log"
run 0 "$MS" events --year 2013 "$T/empty.log" "$T/zero.log"
[ -s "$T/out" ] && fail "empty lines gave events"

# --- Bad files among good ones -------------------------------------------------
for i in 1 2 3; do
	printf 'Jul 2%d 10:00:00 mx vpopmail[%d]: vchkpw-pop3: password fail file%d@example.com:198.51.100.%d\n' \
		"$i" "$i" "$i" "$i" >"$T/g$i.log"
	good "$i" | sed "s/^Jul 22/Jul 2$i/; s/good/file${i}b/" >>"$T/g$i.log"
done
python3 - "$T" <<'EOF'
import gzip, sys
t = sys.argv[1]
data = b"".join(b"Jul 21 11:%02d:00 mx vpopmail[1]: vchkpw-pop3: password fail z%d@example.com:192.0.2.50\n"
                % (i % 60, i) for i in range(4000))
c = gzip.compress(data, mtime=0)
open(t + "/truncated.gz", "wb").write(c[:len(c) // 2])
b = bytearray(c)
for i in range(len(b) // 3, len(b) // 3 + 64):
    b[i] ^= 0x5A
open(t + "/corrupt.gz", "wb").write(bytes(b))
open(t + "/header.gz", "wb").write(b"\x1f\x8b\x08\x00not really gzip at all")
EOF
mkdir "$T/adir"
for bad in truncated.gz corrupt.gz header.gz missing.log adir; do
	# The bad file is given second of four: good files come before and after.
	run 2 "$MS" events --year 2013 "$T/g1.log" "$T/$bad" "$T/g3.log" "$T/g2.log"
	if [ "$rc" -gt 128 ]; then
		continue
	fi
	grep -qF "$bad" "$T/err" && ok "$bad: exit $rc, named on stderr: $(head -n 1 "$T/err")" ||
		fail "$bad: not named on stderr: $(cat "$T/err")"
	valid_json "$T/out" || fail "$bad: invalid JSON on stdout"
	for a in file1 file1b1 file2 file2b2 file3 file3b3; do
		grep -q "\"account\":\"$a@example.com\"" "$T/out" ||
			fail "$bad: event of $a missing (good file not read)"
	done
done
# The bad file given last and first, too.
run 2 "$MS" events --year 2013 "$T/g1.log" "$T/g2.log" "$T/corrupt.gz"
[ "$(grep -c '"account":"file' "$T/out")" -eq 4 ] || fail "corrupt.gz last: good events missing"
run 2 "$MS" events --year 2013 "$T/missing.log" "$T/g3.log"
[ "$(grep -c '"account":"file' "$T/out")" -eq 2 ] || fail "missing file first: good events missing"
# And report: the same exit code and message.
run 2 "$MS" report --year 2013 "$T/g1.log" "$T/corrupt.gz" "$T/g2.log"
grep -qF corrupt.gz "$T/err" || fail "report: corrupt.gz not named"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok"
