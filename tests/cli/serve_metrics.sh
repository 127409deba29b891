#!/bin/sh
# serve_metrics.sh - the daemon's Prometheus endpoint: log lines read, how
# far each followed file is behind, the action queue.
. "$(dirname "$0")/lib/common.sh"

command -v curl >/dev/null || { echo "SKIP: curl is needed"; exit 77; }
LOG="$T/mail\"log"	# a quote in the path: the label must escape it
: >"$LOG"
"$MS" serve -o state_dir="$T/state" -o policy_listen= -o authpolicy_listen= \
	-o metrics_listen="unix:$T/metrics.sock" -o "follow=$LOG" >"$T/serve.out" 2>&1 &
PID=$!
wait_for "ready:" "$T/serve.out" 10 || { fail "serve did not start: $(cat "$T/serve.out")"; exit 1; }
metrics() {
	curl -s --max-time 5 --unix-socket "$T/metrics.sock" http://localhost/metrics
}
n=0
while [ $n -lt 50 ]; do
	echo "Nov 23 10:00:0$((n % 10)) mx postfix/smtpd[1]: connect from unknown[127.0.0.$((n + 1))]" >>"$LOG"
	n=$((n + 1))
done
i=0
until metrics | grep -q "^mailsentry_log_lines_total 50$"; do
	i=$((i + 1))
	[ $i -gt 50 ] && { fail "50 lines not read: $(metrics | grep log_lines)"; break; }
	sleep 0.1
done
metrics >"$T/m"
grep -q '^mailsentry_follow_lag_bytes{file=".*/mail\\"log"} 0$' "$T/m" ||
	fail "lag of the followed file: $(grep follow_lag "$T/m")"
grep -q '^mailsentry_follow_idle_seconds{file=".*/mail\\"log"} [0-9]' "$T/m" ||
	fail "idle seconds of the followed file: $(grep follow_idle "$T/m")"
grep -q '^mailsentry_actions_queued 0$' "$T/m" || fail "actions queue: $(grep actions_q "$T/m")"
sleep 2.2
metrics | grep -q '^mailsentry_follow_idle_seconds{.*} [2-9]$' ||
	fail "idle seconds do not grow: $(metrics | grep follow_idle)"
kill -TERM $PID
wait $PID
[ $fails -eq 0 ] && ok "metrics: lines, follow lag and idle time, action queue" && exit 0
exit 1
