/* parse_spamd.c - SpamAssassin spamd log lines
 *
 * spamd logs a verdict twice: "identified spam (8.1/6.0) for user:98 in 4.2
 * seconds, 1432 bytes." / "clean message (...)", and "result: Y 8 - TESTS
 * scantime=..,size=..,user=..". Newer versions prefix every message with
 * "spamd: ". Both verdict lines become spam_check events (status spam or
 * clean, score, account = the user whose preferences were used, size); the
 * "result:" score is spamd's rounded integer, the other line's has one
 * decimal. raddr= is spamc's address (usually the MTA itself), not the mail
 * client, so it is not taken as ip.
 */
#include "parse/parse.h"

#include <string.h>

#include "util/scan.h"

#define SP_SOURCE "spamd"

/* "-12.3" -> score; at most 6 integer digits and any decimals (only the
 * first three count). -1 for anything else. */
static int
sp_score(struct strv v, double *out)
{
	size_t i = 0, n;
	uint64_t ip = 0, d;
	double frac = 0, scale = 0.1;
	bool neg = false;

	if (v.len > 0 && (v.p[0] == '-' || v.p[0] == '+')) {
		neg = v.p[0] == '-';
		i = 1;
	}
	if (i >= v.len || v.len - i > 32)
		return -1;
	n = scan_u64_prefix(v.p + i, v.len - i > 6 ? 6 : v.len - i, &ip);
	if (n == 0)
		return -1;
	i += n;
	if (i < v.len && v.p[i] == '.') {
		for (i++; i < v.len && v.p[i] >= '0' && v.p[i] <= '9'; i++) {
			d = (uint64_t)(v.p[i] - '0');
			if (scale > 0.0005)
				frac += (double)d * scale;
			scale /= 10;
		}
	}
	if (i != v.len)
		return -1;
	*out = neg ? -((double)ip + frac) : (double)ip + frac;
	return 0;
}

/* Value of "key=" in spamd's ","-separated "scantime=..,size=..,user=.."
 * list, or STRV_NULL. */
static struct strv
sp_kv(struct strv s, const char *key)
{
	size_t kl = strlen(key), i, j;

	for (i = 0; i + kl <= s.len; i++) {
		if ((i == 0 || s.p[i - 1] == ',' || s.p[i - 1] == ' ') &&
		    memcmp(s.p + i, key, kl) == 0) {
			for (j = i + kl; j < s.len && s.p[j] != ','; j++)
				;
			return strv_make(s.p + i + kl, j - i - kl);
		}
	}
	return STRV_NULL;
}

/* "result: Y 8 - TESTS scantime=4.2,size=1432,user=u,uid=..,mid=<..>" */
static int
sp_fix_result(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv flag = pm_get(caps, 'a', NULL), x = pm_get(caps, 'x', NULL), v;
	const char *sp;
	size_t i;

	(void)f;
	if (strv_eq_cstr(flag, "Y"))
		e->status = EVT_STATUS_SPAM;
	else if (strv_eq_cstr(flag, "."))
		e->status = EVT_STATUS_CLEAN;
	else
		return -1;
	/* the score, then " - " and the test names */
	x = strv_trim(x);
	if ((sp = memchr(x.p, ' ', x.len)) == NULL ||
	    sp_score(strv_make(x.p, (size_t)(sp - x.p)), &e->score) < 0)
		return -1;
	e->flags |= EVT_HAS_SCORE;
	/* the key=value list follows the last space (test names hold none) */
	for (i = x.len; i > 0 && x.p[i - 1] != ' '; i--)
		;
	x = strv_skip(x, i);
	v = sp_kv(x, "size=");
	if (v.len > 0) {
		if (scan_u64(v.p, v.len, &e->size) < 0)
			return -1;
		e->flags |= EVT_HAS_SIZE;
	}
	v = sp_kv(x, "user=");
	if (v.len > 0 && EVT_SET(e, account, v) < 0)
		return -1;
	return 0;
}

/* "identified spam (8.1/6.0) for user:98 in 4.2 seconds, 1432 bytes." */
static int
sp_fix_verdict(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv u = pm_get(caps, 'x', NULL);
	size_t i;

	(void)f;
	if (sp_score(pm_get(caps, 'a', NULL), &e->score) < 0)
		return -1;
	e->flags |= EVT_HAS_SCORE;
	/* "user:uid": the uid is numeric, the user name may hold ':' */
	for (i = u.len; i > 0 && u.p[i - 1] >= '0' && u.p[i - 1] <= '9'; i--)
		;
	if (i > 0 && i < u.len && u.p[i - 1] == ':')
		u.len = i - 1;
	return EVT_SET(e, account, u);
}

PM_TABLE(sp_rules) = {
	/* "spamd: result: Y 8 - BAYES_99,URIBL_BLACK scantime=4.2,size=1432,user=u,uid=98,required_score=5.0,rhost=localhost,raddr=127.0.0.1,rport=45678,mid=<x@example.com>,autolearn=no" */
	{ "result: %a %x", EVT_SPAM_CHECK, EVT_STATUS_NONE, sp_fix_result },
	/* "spamd: identified spam (8.1/6.0) for user:98 in 4.2 seconds, 1432 bytes." */
	{ "identified spam (%a/%*) for %x in %* seconds, %z bytes.", EVT_SPAM_CHECK,
	  EVT_STATUS_SPAM, sp_fix_verdict },
	/* "spamd: clean message (0.0/6.0) for user:98 in 1.6 seconds, 3347 bytes." */
	{ "clean message (%a/%*) for %x in %* seconds, %z bytes.", EVT_SPAM_CHECK,
	  EVT_STATUS_CLEAN, sp_fix_verdict },
	/* "spamd: connection from mx.example.org [192.0.2.1]:41234 to port 783, fd 5" */
	{ "connection from %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "spamd: processing message <x@example.com> for user:98" */
	{ "processing message %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "spamd: checking message <x@example.com> for user:98." */
	{ "checking message %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "spamd: setuid to user succeeded" */
	{ "setuid to %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "spamd: handled cleanup of child pid [1234] due to SIGCHLD: exit 0" */
	{ "handled cleanup of child %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "prefork: child states: II" */
	{ "prefork: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "spamd: server successfully spawned child process, pid 1234" */
	{ "server %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "dns: new_dns_packet: domain is utf8 flagged: ns.example.net" */
	{ "dns: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "spamd: still running as root: user not specified with -u, not found, or set to root" */
	{ "still running as root%*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

enum parse_result
parse_spamd(const struct frame *f, struct parse_out *out)
{
	struct strv m = f->msg;

	if (strv_has_prefix(m, "spamd: "))
		m = strv_skip(m, 7);
	return PM_RUN(sp_rules, f, m, SP_SOURCE, NULL, out);
}
