# common.sh - sourced by the tests in tests/cli/ (not a test itself: ctest
# runs only tests/cli/*.sh). Sets MS (the mailsentry binary, made absolute),
# T (a scratch folder removed at exit) and fails, and defines:
#   fail MSG        count a failure and say it
#   ok MSG          say a check passed
#   want CODE CMD.. run CMD with stdout in $T/out and stderr in $T/err;
#                   fail unless it exits with CODE
#   need_msgen      set MSGEN (the generator beside mailsentry), or skip
#   wait_for PATTERN FILE SECONDS
#                   poll until grep finds PATTERN in FILE; 1 if it never does
MS=${1:-build/mailsentry}
case $MS in /*) ;; *) MS=$(pwd)/$MS ;; esac
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

ok() {
	echo "ok - $*"
}

want() {
	code=$1
	shift
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq "$code" ] || fail "exit $rc, wanted $code: $*"
}

need_msgen() {
	MSGEN=$(dirname "$MS")/msgen
	if [ ! -x "$MSGEN" ]; then
		echo "SKIP: $MSGEN not built"
		exit 77
	fi
}

wait_for() {
	_i=0
	until grep -q "$1" "$2" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -gt $(($3 * 10)) ] && return 1
		sleep 0.1
	done
}
