#!/bin/sh
# demo.sh - generate the bundled incident-1 example, scan it and report on it.
# Usage: sh tools/demo.sh BUILD_DIR   (`make demo` runs it after `make all`)
# The example is regenerated on every run (examples/*.log is not in git):
# the generator is deterministic, so the same seed gives the same file.
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd) || exit 2
cd "$top" || exit 2
case $build in /*) ;; *) build=$top/$build ;; esac
for p in msgen mailsentry; do
	if [ ! -x "$build/$p" ]; then
		echo "demo: $build/$p is missing; run 'make' first" >&2
		exit 2
	fi
done
mkdir -p examples
"$build/msgen" --scenario=incident1 --seed=1 -o examples/incident1.log || exit 2

echo "== examples/incident1.log: $(wc -l < examples/incident1.log) lines of qmail + vpopmail syslog"
echo "   DESIGN.md incident 1, reconstructed by tools/msgen (docs/msgen.md): 40 users"
echo "   go about five days; on the second, hello@example.com's leaked password is"
echo "   used from 880 IPs in 24 h to send spam, then probed every 12 h after it is"
echo "   changed."
echo "== mailsentry scan --year 2013 examples/incident1.log"
echo
"$build/mailsentry" scan --year 2013 examples/incident1.log
rc=$?
# 0 = nothing found, 1 = findings: both are a successful demo
[ $rc -le 1 ] || exit $rc
echo
echo "== mailsentry report --year 2013 --limit 3 examples/incident1.log"
echo
"$build/mailsentry" report --year 2013 --limit 3 examples/incident1.log
rc=$?
[ $rc -le 1 ] && exit 0
exit $rc
