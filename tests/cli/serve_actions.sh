#!/bin/sh
# serve_actions.sh - actions run beside the policy service, never in its way:
# while a slow lock hook runs, policy answers stay immediate; every action
# reaches the audit trail; a stop waits for the running hook.
. "$(dirname "$0")/lib/common.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY is needed for the policy client"; exit 77; }

cat >"$T/hook.sh" <<EOF
#!/bin/sh
echo "start \$*" >>"$T/hook.log"
sleep "\$1"
echo "end \$*" >>"$T/hook.log"
EOF
chmod +x "$T/hook.sh"

# One request; prints how long the answer took (ms) and the action.
cat >"$T/ask.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
t = time.monotonic()
s.sendall(("request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=%s\n"
           "client_address=127.0.0.9\nsender=%s\nrecipient=x@example.net\n\n"
           % (sys.argv[2], sys.argv[2])).encode())
buf = b""
while not buf.endswith(b"\n\n"):
    d = s.recv(4096)
    if not d:
        break
    buf += d
print("%d %s" % ((time.monotonic() - t) * 1000, buf.decode().split("\n")[0]))
EOF

start() {
	"$MS" serve -o state_dir="$T/state" -o policy_listen="unix:$T/policy.sock" \
		-o metrics_listen= -o authpolicy_listen= -o notify=no -o purge=no \
		-o "lock_hook=$T/hook.sh 2 {account} {kind} {incident}" \
		-o "unlock_hook=$T/hook.sh 0 {account}" "$@" >"$T/serve.out" 2>&1 &
	PID=$!
	wait_for "ready:" "$T/serve.out" 10 || { fail "serve did not start: $(cat "$T/serve.out")"; exit 1; }
}

ctl() {
	"$MS" "$@" -o state_dir="$T/state"
}

start
ctl lock alice@example.com >"$T/out" 2>&1 || fail "lock: $(cat "$T/out")"
wait_for "^start 2 alice@example.com admin none" "$T/hook.log" 5 ||
	fail "the lock hook did not start: $(cat "$T/hook.log" 2>/dev/null)"

# The hook sleeps 2 s; the policy service must answer meanwhile.
$PY "$T/ask.py" "$T/policy.sock" alice@example.com >"$T/a1" 2>&1
$PY "$T/ask.py" "$T/policy.sock" bob@example.com >"$T/a2" 2>&1
grep -q "^end 2 alice" "$T/hook.log" && fail "the hook ended before the answers were timed"
read -r ms1 act1 <"$T/a1"
read -r ms2 act2 <"$T/a2"
case $act1 in action=REJECT*) ok "locked account refused while its hook runs (${ms1} ms)" ;;
*) fail "locked account: $(cat "$T/a1")" ;; esac
case $act2 in action=DUNNO) ok "other account answered while the hook runs (${ms2} ms)" ;;
*) fail "other account: $(cat "$T/a2")" ;; esac
[ "${ms1:-9999}" -lt 500 ] && [ "${ms2:-9999}" -lt 500 ] ||
	fail "answers waited for the hook: ${ms1} ms, ${ms2} ms"

wait_for "^end 2 alice" "$T/hook.log" 10 || fail "the lock hook did not finish"
wait_for "lock_hook account alice@example.com" "$T/serve.out" 5 ||
	fail "no audit line for the lock hook: $(cat "$T/serve.out")"

# unlock runs the unlock hook, after the lock hook (in order)
ctl unlock alice@example.com >"$T/out" 2>&1 || fail "unlock: $(cat "$T/out")"
wait_for "^end 0 alice@example.com" "$T/hook.log" 5 || fail "the unlock hook did not run"
wait_for "unlock_hook account alice@example.com" "$T/serve.out" 5 ||
	fail "no audit line for the unlock hook"
[ "$(grep -c '^start' "$T/hook.log")" -eq 2 ] || fail "hooks run: $(cat "$T/hook.log")"

# A stop while a hook runs waits for it, and audits it.
ctl lock carol@example.com >"$T/out" 2>&1 || fail "lock carol: $(cat "$T/out")"
wait_for "^start 2 carol" "$T/hook.log" 5 || fail "carol's hook did not start"
kill -TERM "$PID"
wait "$PID"
rc=$?
[ $rc -eq 0 ] || fail "serve exited $rc after SIGTERM"
grep -q "^end 2 carol" "$T/hook.log" || fail "the stop did not wait for the running hook"
grep -q "lock_hook account carol@example.com" "$T/serve.out" ||
	fail "the hook finished during the stop is not in the audit trail: $(tail -5 "$T/serve.out")"
[ $fails -eq 0 ] && ok "stop waited for the running hook and audited it"

# A failing hook is audited as failed and counted, and the lock still holds.
cat >"$T/bad.sh" <<'EOF'
#!/bin/sh
echo "no such user" >&2
exit 3
EOF
chmod +x "$T/bad.sh"
start -o "lock_hook=$T/bad.sh {account}"
ctl lock dave@example.com >/dev/null 2>&1
wait_for "lock_hook account dave@example.com FAILED" "$T/serve.out" 5 ||
	fail "a failing hook is not audited as FAILED: $(tail -3 "$T/serve.out")"
$PY "$T/ask.py" "$T/policy.sock" dave@example.com >"$T/a3" 2>&1
grep -q "^[0-9]* action=REJECT" "$T/a3" || fail "the lock must hold when its hook failed: $(cat "$T/a3")"
kill -TERM "$PID"
wait "$PID"

[ $fails -eq 0 ] && ok "actions run beside the policy service" && exit 0
exit 1
