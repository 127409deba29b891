#!/usr/bin/env python3
"""Detection accuracy of `mailsentry scan` on generated scenarios.

For every scenario x log format x seed, build/msgen writes a log and its
ground truth (--truth), `mailsentry scan --format=json` reads the log, and
the findings are matched to the truth lines. `mailsentry events` gives the
messages an account sent before it was detected. The results of all cases
are added up into a markdown report and checked against the targets.

Two seed sets: DEV seeds, which the detector authors may tune on, and
HELD-OUT seeds, which nobody tunes on. The report and the targets are about
the held-out seeds; --dev adds the dev seeds as a separate section.

Python 3 standard library only. See bench/accuracy.md for the matching
rules and the targets.

    python3 bench/accuracy.py                       # held-out seeds 1001-1010
    python3 bench/accuracy.py --out bench/ACCURACY.md --dev
    python3 bench/accuracy.py --seeds 1001-1002 --scenarios incident1 --check

Exit status: 0; 1 with --check when a target is not met; 2 on a usage
error or when msgen or `mailsentry scan` cannot be run at all.
"""

import argparse
import concurrent.futures
import datetime
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

# Used when `msgen --list-scenarios` does not work (an older msgen).
BUILTIN_SCENARIOS = ["incident1", "incident2", "incident3", "lowslow", "spray",
                     "brute", "backscatter", "mixed", "benign"]
FORMATS = ["postfix", "qmail"]
DEV_SEEDS = "1-3"
HELDOUT_SEEDS = "1001-1010"

# msgen logs start on 2013-07-22 unless --start says otherwise; the year
# given to `scan --year` when the truth has no time to take it from.
DEFAULT_YEAR = 2013

# An account_compromise finding matches a truth line when it names the same
# account and its detected_at lies in [start - BEFORE, end + AFTER].
MATCH_BEFORE = datetime.timedelta(hours=1)
MATCH_AFTER = datetime.timedelta(hours=24)

COMPROMISE = "account_compromise"
IP_KINDS = ("brute_force", "password_spray")
ACCOUNT_KINDS = ("credential_probe", "backscatter")
SCORED_KINDS = (COMPROMISE,) + IP_KINDS + ACCOUNT_KINDS
COUNTED_KINDS = ("outbound_burst",)   # counted, never right or wrong
ALL_KINDS = SCORED_KINDS + COUNTED_KINDS

# Targets (see evaluate_targets).
INCIDENT1_MAX_SPAM = 20
INCIDENT3_MAX_SPAM = 50
MIN_COMPROMISE_RECALL = 0.95
MIN_IP_PRECISION = 0.99


# --------------------------------------------------------------------------
# Small helpers


def parse_seeds(text):
    """Turn "1001-1010", "1,2,5" or "1-3,7" into a sorted list of seeds."""
    seeds = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise argparse.ArgumentTypeError("bad seed list %r (want e.g. 1001-1010 or 1,2,5)" % text)
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if hi < lo:
            raise argparse.ArgumentTypeError("bad seed range %r" % part)
        seeds.update(range(lo, hi + 1))
    if not seeds:
        raise argparse.ArgumentTypeError("empty seed list")
    return sorted(seeds)


def parse_names(text):
    """Turn "a,b,c" into ["a", "b", "c"], keeping the order, no duplicates."""
    names = []
    for name in text.split(","):
        name = name.strip()
        if name and name not in names:
            names.append(name)
    if not names:
        raise argparse.ArgumentTypeError("empty list")
    return names


TIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_time(value):
    """An RFC 3339 time as an aware UTC datetime, or None if it is not one.

    A time without an offset is taken as UTC (msgen and mailsentry write UTC).
    """
    if not isinstance(value, str):
        return None
    m = TIME_RE.match(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, sec = (int(g) for g in m.groups()[:6])
    micro = int((m.group(7) or ".0")[1:].ljust(6, "0")[:6])
    try:
        t = datetime.datetime(year, month, day, hour, minute, sec, micro,
                              tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    offset = m.group(8)
    if offset and offset != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        t -= sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return t


def norm_account(value):
    """An account for comparison: case-insensitive, no surrounding space."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower()


def norm_ip(value):
    """An IP for comparison: the canonical text of the address (IPv6
    compressed, ::ffff:a.b.c.d as a.b.c.d); other text lowercased."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return text.lower()
    if addr.version == 6 and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return str(addr)


def fmt_duration(seconds):
    """Seconds as a short readable duration: 45s, 12m05s, 3h07m, -2m00s."""
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    s = int(round(abs(seconds)))
    if s < 60:
        return "%s%ds" % (sign, s)
    if s < 3600:
        return "%s%dm%02ds" % (sign, s // 60, s % 60)
    return "%s%dh%02dm" % (sign, s // 3600, (s % 3600) // 60)


def fmt_pct(num, den):
    """num/den as a percentage with its counts, or "n/a" when den is 0."""
    if den == 0:
        return "n/a"
    return "%.1f%% (%d/%d)" % (100.0 * num / den, num, den)


def fmt_number(value):
    """A median or count for a table: integers plainly, others to 1 decimal."""
    if value is None:
        return "-"
    if float(value).is_integer():
        return "%d" % value
    return "%.1f" % value


def median_max(values, fmt):
    """(median, max) of values formatted by fmt, or ("-", "-")."""
    if not values:
        return "-", "-"
    return fmt(statistics.median(values)), fmt(max(values))


def md_table(headers, rows):
    """A markdown table as a list of lines; "|" inside cells is escaped."""
    def cell(v):
        return str(v).replace("|", "\\|")
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return lines


# --------------------------------------------------------------------------
# Running the programs


def run_program(argv, stdout_path, timeout):
    """Run argv with its standard output into stdout_path.

    Returns (exit status, detail). When the program ran to its end, detail
    is the end of its stderr ("" if none). When it did not (not found, timed
    out, killed by a signal), the status is None and detail says why.
    """
    try:
        with open(stdout_path, "wb") as out:
            proc = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % timeout
    except OSError as e:
        return None, "cannot run %s: %s" % (argv[0], e.strerror or e)
    if proc.returncode < 0:
        try:
            name = signal.Signals(-proc.returncode).name
        except ValueError:
            name = "signal %d" % -proc.returncode
        tail = stderr_tail(proc.stderr)
        return None, "killed by %s%s" % (name, ": " + tail if tail else "")
    return proc.returncode, stderr_tail(proc.stderr)


def failure_text(status, detail):
    """Why a program failed, from what run_program returned."""
    if status is None:
        return detail
    return "exit %d%s" % (status, ": " + detail if detail else "")


def stderr_tail(data, lines=3):
    """The last lines of a program's stderr on one line, or ""."""
    text = data.decode("utf-8", "replace").strip() if data else ""
    return " / ".join(text.splitlines()[-lines:])


def read_json_lines(path, what):
    """The JSON objects of a file, one a line (blank lines skipped).

    Raises ValueError naming the first line that is not a JSON object.
    """
    objects = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                raise ValueError("%s line %d is not JSON: %.80s" % (what, n, line.strip()))
            if not isinstance(obj, dict):
                raise ValueError("%s line %d is not a JSON object: %.80s" % (what, n, line.strip()))
            objects.append(obj)
    return objects


def list_scenarios(msgen):
    """Scenario names from `msgen --list-scenarios` (first word of each
    line), or the built-in list when that does not work. Returns (names,
    where they came from)."""
    try:
        proc = subprocess.run([msgen, "--list-scenarios"], capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        proc = None
    names = []
    if proc is not None and proc.returncode == 0:
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            words = line.split()
            if words and re.fullmatch(r"[a-z][a-z0-9_-]*", words[0]) and words[0] not in names:
                names.append(words[0])
    if names:
        return names, "`msgen --list-scenarios`"
    return list(BUILTIN_SCENARIOS), "the built-in list: `msgen --list-scenarios` failed"


def scan_available(mailsentry):
    """None when `mailsentry scan --help` exits 0, else why not."""
    try:
        proc = subprocess.run([mailsentry, "scan", "--help"], capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "cannot run %s scan --help: %s" % (mailsentry, e)
    if proc.returncode != 0:
        return "%s scan --help: %s" % (mailsentry, failure_text(proc.returncode, stderr_tail(proc.stderr, 1)))
    return None


# --------------------------------------------------------------------------
# One case: generate, scan, match


class Case:
    """One run: a scenario in one log format with one seed, in a seed set."""

    def __init__(self, seed_set, scenario, fmt, seed):
        self.seed_set = seed_set
        self.scenario = scenario
        self.fmt = fmt
        self.seed = seed

    def name(self):
        return "%s-%s-%d" % (self.scenario, self.fmt, self.seed)


def truth_year(truths):
    """The year to give `scan --year`: that of the earliest truth start."""
    starts = [parse_time(t.get("start")) for t in truths]
    starts = [t for t in starts if t is not None]
    return min(starts).year if starts else DEFAULT_YEAR


def truth_key(truth):
    """What a truth line is about: its ip for brute force and spraying,
    else its account."""
    if truth.get("kind") in IP_KINDS:
        return truth.get("ip") or "-"
    return truth.get("account") or "-"


def finding_key(finding):
    """What a finding is about, for the lists: account and/or ip."""
    parts = [str(finding[k]) for k in ("account", "ip") if finding.get(k)]
    return " ".join(parts) if parts else "-"


def compromise_matches(truth, finding):
    """Whether an account_compromise finding matches a compromise truth:
    same account, detected_at in [start - 1 h, end + 24 h]."""
    if finding.get("kind") != COMPROMISE:
        return False
    account = norm_account(truth.get("account"))
    if account is None or norm_account(finding.get("account")) != account:
        return False
    start, end = parse_time(truth.get("start")), parse_time(truth.get("end"))
    detected = parse_time(finding.get("detected_at"))
    if start is None or detected is None:
        return False
    if end is None:
        end = start
    return start - MATCH_BEFORE <= detected <= end + MATCH_AFTER


def match_case(truths, findings):
    """Match one case's findings to its truth lines.

    Returns (truth outcomes, finding outcomes), one dict per truth line of a
    scored kind and one per finding, in input order. A truth outcome says
    whether it was detected (and, for brute force / spraying, whether by a
    finding of the same kind; for a compromise, when). A finding outcome
    says whether it is right ("matched": True), false (False) or neither
    (None: outbound_burst and unknown kinds).
    """
    truth_out = []
    for t in truths:
        kind = t.get("kind")
        if kind not in SCORED_KINDS:
            continue
        o = {"kind": kind, "key": truth_key(t), "start": t.get("start"), "end": t.get("end"),
             "detected": False, "same_kind": None, "detected_at": None, "delay_s": None,
             "spam_before": None, "first_spam": t.get("first_spam")}
        if kind == COMPROMISE:
            hits = [f for f in findings if compromise_matches(t, f)]
            if hits:
                first = min(hits, key=lambda f: parse_time(f["detected_at"]))
                o["detected"] = True
                o["detected_at"] = first["detected_at"]
                o["delay_s"] = (parse_time(first["detected_at"]) - parse_time(t["start"])).total_seconds()
        elif kind in IP_KINDS:
            ip = norm_ip(t.get("ip"))
            hits = [f for f in findings if f.get("kind") in IP_KINDS and ip is not None
                    and norm_ip(f.get("ip")) == ip]
            o["detected"] = bool(hits)
            o["same_kind"] = any(f.get("kind") == kind for f in hits)
        else:
            account = norm_account(t.get("account"))
            o["detected"] = any(f.get("kind") == kind and account is not None
                                and norm_account(f.get("account")) == account for f in findings)
        truth_out.append(o)

    attack_ips = {norm_ip(t.get("ip")) for t in truths if t.get("kind") in IP_KINDS} - {None}
    finding_out = []
    for f in findings:
        kind = f.get("kind")
        if kind == COMPROMISE:
            matched = any(compromise_matches(t, f) for t in truths if t.get("kind") == COMPROMISE)
        elif kind in IP_KINDS:
            matched = norm_ip(f.get("ip")) in attack_ips
        elif kind in ACCOUNT_KINDS:
            accounts = {norm_account(t.get("account")) for t in truths if t.get("kind") == kind}
            matched = norm_account(f.get("account")) in accounts - {None}
        else:
            matched = None
        finding_out.append({"kind": kind if isinstance(kind, str) else repr(kind),
                            "account": f.get("account"), "ip": f.get("ip"),
                            "detected_at": f.get("detected_at"), "score": f.get("score"),
                            "matched": matched})
    return truth_out, finding_out


def count_spam(events_path, truth_out):
    """Fill spam_before of each detected compromise: the message_accepted
    events (not repeats) of its account with time in [start, detected_at)."""
    wanted = {}
    for o in truth_out:
        if o["kind"] == COMPROMISE and o["detected"]:
            o["spam_before"] = 0
            wanted.setdefault(norm_account(o["key"]), []).append(
                (o, parse_time(o["start"]), parse_time(o["detected_at"])))
    if not wanted:
        return
    with open(events_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if '"message_accepted"' not in line:
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if not isinstance(ev, dict) or ev.get("type") != "message_accepted" or ev.get("repeat") is True:
                continue
            spans = wanted.get(norm_account(ev.get("account")))
            if not spans:
                continue
            t = parse_time(ev.get("time"))
            if t is None:
                continue
            for o, start, detected in spans:
                if start <= t < detected:
                    o["spam_before"] += 1


def run_case(case, tools, workroot):
    """Generate, scan and match one case. Never raises: whatever goes wrong
    is in the result's "error" (and a failed scan counts as finding nothing,
    so its truth lines are misses)."""
    result = {"set": case.seed_set, "scenario": case.scenario, "format": case.fmt,
              "seed": case.seed, "error": None, "warnings": [], "year": None,
              "scan_exit": None, "truth_kinds": {}, "truths": [], "findings": []}
    work = os.path.join(workroot, case.seed_set, case.name())
    try:
        os.makedirs(work, exist_ok=True)
        run_case_steps(case, tools, work, result)
    except Exception as e:     # a bug here must not lose the other cases
        result["error"] = "internal error: %s: %s" % (type(e).__name__, e)
    finally:
        if not tools["keep"]:
            shutil.rmtree(work, ignore_errors=True)
    return result


def run_case_steps(case, tools, work, result):
    """The steps of run_case; fills result."""
    log = os.path.join(work, "case.log")
    truth_path = os.path.join(work, "case.truth")
    timeout = tools["timeout"]

    gen = [tools["msgen"], "--scenario=" + case.scenario, "--format=" + case.fmt,
           "--seed=%d" % case.seed, "-o", log, "--truth=" + truth_path]
    status, detail = run_program(gen, os.path.join(work, "msgen.out"), timeout)
    if status != 0:
        result["error"] = "msgen failed (%s)" % failure_text(status, detail)
        return
    try:
        truths = read_json_lines(truth_path, "truth")
    except (OSError, ValueError) as e:
        result["error"] = "msgen truth unreadable: %s" % e
        return
    for t in truths:
        kind = str(t.get("kind"))
        result["truth_kinds"][kind] = result["truth_kinds"].get(kind, 0) + 1
    year = truth_year(truths)
    result["year"] = year

    findings_path = os.path.join(work, "findings.json")
    scan = [tools["mailsentry"], "scan", "--format=json", "--year", str(year), log]
    status, detail = run_program(scan, findings_path, timeout)
    result["scan_exit"] = status
    findings = []
    if status not in (0, 1):
        result["error"] = "scan failed (%s)" % failure_text(status, detail)
    else:
        try:
            findings = read_json_lines(findings_path, "scan output")
        except (OSError, ValueError) as e:
            result["error"] = "scan output unreadable: %s" % e
        if result["error"] is None:
            if status == 0 and findings:
                result["warnings"].append("scan exited 0 but printed %d findings" % len(findings))
            if status == 1 and not findings:
                result["warnings"].append("scan exited 1 but printed no finding")
    for f in findings:
        kind = f.get("kind")
        if kind not in ALL_KINDS:
            result["warnings"].append("finding of unknown kind %r" % (kind,))
        elif kind == COMPROMISE and parse_time(f.get("detected_at")) is None:
            result["warnings"].append("account_compromise finding without a valid detected_at: %r"
                                      % (f.get("detected_at"),))

    truth_out, finding_out = match_case(truths, findings)
    result["truths"] = truth_out
    result["findings"] = finding_out

    if any(o["kind"] == COMPROMISE and o["detected"] for o in truth_out):
        events_path = os.path.join(work, "events.json")
        events = [tools["mailsentry"], "events", "--year", str(year), log]
        status, detail = run_program(events, events_path, timeout)
        if status != 0:
            if result["error"] is None:
                result["error"] = "events failed (%s); spam before detection unknown" % (
                    failure_text(status, detail))
            return
        count_spam(events_path, truth_out)


def run_cases(cases, tools, jobs):
    """Run every case, jobs at a time. Results come back in case order."""
    workroot = tools["keep"] or tempfile.mkdtemp(prefix="mailsentry-accuracy-")
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(lambda c: run_case(c, tools, workroot), cases))
    finally:
        if not tools["keep"]:
            shutil.rmtree(workroot, ignore_errors=True)


# --------------------------------------------------------------------------
# Adding up


def new_counts():
    """Counters for one scenario, or for everything."""
    return {"cases": 0, "errors": 0, "truths": 0, "detected": 0, "false": 0,
            "bursts": 0, "delays": [], "spam": []}


def aggregate(results, scenarios):
    """Add up the results of one seed set.

    Returns a dict: per-scenario counters, per-kind counters, the benign
    findings by kind, and the lists of misses, false findings, errors and
    warnings (each entry carries its case).
    """
    agg = {"scenarios": {s: new_counts() for s in scenarios},
           "total": new_counts(),
           "kinds": {k: {"truths": 0, "detected": 0, "same_kind": 0, "findings": 0, "false": 0}
                     for k in ALL_KINDS},
           "other_findings": 0,
           "benign": {k: 0 for k in ALL_KINDS},
           "benign_cases": 0,
           "misses": [], "false": [], "errors": [], "warnings": []}
    for r in results:
        per = agg["scenarios"].setdefault(r["scenario"], new_counts())
        for c in (per, agg["total"]):
            c["cases"] += 1
            c["errors"] += r["error"] is not None
        if r["error"]:
            agg["errors"].append((r, r["error"]))
        for w in r["warnings"]:
            agg["warnings"].append((r, w))
        if r["scenario"] == "benign":
            agg["benign_cases"] += 1
        for o in r["truths"]:
            k = agg["kinds"][o["kind"]]
            k["truths"] += 1
            k["detected"] += o["detected"]
            k["same_kind"] += bool(o["same_kind"])
            for c in (per, agg["total"]):
                c["truths"] += 1
                c["detected"] += o["detected"]
                if o["delay_s"] is not None:
                    c["delays"].append(o["delay_s"])
                if o["spam_before"] is not None:
                    c["spam"].append(o["spam_before"])
            if not o["detected"]:
                agg["misses"].append((r, o))
        for f in r["findings"]:
            if f["kind"] in agg["kinds"]:
                agg["kinds"][f["kind"]]["findings"] += 1
                agg["kinds"][f["kind"]]["false"] += f["matched"] is False
            else:
                agg["other_findings"] += 1
            if r["scenario"] == "benign" and f["kind"] in agg["benign"]:
                agg["benign"][f["kind"]] += 1
            for c in (per, agg["total"]):
                c["false"] += f["matched"] is False
                c["bursts"] += f["kind"] == "outbound_burst"
            if f["matched"] is False:
                agg["false"].append((r, f))
    return agg


def spam_target(results, scenario, limit):
    """A target on the compromises of one scenario: every one detected with
    at most limit spam messages before detected_at. Returns (status,
    measured, offending truth outcomes with their case)."""
    truths = [(r, o) for r in results if r["scenario"] == scenario
              for o in r["truths"] if o["kind"] == COMPROMISE]
    errors = [r for r in results if r["scenario"] == scenario and r["error"]]
    if not truths and not errors:
        return "n/a", "no %s compromise in this run" % scenario, []
    bad = [(r, o) for r, o in truths
           if not o["detected"] or o["spam_before"] is None or o["spam_before"] > limit]
    detected = sum(o["detected"] for _, o in truths)
    spam = [o["spam_before"] for _, o in truths if o["spam_before"] is not None]
    measured = "%d/%d detected, max spam before detection %s" % (
        detected, len(truths), max(spam) if spam else "-")
    if errors:
        measured += ", %d case errors" % len(errors)
    return ("pass" if not bad and not errors else "FAIL"), measured, bad


def evaluate_targets(results, agg):
    """The targets as rows [name, wanted, measured, status], plus the truth
    outcomes that broke a spam target (for the report)."""
    rows = []
    offenders = []

    status, measured, bad = spam_target(results, "incident1", INCIDENT1_MAX_SPAM)
    rows.append(["incident1", "every compromise detected, <= %d spam before detection"
                 % INCIDENT1_MAX_SPAM, measured, status])
    offenders += [(r, o, INCIDENT1_MAX_SPAM) for r, o in bad]

    status, measured, bad = spam_target(results, "incident3", INCIDENT3_MAX_SPAM)
    rows.append(["incident3", "every compromise detected within its first %d spam"
                 % INCIDENT3_MAX_SPAM, measured, status])
    offenders += [(r, o, INCIDENT3_MAX_SPAM) for r, o in bad]

    k = agg["kinds"][COMPROMISE]
    if k["truths"] == 0:
        status = "n/a"
    else:
        status = "pass" if k["detected"] >= MIN_COMPROMISE_RECALL * k["truths"] else "FAIL"
    rows.append(["compromise recall", ">= %d%%" % round(100 * MIN_COMPROMISE_RECALL),
                 fmt_pct(k["detected"], k["truths"]), status])

    if agg["benign_cases"] == 0:
        rows.append(["benign", "0 account_compromise findings", "benign not in this run", "n/a"])
    else:
        n = agg["benign"][COMPROMISE]
        rows.append(["benign", "0 account_compromise findings",
                     "%d in %d cases" % (n, agg["benign_cases"]), "pass" if n == 0 else "FAIL"])

    found = sum(agg["kinds"][kind]["findings"] for kind in IP_KINDS)
    false = sum(agg["kinds"][kind]["false"] for kind in IP_KINDS)
    if found == 0:
        status = "n/a"
    else:
        status = "pass" if found - false >= MIN_IP_PRECISION * found else "FAIL"
    rows.append(["brute/spray IP precision", ">= %d%%" % round(100 * MIN_IP_PRECISION),
                 fmt_pct(found - false, found), status])

    n = agg["total"]["errors"]
    rows.append(["no errors", "every case generated and scanned",
                 "%d of %d cases failed" % (n, agg["total"]["cases"]), "pass" if n == 0 else "FAIL"])
    return rows, offenders


# --------------------------------------------------------------------------
# The report


def case_cells(r):
    """The scenario, format and seed cells of a case."""
    return [r["scenario"], r["format"], r["seed"]]


def report_seed_set(title, results, agg, targets, offenders):
    """The markdown sections for one seed set."""
    out = ["## " + title, ""]

    out += ["### Targets", ""]
    out += md_table(["target", "wanted", "measured", "status"], targets)
    if offenders:
        out += ["", "Compromises that broke a spam target:", ""]
        out += md_table(["scenario", "format", "seed", "account", "start", "detected_at",
                         "spam before", "limit"],
                        [case_cells(r) + [o["key"], o["start"], o["detected_at"] or "not detected",
                                          fmt_number(o["spam_before"]), limit]
                         for r, o, limit in offenders])
    out.append("")

    out += ["### Per scenario", "",
            "truths: attack lines of the scored kinds; delay and spam: account "
            "compromises only (spam = messages the account sent from start to detected_at); "
            "false: findings that match no truth; bursts: outbound_burst findings (not scored).", ""]
    rows = []
    for name, c in list(agg["scenarios"].items()) + [("**all**", agg["total"])]:
        d_med, d_max = median_max(c["delays"], fmt_duration)
        s_med, s_max = median_max(c["spam"], fmt_number)
        rows.append([name, c["cases"], c["errors"], c["truths"], c["detected"],
                     fmt_pct(c["detected"], c["truths"]), d_med, d_max, s_med, s_max,
                     c["false"], c["bursts"]])
    out += md_table(["scenario", "cases", "errors", "truths", "detected", "recall",
                     "median delay", "max delay", "median spam", "max spam", "false", "bursts"], rows)
    out.append("")

    out += ["### Per kind", "",
            "same kind: brute force / spraying found by a finding of its own kind "
            "(either kind with the attacker's IP counts as found).", ""]
    rows = []
    for kind in ALL_KINDS:
        k = agg["kinds"][kind]
        if kind in COUNTED_KINDS:
            rows.append([kind, "-", "-", "-", "-", k["findings"], "-", "-"])
            continue
        rows.append([kind, k["truths"], k["detected"], fmt_pct(k["detected"], k["truths"]),
                     k["same_kind"] if kind in IP_KINDS else "-", k["findings"], k["false"],
                     fmt_pct(k["findings"] - k["false"], k["findings"])])
    found = sum(agg["kinds"][kind]["findings"] for kind in IP_KINDS)
    false = sum(agg["kinds"][kind]["false"] for kind in IP_KINDS)
    rows.append(["brute_force + password_spray", "", "", "", "", found, false,
                 fmt_pct(found - false, found)])
    out += md_table(["kind", "truths", "detected", "recall", "same kind", "findings",
                     "false", "precision"], rows)
    if agg["other_findings"]:
        out += ["", "%d findings of unknown kinds (see warnings)." % agg["other_findings"]]
    out.append("")

    out += ["### Benign scenario", ""]
    if agg["benign_cases"]:
        out += ["Findings on %d benign cases (the population only: every finding is false "
                "but outbound_burst is not scored)." % agg["benign_cases"], ""]
        out += md_table(["kind", "findings"], [[k, agg["benign"][k]] for k in ALL_KINDS])
    else:
        out.append("benign not in this run.")
    out.append("")

    out += ["### Errors", ""]
    if agg["errors"]:
        out += md_table(["scenario", "format", "seed", "error"],
                        [case_cells(r) + [e] for r, e in agg["errors"]])
    else:
        out.append("None.")
    if agg["warnings"]:
        out += ["", "Warnings:", ""]
        out += md_table(["scenario", "format", "seed", "warning"],
                        [case_cells(r) + [w] for r, w in agg["warnings"]])
    out.append("")

    out += ["### Misses (%d)" % len(agg["misses"]), ""]
    if agg["misses"]:
        out += md_table(["scenario", "format", "seed", "kind", "account/ip", "start", "end", "note"],
                        [case_cells(r) + [o["kind"], o["key"], o["start"], o["end"],
                                          "scan error" if r["error"] else ""]
                         for r, o in agg["misses"]])
    else:
        out.append("None.")
    out.append("")

    out += ["### False findings (%d)" % len(agg["false"]), ""]
    if agg["false"]:
        out += md_table(["scenario", "format", "seed", "kind", "account/ip", "detected_at", "score"],
                        [case_cells(r) + [f["kind"], finding_key(f), f["detected_at"] or "-",
                                          "-" if f["score"] is None else f["score"]]
                         for r, f in agg["false"]])
    else:
        out.append("None.")
    out.append("")
    return out


def render_report(opts, command, scenario_source, sets):
    """The whole markdown report. sets: list of (title, seeds, results, agg,
    targets, offenders), held-out first."""
    out = ["# mailsentry detection accuracy", "",
           "Generated by `bench/accuracy.py` (see `bench/accuracy.md`); do not edit.", "",
           "```", command, "```", "",
           "- scenarios: %s (from %s)" % (", ".join(opts.scenarios), scenario_source),
           "- formats: %s" % ", ".join(opts.formats)]
    for title, seeds, results, _, _, _ in sets:
        out.append("- %s: %s (%d cases)" % (title.lower(), seeds, len(results)))
    out += ["- matching: a compromise finding must name the truth's account with "
            "detected_at in [start - 1 h, end + 24 h]; brute force and spraying "
            "match on the attacker's IP; credential probes and backscatter on the account.",
            "- reproduce a case: `build/msgen --scenario=S --format=F --seed=N -o c.log "
            "--truth=c.truth && build/mailsentry scan --format=json --year YEAR c.log` "
            "(YEAR: that of the truth times, 2013 by default)", ""]
    for title, _, results, agg, targets, offenders in sets:
        out += report_seed_set(title, results, agg, targets, offenders)
    return "\n".join(out).rstrip("\n") + "\n"


def summary_lines(title, agg, targets):
    """A few lines for stdout about one seed set."""
    t = agg["total"]
    k = agg["kinds"][COMPROMISE]
    d_med, _ = median_max(t["delays"], fmt_duration)
    s_med, s_max = median_max(t["spam"], fmt_number)
    ip_found = sum(agg["kinds"][kind]["findings"] for kind in IP_KINDS)
    ip_false = sum(agg["kinds"][kind]["false"] for kind in IP_KINDS)
    failed = [row[0] for row in targets if row[3] == "FAIL"]
    met = sum(row[3] == "pass" for row in targets)
    lines = ["%s: %d cases, %d errors, %d misses, %d false findings" % (
                 title, t["cases"], t["errors"], len(agg["misses"]), len(agg["false"])),
             "  compromise recall %s, precision %s, median delay %s, spam before detection median %s max %s" % (
                 fmt_pct(k["detected"], k["truths"]),
                 fmt_pct(k["findings"] - k["false"], k["findings"]), d_med, s_med, s_max),
             "  brute/spray IP precision %s" % fmt_pct(ip_found - ip_false, ip_found),
             "  targets: %d met, %d n/a, %d failed%s" % (
                 met, len(targets) - met - len(failed), len(failed),
                 (": " + ", ".join(failed)) if failed else "")]
    for r, error in agg["errors"][:5]:
        lines.append("  error: %s/%s/seed %d: %s" % (r["scenario"], r["format"], r["seed"], error))
    if len(agg["errors"]) > 5:
        lines.append("  ... %d more errors" % (len(agg["errors"]) - 5))
    return lines


def write_json(path, command, sets):
    """The raw per-case results of every seed set as one JSON document."""
    doc = {"command": command,
           "sets": [{"name": title, "seeds": seeds, "cases": results}
                    for title, seeds, results, _, _, _ in sets]}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


# --------------------------------------------------------------------------
# Main


def seeds_text(seeds):
    """A seed list written back compactly: 1001-1010, or 1,3,7."""
    parts = []
    i = 0
    while i < len(seeds):
        j = i
        while j + 1 < len(seeds) and seeds[j + 1] == seeds[j] + 1:
            j += 1
        parts.append(str(seeds[i]) if i == j else "%d-%d" % (seeds[i], seeds[j]))
        i = j + 1
    return ",".join(parts)


def parse_args(argv):
    """The command line."""
    p = argparse.ArgumentParser(
        description="Measure the detection accuracy of `mailsentry scan` on msgen scenarios "
                    "(see bench/accuracy.md).")
    p.add_argument("--seeds", type=parse_seeds, default=parse_seeds(HELDOUT_SEEDS),
                   help="held-out seeds, e.g. 1001-1010 or 1001,1005 (default %s)" % HELDOUT_SEEDS)
    p.add_argument("--dev", action="store_true",
                   help="also run the dev seeds and report them in a separate section")
    p.add_argument("--dev-seeds", type=parse_seeds, default=parse_seeds(DEV_SEEDS),
                   help="dev seeds for --dev (default %s)" % DEV_SEEDS)
    p.add_argument("--scenarios", type=parse_names, default=None,
                   help="comma-separated scenarios (default: msgen --list-scenarios)")
    p.add_argument("--formats", type=parse_names, default=list(FORMATS),
                   help="comma-separated log formats (default %s)" % ",".join(FORMATS))
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                   help="cases run in parallel (default: number of CPUs)")
    p.add_argument("--mailsentry", default=os.path.join(TOP, "build", "mailsentry"),
                   help="the mailsentry binary (default build/mailsentry)")
    p.add_argument("--msgen", default=os.path.join(TOP, "build", "msgen"),
                   help="the msgen binary (default build/msgen)")
    p.add_argument("--timeout", type=int, default=600,
                   help="seconds any one program may run (default 600)")
    p.add_argument("--out", metavar="FILE", help="write the markdown report to FILE")
    p.add_argument("--json", metavar="FILE", help="write the raw per-case results to FILE")
    p.add_argument("--keep", metavar="DIR",
                   help="keep the generated logs, truth and findings in DIR (default: removed)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 unless every target is met on the held-out seeds")
    opts = p.parse_args(argv)
    if opts.jobs < 1:
        p.error("--jobs must be at least 1")
    if opts.timeout < 1:
        p.error("--timeout must be at least 1")
    bad = [f for f in opts.formats if f not in FORMATS]
    if bad:
        p.error("unknown format %s (known: %s)" % (", ".join(bad), ", ".join(FORMATS)))
    if opts.dev and set(opts.seeds) & set(opts.dev_seeds):
        p.error("held-out and dev seeds overlap: %s"
                % seeds_text(sorted(set(opts.seeds) & set(opts.dev_seeds))))
    return opts


def main(argv):
    opts = parse_args(argv[1:])
    command = "python3 bench/accuracy.py" + "".join(" " + shlex.quote(a) for a in argv[1:])

    for prog in (opts.msgen, opts.mailsentry):
        if not os.access(prog, os.X_OK):
            print("accuracy: %s is not an executable (run make first)" % prog, file=sys.stderr)
            return 2
    why = scan_available(opts.mailsentry)
    if why:
        print("accuracy: `mailsentry scan` is not available: %s" % why, file=sys.stderr)
        return 2

    if opts.scenarios is None:
        opts.scenarios, scenario_source = list_scenarios(opts.msgen)
    else:
        scenario_source = "`--scenarios`"
    tools = {"msgen": opts.msgen, "mailsentry": opts.mailsentry,
             "timeout": opts.timeout, "keep": opts.keep}

    seed_sets = [("Held-out seeds", opts.seeds)]
    if opts.dev:
        seed_sets.append(("Dev seeds (tuned on: not the measure)", opts.dev_seeds))
    sets = []
    for title, seeds in seed_sets:
        set_name = "held-out" if title.startswith("Held-out") else "dev"
        cases = [Case(set_name, s, f, n) for s in opts.scenarios for f in opts.formats for n in seeds]
        print("accuracy: %s: %d cases (%d scenarios x %d formats x %d seeds), %d jobs"
              % (set_name, len(cases), len(opts.scenarios), len(opts.formats), len(seeds), opts.jobs),
              file=sys.stderr)
        results = run_cases(cases, tools, opts.jobs)
        agg = aggregate(results, opts.scenarios)
        targets, offenders = evaluate_targets(results, agg)
        sets.append((title, seeds_text(seeds), results, agg, targets, offenders))

    if opts.out:
        with open(opts.out, "w", encoding="utf-8") as f:
            f.write(render_report(opts, command, scenario_source, sets))
    if opts.json:
        write_json(opts.json, command, sets)

    for title, _, _, agg, targets, _ in sets:
        print("\n".join(summary_lines(title, agg, targets)))
    if opts.out:
        print("report: %s" % opts.out)
    else:
        print("(the misses and false findings of each case are listed in the report: --out FILE)")

    held_out_targets = sets[0][4]
    if opts.check and any(row[3] == "FAIL" for row in held_out_targets):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
