#!/usr/bin/env python3
"""mailsentry benchmarks: log throughput, multi-core scan, policy service, memory.

Writes bench/RESULTS.md (`make bench`). Every comparison is measured side by
side in the same run, the tools taking turns (the order rotates each round),
and the figures are medians of the rounds.

  1. Log throughput: `mailsentry events|scan|report` against `cat`,
     `grep -c sasl_username`, fail2ban-regex (stock postfix[mode=auth] and
     dovecot filters) and pflogsumm, on msgen logs (Postfix + Dovecot and
     qmail + vpopmail) of 1M and 5M lines: lines/s, MB/s, peak RSS, the ratio
     of each tool's time to grep's.
  2. Multi-core: `scan` of two files at once (xargs -P2) against one after
     the other, and of one large file (`--jobs` when `scan --help` has it).
  3. Policy service: requests/s and p50/p99 at 1, 8 and 64 persistent
     connections (build/policy_load) of `mailsentry serve`, postfwd with a
     per-account rate limit, and bench/dunno_server.c (always DUNNO: the
     ceiling of this machine).
  4. Memory: resident bytes per tracked account and per tracked IP
     (build/memfill, which feeds the detectors directly).

Python 3 standard library only. Needs root to install fail2ban, pflogsumm,
postfwd and time from Debian when they are missing (without them their rows
say n/a). Scratch data (generated logs, server state) goes to bench/.data/
(ignored by git).

    python3 bench/bench.py --build build                 # what `make bench` runs
    BENCH_QUICK=1 python3 bench/bench.py --build build   # tiny sizes, a smoke run
    python3 bench/bench.py --build build --parts policy,memory --out /tmp/r.md

Exit status: 0 when every part ran (targets met or not); 1 when a part
could not run at all; 2 on a usage error.
"""

import argparse
import datetime
import grp
import os
import platform
import pwd
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
TIME = "/usr/bin/time"
YEAR = "2013"  # msgen logs start on 2013-07-22 and carry no year
DEBIAN_PACKAGES = ["time", "fail2ban", "pflogsumm", "postfwd"]

# ------------------------------------------------------------------ helpers


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def run_text(cmd, **kw):
    """Output of cmd (stdout and stderr), or "" when it cannot run."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=kw.pop("timeout", 60), **kw)
        return p.stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def rotate(seq, k):
    k %= len(seq)
    return seq[k:] + seq[:k]


def fmt_n(x, digits=3):
    """1234567 -> '1.23 M', 12345 -> '12.3 k'."""
    if x is None:
        return "n/a"
    x = float(f"{x:.{digits}g}")  # round first: 999,882 -> 1 M, not 1e+03 k
    for div, unit in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(x) >= div:
            return f"{x / div:.{digits}g}{unit}"
    return f"{x:.{digits}g}"


def fmt_s(x):
    if x is None:
        return "n/a"
    if x < 10:
        return f"{x:.3f} s"
    return f"{x:.1f} s"


def fmt_us(x):
    if x is None:
        return "n/a"
    if x >= 1000:
        return f"{x / 1000:.2f} ms"
    return f"{x:.0f} µs"


def fmt_mb(kb):
    return "n/a" if kb is None else f"{kb / 1024:.1f} MiB"


def fmt_x(x):
    return "n/a" if x is None else f"{x:.1f}×"


def met(ok):
    return "n/a" if ok is None else ("met" if ok else "**missed**")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, timeout=15.0):
    """True once 127.0.0.1:port accepts a connection."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class Measure:
    """One run of a command: wall time (perf_counter around it) and peak
    RSS, user and system CPU from GNU time (/usr/bin/time -f '%M %U %S'),
    which reads them from wait4's rusage of the command and its waited-for
    children."""

    def __init__(self, scratch):
        self.scratch = scratch
        self.tfile = os.path.join(scratch, "time.out")
        self.use_time = os.access(TIME, os.X_OK)

    def run(self, cmd, stdout=None, ok=(0,), stdin_data=None, errlog=None):
        out = open(stdout, "wb") if stdout else subprocess.DEVNULL
        err = open(errlog, "wb") if errlog else subprocess.DEVNULL
        full = ([TIME, "-f", "%M %U %S", "-o", self.tfile] if self.use_time else []) + cmd
        try:
            t0 = time.perf_counter()
            p = subprocess.run(full, stdout=out, stderr=err, input=stdin_data)
            wall = time.perf_counter() - t0
        finally:
            if stdout:
                out.close()
            if errlog:
                err.close()
        rss = cpu = None
        if self.use_time:
            try:
                with open(self.tfile) as f:
                    last = f.read().strip().splitlines()[-1].split()
                rss, cpu = int(last[0]), float(last[1]) + float(last[2])
            except (OSError, IndexError, ValueError):
                pass
        return {"wall": wall, "rss": rss, "cpu": cpu, "rc": p.returncode,
                "ok": p.returncode in ok}


# ------------------------------------------------------------------ setup


def ensure_packages():
    """Install the Debian packages the comparisons need when missing (root
    only). Returns {package: installed?}."""
    def installed(pkg):
        return "install ok installed" in run_text(
            ["dpkg-query", "-W", "-f=${Status}", pkg])

    missing = [p for p in DEBIAN_PACKAGES if not installed(p)]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing", " ".join(missing))
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y",
               "--no-install-recommends"] + missing
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=300", "update"],
                           env=env, stdout=subprocess.DEVNULL)
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL)
    elif missing:
        log("not installed (need root to install):", " ".join(missing))
    return {p: installed(p) for p in DEBIAN_PACKAGES}


def machine_info(build):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / 1048576:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    first = lambda s: s.strip().splitlines()[0] if s.strip() else "not installed"
    dpkg_ver = lambda p: run_text(["dpkg-query", "-W", "-f=${Version}", p]).strip() or None
    postfwd = run_text(["postfwd2", "--version"])
    m = re.search(r"postfwd2 [\d.]+", postfwd)
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem": mem,
        "kernel": platform.release(),
        "os": run_text(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]).strip(),
        "mailsentry": run_text(["git", "-C", TOP, "describe", "--always", "--dirty",
                                "--tags"]).strip() or "?",
        "fail2ban": first(run_text(["fail2ban-regex", "--version"])),
        "pflogsumm": first(run_text(["pflogsumm", "--version"])),
        "postfwd": (m.group(0) if m else first(postfwd)) +
                   (f" (Debian {dpkg_ver('postfwd')})" if dpkg_ver("postfwd") else ""),
        "grep": first(run_text(["grep", "--version"])),
        "python": platform.python_version(),
    }


# ------------------------------------------------------------------ logs


def gen_log(msgen, data, fmt, lines, seed):
    """A msgen log in data/, generated when missing or older than msgen.c."""
    path = os.path.join(data, f"{fmt}-{lines}-s{seed}.log")
    src = os.path.join(TOP, "tools", "msgen.c")
    fresh = os.path.exists(path) and (not os.path.exists(src) or
                                      os.path.getmtime(path) >= os.path.getmtime(src))
    if not fresh:
        log(f"generating {os.path.basename(path)}")
        tmp = path + ".tmp"
        subprocess.run([msgen, f"--format={fmt}", f"--lines={lines}", f"--seed={seed}",
                        "-o", tmp], check=True)
        os.replace(tmp, path)
    nlines = int(run_text(["wc", "-l", path], timeout=600).split()[0])
    return {"path": path, "fmt": fmt, "target": lines, "seed": seed,
            "lines": nlines, "bytes": os.path.getsize(path),
            "cmd": f"msgen --format={fmt} --lines={lines} --seed={seed}"}


def warm(path):
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL)


def label(n):
    return f"{n // 1000000}M" if n >= 1000000 and n % 1000000 == 0 else f"{n // 1000}k"


def throughput(cfg, m, ms, logs, have):
    """Part 1: one table per log file."""
    fast = [
        ("cat", lambda f: ["cat", f], None, (0,)),
        ("grep", lambda f: ["grep", "-c", "sasl_username", f], "file", (0, 1)),
        ("events", lambda f: [ms, "events", "--year", YEAR, f], None, (0,)),
        ("scan", lambda f: [ms, "scan", "--year", YEAR, f], None, (0, 1)),
        ("report", lambda f: [ms, "report", "--year", YEAR, f], None, (0,)),
    ]
    slow = []
    if have.get("fail2ban"):
        slow.append(("f2b-postfix", lambda f: ["fail2ban-regex", f, "postfix[mode=auth]"],
                     "file", (0,)))
        slow.append(("f2b-dovecot", lambda f: ["fail2ban-regex", f, "dovecot"], "file", (0,)))
    if have.get("pflogsumm"):
        slow.append(("pflogsumm", lambda f: ["pflogsumm", f], "file", (0,)))
    results = []
    for lg in logs:
        warm(lg["path"])
        tools = list(fast)
        slow_here = lg is logs[0] and slow  # the 1M-line Postfix log only
        reps = cfg["reps_1m"] if lg["target"] == cfg["small"] else cfg["reps_5m"]
        runs = {t[0]: [] for t in fast + slow}
        extra = {}
        log(f"throughput: {os.path.basename(lg['path'])}, {reps} rounds")
        for r in range(reps):
            for name, cmd, out, ok in rotate(tools, r):
                outf = os.path.join(cfg["scratch"], f"{name}.out") if out else None
                res = m.run(cmd(lg["path"]), stdout=outf, ok=ok,
                            errlog=os.path.join(cfg["scratch"], f"{name}.err"))
                runs[name].append(res)
        if slow_here:
            for r in range(cfg["reps_slow"]):
                for name, cmd, out, ok in rotate(slow, r):
                    if name.startswith("f2b") and r >= cfg["reps_f2b"]:
                        continue
                    log(f"throughput: {name} round {r + 1}")
                    outf = os.path.join(cfg["scratch"], f"{name}.out")
                    res = m.run(cmd(lg["path"]), stdout=outf, ok=ok,
                                errlog=os.path.join(cfg["scratch"], f"{name}.err"))
                    runs[name].append(res)
                    if name.startswith("f2b"):
                        with open(outf, errors="replace") as f:
                            mm = re.search(r"Lines: (\d+) lines, (\d+) ignored, (\d+) matched",
                                           f.read())
                        if mm:
                            extra[name] = f"{int(mm.group(3)):,} of {int(mm.group(1)):,} lines matched"
        grep_t = median([x["wall"] for x in runs["grep"] if x["ok"]])
        rows = {}
        for name in runs:
            rs = runs[name]
            if not rs:
                rows[name] = None
                continue
            good = [x for x in rs if x["ok"]]
            t = median([x["wall"] for x in good])
            rows[name] = {
                "n": len(rs), "failed": len(rs) - len(good), "wall": t,
                "min": min([x["wall"] for x in good], default=None),
                "max": max([x["wall"] for x in good], default=None),
                "lps": lg["lines"] / t if t else None,
                "mbs": lg["bytes"] / 1e6 / t if t else None,
                "rss": max([x["rss"] for x in good if x["rss"] is not None], default=None),
                "cpu": median([x["cpu"] for x in good]),
                "ratio": t / grep_t if t and grep_t else None,
                "rc": sorted({x["rc"] for x in rs}),
                "note": extra.get(name),
            }
        results.append({"log": lg, "rows": rows, "slow_here": bool(slow_here)})
    return results


# ------------------------------------------------------------------ multi-core


def multicore(cfg, m, ms, two, big, tp_results):
    helptext = run_text([ms, "scan", "--help"])
    jobs = "--jobs" in helptext
    wrap = ('"$0" scan --year ' + YEAR + ' "$@" >/dev/null; s=$?; '
            '[ $s -le 1 ] || exit 255')
    files = "\n".join(f["path"] for f in two) + "\n"
    variants = [
        ("seq", ["xargs", "-P1", "-n1", "sh", "-c", wrap, ms]),
        ("par", ["xargs", "-P2", "-n1", "sh", "-c", wrap, ms]),
    ]
    if jobs:
        variants.append(("jobs-files", [ms, "scan", "--jobs", "2", "--year", YEAR] +
                         [f["path"] for f in two]))
        variants.append(("jobs1-big", [ms, "scan", "--jobs", "1", "--year", YEAR, big["path"]]))
        variants.append(("jobs2-big", [ms, "scan", "--jobs", "2", "--year", YEAR, big["path"]]))
    for f in two:
        warm(f["path"])
    warm(big["path"])
    runs = {v[0]: [] for v in variants}
    log(f"multi-core: {cfg['reps_mc']} rounds (--jobs {'found' if jobs else 'absent'})")
    loads = [os.getloadavg()[0]]
    for r in range(cfg["reps_mc"]):
        for name, cmd in rotate(variants, r):
            stdin = files.encode() if cmd[0] == "xargs" else None
            runs[name].append(m.run(cmd, stdin_data=stdin, ok=(0, 1),
                                    errlog=os.path.join(cfg["scratch"], f"mc-{name}.err")))
        loads.append(os.getloadavg()[0])
    out = {"jobs": jobs, "two": two, "big": big, "rows": {},
           "load": (min(loads), max(loads))}
    for name, rs in runs.items():
        good = [x for x in rs if x["ok"]]
        t = median([x["wall"] for x in good])
        c = median([x["cpu"] for x in good])
        out["rows"][name] = {"wall": t, "cpu": c, "util": c / t if c and t else None,
                             "n": len(rs), "failed": len(rs) - len(good)}
    # the single large file from part 1 (scan of the 5M-line Postfix log)
    for res in tp_results:
        if res["log"] is big:
            out["big_scan"] = res["rows"]["scan"]
    return out


# ------------------------------------------------------------------ policy


def descendants(pid):
    """Every live process below pid (by parent links in /proc)."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            out.append(k)
            todo.append(k)
    return out


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class Server:
    def __init__(self, name, port):
        self.name, self.port = name, port
        self.proc = None
        self.pids = []
        self.error = None

    def stop(self):
        pass


class ProcServer(Server):
    """A server that stays in the foreground as our child."""

    def __init__(self, name, port, cmd, errlog):
        super().__init__(name, port)
        self.cmd, self.errlog = cmd, errlog

    def start(self):
        with open(self.errlog, "wb") as err:
            self.proc = subprocess.Popen(self.cmd, stdout=err, stderr=err)
        if not wait_port(self.port, self.proc):
            self.error = f"did not start ({self.errlog})"
        return self.error is None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Postfwd(Server):
    """postfwd2 daemonizes itself (its rate limits need its cache daemon,
    which --nodaemon does not start); we track it by its pid file and stop
    it with --kill, then wait for every process under it."""

    RULE = ("id=R1; sasl_username=~/./; "
            "action=rate(sasl_username/100/3600/DEFER_IF_PERMIT rate exceeded)\n")

    def __init__(self, name, port, scratch):
        super().__init__(name, port)
        self.dir = os.path.join(scratch, "postfwd")
        self.pidfile = os.path.join(self.dir, "postfwd.pid")
        self.master = None

    def start(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        rules = os.path.join(self.dir, "rules.cf")
        with open(rules, "w") as f:
            f.write(self.RULE)
        user = group = None
        if os.geteuid() == 0:
            user = "nobody"
            group = next((g for g in ("nogroup", "nobody") if self._group(g)), None)
            try:
                pw = pwd.getpwnam(user)
                os.chown(self.dir, pw.pw_uid, grp.getgrnam(group).gr_gid if group else -1)
            except (KeyError, OSError):
                user = group = None
        if user is None:
            user = pwd.getpwuid(os.geteuid()).pw_name
            group = grp.getgrgid(os.getegid()).gr_name
        # -n: no DNS test at all (and the rule needs none); --perfmon: no
        # logging (the most favourable setting for postfwd's speed)
        self.cmd = ["postfwd2", "-n", "-u", user, "-g", group, "-f", rules,
                    "--server_socket", f"tcp:127.0.0.1:{self.port}",
                    "--cache_proto", "unix", "--cache_port",
                    os.path.join(self.dir, "cache.sock"),
                    "--pidfile", self.pidfile, "--perfmon"]
        errlog = os.path.join(self.dir, "postfwd.err")
        with open(errlog, "wb") as err:
            rc = subprocess.run(self.cmd, stdout=err, stderr=err, timeout=60).returncode
        end = time.monotonic() + 20
        while time.monotonic() < end and self.master is None:
            try:
                with open(self.pidfile) as f:
                    self.master = int(f.read().strip())
            except (OSError, ValueError):
                time.sleep(0.2)
        if rc != 0 or self.master is None or not alive(self.master) or \
                not wait_port(self.port, timeout=20):
            self.error = f"did not start (exit {rc}; {errlog})"
            self.stop()
            return False
        return True

    @staticmethod
    def _group(g):
        try:
            grp.getgrnam(g)
            return True
        except KeyError:
            return False

    def stop(self):
        if self.master is None:
            return
        pids = [self.master] + descendants(self.master)
        subprocess.run(["postfwd2", "--kill", "--pidfile", self.pidfile],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 30
        while time.monotonic() < end and any(alive(p) for p in pids):
            time.sleep(0.5)
        for p in pids:
            if alive(p):
                try:
                    os.kill(p, 9)
                except OSError:
                    pass
        self.master = None


LOAD_RE = re.compile(r"req/s (\d+)\s+p50 ([\d.]+) us\s+p99 ([\d.]+) us")
EXT_RE = re.compile(r"unexpected (\d+)\s+unanswered (\d+)\s+closed (\d+)")


def load_has_expect(pl):
    """Whether this policy_load checks answers (-e ACTION)."""
    return "-e ACTION" in run_text([pl])


# Accounts the load spreads over: enough that no account reaches a
# per-account limit during the whole run (mailsentry's default msg_rate is 300
# an hour, postfwd's rule 100), so every answer stays DUNNO.
LOAD_ACCOUNTS = 100000


def load_run(pl, port, conns, secs, expect=True):
    cmd = [pl, "-c", str(conns), "-t", str(secs), "-a", str(LOAD_ACCOUNTS)] + \
        (["-e", "DUNNO"] if expect else [])
    try:
        p = subprocess.run(cmd + ["127.0.0.1", str(port)], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=secs + 120)
        out, rc = p.stdout, p.returncode
    except (OSError, subprocess.SubprocessError) as e:
        return {"ok": False, "out": str(e)}
    m1, m2 = LOAD_RE.search(out), EXT_RE.search(out)
    if not m1:
        return {"ok": False, "out": out.strip()}
    res = {"rps": float(m1.group(1)), "p50": float(m1.group(2)), "p99": float(m1.group(3)),
           "unexpected": int(m2.group(1)) if m2 else 0,
           "closed": int(m2.group(3)) if m2 else 0, "rc": rc}
    res["ok"] = rc == 0 and res["unexpected"] == 0 and res["closed"] == 0
    return res


PROBE_REQ = ("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
             "client_address=198.51.100.{a}\nclient_name=unknown\n"
             "reverse_client_name=unknown\nhelo_name=client.example.net\n"
             "sender=probe{a}@example.org\nrecipient=rcpt{i}@example.net\n"
             "recipient_count=0\nqueue_id=\ninstance=probe.{i}\nsize=0\n"
             "sasl_method=PLAIN\nsasl_username=probe{a}@example.org\nsasl_sender=\n"
             "server_address=192.0.2.25\nserver_port=587\n\n")


def probe(port, n=20):
    """Send n requests on one connection, the first two in one write; None
    when every answer is action=DUNNO (any case), else what went wrong."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            reqs = [PROBE_REQ.format(a=i % 5 + 1, i=i).encode() for i in range(n)]
            s.sendall(reqs[0] + reqs[1])
            buf, got, i = b"", 0, 2
            while got < n:
                while b"\n\n" not in buf:
                    d = s.recv(4096)
                    if not d:
                        return f"closed after {got} answers"
                    buf += d
                ans, buf = buf.split(b"\n\n", 1)
                if not re.fullmatch(rb"action=dunno", ans.strip(), re.I):
                    return f"answer {got + 1}: {ans[:100]!r}"
                got += 1
                if i < n and got == i - 1:
                    s.sendall(reqs[i])
                    i += 1
            return None
    except OSError as e:
        return str(e)


def policy(cfg, ms, pl, dunno, have):
    scratch = cfg["scratch"]
    defaults = run_text([ms, "config", "--defaults"])
    state = os.path.join(scratch, "ms-state")
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(state)
    ms_cmd = [ms, "serve", "-o", f"state_dir={state}"]
    ms_port = free_port()
    ms_cmd += ["-o", f"policy_listen=inet:127.0.0.1:{ms_port}"]
    for name in ("metrics_listen", "authpolicy_listen"):
        if re.search(rf"^{name} =", defaults, re.M):
            ms_cmd += ["-o", f"{name}="]
    servers = [
        ProcServer("mailsentry", ms_port, ms_cmd, os.path.join(scratch, "serve.err")),
    ]
    servers.append(ProcServer("dunno", free_port(), None, os.path.join(scratch, "dunno.err")))
    servers[-1].cmd = [dunno, "-q", "127.0.0.1", str(servers[-1].port)]
    if have.get("postfwd") and shutil.which("postfwd2"):
        servers.append(Postfwd("postfwd", free_port(), scratch))
    out = {"servers": [], "rows": {}, "errors": {}, "ms_cmd": ms_cmd, "notes": []}
    started = []
    try:
        for s in servers:
            log(f"policy: starting {s.name} on 127.0.0.1:{s.port}")
            if not s.start():
                out["errors"][s.name] = s.error
                continue
            # a probe: the answers must be DUNNO
            why = probe(s.port)
            if why:
                out["errors"][s.name] = f"probe failed: {why}"
                s.stop()
                continue
            started.append(s)
        out["servers"] = [s.name for s in started]
        for s in started:
            if isinstance(s, Postfwd):
                out["postfwd_cmd"] = s.cmd
        # warm-up: every server at the highest connection count (postfwd
        # forks its children, mailsentry fills its tables)
        expect = load_has_expect(pl)
        out["expect"] = expect
        for s in started:
            load_run(pl, s.port, max(cfg["conns"]), cfg["warm_secs"], expect)
        for s in started:
            for c in cfg["conns"]:
                out["rows"][(s.name, c)] = []
        for r in range(cfg["reps_policy"]):
            for ci, c in enumerate(cfg["conns"]):
                order = rotate(started, r + ci)
                if r % 2:
                    order = order[::-1]
                for s in order:
                    log(f"policy: round {r + 1}, {c} connections, {s.name}")
                    out["rows"][(s.name, c)].append(
                        load_run(pl, s.port, c, cfg["policy_secs"], expect))
        for s in started:
            why = probe(s.port)
            if why:
                out["errors"][s.name] = f"probe after the run failed: {why}"
        for s in started:
            if isinstance(s, ProcServer) and s.proc.poll() is not None:
                out["errors"][s.name] = f"exited during the run (status {s.proc.returncode})"
    finally:
        for s in servers:
            s.stop()
    summ = {}
    for (name, c), rs in out["rows"].items():
        good = [x for x in rs if "rps" in x]
        summ[(name, c)] = {
            "rps": median([x["rps"] for x in good]),
            "rps_min": min([x["rps"] for x in good], default=None),
            "rps_max": max([x["rps"] for x in good], default=None),
            "p50": median([x["p50"] for x in good]),
            "p99": median([x["p99"] for x in good]),
            "n": len(rs),
            "bad": sum(1 for x in rs if not x.get("ok")),
            "unexpected": sum(x.get("unexpected", 0) for x in good),
            "closed": sum(x.get("closed", 0) for x in good),
        }
    out["summary"] = summ
    return out


# ------------------------------------------------------------------ memory


def memory(cfg, memfill):
    out = {}
    runs = [("accounts", [str(cfg["mem_accounts"])]),
            ("ips", [str(cfg["mem_ips"])]),
            ("ips-acct", [str(cfg["mem_ips"])]),
            ("both", [str(cfg["mem_accounts"]), str(cfg["mem_ips"])])]
    for mode, args in runs:
        log(f"memory: memfill {mode} {' '.join(args)}")
        txt = run_text([memfill, mode] + args, timeout=1800)
        kv = {}
        for line in txt.splitlines():
            parts = line.split()
            if len(parts) == 2:
                kv[parts[0]] = parts[1]
        if "peak_kb" not in kv:
            out[mode] = {"error": txt.strip()[-500:]}
            continue
        num = {k: (float(v) if re.fullmatch(r"[\d.]+", v) else v) for k, v in kv.items()}
        out[mode] = num
    return out


def htab_slots(n):
    """Slots of util/htab.c's table holding n keys (grows to keep the load
    at most 3/4, from 16)."""
    slots = 16
    while n * 4 > slots * 3:
        slots *= 2
    return slots


# ------------------------------------------------------------------ report


def issue(r):
    """What went wrong in a server's rounds at one connection count."""
    out = []
    if r["unexpected"]:
        out.append(f"{r['unexpected']} answers not DUNNO")
    if r["closed"]:
        out.append(f"{r['closed']} connection{'s' if r['closed'] > 1 else ''} closed by "
                   "the server")
    if not out:
        out.append("the load generator failed")
    return ", ".join(out) + f" in {r['bad']} of {r['n']} rounds"


def write_report(path, cfg, info, t_start, t_end, load0, load1, have, tp, mc, pol, mem,
                 command):
    L = []
    w = L.append
    quick = cfg["quick"]
    w("# mailsentry benchmarks")
    w("")
    if quick:
        w("**BENCH_QUICK=1 smoke run: tiny sizes, single rounds; not the figures.**")
        w("")
    w(f"Written by `{command}` (bench/bench.py) on "
      f"{t_start.strftime('%Y-%m-%d %H:%M')} UTC, "
      f"{(t_end - t_start).total_seconds() / 60:.1f} minutes. "
      "Every comparison was measured in this one run, the tools taking turns "
      "(the order rotates each round); figures are medians of the rounds.")
    w("")
    w("| | |")
    w("|---|---|")
    w(f"| machine | {info['nproc']} CPUs ({info['cpu']}), {info['mem']} RAM, "
      f"kernel {info['kernel']}, {info['os']} |")
    w(f"| load average | {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} at the start, "
      f"{load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f} at the end (1, 5, 15 min; "
      "other people's builds and tests share the machine) |")
    w(f"| mailsentry | `{info['mailsentry']}` (git describe), build `{cfg['build']}` |")
    w(f"| fail2ban | {info['fail2ban']} |")
    w(f"| pflogsumm | {info['pflogsumm']} |")
    w(f"| postfwd | {info['postfwd']} |")
    w(f"| grep | {info['grep']} |")
    w("")
    w("Reproduce: `make bench` (or `python3 bench/bench.py --build build` after "
      "`make`; `BENCH_QUICK=1` for a smoke run of tiny sizes).")
    w("")

    # ---- targets
    targets = []
    if tp:
        for res in tp:
            lg, rows = res["log"], res["rows"]
            name = f"{lg['fmt']} {label(lg['target'])}"
            ev, sc = rows.get("events"), rows.get("scan")
            if ev and ev["ratio"] is not None:
                targets.append((f"`events` ≤ 3× grep's time ({name})", f"{ev['ratio']:.1f}×",
                                met(ev["ratio"] <= 3)))
            if sc and sc["ratio"] is not None:
                targets.append((f"`scan` ≤ 6× grep's time ({name})", f"{sc['ratio']:.1f}×",
                                met(sc["ratio"] <= 6)))
    if pol and pol.get("summary"):
        S = pol["summary"]
        for c in (8, 64):
            m_, d_, p_ = S.get(("mailsentry", c)), S.get(("dunno", c)), S.get(("postfwd", c))
            issues = [f"{n_}: {issue(x)}" for n_, x in
                      (("mailsentry", m_), ("dunno", d_), ("postfwd", p_)) if x and x["bad"]]
            bad = f" ({'; '.join(issues)}: see part 3)" if issues else ""
            if m_ and d_ and m_["rps"] and d_["rps"]:
                r = m_["rps"] / d_["rps"]
                targets.append((f"policy req/s, mailsentry / dunno, {c} conns ≥ 80%",
                                f"{r * 100:.0f}%{bad}", met(r >= 0.8)))
                r = m_["p99"] / d_["p99"]
                targets.append((f"policy p99, mailsentry / dunno, {c} conns ≤ 1.5×",
                                f"{r:.2f}×{bad}", met(r <= 1.5)))
            if m_ and p_ and m_["rps"] and p_["rps"]:
                r = m_["rps"] / p_["rps"]
                targets.append((f"policy req/s, mailsentry / postfwd, {c} conns ≥ 20×",
                                f"{r:.0f}×{bad}", met(r >= 20)))
            elif m_:
                targets.append((f"policy req/s, mailsentry / postfwd, {c} conns ≥ 20×",
                                "n/a (postfwd did not run)", "n/a"))
    if mem:
        a, i = mem.get("accounts", {}), mem.get("ips", {})
        # The target is the RSS while the entries are tracked; the peak of
        # a table's last doubling is shown beside it.
        for r, n, lim, what in ((a, cfg["mem_accounts"], 200, "account"),
                                (i, cfg["mem_ips"], 64, "IP")):
            if "rss_kb" in r:
                b = (r["rss_kb"] - r["baseline_kb"]) * 1024 / n
                pk = (r["peak_kb"] - r["baseline_kb"]) * 1024 / n
                targets.append((f"memory per tracked {what} ≤ {lim} B ({fmt_n(n)} "
                                f"{what}s, resident)", f"{b:.0f} B (peak while the table "
                                f"doubles: {pk:.0f} B)", met(b <= lim)))
    if targets:
        w("## Targets")
        w("")
        w("| target | measured | |")
        w("|---|---|---|")
        for t in targets:
            w(f"| {t[0]} | {t[1]} | {t[2]} |")
        w("")

    # ---- part 1
    if tp:
        w("## 1. Log throughput")
        w("")
        w("Each tool reads the whole file once, page cache warm. Time is the "
          "median wall time, min – max the fastest and slowest round (the spread "
          "other work on the machine causes), CPU the median user + system time; "
          "lines/s and MB/s are from the median time; "
          "peak RSS is the largest of the rounds (GNU time `%M`, "
          "wait4's ru_maxrss); \"× grep\" is the tool's time over "
          "`grep -c sasl_username`'s on the same file. grep writes to a "
          "file (GNU grep stops at the first match when its output is "
          "/dev/null); `events` writes to /dev/null, `scan` and `report` "
          "too. mailsentry runs with `--year " + YEAR + "` (msgen logs start "
          "2013-07-22 and carry no year).")
        w("")
        names = {
            "cat": "`cat >/dev/null`", "grep": "`grep -c sasl_username`",
            "events": "`mailsentry events >/dev/null`", "scan": "`mailsentry scan`",
            "report": "`mailsentry report`",
            "f2b-postfix": "`fail2ban-regex LOG 'postfix[mode=auth]'`",
            "f2b-dovecot": "`fail2ban-regex LOG dovecot`", "pflogsumm": "`pflogsumm LOG`",
        }
        for res in tp:
            lg, rows = res["log"], res["rows"]
            w(f"### {'Postfix + Dovecot' if lg['fmt'] == 'postfix' else 'qmail + vpopmail'}, "
              f"{label(lg['target'])} lines")
            w("")
            w(f"`{lg['cmd']}`: {lg['lines']:,} lines, {lg['bytes'] / 1e6:.0f} MB.")
            w("")
            w("| tool | rounds | time | min – max | CPU | lines/s | MB/s | peak RSS | × grep |")
            w("|---|---|---|---|---|---|---|---|---|")
            for key in names:
                if key not in rows:
                    if key in ("f2b-postfix", "f2b-dovecot", "pflogsumm"):
                        why = ("n/a: does not read qmail logs" if lg["fmt"] == "qmail" else
                               "not run on this file (slow: the smaller Postfix log only)"
                               if have.get("fail2ban" if key.startswith("f2b") else key)
                               else "n/a: not installed")
                        w(f"| {names[key]} | | {why} | | | | | | |")
                    continue
                r = rows[key]
                if r is None:
                    continue
                fail = f" ({r['failed']} failed, exit {r['rc']})" if r["failed"] else ""
                w(f"| {names[key]} | {r['n']}{fail} | {fmt_s(r['wall'])} | "
                  f"{fmt_s(r['min'])} – {fmt_s(r['max'])} | {fmt_s(r['cpu'])} | "
                  f"{fmt_n(r['lps'])} | {r['mbs']:.0f} | {fmt_mb(r['rss'])} | "
                  f"{fmt_x(r['ratio'])} |"
                  if r["wall"] else f"| {names[key]} | {r['n']}{fail} | failed | | | | | | |")
            notes = [f"{names[k]}: {r['note']}" for k, r in rows.items() if r and r.get("note")]
            if lg["fmt"] == "qmail":
                notes.append("grep finds no `sasl_username` in a qmail log; it still "
                             "reads every byte, which is what the ratio compares with")
            if notes:
                w("")
                w("; ".join(notes) + ".")
            w("")
        w(f"Rounds: {cfg['reps_1m']} on the {label(cfg['small'])}-line logs, "
          f"{cfg['reps_5m']} on the {label(cfg['large'])}-line logs; "
          f"fail2ban-regex ({cfg['reps_f2b']} per filter) and pflogsumm ({cfg['reps_slow']}) "
          f"on the {label(cfg['small'])}-line Postfix log only, as they take seconds to tens "
          "of seconds per million lines; neither reads qmail logs (n/a).")
        w("")

    # ---- part 2
    if mc:
        w("## 2. Multi-core")
        w("")
        R = mc["rows"]
        a, b = mc["two"]
        w(f"Two independent {label(a['target'])}-line Postfix logs (`{a['cmd']}` and "
          f"seed {b['seed']}), "
          f"each scanned by its own `mailsentry scan` (`xargs -n1 -P1`: one after the "
          f"other, `-P2`: both at once), {cfg['reps_mc']} rounds. CPU is user + system "
          "time of all the processes; \"cores used\" is CPU / wall.")
        w("")
        w("| | time | CPU | cores used |")
        w("|---|---|---|---|")
        lab = {"seq": "2 files, one after the other (`xargs -P1`)",
               "par": "2 files at once (`xargs -P2`)",
               "jobs-files": "2 files, `scan --jobs 2`",
               "jobs1-big": f"1 file ({label(mc['big']['target'])} lines), `scan --jobs 1`",
               "jobs2-big": f"1 file ({label(mc['big']['target'])} lines), `scan --jobs 2`"}
        for k, r in R.items():
            fail = f" ({r['failed']} failed)" if r["failed"] else ""
            w(f"| {lab[k]}{fail} | {fmt_s(r['wall'])} | {fmt_s(r['cpu'])} | "
              f"{r['util']:.2f} |" if r["wall"] else f"| {lab[k]} | failed | | |")
        bs = mc.get("big_scan")
        if bs and bs["wall"] and bs["cpu"]:
            w(f"| 1 file ({label(mc['big']['target'])} lines), `scan` (part 1's rounds) | "
              f"{fmt_s(bs['wall'])} | {fmt_s(bs['cpu'])} | {bs['cpu'] / bs['wall']:.2f} |")
        w("")
        para = []
        if R["seq"]["wall"] and R["par"]["wall"]:
            para.append(f"Speed-up of two files at once: "
                        f"{R['seq']['wall'] / R['par']['wall']:.2f}× on {info['nproc']} cores.")
            if R["par"]["util"] is not None and R["par"]["util"] < 1.5:
                para.append(f"The two processes together got {R['par']['util']:.2f} of a "
                            "core: the second core was not free, other people's jobs "
                            f"kept the load average at {mc['load'][0]:.1f}–{mc['load'][1]:.1f} "
                            "during this part; on an idle machine two files take about "
                            "the time of one.")
        if mc["jobs"]:
            if R.get("jobs1-big", {}).get("wall") and R.get("jobs2-big", {}).get("wall"):
                para.append(f"One file with `--jobs 2`: "
                            f"{R['jobs1-big']['wall'] / R['jobs2-big']['wall']:.2f}× "
                            "`--jobs 1`.")
            if R["seq"]["wall"] and R.get("jobs-files", {}).get("wall"):
                para.append(f"Two files given to one `scan --jobs 2` (one stream, as "
                            f"rotated files are): {R['seq']['wall'] / R['jobs-files']['wall']:.2f}× "
                            "the two scanned one after the other. `--jobs 2` splits the work "
                            "in two stages (reading, parsing and correlation; the detectors), "
                            "so its speed-up is bounded by the larger stage.")
        else:
            para.append("`mailsentry scan` has no parallel option (`scan --help` names no "
                        "`--jobs`): **a scan of one file runs on one core**, and several "
                        "files given to one `scan` are read one after the other as one "
                        "stream. Using both cores takes independent files in independent "
                        "processes, as above. (The bench measures `scan --jobs` when "
                        "`scan --help` mentions it.)")
        w(" ".join(para))
        w("")

    # ---- part 3
    if pol:
        w("## 3. Policy service")
        w("")
        S = pol["summary"]
        ex = pol.get("expect", True)
        w(f"`build/policy_load -c CONNS -t {cfg['policy_secs']} -a {LOAD_ACCOUNTS}"
          f"{' -e DUNNO' if ex else ''} "
          "127.0.0.1 PORT`: persistent connections, one request in flight on each (as "
          "Postfix's smtpd processes do), RCPT-stage requests spread over "
          f"{LOAD_ACCOUNTS:,} SASL accounts (so that none reaches a per-account rate "
          "limit during the run: every answer must be DUNNO); "
          + ("`-e DUNNO` checks every answer. " if ex else
             "this policy_load has no `-e`: the answers were checked by a probe of 20 "
             "requests before and after the rounds only. ") +
          "Before and after the rounds each server answers a probe of 20 requests "
          "(two of them in one write) that must all be DUNNO. The load generator shares the same "
          f"{info['nproc']} cores with the server. Each server got a "
          f"{cfg['warm_secs']} s warm-up at {max(cfg['conns'])} connections, then "
          f"{cfg['reps_policy']} rounds; in each round every connection count runs on "
          "every server, the order rotating (and reversed every other round). "
          "req/s, p50 and p99 are medians of the rounds' figures; min – max is the "
          "rounds' range of req/s.")
        w("")
        w("- **mailsentry**: `" + " ".join(
            os.path.basename(x) if i == 0 else x for i, x in enumerate(pol["ms_cmd"])) +
          "` — default settings, detection on (every request goes through the "
          "detectors, the per-account rates and the lock table), a private state_dir.")
        if "postfwd_cmd" in pol:
            w("- **postfwd**: `" + " ".join(pol["postfwd_cmd"]) + "`, rule `" +
              Postfwd.RULE.strip() + "` (a per-account rate limit of 100 an hour; "
              "the measured traffic stays under it, so it answers DUNNO). postfwd2 runs "
              "as a daemon: its rate limits need its cache process, which `--nodaemon` "
              "does not start. `-n`: no DNS lookups; `--perfmon`: no logging at all "
              "(its fastest setting). Pre-forked children (default min 10, max 100).")
        w("- **dunno**: `bench/dunno_server.c`, one thread and one epoll loop answering "
          "`action=DUNNO` to every request without looking at it: the ceiling of a "
          "policy service on this machine with this load generator.")
        w("")
        for name, err in pol["errors"].items():
            w(f"- {name}: **{err}**")
        if pol["errors"]:
            w("")
        w("| server | conns | req/s | min – max | p50 | p99 | rounds | answers |")
        w("|---|---|---|---|---|---|---|---|")
        for name in ("mailsentry", "postfwd", "dunno"):
            for c in cfg["conns"]:
                r = S.get((name, c))
                if not r:
                    continue
                ans = ("all DUNNO" if ex else "none closed (not checked)") if r["bad"] == 0 else \
                    f"**{issue(r)}**"
                w(f"| {name} | {c} | {fmt_n(r['rps'])} | {fmt_n(r['rps_min'])} – "
                  f"{fmt_n(r['rps_max'])} | {fmt_us(r['p50'])} | "
                  f"{fmt_us(r['p99'])} | {r['n']} | {ans} |")
        w("")
        w("| conns | mailsentry / dunno req/s | mailsentry / dunno p99 | "
          "mailsentry / postfwd req/s |")
        w("|---|---|---|---|")
        for c in cfg["conns"]:
            m_, d_, p_ = S.get(("mailsentry", c)), S.get(("dunno", c)), S.get(("postfwd", c))
            rr = f"{m_['rps'] / d_['rps'] * 100:.0f}%" if m_ and d_ and d_["rps"] else "n/a"
            rp = f"{m_['p99'] / d_['p99']:.2f}×" if m_ and d_ and d_["p99"] else "n/a"
            rf = f"{m_['rps'] / p_['rps']:.0f}×" if m_ and p_ and p_["rps"] else "n/a"
            w(f"| {c} | {rr} | {rp} | {rf} |")
        w("")

    # ---- part 4
    if mem:
        w("## 4. Memory")
        w("")
        w("`build/memfill` (tools/memfill.c) feeds the detectors (`det_feed`, as "
          "`scan` and `serve` do) synthetic events that each create one entry of "
          "state, all at the same log time (no hourly sweep, nothing expires), "
          "default settings with max_accounts and max_ips raised to fit. Baseline: "
          "VmRSS after `det_new` (the country database loaded, the memory its "
          "loading freed given back with malloc_trim, VmHWM reset); peak: VmHWM at "
          "the end; after: VmRSS at the end, with every entry tracked. Bytes per entry = "
          "(after − baseline) / entries, and the same with the peak (a table's "
          "doubling holds the old and the new table for a moment, so the peak exceeds "
          "what stays resident). One run each "
          "(memory is deterministic).")
        w("")
        w("| what | entries | baseline | peak | after | bytes / entry (peak) | "
          "bytes / entry (after) |")
        w("|---|---|---|---|---|---|---|")
        desc = {
            "accounts": "accounts: one IMAP login each, from its own address",
            "ips": "IPs: one failed login each, no account named (Postfix SASL)",
            "ips-acct": "IPs: one failed login each naming one of 1,000 unknown "
                        "accounts (Dovecot)",
            "both": "accounts, then IPs (no account named), one process",
        }
        for mode in ("accounts", "ips", "ips-acct", "both"):
            r = mem.get(mode)
            if not r:
                continue
            if "error" in r:
                w(f"| {desc[mode]} | failed: {r['error']} | | | | | |")
                continue
            n = r["accounts"] + r["ips"]
            pk = (r["peak_kb"] - r["baseline_kb"]) * 1024
            af = (r["rss_kb"] - r["baseline_kb"]) * 1024
            ents = (f"{int(r['accounts']):,} accounts + {int(r['ips']):,} IPs"
                    if mode == "both" else f"{int(n):,}")
            w(f"| {desc[mode]} | {ents} | {fmt_mb(r['baseline_kb'])} | {fmt_mb(r['peak_kb'])} | "
              f"{fmt_mb(r['rss_kb'])} | {pk / n:.0f} | {af / n:.0f} |")
        w("")
        a = mem.get("accounts", {})
        i = mem.get("ips", {})
        ia = mem.get("ips-acct", {})
        if "sizeof_acct" in a and "sizeof_ipst" in i and "acct_slot" in a:
            chunk = lambda u: u + 8  # glibc: usable size + one size word
            na, ni = cfg["mem_accounts"], cfg["mem_ips"]
            sa, si = htab_slots(na), htab_slots(ni)
            acc = [("`struct acct` with its key after it (\"u0000000@example.org\"), "
                    "one allocation (detect/det_int.h)",
                    f"{int(a['sizeof_acct'])} B + key, malloc chunk "
                    f"{int(chunk(a['malloc_acct']))} B", chunk(a["malloc_acct"])),
                   ("account table slot (detect/det_tab.c: a pointer)",
                    f"{int(a['acct_slot'])} B × {sa:,} slots / {na:,} entries",
                    a["acct_slot"] * sa / na)]
            ip = [("`struct ipst` in the IP table's slot (detect/det_tab.c), "
                   "the IPv4 address in it",
                   f"{int(i['ip_slot'])} B × {si:,} slots / {ni:,} entries",
                   i["ip_slot"] * si / ni)]
            w("Where the bytes go (sizes printed by memfill: `sizeof` and glibc's "
              "`malloc_usable_size`; tables double at a load of 3/4):")
            w("")
            w("| per account | | bytes |")
            w("|---|---|---|")
            for x in acc:
                w(f"| {x[0]} | {x[1]} | {x[2]:.0f} |")
            w(f"| **sum** | | **{sum(x[2] for x in acc):.0f}** |")
            w("")
            w("| per IP | | bytes |")
            w("|---|---|---|")
            for x in ip:
                w(f"| {x[0]} | {x[1]} | {x[2]:.0f} |")
            w(f"| **sum** | | **{sum(x[2] for x in ip):.0f}** |")
            w("")
            meas = lambda r, n: (r["rss_kb"] - r["baseline_kb"]) * 1024 / n
            da = meas(a, na) - sum(x[2] for x in acc)
            di = meas(i, ni) - sum(x[2] for x in ip)
            w(f"Measured (after) minus the sum: {da:+.0f} B per account, {di:+.0f} B per IP" +
              (": the sums account for the measured memory." if abs(da) < 5 and abs(di) < 5
               else " — what the allocator holds beyond the objects (the last pages, "
               "freed tables kept in the heap)."))
            w("")
            w("What few entries need lives in a cold part made on first need: an "
              f"account's ({int(a['sizeof_acct_cold'])} B, chunk "
              f"{int(chunk(a['malloc_acct_cold']))} B) holds its episode, NDR ring, probe "
              "set, the brute-force counters spread over IPs and three findings; an IP's "
              f"({int(i['sizeof_ip_cold'])} B, chunk {int(chunk(i['malloc_ip_cold']))} B) "
              "its spray sets, open findings and an IPv6 address. The hourly sweep frees "
              "a cold part that holds nothing a new one would not.")
            w("")
            if "malloc_idset8" in ia:
                slot = ia["htab_slot"]
                extra = (chunk(ia["malloc_ip_cold"]) + chunk(ia["malloc_idset8"]) +
                         chunk(ia["malloc_pending"]) + chunk(ia["malloc_key_pair"]) +
                         slot * htab_slots(int(ia["ips"])) / ia["ips"])
                w(f"A failure that names an account adds about {extra:.0f} B per IP: the "
                  f"IP's cold part (chunk {int(chunk(ia['malloc_ip_cold']))} B) with its "
                  f"set of accounts tried (`struct idset`, 8 slots of 4 B, chunk "
                  f"{int(chunk(ia['malloc_idset8']))} B), and an (IP, account) pair "
                  f"(`struct pending` chunk {int(chunk(ia['malloc_pending']))} B, key chunk "
                  f"{int(chunk(ia['malloc_key_pair']))} B, a {int(slot)}-byte slot of the "
                  "pairs' table, util/htab.c).")
                w("")
    with open(path, "w") as f:
        f.write("\n".join(L).rstrip() + "\n")


# ------------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="build directory (default build)")
    ap.add_argument("--out", help="report (default bench/RESULTS.md; "
                    "bench/.data/RESULTS-quick.md with BENCH_QUICK=1)")
    ap.add_argument("--data", default=os.path.join(HERE, ".data"),
                    help="scratch directory for logs and state (default bench/.data)")
    ap.add_argument("--parts", default="logs,multicore,policy,memory",
                    help="comma-separated subset of logs,multicore,policy,memory")
    ap.add_argument("--quick", action="store_true", help="as BENCH_QUICK=1")
    args = ap.parse_args()
    quick = args.quick or os.environ.get("BENCH_QUICK", "") not in ("", "0")
    parts = set(args.parts.split(","))
    if not parts <= {"logs", "multicore", "policy", "memory"}:
        ap.error(f"unknown part in --parts {args.parts}")
    build = args.build
    bpath = lambda x: os.path.join(build, x)
    ms, msgen, pl, memfill, dunno = (bpath("mailsentry"), bpath("msgen"),
                                     bpath("policy_load"), bpath("memfill"),
                                     bpath("dunno_server"))
    for exe in (ms, msgen, pl, memfill, dunno):
        if not os.access(exe, os.X_OK):
            ap.error(f"{exe} missing: run `make bench` (or `make` and "
                     f"cc -O2 -o {dunno} bench/dunno_server.c)")
    out_path = args.out or (os.path.join(args.data, "RESULTS-quick.md") if quick
                            else os.path.join(HERE, "RESULTS.md"))
    cfg = {
        "quick": quick, "build": build,
        "small": 20000 if quick else 1000000, "large": 50000 if quick else 5000000,
        "reps_1m": 2 if quick else 5, "reps_5m": 1 if quick else 5,
        "reps_slow": 1 if quick else 3, "reps_f2b": 1 if quick else 3,
        "reps_mc": 2 if quick else 5,
        "conns": [1, 8, 64], "policy_secs": 1 if quick else 5,
        "warm_secs": 1 if quick else 3, "reps_policy": 2 if quick else 5,
        "mem_accounts": 20000 if quick else 1000000,
        "mem_ips": 200000 if quick else 10000000,
    }
    os.makedirs(args.data, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="run-", dir=args.data)
    os.chmod(scratch, 0o755)
    cfg["scratch"] = scratch
    t_start = datetime.datetime.now(datetime.timezone.utc)
    load0 = os.getloadavg()
    log(f"load average {load0[0]:.2f}; scratch {scratch}")
    have = ensure_packages() if ("logs" in parts or "policy" in parts) else {}
    info = machine_info(build)
    m = Measure(scratch)
    status = 0
    tp = mc = pol = mem = None
    try:
        logs = []
        if "logs" in parts or "multicore" in parts:
            for fmt in ("postfix", "qmail"):
                for n in (cfg["small"], cfg["large"]):
                    if "logs" in parts or (fmt == "postfix"):
                        logs.append(gen_log(msgen, args.data, fmt, n, 7))
            logs.sort(key=lambda x: (x["fmt"] != "postfix", x["target"]))
        if "logs" in parts:
            tp = throughput(cfg, m, ms, logs, have)
        if "multicore" in parts:
            two = [logs[0], gen_log(msgen, args.data, "postfix", cfg["small"], 8)]
            big = next(x for x in logs if x["fmt"] == "postfix" and x["target"] == cfg["large"])
            mc = multicore(cfg, m, ms, two, big, tp or [])
        if "policy" in parts:
            pol = policy(cfg, ms, pl, dunno, have)
            if pol["errors"]:
                status = 1
        if "memory" in parts:
            mem = memory(cfg, memfill)
            if any("error" in v for v in mem.values()):
                status = 1
    finally:
        t_end = datetime.datetime.now(datetime.timezone.utc)
        load1 = os.getloadavg()
        command = ("make bench" + (f" BUILD={build}" if build != "build" else "") +
                   (" BENCH_QUICK=1" if quick else ""))
        if parts != {"logs", "multicore", "policy", "memory"}:
            command = f"python3 bench/bench.py --build {build} --parts {args.parts}"
        write_report(out_path, cfg, info, t_start, t_end, load0, load1, have, tp, mc, pol,
                     mem, command)
        shutil.rmtree(scratch, ignore_errors=True)
    log(f"wrote {out_path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
