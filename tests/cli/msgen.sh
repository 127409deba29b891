#!/bin/sh
# msgen.sh - the scenario generator is deterministic, sized as asked, and
# writes only documentation / benchmarking addresses and example domains.
# Usage: sh tests/cli/msgen.sh path/to/mailsentry   (msgen sits beside it)
set -u
bin=${1:-${MS_BUILD_DIR:-build}/mailsentry}
msgen=$(dirname "$bin")/msgen
if [ ! -x "$msgen" ]; then
	echo "SKIP: $msgen not built"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; fail=1; }

# 1. same options and seed: the same bytes; another seed: other bytes
for args in "--scenario=benign" "--scenario=mixed --format=qmail --framing=rfc3339" \
	    "--scenario=incident1 --days=2"; do
	# shellcheck disable=SC2086
	"$msgen" $args --seed=7 -o "$tmp/a" --truth="$tmp/ta" &&
	"$msgen" $args --seed=7 -o "$tmp/b" --truth="$tmp/tb" &&
	"$msgen" $args --seed=8 -o "$tmp/c" || bad "msgen $args failed"
	if cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/ta" "$tmp/tb"; then
		ok "deterministic: $args"
	else
		bad "same seed gave different output: $args"
	fi
	if cmp -s "$tmp/a" "$tmp/c"; then bad "seeds 7 and 8 gave the same output: $args"
	else ok "seed changes output: $args"; fi
done

# 2. --lines: within 15 % of the request
for n in 20000 200000; do
	for f in postfix qmail; do
		got=$("$msgen" --format=$f --lines=$n | wc -l)
		if [ "$got" -ge $((n * 85 / 100)) ] && [ "$got" -le $((n * 115 / 100)) ]; then
			ok "--lines=$n --format=$f: $got lines"
		else
			bad "--lines=$n --format=$f: $got lines"
		fi
	done
done

# 3. addresses: IPv4 in 192.0.2/24, 198.51.100/24, 203.0.113/24, 198.18/15,
#    100.64/10 (the attacks ask for it); IPv6 in 2001:db8::/32; mail domains
#    example.com/.net/.org or their subdomains. DNSBL answers (127.0.0.x) are
#    not addresses.
check_addrs() {
	v4=$(sed 's/ as 127\.0\.0\.[0-9]*$//' "$1" |
		grep -oE '(^|[^0-9.])[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}([^0-9.]|$)' |
		grep -oE '[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+' | sort -u |
		awk -F. '!(($1==192&&$2==0&&$3==2) || ($1==198&&$2==51&&$3==100) ||
			  ($1==203&&$2==0&&$3==113) || ($1==198&&($2==18||$2==19)) ||
			  ($1==100&&$2>=64&&$2<=127) || $1>255||$2>255||$3>255||$4>255)' | head -3)
	v6=$(grep -oE '[0-9a-fA-F:]*::[0-9a-fA-F:]*' "$1" | sed 's/^:*//' | grep -v '^2001:db8:' | head -3)
	dom=$(grep -oE '@[A-Za-z0-9.-]+' "$1" | sort -u | grep -vE '\.example\.(com|net|org)$|^@example\.(com|net|org)$' | head -3)
	if [ -z "$v4$v6$dom" ]; then
		ok "addresses and domains: $2"
	else
		bad "$2: unexpected address or domain: $v4 $v6 $dom"
	fi
}
for sc in benign mixed incident1; do
	for f in postfix qmail; do
		"$msgen" --scenario=$sc --format=$f --framing=rfc3339 --days=2 -o "$tmp/$sc.$f" ||
			bad "msgen --scenario=$sc --format=$f failed"
		check_addrs "$tmp/$sc.$f" "$sc/$f"
		# 4. lines come in time order (RFC 3339 stamps sort as text)
		if cut -d' ' -f1 "$tmp/$sc.$f" | LC_ALL=C sort -c 2>/dev/null; then
			ok "time order: $sc/$f"
		else
			bad "lines out of time order: $sc/$f"
		fi
	done
done

# 5. incident 1: 880 distinct IPs over 24 h, in 100.64.0.0/10 across many
#    /16s, then password failures from fresh IPs on at least three days
"$msgen" --scenario=incident1 -o "$tmp/i1" --truth="$tmp/i1.truth"
n=$(grep 'vchkpw-submission: (PLAIN) login success hello@example.com:' "$tmp/i1" |
	sed 's/.*://' | sort -u | wc -l)
nets=$(grep 'vchkpw-submission: (PLAIN) login success hello@example.com:' "$tmp/i1" |
	sed 's/.*://' | cut -d. -f1,2 | sort -u | wc -l)
[ "$n" -eq 880 ] && ok "incident1: 880 distinct IPs" || bad "incident1: $n distinct IPs"
[ "$nets" -ge 40 ] && ok "incident1: $nets /16 networks" || bad "incident1: only $nets /16s"
days=$(grep 'vchkpw-submission: password fail hello@example.com:' "$tmp/i1" |
	awk '{print $1, $2}' | sort -u | wc -l)
[ "$days" -ge 3 ] && ok "incident1: probing on $days days" || bad "incident1: probing on $days days"
grep -q '"kind":"account_compromise","account":"hello@example.com".*"distinct_ips":880' \
	"$tmp/i1.truth" && ok "incident1: truth file" || bad "incident1: truth file"
grep -q '"kind":"credential_probe"' "$tmp/i1.truth" && ok "incident1: probe truth" ||
	bad "incident1: no credential_probe truth"

# 6. qmail: every delivery result belongs to a started delivery, every
#    "info msg" to a "new msg"; Postfix: every removed queue id was queued
awk '/ starting delivery /{s[$9+0]=1} / delivery [0-9]+: (success|failure|deferral):/{
	if (!($8+0 in s)) bad++ } / new msg /{m[$9]=1} / info msg /{sub(":","",$9); if (!($9 in m)) bad++}
	END{exit bad>0}' "$tmp/i1" && ok "qmail delivery numbering" || bad "qmail delivery numbering"
sed -n 's/.* postfix\/qmgr\[[0-9]*\]: \([0-9A-F]*\): \(from=\|removed\).*/\2 \1/p' "$tmp/mixed.postfix" |
	awk '$1 == "from=" { q[$2] = 1 } $1 == "removed" && !($2 in q) { bad++ }
	     END { exit bad > 0 }' && ok "postfix queue ids" || bad "postfix queue ids"

# 7. usage errors exit 2, --help exits 0
"$msgen" --format=exim >/dev/null 2>&1
[ $? -eq 2 ] && ok "bad --format exits 2" || bad "bad --format does not exit 2"
"$msgen" --start=yesterday >/dev/null 2>&1
[ $? -eq 2 ] && ok "bad --start exits 2" || bad "bad --start does not exit 2"
"$msgen" --help | grep -q -- '--scenario' && ok "--help" || bad "--help"
exit $fail
