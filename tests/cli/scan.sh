#!/bin/sh
# scan.sh - the `mailsentry scan` and `mailsentry config` contracts of
# DESIGN.md on small msgen logs: exit codes (0 nothing found, 1 findings,
# 2 usage, settings or input error naming the file); one JSON object per
# finding with the documented keys, RFC 3339 UTC times and counts, checked
# against msgen's ground truth (incident 1: account_compromise then
# credential_probe on the truth's account, nothing else); one text block per
# finding; --explain shows one account's events, scores and findings only;
# `config --defaults` loads back and changes nothing, unknown or bad
# settings are refused with FILE:LINE and the name, -o changes what is
# found and overrides --config; the findings do not depend on the order of
# rotated files nor on gzip.
# Usage: sh tests/cli/scan.sh path/to/mailsentry (msgen sits beside it).
# Exit 77 (skip) without msgen or python3.
set -u
. "$(dirname "$0")/lib/common.sh"
need_msgen
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is needed for the JSON checks"
	exit 77
fi
export LC_ALL=C

# py_checks SCRIPT ARGS...: run a python check; each line it prints is a
# failure (but "ok - ..." lines). True when none.
py_checks() {
	script=$1
	shift
	python3 -c "$script" "$@" >"$T/py" 2>&1 || echo "python check crashed (exit $?)" >>"$T/py"
	n0=$fails
	while IFS= read -r line; do
		case $line in
		"ok - "*) echo "$line" ;;
		*) fail "$line" ;;
		esac
	done <"$T/py"
	[ "$fails" -eq "$n0" ]
}

# Shared by the python checks: findings(path) reads scan --format=json
# output, failing (printing) on any line that is not one JSON object.
PYLIB='
import json, re, sys
from datetime import datetime, timezone
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
KINDS = ("account_compromise", "outbound_burst", "credential_probe",
         "backscatter", "brute_force", "password_spray")
def findings(path):
    out = []
    for n, raw in enumerate(open(path, "rb"), 1):
        try:
            f = json.loads(raw.decode("utf-8"))
        except Exception as x:
            print("%s:%d: not JSON (%s): %.120r" % (path, n, x, raw))
            continue
        if not isinstance(f, dict):
            print("%s:%d: not a JSON object" % (path, n))
            continue
        if f.get("kind") not in KINDS:
            print("%s:%d: unknown kind %r" % (path, n, f.get("kind")))
        for k in ("first_evidence", "detected_at", "last_evidence"):
            if k in f and not (isinstance(f[k], str) and TS.match(f[k])):
                print("%s:%d: %s is not RFC 3339 UTC ending in Z: %r" % (path, n, k, f[k]))
        out.append(f)
    return out
def t(s):
    return datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
def truth(path):
    return [json.loads(l) for l in open(path) if l.strip()]
'

"$MSGEN" --scenario=benign --seed=5 --users=20 -o "$T/benign.log" ||
	fail "msgen benign failed"
"$MSGEN" --scenario=incident1 --users=20 -o "$T/i1.log" --truth="$T/i1.truth" ||
	fail "msgen incident1 failed"
"$MSGEN" --scenario=mixed --users=20 -o "$T/mixed.log" --truth="$T/mixed.truth" ||
	fail "msgen mixed failed"
[ "$fails" -eq 0 ] || exit 1

# --- Exit codes ----------------------------------------------------------------
want 0 "$MS" scan --help
grep -q 'usage: mailsentry scan' "$T/out" && ok "scan --help: exit 0, usage on stdout" ||
	fail "scan --help: no usage on stdout"

# Benign, no --year: nothing found, and the inferred year is said on stderr.
want 0 "$MS" scan "$T/benign.log"
[ "$(cat "$T/out")" = "no findings" ] && ok "benign: exit 0, \"no findings\"" ||
	fail "benign: stdout is not \"no findings\": $(head -c 300 "$T/out")"
grep -q 'benign.log.*year\|year.*benign.log' "$T/err" && ok "benign: inferred year said on stderr" ||
	fail "benign: inferred year not said on stderr naming the file"
want 0 "$MS" scan --format=json --year 2013 "$T/benign.log"
[ -s "$T/out" ] && fail "benign json: output for no findings: $(head -c 300 "$T/out")"
[ -s "$T/err" ] && fail "benign json with --year: stderr not empty: $(head -c 300 "$T/err")"

want 2 "$MS" scan "$T/no-such-file.log"
grep -q 'no-such-file.log' "$T/err" && ok "missing file: exit 2, named" ||
	fail "missing file not named on stderr: $(cat "$T/err")"
head -n 2000 "$T/mixed.log" >"$T/small.log"
want 2 "$MS" scan --year 2013 "$T/small.log" "$T/no-such-file.log"
grep -q 'no-such-file.log' "$T/err" && ok "missing file beside a good one: exit 2" ||
	fail "missing file beside a good one not named on stderr"
gzip -c "$T/mixed.log" | head -c 30000 >"$T/trunc.log.gz"
want 2 "$MS" scan --year 2013 "$T/trunc.log.gz"
grep -q 'trunc.log.gz.*line' "$T/err" && ok "truncated gzip: exit 2, file and line named" ||
	fail "truncated gzip: file and line not named: $(cat "$T/err")"
want 2 "$MS" scan --no-such-option "$T/benign.log"
grep -q 'no-such-option' "$T/err" && ok "bad option: exit 2, named" || fail "bad option not named on stderr"
want 2 "$MS" scan --format=xml "$T/benign.log"
grep -q 'xml' "$T/err" && ok "--format=xml: exit 2" || fail "--format=xml: value not named on stderr"
[ -s "$T/out" ] && fail "--format=xml: something on stdout"
want 2 "$MS" scan
grep -qi 'usage' "$T/err" && ok "no file: exit 2 with usage" || fail "no file: no usage on stderr"
want 2 "$MS" scan --year 13x "$T/benign.log"

# --- JSON: incident 1 against its truth ----------------------------------------
want 1 "$MS" scan --format=json --year 2013 "$T/i1.log"
[ -s "$T/out" ] && ok "incident1 (qmail): exit 1 with findings" || fail "incident1: exit 1, no output"
cp "$T/out" "$T/i1.json"
py_checks "$PYLIB"'
fs = findings(sys.argv[1])
tr = truth(sys.argv[2])
tc = [x for x in tr if x["kind"] == "account_compromise"][0]
tp = [x for x in tr if x["kind"] == "credential_probe"][0]
acct = tc["account"]
for f in fs:
    if f.get("account") != acct:
        print("finding not about the truth account %s: %s" % (acct, json.dumps(f)[:200]))
comp = [i for i, f in enumerate(fs) if f["kind"] == "account_compromise" and f.get("account") == acct]
probe = [i for i, f in enumerate(fs) if f["kind"] == "credential_probe" and f.get("account") == acct]
if len(comp) != 1:
    print("wanted one account_compromise for %s, got %d" % (acct, len(comp)))
    sys.exit(0)
c = fs[comp[0]]
for k in ("kind", "account", "first_evidence", "detected_at", "distinct_ips", "messages", "recipients"):
    if k not in c:
        print("account_compromise without %s: %s" % (k, json.dumps(c)[:300]))
for k in ("distinct_ips", "messages", "recipients"):
    if not (type(c.get(k)) is int and c[k] >= 0):
        print("account_compromise: %s is not a count: %r" % (k, c.get(k)))
if not all(k in c for k in ("first_evidence", "detected_at", "distinct_ips", "messages")):
    sys.exit(0)
if t(c["first_evidence"]) > t(c["detected_at"]):
    print("account_compromise: first_evidence %s after detected_at %s" % (c["first_evidence"], c["detected_at"]))
if not t(tc["start"]) <= t(c["first_evidence"]) <= t(tc["end"]):
    print("account_compromise: first_evidence %s outside the attack %s..%s" % (c["first_evidence"], tc["start"], tc["end"]))
if t(c["detected_at"]) > t(tc["end"]):
    print("account_compromise: detected_at %s after the attack ended %s" % (c["detected_at"], tc["end"]))
if not (type(c["distinct_ips"]) is int and c["distinct_ips"] > 800):
    print("account_compromise: distinct_ips %r, wanted > 800 (truth %d)" % (c["distinct_ips"], tc["distinct_ips"]))
if not (type(c["messages"]) is int and c["messages"] > 0):
    print("account_compromise: messages %r" % c["messages"])
if not probe:
    print("no credential_probe for %s" % acct)
for i in probe:
    p = fs[i]
    if i < comp[0]:
        print("credential_probe printed before the account_compromise")
    if "first_evidence" in p and "detected_at" in p:
        if not t(tp["start"]) <= t(p["first_evidence"]) <= t(tp["end"]):
            print("credential_probe first_evidence %s outside the probing %s..%s" % (p["first_evidence"], tp["start"], tp["end"]))
        if t(p["first_evidence"]) < t(c["detected_at"]):
            print("credential_probe first_evidence %s before the compromise was detected %s" % (p["first_evidence"], c["detected_at"]))
        if t(p["first_evidence"]) > t(p["detected_at"]):
            print("credential_probe: first_evidence after detected_at")
    else:
        print("credential_probe without first_evidence/detected_at")
' "$T/i1.json" "$T/i1.truth" && ok "json incident1: account_compromise then credential_probe, truth's account only"

# --- JSON, text and --explain: mixed --------------------------------------------
# The truth's compromised account, and the brute-forced one with its attacker.
victim=$(sed -n 's/^{"kind":"account_compromise","account":"\([^"]*\)".*/\1/p' "$T/mixed.truth")
bvictim=$(sed -n 's/^{"kind":"brute_force","account":"\([^"]*\)".*/\1/p' "$T/mixed.truth" | head -n 1)
bip=$(sed -n 's/^{"kind":"brute_force",.*"ip":"\([^"]*\)".*/\1/p' "$T/mixed.truth" | head -n 1)
[ -n "$victim" ] && [ -n "$bvictim" ] && [ -n "$bip" ] ||
	fail "mixed truth: no compromised or brute-forced account ($victim/$bvictim/$bip)"
want 1 "$MS" scan --format=json --year 2013 "$T/mixed.log"
cp "$T/out" "$T/mixed.json"
want 1 "$MS" scan --year 2013 "$T/mixed.log"
[ -s "$T/out" ] && ok "mixed: exit 1 with findings" || fail "mixed: exit 1, no output"
cp "$T/out" "$T/mixed.txt"
want 1 "$MS" scan --year 2013 --explain "$victim" "$T/mixed.log"
cp "$T/out" "$T/explain1.txt"
want 1 "$MS" scan --year 2013 --explain "$bvictim" "$T/mixed.log"
cp "$T/out" "$T/explain2.txt"
"$MS" events --year 2013 "$T/mixed.log" >"$T/mixed.events" 2>/dev/null || fail "events on mixed failed"
# Text: one block per JSON finding, in the same order, its first line
# naming the kind and the account (or ip). --explain: the timeline holds as
# many lines of each event type as `events` has (repeats apart) for the
# account, score lines follow, finding blocks name only that account and
# the other account (or the attacker) never appears.
py_checks "$PYLIB"'
import collections
fs = findings(sys.argv[1])
victim, bvictim, bip = sys.argv[4:7]
if not any(f["kind"] == "account_compromise" and f.get("account") == victim for f in fs):
    print("mixed json: no account_compromise for the truth account %s" % victim)
blocks = [b for b in open(sys.argv[2]).read().split("\n\n") if b.strip()]
if len(blocks) != len(fs):
    print("text: %d blocks for %d findings" % (len(blocks), len(fs)))
for b, f in zip(blocks, fs):
    head = b.lstrip("\n").split("\n")[0]
    if not head.startswith(f["kind"] + " "):
        print("text: block %r is not the %s of the json" % (head, f["kind"]))
    who = f.get("account") or f.get("ip")
    if not who or who not in head:
        print("text: block %r does not name %r" % (head, who))
evs = [json.loads(l) for l in open(sys.argv[3])]
def explain(path, acct, must, others):
    text = open(path).read()
    want = collections.Counter(e["type"] for e in evs
                               if e.get("account", "").lower() == acct.lower() and not e.get("repeat"))
    got = collections.Counter()
    scores = 0
    kinds = []
    for line in text.split("\n"):
        m = re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+([a-z_]+)\s", line)
        if m:
            got[m.group(1)] += 1
        elif re.match(r"^\s+score\b", line):
            scores += 1
        elif line.split(" ")[0] in KINDS:
            kinds.append(line.split(" ")[0])
            if acct not in line:
                print("explain %s: shows a finding of someone else: %s" % (acct, line))
    if not want:
        print("explain %s: the account has no events (test broken?)" % acct)
    for k in sorted(set(want) | set(got)):
        if want[k] != got[k]:
            print("explain %s: %d %s lines in the timeline, %d such events" % (acct, got[k], k, want[k]))
    if scores == 0:
        print("explain %s: no score lines" % acct)
    if must not in kinds:
        print("explain %s: no %s shown (shown: %s)" % (acct, must, kinds))
    for o in others:
        if o in text:
            print("explain %s: mentions %s" % (acct, o))
    return text
explain(sys.argv[7], victim, "account_compromise", [bvictim, bip])
text = explain(sys.argv[8], bvictim, "brute_force", [victim])
if "account_compromise" in text:
    print("explain %s: shows an account_compromise" % bvictim)
if not re.search(r"auth_failure\s+" + re.escape(bip) + r"\s", text):
    print("explain %s: the failures from %s are not in the timeline" % (bvictim, bip))
' "$T/mixed.json" "$T/mixed.txt" "$T/mixed.events" "$victim" "$bvictim" "$bip" \
	"$T/explain1.txt" "$T/explain2.txt" &&
	ok "mixed: one text block per json finding naming its account or ip" &&
	ok "--explain: the account's events, scores, its findings only"

# --- Settings ------------------------------------------------------------------
want 0 "$MS" config --help
want 0 "$MS" config --defaults
cp "$T/out" "$T/defaults.cf"
grep -q '^compromise_score = ' "$T/defaults.cf" && grep -q '^# ' "$T/defaults.cf" &&
	ok "config --defaults: settings with comments" || fail "config --defaults: no compromise_score or no comments"
grep -v '^#' "$T/defaults.cf" | grep . | grep -v '^[a-z0-9_]* =\( .*\)\{0,1\}$' >"$T/odd"
[ -s "$T/odd" ] && fail "config --defaults: neither comment nor name = value: $(head -3 "$T/odd")"
want 0 "$MS" config --config "$T/defaults.cf"
cmp -s "$T/out" "$T/defaults.cf" && ok "config --config defaults: prints the same file" ||
	fail "config --config of the defaults differs from --defaults"
want 1 "$MS" scan --config "$T/defaults.cf" --format=json --year 2013 "$T/mixed.log"
cmp -s "$T/out" "$T/mixed.json" && ok "scan --config of the defaults: same findings" ||
	fail "scan --config of the defaults changes the findings"

printf '# a comment\ncompromise_score = 2\n\nno_such_setting = 3\n' >"$T/unknown.cf"
want 2 "$MS" scan --config "$T/unknown.cf" "$T/benign.log"
grep -q 'unknown.cf:4' "$T/err" && grep -q 'no_such_setting' "$T/err" &&
	ok "unknown setting in a file: exit 2, FILE:LINE and the name" ||
	fail "unknown setting: message lacks unknown.cf:4 or the name: $(cat "$T/err")"
want 2 "$MS" config --config "$T/unknown.cf"
grep -q 'unknown.cf:4.*no_such_setting' "$T/err" || fail "config --config: unknown setting not placed"
printf 'compromise_networks = abc\n' >"$T/badval.cf"
want 2 "$MS" scan --config "$T/badval.cf" "$T/benign.log"
grep -q 'badval.cf:1.*compromise_networks' "$T/err" || fail "bad value in a file not placed: $(cat "$T/err")"
want 2 "$MS" scan --config "$T/no-such.cf" "$T/benign.log"
grep -q 'no-such.cf' "$T/err" || fail "missing settings file not named"
want 2 "$MS" scan -o compromise_networks=abc "$T/benign.log"
grep -q 'compromise_networks' "$T/err" && ok "-o compromise_networks=abc: exit 2, named" ||
	fail "-o compromise_networks=abc: setting not named: $(cat "$T/err")"
want 2 "$MS" scan -o no_such_setting=1 "$T/benign.log"
grep -q 'no_such_setting' "$T/err" || fail "scan -o unknown: not named"
want 2 "$MS" config -o x=1
grep -q '"x"\|x=1' "$T/err" && ok "config -o x=1: exit 2, named" || fail "config -o x=1: not named"
want 2 "$MS" config -o no_such_setting=1
grep -q 'no_such_setting' "$T/err" || fail "config -o unknown: not named"
want 0 "$MS" config -o compromise_score=5
grep -q '^compromise_score = 5$' "$T/out" || fail "config -o compromise_score=5 not shown"

# -o changes what is found, in a file too, and -o wins over --config.
# has_compromise FILE: a JSON finding of kind account_compromise in FILE
has_compromise() {
	grep -q '"kind": *"account_compromise"' "$1"
}
has_compromise "$T/i1.json" || fail "has_compromise does not see the finding of incident1"
"$MS" scan -o compromise_score=100 --format=json --year 2013 "$T/i1.log" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 2 ]; then
	fail "-o compromise_score=100: exit 2: $(cat "$T/err")"
elif has_compromise "$T/out"; then
	fail "-o compromise_score=100 still finds account_compromise"
elif { [ "$rc" -eq 0 ] && [ -s "$T/out" ]; } || { [ "$rc" -eq 1 ] && [ ! -s "$T/out" ]; }; then
	fail "-o compromise_score=100: exit $rc does not match the output"
else
	ok "-o compromise_score=100 removes the account_compromise"
fi
sed 's/^compromise_score = .*/compromise_score = 100/' "$T/defaults.cf" >"$T/high.cf"
cmp -s "$T/high.cf" "$T/defaults.cf" && fail "no compromise_score line to change in the defaults"
"$MS" scan --config "$T/high.cf" --format=json --year 2013 "$T/mixed.log" >"$T/out" 2>/dev/null
has_compromise "$T/out" && fail "--config with compromise_score = 100 still finds account_compromise"
"$MS" scan --config "$T/high.cf" -o compromise_score=1 --format=json --year 2013 "$T/mixed.log" >"$T/out" 2>/dev/null
cmp -s "$T/out" "$T/mixed.json" && ok "--config compromise_score = 100, -o compromise_score=1: -o wins" ||
	fail "-o does not override --config"

# --- Input order and compression ------------------------------------------------
# Two rotated halves (named so that neither name nor argument order is
# the time order), given newest first; the older one gzipped; all of it
# gzipped; standard input.
n=$(wc -l <"$T/i1.log")
head -n $((n / 2)) "$T/i1.log" >"$T/old.log"
tail -n +$((n / 2 + 1)) "$T/i1.log" >"$T/new.log"
want 1 "$MS" scan --format=json --year 2013 "$T/new.log" "$T/old.log"
cmp -s "$T/out" "$T/i1.json" && ok "rotated halves given newest first: same findings" ||
	fail "rotated halves given newest first: findings differ"
gzip "$T/old.log"
want 1 "$MS" scan --format=json --year 2013 "$T/new.log" "$T/old.log.gz"
cmp -s "$T/out" "$T/i1.json" && ok "newest first, the older gzipped: same findings" ||
	fail "newest first, older gzipped: findings differ"
gzip -c "$T/mixed.log" >"$T/mixed.log.gz"
want 1 "$MS" scan --format=json --year 2013 "$T/mixed.log.gz"
cmp -s "$T/out" "$T/mixed.json" && ok "gzip input: same findings" || fail "gzip input: findings differ"
"$MS" scan --format=json --year 2013 - <"$T/mixed.log" >"$T/out" 2>/dev/null
cmp -s "$T/out" "$T/mixed.json" || fail "standard input: findings differ"

[ "$fails" -eq 0 ] || exit 1
echo "ok"
