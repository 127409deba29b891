#!/bin/sh
# events.sh - the `mailsentry events` contract of DESIGN.md, as other tools
# rely on it: one valid JSON object per line with the documented keys
# (time as RFC 3339 UTC "...Z", source, service, type, account, ip, mech);
# the vpopmail example line gives exactly the documented object; "-" reads
# standard input; rotated files given newest first are read oldest first;
# gzip, bzip2, xz and zstd are detected by content, not by name; --help
# exits 0 and usage errors exit 2; the inferred year is announced on stderr
# naming the file (and not when --year is given); a Dec 31 -> Jan 1 wrap
# inside one file gives times that keep increasing into the new year.
# Usage: sh tests/cli/events.sh path/to/mailsentry. Documentation addresses
# only. Exit 77 (skip) without python3.
set -u
. "$(dirname "$0")/lib/common.sh"
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is needed for the JSON checks"
	exit 77
fi

# check_json FILE [MIN_LINES]: every line a JSON object with the contract's
# keys and value shapes; at least MIN_LINES lines. Prints the problem.
check_json() {
	python3 - "$1" "${2:-1}" <<'EOF'
import json, re, sys
path, need = sys.argv[1], int(sys.argv[2])
types = {"auth_success", "auth_failure", "message_accepted", "delivery",
         "bounce", "reject"}
known_services = {"smtp", "submission", "smtps", "imap", "pop3", "managesieve",
                  "lmtp", "local", "virtual", "pipe", "error", "remote"}
ts = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
n = 0
with open(path, "rb") as f:
    for lineno, raw in enumerate(f, 1):
        n += 1
        where = "%s:%d" % (path, lineno)
        try:
            e = json.loads(raw.decode("utf-8"))
        except Exception as x:
            sys.exit("%s: not JSON (%s): %.200r" % (where, x, raw))
        if not isinstance(e, dict):
            sys.exit("%s: not a JSON object" % where)
        for k in ("time", "source", "type"):
            if not isinstance(e.get(k), str) or not e[k]:
                sys.exit("%s: no %s: %s" % (where, k, e))
        if not ts.match(e["time"]):
            sys.exit("%s: time not RFC 3339 UTC: %s" % (where, e["time"]))
        if e["type"] not in types and not re.match(r"^[a-z_]+$", e["type"]):
            sys.exit("%s: odd type: %s" % (where, e["type"]))
        if e["type"] == "delivery" and e.get("status") not in ("sent", "deferred", "bounced"):
            sys.exit("%s: delivery without sent|deferred|bounced status: %s" % (where, e))
        if e["type"] in ("auth_success", "auth_failure", "reject") and "ip" not in e \
                and "account" not in e:
            sys.exit("%s: %s names neither ip nor account: %s" % (where, e["type"], e))
        if "service" in e and e["service"] not in known_services:
            sys.exit("%s: service %r is not one of HACKING.md's" % (where, e["service"]))
        for k, v in e.items():
            if v is None or v == "":
                sys.exit("%s: key %s present but empty (absent when unknown)" % (where, k))
if n < need:
    sys.exit("%s: %d lines, wanted at least %d" % (path, n, need))
EOF
}

# times FILE: the "time" of every line, one a line.
ev_times() {
	python3 -c 'import json, sys
for l in open(sys.argv[1]): print(json.loads(l)["time"])' "$1"
}

# --- Options and exit codes -------------------------------------------------
want 0 "$MS" events --help
grep -q 'usage: mailsentry events' "$T/out" && ok "--help exits 0 with the usage on stdout" ||
	fail "--help: no usage on stdout"
want 2 "$MS" events
grep -qi 'usage' "$T/err" && ok "no file: exit 2 with usage" || fail "no file: no usage on stderr"
[ -s "$T/out" ] && fail "no file: something on stdout"
want 2 "$MS" events --no-such-option /dev/null
grep -q 'no-such-option' "$T/err" && ok "unknown option: exit 2, named" ||
	fail "unknown option not named on stderr"
want 2 "$MS" events --year /dev/null
want 2 "$MS" events --year 13x /dev/null
want 0 "$MS" events --year 2013 /dev/null
[ -s "$T/out" ] && fail "empty input printed something"

# --- The DESIGN.md example --------------------------------------------------
printf '%s\n' 'Jul 22 18:52:46 mx vpopmail[17115]: vchkpw-submission: (PLAIN) login success hello@example.com:192.0.2.27' >"$T/one.log"
want 0 "$MS" events --year 2013 "$T/one.log"
if [ ! -s "$T/out" ]; then
	echo "FAIL: no event from the DESIGN.md example line"
	exit 1
fi
# The documented object, keys in the documented order. Extra keys are
# allowed only after them, and only keys the event type defines (host:
# the syslog host that wrote the line).
python3 - "$T/out" <<'EOF' && ok "example line gives DESIGN.md's object" || fail "example line: wrong shape"
import json, sys
want = [("time", "2013-07-22T18:52:46Z"), ("source", "vpopmail"),
        ("service", "submission"), ("type", "auth_success"),
        ("account", "hello@example.com"), ("ip", "192.0.2.27"), ("mech", "PLAIN")]
lines = open(sys.argv[1]).read().splitlines()
if len(lines) != 1:
    sys.exit("%d lines, wanted 1" % len(lines))
e = json.loads(lines[0])
got = list(e.items())
if got[:len(want)] != want:
    sys.exit("got %s\nwanted %s" % (got, want))
extra = set(e) - {k for k, _ in want}
if extra - {"host"}:
    sys.exit("unexpected keys: %s" % sorted(extra))
EOF
grep -q '^{"time":"2013-07-22T18:52:46Z","source":"vpopmail","service":"submission","type":"auth_success","account":"hello@example.com","ip":"192.0.2.27","mech":"PLAIN"[,}]' "$T/out" ||
	fail "example line: not byte for byte the documented JSON prefix: $(cat "$T/out")"
grep -q 'assuming' "$T/err" && fail "--year given, yet a year is announced: $(cat "$T/err")"

# Standard input: same output as the file.
cp "$T/out" "$T/want"
"$MS" events --year 2013 - <"$T/one.log" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -eq 0 ] || fail "stdin: exit $rc"
cmp -s "$T/out" "$T/want" && ok "stdin via -" || fail "stdin: other output than the file"

# --- Year inference is announced, naming the file ---------------------------
touch -t 201307230000 "$T/one.log"
want 0 "$MS" events "$T/one.log"
grep -q 'one\.log' "$T/err" && grep -q '2013' "$T/err" &&
	ok "year inference announced on stderr, naming the file" ||
	fail "no announcement naming one.log and 2013 on stderr: $(cat "$T/err")"
grep -q '"time":"2013-07-22T18:52:46Z"' "$T/out" ||
	fail "mtime 2013-07-23: year not inferred as 2013: $(cat "$T/out")"
# A file last written on Jan 2 that starts on Dec 31: the previous year.
printf '%s\n' 'Dec 31 23:59:50 mx vpopmail[1]: vchkpw-pop3: password fail hello@example.com:192.0.2.5' \
	'Jan  1 00:00:10 mx vpopmail[2]: vchkpw-pop3: password fail hello@example.com:192.0.2.6' >"$T/wrap.log"
touch -t 201401020000 "$T/wrap.log"
want 0 "$MS" events "$T/wrap.log"
[ "$(ev_times "$T/out" | tr '\n' ' ')" = "2013-12-31T23:59:50Z 2014-01-01T00:00:10Z " ] &&
	ok "year inferred across the new year from the mtime" ||
	fail "inferred year, Dec 31 -> Jan 1: $(ev_times "$T/out" | tr '\n' ' ')"
grep -q 'wrap\.log' "$T/err" || fail "inference not announced for wrap.log"

# --- Dec 31 -> Jan 1 inside one file, with --year ---------------------------
{
	i=0
	for ts in 'Dec 31 23:58:00' 'Dec 31 23:59:00' 'Dec 31 23:59:59' 'Jan  1 00:00:00' \
		  'Jan  1 00:00:01' 'Jan  1 00:30:00' 'Jan  2 08:00:00'; do
		i=$((i + 1))
		echo "$ts mx vpopmail[$i]: vchkpw-submission: (PLAIN) login success hello@example.com:192.0.2.$i"
	done
} >"$T/wrap2.log"
want 0 "$MS" events --year 2013 "$T/wrap2.log"
check_json "$T/out" 7 || fail "year wrap: bad JSON"
ev_times "$T/out" >"$T/t"
if [ "$(wc -l <"$T/t")" -eq 7 ] && LC_ALL=C sort -c -u "$T/t" 2>/dev/null &&
   [ "$(head -n 1 "$T/t")" = "2013-12-31T23:58:00Z" ] &&
   [ "$(sed -n 4p "$T/t")" = "2014-01-01T00:00:00Z" ] &&
   [ "$(tail -n 1 "$T/t")" = "2014-01-02T08:00:00Z" ]; then
	ok "Dec 31 -> Jan 1 in one file: times increase into the new year"
else
	fail "year wrap: times $(tr '\n' ' ' <"$T/t")"
fi
grep -q 'assuming' "$T/err" && fail "--year given, yet a year is announced (wrap)"

# --- A mixed log: every line valid JSON with the contract's keys -------------
cat >"$T/mixed.log" <<'EOF'
Jul 22 09:52:50 mx vpopmail[17115]: vchkpw-submission: (PLAIN) login success hello@example.com:192.0.2.27
Jul 22 09:52:57 mx qmail: 1374486777.611077 info msg 90219: bytes 1364 from <hello@example.com> qp 17121 uid 103
Jul 22 09:52:57 mx qmail: 1374486777.638528 starting delivery 77421: msg 90219 to remote rcpt@example.net
Jul 22 09:52:58 mx qmail: 1374486778.700000 delivery 77421: failure: Sorry,_no_mailbox_here_by_that_name./
Jul 22 10:20:01 mx vpopmail[17200]: vchkpw-submission: (PLAIN) login success Hello@Example.com:2001:db8:5::1
Jul 22 10:25:01 mx vpopmail[32749]: vchkpw-submission: password fail hello@example.com:198.51.100.32
Jul 22 10:26:01 mx vpopmail[32750]: vchkpw-pop3: password fail other@example.org:192.0.2.5
Jul 22 10:27:01 mx postfix/smtpd[4001]: 4PbCZy4PWKz3tBr: client=unknown[2001:db8::15c8], sasl_method=PLAIN, sasl_username=u@example.org
Jul 22 10:27:02 mx postfix/smtpd[4002]: warning: unknown[198.51.100.9]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
EOF
want 0 "$MS" events --year 2013 "$T/mixed.log"
check_json "$T/out" 7 && ok "mixed qmail/vpopmail/postfix log: valid JSON, contract keys" ||
	fail "mixed log: bad JSON"
python3 - "$T/out" <<'EOF' || fail "mixed log: auth events lack the known fields"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
auth = [e for e in ev if e["type"] in ("auth_success", "auth_failure")]
if len(auth) < 6:
    sys.exit("only %d auth events: %s" % (len(auth), auth))
for e in auth:
    for k in ("service", "account", "ip"):
        if k not in e and not (k == "account" and e["ip"] == "198.51.100.9"):
            sys.exit("no %s: %s" % (k, e))
if not any(e.get("mech") == "PLAIN" and e["ip"] == "2001:db8::15c8" and
           e.get("account") == "u@example.org" for e in auth):
    sys.exit("postfix SASL login: no PLAIN/2001:db8::15c8/u@example.org event")
if not any(e.get("account") == "Hello@Example.com" for e in auth):
    sys.exit("account case not kept as logged")
if not any(e["type"] == "delivery" and e.get("status") == "bounced" for e in ev):
    sys.exit("qmail failure: no bounced delivery")
EOF

# --- Rotated files, given newest first, come out oldest first ----------------
# mail.log.2.gz: Jul 20, mail.log.1: Jul 21, mail.log: Jul 22; the mtimes
# agree (logrotate keeps them), so every ordering key says the same.
mkdir "$T/rot"
mk() { # mk FILE DAY IP-OCTET...
	f=$1 d=$2
	shift 2
	for o in "$@"; do
		echo "Jul $d 1$o:00:00 mx vpopmail[$o]: vchkpw-submission: (PLAIN) login success hello@example.com:198.51.100.$o"
	done >"$f"
}
mk "$T/rot/mail.log.2" 20 1 2 3
mk "$T/rot/mail.log.1" 21 4 5 6
mk "$T/rot/mail.log" 22 7 8 9
gzip -n "$T/rot/mail.log.2"
touch -t 201307202359 "$T/rot/mail.log.2.gz"
touch -t 201307212359 "$T/rot/mail.log.1"
touch -t 201307222359 "$T/rot/mail.log"
rotated() {
	for order in "mail.log mail.log.1 mail.log.2.gz" "mail.log.1 mail.log mail.log.2.gz" \
		     "mail.log.2.gz mail.log.1 mail.log"; do
		rotated_one "$1" "$order"
	done
}
rotated_one() {
	order=$2
	# shellcheck disable=SC2086
	(cd "$T/rot" && "$MS" events --year 2013 $order >"$T/out" 2>"$T/err")
	rc=$?
	[ "$rc" -eq 0 ] || fail "rotated ($order): exit $rc: $(cat "$T/err")"
	check_json "$T/out" 9 || fail "rotated ($order): bad JSON"
	ev_times "$T/out" >"$T/t"
	ips=$(sed 's/.*"ip":"198\.51\.100\.\([0-9]*\)".*/\1/' "$T/out" | tr -d '\n')
	if [ "$(wc -l <"$T/t")" -eq 9 ] && LC_ALL=C sort -c -u "$T/t" 2>/dev/null &&
	   [ "$ips" = "123456789" ]; then
		ok "rotated files given as '$order' come out oldest first ($1)"
	else
		fail "rotated ($order, $1): times $(tr '\n' ' ' <"$T/t") ips $ips"
	fi
}
rotated "logrotate mtimes"
# Copied without keeping mtimes: all equal, the first timestamp decides.
touch -t 201308010000 "$T/rot/mail.log.2.gz" "$T/rot/mail.log.1" "$T/rot/mail.log"
rotated "equal mtimes"

# --- Compression by content -------------------------------------------------
printf '%s\n' 'Jul 22 18:52:46 mx vpopmail[17115]: vchkpw-submission: (PLAIN) login success hello@example.com:192.0.2.27' \
	'Jul 22 18:53:00 mx vpopmail[17116]: vchkpw-pop3: password fail hello@example.com:192.0.2.28' >"$T/plain"
"$MS" events --year 2013 "$T/plain" >"$T/want" 2>/dev/null
[ "$(wc -l <"$T/want")" -eq 2 ] || fail "plain two-line log: $(wc -l <"$T/want") events"
for z in "gzip -n" bzip2 xz "zstd -q"; do
	tool=${z%% *}
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not installed"
		continue
	fi
	# shellcheck disable=SC2086
	$z -c <"$T/plain" >"$T/c.$tool" || { fail "$tool failed"; continue; }
	# Named after the codec, named .log, and with no extension at all.
	cp "$T/c.$tool" "$T/mail.log"
	cp "$T/c.$tool" "$T/noext"
	for f in "$T/c.$tool" "$T/mail.log" "$T/noext"; do
		want 0 "$MS" events --year 2013 "$f"
		cmp -s "$T/out" "$T/want" && ok "$tool: $(basename "$f")" ||
			fail "$tool content in $(basename "$f"): other events than the plain file: $(head -c 300 "$T/out") $(head -c 300 "$T/err")"
	done
	# And through standard input.
	"$MS" events --year 2013 - <"$T/c.$tool" >"$T/out" 2>"$T/err"
	cmp -s "$T/out" "$T/want" && ok "$tool on standard input" ||
		fail "$tool on stdin: other events than the plain file"
done
# A plain file named .gz is read as plain text.
cp "$T/plain" "$T/fake.gz"
want 0 "$MS" events --year 2013 "$T/fake.gz"
cmp -s "$T/out" "$T/want" && ok "plain text named .gz" || fail "plain text named .gz misread"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok"
