#!/bin/sh
# serve_proto.sh - the policy service's byte stream, on TCP and on a unix
# socket: what Postfix may send in any pieces gets the same answers.
# 1. One request: DUNNO; CRLF line ends: DUNNO.
# 2. Two requests in one write (a locked account and another): two answers,
#    in order; and the other way round.
# 3. A request sent a byte at a time, and one whose empty line comes in a
#    write of its own: one answer each, none before the empty line.
# 4. 20000 requests in one burst to a client that reads only once it has
#    sent them all, with a small receive buffer: 20000 answers, in order
#    (on the unix socket, whose send buffer does not grow, the daemon's
#    writes come back short and it waits to write before reading on).
# 5. A request of 16384 bytes (the limit) sent in 5 pieces is answered; a
#    request of 16385 bytes in pieces closes the connection unanswered.
# 6. A request followed by a malformed one in the same write: the first is
#    answered, then the connection is closed.
# 7. A client that half-closes after its request gets its answer.
# 8. 200 connections each with a request started but not ended, then each
#    ends it: every one answered (the daemon keeps each piece apart).
# Usage: sh tests/cli/serve_proto.sh path/to/mailsentry
. "$(dirname "$0")/lib/common.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY is needed for the policy client"; exit 77; }

cat >"$T/proto.py" <<'EOF'
import socket, sys, threading, time

LOCKED = "REJECT 5.7.1 account suspended: suspected compromise; contact the postmaster"
target = sys.argv[1]
fails = 0

def fail(msg):
    global fails
    fails += 1
    print("FAIL: " + msg)

def conn(rcvbuf=0):
    if target.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.connect(target[5:])
    else:
        host, port = target[5:].rsplit(":", 1)
        s = socket.socket()
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.connect((host, int(port)))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(10)
    return s

def req(user, n=0, nl="\n"):
    lines = ["request=smtpd_access_policy", "protocol_state=RCPT", "protocol_name=ESMTP",
             "client_address=198.51.100.%d" % (n % 250 + 1), "sasl_method=PLAIN",
             "sasl_username=%s" % user, "sender=%s" % user,
             "recipient=r%d@example.net" % n, "instance=%x.1" % n, ""]
    return (nl.join(lines) + nl).encode()

def answers(s, want, timeout=10):
    """Read until want answers (or EOF); returns (list of actions, eof)."""
    buf = b""
    s.settimeout(timeout)
    while buf.count(b"\n\n") < want:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            return parse(buf), True
        buf += d
    return parse(buf), False

def parse(buf):
    out = []
    for a in buf.split(b"\n\n")[:-1]:
        a = a.decode()
        out.append(a[len("action="):] if a.startswith("action=") else "?" + a)
    return out

def nothing(s, secs=0.2):
    s.settimeout(secs)
    try:
        d = s.recv(100)
        return False if d else "eof"
    except socket.timeout:
        return True

def closed(s):
    s.settimeout(10)
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True

# 1
s = conn()
s.sendall(req("bob@example.org"))
a, _ = answers(s, 1)
if a != ["DUNNO"]:
    fail("one request: %r" % a)
s.sendall(req("bob@example.org", 1, "\r\n"))
a, _ = answers(s, 1)
if a != ["DUNNO"]:
    fail("CRLF: %r" % a)
s.close()

# 2
s = conn()
s.sendall(req("locked@example.org") + req("bob@example.org"))
a, _ = answers(s, 2)
if a != [LOCKED, "DUNNO"]:
    fail("two in one write: %r" % a)
s.sendall(req("bob@example.org", 2) + req("Locked@Example.org", 3))
a, _ = answers(s, 2)
if a != ["DUNNO", LOCKED]:
    fail("two in one write, other order: %r" % a)
s.close()

# 3
s = conn()
r = req("bob@example.org", 4)
for i in range(len(r) - 1):
    s.send(r[i:i + 1])
    if i % 40 == 0:
        time.sleep(0.001)
if nothing(s) is not True:
    fail("a byte at a time: an answer (or a close) before the empty line")
s.send(r[-1:])
a, _ = answers(s, 1)
if a != ["DUNNO"]:
    fail("a byte at a time: %r" % a)
s.send(r[:-1])
time.sleep(0.05)
if nothing(s, 0.1) is not True:
    fail("empty line apart: an answer before it")
s.send(b"\n")
a, _ = answers(s, 1)
if a != ["DUNNO"]:
    fail("empty line apart: %r" % a)
if nothing(s, 0.1) is not True:
    fail("empty line apart: more than one answer")
s.close()

# 4
N = 20000
s = conn(rcvbuf=4096)
burst = b"".join(req("locked@example.org" if i % 7 == 3 else "u%d@example.org" % i, i)
                 for i in range(N))
def send_all():
    s.sendall(burst)
th = threading.Thread(target=send_all)
th.start()
time.sleep(0.5)
a, eof = answers(s, N, 20)
th.join()
want = [LOCKED if i % 7 == 3 else "DUNNO" for i in range(N)]
if a != want:
    bad = next((i for i in range(min(len(a), N)) if a[i] != want[i]), len(a))
    fail("burst of %d: %d answers, first wrong at %d (%r), eof %s" %
         (N, len(a), bad, a[bad] if bad < len(a) else None, eof))
s.close()

# 5
def sized(n):
    r = req("bob@example.org", 5)
    pad = n - len(r) - len("x_pad=\n")
    return r[:-1] + b"x_pad=" + b"x" * pad + b"\n\n"
for size, ok in ((16384, True), (16385, False)):
    s = conn()
    r = sized(size)
    assert len(r) == size
    step = size // 5 + 1
    for i in range(0, size, step):
        s.sendall(r[i:i + step])
        time.sleep(0.02)
    if ok:
        a, _ = answers(s, 1)
        if a != ["DUNNO"]:
            fail("%d bytes in pieces: %r" % (size, a))
    elif not closed(s):
        fail("%d bytes in pieces: not closed" % size)
    s.close()

# 6
s = conn()
s.sendall(req("bob@example.org", 6) + b"request=smtpd_access_policy\nno equals sign\n\n")
a, eof = answers(s, 2, 5)
if not eof or a != ["DUNNO"]:
    fail("good then malformed: %r, closed %s" % (a, eof))
s.close()

# 7
s = conn()
s.sendall(req("bob@example.org", 7))
s.shutdown(socket.SHUT_WR)
a, _ = answers(s, 1)
if a != ["DUNNO"]:
    fail("half-closed: %r" % a)
s.close()

# 8
cs = [conn() for _ in range(200)]
for i, c in enumerate(cs):
    c.sendall(req("u%d@example.org" % i, i)[:-30])
time.sleep(0.2)
for i, c in enumerate(cs):
    c.sendall(req("u%d@example.org" % i, i)[-30:])
got = sum(1 for c in cs if answers(c, 1)[0] == ["DUNNO"])
if got != 200:
    fail("200 requests in two pieces each: %d answered" % got)
for c in cs:
    c.close()

sys.exit(1 if fails else 0)
EOF

run() {
	spec=$1
	"$MS" serve -o state_dir="$T/state" -o "policy_listen=$spec" -o metrics_listen= \
		-o authpolicy_listen= -o follow= -o geoip_file= -o geoip6_file= \
		>"$T/serve.out" 2>&1 &
	PID=$!
	wait_for "ready:" "$T/serve.out" 10 || { fail "serve did not start: $(cat "$T/serve.out")"; return 1; }
	"$MS" lock locked@example.org -o state_dir="$T/state" >/dev/null 2>&1 ||
		fail "$spec: lock failed"
	if $PY "$T/proto.py" "$spec"; then
		ok "$spec: pipelined, split, bursts, limits in pieces, half-close"
	else
		fail "$spec: the byte stream"
	fi
	kill -TERM $PID
	wait $PID || fail "$spec: serve exited $? after SIGTERM: $(tail -c 1500 "$T/serve.out")"
	rm -rf "$T/state"
}

port=$((12000 + ($$ * 53) % 18000))
run "inet:127.0.0.1:$port"
run "unix:$T/policy.sock"
[ "$fails" -eq 0 ] || exit 1
echo "ok"
