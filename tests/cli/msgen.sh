#!/bin/sh
# msgen.sh - the scenario generator. Every scenario, in both formats, writes
# its kinds of ground truth (with scenario, seed, first_spam), starts its
# attacks after a day of history, is deterministic, writes only
# documentation / benchmarking addresses and example domains, in time order;
# each scenario's attack has its documented shape in the log; the
# population carries its false-positive traps; --lines is near the request.
# Usage: sh tests/cli/msgen.sh path/to/mailsentry   (msgen sits beside it)
set -u
. "$(dirname "$0")/lib/common.sh"
need_msgen
export LC_ALL=C
SCENARIOS="benign incident1 incident2 incident3 lowslow spray brute backscatter mixed"

# 0. --list-scenarios names every scenario, one a line
"$MSGEN" --list-scenarios >"$T/list" || fail "--list-scenarios failed"
[ "$(tr '\n' ' ' <"$T/list")" = "$SCENARIOS " ] && ok "--list-scenarios" ||
	fail "--list-scenarios: $(tr '\n' ' ' <"$T/list")"

# kinds SC: the truth's kinds of scenario SC, sorted, with counts
# ("N kind" words; a count "spray" stands for 20-40 more sprayers)
want_kinds() {
	case $1 in
	benign) echo "" ;;
	incident1) echo "1 account_compromise 1 credential_probe" ;;
	incident2) echo "brute" ;;
	incident3 | lowslow) echo "1 account_compromise" ;;
	spray) echo "spray" ;;
	brute) echo "2 brute_force" ;;
	backscatter) echo "1 backscatter" ;;
	mixed) echo "1 account_compromise 1 brute_force 4 password_spray" ;;
	esac
}
got_kinds() {
	sed 's/^{"kind":"\([a-z_]*\)".*/\1/' "$1" | sort | uniq -c |
		awk '{ printf "%s%s %s", (NR > 1 ? " " : ""), $1, $2 } END { print "" }'
}

# check_addrs FILE NAME: IPv4 in 192.0.2/24, 198.51.100/24, 203.0.113/24,
# 198.18/15, 100.64/10; IPv6 in 2001:db8::/32; mail domains example.com/
# .net/.org or their subdomains. DNSBL answers (127.0.0.x) are not addresses.
check_addrs() {
	v4=$(sed 's/ as 127\.0\.0\.[0-9]*$//' "$1" |
		grep -oE '(^|[^0-9.])[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}([^0-9.]|$)' |
		grep -oE '[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+' | sort -u |
		awk -F. '!(($1==192&&$2==0&&$3==2) || ($1==198&&$2==51&&$3==100) ||
			  ($1==203&&$2==0&&$3==113) || ($1==198&&($2==18||$2==19)) ||
			  ($1==100&&$2>=64&&$2<=127) || $1>255||$2>255||$3>255||$4>255)' | head -3)
	v6=$(grep -oE '[0-9a-fA-F:]*::[0-9a-fA-F:]*' "$1" | sed 's/^:*//' | grep -v '^2001:db8:' | head -3)
	dom=$(grep -oE '@[A-Za-z0-9.-]+' "$1" | sort -u |
		grep -vE '\.example\.(com|net|org)$|^@example\.(com|net|org)$' | head -3)
	[ -z "$v4$v6$dom" ] && ok "addresses and domains: $2" ||
		fail "$2: unexpected address or domain: $v4 $v6 $dom"
}

# 1. every scenario in both formats (a small population: --lines; the
#    attack is never scaled): truth kinds and fields, attacks from day 2 on,
#    addresses, time order, determinism
for sc in $SCENARIOS; do
	for f in postfix qmail; do
		n=$sc.$f
		args="--scenario=$sc --format=$f --framing=rfc3339 --lines=20000 --seed=7"
		# shellcheck disable=SC2086
		"$MSGEN" $args -o "$T/$n" --truth="$T/$n.truth" &&
			"$MSGEN" $args -o "$T/$n.again" --truth="$T/$n.truth.again" ||
			fail "msgen $args failed"
		if cmp -s "$T/$n" "$T/$n.again" && cmp -s "$T/$n.truth" "$T/$n.truth.again"; then
			ok "deterministic: $n"
		else
			fail "same seed gave different output: $n"
		fi
		rm -f "$T/$n.again" "$T/$n.truth.again"
		want=$(want_kinds "$sc")
		got=$(got_kinds "$T/$n.truth")
		case $want in
		brute)	# incident2: 2-4 brute-forcers, one per address
			want="1 account_compromise $(grep -c '"kind":"brute_force"' "$T/$n.truth") brute_force"
			nb=$(grep -c '"kind":"brute_force"' "$T/$n.truth")
			[ "$nb" -ge 2 ] && [ "$nb" -le 4 ] || fail "$n: $nb brute-forcers" ;;
		spray)
			ns=$(grep -c '"kind":"password_spray"' "$T/$n.truth")
			want="$ns password_spray"
			[ "$ns" -ge 24 ] && [ "$ns" -le 44 ] || fail "$n: $ns sprayers" ;;
		esac
		[ "$got" = "$want" ] && ok "truth kinds: $n" || fail "$n: truth kinds '$got', want '$want'"
		# scenario, seed, format on every line; start on day 2 or later and
		# no later than end; first_spam on compromises, between the two
		bad=$(awk -v sc="$sc" -v f="$f" '
			function val(k,   s) {
				if (!match($0, "\"" k "\":\"[^\"]*\"")) return ""
				s = substr($0, RSTART, RLENGTH); sub("^\"" k "\":\"", "", s)
				return substr(s, 1, length(s) - 1)
			}
			index($0, "\"scenario\":\"" sc "\",\"seed\":7}") == 0 ||
			index($0, "\"format\":\"" f "\"") == 0 ||
			val("start") < "2013-07-23T00:00:00Z" || val("end") < val("start") ||
			(/"account_compromise"/ && !(val("first_spam") >= val("start") &&
						     val("first_spam") <= val("end"))) { print; exit }
			' "$T/$n.truth")
		[ -z "$bad" ] && ok "truth fields and times: $n" || fail "$n: truth line: $bad"
		# every attacking address and account of the truth is in the log
		for x in $(sed -n 's/.*"\(ip\|account\)":"\([^"]*\)".*/\2/p' "$T/$n.truth" | sort -u); do
			grep -qF "$x" "$T/$n" || { fail "$n: $x of the truth not in the log"; break; }
		done
		check_addrs "$T/$n" "$n"
		if cut -d' ' -f1 "$T/$n" | sort -c 2>/dev/null; then
			ok "time order: $n"
		else
			fail "lines out of time order: $n"
		fi
	done
done
for n in benign.postfix incident3.qmail spray.postfix; do
	# shellcheck disable=SC2046
	"$MSGEN" $(echo "$n" | sed 's/\(.*\)\.\(.*\)/--scenario=\1 --format=\2/') \
		--framing=rfc3339 --lines=20000 --seed=8 -o "$T/seed8"
	cmp -s "$T/$n" "$T/seed8" && fail "seeds 7 and 8 gave the same output: $n" ||
		ok "seed changes output: $n"
done

# field N of truth line L: "num NAME L" or "str NAME L"
num() { printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
str() { printf '%s\n' "$2" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

# 2. each scenario's shape in the log, in both formats
for f in postfix qmail; do
	# incident 2: every failure of each brute-forcer, then the right guess
	# from one of them, then spam from 5-20 addresses of a few /24s
	n=incident2.$f
	c=$(grep account_compromise "$T/$n.truth")
	acc=$(str account "$c")
	grep '"brute_force"' "$T/$n.truth" >"$T/bf"
	while read -r l; do
		ip=$(str ip "$l")
		if [ $f = postfix ]; then
			got=$(grep -cF "[$ip]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=$acc" "$T/$n")
		else
			got=$(grep -cF "vchkpw-smtp: password fail $acc:$ip" "$T/$n")
		fi
		[ "$got" -eq "$(num attempts "$l")" ] && [ "$(str account "$l")" = "$acc" ] &&
			between "$got" 10 200 || fail "$n: $ip: $got failures, truth: $l"
	done <"$T/bf"
	won=0	# one brute-forcer's guess is right: it logs in (port 25)
	for ip in $(sed -n 's/.*"ip":"\([^"]*\)".*/\1/p' "$T/bf"); do
		if [ $f = postfix ]; then
			grep -F "client=unknown[$ip], sasl_method=LOGIN, sasl_username=$acc" "$T/$n" |
				grep -qF ' postfix/smtpd[' && won=$((won + 1))
		else
			grep -qF "vchkpw-smtp: (PLAIN) login success $acc:$ip" "$T/$n" && won=$((won + 1))
		fi
	done
	[ "$won" -eq 1 ] || fail "$n: $won brute-forcers logged in"
	if [ $f = postfix ]; then
		grep -F "sasl_username=$acc" "$T/$n" | grep -o '\[100\.[0-9.]*\]' | tr -d '[]' >"$T/ips"
	else
		grep -F "vchkpw-submission: (PLAIN) login success $acc:100." "$T/$n" | sed 's/.*://' >"$T/ips"
	fi
	ips=$(sort -u "$T/ips" | wc -l)
	nets=$(cut -d. -f1-3 "$T/ips" | sort -u | wc -l)
	between "$ips" 5 20 && between "$nets" 2 4 && [ "$(num distinct_ips "$c")" -eq $((ips + 1)) ] &&
		between "$(num messages "$c")" 301 1001 && [ "$(wc -l <"$T/ips")" -eq $(($(num messages "$c") - 1)) ] &&
		ok "incident2/$f: brute force, then spam from $ips IPs in $nets /24s" ||
		fail "$n: spam from $ips IPs in $nets /24s, $(wc -l <"$T/ips") sessions; truth $c"

	# incident 3: CRAM-MD5 only from one /24 the account never used before
	n=incident3.$f
	c=$(cat "$T/$n.truth")
	acc=$(str account "$c")
	if [ $f = postfix ]; then
		grep -F "sasl_method=CRAM-MD5, sasl_username=$acc" "$T/$n" | grep -o '\[100\.[0-9.]*\]' |
			tr -d '[]' >"$T/ips"
	else
		grep -F "vchkpw-submission: (CRAM-MD5) login success $acc:" "$T/$n" | sed 's/.*://' >"$T/ips"
	fi
	net=$(cut -d. -f1-3 "$T/ips" | sort -u)
	first=$(grep -F "$net." "$T/$n" | head -n 1 | cut -d' ' -f1)
	start=$(str start "$c" | sed 's/Z$//')
	# the owner never uses CRAM-MD5; the attacker always does
	other=$(grep -F "$acc" "$T/$n" | grep -c CRAM-MD5)
	# (qmail: the check is a vchkpw login too; Postfix: a Dovecot login)
	[ "$(echo "$net" | wc -l)" -eq 1 ] && [ "$(num distinct_ips "$c")" -le 2 ] &&
		[ "$(wc -l <"$T/ips")" -eq "$(num $([ $f = qmail ] && echo sessions || echo messages) "$c")" ] &&
		[ "$other" -eq "$(num sessions "$c")" ] &&
		[ "$(printf '%s\n%s\n' "$start" "$first" | sort | head -n 1)" = "$start" ] &&
		between "$(num messages "$c")" 100 1100 &&
		ok "incident3/$f: $(wc -l <"$T/ips") CRAM-MD5 spam sessions from $net.0/24" ||
		fail "$n: CRAM-MD5 from '$net' first at $first, $other CRAM-MD5 lines; truth $c"

	# low and slow: ~40 addresses over many /16s, 1-4 sessions each
	n=lowslow.$f
	c=$(cat "$T/$n.truth")
	acc=$(str account "$c")
	if [ $f = postfix ]; then
		grep -F "sasl_username=$acc" "$T/$n" | grep -o '\[100\.[0-9.]*\]' | tr -d '[]' >"$T/ips"
	else
		grep -F "vchkpw-submission: (PLAIN) login success $acc:100." "$T/$n" | sed 's/.*://' >"$T/ips"
	fi
	ips=$(sort -u "$T/ips" | wc -l)
	nets=$(cut -d. -f1-2 "$T/ips" | sort -u | wc -l)
	max=$(sort "$T/ips" | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')
	between "$ips" 36 44 && [ "$nets" -ge 15 ] && [ "${max:-0}" -le 4 ] &&
		[ "$(wc -l <"$T/ips")" -eq "$(num messages "$c")" ] &&
		ok "lowslow/$f: $ips IPs in $nets /16s, at most $max sessions each" ||
		fail "$n: $ips IPs in $nets /16s, at most $max each; truth $c"

	# spray: 4 sprayers each try N accounts once; 20-40 try 5-8 once or twice
	n=spray.$f
	bad=$(awk '{
		ip = $0; sub(/.*"ip":"/, "", ip); sub(/".*/, "", ip)
		a = $0; sub(/.*"accounts":/, "", a); a += 0
		t = $0; sub(/.*"attempts":/, "", t); t += 0 }
		ip ~ /^198\.51\.100\./ && !(a == t && a >= 10) { print; exit }
		ip ~ /^100\./ && !(a >= 5 && a <= 8 && t >= a && t <= 2 * a) { print; exit }
		ip !~ /^(198\.51\.100|100)\./ { print; exit }' "$T/$n.truth")
	big=$(grep -c '"ip":"198\.51\.100\.' "$T/$n.truth")
	ip=$(str ip "$(tail -n 1 "$T/$n.truth")")
	if [ $f = postfix ]; then
		got=$(grep -F "rip=$ip," "$T/$n" | grep -c 'Disconnected (auth failed')
	else
		got=$(grep -c "vchkpw-pop3: password fail .*:$ip$" "$T/$n")
	fi
	[ -z "$bad" ] && [ "$big" -eq 4 ] && [ "$got" -eq "$(num attempts "$(tail -n 1 "$T/$n.truth")")" ] &&
		ok "spray/$f: 4 sprayers and $(($(wc -l <"$T/$n.truth") - 4)) distributed" ||
		fail "$n: $big sprayers, $got failures from $ip; $bad"

	# brute: one account from one address; non-existent names from another
	n=brute.$f
	l=$(grep '"account"' "$T/$n.truth")
	g=$(grep -v '"account"' "$T/$n.truth")
	ip=$(str ip "$g")
	if [ $f = postfix ]; then
		got=$(grep -cF "[$ip]: SASL LOGIN authentication failed" "$T/$n")
	else
		got=$(grep -c "vpopmail user not found [a-z]*@[a-z.]*:$ip$" "$T/$n")
	fi
	between "$(num attempts "$l")" 100 500 && [ "$(num distinct_ips "$l")" -eq 1 ] &&
		between "$(num attempts "$g")" 150 300 && [ "$(num accounts "$g")" -ge 20 ] &&
		[ "$got" -eq "$(num attempts "$g")" ] &&
		ok "brute/$f: $(num attempts "$l") on one account, $got on $(num accounts "$g") names" ||
		fail "$n: $got guesses from $ip; truth $l $g"

	# backscatter: the remote NDRs delivered to the account
	n=backscatter.$f
	c=$(cat "$T/$n.truth")
	acc=$(str account "$c")
	if [ $f = postfix ]; then	# inbound (smtpd client=) from=<>, delivered to acc
		got=$(awk -v acc="to=<$acc>," '
			/ postfix\/smtpd\[[0-9]+\]: [0-9A-F]+: client=/ { q = $4; in_[q] = 1 }
			/ postfix\/qmgr\[[0-9]+\]: [0-9A-F]+: from=<>,/ { q = $4; if (q in in_) nul[q] = 1 }
			/status=sent/ && index($0, acc) { q = $4; if (q in nul) n++ }
			END { print n + 0 }' "$T/$n")
	else		# from <> queued by qmail-smtpd (uid 103), delivered to acc
		got=$(awk -v acc="example.com-$acc example.org-$acc" '
			/ info msg [0-9]+: bytes [0-9]+ from <> qp [0-9]+ uid 103$/ { m = $7; sub(":", "", m); nul[m] = 1 }
			/ starting delivery [0-9]+: msg [0-9]+ to local / { if (($9 in nul) && index(acc, $12)) n++ }
			END { print n + 0 }' "$T/$n")
	fi
	between "$(num ndrs "$c")" 200 2000 && [ "$got" -eq "$(num ndrs "$c")" ] &&
		ok "backscatter/$f: $got NDRs from $(num distinct_ips "$c") MTAs to $acc" ||
		fail "$n: $got NDRs delivered; truth $c"
done

# 3. incident 1 (defaults: qmail, 5 days): 880 distinct IPs over 24 h from
#    day 2, in 100.64.0.0/10 across many /16s, then password failures from
#    fresh IPs on at least three days
"$MSGEN" --scenario=incident1 -o "$T/i1" --truth="$T/i1.truth"
grep 'vchkpw-submission: (PLAIN) login success hello@example.com:100\.' "$T/i1" >"$T/i1.ok"
n=$(sed 's/.*://' "$T/i1.ok" | sort -u | wc -l)
nets=$(sed 's/.*://' "$T/i1.ok" | cut -d. -f1,2 | sort -u | wc -l)
[ "$n" -eq 880 ] && ok "incident1: 880 distinct IPs" || fail "incident1: $n distinct IPs"
[ "$nets" -ge 40 ] && ok "incident1: $nets /16 networks" || fail "incident1: only $nets /16s"
head -n 1 "$T/i1.ok" | grep -q '^Jul 23 07:' && ok "incident1: starts on day 2 at 07:xx" ||
	fail "incident1: first session $(head -n 1 "$T/i1.ok" | cut -c1-15)"
days=$(grep 'vchkpw-submission: password fail hello@example.com:' "$T/i1" |
	awk '{print $1, $2}' | sort -u | wc -l)
[ "$days" -ge 3 ] && ok "incident1: probing on $days days" || fail "incident1: probing on $days days"
grep -q '"kind":"account_compromise","account":"hello@example.com".*"distinct_ips":880' \
	"$T/i1.truth" && ok "incident1: truth file" || fail "incident1: truth file"
grep -q '"kind":"credential_probe"' "$T/i1.truth" && ok "incident1: probe truth" ||
	fail "incident1: no credential_probe truth"

# 4. qmail: every delivery result belongs to a started delivery, every
#    "info msg" to a "new msg"; Postfix: every removed queue id was queued
awk '/ starting delivery /{s[$9+0]=1} / delivery [0-9]+: (success|failure|deferral):/{
	if (!($8+0 in s)) bad++ } / new msg /{m[$9]=1} / info msg /{sub(":","",$9); if (!($9 in m)) bad++}
	END{exit bad>0}' "$T/i1" && ok "qmail delivery numbering" || fail "qmail delivery numbering"
sed -n 's/.* postfix\/qmgr\[[0-9]*\]: \([0-9A-F]*\): \(from=\|removed\).*/\2 \1/p' "$T/mixed.postfix" |
	awk '$1 == "from=" { q[$2] = 1 } $1 == "removed" && !($2 in q) { bad++ }
	     END { exit bad > 0 }' && ok "postfix queue ids" || fail "postfix queue ids"

# 5. the population's false-positive traps (benign, default size and days)
for f in postfix qmail; do
	"$MSGEN" --format=$f -o "$T/pop.$f" || fail "msgen --format=$f failed"
	# day, account, address of each login, ok or failed
	if [ $f = postfix ]; then
		sed -n 's/^\(Jul [ 0-9]*\) .*-login: Login: user=<\([^>]*\)>, method=[A-Z-]*, rip=\([^,]*\),.*/\1 \2 \3 ok/p
			s/^\(Jul [ 0-9]*\) .*-login: Disconnected (auth failed.*user=<\([^>]*\)>.*rip=\([^,]*\),.*/\1 \2 \3 fail/p' \
			"$T/pop.$f" | tr -s ' ' >"$T/logins"
	else
		sed -n 's/^\(Jul [ 0-9]*\) .*vchkpw-[a-z0-9]*: ([A-Z0-9-]*) login success \(.*\):\([^:]*\)$/\1 \2 \3 ok/p
			s/^\(Jul [ 0-9]*\) .*vchkpw-[a-z0-9]*: password fail \(.*\):\([^:]*\)$/\1 \2 \3 fail/p' \
			"$T/pop.$f" | tr -s ' ' >"$T/logins"
	fi
	# a phone with a stale password: 8+ failures in a day from an office
	# NAT address (198.19.200-249.x) where the same account logs in fine
	stale=$(awk '$4 ~ /^198\.19\.2[0-4][0-9]\./ { k = $1 " " $2 " " $3 " " $4; if ($5 == "fail") f[k]++; else o[k]++ }
		END { for (k in f) if (f[k] >= 8 && o[k] >= 20) n++; print n + 0 }' "$T/logins")
	# office, home and phone on one day: NAT, an ISP address, a carrier address
	multi=$(awk '$5 == "ok" { k = $1 " " $2 " " $3
			if ($4 ~ /^198\.19\.2[0-4][0-9]\./) o[k] = 1
			else if ($4 ~ /^198\.1[89]\./) h[k] = 1
			else if ($4 ~ /^100\.6[4-7]\./) p[k] = 1 }
		END { for (k in o) if ((k in h) && (k in p)) n++; print n + 0 }' "$T/logins")
	# the notifier: thousands of messages a weekday from one address
	if [ $f = postfix ]; then
		notes=$(grep -F 'client=app1.example.com[198.18.101.20], sasl_method=PLAIN, sasl_username=notify1@example.com' "$T/pop.$f" | grep -c '^Jul 22 ')
	else
		notes=$(grep -c '^Jul 22 .*vchkpw-smtp: (PLAIN) login success notify1@example.com:198\.18\.101\.20$' "$T/pop.$f")
	fi
	# the traveller: logins from the travel networks 100.120.0.0/13
	travel=$(awk '$5 == "ok" && $4 ~ /^100\.12[0-7]\./' "$T/logins" | wc -l)
	[ "$stale" -ge 1 ] && [ "$multi" -ge 2 ] && [ "$notes" -ge 2000 ] && [ "$travel" -ge 20 ] &&
		ok "population/$f: stale phone, $multi multi-device days, $notes notifications, traveller" ||
		fail "population/$f: stale $stale, multi $multi, notifications $notes, traveller $travel"
	check_addrs "$T/pop.$f" "population/$f"
done

# 6. --lines: within 10 % of the request at 20 k lines, 3 % at 200 k
for n in 20000 200000; do
	for f in postfix qmail; do
		got=$("$MSGEN" --format=$f --lines=$n | wc -l)
		tol=$((n < 100000 ? 10 : 3))
		between "$got" $((n * (100 - tol) / 100)) $((n * (100 + tol) / 100)) &&
			ok "--lines=$n --format=$f: $got lines" || fail "--lines=$n --format=$f: $got lines"
	done
done

# 7. usage errors exit 2, --help exits 0
want 2 "$MSGEN" --format=exim
want 2 "$MSGEN" --start=yesterday
want 2 "$MSGEN" --scenario=nosuch
want 0 "$MSGEN" --help
grep -q -- '--list-scenarios' "$T/out" && ok "--help" || fail "--help does not name --list-scenarios"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok"
