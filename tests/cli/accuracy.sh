#!/bin/sh
# accuracy.sh - the detectors meet the accuracy targets of bench/accuracy.md
# on two held-out seeds (1001-1002), every msgen scenario, both log formats:
# `bench/accuracy.py --check` (every incident1 compromise caught within 20
# spam, incident3 within 50, compromise recall >= 95 %, no compromise on the
# benign population, brute force / spraying IP precision >= 99 %, no case
# error). On failure the targets, misses and false findings are printed.
# `make accuracy` runs the full held-out set.
# Usage: sh tests/cli/accuracy.sh path/to/mailsentry (msgen sits beside it).
# Exit 77 (skip) while `mailsentry scan --help` does not exist yet.
set -u
. "$(dirname "$0")/lib/common.sh"
top=${MS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
msgen=$(dirname "$MS")/msgen

if ! "$MS" scan --help >/dev/null 2>&1; then
	echo "SKIP: '$MS scan --help' fails: the detectors (mailsentry scan) are not built yet"
	exit 77
fi
[ -x "$msgen" ] || fail "$msgen not built"
command -v python3 >/dev/null 2>&1 || fail "python3 is needed to run bench/accuracy.py"

if [ "$fails" -eq 0 ]; then
	python3 "$top/bench/accuracy.py" --mailsentry "$MS" --msgen "$msgen" \
		--seeds 1001-1002 --formats postfix,qmail \
		--out "$T/ACCURACY.md" --check >"$T/summary" 2>&1
	rc=$?
	cat "$T/summary"
	if [ "$rc" -eq 0 ]; then
		ok "accuracy targets met on held-out seeds 1001-1002"
	else
		fail "bench/accuracy.py --check exited $rc"
		# The targets and the per-case lists; the tables in between are in
		# the report (make accuracy writes bench/ACCURACY.md).
		[ -f "$T/ACCURACY.md" ] && sed -n '/^### Targets/,/^### Per scenario/p;/^### Errors/,$p' "$T/ACCURACY.md"
	fi
fi
exit "$fails"
