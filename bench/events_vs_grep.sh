#!/bin/sh
# events_vs_grep.sh - lines per second of `mailsentry events FILE >/dev/null`
# and of `mailsentry scan FILE` against `grep -c sasl_username FILE` on the
# same generated 1M-line
# Postfix + Dovecot log, median of 5 runs each, page cache warm.
# usage: sh bench/events_vs_grep.sh [BUILD_DIR]   (after `make`)
# grep's output goes through a pipe: GNU grep stops at the first match
# when its standard output is /dev/null.
set -eu
build=${1:-build}
log=${TMPDIR:-/tmp}/mailsentry-bench-1m.log
[ -f "$log" ] || "$build/msgen" --format=postfix --lines=1000000 --seed=7 -o "$log"
lines=$(wc -l <"$log")
cat "$log" >/dev/null

median() {	# median wall time of 5 runs of "$@", in seconds
	for i in 1 2 3 4 5; do
		s=$(date +%s.%N)
		"$@"
		e=$(date +%s.%N)
		echo "$s $e" | awk '{ printf "%.4f\n", $2 - $1 }'
	done | sort -n | sed -n 3p
}
run_grep() { grep -c sasl_username "$log" | cat >/dev/null; }
run_events() { "$build/mailsentry" events --year 2026 "$log" >/dev/null; }
run_scan() { "$build/mailsentry" scan --year 2026 "$log" >/dev/null || [ $? -eq 1 ]; }
# The fixed part of every run: loading the program and its shared
# libraries (events of an empty file), and scan's country data.
empty=${TMPDIR:-/tmp}/mailsentry-bench-empty.log
: >"$empty"
run_empty() { "$build/mailsentry" events --year 2026 "$empty" >/dev/null; }
run_scan_empty() { "$build/mailsentry" scan --year 2026 "$empty" >/dev/null || [ $? -eq 1 ]; }

g=$(median run_grep)
m=$(median run_events)
sc=$(median run_scan)
e0=$(median run_empty)
s0=$(median run_scan_empty)
awk -v l="$lines" -v g="$g" -v m="$m" -v sc="$sc" -v e0="$e0" -v s0="$s0" 'BEGIN {
	printf "file: %d lines\n", l
	printf "grep -c sasl_username      %7.3f s  %10.0f lines/s\n", g, l / g
	printf "mailsentry events          %7.3f s  %10.0f lines/s\n", m, l / m
	printf "mailsentry scan            %7.3f s  %10.0f lines/s\n", sc, l / sc
	printf "events takes %.1fx grep'"'"'s time (%.2f of its speed)\n", m / g, g / m
	printf "scan takes %.1fx grep'"'"'s time (%.2f of its speed)\n", sc / g, g / sc
	printf "of which start-up: events %.3f s, scan %.3f s (an empty file)\n", e0, s0
}'
