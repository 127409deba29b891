#!/bin/sh
# qmail_queue.sh - mailsentry-qmail-queue, the QMAILQUEUE wrapper, against a
# real `mailsentry serve` on loopback.
#
# Debian 12 has no qmail package (apt-cache finds no qmail, netqmail or
# notqmail; docs/qmail.md says more), so the real qmail-queue is a
# recording stand-in: a script that copies its descriptor 0 (the message)
# and descriptor 1 (the envelope) and its arguments into files. The wrapper
# is run as qmail-smtpd runs it: the message and the envelope each on a
# pipe, environment variables as tcpserver and an SMTP AUTH patch leave
# them. Where ucspi-tcp is installed, tcpserver and tcprules set
# TCPREMOTEIP and QMAILQUEUE for a real TCP client from 127.0.0.2, and
# tcpserver also plays policy services that answer what a test needs.
#
# Checked: a normal user's message and envelope reach qmail-queue byte for
# byte (a 1 MiB message too: no pipe deadlock); a locked account gets 31 and
# qmail-queue does not run; unlock restores; a rate limit gives 71; the
# custom-error descriptor carries the daemon's text; unauthenticated mail
# is not asked about; daemon down: fail open passes the mail, fail closed
# gives 71; a daemon that accepts and never answers costs the timeout and
# the mail passes; a Unix-socket policy service; malformed and unusual
# answers (HOLD, DISCARD, 5NN, unknown words); bad settings; exec loops.
. "$(dirname "$0")/lib/common.sh"

QQ=$(dirname "$MS")/mailsentry-qmail-queue
[ -x "$QQ" ] || { echo "SKIP: $QQ not built"; exit 77; }

# ---- fixtures --------------------------------------------------------------

# The stand-in for qmail-queue: records into $REC (the wrapper passes the
# environment on untouched, so REC reaches it).
cat >"$T/qmail-queue" <<'EOF'
#!/bin/sh
mkdir -p "$REC" || exit 53
cat >"$REC/msg" || exit 54
cat <&1 >"$REC/env" || exit 54
printf '%s\n' "$0" "$#" "$@" >"$REC/args"
exit 0
EOF
chmod +x "$T/qmail-queue"

# A message with what SMTP carries: CRLF, a lone dot, 8-bit and NUL bytes.
printf 'Received: from x\r\nSubject: test\r\n\r\nline\r\n.\r\n\351t\303\251 \000\001 end\r\n' >"$T/msg"
printf 'Falice@example.com\000Tbob@example.org\000Tcarol@example.net\000\000' >"$T/env"
head -c 1048576 /dev/urandom >"$T/bigmsg"

export MAILSENTRY_QMAILQUEUE="$T/qmail-queue" REC="$T/rec"
unset MAILSENTRY_POLICY MAILSENTRY_TIMEOUT MAILSENTRY_FAIL MAILSENTRY_AUTH_VARS \
	MAILSENTRY_ASK MAILSENTRY_HOLD MAILSENTRY_ERRFD TCPREMOTEINFO TCP6REMOTEINFO \
	SMTPAUTHUSER SMTP_AUTH_USER SMTPMAILFROM TCPREMOTEIP QMAILQUEUE

# qq MSGFILE [VAR=VALUE...]: run the wrapper as qmail-smtpd does, the message
# and the envelope each on a pipe; exit code in $rc, stderr in $T/qq.err,
# the recording (if the stand-in ran) in $REC, elapsed milliseconds in $ms.
qq() {
	m=$1
	shift
	rm -rf "$REC" "$T/envpipe"
	mkfifo "$T/envpipe"
	cat "$T/env" >"$T/envpipe" &
	feeder=$!
	t0=$(date +%s%N)
	cat "$m" | env "$@" "$QQ" 1<"$T/envpipe" 2>"$T/qq.err"
	rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	# A refusal reads nothing: the feeder may still wait for a reader.
	kill $feeder 2>/dev/null
	wait $feeder 2>/dev/null
	return 0
}

# delivered MSGFILE WHAT: the stand-in ran and got both streams intact, no args.
delivered() {
	if [ ! -f "$REC/args" ]; then
		fail "$2: qmail-queue did not run (exit $rc; $(cat "$T/qq.err"))"
		return
	fi
	cmp -s "$1" "$REC/msg" || fail "$2: the message changed on the way"
	cmp -s "$T/env" "$REC/env" || fail "$2: the envelope changed on the way"
	[ "$(sed -n 2p "$REC/args")" = 0 ] || fail "$2: qmail-queue got arguments"
	[ $rc -eq 0 ] || fail "$2: exit $rc, wanted 0"
}

# refused CODE WHAT: the wrapper exited CODE and qmail-queue never ran.
refused() {
	[ $rc -eq "$1" ] || fail "$2: exit $rc, wanted $1 ($(cat "$T/qq.err"))"
	[ -e "$REC" ] && fail "$2: qmail-queue ran"
	[ "$(wc -l <"$T/qq.err")" -eq 1 ] || fail "$2: wanted one log line: $(cat "$T/qq.err")"
}

logged() {
	grep -q -- "$1" "$T/qq.err" || fail "$2: log line lacks \"$1\": $(cat "$T/qq.err")"
}

silent() {
	[ -s "$T/qq.err" ] && fail "$1: unexpected log: $(cat "$T/qq.err")"
}

port() {
	echo $(($(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000))
}

# start_serve NAME POLICY_LISTEN [-o ...]: a daemon with its own state_dir;
# sets PID. POLICY_LISTEN "inet:" picks a free port (sets PORT).
start_serve() {
	name=$1 listen=$2
	shift 2
	for try in 1 2 3 4 5 6 7 8; do
		case $listen in
		inet:) PORT=$(port) && addr=inet:127.0.0.1:$PORT ;;
		*) addr=$listen ;;
		esac
		"$MS" serve -o state_dir="$T/$name" -o policy_listen="$addr" -o authpolicy_listen= \
			-o metrics_listen= "$@" >"$T/$name.out" 2>&1 &
		PID=$!
		i=0
		while ! grep -q "ready:" "$T/$name.out" 2>/dev/null; do
			kill -0 $PID 2>/dev/null || break
			i=$((i + 1))
			[ $i -gt 300 ] && break
			sleep 0.1
		done
		grep -q "ready:" "$T/$name.out" && return 0
		kill $PID 2>/dev/null
		wait $PID 2>/dev/null
	done
	fail "serve $name did not start: $(cat "$T/$name.out")"
	exit 1
}

ctl() {
	"$MS" "$1" "$2" -o state_dir="$T/main" >"$T/ctl.out" 2>&1 ||
		fail "mailsentry $1 $2: $(cat "$T/ctl.out")"
}

# ---- the daemon -------------------------------------------------------------

echo "dave@example.com 127.0.0.1/32" >"$T/allow_nets"
start_serve main inet: -o msg_rate=4 -o allow_nets_file="$T/allow_nets"
MAIN=$PID
export MAILSENTRY_POLICY=inet:127.0.0.1:$PORT
AUTH="TCPREMOTEIP=192.0.2.7 TCPREMOTEINFO=alice@example.com"
# Each account gets at most msg_rate (4) messages through (a request the
# daemon reads after a timeout may count too), carol excepted: one account
# per group of checks.
IVAN="TCPREMOTEIP=192.0.2.10 TCPREMOTEINFO=ivan@example.com"
JUDY="TCPREMOTEIP=192.0.2.11 TCPREMOTEINFO=judy@example.com"

# ---- accepted, refused, restored -------------------------------------------

qq "$T/msg" $AUTH
delivered "$T/msg" "normal message"
silent "normal message"
qq "$T/bigmsg" $AUTH
delivered "$T/bigmsg" "1 MiB message"

ctl lock alice@example.com
qq "$T/msg" $AUTH
refused 31 "locked account"
logged "refused (exit 31): REJECT 5.7.1" "locked account"
logged "account alice@example.com client 192.0.2.7" "locked account"
"$QQ" --check >"$T/check" 2>&1 </dev/null && grep -q "outcome  *queue" "$T/check" ||
	fail "--check without a user: $(cat "$T/check")"
env $AUTH "$QQ" --check >"$T/check" 2>&1 </dev/null
grep -q "outcome  *refuse (exit 31)" "$T/check" || fail "--check, locked: $(cat "$T/check")"
grep -q "^sasl_username=alice@example.com$" "$T/check" || fail "--check shows no request"

# The other SMTP AUTH variables, in their order; the null sender of qmail-spp.
qq "$T/msg" TCPREMOTEIP=192.0.2.7 SMTPAUTHUSER=alice@example.com TCPREMOTEINFO=other@example.com
refused 31 "SMTPAUTHUSER"
qq "$T/msg" TCPREMOTEIP=192.0.2.7 SMTP_AUTH_USER=alice@example.com SMTPMAILFROM=
refused 31 "SMTP_AUTH_USER"
qq "$T/msg" TCPREMOTEIP=192.0.2.7 TCPREMOTEINFO=alice@example.com MAILSENTRY_AUTH_VARS=SMTPAUTHUSER
delivered "$T/msg" "MAILSENTRY_AUTH_VARS without TCPREMOTEINFO"

# notqmail's custom error: exit 82, the daemon's text on descriptor 6.
rm -rf "$REC"
{ env $AUTH MAILSENTRY_ERRFD=6 "$QQ" <"$T/msg" 1<"$T/env" 6>&3 3>&- 2>"$T/qq.err"
	echo $? >"$T/rc"; } 3>&1 | cat >"$T/errtext"
[ "$(cat "$T/rc")" = 82 ] || fail "custom error: exit $(cat "$T/rc"), wanted 82"
grep -q "^D5.7.1 account suspended" "$T/errtext" || fail "custom error text: $(cat "$T/errtext")"
[ -e "$REC" ] && fail "custom error: qmail-queue ran"
qq "$T/msg" $AUTH MAILSENTRY_ERRFD=6	# not a pipe here: plain 31
refused 31 "MAILSENTRY_ERRFD not a pipe"

ctl unlock alice@example.com
qq "$T/msg" $AUTH
delivered "$T/msg" "after unlock"

# ---- rate, networks, unauthenticated ---------------------------------------

for n in 1 2 3 4; do
	qq "$T/msg" TCPREMOTEIP=192.0.2.8 TCPREMOTEINFO=carol@example.com
	delivered "$T/msg" "carol's message $n of msg_rate 4"
done
qq "$T/msg" TCPREMOTEIP=192.0.2.8 TCPREMOTEINFO=carol@example.com
refused 71 "over msg_rate"
logged "deferred (exit 71): DEFER_IF_PERMIT 4.7.1" "over msg_rate"

qq "$T/msg" TCPREMOTEIP=127.0.0.2 TCPREMOTEINFO=dave@example.com
refused 31 "allow_nets: another network"
logged "this account may not send mail from this network" "allow_nets"
qq "$T/msg" TCPREMOTEIP=127.0.0.1 TCPREMOTEINFO=dave@example.com
delivered "$T/msg" "allow_nets: its own network"

qq "$T/msg" TCPREMOTEIP=192.0.2.9
delivered "$T/msg" "unauthenticated"
silent "unauthenticated"

# ---- what cannot be asked --------------------------------------------------

qq "$T/msg" $AUTH MAILSENTRY_TIMEOUT=fast
delivered "$T/msg" "bad MAILSENTRY_TIMEOUT, failing open"
logged "MAILSENTRY_TIMEOUT \"fast\"" "bad MAILSENTRY_TIMEOUT"
logged "failing open (queued)" "bad MAILSENTRY_TIMEOUT"
qq "$T/msg" $AUTH MAILSENTRY_POLICY=inet:localhost:10040 MAILSENTRY_FAIL=closed
refused 71 "a host name (no DNS), failing closed"
logged "no host names" "a host name"
qq "$T/msg" $AUTH MAILSENTRY_AUTH_VARS="A B C D E F G H I"
delivered "$T/msg" "nine variable names"
logged "too many variable names" "nine variable names"
qq "$T/msg" TCPREMOTEIP=192.0.2.7 "TCPREMOTEINFO=$(printf 'alice@example.com\nsasl_username=x')"
delivered "$T/msg" "newline in the user (no injection), failing open"
logged 'is not an account name' "newline in the user"

qq "$T/msg" $IVAN MAILSENTRY_QMAILQUEUE="$QQ"
refused 55 "MAILSENTRY_QMAILQUEUE is the wrapper"
logged "is this program itself" "exec loop"
qq "$T/msg" $IVAN MAILSENTRY_QMAILQUEUE="$T/nonexistent"
refused 120 "no qmail-queue"
logged "cannot exec" "no qmail-queue"

# A daemon that accepts and never answers: stopped, the kernel still
# completes the connection.
kill -STOP $MAIN
qq "$T/msg" $JUDY MAILSENTRY_TIMEOUT=500ms
kill -CONT $MAIN
delivered "$T/msg" "daemon that never answers, failing open"
logged "no answer within 500 ms; failing open" "daemon that never answers"
[ $ms -ge 480 ] && [ $ms -lt 3000 ] || fail "timeout 500 ms took $ms ms"
kill -STOP $MAIN
qq "$T/msg" $JUDY MAILSENTRY_TIMEOUT=300ms MAILSENTRY_FAIL=closed
kill -CONT $MAIN
refused 71 "daemon that never answers, failing closed"

# The daemon down.
kill -TERM $MAIN
wait $MAIN
qq "$T/msg" $AUTH
delivered "$T/msg" "daemon down, failing open"
logged "Connection refused; failing open (queued)" "daemon down"
qq "$T/msg" $AUTH MAILSENTRY_FAIL=closed
refused 71 "daemon down, failing closed"
logged "failing closed (exit 71)" "daemon down, failing closed"
qq "$T/msg" TCPREMOTEIP=192.0.2.9 MAILSENTRY_FAIL=closed
delivered "$T/msg" "daemon down, unauthenticated: not asked"
qq "$T/msg" TCPREMOTEIP=192.0.2.9 MAILSENTRY_FAIL=closed MAILSENTRY_ASK=always
refused 71 "daemon down, MAILSENTRY_ASK=always, failing closed"

# ---- a Unix-socket policy service ------------------------------------------

start_serve unixd "unix:$T/policy.sock"
UNIXD=$PID
"$MS" lock erin@example.com -o state_dir="$T/unixd" >/dev/null 2>&1 || fail "lock over unixd"
qq "$T/msg" TCPREMOTEIP=192.0.2.7 TCPREMOTEINFO=erin@example.com MAILSENTRY_POLICY="unix:$T/policy.sock"
refused 31 "locked account, unix: policy service"
qq "$T/msg" TCPREMOTEIP=192.0.2.7 TCPREMOTEINFO=frank@example.com MAILSENTRY_POLICY="unix:$T/policy.sock"
delivered "$T/msg" "unix: policy service"
kill -TERM $UNIXD
wait $UNIXD

# ---- with ucspi-tcp: tcpserver and tcprules --------------------------------

if ! command -v tcpserver >/dev/null || ! command -v tcprules >/dev/null ||
	! command -v tcpclient >/dev/null; then
	echo "note: ucspi-tcp not installed: the tcpserver checks are skipped"
else
	# Policy services that answer what $T/answer says, after the request.
	cat >"$T/fakepolicy" <<'EOF'
#!/bin/sh
while IFS= read -r l && [ -n "$l" ]; do :; done
cat "$ANSWER"
EOF
	chmod +x "$T/fakepolicy"
	for try in 1 2 3 4 5; do
		FP=$(port)
		ANSWER="$T/answer" tcpserver -R -H -l localhost 127.0.0.1 "$FP" "$T/fakepolicy" \
			2>"$T/tcpserver.err" &
		FPID=$!
		sleep 0.3
		kill -0 $FPID 2>/dev/null && break
	done
	answer() {
		printf '%s' "$1" >"$T/answer"
		shift
		qq "$T/msg" $AUTH MAILSENTRY_POLICY=inet:127.0.0.1:$FP "$@"
	}
	answer 'action=HOLD suspected compromise

'
	delivered "$T/msg" "HOLD: no hold queue, queued"
	logged "no hold queue: queued anyway: HOLD suspected compromise" "HOLD"
	printf 'action=hold x\n\n' >"$T/answer"
	qq "$T/msg" $AUTH MAILSENTRY_POLICY=inet:127.0.0.1:$FP MAILSENTRY_HOLD=defer
	refused 71 "HOLD with MAILSENTRY_HOLD=defer"
	answer 'action=DISCARD

'
	[ $rc -eq 0 ] || fail "DISCARD: exit $rc"
	[ -e "$REC" ] && fail "DISCARD: qmail-queue ran"
	logged "discarded" "DISCARD"
	answer 'action=550 5.7.1 go away

'
	refused 31 "5NN"
	answer 'action=421 4.3.0 later

'
	refused 71 "4NN"
	answer 'action=DEFER_IF_REJECT x

'
	delivered "$T/msg" "DEFER_IF_REJECT"
	answer 'action=PREPEND X-Test: 1

'
	delivered "$T/msg" "PREPEND"
	logged "cannot be done by a QMAILQUEUE program" "PREPEND"
	answer 'action=FROBNICATE

'
	delivered "$T/msg" "unknown action, failing open"
	logged "bad answer: unknown action; failing open" "unknown action"
	answer 'garbage'
	delivered "$T/msg" "garbage and close, failing open"
	logged "closed the connection without answering" "garbage"
	answer "action=$(head -c 2000 /dev/zero | tr '\0' x)

"
	delivered "$T/msg" "overlong answer, failing open"
	logged "bad answer" "overlong answer"
	kill $FPID
	wait $FPID 2>/dev/null

	# A real TCP client from 127.0.0.2: tcpserver sets TCPREMOTEIP, tcprules
	# sets QMAILQUEUE (as docs/qmail.md tells), a stand-in for qmail-smtpd
	# takes the authenticated user from the client and runs $QMAILQUEUE as
	# qmail-smtpd does.
	start_serve tcpd inet: -o allow_nets_file="$T/allow_nets"
	TCPD=$PID
	cat >"$T/smtpd" <<'EOF'
#!/bin/sh
IFS= read -r user
TCPREMOTEINFO=$user
export TCPREMOTEINFO
"${QMAILQUEUE:-$MAILSENTRY_QMAILQUEUE}" <"$MSG" 1<"$ENVELOPE" 2>>"$SMTPD_LOG"
echo "exit $?"
EOF
	chmod +x "$T/smtpd"
	printf '127.:allow,QMAILQUEUE="%s"\n:deny\n' "$QQ" >"$T/tcp.smtp"
	tcprules "$T/tcp.smtp.cdb" "$T/tcp.smtp.tmp" <"$T/tcp.smtp" || fail "tcprules"
	for try in 1 2 3 4 5; do
		SP=$(port)
		MSG="$T/msg" ENVELOPE="$T/env" SMTPD_LOG="$T/smtpd.log" \
			MAILSENTRY_POLICY=inet:127.0.0.1:$PORT \
			tcpserver -R -H -l localhost -x "$T/tcp.smtp.cdb" 127.0.0.1 "$SP" "$T/smtpd" \
			2>"$T/tcpserver.err" &
		SPID=$!
		sleep 0.3
		kill -0 $SPID 2>/dev/null && break
	done
	client() {
		rm -rf "$REC"
		tcpclient -R -H -l localhost -i "$1" 127.0.0.1 "$SP" \
			sh -c 'printf "%s\n" "$0" >&7; cat <&6' "$2" >"$T/client.out" 2>&1
	}
	client 127.0.0.2 dave@example.com
	grep -q "^exit 31$" "$T/client.out" ||
		fail "tcpserver, 127.0.0.2: $(cat "$T/client.out") $(cat "$T/smtpd.log")"
	grep -q "client 127.0.0.2: refused (exit 31)" "$T/smtpd.log" ||
		fail "tcpserver: no refusal logged: $(cat "$T/smtpd.log")"
	client 127.0.0.1 dave@example.com
	grep -q "^exit 0$" "$T/client.out" || fail "tcpserver, 127.0.0.1: $(cat "$T/client.out")"
	cmp -s "$T/msg" "$REC/msg" || fail "tcpserver, 127.0.0.1: message not queued"
	kill $SPID $TCPD
	wait $SPID $TCPD 2>/dev/null
fi

[ $fails -eq 0 ] && ok "qmail-queue wrapper: pass, refuse, defer, fail open/closed, timeout" && exit 0
exit 1
