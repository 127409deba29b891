"""test_harness.py - proves the e2e harness itself, with stdlib stubs for the
policy servers (the mailsentry daemon replaces them in its own e2e test).

One harness (module scope) serves every test here but the last, which
starts its own to check teardown. Each test uses source addresses no other
test uses (harness.fresh_ip), so log and stub checks cannot see another
test's traffic.
"""
import json
import os
import re
import socket
import socketserver
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from harness import IP

PW = {"user%02d@harness.test" % i: "pw-user%02d" % i for i in range(1, 21)}
PW.update({u: "secret-" + u.split("@")[0] for u in
           ("alice@harness.test", "bob@harness.test", "carol@harness.test",
            "mallory@harness.test")})


# --------------------------------------------------------------- policy stub
class _PolicyHandler(socketserver.StreamRequestHandler):
    """Postfix policy protocol: name=value lines, an empty line ends a
    request; answer "action=...\\n\\n"; the connection is reused."""

    def handle(self):
        stub = self.server.stub
        with stub.lock:
            stub.conns.add(self.connection)
        try:
            while True:
                req = {}
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    line = line.rstrip(b"\r\n").decode("utf-8", "replace")
                    if not line:
                        break
                    k, _, v = line.partition("=")
                    req[k] = v
                action = (stub.decide(req) if stub.decide else None) or "DUNNO"
                with stub.lock:
                    stub.requests.append(dict(req, _action=action))
                self.wfile.write(("action=%s\n\n" % action).encode())
                self.wfile.flush()
        except OSError:
            pass
        finally:
            with stub.lock:
                stub.conns.discard(self.connection)


class _PolicyServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 256  # HARNESS.md pitfall 6: a backlog of 5 drops SYNs


class PolicyStub:
    """A Postfix policy server on 127.0.0.1:port inside the harness netns.
    decide(request) -> action or None (DUNNO); requests: what Postfix sent."""

    def __init__(self, harness, port=10040):
        self.harness, self.port = harness, port
        self.lock = threading.Lock()
        self.requests, self.conns, self.decide = [], set(), None
        self.server = None

    def start(self):
        with self.harness.netns_context():  # the listening socket lives in the netns
            self.server = _PolicyServer(("127.0.0.1", self.port), _PolicyHandler)
        self.server.stub = self
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.harness.wait_listening([self.port])

    def stop(self):
        """Down for real: no listener and no open connection (Postfix keeps
        its policy connections open and would otherwise still be answered)."""
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            for c in list(self.conns):
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.server = None

    def seen(self, **match):
        with self.lock:
            return [r for r in self.requests if all(r.get(k) == v for k, v in match.items())]


@pytest.fixture(scope="module")
def stub(harness):
    s = PolicyStub(harness)
    s.start()
    yield s
    if s.server:
        s.stop()


@pytest.fixture
def policy(stub):
    """The running stub, with no rules, for one test."""
    if stub.server is None:
        stub.start()
    stub.decide = None
    yield stub
    stub.decide = None


# ------------------------------------------------------------------- tests
def test_namespace_has_only_loopback(harness, stub):
    links = harness.run_in_ns([IP, "-o", "link", "show"]).stdout.splitlines()
    assert len(links) == 1 and ": lo:" in links[0], links
    assert harness.run_in_ns([IP, "route", "show"]).stdout.strip() == ""  # no route out
    listen = harness.run_in_ns(["ss", "-Hltn"]).stdout.split("\n")
    addrs = [l.split()[3] for l in listen if l.strip()]
    assert addrs and all(a.startswith("127.") for a in addrs), addrs
    assert {2525, 2587, 2626, 2143, 10040} <= harness.listening_ports()


def test_submissions_from_many_sources_are_delivered(harness, policy):
    base_sink = harness.sink_count()
    sent = []
    for i, user in enumerate(["user01@harness.test", "user02@harness.test", "user03@harness.test",
                              "user04@harness.test", "alice@harness.test", "carol@harness.test"]):
        ip = harness.fresh_ip("127.10")
        rcpts = ["r%d@example.net" % i] + (["r%d-b@example.org" % i] if i % 2 == 0 else [])
        r = harness.submit(user, PW[user], ip, rcpts, mech="LOGIN" if i % 3 == 0 else "PLAIN")
        assert r.code == 250 and r.queue_id, r
        sent.append((user, ip, r.queue_id, rcpts, "LOGIN" if i % 3 == 0 else "PLAIN"))
    total = sum(len(s[3]) for s in sent)
    harness.wait_for(lambda: harness.sink_count() >= base_sink + len(sent), 15,
                     what="%d messages at the sink" % len(sent))
    for user, ip, qid, rcpts, mech in sent:
        # the policy stub saw the authenticated user, the source address and counts
        rcpt = policy.seen(protocol_state="RCPT", client_address=ip)
        assert [r["recipient"] for r in rcpt] == rcpts
        assert all(r["sasl_username"] == user and r["sasl_method"] == mech for r in rcpt)
        assert [r["recipient_count"] for r in rcpt] == ["0"] * len(rcpts)  # counted from DATA on
        eom = policy.seen(protocol_state="END-OF-MESSAGE", client_address=ip)
        assert len(eom) == 1 and eom[0]["recipient_count"] == str(len(rcpts))
        assert eom[0]["queue_id"] == qid and eom[0]["sasl_username"] == user
        assert eom[0]["server_port"] == "2587"
        # Postfix's log has the client=..., sasl_method=..., sasl_username=... line
        harness.wait_for_log(r"postfix/submission/smtpd\[\d+\]: %s: client=unknown\[%s\], "
                             r"sasl_method=%s, sasl_username=%s$"
                             % (qid, re.escape(ip), mech, re.escape(user)))
        harness.wait_for_log(r"postfix/smtp\[\d+\]: %s: to=<.*relay=127\.0\.0\.1\[127\.0\.0\.1\]"
                             r":2626, .*status=sent " % qid, count=len(rcpts))
    # every recipient reached the sink, nowhere else
    got = [a for m in harness.sink_messages() for a in m["rcpts"]]
    for _, _, _, rcpts, _ in sent:
        for a in rcpts:
            assert a in got
    assert harness.sent_count() >= total
    assert harness.postqueue_json() == []


def test_policy_reject_gives_the_client_a_5xx(harness, policy):
    policy.decide = lambda req: ("REJECT 5.7.1 account suspended: suspected compromise"
                                 if req.get("sasl_username") == "bob@harness.test"
                                 and req.get("protocol_state") == "RCPT" else None)
    ip_bob, ip_alice = harness.fresh_ip("127.20"), harness.fresh_ip("127.20")
    r = harness.submit("bob@harness.test", PW["bob@harness.test"], ip_bob, ["b1@example.net"])
    assert r.code == 554 and "suspected compromise" in r.message, r
    assert r.refused and r.queue_id is None
    harness.wait_for_log(r"NOQUEUE: reject: RCPT from unknown\[%s\]: 554 5\.7\.1 <b1@example\.net>:"
                         r" Recipient address rejected: account suspended" % re.escape(ip_bob))
    # other users are not affected
    r = harness.submit("alice@harness.test", PW["alice@harness.test"], ip_alice, "a1@example.net")
    assert r.code == 250, r
    assert policy.seen(client_address=ip_bob, _action="REJECT 5.7.1 account suspended: "
                       "suspected compromise")


def test_policy_hold_at_end_of_data_and_postqueue(harness, policy):
    policy.decide = lambda req: ("HOLD held by policy stub"
                                 if req.get("protocol_state") == "END-OF-MESSAGE"
                                 and req.get("sasl_username") == "carol@harness.test" else None)
    r = harness.submit("carol@harness.test", PW["carol@harness.test"], harness.fresh_ip("127.20"),
                       ["c1@example.net"])
    assert r.code == 250, r
    q = harness.wait_for(lambda: [m for m in harness.postqueue_json() if m["queue_id"] == r.queue_id])
    assert q[0]["queue_name"] == "hold" and q[0]["sender"] == "carol@harness.test"
    assert [x["address"] for x in q[0]["recipients"]] == ["c1@example.net"]
    assert harness.postsuper("-d", r.queue_id).returncode == 0
    harness.wait_for(lambda: not any(m["queue_id"] == r.queue_id for m in harness.postqueue_json()))


def test_xclient_claims_another_client_address(harness, policy):
    # Only a claim in the SMTP session: no packet goes to 203.0.113.7.
    r = harness.submit("alice@harness.test", PW["alice@harness.test"], "127.0.0.1",
                       ["x1@example.net"], xclient={"ADDR": "203.0.113.7"})
    assert r.code == 250, r
    eom = policy.seen(protocol_state="END-OF-MESSAGE", queue_id=r.queue_id)
    assert eom and eom[0]["client_address"] == "203.0.113.7"
    harness.wait_for_log(r"%s: client=\S*\[203\.0\.113\.7\], sasl_method=PLAIN, "
                         r"sasl_username=alice@harness\.test" % r.queue_id)


def test_mail_flows_with_the_policy_server_down(harness, policy):
    policy.stop()
    base = harness.sink_count()
    ip = harness.fresh_ip("127.30")
    t0 = time.monotonic()
    r = harness.submit("user05@harness.test", PW["user05@harness.test"], ip, ["down@example.net"])
    took = time.monotonic() - t0
    assert r.code == 250, r  # default_action=DUNNO
    harness.wait_for(lambda: harness.sink_count() > base)
    harness.wait_for_log(r"%s: to=<down@example\.net>, .*status=sent" % r.queue_id)
    harness.wait_for_log(r"warning: connect to 127\.0\.0\.1:10040: Connection refused")
    assert took < 10, "policy fallback took %.1f s" % took
    policy.start()
    r = harness.submit("user05@harness.test", PW["user05@harness.test"], harness.fresh_ip("127.30"),
                       ["up-again@example.net"])
    assert r.code == 250 and policy.seen(recipient="up-again@example.net"), r


def test_imap_login(harness):
    ip = harness.fresh_ip("127.40")
    ok, text = harness.imap_login("alice@harness.test", PW["alice@harness.test"], ip)
    assert ok, text
    harness.wait_for_log(r"imap-login: Info: Login: user=<alice@harness\.test>, method=PLAIN, "
                         r"rip=%s, lip=127\.0\.0\.1" % re.escape(ip), dovecot=True)


def test_bad_password_fails_and_is_logged(harness, policy):
    ip = harness.fresh_ip("127.50")
    r = harness.submit("alice@harness.test", "WRONG", ip, ["never@example.net"])
    assert r.code == 535, r
    harness.wait_for_log(r"warning: unknown\[%s\]: SASL PLAIN authentication failed: .*"
                         r"sasl_username=alice@harness\.test" % re.escape(ip))
    harness.wait_for_log(r"auth: Info: passwd-file\(alice@harness\.test,%s\): Password mismatch"
                         % re.escape(ip), dovecot=True)
    assert not policy.seen(client_address=ip)  # never got as far as RCPT
    ip = harness.fresh_ip("127.50")
    ok, text = harness.imap_login("bob@harness.test", "WRONG", ip)
    assert not ok and "AUTHENTICATIONFAILED" in text, text
    harness.wait_for_log(r"imap-login: Info: Disconnected: .*auth failed, 1 attempts.*"
                         r"user=<bob@harness\.test>, method=PLAIN, rip=%s," % re.escape(ip),
                         dovecot=True)
    harness.wait_for_log(r"passwd-file\(bob@harness\.test,%s,<[^>]*>\): Password mismatch"
                         % re.escape(ip), dovecot=True)


class _AuthPolicyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # Dovecot keeps the connection alive

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        cmd = parse_qs(urlparse(self.path).query).get("command", ["?"])[0]
        deny = cmd == "allow" and body.get("login") in self.server.deny
        self.server.seen.append((cmd, body))
        out = json.dumps({"status": -1 if deny else 0,
                          "msg": "blocked by policy stub" if deny else "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *a):
        pass


class _AuthPolicyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # HARNESS.md pitfall 6: slow accepts crash Dovecot's auth


def test_dovecot_auth_policy_hook(harness, policy):
    with harness.netns_context():
        srv = _AuthPolicyServer(("127.0.0.1", 10041), _AuthPolicyHandler)
    srv.seen, srv.deny = [], {"mallory@harness.test"}
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        harness.set_dovecot_auth_policy("http://127.0.0.1:10041/policy")
        ip = harness.fresh_ip("127.60")
        ok, text = harness.imap_login("alice@harness.test", PW["alice@harness.test"], ip)
        assert ok, text
        allow = [b for c, b in srv.seen if c == "allow" and b.get("remote") == ip]
        assert allow and allow[0]["login"] == "alice@harness.test" and allow[0]["protocol"] == "imap"
        ok, text = harness.imap_login("mallory@harness.test", PW["mallory@harness.test"],
                                      harness.fresh_ip("127.60"))
        assert not ok and "blocked by policy stub" in text, text
        r = harness.submit("mallory@harness.test", PW["mallory@harness.test"],
                           harness.fresh_ip("127.60"), ["m1@example.net"])
        assert r.code == 535 and "blocked by policy stub" in r.message, r
        assert any(c == "allow" and b.get("protocol") == "smtp" for c, b in srv.seen)
    finally:
        harness.set_dovecot_auth_policy(None)
        srv.shutdown()
        srv.server_close()
    ok, text = harness.imap_login("mallory@harness.test", PW["mallory@harness.test"],
                                  harness.fresh_ip("127.60"))
    assert ok, text


def test_nothing_tried_to_leave_loopback(harness):
    """After all the traffic above: no DNS query, no connect to anything
    but loopback was even attempted inside the namespace."""
    assert harness.outbound_attempts() == 0


def test_popen_in_ns_and_teardown(harness_factory):
    """A second harness: a program started with popen_in_ns sees the
    namespace's ports; after a failure inside `with`, stop() leaves no
    process, namespace or scratch dir behind."""
    h = harness_factory(policy=None)
    p = h.popen_in_ns([sys.executable, "-c", "import socket,sys; s=socket.socket(); "
                       "s.connect(('127.0.0.1', 2587)); print(s.recv(100).decode()); "
                       "sys.stdout.flush(); import time; time.sleep(300)"], name="probe")
    h.wait_for(lambda: "220 mx.harness.test ESMTP" in open(p.output_path).read(), 10,
               what="probe's banner")
    assert p.pid in h.ns_pids()
    r = h.submit(None, None, "127.70.0.1", ["inbound@harness.test"])  # :2525, no AUTH, MX-style
    assert r.code == 250, r
    h.wait_for(lambda: h.sink_count() == 1)
    pids, ns, scratch = h.ns_pids(), h.netns, h.scratch
    assert len(pids) > 5
    with pytest.raises(RuntimeError):
        with h:  # __exit__ = stop(), also when the block raises
            raise RuntimeError("test failure inside the harness")
    assert p.poll() is not None
    names = subprocess.run([IP, "netns", "list"], capture_output=True, text=True).stdout
    assert ns not in names
    assert not os.path.exists(scratch)
    for pid in pids:
        assert _gone_or_zombie(pid), pid
    h.stop()  # idempotent


def _gone_or_zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True
