"""harness.py - real Postfix + Dovecot + smtp-sink in a private network namespace.

The e2e tests of mailsentry drive servers installed from Debian (postfix,
dovecot-core, dovecot-imapd), started here, inside a network namespace of
their own that holds nothing but `lo`. No packet can leave the machine, not
even a DNS query (the host's resolver is not on loopback, so a stray lookup
fails with "network unreachable" instead of going out).

    with Harness() as h:                        # or the `harness` fixture
        code, msg = h.submit("alice@harness.test", "secret-alice",
                             "127.10.0.1", ["bob@example.net"])
        h.wait_for(lambda: h.sink_count() == 1)

What runs (all inside the namespace, on 127.0.0.1):
  2525  Postfix smtpd, MX-style (no AUTH; relays for 127.0.0.1 and accepts
        mail for harness.test from anyone)
  2587  Postfix submission, Dovecot SASL required (PLAIN/LOGIN, no TLS)
  2626  smtp-sink: every message Postfix relays lands here, one file each
  2143  Dovecot IMAP (passwd-file users, Maildir under the scratch dir)
Postfix asks `check_policy_service` (default inet:127.0.0.1:10040) at RCPT
and END-OF-MESSAGE; with the policy server down or slow it falls back to
`policy_default_action` (DUNNO), so mail keeps flowing.

Client helpers (submit, imap_login) run in this process: the socket is
created inside the namespace (setns(2) on the calling thread only) and
bound to the given 127.x.y.z source, with no name lookups. Other programs
(the mailsentry daemon) start with popen_in_ns / run_in_ns.

Python 3 stdlib only; needs root (netns, Postfix, Dovecot). See README.md.
"""
import contextlib
import ctypes
import email.message
import email.utils
import imaplib
import json
import os
import re
import secrets
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")

DOMAIN = "harness.test"
SMTP_PORT = 2525
SUBMISSION_PORT = 2587
SINK_PORT = 2626
IMAP_PORT = 2143
POLICY_ADDR = "inet:127.0.0.1:10040"

# Default mailboxes: user -> password (passwd-file, {PLAIN}).
DEFAULT_USERS = {
    "alice@harness.test": "secret-alice",
    "bob@harness.test": "secret-bob",
    "carol@harness.test": "secret-carol",
    "mallory@harness.test": "secret-mallory",
}
DEFAULT_USERS.update({"user%02d@harness.test" % i: "pw-user%02d" % i for i in range(1, 21)})

NOBODY = 65534  # uid/gid of the mail homes (above Dovecot's first_valid_uid)
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

POSTFIX = "/usr/sbin/postfix"
POSTQUEUE = "/usr/sbin/postqueue"
POSTSUPER = "/usr/sbin/postsuper"
SMTP_SINK = "/usr/sbin/smtp-sink"
DOVECOT = "/usr/sbin/dovecot"
IP = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "/sbin/ip"


class HarnessError(RuntimeError):
    """The harness could not start, or a helper failed in a way tests should see."""


def prerequisites_missing():
    """Why the harness cannot run here (a string), or None when it can."""
    if os.geteuid() != 0:
        return "e2e harness needs root (network namespaces, Postfix, Dovecot)"
    for path, pkg in ((IP, "iproute2"), (POSTFIX, "postfix"), (SMTP_SINK, "postfix"),
                      (DOVECOT, "dovecot-core"), ("/usr/lib/dovecot/imap", "dovecot-imapd")):
        if not os.path.exists(path):
            return "%s missing (package %s; run sh tools/e2e-deps.sh)" % (path, pkg)
    r = subprocess.run([IP, "netns", "list"], capture_output=True, text=True)
    if r.returncode != 0:
        return "`ip netns` unavailable: %s" % (r.stderr.strip() or r.returncode)
    return None


@contextlib.contextmanager
def netns(name):
    """Run the block with the calling thread in network namespace `name`.

    Only this OS thread moves (setns(2)); sockets created inside the block
    stay in the namespace for their whole life, so the block only needs to
    cover socket creation (and connect/bind, which are cheap)."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open("/run/netns/%s" % name, os.O_RDONLY | os.O_CLOEXEC)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, "setns(%s): %s" % (name, os.strerror(e)))
            try:
                yield
            finally:
                if _libc.setns(own, CLONE_NEWNET) != 0:
                    # Stuck inside the namespace: safe (only lo), but say so.
                    e = ctypes.get_errno()
                    raise OSError(e, "setns back to the host namespace: %s" % os.strerror(e))
        finally:
            os.close(target)
    finally:
        os.close(own)


NETNS_PREFIX = "ms-e2e-"
_STALE_RX = re.compile(r"^%s(\d+)-[0-9a-f]+$" % NETNS_PREFIX)


def cleanup_stale(tmp_root=None):
    """Remove what earlier runs left behind when they were killed before
    their teardown (SIGKILL, ctest timeout): namespaces ms-e2e-<pid>-<hex>
    whose pid is gone -- SIGKILL what still runs inside them (harness
    servers of that run), delete them -- and their scratch dirs
    <tmp>/ms-e2e-<pid>-<hex>-*. Runs of live processes are left alone.
    Returns the namespace/dir names removed."""
    removed = []

    def dead(name):
        m = _STALE_RX.match(name)
        return bool(m) and not os.path.exists("/proc/%s" % m.group(1))

    r = subprocess.run([IP, "netns", "list"], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if not dead(name):
            continue
        pids = subprocess.run([IP, "netns", "pids", name], capture_output=True, text=True)
        for pid in pids.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and subprocess.run(
                [IP, "netns", "pids", name], capture_output=True, text=True).stdout.strip():
            time.sleep(0.05)
        if subprocess.run([IP, "netns", "del", name], capture_output=True).returncode == 0:
            removed.append(name)
    root = tmp_root or os.environ.get("MS_E2E_TMP") or tempfile.gettempdir()
    try:
        entries = os.listdir(root)
    except OSError:
        entries = []
    for e in entries:
        ns = e.rsplit("-", 1)[0]
        if e.startswith(NETNS_PREFIX) and dead(ns) and os.path.isdir(os.path.join(root, e)) \
                and not os.path.exists("/run/netns/%s" % ns):
            shutil.rmtree(os.path.join(root, e), ignore_errors=True)
            removed.append(os.path.join(root, e))
    return removed


class SubmitResult(tuple):
    """(code, message) of a submission; also .queue_id and .refused.

    code/message are the final server reply: 250 + "2.0.0 Ok: queued as ID"
    when the message was accepted, else the first failing reply (AUTH,
    MAIL, RCPT when every recipient was refused, or DATA). refused maps each
    refused recipient to its (code, message) even when others were accepted."""

    def __new__(cls, code, message, queue_id=None, refused=None):
        t = super().__new__(cls, (code, message))
        t.queue_id = queue_id
        t.refused = refused or {}
        return t

    code = property(lambda self: self[0])
    message = property(lambda self: self[1])


class _NsSMTP(smtplib.SMTP):
    def __init__(self, ns, *args, **kw):
        self._ns = ns
        super().__init__(*args, **kw)

    def _get_socket(self, host, port, timeout):
        with netns(self._ns):
            return socket.create_connection((host, port), timeout, self.source_address)


class _NsIMAP(imaplib.IMAP4):
    def __init__(self, ns, src, host, port, timeout):
        self._ns, self._src = ns, src
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout):
        with netns(self._ns):
            return socket.create_connection((self.host, self.port), timeout,
                                            source_address=(self._src, 0))


def _render(name, values):
    with open(os.path.join(TEMPLATES, name)) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("{{%s}}" % k, str(v))
    left = re.findall(r"\{\{[A-Z_]+\}\}", text)
    if left:
        raise HarnessError("template %s: unfilled %s" % (name, sorted(set(left))))
    return text


def _write(path, text, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


class Harness:
    """One private mail system: netns + Postfix + Dovecot + smtp-sink.

    Options (all keyword):
      policy                 check_policy_service address, default
                             "inet:127.0.0.1:10040"; None = no policy checks
      policy_stages          ("rcpt", "data"): RCPT and/or END-OF-MESSAGE
      policy_time_limit      seconds Postfix waits for one policy answer
                             (check_policy_service timeout=, and
                             smtpd_policy_service_timeout), default 10
      policy_default_action  what Postfix does when the policy server is
                             down or times out, default "DUNNO"
      policy_try_limit, policy_retry_delay
                             Postfix's connect attempts (2) and the delay
                             between them ("1s")
      dovecot_auth_policy    dict of set_dovecot_auth_policy() arguments
                             to start with (None: no auth policy server)
      users                  {user: password}; default DEFAULT_USERS
      syslog_name            Postfix syslog_name, default "postfix" (log
                             tags postfix/smtpd, postfix/submission/smtpd)
      postfix_params         extra main.cf parameters {name: value}
      keep                   keep the scratch dir after stop() (also env
                             MS_E2E_KEEP=1); the namespace always goes
      tmp_root               parent of the scratch dir (env MS_E2E_TMP, /tmp)
    """

    def __init__(self, policy=POLICY_ADDR, policy_stages=("rcpt", "data"),
                 policy_time_limit=10, policy_default_action="DUNNO",
                 policy_try_limit=2, policy_retry_delay="1s",
                 dovecot_auth_policy=None, users=None, syslog_name="postfix",
                 postfix_params=None, keep=None, tmp_root=None):
        self.policy = policy
        self.policy_stages = tuple(policy_stages)
        self.policy_time_limit = policy_time_limit
        self.policy_default_action = policy_default_action
        self.policy_try_limit = policy_try_limit
        self.policy_retry_delay = policy_retry_delay
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.syslog_name = syslog_name
        self.postfix_params = dict(postfix_params or {})
        self._initial_dovecot_policy = dovecot_auth_policy
        self.keep = bool(int(os.environ.get("MS_E2E_KEEP", "0") or 0)) if keep is None else keep
        self.tmp_root = tmp_root or os.environ.get("MS_E2E_TMP") or None
        self.netns = "%s%d-%s" % (NETNS_PREFIX, os.getpid(), secrets.token_hex(3))
        self.scratch = None
        self.timings = {}
        self._procs = []
        self._sink = None
        self._started = False
        self._ns_created = False
        self._ip_lock = threading.Lock()
        self._ip_next = 0

    # ---------------------------------------------------------------- paths
    @property
    def postfix_config_dir(self):
        """For `postqueue -c`, `postsuper -c`, `postconf -c`."""
        return os.path.join(self.scratch, "pfx", "etc")

    @property
    def queue_dir(self):
        return os.path.join(self.scratch, "pfx", "spool")

    @property
    def log_path(self):
        """Postfix's maillog_file (classic syslog lines, written by postlogd)."""
        return os.path.join(self.scratch, "log", "postfix.log")

    @property
    def dovecot_log_path(self):
        """Dovecot's own log file ("Mon DD HH:MM:SS imap-login: Info: ...")."""
        return os.path.join(self.scratch, "log", "dovecot.log")

    @property
    def dovecot_config(self):
        return os.path.join(self.scratch, "dovecot", "dovecot.conf")

    @property
    def sink_dir(self):
        return os.path.join(self.scratch, "sink")

    @property
    def run_dir(self):
        """Where popen_in_ns puts a program's output by default."""
        return os.path.join(self.scratch, "run")

    # ------------------------------------------------------------ lifecycle
    def __enter__(self):
        if not self._started:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        """Create everything and wait until every port listens. On any error
        whatever was already started is torn down and the error re-raised
        (HarnessError, or AssertionError from a wait that timed out)."""
        why = prerequisites_missing()
        if why:
            raise HarnessError(why)
        t0 = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.timings["start"] = time.monotonic() - t0
        self._started = True
        return self

    def _start(self):
        self.scratch = tempfile.mkdtemp(prefix=self.netns + "-", dir=self.tmp_root)
        os.chmod(self.scratch, 0o755)  # postfix, dovecot, nobody traverse it
        S = self.scratch
        for d in ("pfx/etc", "pfx/spool", "pfx/data", "log", "dovecot", "mail", "sink", "run"):
            os.makedirs(os.path.join(S, d), exist_ok=True)
        os.chown(os.path.join(S, "pfx/spool"), 0, 0)
        os.chmod(os.path.join(S, "pfx/spool"), 0o755)
        shutil.chown(os.path.join(S, "pfx/data"), "postfix", "postfix")
        os.chmod(os.path.join(S, "pfx/data"), 0o700)
        shutil.chown(os.path.join(S, "sink"), "postfix", "postfix")
        os.chown(os.path.join(S, "mail"), NOBODY, NOBODY)

        # namespace with only lo
        self._ip("netns", "add", self.netns)
        self._ns_created = True
        self._ip("-n", self.netns, "link", "set", "lo", "up")
        links = self._ip("-n", self.netns, "-o", "link", "show").stdout.strip().splitlines()
        if len(links) != 1 or ": lo:" not in links[0]:
            raise HarnessError("namespace %s is not lo-only: %r" % (self.netns, links))

        self._write_postfix_config()
        self._write_users()
        self._write_dovecot_config()
        _write(os.path.join(S, "dovecot", "auth-policy.conf"), "")
        if self._initial_dovecot_policy:
            self._write_dovecot_policy(**self._initial_dovecot_policy)

        t = time.monotonic()
        self._sink = self.popen_in_ns(
            [SMTP_SINK, "-u", "postfix", "-d", os.path.join(self.sink_dir, "%Y%m%d%H/%M."),
             "127.0.0.1:%d" % SINK_PORT, "256"], name="smtp-sink")
        # The queue subdirectories are made here, as postfix-files says, and
        # `quick-start` skips the integrity check of `postfix start` (2-6 s
        # of shell and postconf calls). Without postfix-files, that check
        # makes them. private/ must exist before Dovecot puts its auth socket
        # there, so Dovecot comes second (smtpd needs the socket only when a
        # client authenticates).
        if self._make_queue_dirs():
            open(os.path.join(self.queue_dir, "quick-start"), "w").close()
        self._postfix_cmd("start")
        self.timings["postfix_start"] = time.monotonic() - t
        r = self.run_in_ns([DOVECOT, "-c", self.dovecot_config])
        if r.returncode != 0:
            raise HarnessError("dovecot failed to start: %s%s" % (r.stdout, r.stderr))
        self.wait_for(lambda: os.path.exists(os.path.join(self.queue_dir, "private", "auth")),
                      10, what="Dovecot's auth socket in private/auth")
        self.wait_listening([SMTP_PORT, SUBMISSION_PORT, SINK_PORT, IMAP_PORT], timeout=20)
        self.timings["servers_up"] = time.monotonic() - t

    def stop(self):
        """Stop everything started here, delete the namespace and (unless
        keep) the scratch dir. Safe to call twice and after a failed start.
        Raises HarnessError at the end if something would not go away."""
        if not (self._ns_created or self._procs or
                (self.scratch and os.path.isdir(self.scratch) and not self.keep)):
            return  # nothing left to do (stopped already)
        t0 = time.monotonic()
        problems = []
        if self.scratch and self._ns_created:
            try:
                self._postfix_cmd("stop", check=False, timeout=20)
            except Exception as e:  # keep tearing down
                problems.append("postfix stop: %s" % e)
            pid = self._read_pid(os.path.join(self.scratch, "dovecot", "run", "master.pid"))
            if pid and self._pid_in_ns(pid):
                self._signal(pid, signal.SIGTERM)
        for p in list(self._procs):
            if p.poll() is None:
                self._signal(p.pid, signal.SIGTERM)
        for p in list(self._procs):
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self._signal(p.pid, signal.SIGKILL)
                try:
                    p.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    problems.append("pid %d (%s) did not exit" % (p.pid, p.args))
            for f in (p.stdout, p.stderr):
                if f and not f.closed:
                    f.close()
        self._procs = []
        if self._ns_created:
            # Whatever still runs in the namespace was started by us (it is
            # private): give it time, then SIGKILL it by pid.
            deadline = time.monotonic() + 6
            while self.ns_pids() and time.monotonic() < deadline:
                time.sleep(0.05)
            left = self.ns_pids()
            for pid in left:
                self._signal(pid, signal.SIGKILL)
            deadline = time.monotonic() + 3
            while self.ns_pids() and time.monotonic() < deadline:
                time.sleep(0.05)
            if left:
                problems.append("had to SIGKILL pids %s in %s" % (left, self.netns))
            r = subprocess.run([IP, "netns", "del", self.netns], capture_output=True, text=True)
            if r.returncode != 0:
                problems.append("ip netns del %s: %s" % (self.netns, r.stderr.strip()))
            else:
                self._ns_created = False
        if self.scratch and os.path.isdir(self.scratch) and not self.keep:
            shutil.rmtree(self.scratch, ignore_errors=True)
            if os.path.exists(self.scratch):
                problems.append("could not remove %s" % self.scratch)
        self.timings["stop"] = time.monotonic() - t0
        self._started = False
        if problems:
            raise HarnessError("teardown: " + "; ".join(problems))

    # -------------------------------------------------------------- running
    def _ip(self, *args):
        r = subprocess.run([IP, *args], capture_output=True, text=True)
        if r.returncode != 0:
            raise HarnessError("ip %s: %s" % (" ".join(args), r.stderr.strip()))
        return r

    def ns_argv(self, argv):
        """argv prefixed so that it runs inside the namespace."""
        return [IP, "netns", "exec", self.netns, *map(str, argv)]

    def run_in_ns(self, argv, timeout=60, check=False, **kw):
        """subprocess.run(argv) inside the namespace. Unless stdout/stderr
        are given, both are captured as text (through files, not pipes, so
        a program that daemonizes -- dovecot, postfix start -- cannot keep
        us waiting for EOF). Returns CompletedProcess."""
        kw.setdefault("stdin", subprocess.DEVNULL)
        if "stdout" in kw or "stderr" in kw or "capture_output" in kw:
            kw.setdefault("text", True)
            return subprocess.run(self.ns_argv(argv), timeout=timeout, check=check, **kw)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            r = subprocess.run(self.ns_argv(argv), timeout=timeout, stdout=out, stderr=err, **kw)
            out.seek(0)
            err.seek(0)
            r.stdout = out.read().decode(errors="replace")
            r.stderr = err.read().decode(errors="replace")
        if check:
            r.check_returncode()
        return r

    def popen_in_ns(self, argv, name=None, stdout=None, stderr=None, **kw):
        """Start argv inside the namespace, in its own session. Without
        stdout/stderr, both go to run/<name>.out (p.output_path). The process
        is stopped (SIGTERM, then SIGKILL) by stop(), or earlier with
        stop_process(p). `ip netns exec` execs argv, so p.pid is the program."""
        name = name or os.path.basename(str(argv[0]))
        out_path = None
        if stdout is None and stderr is None:
            out_path = os.path.join(self.run_dir, "%s.%d.out" % (name, len(self._procs)))
            stdout = open(out_path, "ab")
            stderr = subprocess.STDOUT
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("start_new_session", True)
        try:
            p = subprocess.Popen(self.ns_argv(argv), stdout=stdout, stderr=stderr, **kw)
        finally:
            if out_path:
                stdout.close()
        p.output_path = out_path
        self._procs.append(p)
        return p

    def stop_process(self, p, timeout=5, sig=signal.SIGTERM):
        """Stop one process started with popen_in_ns; returns its exit code."""
        if p.poll() is None:
            self._signal(p.pid, sig)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal(p.pid, signal.SIGKILL)
                p.wait(timeout=5)
        if p in self._procs:
            self._procs.remove(p)
        return p.returncode

    def netns_context(self):
        """Context manager: the calling thread inside the namespace (to
        create listening or client sockets in this process)."""
        return netns(self.netns)

    def ns_pids(self):
        r = subprocess.run([IP, "netns", "pids", self.netns], capture_output=True, text=True)
        return [int(x) for x in r.stdout.split()] if r.returncode == 0 else []

    def _pid_in_ns(self, pid):
        return pid in self.ns_pids()

    @staticmethod
    def _signal(pid, sig):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    @staticmethod
    def _read_pid(path):
        try:
            with open(path) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def listening_ports(self):
        """TCP ports listening on any address inside the namespace."""
        ports = set()
        with netns(self.netns):
            # /proc/thread-self/net is the calling thread's namespace
            with open("/proc/thread-self/net/tcp") as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A":  # TCP_LISTEN
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        return ports

    def outbound_attempts(self):
        """How often anything in the namespace tried to reach an address
        that is not local (the kernel's IP OutNoRoutes + Ip6OutNoRoutes
        counters; each stray DNS query or connect counts). 0 means no
        process even tried to leave loopback."""
        n = 0
        with netns(self.netns):
            with open("/proc/thread-self/net/snmp") as f:
                rows = [l.split() for l in f if l.startswith("Ip:")]
            n += int(rows[1][rows[0].index("OutNoRoutes")])
            try:
                with open("/proc/thread-self/net/snmp6") as f:
                    for l in f:
                        k, v = l.split()
                        if k == "Ip6OutNoRoutes":
                            n += int(v)
            except FileNotFoundError:
                pass
        return n

    def wait_listening(self, ports, timeout=10):
        """Wait until every port listens (no probe connections: no log noise)."""
        want = set(ports)
        self.wait_for(lambda: want <= self.listening_ports(), timeout,
                      what=lambda: "ports %s listening (have %s)"
                      % (sorted(want), sorted(self.listening_ports() & want)))

    @staticmethod
    def wait_for(predicate, timeout=10, interval=0.05, what=None):
        """Poll predicate() until it returns something true; return that.
        On timeout raise AssertionError naming `what` (a string or callable)."""
        deadline = time.monotonic() + timeout
        while True:
            v = predicate()
            if v:
                return v
            if time.monotonic() >= deadline:
                desc = what() if callable(what) else (what or getattr(predicate, "__name__", "condition"))
                raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, desc))
            time.sleep(interval)

    # -------------------------------------------------------------- Postfix
    def _policy_check(self):
        return ("check_policy_service { %s, timeout=%ss, default_action=%s }"
                % (self.policy, self.policy_time_limit, self.policy_default_action))

    def _write_postfix_config(self):
        pol = self.policy is not None
        values = {
            "H": self.scratch,
            "SYSLOG_NAME": self.syslog_name,
            "POLICY_TIMEOUT": "%ss" % self.policy_time_limit,
            "POLICY_DEFAULT_ACTION": self.policy_default_action,
            "POLICY_TRY_LIMIT": self.policy_try_limit,
            "POLICY_RETRY_DELAY": self.policy_retry_delay,
            "RCPT_POLICY": self._policy_check() if pol and "rcpt" in self.policy_stages else "",
            "DATA_POLICY": self._policy_check() if pol and "data" in self.policy_stages else "",
        }
        main = _render("main.cf", values)
        if self.postfix_params:
            main += "\n# --- postfix_params of this run ---\n"
            main += "".join("%s = %s\n" % kv for kv in self.postfix_params.items())
        etc = self.postfix_config_dir
        _write(os.path.join(etc, "main.cf"), main)
        _write(os.path.join(etc, "master.cf"), _render("master.cf", values))

    def _make_queue_dirs(self, spec="/etc/postfix/postfix-files"):
        """Create queue_directory's subdirectories with the owners and modes
        of Postfix's own postfix-files; False if it can't be read."""
        try:
            with open(spec) as f:
                lines = f.read().splitlines()
        except OSError:
            return False
        ids = {"$mail_owner": "postfix", "$setgid_group": "postdrop", "-": None}
        made = 0
        for line in lines:
            fields = line.split(":")
            if len(fields) < 5 or fields[1] != "d" or not fields[0].startswith("$queue_directory/"):
                continue
            path = os.path.join(self.queue_dir, fields[0].split("/", 1)[1])
            os.makedirs(path, exist_ok=True)
            shutil.chown(path, ids.get(fields[2], fields[2]) or "root",
                         ids.get(fields[3], fields[3]) or "root")
            os.chmod(path, int(fields[4], 8))
            made += 1
        return made >= 10  # active bounce corrupt defer deferred ... private public pid

    def _postfix_cmd(self, *args, in_ns=True, check=True, timeout=60):
        argv = [POSTFIX, "-c", self.postfix_config_dir, *args]
        r = self.run_in_ns(argv, timeout=timeout) if in_ns else \
            subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if check and r.returncode != 0:
            # postfix(1) says why only on a tty or to syslog: ask again under a pty.
            why = r.stdout + r.stderr
            if shutil.which("script"):
                cmd = " ".join(self.ns_argv(argv) if in_ns else argv)
                why += subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True,
                                      text=True, timeout=timeout).stdout
            raise HarnessError("postfix %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                             why.strip()))
        return r

    def postfix(self, *args, check=True):
        """Run `postfix -c <config> ARGS` in the namespace (e.g. "flush")."""
        return self._postfix_cmd(*args, check=check)

    def _procs_named(self, comm):
        out = []
        for pid in self.ns_pids():
            try:
                with open("/proc/%d/comm" % pid) as f:
                    if f.read().strip() == comm:
                        out.append(pid)
            except OSError:
                pass
        return out

    def reload_postfix(self, timeout=15):
        """`postfix reload`, then wait until every smtpd process that was
        running before has exited: only then does each new client session
        use the new main.cf (policy address) and a fresh connection to
        Dovecot's auth service (new auth_policy settings)."""
        old = self._procs_named("smtpd")
        self._postfix_cmd("reload")
        self.wait_for(lambda: not any(self._alive(p) for p in old), timeout,
                      what="old smtpd processes %s to exit after reload" % old)

    @staticmethod
    def _alive(pid):
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except OSError:
            return False

    def reconfigure_postfix(self, **changes):
        """Change harness options (policy, policy_stages, policy_time_limit,
        policy_default_action, policy_try_limit, policy_retry_delay) and/or
        main.cf parameters (postfix_params={...}), rewrite main.cf and reload."""
        params = changes.pop("postfix_params", None)
        for k, v in changes.items():
            if k not in ("policy", "policy_stages", "policy_time_limit", "policy_default_action",
                         "policy_try_limit", "policy_retry_delay"):
                raise TypeError("unknown option %s" % k)
            setattr(self, k, tuple(v) if k == "policy_stages" else v)
        if params:
            self.postfix_params.update(params)
        self._write_postfix_config()
        self.reload_postfix()

    def set_policy_service(self, address, **opts):
        """Point check_policy_service at address (e.g. "inet:127.0.0.1:10050",
        None to drop it) and reload Postfix."""
        self.reconfigure_postfix(policy=address, **opts)

    def postqueue_json(self):
        """The queue as a list of dicts (`postqueue -j`): queue_name
        (incoming/active/deferred/hold), queue_id, sender, recipients..."""
        r = self.run_in_ns([POSTQUEUE, "-c", self.postfix_config_dir, "-j"])
        if r.returncode != 0:
            raise HarnessError("postqueue -j: %s" % r.stderr.strip())
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]

    def postsuper(self, *args):
        """`postsuper -c <config> ARGS` (e.g. "-d", "ALL", "hold"); run it
        while Postfix is up (HARNESS.md pitfall 17)."""
        return self.run_in_ns([POSTSUPER, "-c", self.postfix_config_dir, *args])

    # ---------------------------------------------------------------- logs
    @staticmethod
    def _read(path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_text(self):
        return self._read(self.log_path)

    def dovecot_log_text(self):
        return self._read(self.dovecot_log_path)

    def log_lines(self, pattern=None, dovecot=False):
        """Lines of the Postfix (or Dovecot) log matching regex pattern."""
        text = self.dovecot_log_text() if dovecot else self.log_text()
        rx = re.compile(pattern) if pattern else None
        return [l for l in text.splitlines() if rx is None or rx.search(l)]

    def wait_for_log(self, pattern, count=1, timeout=10, dovecot=False):
        """Wait until at least count lines match; return the matching lines."""
        return self.wait_for(
            lambda: (lambda ls: ls if len(ls) >= count else None)(self.log_lines(pattern, dovecot)),
            timeout, what=lambda: "%d %s log line(s) matching %r (have %d)"
            % (count, "Dovecot" if dovecot else "Postfix", pattern,
               len(self.log_lines(pattern, dovecot))))

    def sent_count(self):
        """Number of `status=sent` delivery lines in the Postfix log."""
        return len(self.log_lines(r"\bstatus=sent\b"))

    # ---------------------------------------------------------------- sink
    def start_sink(self, port, defer=None, bounce=None, name=None, timeout=10):
        """One more smtp-sink on 127.0.0.1:port inside the namespace: a
        remote server that fails. Route a domain (or one address) to it with
        postfix_params={"transport_maps": "inline:{ x.example=smtp:[127.0.0.1]:PORT }"}.
          defer   SMTP commands it answers 4xx (smtp-sink -r), e.g. "rcpt":
                  Postfix defers those recipients and the message waits in
                  the deferred queue (retried after minimal_backoff_time,
                  300 s: for a test, it stays there)
          bounce  commands it answers 5xx (-f), e.g. "rcpt": Postfix bounces
                  them, and an NDR (sender <>) goes to the envelope sender
        It keeps no copy of what it accepts. Waits until it listens; returns
        the Popen (stopped by stop(), or earlier with stop_process())."""
        argv = [SMTP_SINK, "-u", "postfix"]
        if defer:
            argv += ["-r", defer]
        if bounce:
            argv += ["-f", bounce]
        p = self.popen_in_ns(argv + ["127.0.0.1:%d" % port, "64"],
                             name=name or "smtp-sink-%d" % port)
        self.wait_listening([port], timeout)
        return p

    def sink_files(self):
        out = []
        for d, _, files in os.walk(self.sink_dir):
            out.extend(os.path.join(d, f) for f in files)
        return sorted(out)

    def sink_count(self):
        """Messages smtp-sink has received (one dump file each)."""
        return len(self.sink_files())

    def sink_messages(self):
        """Each dump as a dict: rcpts (X-Rcpt-Args addresses), mail_from,
        path, text."""
        out = []
        for p in self.sink_files():
            text = self._read(p)
            rcpts = re.findall(r"^X-Rcpt-Args: <([^>]*)>", text, re.M)
            m = re.search(r"^X-Mail-Args: <([^>]*)>", text, re.M)
            out.append({"path": p, "rcpts": rcpts, "mail_from": m.group(1) if m else None,
                        "text": text})
        return out

    # ------------------------------------------------------------- Dovecot
    def _write_dovecot_config(self):
        _write(self.dovecot_config, _render("dovecot.conf", {"H": self.scratch,
                                                             "INSTANCE": self.netns}))

    def _write_users(self):
        lines = ["%s:{PLAIN}%s:%d:%d::%s::\n" % (u, pw, NOBODY, NOBODY,
                                                  os.path.join(self.scratch, "mail", u))
                 for u, pw in self.users.items()]
        path = os.path.join(self.scratch, "dovecot", "users")
        _write(path, "".join(lines), 0o640)
        shutil.chown(path, "root", "dovecot")

    def add_user(self, user, password):
        """Add or change a mailbox; Dovecot re-reads the passwd-file itself."""
        self.users[user] = password
        self._write_users()

    def _write_dovecot_policy(self, url, reject_on_fail=False, check_before_auth=True,
                              check_after_auth=True, report_after_auth=True,
                              hash_nonce="harness-nonce-0123456789", hash_mech="sha256",
                              hash_truncate=12, timeout_msecs=2000, api_header=None,
                              request_attributes=None, log_only=False, extra=None):
        if not url:
            text = ""
        else:
            yn = lambda b: "yes" if b else "no"
            s = {
                "auth_policy_server_url": url,
                "auth_policy_hash_nonce": hash_nonce,
                "auth_policy_hash_mech": hash_mech,
                "auth_policy_hash_truncate": hash_truncate,
                "auth_policy_server_timeout_msecs": timeout_msecs,
                "auth_policy_reject_on_fail": yn(reject_on_fail),
                "auth_policy_check_before_auth": yn(check_before_auth),
                "auth_policy_check_after_auth": yn(check_after_auth),
                "auth_policy_report_after_auth": yn(report_after_auth),
                "auth_policy_log_only": yn(log_only),
            }
            if api_header:
                s["auth_policy_server_api_header"] = api_header
            if request_attributes:
                s["auth_policy_request_attributes"] = request_attributes
            s.update(extra or {})
            text = "".join("%s = %s\n" % kv for kv in s.items())
        _write(os.path.join(self.scratch, "dovecot", "auth-policy.conf"), text)

    def set_dovecot_auth_policy(self, url, **opts):
        """Point Dovecot's auth_policy_server_url at url (e.g.
        "http://127.0.0.1:10041/policy"; None/"" = off) and reload Dovecot.
        Options: reject_on_fail (False), check_before_auth, check_after_auth,
        report_after_auth (True), hash_nonce, hash_mech, hash_truncate (12),
        timeout_msecs (2000), api_header, request_attributes, log_only,
        extra={setting: value}. Dovecot fails open when the server is down
        unless reject_on_fail."""
        self._write_dovecot_policy(url, **opts)
        self.reload_dovecot()
        # Postfix's smtpd processes keep their connection to the old auth
        # process (old settings) until they exit: replace them.
        self.reload_postfix()

    def reload_dovecot(self, timeout=10):
        """SIGHUP Dovecot's master and wait until the reload took effect."""
        pid = self._read_pid(os.path.join(self.scratch, "dovecot", "run", "master.pid"))
        if not pid:
            raise HarnessError("Dovecot is not running")
        before = len(self.log_lines(r"SIGHUP received - reloading configuration", dovecot=True))
        os.kill(pid, signal.SIGHUP)
        self.wait_for_log(r"SIGHUP received - reloading configuration", count=before + 1,
                          timeout=timeout, dovecot=True)
        self.wait_for(lambda: os.path.exists(os.path.join(self.queue_dir, "private", "auth")),
                      timeout, what="Dovecot's auth socket after reload")
        self.wait_listening([IMAP_PORT], timeout)

    # ------------------------------------------------------------- clients
    def fresh_ip(self, prefix="127.100"):
        """A source address not handed out before by this harness, in
        prefix.0.0/16 (Dovecot penalises repeated auth failures per IP)."""
        with self._ip_lock:
            self._ip_next += 1
            n = self._ip_next
        return "%s.%d.%d" % (prefix, n // 250, n % 250 + 1)

    def submit(self, user, password, src_ip, rcpts, sender=None, port=None, mech="PLAIN",
               helo=None, subject=None, body=None, headers=None, xclient=None, timeout=30):
        """Send one message over SMTP from source address src_ip (any
        127.x.y.z); returns SubmitResult, a (code, message) tuple.

        user None: no AUTH, port defaults to 2525; else AUTH mech (PLAIN or
        LOGIN) on 2587. rcpts: address or list. sender defaults to user.
        xclient: {"ADDR": "203.0.113.9", "NAME": ..., "LOGIN": ...} sent
        before AUTH (only 127.0.0.1 may use XCLIENT, so src_ip should be
        "127.0.0.1"); no traffic goes to the claimed address.
        Connection-level errors (refused, timeout) raise."""
        if isinstance(rcpts, str):
            rcpts = [rcpts]
        if port is None:
            port = SUBMISSION_PORT if user else SMTP_PORT
        sender = sender if sender is not None else (user or "sender@example.org")
        helo = helo or "client-%s.example.org" % src_ip.replace(".", "-")
        s = _NsSMTP(self.netns, "127.0.0.1", port, local_hostname=helo,
                    source_address=(src_ip, 0), timeout=timeout)
        try:
            s.ehlo()
            if xclient:
                code, msg = s.docmd("XCLIENT", " ".join("%s=%s" % kv for kv in xclient.items()))
                if code != 220:
                    return SubmitResult(code, msg.decode(errors="replace"))
                s.ehlo()
            if user:
                s.user, s.password = user, password
                try:
                    s.auth(mech, s.auth_plain if mech.upper() == "PLAIN" else s.auth_login,
                           initial_response_ok=mech.upper() == "PLAIN")
                except smtplib.SMTPAuthenticationError as e:
                    return SubmitResult(e.smtp_code, e.smtp_error.decode(errors="replace"))
            code, msg = s.mail(sender)
            if code != 250:
                s.rset()
                return SubmitResult(code, msg.decode(errors="replace"))
            refused, accepted = {}, []
            for r in rcpts:
                code, msg = s.rcpt(r)
                if code in (250, 251):
                    accepted.append(r)
                else:
                    refused[r] = (code, msg.decode(errors="replace"))
            if not accepted:
                s.rset()
                code, msg = refused[rcpts[0]]
                return SubmitResult(code, msg, refused=refused)
            m = email.message.EmailMessage()
            m["From"] = sender or "MAILER-DAEMON@example.org"
            m["To"] = ", ".join(accepted)
            m["Subject"] = subject or "e2e test from %s" % src_ip
            m["Date"] = email.utils.formatdate(localtime=False)
            m["Message-ID"] = email.utils.make_msgid(domain="client.example.org")  # no getfqdn()
            for k, v in (headers or {}).items():
                m[k] = v
            m.set_content(body or "e2e test message from %s via port %d\n" % (src_ip, port))
            code, msg = s.data(m.as_bytes())
            msg = msg.decode(errors="replace")
            qid = re.search(r"queued as (\S+)", msg)
            return SubmitResult(code, msg, qid.group(1) if qid else None, refused)
        except smtplib.SMTPResponseException as e:
            return SubmitResult(e.smtp_code, e.smtp_error.decode(errors="replace"))
        finally:
            try:
                s.quit()
            except (smtplib.SMTPException, OSError):
                s.close()

    def imap_login(self, user, password, src_ip, timeout=30):
        """IMAP LOGIN from src_ip; returns (ok, server text). On success
        also SELECTs INBOX and logs out (Dovecot logs Login + Disconnected)."""
        m = _NsIMAP(self.netns, src_ip, "127.0.0.1", IMAP_PORT, timeout)
        try:
            typ, data = m.login(user, password)
            text = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
            m.select("INBOX")
            m.logout()
            return (typ == "OK", text)
        except imaplib.IMAP4.error as e:
            try:
                m.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
            msg = e.args[0] if e.args else str(e)
            return (False, msg.decode(errors="replace") if isinstance(msg, bytes) else str(msg))
