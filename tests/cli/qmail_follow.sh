#!/bin/sh
# qmail_follow.sh - `mailsentry serve -o follow=.../current` on a daemontools
# multilog directory of qmail-send and vpopmail (vchkpw) lines, across
# multilog's rotation: current is made read-only (0744), renamed to
# @<tai64n>.s, and a new current is created.
#
# The lines are msgen's qmail + vpopmail log (--format=qmail), reframed as
# multilog writes them: "@<tai64n> <message>", no host, no program name.
# 1. Rotation as multilog does it, by hand, in the middle of writing (the
#    daemon is not waited for): every line counted exactly once, and the
#    events are those `mailsentry events` finds in the same lines.
# 2. Where daemontools is installed, the real multilog (s99999, the size
#    it defaults to), fed chunk by chunk, several rotations, the daemon given
#    time to catch up after each chunk: exactly once again.
# 3. The real multilog with a small s and no pause: many rotations between
#    two polls of the daemon (every 200 ms). The files rotated away before
#    the daemon ever opened them under the name "current" are found by their
#    @<tai64n> names and read in order: exactly once again.
. "$(dirname "$0")/lib/common.sh"
need_msgen

# msgen's RFC 3339 syslog lines -> multilog lines.
cat >"$T/reframe.awk" <<'EOF'
function days(y, m, d,   era, yoe, doy, doe) {
	if (m <= 2)
		y--
	era = int(y / 400)
	yoe = y - era * 400
	doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
	doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
	return era * 146097 + doe - 719468
}
{
	t = days(substr($1, 1, 4) + 0, substr($1, 6, 2) + 0, substr($1, 9, 2) + 0) * 86400 + substr($1, 12, 2) * 3600 + substr($1, 15, 2) * 60 + substr($1, 18, 2)
	usec = substr($1, 21, 6) + 0
	msg = $0
	sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", msg)	# time, host, program
	sub(/^[0-9]+\.[0-9]+ /, "", msg)	# splogger's own stamp
	printf "@40000000%08x%08x %s\n", t + 10, usec * 1000, msg
}
EOF
"$MSGEN" --format=qmail --framing=rfc3339 --lines=20000 --days=1 -o "$T/syslog" ||
	{ fail "msgen"; exit 1; }
awk -f "$T/reframe.awk" "$T/syslog" >"$T/lines"
TOTAL=$(wc -l <"$T/lines")
VCHKPW=$(grep -c ' vchkpw-' "$T/lines")
[ "$TOTAL" -gt 15000 ] && [ "$VCHKPW" -gt 1000 ] || fail "msgen gave $TOTAL lines, $VCHKPW vchkpw"
grep -q '^@4000000051ec[0-9a-f]\{12\} new msg [0-9]' "$T/lines" || fail "reframing: $(head -1 "$T/lines")"
"$MS" events "$T/lines" >"$T/events" 2>"$T/events.err" || fail "events: $(cat "$T/events.err")"
EVENTS=$(wc -l <"$T/events")
grep -q '"source":"vpopmail"' "$T/events" || fail "no vpopmail event in the multilog lines"

mkdir "$T/log" "$T/ml" "$T/ml3"
: >"$T/log/current"
: >"$T/ml3/current"	# followed from before multilog writes its first line
"$MS" serve -o state_dir="$T/state" -o policy_listen= -o authpolicy_listen= \
	-o metrics_listen= -o "follow=$T/log/current $T/ml/current $T/ml3/current" \
	>"$T/serve.out" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$T"' EXIT
i=0
until grep -q "ready:" "$T/serve.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 300 ] && { fail "serve did not start: $(cat "$T/serve.out")"; exit 1; }
	kill -0 $PID 2>/dev/null || { fail "serve died: $(cat "$T/serve.out")"; exit 1; }
	sleep 0.1
done

status() {
	"$MS" status -o state_dir="$T/state" 2>&1 | sed -n "s/^$1 //p"
}

# wait_lines N SECONDS: until the daemon has read N lines; then a moment
# more, to see that no line comes twice.
wait_lines() {
	i=0
	while [ "$(status "log lines")" != "$1" ]; do
		i=$((i + 1))
		[ $i -gt $(($2 * 10)) ] && break
		sleep 0.1
	done
	sleep 0.5
	got=$(status "log lines")
}

tai64n_now() {
	printf '@40000000%08x%08x' $(($(date +%s) + 10)) $(($(date +%N) + 0))
}

# ---- 1. multilog's rotation by hand, while writing --------------------------

HALF=$((TOTAL / 2))
head -n "$HALF" "$T/lines" >"$T/part1"
tail -n +"$((HALF + 1))" "$T/lines" >"$T/part2"
split -l 1000 "$T/part1" "$T/p1."
split -l 1000 "$T/part2" "$T/p2."
for c in "$T"/p1.*; do
	cat "$c" >>"$T/log/current"
	sleep 0.02
done
chmod 744 "$T/log/current"	# multilog: this file is complete
mv "$T/log/current" "$T/log/$(tai64n_now).s"
: >"$T/log/current"
chmod 644 "$T/log/current"
for c in "$T"/p2.*; do
	cat "$c" >>"$T/log/current"
	sleep 0.02
done
wait_lines "$TOTAL" 60
[ "$got" = "$TOTAL" ] || fail "rotation by hand: the daemon read $got lines of $TOTAL"
[ "$(status "events from logs")" = "$EVENTS" ] ||
	fail "rotation by hand: $(status "events from logs") events, mailsentry events finds $EVENTS"
[ "$(status "followed logs")" = 3 ] || fail "followed logs: $(status "followed logs")"
[ $fails -eq 0 ] && ok "multilog rotation by hand: $TOTAL lines ($VCHKPW vchkpw) read exactly once"

# ---- 2. the real multilog, several rotations --------------------------------

if ! command -v multilog >/dev/null; then
	echo "note: daemontools (multilog) not installed: parts 2 and 3 skipped"
	kill -TERM $PID
	wait $PID
	[ $fails -eq 0 ] && exit 0
	exit 1
fi
BASE=$TOTAL
mkfifo "$T/ml.in"
multilog s99999 n100 "$T/ml" <"$T/ml.in" &
ML=$!
exec 8>"$T/ml.in"
split -l 700 "$T/lines" "$T/c2."	# ~80 KB a chunk: at most one rotation each
sent=0
for c in "$T"/c2.*; do
	cat "$c" >&8
	sent=$((sent + $(wc -l <"$c")))
	i=0
	while [ "$(status "log lines")" != "$((BASE + sent))" ] && [ $i -lt 200 ]; do
		i=$((i + 1))
		sleep 0.05
	done
done
exec 8>&-
wait $ML
rot=$(ls "$T/ml" | grep -c '^@.*\.s$')
[ "$(cat "$T"/ml/@*.s "$T/ml/current" | wc -l)" = "$TOTAL" ] || fail "multilog lost lines itself"
wait_lines "$((BASE + TOTAL))" 30
[ "$got" = "$((BASE + TOTAL))" ] ||
	fail "real multilog, $rot rotations: the daemon read $((got - BASE)) lines of $TOTAL"
[ "$rot" -ge 10 ] || fail "real multilog rotated only $rot times"
[ $fails -eq 0 ] && ok "real multilog, $rot rotations: $TOTAL lines read exactly once"

# ---- 3. several rotations between two polls ---------------------------------

BASE=$((BASE + TOTAL))
multilog s4096 n999 "$T/ml3" <"$T/lines"
rot=$(ls "$T/ml3" | grep -c '^@.*\.s$')
[ "$(cat "$T"/ml3/@*.s "$T/ml3/current" | wc -l)" = "$TOTAL" ] || fail "multilog lost lines itself"
wait_lines "$((BASE + TOTAL))" 60
read3=$((got - BASE))
[ "$read3" = "$TOTAL" ] ||
	fail "fast rotations ($rot files of 4 KiB written at once): the daemon read $read3 lines of $TOTAL"
[ "$rot" -ge 100 ] || fail "multilog s4096 rotated only $rot times"
[ $fails -eq 0 ] && ok "fast rotations, $rot files of 4 KiB written at once: $TOTAL lines read exactly once"

kill -TERM $PID
wait $PID
[ $fails -eq 0 ] && exit 0
exit 1
