"""test_authpol.py - the Dovecot auth policy service, end to end: the
harness's real Dovecot asks `mailsentry serve` (auth_policy_server_url)
before and after every authentication -- IMAP logins, and SMTP AUTH through
Postfix + Dovecot SASL.

In order (each test needs the ones before):

  1. a normal user logs in over IMAP and sends with SMTP AUTH;
  2. `mailsentry lock`: the account is refused at IMAP login and at SMTP
     AUTH, before its password is checked; `unlock` lets it in again;
  3. brute force from one address: once the detectors find it (from
     Dovecot's reports), that address is refused even with a right
     password; the same user from another address logs in;
  4. a botnet logs in to one account from many networks: the account is
     locked by the detectors; the administrator changes the password and
     unlocks; the botnet's retries with the old, leaked password are
     refused as such ("password no longer valid", from the hash Dovecot
     sends, never the password), while the user's new password works.

Dovecot hashes the password for the policy server with
auth_policy_hash_truncate bits; the test uses 32, as the docs advise.
Thresholds lowered for speed: brute_force_failures (Dovecot delays each
failed AUTH from one address by seconds, its auth penalty).
"""
import concurrent.futures
import http.client
import os
import re

import pytest

POLICY_PORT, AUTHPOL_PORT, METRICS_PORT = 10040, 10041, 10044
API = "Authorization: Bearer e2e-authpol"
USER, PW = "alice@harness.test", "secret-alice"
LOCKED, LOCKED_PW = "bob@harness.test", "secret-bob"
BRUTED = ("user01@harness.test", "pw-user01")
VICTIM, VICTIM_PW, NEW_PW = "carol@harness.test", "secret-carol", "changed-carol-7"


@pytest.fixture(scope="module")
def harness_options():
    return {"policy": "inet:127.0.0.1:%d" % POLICY_PORT,
            "dovecot_auth_policy": {"url": "http://127.0.0.1:%d/" % AUTHPOL_PORT,
                                    "api_header": API, "hash_truncate": 32}}


class Run:
    sentry = None
    locked_ok = None
    brute_ip = None
    victim_locked = None


def need(attr):
    if getattr(Run, attr) is None:
        pytest.skip("an earlier step failed (no %s)" % attr)
    return getattr(Run, attr)


class Sentry:
    def __init__(self, h, binary):
        self.h, self.bin = h, binary
        self.state_dir = os.path.join(h.scratch, "state-authpol")
        self.opts = ["-o", "state_dir=" + self.state_dir,
                     "-o", "policy_listen=inet:127.0.0.1:%d" % POLICY_PORT,
                     "-o", "authpolicy_listen=inet:127.0.0.1:%d" % AUTHPOL_PORT,
                     "-o", "authpolicy_api_header=" + API,
                     "-o", "metrics_listen=inet:127.0.0.1:%d" % METRICS_PORT,
                     "-o", "notify=no", "-o", "purge=no",
                     "-o", "brute_force_failures=6"]
        self.p = None

    def start(self):
        self.p = self.h.popen_in_ns([self.bin, "serve", *self.opts], name="mailsentry-authpol")
        self.h.wait_for(lambda: "ready:" in self.output() or self.p.poll() is not None, 15,
                        what=lambda: "serve to say ready: %s" % self.output())
        assert self.p.poll() is None, self.output()
        self.h.wait_listening([POLICY_PORT, AUTHPOL_PORT, METRICS_PORT])
        return self

    def output(self):
        try:
            with open(self.p.output_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def ctl(self, *args):
        return self.h.run_in_ns([self.bin, *args, "-o", "state_dir=" + self.state_dir],
                                timeout=20)

    def metrics(self):
        with self.h.netns_context():
            c = http.client.HTTPConnection("127.0.0.1", METRICS_PORT, timeout=10)
            c.request("GET", "/metrics")
            text = c.getresponse().read().decode()
            c.close()
        return text


def refused_by_policy(text, why):
    return why in text


def test_normal_user_logs_in_and_sends(harness, mailsentry_bin):
    Run.sentry = s = Sentry(harness, mailsentry_bin).start()
    ok, text = harness.imap_login(USER, PW, harness.fresh_ip("127.70"))
    assert ok, text
    r = harness.submit(USER, PW, harness.fresh_ip("127.70"), ["friend@example.org"])
    assert r.code == 250, r
    m = s.metrics()
    assert re.search(r"^mailsentry_authpolicy_requests_total\S* [1-9]", m, re.M), m


def test_locked_account_is_refused_before_its_password(harness):
    s = need("sentry")
    r = s.ctl("lock", LOCKED)
    assert r.returncode == 0, (r.stdout, r.stderr)
    ok, text = harness.imap_login(LOCKED, LOCKED_PW, harness.fresh_ip("127.71"))
    assert not ok and refused_by_policy(text, "account locked"), text
    r = harness.submit(LOCKED, LOCKED_PW, harness.fresh_ip("127.71"), ["x@example.org"])
    assert r.code == 535 and "account locked" in r.message, r
    r = s.ctl("unlock", LOCKED)
    assert r.returncode == 0, (r.stdout, r.stderr)
    ok, text = harness.imap_login(LOCKED, LOCKED_PW, harness.fresh_ip("127.71"))
    assert ok, text
    Run.locked_ok = True


def test_brute_forcing_address_is_refused(harness):
    s = need("sentry")
    ip = harness.fresh_ip("127.72")
    user2 = ("user02@harness.test", "pw-user02")
    # six failures at once (Dovecot's penalty delays each answer, not the
    # next attempt), three on each of two accounts
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        tries = [ex.submit(harness.imap_login, u, "wrong-%d" % i, ip)
                 for i, u in enumerate([BRUTED[0], user2[0]] * 3)]
        results = [t.result() for t in tries]
    assert not any(ok for ok, _ in results), results
    harness.wait_for(lambda: re.search(r"finding brute_force %s" % re.escape(ip), s.output()), 15,
                     what=lambda: "the brute_force finding: %s" % s.output()[-1500:])
    ok, text = harness.imap_login(BRUTED[0], BRUTED[1], ip)
    assert not ok and refused_by_policy(text, "address blocked"), text
    # SMTP AUTH from the same address is refused too; but Dovecot first
    # delays it by its own auth penalty for the earlier failures (about
    # 8 s here), and Postfix may give up on the auth server before that
    # (454 "Connection lost"): either way it is not let in.
    r = harness.submit(BRUTED[0], BRUTED[1], ip, ["x@example.org"])
    assert (r.code == 535 and "address blocked" in r.message) or r.code == 454, r
    ok, text = harness.imap_login(BRUTED[0], BRUTED[1], harness.fresh_ip("127.73"))
    assert ok, text
    Run.brute_ip = ip


def test_botnet_locks_the_account_then_its_old_password_is_refused(harness):
    s = need("sentry")
    ok, text = harness.imap_login(VICTIM, VICTIM_PW, "127.74.0.1")  # home network
    assert ok, text
    for n in range(1, 16):  # the botnet: one login per /16, until refused
        ok, text = harness.imap_login(VICTIM, VICTIM_PW, "127.%d.0.9" % (80 + n))
        if not ok:
            # once locked, the botnet's password is known leaked: that
            # refusal comes first
            assert refused_by_policy(text, "password no longer valid"), text
            break
    assert not ok, "the botnet was never refused"
    harness.wait_for(lambda: re.search(r"^account %s " % re.escape(VICTIM),
                                       s.ctl("list").stdout, re.M), 10,
                     what=lambda: "the detectors' lock: %s" % s.output()[-1500:])
    Run.victim_locked = n
    # the administrator changes the password, then unlocks
    harness.add_user(VICTIM, NEW_PW)
    r = s.ctl("unlock", VICTIM)
    assert r.returncode == 0, (r.stdout, r.stderr)
    # the botnet keeps trying the old password: refused as leaked, before
    # Dovecot checks it
    ok, text = harness.imap_login(VICTIM, VICTIM_PW, "127.99.0.9")
    assert not ok and refused_by_policy(text, "password no longer valid"), text
    # the user's new password works (over IMAP and SMTP AUTH)
    ok, text = harness.imap_login(VICTIM, NEW_PW, "127.74.0.1")
    assert ok, text
    r = harness.submit(VICTIM, NEW_PW, "127.74.0.1", ["friend@example.org"])
    assert r.code == 250, r
    print("\n[authpol e2e] the botnet's login %d (a distinct /16 each) was the first refused"
          % n)
    assert harness.outbound_attempts() == 0


def test_daemon_stops_cleanly(harness):
    s = need("sentry")
    assert harness.stop_process(s.p, timeout=10) == 0, s.output()[-2000:]
