#!/bin/sh
# serve_conns.sh - `mailsentry serve` holds thousands of policy connections
# and keeps its limits (docs/mailsentry-serve.md, "Connections"):
# 1. N (5000) connections open at once, each asking twice: every request is
#    answered DUNNO, p99 under 3 s; N idle connections held during a run of
#    16 busy ones: the daemon counts them all, none is closed, each answers
#    when it asks at last.
# 2. A request of 16384 bytes (the limit) and one of 128 attributes are
#    answered; 16385 bytes, 129 attributes, or 64 KiB on 50 connections at
#    once close the connection (counted as bad requests) and the daemon goes
#    on serving.
# 3. max_connections = 100: the 101st connection is closed at once, counted
#    and logged; the 100 others are served, and once they are gone 100 new
#    ones are.
# 4. idle_timeout = 1s: idle connections are closed, busy ones are not.
# 5. Out of descriptors (a hard limit of 64, max_connections 1000): the
#    listener rests instead of spinning on accept (little CPU, one log
#    line), and serves again once connections are gone.
# Each daemon stops cleanly on SIGTERM (exit 0: no leak under ASan).
# Loopback only; free ports are probed; state in a scratch folder; no
# country database (it would only slow the starts).
# Usage: sh tests/cli/serve_conns.sh path/to/mailsentry (policy_load sits
# beside it). Exit 77 (skip) when this process cannot get the descriptors.
# Under ASan (MS_SANITIZED=1) N is 2000 and no latency or CPU is judged.
set -u
. "$(dirname "$0")/lib/common.sh"
LOAD=$(dirname "$MS")/policy_load
[ -x "$LOAD" ] || {
	echo "FAIL: $LOAD not built"
	exit 1
}
N=5000
[ -n "${MS_SANITIZED:-}" ] && N=2000
# the daemon and policy_load each hold N + 16 connections, plus their own
need=$((N + 400))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
	echo "SKIP: $need file descriptors needed, the hard limit (ulimit -Hn) is $hard"
	exit 77
fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
	ulimit -Sn "$need" || {
		echo "SKIP: cannot raise ulimit -n to $need"
		exit 77
	}
fi

pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT

# start_serve TAG [-o NAME=VALUE]...: a daemon on free loopback ports
# (policy $port, metrics $port+1), state in $T/TAG, log in $T/TAG.log
start_serve() {
	tag=$1
	shift
	try=0
	while [ $try -lt 20 ]; do
		port=$((12000 + ($$ * 37 + try * 1013) % 18000))
		rm -rf "${T:?}/$tag"
		mkdir "$T/$tag"
		"$MS" serve -o "state_dir=$T/$tag" -o "policy_listen=inet:127.0.0.1:$port" \
			-o "metrics_listen=inet:127.0.0.1:$((port + 1))" -o authpolicy_listen= \
			-o follow= -o geoip_file= -o geoip6_file= "$@" 2>"$T/$tag.log" &
		pid=$!
		i=0
		while [ $i -lt 150 ]; do
			grep -q "ready:" "$T/$tag.log" && return 0
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=
		grep -q "cannot listen" "$T/$tag.log" || {
			fail "$tag: serve did not start: $(head -c 600 "$T/$tag.log")"
			return 1
		}
		try=$((try + 1))
	done
	fail "$tag: no free port found"
	return 1
}

stop_serve() {
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" -eq 0 ] || fail "$1: serve exited $rc after SIGTERM: $(tail -c 1500 "$T/$1.log")"
	pid=
}

# connections TAG: the daemon's open connections, this status request's own
# not counted
connections() {
	c=$("$MS" status -o "state_dir=$T/$1" 2>/dev/null | sed -n 's/^connections //p')
	echo $((${c:-0} - 1))
}

# wait_connections TAG N: until the daemon has N connections (5 s at most)
wait_connections() {
	i=0
	while [ "$(connections "$1")" -ne "$2" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(connections "$1")" -eq "$2" ]
}

# metric NAME: its value from /metrics ("" when no HTTP client or no such
# metric)
metric() {
	url=http://127.0.0.1:$((port + 1))/metrics
	if command -v curl >/dev/null 2>&1; then
		curl -s --max-time 5 "$url"
	elif command -v wget >/dev/null 2>&1; then
		wget -q -T 5 -O - "$url"
	fi | sed -n "s/^$1 //p"
}

# load NAME WANT_RC ARGS...: policy_load ARGS against $port; its output in
# $T/NAME.out; fails unless it exits WANT_RC
load() {
	name=$1
	want_rc=$2
	shift 2
	"$LOAD" "$@" 127.0.0.1 "$port" >"$T/$name.out" 2>&1
	rc=$?
	[ "$rc" -eq "$want_rc" ] || fail "$name: policy_load $* exited $rc, wanted $want_rc: $(cat "$T/$name.out")"
}

# has NAME TEXT...: policy_load's output of NAME shows each TEXT
has() {
	name=$1
	shift
	for w in "$@"; do
		grep -q -e "  $w  " -e "^$w  " -e "  $w\$" "$T/$name.out" ||
			fail "$name: \"$w\" not in: $(cat "$T/$name.out")"
	done
}

# ---------------------------------------------------------------- 1 and 2
start_serve big || exit 1
f0=$fails
load many 0 -c "$N" -n 2 -e DUNNO -t 30
has many "answered $((N * 2))" "unexpected 0" "unanswered 0" "closed 0"
if [ -z "${MS_SANITIZED:-}" ]; then
	p99=$(sed -n 's/.*p99 \([0-9]*\)\..*/\1/p' "$T/many.out")
	[ "${p99:-999999999}" -lt 3000000 ] || fail "many: p99 ${p99:-?} us over 3 s"
fi
[ "$fails" -eq "$f0" ] && ok "$N connections at once, every request answered DUNNO ($(head -1 "$T/many.out"))"

f0=$fails
"$LOAD" -c 16 -t 2 -i "$N" -e DUNNO 127.0.0.1 "$port" >"$T/idle.out" 2>&1 &
lp=$!
i=0
seen=0
while [ $i -lt 100 ] && kill -0 $lp 2>/dev/null; do
	seen=$(connections big)
	[ "$seen" -ge $((N + 16)) ] && break
	sleep 0.2
	i=$((i + 1))
done
wait $lp
rc=$?
[ "$seen" -eq $((N + 16)) ] || fail "idle: the daemon counted $seen connections, wanted $((N + 16))"
[ "$rc" -eq 0 ] || fail "idle: policy_load exited $rc: $(cat "$T/idle.out")"
has idle "unexpected 0" "closed 0" "idle $N" "idle answered $N" "idle closed 0"
[ "$fails" -eq "$f0" ] && ok "$N idle + 16 busy connections held; each idle one answered at last"

f0=$fails
bad0=$(metric mailsentry_policy_bad_requests_total)
load at_size 0 -c 1 -n 1 -S 16384 -e DUNNO
load over_size 1 -c 1 -n 1 -S 16385 -e DUNNO
has over_size "answered 0" "closed 1"
load at_attrs 0 -c 1 -n 1 -A 110 -e DUNNO
load over_attrs 1 -c 1 -n 1 -A 111 -e DUNNO
has over_attrs "answered 0" "closed 1"
load big_reqs 1 -c 50 -n 1 -S 65536
has big_reqs "answered 0" "closed 50"
load after_limits 0 -c 20 -n 5 -e DUNNO
has after_limits "answered 100"
grep -q "too_long" "$T/big.log" || fail "limits: no too_long in the log"
grep -q "too_many" "$T/big.log" || fail "limits: no too_many in the log"
bad1=$(metric mailsentry_policy_bad_requests_total)
if [ -n "$bad0" ] && [ -n "$bad1" ]; then
	[ $((bad1 - bad0)) -eq 52 ] || fail "limits: bad requests counted $((bad1 - bad0)), wanted 52"
else
	echo "note: no HTTP client (curl, wget): bad requests not read from /metrics"
fi
[ "$fails" -eq "$f0" ] && ok "16384 bytes and 128 attributes answered; 16385, 129 and 64 KiB closed; serving goes on"
stop_serve big

# ---------------------------------------------------------------- 3
start_serve maxc -o max_connections=100 || exit 1
f0=$fails
load over_max 1 -i 100 -c 1 -n 1 -t 5 -e DUNNO
has over_max "answered 0" "closed 1" "idle 100" "idle answered 100" "idle closed 0"
grep -q "max_connections (100) reached" "$T/maxc.log" || fail "max_connections: no refusal in the log"
refused=$(metric mailsentry_connections_refused_total)
[ "${refused:-x}" = 1 ] || fail "max_connections: refused counted ${refused:-nowhere}, wanted 1"
wait_connections maxc 0 || fail "max_connections: $(connections maxc) connections left, wanted 0"
load after_max 0 -c 100 -n 3 -e DUNNO
has after_max "answered 300" "closed 0"
[ "$fails" -eq "$f0" ] && ok "max_connections 100: the 101st closed and counted, 100 new ones served after"
stop_serve maxc

# ---------------------------------------------------------------- 4
start_serve idle -o idle_timeout=1s || exit 1
f0=$fails
load idle_to 1 -i 20 -c 2 -t 3 -e DUNNO
has idle_to "unexpected 0" "closed 0" "idle 20" "idle answered 0" "idle closed 20"
grep -q "^answered 0 " "$T/idle_to.out" && fail "idle_timeout: the busy connections got no answer"
wait_connections idle 0 || fail "idle_timeout: $(connections idle) connections left, wanted 0"
[ "$fails" -eq "$f0" ] && ok "idle_timeout 1s: 20 idle connections closed, 2 busy ones kept"
stop_serve idle

# ---------------------------------------------------------------- 5
# A hard limit of 64 descriptors: the daemon cannot raise it (unless it may
# raise hard limits: then this part is skipped), accept fails with EMFILE.
f0=$fails
pid=
(
	ulimit -n 64 && exec "$MS" serve -o "state_dir=$T/fd" \
		-o "policy_listen=inet:127.0.0.1:$port" -o metrics_listen= -o authpolicy_listen= \
		-o max_connections=1000 -o geoip_file= -o geoip6_file=
) 2>"$T/fd.log" &
pid=$!
i=0
while [ $i -lt 150 ] && ! grep -q "ready:" "$T/fd.log" && kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
if ! grep -q "ready:" "$T/fd.log"; then
	fail "emfile: serve did not start: $(head -c 600 "$T/fd.log")"
elif grep -q "limit raised" "$T/fd.log"; then
	echo "note: the daemon may raise its hard descriptor limit: EMFILE not tried"
	stop_serve fd
else
	"$LOAD" -c 1 -i 100 -t 2 127.0.0.1 "$port" >"$T/emfile.out" 2>&1 &
	lp=$!
	sleep 1
	t0=0
	t1=0
	if [ -r "/proc/$pid/stat" ]; then
		t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
		sleep 1
		t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
		hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
		# a spinning listener takes the whole second
		[ -n "${MS_SANITIZED:-}" ] || [ $((t1 - t0)) -lt $((hz / 4)) ] ||
			fail "emfile: the daemon used $((t1 - t0))/$hz s of CPU in 1 s while out of descriptors"
	fi
	wait $lp
	n=$(grep -c "accept" "$T/fd.log")
	[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "emfile: $n log lines about accept, wanted 1 or 2"
	load after_emfile 0 -c 1 -n 1 -t 5 -e DUNNO
	[ "$fails" -eq "$f0" ] && ok "out of descriptors: the listener rests ($((t1 - t0)) ticks of CPU in 1 s, $n log line), then serves again"
	stop_serve fd
fi

[ "$fails" -eq 0 ] || exit 1
echo "ok"
