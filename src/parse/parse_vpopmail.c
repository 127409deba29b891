/* parse_vpopmail.c - vpopmail vchkpw log lines
 *
 * vchkpw authenticates POP3, IMAP and SMTP AUTH logins for qmail. Every
 * line it writes is "vchkpw-SERVICE: what account@domain:ip", where
 * SERVICE is named after the local port (smtp, submission, smtps, pop3,
 * pop3s, imap, imaps, webmail for logins from the webmail host, or the
 * bare port number on other ports); vpopmail before 5.4 wrote "vchkpw:"
 * alone. The account and the client address are joined by ':' and the
 * address may be IPv6, so they are split by hand (vp_split), not by a
 * template. At log levels 3 and 4 a failed login carries the tried
 * password, unescaped, in "(pass: '...')": it is skipped, never copied.
 */
#include "parse/parse.h"

#include <string.h>

/* Split "account:ip" (the last capture of every rule). vchkpw prints
 * user@domain:ip; the domain holds no ':' but an IPv6 address does, so
 * the account ends at the first ':' after the last '@', or at the first
 * ':' when there is no '@' (system users, "null user name"). "user@" is
 * vchkpw's rendering of an account without a domain: the '@' goes. */
static int
vp_split(const struct pm_caps *caps, struct evt *e)
{
	struct strv v = pm_get(caps, 'x', NULL), acct, ip;
	const char *at = NULL, *colon, *p;

	if (v.p == NULL)
		return -1;
	for (p = v.p; p < v.p + v.len; p++)
		if (*p == '@')
			at = p;
	p = at != NULL ? at : v.p;
	colon = memchr(p, ':', (size_t)(v.p + v.len - p));
	if (colon == NULL)
		return -1;
	acct = strv_make(v.p, (size_t)(colon - v.p));
	ip = strv_make(colon + 1, v.len - acct.len - 1);
	if (acct.len > 0 && acct.p[acct.len - 1] == '@')
		acct.len--;
	if (acct.len > 0 && EVT_SET(e, account, acct) < 0)
		return -1;
	/* vchkpw prints an empty address when TCPREMOTEIP is unset. */
	if (ip.len > 0 && evt_set_ip(e, ip) < 0)
		return -1;
	return 0;
}

/* The password is the text between "(pass: '" and the last "') ": vchkpw
 * does not escape quotes, so only the last one is trustworthy (the account
 * and address that follow it hold none). Nothing before it is read. */
static int
vp_fix_pass(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv y = pm_get(caps, 'y', NULL);
	struct pm_caps c;
	const char *last = NULL, *p;

	(void)f;
	for (p = y.p; y.p != NULL && p + 3 <= y.p + y.len; p++)
		if (p[0] == '\'' && p[1] == ')' && p[2] == ' ')
			last = p;
	if (last == NULL)
		return -1;
	c.set = 1ULL << ('x' - 'a');
	c.v['x' - 'a'] = strv_make(last + 3, (size_t)(y.p + y.len - (last + 3)));
	EVT_SET_TEXT(e, reason, STRV_LIT("password fail"));
	return vp_split(&c, e);
}

/* One fix per reason wording: the reason is ours, stable across vpopmail
 * versions, not the daemon's text. */
#define VP_FIX(name, why)                                                          \
	static int name(const struct pm_caps *caps, struct evt *e, const struct frame *f) \
	{                                                                          \
		(void)f;                                                           \
		if ((why)[0] != '\0')                                              \
			EVT_SET_TEXT(e, reason, STRV_LIT(why));                    \
		return vp_split(caps, e);                                          \
	}

VP_FIX(vp_fix_ok, "")
VP_FIX(vp_fix_fail, "password fail")
VP_FIX(vp_fix_nouser, "user not found")
VP_FIX(vp_fix_nullpass, "null password given")
VP_FIX(vp_fix_nullname, "null user name given")
VP_FIX(vp_fix_badchars, "invalid user/domain characters")
VP_FIX(vp_fix_nopass, "user has no password")
VP_FIX(vp_fix_denied, "access denied")

/* Rule bodies: the text after "vchkpw-SERVICE: ". Most frequent first.
 * The "(pass: '" rules must precede the plain "password fail" rules, whose
 * capture would otherwise take the password into the account. */
PM_TABLE(vp_rules) = {
	/* "vchkpw-submission: (PLAIN) login success hello@example.com:192.0.2.27" */
	{ "(%m) login success %x", EVT_AUTH_SUCCESS, 0, vp_fix_ok },
	/* "vchkpw-smtp: password fail (pass: '<65825.1118321790@mail.example.com>') u@example.com:192.0.2.68" */
	{ "password fail (pass: '%y", EVT_AUTH_FAILURE, 0, vp_fix_pass },
	/* "vchkpw-pop3: password fail user1@example.com:192.0.2.1" */
	{ "password fail %x", EVT_AUTH_FAILURE, 0, vp_fix_fail },
	/* "vchkpw-pop3: vpopmail user not found myuserid@:192.0.2.68" */
	{ "vpopmail user not found %x", EVT_AUTH_FAILURE, 0, vp_fix_nouser },
	/* "vchkpw-pop3: null password given oneone1:192.0.2.134" */
	{ "null password given %x", EVT_AUTH_FAILURE, 0, vp_fix_nullpass },
	/* vpopmail < 5.4, no mechanism: "vchkpw: login success user@example.com:192.0.2.5" */
	{ "login success %x", EVT_AUTH_SUCCESS, 0, vp_fix_ok },
	/* "vchkpw-pop3: system password login success joe:192.0.2.5" */
	{ "system password login success %x", EVT_AUTH_SUCCESS, 0, vp_fix_ok },
	/* "vchkpw-pop3: system password fail (pass: 'x') joe:192.0.2.5" */
	{ "system password fail (pass: '%y", EVT_AUTH_FAILURE, 0, vp_fix_pass },
	/* "vchkpw-pop3: system password fail joe:192.0.2.5" */
	{ "system password fail %x", EVT_AUTH_FAILURE, 0, vp_fix_fail },
	/* "vchkpw-pop3: system user not found joe:192.0.2.5" */
	{ "system user not found %x", EVT_AUTH_FAILURE, 0, vp_fix_nouser },
	/* "vchkpw-pop3: system user shadow entry not found joe:192.0.2.5" */
	{ "system user shadow entry not found %x", EVT_AUTH_FAILURE, 0, vp_fix_nouser },
	/* "vchkpw-imap: null user name given :192.0.2.5" */
	{ "null user name given %x", EVT_AUTH_FAILURE, 0, vp_fix_nullname },
	/* "vchkpw-pop3: invalid user/domain characters a b@example.com:192.0.2.5" */
	{ "invalid user/domain characters %x", EVT_AUTH_FAILURE, 0, vp_fix_badchars },
	/* "vchkpw-pop3: user has no password user@example.com:192.0.2.5" */
	{ "user has no password %x", EVT_AUTH_FAILURE, 0, vp_fix_nopass },
	/* The password was right but the account may not use this service:
	 * "vchkpw-smtp: smtp access denied user@example.com:192.0.2.5" */
	{ "pop access denied %x", EVT_AUTH_FAILURE, 0, vp_fix_denied },
	{ "smtp access denied %x", EVT_AUTH_FAILURE, 0, vp_fix_denied },
	{ "imap access denied %x", EVT_AUTH_FAILURE, 0, vp_fix_denied },
	{ "webmail access denied %x", EVT_AUTH_FAILURE, 0, vp_fix_denied },
	/* Server-side faults after a correct password; the client is not
	 * to blame. "vchkpw-pop3: chdir failed errno 2 /home/vpopmail/x u@example.com:192.0.2.5" */
	{ "setgid %* failed errno %*", EVT_NONE, 0, NULL },
	{ "setuid %* failed errno %*", EVT_NONE, 0, NULL },
	{ "autocreate dir errno %*", EVT_NONE, 0, NULL },
	{ "chdir failed errno %*", EVT_NONE, 0, NULL },
	{ "putenv(%*) failed errno %*", EVT_NONE, 0, NULL },
	{ "dir auto create failed %*", EVT_NONE, 0, NULL },
	{ "failed to vauth_getpw() after dir auto create %*", EVT_NONE, 0, NULL },
	/* "vchkpw: can't write MySQL logs" */
	{ "can't write %* logs", EVT_NONE, 0, NULL },
};

/* Service named by the port vchkpw listened on, when it logs a number. */
static const char *
vp_port_service(struct strv n)
{
	static const struct {
		const char *port, *service;
	} ports[] = {
		{ "25", "smtp" },   { "110", "pop3" },	{ "143", "imap" },  { "465", "smtps" },
		{ "587", "submission" }, { "993", "imaps" }, { "995", "pop3s" },
	};
	size_t i;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (strv_eq_cstr(n, ports[i].port))
			return ports[i].service;
	return NULL;
}

/* "vchkpw-NAME" or "vchkpw" at the start of s: its length, and the service
 * in svc (empty when unknown). -1 if s does not start so. */
static int
vp_tag(struct strv s, char *svc, size_t svcsize, size_t *taglen)
{
	size_t i = 6, n;
	const char *port;

	svc[0] = '\0';
	if (!strv_has_prefix(s, "vchkpw"))
		return -1;
	if (i < s.len && s.p[i] == '-') {
		for (n = ++i; n < s.len && n - i < svcsize - 1; n++) {
			char c = s.p[n];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '_' || c == '.'))
				break;
		}
		if (n == i)
			return -1;
		if (s.p[i] >= '0' && s.p[i] <= '9') {
			if ((port = vp_port_service(strv_make(s.p + i, n - i))) != NULL)
				evt_set(svc, svcsize, strv_cstr(port));
		} else
			evt_set(svc, svcsize, strv_make(s.p + i, n - i));
		i = n;
	}
	*taglen = i;
	return 0;
}

enum parse_result
parse_vpopmail(const struct frame *f, struct parse_out *out)
{
	char svc[LIMIT_SERVICE_MAX];
	struct strv msg = f->msg;
	size_t tl;

	if (f->prog.len > 0 && strv_has_prefix(f->prog, "vchkpw")) {
		/* The tag is the syslog program itself: "vchkpw-pop3[12]: ..." */
		if (vp_tag(f->prog, svc, sizeof(svc), &tl) < 0)
			svc[0] = '\0';
	} else {
		if (vp_tag(msg, svc, sizeof(svc), &tl) < 0 || tl + 2 > msg.len ||
		    msg.p[tl] != ':' || msg.p[tl + 1] != ' ')
			/* Other vpopmail programs (vdelivermail, vpopmaild) log
			 * nothing we use; without a program name the line is
			 * someone else's. */
			return f->prog.len == 0 ? PARSE_UNKNOWN_PROG : PARSE_UNMATCHED;
		msg = strv_skip(msg, tl + 2);
	}
	/* A vchkpw tag followed by something vchkpw never says is UNMATCHED,
	 * with or without a program name: the tag alone identifies it. */
	return PM_RUN(vp_rules, f, msg, "vpopmail", svc[0] != '\0' ? svc : NULL, out);
}
