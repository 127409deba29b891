/* parse_qmail.c - qmail log lines: qmail-send, qmail-smtpd and the
 *                 programs that run around it (tcpserver, rblsmtpd,
 *                 simscan, spamdyke, qmail-scanner, chkuser)
 *
 * qmail reaches us three ways: through splogger ("qmail: 1374486777.611077
 * info msg ..." - the epoch is qmail's own, more precise than syslog's,
 * and replaces the frame time), through multilog (no program name: the
 * line is recognized by its first words or not at all, so the dispatcher
 * can offer it to the next parser), and with the daemon's own syslog tag.
 * A qmail-smtpd service log mixes several programs' lines, each starting
 * with its name ("tcpserver: ", "rblsmtpd: ", "simscan:[pid]:"); that
 * name picks the rule table.
 *
 * qmail-send names a delivery by a number of its own: "starting delivery
 * D: msg M to remote r" links D to the message and recipient, and the
 * outcome line "delivery D: success: ..." names only D. The link travels
 * to correlation as EVT_LINK_DELIVERY (service "local" or "remote").
 */
#include "parse/parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/scan.h"

/* --- fixes ------------------------------------------------------------- */

/* "starting delivery D: msg M to remote r": the channel is the service. */
static int
qm_fix_channel(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	const char *at;
	size_t dl;

	(void)caps;
	(void)f;
	if (strcmp(e->service, "remote") == 0)
		return 0;
	if (strcmp(e->service, "local") != 0)
		return -1;
	/* A virtual domain's mailbox is delivered to "prefix-user@domain", and
	 * vpopmail's prefix is the domain: "example.com-hello@example.com" is
	 * hello@example.com. */
	at = strrchr(e->recipient, '@');
	if (at != NULL && (dl = strlen(at + 1)) > 0 && strncmp(e->recipient, at + 1, dl) == 0 &&
	    e->recipient[dl] == '-' && e->recipient + dl + 1 < at)
		memmove(e->recipient, e->recipient + dl + 1, strlen(e->recipient + dl + 1) + 1);
	return 0;
}

/* The remote reply as qmail-remote quotes it, "550_5.1.1_no_such_user":
 * the enhanced status code after the three-digit reply, if there is one. */
static void
qm_said_dsn(struct strv t, struct evt *e)
{
	size_t i = 4, dots = 0, run = 0;

	if (t.len < 9 || t.p[3] != '_' || t.p[4] < '2' || t.p[4] > '5' || t.p[5] != '.')
		return;
	for (; i < t.len && t.p[i] != '_' && t.p[i] != '/'; i++) {
		if (t.p[i] == '.') {
			if (run == 0 || ++dots > 2)
				return;
			run = 0;
		} else if (t.p[i] >= '0' && t.p[i] <= '9' && run < 3)
			run++;
		else
			return;
	}
	if (dots == 2 && run > 0)
		(void)EVT_SET(e, dsn, strv_make(t.p + 4, i - 4));
}

/* "delivery D: success: 192.0.2.9_accepted_message./Remote_host_said:_250_ok/":
 * the status word is one of qmail's three; qmail-remote's text starts with
 * the relay's address and failures end in a DSN "(#5.1.1)". */
static int
qm_fix_delivery(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv st = pm_get(caps, 'S', NULL), r = pm_get(caps, 'R', NULL);
	const char *p, *q;
	struct netaddr a;

	(void)f;
	if (!strv_eq_cstr(st, "success") && !strv_eq_cstr(st, "failure") &&
	    !strv_eq_cstr(st, "deferral"))
		return -1;
	if (r.p == NULL)
		return 0;
	if ((p = memchr(r.p, '_', r.len)) != NULL && netaddr_parse(r.p, (size_t)(p - r.p), &a) == 0)
		EVT_SET_TEXT(e, relay, strv_make(r.p, (size_t)(p - r.p)));
	if ((p = strv_find(r, STRV_LIT("(#"))) != NULL &&
	    (q = memchr(p, ')', (size_t)(r.p + r.len - p))) != NULL && q - p > 2)
		(void)EVT_SET(e, dsn, strv_make(p + 2, (size_t)(q - p - 2)));
	else if ((p = strv_find(r, STRV_LIT("said:_"))) != NULL)
		qm_said_dsn(strv_make(p + 6, (size_t)(r.p + r.len - p - 6)), e);
	return 0;
}

static int
qm_fix_mangled(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)caps;
	(void)f;
	EVT_SET_TEXT(e, reason, STRV_LIT("report mangled"));
	return 0;
}

static int
qm_fix_triple(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)caps;
	(void)f;
	EVT_SET_TEXT(e, reason, STRV_LIT("triple bounce discarded"));
	return 0;
}

/* "421 badiprbl: ip 192.0.2.54 rbl: bl.example.com" */
static int
qm_fix_badiprbl(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)f;
	evt_set_reason2(e, "badiprbl: ", pm_get(caps, 'h', NULL));
	EVT_SET(e, service, STRV_LIT("smtp"));
	return 0;
}

/* CHKUSER (vpopmail's recipient checker): "rejected rcpt"/"rejected sender"
 * refuse a client; the accepted and relaying lines carry no outcome of
 * their own. The middle field of "from <s:remoteinfo:id>" is the SMTP AUTH
 * user when the client authenticated. */
static int
qm_fix_chkuser(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv what = pm_get(caps, 'x', NULL), user = pm_get(caps, 'y', NULL);

	(void)f;
	if (!strv_has_prefix(what, "rejected")) {
		e->type = EVT_NONE;
		return 0;
	}
	if (user.len > 0 && EVT_SET(e, account, user) < 0)
		return -1;
	EVT_SET(e, service, STRV_LIT("smtp"));
	evt_set_reason2(e, "chkuser: ", pm_get(caps, 'R', NULL));
	return 0;
}

/* s/qmail and SPAMCONTROL qmail-smtpd: "pid P Action::Type::Condition: info
 * S:ip:host H:helo F:sender T:rcpt". Reject -> reject (AUTH: auth_failure),
 * Accept::AUTH -> auth_success; other accepts carry no outcome. */
static int
qm_fix_sqmail(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv act = pm_get(caps, 'x', NULL), type = pm_get(caps, 'y', NULL);
	struct strv rest = pm_get(caps, 'w', NULL), cond, tok, ip;
	const char *p, *end = rest.p + rest.len;

	(void)f;
	for (p = rest.p; p < end && *p != ':' && *p != ' '; p++)
		;
	cond = strv_make(rest.p, (size_t)(p - rest.p));
	if (strv_eq_cstr(act, "Reject"))
		e->type = strv_eq_cstr(type, "AUTH") ? EVT_AUTH_FAILURE : EVT_REJECT;
	else if (strv_eq_cstr(act, "Accept") && strv_eq_cstr(type, "AUTH"))
		e->type = EVT_AUTH_SUCCESS;
	else {
		e->type = EVT_NONE;
		return 0;
	}
	if (type.len == 4 && memcmp(type.p, "AUTH", 4) == 0) {
		if (cond.len > 0 && EVT_SET(e, mech, cond) < 0)
			return -1;
	} else
		evt_set_reason2(e, "", cond);
	EVT_SET(e, service, STRV_LIT("smtp"));
	/* Walk the space-separated "X:value" tokens. */
	for (p = rest.p; p < end;) {
		const char *te = memchr(p, ' ', (size_t)(end - p));

		if (te == NULL)
			te = end;
		tok = strv_make(p, (size_t)(te - p));
		p = te + 1;
		if (tok.len < 2 || tok.p[1] != ':')
			continue;
		if (tok.p[0] == 'S') {
			/* "S:192.0.2.7:mx.example.net": the host follows the
			 * last ':' of an IPv4, so try the longest prefix first. */
			const char *c;

			ip = strv_skip(tok, 2);
			for (c = ip.p + ip.len; c > ip.p; c--)
				if (c == ip.p + ip.len || *c == ':')
					if (evt_set_ip(e, strv_make(ip.p, (size_t)(c - ip.p))) == 0)
						break;
			if (c == ip.p)
				return -1;
		} else if (tok.p[0] == 'F') {
			if (EVT_SET(e, sender, strv_skip(tok, 2)) < 0)
				return -1;
			e->flags |= EVT_HAS_SENDER;
		} else if (tok.p[0] == 'T') {
			if (EVT_SET(e, recipient, strv_skip(tok, 2)) < 0)
				return -1;
		}
	}
	return 0;
}

/* --- qmail-send and qmail-smtpd ----------------------------------------- */

PM_TABLE(qm_main) = {
	/* "starting delivery 77421: msg 90219 to remote user@example.net" */
	{ "starting delivery %D: msg %q to %v %r", EVT_LINK_DELIVERY, 0, qm_fix_channel },
	/* "status: local 1/10 remote 0/60" */
	{ "status: %*", EVT_NONE, 0, NULL },
	/* "delivery 759: success: did_0+0+1/" */
	{ "delivery %D: report mangled, will defer.", EVT_DELIVERY, EVT_STATUS_DEFERRED,
	  qm_fix_mangled },
	{ "delivery %D: %S: %R", EVT_DELIVERY, 0, qm_fix_delivery },
	/* "info msg 90219: bytes 1364 from <hello@example.com> qp 17121 uid 103" */
	{ "info msg %q: bytes %z from %s qp %* uid %*", EVT_MESSAGE_ACCEPTED, 0, NULL },
	/* "new msg 90219" */
	{ "new msg %*", EVT_NONE, 0, NULL },
	/* "end msg 68566592" */
	{ "end msg %q", EVT_MSG_DONE, 0, NULL },
	/* "bounce msg 90219 qp 17200" */
	{ "bounce msg %q qp %*", EVT_BOUNCE, 0, NULL },
	/* "triple bounce: discarding bounce/90219" */
	{ "triple bounce: discarding bounce/%q", EVT_BOUNCE, 0, qm_fix_triple },
	/* "warning: trouble injecting bounce message, will try later" */
	{ "warning: %*", EVT_NONE, 0, NULL },
	/* "alert: oh no! lost spawn connection! dying..." */
	{ "alert: %*", EVT_NONE, 0, NULL },
	/* The login is vchkpw's line and the message qmail-send's; this
	 * repeats them per recipient without the client address:
	 * "policy_check: local info@example.com -> remote b@example.net (AUTHENTICATED SENDER)" */
	{ "policy_check: %*", EVT_NONE, 0, NULL },
	/* Counted by qmail-send's "info msg ... qp 358661":
	 * "mail recv: pid 358645 from <info@example.com> qp 358661" */
	{ "mail recv: pid %* from %* qp %*", EVT_NONE, 0, NULL },
	/* badiprbl patch: "421 badiprbl: ip 198.51.100.54 rbl: example.com" */
	{ "421 badiprbl: ip %i rbl: %h", EVT_REJECT, 0, qm_fix_badiprbl },
	/* "CHKUSER rejected rcpt: from <s@example.net::> remote <helo:mx.example.net:192.0.2.8>
	 *  rcpt <nobody@example.com> : not existing recipient" */
	{ "CHKUSER %x: from <%s:%y:%*> remote <%h:%*:%i> rcpt <%r> : %R", EVT_REJECT, 0,
	  qm_fix_chkuser },
	{ "CHKUSER %*", EVT_NONE, 0, NULL },
	/* s/qmail, after s/qmail's LOGGING document:
	 * "pid 4711 Reject::RCPT::Failed_Rcptto: S:192.0.2.7:mx.example.net H:mx.example.net
	 *  F:a@example.net T:b@example.com" */
	{ "pid %* %x::%y::%w", EVT_REJECT, 0, qm_fix_sqmail },
	/* spamcontrol before s/qmail, without "pid P " */
	{ "Reject::%y::%w", EVT_REJECT, 0, qm_fix_sqmail },
	{ "Accept::%y::%w", EVT_NONE, 0, NULL },
};

/* --- tcpserver / sslserver ---------------------------------------------- */

/* "deny 1234 mail.example.com:192.0.2.10:25 host.example.net:198.51.100.4::56124":
 * the remote triple is host:ip:info:port and an IPv6 ip holds ':', so peel
 * the host from the left and port and info from the right. */
static int
qm_fix_tcpdeny(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv r = pm_get(caps, 'x', NULL);
	const char *b, *end;
	size_t n = 0;

	(void)f;
	if ((b = memchr(r.p, ':', r.len)) == NULL)
		return -1;
	b++;
	for (end = r.p + r.len; end > b && n < 2; end--)
		if (end[-1] == ':')
			n++;
	if (n < 2)
		return -1;
	EVT_SET_TEXT(e, reason, STRV_LIT("tcpserver deny"));
	return evt_set_ip(e, strv_make(b, (size_t)(end - b)));
}

PM_TABLE(qm_tcpserver) = {
	/* "status: 1/200" */
	{ "status: %*", EVT_NONE, 0, NULL },
	/* "pid 210485 from 198.51.100.4" */
	{ "pid %* from %*", EVT_NONE, 0, NULL },
	/* "ok 210485 mail.example.com:192.0.2.10:25 :198.51.100.4::56124" */
	{ "ok %*", EVT_NONE, 0, NULL },
	/* "end 210485 status 0" */
	{ "end %* status %*", EVT_NONE, 0, NULL },
	/* "deny 210485 mail.example.com:192.0.2.10:25 :198.51.100.4::56124" */
	{ "deny %* %* %x", EVT_REJECT, 0, qm_fix_tcpdeny },
	/* "tcpserver: warning: dropping connection, unable to read ..." */
	{ "warning: %*", EVT_NONE, 0, NULL },
	{ "fatal: %*", EVT_NONE, 0, NULL },
};

/* --- rblsmtpd ----------------------------------------------------------- */

/* "198.51.100.77 pid 19597 sbl-xbl.spamhaus.org: 451 http://www.spamhaus.org/query/bl?ip=..." */
static int
qm_fix_rbl(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	char what[80];
	struct strv h = pm_get(caps, 'h', NULL);

	(void)f;
	snprintf(what, sizeof(what), "rblsmtpd %.*s: ", (int)(h.len > 60 ? 60 : h.len), h.p);
	evt_set_reason2(e, what, pm_get(caps, 'y', NULL));
	EVT_SET(e, service, STRV_LIT("smtp"));
	return 0;
}

PM_TABLE(qm_rblsmtpd) = {
	/* "198.51.100.77 pid 19597 sbl-xbl.spamhaus.org: 451 http://www.spamhaus.org/query/bl?ip=198.51.100.77" */
	{ "%i pid %* %h: %y", EVT_REJECT, 0, qm_fix_rbl },
	/* rblsmtpd 0.70: "relays.ordb.org blocked 192.0.2.47 ordb-test.example.net -" */
	{ "%h blocked %i %y", EVT_REJECT, 0, qm_fix_rbl },
};

/* --- simscan ------------------------------------------------------------ */

/* "CLEAN (-1.21/9999.00):3.3608s:Subject: text:198.51.100.224:s@example.net:r@example.org".
 * The subject may hold ':' and the address may be IPv6: take recipients and
 * sender from the right, then the longest tail of what is left that is one
 * address. A local injection logs the address as "(null)" or "". */
static int
qm_fix_simscan(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv verdict = pm_get(caps, 'x', NULL), score = pm_get(caps, 'y', NULL);
	struct strv rest = pm_get(caps, 'w', NULL), rc, snd, head;
	const char *c, *p, *end = rest.p + rest.len;
	char num[32];
	size_t n;
	uint32_t k;

	(void)f;
	if (strv_has_prefix(verdict, "SPAM"))
		e->status = EVT_STATUS_SPAM;
	else if (strv_eq_cstr(verdict, "CLEAN"))
		e->status = EVT_STATUS_CLEAN;
	else
		return -1;
	if (verdict.len > 5)
		EVT_SET_TEXT(e, reason, verdict);
	/* score "-1.21/9999.00" (rspamd builds add a third figure) */
	n = (p = memchr(score.p, '/', score.len)) != NULL ? (size_t)(p - score.p) : score.len;
	if (n > 0 && n < sizeof(num)) {
		char *ep;

		memcpy(num, score.p, n);
		num[n] = '\0';
		e->score = strtod(num, &ep);
		if (*ep == '\0')
			e->flags |= EVT_HAS_SCORE;
	}
	/* rest = "time s:subject:ip:sender:rcpts" */
	if ((c = strv_find(rest, STRV_LIT("s:"))) == NULL)
		return -1;
	rest = strv_make(c + 2, (size_t)(end - (c + 2)));
	for (c = end; c > rest.p && c[-1] != ':'; c--)
		;
	if (c == rest.p)
		return -1;
	rc = strv_make(c, (size_t)(end - c));
	end = c - 1;
	for (c = end; c > rest.p && c[-1] != ':'; c--)
		;
	if (c == rest.p)
		return -1;
	snd = strv_make(c, (size_t)(end - c));
	head = strv_make(rest.p, (size_t)(c - 1 - rest.p));
	if (EVT_SET(e, sender, snd) < 0)
		return -1;
	e->flags |= EVT_HAS_SENDER;
	/* recipients "a@example.org,b@example.org": the first, and the count */
	for (k = 1, p = rc.p; p < rc.p + rc.len; p++)
		k += *p == ',';
	if ((p = memchr(rc.p, ',', rc.len)) != NULL)
		rc.len = (size_t)(p - rc.p);
	if (EVT_SET(e, recipient, rc) < 0)
		return -1;
	e->nrcpt = k;
	e->flags |= EVT_HAS_NRCPT;
	for (c = head.p; c < head.p + head.len; c++) {
		if (*c != ':')
			continue;
		if (evt_set_ip(e, strv_make(c + 1, (size_t)(head.p + head.len - c - 1))) == 0)
			return 0;
	}
	/* No address: "(null)" or empty after the subject. */
	if (head.len == 0 || head.p[head.len - 1] == ':' ||
	    (head.len >= 6 && memcmp(head.p + head.len - 6, "(null)", 6) == 0))
		return 0;
	return -1;
}

PM_TABLE(qm_simscan) = {
	/* "[210394]:CLEAN (-1.21/9999.00):3.3608s:Hello:198.51.100.224:s@example.net:export@example.org" */
	{ "[%*]:%x (%y):%w", EVT_SPAM_CHECK, 0, qm_fix_simscan },
	/* "[210394]: skipping check_spam, disabled for this domain" */
	{ "[%*]: %*", EVT_NONE, 0, NULL },
	/* debug output: " calling clamdscan" */
	{ " %*", EVT_NONE, 0, NULL },
};

/* --- spamdyke ----------------------------------------------------------- */

/* "DENIED_RBL_MATCH from: s@example.net to: r@example.com origin_ip: 192.0.2.1
 *  origin_rdns: mx.example.net auth: (unknown) encryption: (none) reason: ..."
 * One line per recipient. ALLOWED: the message is accepted (with the SMTP
 * AUTH account when spamdyke saw one); DENIED_*: the client is refused. */
static int
qm_fix_spamdyke(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv code = pm_get(caps, 'x', NULL), auth = pm_get(caps, 'y', NULL);
	const char *p;

	(void)f;
	if ((p = strv_find(auth, STRV_LIT(" "))) != NULL)
		auth.len = (size_t)(p - auth.p);
	if (strv_has_prefix(code, "ALLOWED")) {
		e->type = EVT_MESSAGE_ACCEPTED;
		e->nrcpt = 1;
		e->flags |= EVT_HAS_NRCPT;
	} else if (strv_has_prefix(code, "DENIED_")) {
		e->type = EVT_REJECT;
		EVT_SET_TEXT(e, reason, code);
	} else {
		e->type = EVT_NONE;	/* TIMEOUT, ERROR, FILTER_*: no verdict */
		return 0;
	}
	if (auth.len > 0 && !strv_eq_cstr(auth, "(unknown)") && EVT_SET(e, account, auth) < 0)
		return -1;
	return 0;
}

PM_TABLE(qm_spamdyke) = {
	/* "ALLOWED from: s@example.net to: r@example.com origin_ip: 192.0.2.1 origin_rdns:
	 *  mx.example.net auth: user@example.com encryption: TLS reason: 250_ok" */
	{ "%x from: %s to: %r origin_ip: %i origin_rdns: %h auth: %y", EVT_REJECT, 0,
	  qm_fix_spamdyke },
	/* "ERROR: unable to resolve ..." and debug output */
	{ "ERROR%*", EVT_NONE, 0, NULL },
	{ "FILTER_%*", EVT_NONE, 0, NULL },
	{ "DEBUG%*", EVT_NONE, 0, NULL },
	{ "TIMEOUT%*", EVT_NONE, 0, NULL },
};

/* --- qmail-scanner ------------------------------------------------------ */

static int
qm_fix_scanner(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv sa = pm_get(caps, 'y', NULL), sc = pm_get(caps, 'w', NULL);
	const char *p;
	char num[32];
	size_t n;

	(void)f;
	e->status = strv_eq_cstr(sa, "1") ? EVT_STATUS_SPAM : EVT_STATUS_CLEAN;
	n = (p = memchr(sc.p, '/', sc.len)) != NULL ? (size_t)(p - sc.p) : sc.len;
	if (n > 0 && n < sizeof(num)) {
		char *ep;

		memcpy(num, sc.p, n);
		num[n] = '\0';
		e->score = strtod(num, &ep);
		if (*ep == '\0')
			e->flags |= EVT_HAS_SCORE;
	}
	return 0;
}

PM_TABLE(qm_scanner) = {
	/* "Clear:RC:0(192.0.2.234):SA:0(0.0/6.0): 1.681359 3302 s@example.net r@example.org
	 *  Subject_words <msgid@example.net> 1142752873.25044-0.example.org:898" */
	{ "Clear:RC:%*(%i):SA:%y(%w): %* %z %s %r %*", EVT_SPAM_CHECK, 0, qm_fix_scanner },
};

/* --- dispatch ----------------------------------------------------------- */

enum qm_kind { QM_MAIN, QM_TCPSERVER, QM_RBLSMTPD, QM_SIMSCAN, QM_SPAMDYKE, QM_SCANNER };

/* Program names, as syslog tags or as the first word of a service log
 * line. "simscan:[pid]:" has no space after the colon. With their
 * lengths: both loops below run on every qmail line. */
#define QM_T(name, kind) { name, sizeof(name) - 1, kind }
static const struct qm_tag {
	const char *name;
	size_t len;
	enum qm_kind kind;
} qm_tags[] = {
	QM_T("qmail-smtpd", QM_MAIN),	   QM_T("qmail-send", QM_MAIN),
	QM_T("tcpserver", QM_TCPSERVER),   QM_T("sslserver", QM_TCPSERVER),
	QM_T("rblsmtpd", QM_RBLSMTPD),	   QM_T("simscan", QM_SIMSCAN),
	QM_T("spamdyke", QM_SPAMDYKE),	   QM_T("qmail-scanner", QM_SCANNER),
};
#undef QM_T

/* splogger's "1374486777.611077 ": the epoch seconds and microseconds. */
static bool
qm_splogger_time(struct strv *msg, int64_t *sec, uint32_t *usec)
{
	const char *p = msg->p, *end = msg->p + msg->len, *dot, *sp;
	uint64_t s;
	uint32_t u;
	size_t fl;

	for (dot = p; dot < end && *dot >= '0' && *dot <= '9'; dot++)
		;
	if (dot == p || dot - p > 12 || dot >= end || *dot != '.')
		return false;
	for (sp = dot + 1; sp < end && *sp >= '0' && *sp <= '9'; sp++)
		;
	fl = (size_t)(sp - dot - 1);
	if (fl == 0 || fl > 6 || sp >= end || *sp != ' ')
		return false;
	if (scan_u64(p, (size_t)(dot - p), &s) < 0 || scan_u32(dot + 1, fl, &u) < 0)
		return false;
	while (fl++ < 6)
		u *= 10;
	*sec = (int64_t)s;
	*usec = u;
	*msg = strv_make(sp + 1, (size_t)(end - sp - 1));
	return true;
}

static enum parse_result
qm_run(enum qm_kind k, const struct frame *f, struct strv msg, struct parse_out *out)
{
	switch (k) {
	case QM_TCPSERVER:
		return PM_RUN(qm_tcpserver, f, msg, "qmail", NULL, out);
	case QM_RBLSMTPD:
		return PM_RUN(qm_rblsmtpd, f, msg, "qmail", NULL, out);
	case QM_SIMSCAN:
		return PM_RUN(qm_simscan, f, msg, "qmail", "smtp", out);
	case QM_SPAMDYKE:
		return PM_RUN(qm_spamdyke, f, msg, "qmail", "smtp", out);
	case QM_SCANNER:
		return PM_RUN(qm_scanner, f, msg, "qmail", "smtp", out);
	default:
		return PM_RUN(qm_main, f, msg, "qmail", NULL, out);
	}
}

enum parse_result
parse_qmail(const struct frame *f, struct parse_out *out)
{
	struct strv msg = f->msg;
	enum qm_kind kind = QM_MAIN;
	bool tagged = false, timed;
	enum parse_result r;
	int64_t sec = 0;
	uint32_t usec = 0;
	int first = out->n, i;
	size_t t;

	/* The syslog tag names the program... */
	for (t = 0; t < sizeof(qm_tags) / sizeof(qm_tags[0]); t++)
		if (f->prog.len == qm_tags[t].len &&
		    memcmp(f->prog.p, qm_tags[t].name, qm_tags[t].len) == 0) {
			kind = qm_tags[t].kind;
			tagged = kind != QM_MAIN;
		}
	timed = qm_splogger_time(&msg, &sec, &usec);
	/* ...or the line does, in a service log or behind splogger. */
	for (t = 0; !tagged && t < sizeof(qm_tags) / sizeof(qm_tags[0]); t++) {
		size_t n = qm_tags[t].len;

		if (msg.len <= n || msg.p[0] != qm_tags[t].name[0] || msg.p[n] != ':' ||
		    memcmp(msg.p, qm_tags[t].name, n) != 0)
			continue;
		msg = strv_skip(msg, n + 1);
		if (msg.len > 0 && msg.p[0] == ' ' && qm_tags[t].kind != QM_SIMSCAN)
			msg = strv_skip(msg, 1);
		kind = qm_tags[t].kind;
		tagged = true;
	}
	/* spamdyke writes to a service log too, untagged, one verdict word first */
	if (!tagged && (strv_has_prefix(msg, "ALLOWED ") || strv_has_prefix(msg, "DENIED_") ||
			strv_has_prefix(msg, "TIMEOUT ")))
		kind = QM_SPAMDYKE;
	r = qm_run(kind, f, msg, out);
	if (timed)
		for (i = first; i < out->n; i++) {
			out->ev[i].time = sec;
			out->ev[i].usec = usec;
		}
	/* A multilog line that is none of qmail's: let the next parser try. */
	if (r == PARSE_UNMATCHED && f->prog.len == 0 && !tagged && !timed)
		return PARSE_UNKNOWN_PROG;
	return r;
}
