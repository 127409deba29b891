#!/bin/sh
# bigfile.sh - a log of hundreds of MB streams through in bounded memory.
# About 300 MB from build/msgen (2.4 million Postfix + Dovecot lines) is
# piped straight into `mailsentry events -` and `mailsentry report -`, plain
# and compressed (gzip, zstd), with no temporary file of that size. The peak
# RSS of mailsentry alone (it is the only child of the measuring python3,
# the generator is not) must stay under a fixed bound for events, which hold
# nothing per line, and under a bound that grows with the number of
# accounts for report, which keeps per-account state. Catches a reader that
# slurps its input, an output buffer that is never flushed, and correlation
# or report state that grows with the lines instead of with the accounts.
# Every line must also be read (the --verbose count) and turn into output.
# Prints the figures and lines/s. About 15 s on 2 cores.
# Usage: sh tests/cli/bigfile.sh path/to/mailsentry (msgen beside it).
# Exit 77 (skip) without msgen or python3.
set -u
. "$(dirname "$0")/lib/common.sh"
need_msgen
if [ -n "${MS_SANITIZED:-}" ]; then
	echo "SKIP: memory bounds are not meaningful under AddressSanitizer (shadow memory, quarantine)"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is needed to measure memory"
	exit 77
fi
LINES=2500000

# rss.py FIGURES CMD...: run CMD as the only child, standard streams
# inherited; write "max-RSS-KiB seconds exit-code" to FIGURES.
cat >"$T/rss.py" <<'EOF'
import resource, subprocess, sys, time
t0 = time.monotonic()
rc = subprocess.call(sys.argv[2:])
dt = time.monotonic() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
with open(sys.argv[1], "w") as f:
    f.write("%d %.3f %d\n" % (rss, dt, rc))
EOF

# run NAME COMPRESSOR SINK CMD...: msgen | COMPRESSOR | CMD | SINK, CMD
# measured; SINK's output to $T/NAME.out, stderr of CMD to $T/NAME.err;
# sets rss (KiB), secs, lines (as counted by mailsentry --verbose).
run() {
	name=$1
	z=$2
	sink=$3
	shift 3
	# shellcheck disable=SC2086
	"$MSGEN" --format=postfix --lines=$LINES | $z |
		python3 "$T/rss.py" "$T/fig" "$@" 2>"$T/$name.err" | $sink >"$T/$name.out"
	read -r rss secs rc <"$T/fig" || { fail "$name: no figures"; rss=0 secs=1 rc=99; }
	[ "$rc" -eq 0 ] || fail "$name: exit $rc: $(tail -n 3 "$T/$name.err")"
	lines=$(sed -n 's/.*read 1 file(s), \([0-9]*\) lines, \([0-9]*\) bytes.*/\1/p' "$T/$name.err")
	bytes=$(sed -n 's/.*read 1 file(s), \([0-9]*\) lines, \([0-9]*\) bytes.*/\2/p' "$T/$name.err")
	lines=${lines:-0}
	bytes=${bytes:-0}
	# msgen gives --lines within 15 %: all of them must have been read.
	[ "$lines" -ge $((LINES * 85 / 100)) ] ||
		fail "$name: read only $lines lines: $(tail -n 3 "$T/$name.err")"
	awk -v n="$name" -v r="$rss" -v s="$secs" -v l="$lines" -v b="$bytes" 'BEGIN {
		if (s <= 0) s = 0.001
		printf "%-14s %8d lines %5d MB in %6.2f s: %8.0f lines/s, max RSS %6.1f MB\n",
			n, l, b / 1048576, s, l / s, r / 1024 }'
}

# bound NAME KIB: the measured RSS is below KIB.
bound() {
	if [ "$rss" -lt "$2" ]; then
		echo "ok - $1: max RSS $((rss / 1024)) MB < bound $(($2 / 1024)) MB"
	else
		fail "$1: max RSS $((rss / 1024)) MB, bound $(($2 / 1024)) MB"
	fi
}

# --- events: nothing is kept per line ---------------------------------------
EVENTS_BOUND=$((64 * 1024))
# The events go to wc: no file of that size.
run events cat "wc -l" "$MS" events --verbose --year 2013 -
bound "events, plain" "$EVENTS_BOUND"
nev=$(($(cat "$T/events.out")))
# The population scenario: about one event for every two or three lines.
[ "$nev" -ge $((LINES / 4)) ] || fail "events: only $nev events from $lines lines"
grep -q "$nev events" "$T/events.err" || fail "events: printed $nev lines, stats say otherwise"

if command -v zstd >/dev/null 2>&1; then
	run events.zst "zstd -1 -q -c" "wc -l" "$MS" events --verbose --year 2013 -
	bound "events, zstd" "$EVENTS_BOUND"
	[ "$(($(cat "$T/events.zst.out")))" -eq "$nev" ] || fail "zstd: another event count"
fi
if command -v gzip >/dev/null 2>&1; then
	run events.gz "gzip -1 -c" "wc -l" "$MS" events --verbose --year 2013 -
	bound "events, gzip" "$EVENTS_BOUND"
	[ "$(($(cat "$T/events.gz.out")))" -eq "$nev" ] || fail "gzip: another event count"
fi

# --- report: per-account state only -----------------------------------------
# Measured (2.4 M lines, ~7400 accounts): about 15 MB. Bound: 24 MB of base
# plus 2 KiB per account, i.e. about 2.5 times the measure. A report that
# kept anything per line or per message would pass 300 MB.
run report.json cat cat "$MS" report --format=json --verbose --year 2013 -
naccts=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(len(d["accounts"]))' "$T/report.json.out") || { fail "report: not JSON"; naccts=0; }
[ "$naccts" -ge 1000 ] || fail "report: only $naccts accounts"
REPORT_BOUND=$((24 * 1024 + naccts * 2))
echo "report: $naccts accounts, bound $((REPORT_BOUND / 1024)) MB"
bound "report, json" "$REPORT_BOUND"
run report.text cat cat "$MS" report --verbose --year 2013 -
bound "report, text" "$REPORT_BOUND"
grep -q '^ACCOUNT ' "$T/report.text.out" || fail "report text: no table"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok"
