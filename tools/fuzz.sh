#!/bin/sh
# fuzz.sh - run every libFuzzer target for a bounded time
# usage: tools/fuzz.sh BUILD_DIR SECONDS
# Each build-fuzz/fuzz_<name> runs over a scratch copy of its seeds
# (tests/fuzz/corpus/<name>/), so new inputs never land in the source tree.
# A crash leaves its input in $FUZZ_OUT (default /tmp/mailsentry-fuzz) and
# fails the run with the target's name.
set -u
build=${1:?usage: fuzz.sh BUILD_DIR SECONDS}
secs=${2:-30}
top=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-/tmp/mailsentry-fuzz}
mkdir -p "$out"
failed=""
n=0
for bin in "$build"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	short=${name#fuzz_}
	work="$out/$short"
	rm -rf "$work"
	mkdir -p "$work/corpus"
	[ -d "$top/tests/fuzz/corpus/$short" ] && cp "$top/tests/fuzz/corpus/$short"/* "$work/corpus/" 2>/dev/null
	if "$bin" -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$work/" -print_final_stats=1 "$work/corpus" >"$work/log" 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$')
		echo "fuzz: $name: ok, ${runs:-?} runs in ${secs}s"
	else
		echo "fuzz: $name: FAILED (input and log in $work)"
		tail -30 "$work/log"
		failed="$failed $name"
	fi
	n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
	echo "fuzz: no fuzz targets in $build" >&2
	exit 1
fi
if [ -n "$failed" ]; then
	echo "fuzz: failures:$failed" >&2
	exit 1
fi
echo "fuzz: $n targets, no crash"
