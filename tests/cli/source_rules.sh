#!/bin/sh
# source_rules.sh - rules of the source tree that a compiler does not check.
# 1. No strcpy, strcat, sprintf or strncpy in src/: every copy of outside
#    data must be bounded and report truncation.
# 2. Data flows one way: parsers (src/parse, src/frame, src/input) include
#    only util/, core/ and their own stage's headers, never correlation,
#    reports, detectors or the command line, so parsers stay pure and
#    reusable.
# 3. Detectors (src/detect) know nothing of log formats: they see events
#    only, never frames, parsers or the input layer.
# Usage: sh tests/cli/source_rules.sh (from ctest; MS_SOURCE_DIR names the tree)
set -u
top=${MS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
fails=0
bad=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strncpy)[[:space:]]*\(' "$top"/src/*/*.c "$top"/src/*/*.h)
if [ -n "$bad" ]; then
	echo "FAIL: banned string functions:"
	echo "$bad"
	fails=$((fails + 1))
fi
for stage in parse frame input; do
	bad=$(grep -nE '#include "(correlate|report|detect|cli)/' "$top"/src/$stage/*.c "$top"/src/$stage/*.h)
	if [ -n "$bad" ]; then
		echo "FAIL: src/$stage includes a later stage:"
		echo "$bad"
		fails=$((fails + 1))
	fi
done
bad=$(grep -nE '#include "(parse|frame|input|correlate|report|cli)/' "$top"/src/detect/*.c "$top"/src/detect/*.h)
if [ -n "$bad" ]; then
	echo "FAIL: src/detect includes a log-format stage:"
	echo "$bad"
	fails=$((fails + 1))
fi
n=$(ls "$top"/src/*/*.c | wc -l)
if [ "$n" -lt 10 ]; then
	echo "FAIL: only $n source files found under $top/src"
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] && echo "source rules: $n files checked, ok"
exit "$fails"
