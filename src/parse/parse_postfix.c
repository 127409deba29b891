/* parse_postfix.c - Postfix log lines (smtpd, postscreen, qmgr, the delivery
 *                   agents, cleanup, bounce, pickup and the quiet daemons)
 *
 * The syslog tag names the daemon and, for smtpd, the master.cf service:
 * "postfix/smtpd", "postfix/submission/smtpd", "postfix/smtps/smtpd",
 * "postfix-incoming/smtpd", "postfix/amavis/smtp". The last component picks
 * the rule tables; for smtpd and postscreen a "submission" or "smtps"
 * ("submissions") component names the client's service, any other instance
 * name ("postfix/10025/smtpd") is plain "smtp". For deliveries the service
 * is the delivery agent itself. A tag of just "postfix" (JSON shippers that
 * keep only the application name) or an unknown daemon tries every table.
 *
 * Most lines start with a queue id, "4PbCZy4PWKz3tBr: " (long ids) or
 * "3A452D963D: " (short, hex), or with "NOQUEUE: ". pf_split takes that
 * prefix off before any template runs, so a rule never has to guess where a
 * queue id ends and client text that follows cannot pose as one. Queue-id
 * lines and other lines use separate tables.
 *
 * Attacker text: a reject line echoes the client's envelope addresses and
 * HELO name after the reply ("...; from=<s> to=<r> proto=ESMTP helo=<h>").
 * The client address is always taken from the first "host[addr]" after
 * "from", which Postfix writes before any client text (the host name is the
 * verified PTR name, which cannot hold '['). Sender and recipient are split
 * at the first "; from=<" and "> to=<", so a client that puts those words
 * in its own addresses can only garble the sender/recipient of its own
 * event. Header and body rejects of cleanup quote the header before the
 * client ("reject: header Subject: ... from host[addr]; from=<s> ..."): the
 * address is the first "from host[addr]; from=<" after the header, so a
 * header that contains that exact text can name another address there;
 * such events also carry the queue id, whose smtpd "client=" line is the
 * trustworthy source.
 *
 * Decisions (what becomes an event):
 *  - "client=host[addr], sasl_method=M, sasl_username=U": auth_success;
 *    without SASL the internal EVT_MSG_CLIENT gives correlation the client
 *    of the queue id ("orig_client=" of an after-filter smtpd wins).
 *  - "warning: host[addr]: SASL M authentication failed: why[, sasl_username=U]":
 *    auth_failure (reason "why", mech upper-cased), one per attempt, no
 *    attempts count. Failures that are the server's own ("Connection lost
 *    to authentication server") are no event: every user would seem to fail.
 *  - "disconnect from host[addr] ... auth=N/M ...": no event. Each failed
 *    password check is already its own "SASL ... failed" warning, and the
 *    counter also counts AUTH commands the client aborted itself ("*"),
 *    which are not failed passwords. Nor are connects and other disconnects.
 *  - reject, reject_warning, milter-reject (smtpd, postscreen, cleanup):
 *    reject with reason = the SMTP reply as logged, dsn, sender, recipient
 *    (reject_warning's reason is prefixed "reject_warning: ": the client was
 *    not refused). discard/filter/hold/redirect/warn/info/prepend actions
 *    are local policy, no event.
 *  - Protocol abuse is a reject with a descriptive reason: non-SMTP command,
 *    improper command pipelining, too many errors, bare <LF>, "lost
 *    connection after AUTH", anvil's "... limit exceeded" warnings,
 *    postscreen PREGREET, HANGUP, DNSBL rank (logged only when the score
 *    reaches the threshold), COMMAND PIPELINING/COUNT/TIME/LENGTH LIMIT,
 *    NON-SMTP COMMAND, BARE NEWLINE, BLACKLISTED/DENYLISTED.
 *  - No event: "lost connection after" any other command and "timeout
 *    after" (slow or broken networks do this too), TLS handshake lines,
 *    "hostname ... does not resolve to address" (a DNS fact, no outcome),
 *    postscreen CONNECT/PASS/DISCONNECT/WHITELISTED, dnsblog and anvil
 *    statistics (postscreen's DNSBL rank is the outcome), the delivery
 *    agents' "host said:", "lost connection with", "connect to" (the
 *    outcome comes on the status= line), address verification probes
 *    (status=deliverable/undeliverable), cleanup message-id and header
 *    actions other than reject, pickup "uid=N from=<s>" (a local sendmail(1)
 *    submission: the uid is a Unix user, and qmgr logs the message),
 *    bounce's DSN success, delay and postmaster notifications, and the
 *    master, postfix-script, postsuper counters and other service daemons.
 *  - qmgr "from=<s>, size=N, nrcpt=M (queue active)": message_accepted (a
 *    deferred message logs it again at each retry); "removed" (qmgr or
 *    postsuper -d): EVT_MSG_DONE; "from=<s>, status=expired, returned to
 *    sender": a bounced delivery without recipient.
 *  - bounce "sender non-delivery notification: NEWQID": bounce with ndr_qid.
 */
#include "parse/parse.h"

#include <stdio.h>
#include <string.h>

#define PF_SOURCE "postfix"

/* ---- helpers ---------------------------------------------------------- */

static bool
pf_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The enhanced status code of an SMTP reply as Postfix logs it:
 * "554 5.7.1 text", "421-4.7.0 text" or, from cleanup, "5.7.1 text". */
static void
pf_reply_dsn(struct strv r, struct evt *e)
{
	size_t i = 0, start, part = 0, run = 0;

	if (r.len >= 4 && pf_digit(r.p[0]) && pf_digit(r.p[1]) && pf_digit(r.p[2]) &&
	    (r.p[3] == ' ' || r.p[3] == '-'))
		i = 4;
	start = i;
	if (i >= r.len || (r.p[i] != '2' && r.p[i] != '4' && r.p[i] != '5'))
		return;
	for (; i < r.len && r.p[i] != ' '; i++) {
		if (r.p[i] == '.') {
			if (run == 0 || ++part > 2)
				return;
			run = 0;
		} else if (pf_digit(r.p[i]) && run < 3)
			run++;
		else
			return;
	}
	if (part == 2 && run > 0)
		(void)EVT_SET(e, dsn, strv_make(r.p + start, i - start));
}

/* ---- fixes ------------------------------------------------------------ */
/* A host name as Postfix writes it before "[addr]": the verified PTR name
 * or "unknown", never spaces or brackets. A template whose host capture
 * holds them matched client text further along the line (an echoed
 * command), not Postfix's own "host[addr]". */
static bool pf_digit(char c);

static bool
pf_host_ok(const struct pm_caps *caps)
{
	struct strv h = pm_get(caps, 'h', NULL);
	size_t i;

	struct strv port = pm_get(caps, 'w', NULL);

	for (i = 0; i < h.len; i++)
		if (h.p[i] == ' ' || h.p[i] == '[' || h.p[i] == ']' || h.p[i] == '<')
			return false;
	for (i = 0; i < port.len; i++)	/* "[addr]:port" */
		if (!pf_digit(port.p[i]))
			return false;
	return true;
}

/* The rule matched text it was not written for: the line is known (it
 * starts like one of ours) but carries no trustworthy event. */
static int
pf_not_ours(struct evt *e)
{
	e->type = EVT_NONE;
	return 0;
}


/* "reject", "reject_warning", "milter-reject" refuse the client; the other
 * actions of access maps, header checks and milters are local policy. */
static int
pf_fix_reject(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv act = pm_get(caps, 'x', NULL), r = pm_get(caps, 'R', NULL);

	(void)f;
	if (!pf_host_ok(caps) || memchr(act.p, ' ', act.len) != NULL)
		return pf_not_ours(e);
	if (strv_eq_cstr(act, "reject_warning"))
		evt_set_reason2(e, "reject_warning: ", r);
	else if (!strv_eq_cstr(act, "reject") && !strv_eq_cstr(act, "milter-reject")) {
		e->type = EVT_NONE;
		return 0;
	}
	pf_reply_dsn(r, e);
	return 0;
}

/* "lost connection after AUTH from ...": the client gave up inside the
 * SASL exchange, typical of password-guessing tools. */
static int
pf_fix_lost_auth(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)f;
	if (!pf_host_ok(caps))
		return pf_not_ours(e);
	EVT_SET_TEXT(e, reason, STRV_LIT("lost connection after AUTH"));
	return 0;
}

static int
pf_fix_pipelining(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)f;
	if (!pf_host_ok(caps))
		return pf_not_ours(e);
	evt_set_reason2(e, "improper command pipelining after ", pm_get(caps, 'x', NULL));
	return 0;
}

static int
pf_fix_errors(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)f;
	if (!pf_host_ok(caps))
		return pf_not_ours(e);
	evt_set_reason2(e, "too many errors after ", pm_get(caps, 'x', NULL));
	return 0;
}

static int
pf_fix_bare_lf(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)f;
	if (!pf_host_ok(caps))
		return pf_not_ours(e);
	evt_set_reason2(e, "bare <LF> received after ", pm_get(caps, 'x', NULL));
	return 0;
}

static int
pf_fix_nonsmtp(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)f;
	if (!pf_host_ok(caps))
		return pf_not_ours(e);
	evt_set_reason2(e, "non-SMTP command: ", pm_get(caps, 'y', NULL));
	return 0;
}

/* anvil limits enforced by smtpd: "Connection rate limit exceeded: 31 from ..." */
static int
pf_fix_limit(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv what = pm_get(caps, 'y', NULL);
	char buf[96];

	(void)f;
	if (!pf_host_ok(caps) || memchr(what.p, '[', what.len) != NULL ||
	    memchr(what.p, ':', what.len) != NULL || what.len > 60)
		return pf_not_ours(e);
	snprintf(buf, sizeof(buf), "%.*s limit exceeded", (int)(what.len > 60 ? 60 : what.len),
		 what.p != NULL ? what.p : "");
	EVT_SET_TEXT(e, reason, strv_make(buf, strlen(buf)));
	return 0;
}

/* "warning: host[addr]: SASL LOGIN authentication failed: why". */
static int
pf_fix_saslfail(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	size_t i;

	(void)f;
	if (!pf_host_ok(caps))
		return pf_not_ours(e);
	if (strcmp(e->reason, "Connection lost to authentication server") == 0) {
		e->type = EVT_NONE;
		return 0;
	}
	for (i = 0; e->mech[i] != '\0'; i++)
		if (e->mech[i] >= 'a' && e->mech[i] <= 'z')
			e->mech[i] = (char)(e->mech[i] - 'a' + 'A');
	return 0;
}

/* Delivery status words: sent, deferred, bounced, expired. Address
 * verification probes (deliverable, undeliverable, undeliverable-but-not-
 * cached) deliver nothing. */
static int
pf_fix_status(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv st = pm_get(caps, 'x', NULL);

	(void)f;
	if (strv_eq_cstr(st, "deliverable") || strv_has_prefix(st, "undeliverable")) {
		e->type = EVT_NONE;
		return 0;
	}
	if (!strv_eq_cstr(st, "sent") && !strv_eq_cstr(st, "deferred") &&
	    !strv_eq_cstr(st, "bounced") && !strv_eq_cstr(st, "expired"))
		return -1;
	e->status = evt_status_parse(st);
	return 0;
}

static int
pf_fix_expired(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)caps;
	(void)f;
	EVT_SET_TEXT(e, reason, STRV_LIT("expired, returned to sender"));
	return 0;
}

/* postscreen: the reason is the test that failed. */
static int
pf_fix_ps(const struct pm_caps *caps, struct evt *e, const struct frame *f, const char *what)
{
	(void)f;
	evt_set_reason2(e, what, pm_get(caps, 'y', NULL));
	return 0;
}

static int
pf_fix_pregreet(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	return pf_fix_ps(caps, e, f, "PREGREET: ");
}

static int
pf_fix_hangup(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	return pf_fix_ps(caps, e, f, "HANGUP in ");
}

static int
pf_fix_dnsbl(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	return pf_fix_ps(caps, e, f, "DNSBL rank ");
}

static int
pf_fix_pipe_ps(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	return pf_fix_ps(caps, e, f, "COMMAND PIPELINING after ");
}

static int
pf_fix_nonsmtp_ps(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	return pf_fix_ps(caps, e, f, "NON-SMTP COMMAND after ");
}

static int
pf_fix_barenl_ps(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	return pf_fix_ps(caps, e, f, "BARE NEWLINE after ");
}

static int
pf_fix_cmdlimit_ps(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv x = pm_get(caps, 'x', NULL), y = pm_get(caps, 'y', NULL);
	char buf[LIMIT_REASON_MAX];

	(void)f;
	snprintf(buf, sizeof(buf), "COMMAND %.*s LIMIT after %.*s", (int)(x.len > 20 ? 20 : x.len),
		 x.p, (int)(y.len > 100 ? 100 : y.len), y.p);
	EVT_SET_TEXT(e, reason, strv_make(buf, strlen(buf)));
	return 0;
}

static int
pf_fix_listed_ps(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)caps;
	(void)f;
	EVT_SET_TEXT(e, reason, STRV_LIT("postscreen access list"));
	return 0;
}

/* ---- the reject family (smtpd, postscreen, cleanup) --------------------- *
 * After "QID: " or "NOQUEUE: ". postscreen writes "[addr]:port" without a
 * host name and separates the fields with ", ". The port is a separate
 * capture checked by the fix (pf_host_ok): an optional ":%*" group would
 * happily swallow the "<address>" echoed in front of the reply's ": ". */
#define PF_REJ "%x: %y from %h[%i]: "
#define PF_REJ_PORT "%x: %y from %h[%i]:%w: "

PM_TABLE(pf_reject) = {
	/* "reject: RCPT from unknown[192.0.2.116]: 504 5.5.2 <WIN-6A0KEE6QVP5>: Helo command rejected:
	 *  need fully-qualified hostname; from=<s@example.com> to=<r@example.com> proto=ESMTP helo=<WIN-6A0KEE6QVP5>" */
	{ PF_REJ "%R; from=<%s> to=<%r> proto=%*", EVT_REJECT, 0, pf_fix_reject },
	/* "reject: MAIL from h.example.net[198.51.100.89]: 452 4.3.1 Insufficient system storage; from=<s@example.net> proto=ESMTP helo=<h>" */
	{ PF_REJ "%R; from=<%s> proto=%*", EVT_REJECT, 0, pf_fix_reject },
	/* "reject: VRFY from unknown[2001:db8::2bd2]: 454 4.7.1 <a@example.com>: Relay access denied; to=<a@example.com> proto=SMTP helo=<me>" */
	{ PF_REJ "%R; to=<%r> proto=%*", EVT_REJECT, 0, pf_fix_reject },
	/* "reject: EHLO from h.example.net[198.51.100.238]: 504 5.5.2 <User>: Helo command rejected:
	 *  need fully-qualified hostname; proto=SMTP helo=<User>" */
	{ PF_REJ "%R; proto=%*", EVT_REJECT, 0, pf_fix_reject },
	/* cleanup: "reject: header Date: Mon, 18 Jan 2038 19:07:11 +0800 from unknown[192.0.2.245];
	 *  from=<s@example.net> to=<r@example.com> proto=ESMTP helo=<h.example.net>: 5.7.1 Message content rejected" */
	{ "%x: %y from %h[%i]; from=<%s> to=<%r> proto=%*: %R", EVT_REJECT, 0, pf_fix_reject },
	/* cut short: "reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 Service unavailable" */
	{ PF_REJ "%R", EVT_REJECT, 0, pf_fix_reject },
	/* postscreen: "reject: RCPT from [192.0.2.173]:60591: 550 5.7.1 Service unavailable; client
	 *  [192.0.2.173] blocked using rbl.example.com; from=<s@example.com>, to=<r@example.com>, proto=ESMTP, helo=<h.example.com>" */
	{ PF_REJ_PORT "%R; from=<%s>, to=<%r>, proto=%*", EVT_REJECT, 0, pf_fix_reject },
	/* smtpd with smtpd_client_port_logging */
	{ PF_REJ_PORT "%R; from=<%s> to=<%r> proto=%*", EVT_REJECT, 0, pf_fix_reject },
	{ PF_REJ_PORT "%R; from=<%s> proto=%*", EVT_REJECT, 0, pf_fix_reject },
	{ PF_REJ_PORT "%R; to=<%r> proto=%*", EVT_REJECT, 0, pf_fix_reject },
	{ PF_REJ_PORT "%R; proto=%*", EVT_REJECT, 0, pf_fix_reject },
	/* postscreen: "reject: CONNECT from [192.0.2.4]:1337: too many connections" */
	{ PF_REJ_PORT "%R", EVT_REJECT, 0, pf_fix_reject },
	/* cleanup, local submission: "reject: header Subject: x from local; from=<a@example.com> to=<b@example.com>: 5.7.1 rejected" */
	{ "%*: %* from local; %*", EVT_NONE, 0, NULL },
};

/* ---- smtpd ------------------------------------------------------------- */

/* After "QID: " or "NOQUEUE: ". */
PM_TABLE(pf_smtpd_q) = {
	/* "4PbCZy4PWKz3tBr: client=unknown[2001:db8::15c8], sasl_method=PLAIN, sasl_username=u@example.org" */
	{ "client=%h[%i]%(:%*%), sasl_method=%m, sasl_username=%u, %*", EVT_AUTH_SUCCESS, 0, NULL },
	{ "client=%h[%i]%(:%*%), sasl_method=%m, sasl_username=%u", EVT_AUTH_SUCCESS, 0, NULL },
	/* after a content filter: "AA3E6E00C3: client=localhost.localdomain[127.0.0.1], orig_client=mx.example.net[192.0.2.87]" */
	{ "client=%*, orig_client=%h[%i]%*", EVT_MSG_CLIENT, 0, NULL },
	/* "3A452D963D: client=mx.example.com[192.0.2.30]" (optionally ":port", "orig_queue_id=") */
	{ "client=%h[%i]%*", EVT_MSG_CLIENT, 0, NULL },
	/* "NOQUEUE: lost connection after CONNECT from unknown[192.0.2.25]" */
	{ "lost connection after %*", EVT_NONE, 0, NULL },
	/* "1234ABCDEF: Used TLS for 10.19.65.1[10.19.65.1]:587" */
	{ "Used TLS for %*", EVT_NONE, 0, NULL },
};

PM_TABLE(pf_smtpd) = {
	/* "connect from mx.example.com[192.0.2.30]" */
	{ "connect from %*", EVT_NONE, 0, NULL },
	/* "disconnect from unknown[192.0.2.1] helo=1 auth=0/1 quit=1 commands=2/3" */
	{ "disconnect from %*", EVT_NONE, 0, NULL },
	/* "Anonymous TLS connection established from mx.example.com[192.0.2.30]: TLSv1.3 with cipher ..." */
	{ "%* TLS connection established %*", EVT_NONE, 0, NULL },
	/* "lost connection after AUTH from unknown[192.0.2.23]" */
	{ "lost connection after AUTH from %h[%i]%*", EVT_REJECT, 0, pf_fix_lost_auth },
	/* "lost connection after EHLO from unknown[192.0.2.47]", "... after DATA (7774180 bytes) from ..." */
	{ "lost connection after %*", EVT_NONE, 0, NULL },
	/* "warning: unknown[192.0.2.152]: SASL LOGIN authentication failed: (reason unavailable), sasl_username=admin" */
	{ "warning: %h[%i]%(:%*%): SASL %m authentication failed: %R, sasl_username=%u", EVT_AUTH_FAILURE,
	  0, pf_fix_saslfail },
	/* "warning: unknown[192.0.2.237]:55729: SASL LOGIN authentication failed: authentication failure" */
	{ "warning: %h[%i]%(:%*%): SASL %m authentication failed: %R", EVT_AUTH_FAILURE, 0,
	  pf_fix_saslfail },
	/* "warning: unknown[192.0.2.150]: SASL PLAIN authentication failed:" */
	{ "warning: %h[%i]%(:%*%): SASL %m authentication failed:", EVT_AUTH_FAILURE, 0,
	  pf_fix_saslfail },
	/* "warning: non-SMTP command from unknown[192.0.2.1]: GET / HTTP/1.1" */
	{ "warning: non-SMTP command from %h[%i]: %y", EVT_REJECT, 0, pf_fix_nonsmtp },
	{ "warning: non-SMTP command from %h[%i]:%w: %y", EVT_REJECT, 0, pf_fix_nonsmtp },
	/* "warning: Connection rate limit exceeded: 31 from spam.example.org[192.0.2.123] for service smtpd" */
	{ "warning: %y limit exceeded: %* from %h[%i]%(:%*%) for service %*", EVT_REJECT, 0,
	  pf_fix_limit },
	/* "warning: hostname bad.example.com does not resolve to address 192.0.2.44: Name or service not known",
	 * "warning: 157.235.154.207.zen.spamhaus.org: RBL lookup error: ...", TLS library noise */
	{ "warning: %*", EVT_NONE, 0, NULL },
	/* "improper command pipelining after AUTH from unknown[192.0.2.4]: QUIT" */
	{ "improper command pipelining after %x from %h[%i]%*", EVT_REJECT, 0, pf_fix_pipelining },
	/* "too many errors after RCPT from mx.example.com[192.0.2.11]" */
	{ "too many errors after %x from %h[%i]%*", EVT_REJECT, 0, pf_fix_errors },
	/* "timeout after EHLO from h.example.net[198.51.100.113]" */
	{ "timeout after %*", EVT_NONE, 0, NULL },
	/* "bare <LF> received after CONNECT from mx.example.net[192.0.2.4]" */
	{ "bare <LF> received after %x from %h[%i]%*", EVT_REJECT, 0, pf_fix_bare_lf },
	/* "SSL_accept error from unknown[203.0.113.10]: lost connection" */
	{ "SSL_accept error from %*", EVT_NONE, 0, NULL },
	/* "proxy-accept: END-OF-MESSAGE: 250 2.0.0 Ok: queued as 7949396087; from=<a@example.org> to=<b@example.org> ..."
	 * "proxy-reject: END-OF-MESSAGE: 554 5.7.0 Reject, id=31619-02 - spam; from=<> to=<b@example.com> ..."
	 * (the before-queue filter's verdict; the line names no client) */
	{ "proxy-%*: %*", EVT_NONE, 0, NULL },
	/* "discarding EHLO keywords: CHUNKING ETRN DSN 8BITMIME" */
	{ "discarding EHLO keywords: %*", EVT_NONE, 0, NULL },
	/* "fatal: ...", "panic: ...", "error: ..." */
	{ "fatal: %*", EVT_NONE, 0, NULL },
	{ "panic: %*", EVT_NONE, 0, NULL },
	{ "error: %*", EVT_NONE, 0, NULL },
};

/* ---- postscreen -------------------------------------------------------- */

PM_TABLE(pf_postscreen) = {
	/* "CONNECT from [192.0.2.157]:54810 to [198.51.100.181]:25" */
	{ "CONNECT from %*", EVT_NONE, 0, NULL },
	/* "DISCONNECT [192.0.2.19]:34827" */
	{ "DISCONNECT %*", EVT_NONE, 0, NULL },
	/* "DNSBL rank 3 for [192.0.2.18]:59187" */
	{ "DNSBL rank %y for [%i]%*", EVT_REJECT, 0, pf_fix_dnsbl },
	/* "HANGUP after 6.6 from [192.0.2.177]:16256 in tests after SMTP handshake" */
	{ "HANGUP after %* from [%i]%(:%*%) in %y", EVT_REJECT, 0, pf_fix_hangup },
	/* "PASS OLD [192.0.2.157]:54810", "PASS NEW [192.0.2.19]:34827" */
	{ "PASS %*", EVT_NONE, 0, NULL },
	/* "PREGREET 14 after 0.08 from [192.0.2.2]:59415: EHLO ylmf-pc\r\n" */
	{ "PREGREET %* after %* from [%i]%(:%*%): %y", EVT_REJECT, 0, pf_fix_pregreet },
	/* "COMMAND TIME LIMIT from [192.0.2.77]:3608 after CONNECT" */
	{ "COMMAND %x LIMIT from [%i]%(:%*%) after %y", EVT_REJECT, 0, pf_fix_cmdlimit_ps },
	/* "COMMAND PIPELINING from [192.0.2.35]:51286 after EHLO: QUIT\r\n" */
	{ "COMMAND PIPELINING from [%i]%(:%*%) after %y", EVT_REJECT, 0, pf_fix_pipe_ps },
	/* "NON-SMTP COMMAND from [192.0.2.51]:45284 after CONNECT: GET http://example.com/ HTTP/1.1" */
	{ "NON-SMTP COMMAND from [%i]%(:%*%) after %y", EVT_REJECT, 0, pf_fix_nonsmtp_ps },
	/* "BARE NEWLINE from [192.0.2.35]:51286 after \026\003\003" */
	{ "BARE NEWLINE from [%i]%(:%*%) after %y", EVT_REJECT, 0, pf_fix_barenl_ps },
	/* "WHITELISTED [127.0.0.1]:53903", "WHITELIST VETO [192.0.2.86]:53024", "ALLOWLISTED ...", "ALLOWLIST VETO ..." */
	{ "WHITELIST%*", EVT_NONE, 0, NULL },
	{ "ALLOWLIST%*", EVT_NONE, 0, NULL },
	/* "BLACKLISTED [192.0.2.86]:53024" */
	{ "BLACKLISTED [%i]%*", EVT_REJECT, 0, pf_fix_listed_ps },
	{ "DENYLISTED [%i]%*", EVT_REJECT, 0, pf_fix_listed_ps },
	/* "cache btree:/var/lib/postfix/postscreen_cache full cleanup: retained=228 dropped=8 entries" */
	{ "cache %*", EVT_NONE, 0, NULL },
	/* "warning: dnsblog reply timeout 10s for b.barracudacentral.org" */
	{ "warning: %*", EVT_NONE, 0, NULL },
	{ "fatal: %*", EVT_NONE, 0, NULL },
	/* "NOQUEUE: reject: ..." arrives split (pf_reject). */
};

/* ---- qmgr -------------------------------------------------------------- */

/* Delivery status lines: the agents', and qmgr's own for dead destinations. */
PM_TABLE(pf_status) = {
	/* "4PbC4x469Jz3tBr: to=<u@example.org>, orig_to=<o@example.org>, relay=127.0.0.1[127.0.0.1]:10024,
	 *  delay=2.4, delays=0.29/0.02/0.01/2.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4PbC4y)" */
	{ "to=%r, orig_to=%*, relay=%l, %*dsn=%d, status=%x (%R)", EVT_DELIVERY, 0, pf_fix_status },
	/* "2847EE008E: to=<a@example.com>, relay=mx.example.com[192.0.2.34]:25, delay=6.3,
	 *  delays=0.04/0.01/6/0.19, dsn=2.0.0, status=sent (250 2.0.0 Ok)" */
	{ "to=%r, relay=%l, %*dsn=%d, status=%x (%R)", EVT_DELIVERY, 0, pf_fix_status },
	/* Postfix < 2.3: "CCAE27A4: to=<a@example.org>, relay=mx.example.org[192.0.2.176], delay=9, status=sent (250 Queued!)" */
	{ "to=%r, orig_to=%*, relay=%l, %*status=%x (%R)", EVT_DELIVERY, 0, pf_fix_status },
	{ "to=%r, relay=%l, %*status=%x (%R)", EVT_DELIVERY, 0, pf_fix_status },
	/* a shipper's suffix after the line: "... status=sent (250 2.0.0 Ok: queued as 4TwNdH5z) 257" */
	{ "to=%r, orig_to=%*, relay=%l, %*dsn=%d, status=%x (%R) %*", EVT_DELIVERY, 0, pf_fix_status },
	{ "to=%r, relay=%l, %*dsn=%d, status=%x (%R) %*", EVT_DELIVERY, 0, pf_fix_status },
};

PM_TABLE(pf_qmgr_q) = {
	/* "3A452D963D: from=<list-admin@example.com>, size=5356, nrcpt=1 (queue active)" */
	{ "from=<%s>, size=%z, nrcpt=%n (queue active)", EVT_MESSAGE_ACCEPTED, 0, NULL },
	/* "A0320E00C3: removed" */
	{ "removed", EVT_MSG_DONE, 0, NULL },
	/* "585BC3F: from=<>, status=expired, returned to sender" */
	{ "from=<%s>, status=expired, returned to sender", EVT_DELIVERY, EVT_STATUS_BOUNCED,
	  pf_fix_expired },
	/* "ED06590130AA1C9D6D862: skipped, still being delivered" */
	{ "skipped, still being delivered", EVT_NONE, 0, NULL },
};

/* Lines of qmgr and of the agents without a queue id. */
PM_TABLE(pf_quiet) = {
	{ "warning: %*", EVT_NONE, 0, NULL },
	{ "fatal: %*", EVT_NONE, 0, NULL },
	{ "panic: %*", EVT_NONE, 0, NULL },
	{ "error: %*", EVT_NONE, 0, NULL },
	/* qmgr "statistics: ..." */
	{ "statistics: %*", EVT_NONE, 0, NULL },
};

/* ---- delivery agents (smtp, lmtp, local, virtual, pipe, error) ---------- */

PM_TABLE(pf_agent_q) = {
	/* "ED59C3D: host mx.example.com[192.0.2.23] said: 450 4.7.1 <u@example.com>: Recipient address
	 *  rejected: Greylisted for 5 minutes (in reply to RCPT TO command)" */
	{ "host %* said: %*", EVT_NONE, 0, NULL },
	/* "745137AA: lost connection with mx.example.com[192.0.2.161] while sending RCPT TO" */
	{ "lost connection with %*", EVT_NONE, 0, NULL },
	/* "78D6B41: conversation with mx.example.com[192.0.2.4] timed out while receiving the initial server greeting" */
	{ "conversation with %*", EVT_NONE, 0, NULL },
	/* "40197AA: host mx.example.bg[192.0.2.86] refused to talk to me: 450 4.3.2 try again later" */
	{ "host %* refused to talk to me: %*", EVT_NONE, 0, NULL },
	/* our client's login at a relay: "D0F29603B4: SASL authentication failed; server relay.example.com[192.0.2.4] said: 535 ..." */
	{ "SASL authentication failed; %*", EVT_NONE, 0, NULL },
	/* "B0ADE20FC7: enabling PIX workarounds: disable_esmtp delay_dotcrlf for example.com[192.0.2.34]:25" */
	{ "enabling PIX workarounds%*", EVT_NONE, 0, NULL },
	/* local: "892A0205B6: to=<a@example.com>, ..., status=bounced (unknown user: \"a\")" handled by pf_status */
	{ "Used TLS for %*", EVT_NONE, 0, NULL },
};

PM_TABLE(pf_agent) = {
	/* "connect to mx.example.it[192.0.2.21]:25: No route to host" */
	{ "connect to %*", EVT_NONE, 0, NULL },
	/* "Trusted TLS connection established to mx.example.de[192.0.2.8]:25: TLSv1.3 with cipher ..." */
	{ "%* TLS connection established %*", EVT_NONE, 0, NULL },
	/* "certificate verification failed for mail.example.com[192.0.2.115]:25: self-signed certificate." */
	{ "certificate verification failed for %*", EVT_NONE, 0, NULL },
	{ "server certificate verification failed for %*", EVT_NONE, 0, NULL },
	/* "SSL_connect error to mail.example.org[192.0.2.2]:25: lost connection" */
	{ "SSL_connect error to %*", EVT_NONE, 0, NULL },
};

/* ---- cleanup ----------------------------------------------------------- */

PM_TABLE(pf_cleanup_q) = {
	/* "3A452D963D: message-id=<0076@example.com>" */
	{ "message-id=%*", EVT_NONE, 0, NULL },
	{ "resent-message-id=%*", EVT_NONE, 0, NULL },
	/* reject / milter-reject: pf_reject. Other header/body actions:
	 * "D8B07E3DB6: warning: header Subject: hello from mx.example.net[192.0.2.173]; from=<a@example.net> to=<b@example.com> ..."
	 * "4104E3D: milter-header-redirect: header X-Spam-Status: Yes, ... from mx.example.com[192.0.2.86]; ..."
	 * "95BCC140E40: replace: header From: A <a@example.org>: From: b@example.org" */
	{ "%*", EVT_NONE, 0, NULL },
};

/* ---- bounce, defer, trace ---------------------------------------------- */

PM_TABLE(pf_bounce_q) = {
	/* "4PcV4K5FPLz3tBr: sender non-delivery notification: 4PcV4K5tFpz3tG5" */
	{ "sender non-delivery notification: %N", EVT_BOUNCE, 0, NULL },
	/* "65AFB8B5: sender delivery status notification: 1DF35917" (success DSN, not an NDR) */
	{ "sender delivery status notification: %*", EVT_NONE, 0, NULL },
	/* "264FE1A18: sender delay notification: 0A87A1A08" */
	{ "sender delay notification: %*", EVT_NONE, 0, NULL },
	/* "482E4404AC8: postmaster non-delivery notification: 47335405A44" */
	{ "postmaster %* notification: %*", EVT_NONE, 0, NULL },
};

/* ---- pickup, postsuper ------------------------------------------------- */

PM_TABLE(pf_pickup_q) = {
	/* "D0B74D98D0: uid=0 from=<root@example.com>" */
	{ "uid=%* from=%*", EVT_NONE, 0, NULL },
};

PM_TABLE(pf_postsuper_q) = {
	/* "D4F2023DB: removed" (postsuper -d) */
	{ "removed", EVT_MSG_DONE, 0, NULL },
	/* "D4F2023DB: requeued", "placed on hold", "released from hold" */
	{ "%*", EVT_NONE, 0, NULL },
};

/* Daemons that never log a client outcome: master ("daemon started --
 * version 3.7.11"), postfix-script, anvil ("statistics: max connection rate
 * 1/60s for (smtpd:192.0.2.99) at ..."), dnsblog ("addr 192.0.2.18 listed
 * by domain zen.spamhaus.org as 127.0.0.4"), tlsproxy, scache, tlsmgr,
 * verify, trivial_rewrite, proxymap, postdrop, postmap, postqueue, postlog,
 * sendmail, and postsuper's counters ("Deleted: 115 messages"). */
PM_TABLE(pf_any_none) = {
	{ "%*", EVT_NONE, 0, NULL },
};

/* ---- dispatch ---------------------------------------------------------- */

enum pf_kind {
	PF_UNKNOWN = 0,	/* bare "postfix" or a daemon we do not know: try all */
	PF_SMTPD,
	PF_POSTSCREEN,
	PF_QMGR,
	PF_AGENT,
	PF_CLEANUP,
	PF_BOUNCE,
	PF_PICKUP,
	PF_POSTSUPER,
	PF_QUIET,
};

/* Names with their lengths: compared against every Postfix tag. */
#define PF_D(name, kind) { name, sizeof(name) - 1, kind }
static const struct {
	const char *name;
	size_t len;
	enum pf_kind kind;
} pf_daemons[] = {
	PF_D("smtpd", PF_SMTPD), PF_D("postscreen", PF_POSTSCREEN),
	PF_D("qmgr", PF_QMGR), PF_D("oqmgr", PF_QMGR),
	PF_D("smtp", PF_AGENT), PF_D("lmtp", PF_AGENT),
	PF_D("local", PF_AGENT), PF_D("virtual", PF_AGENT),
	PF_D("pipe", PF_AGENT), PF_D("error", PF_AGENT),
	PF_D("retry", PF_AGENT), PF_D("discard", PF_AGENT),
	PF_D("cleanup", PF_CLEANUP), PF_D("bounce", PF_BOUNCE),
	PF_D("defer", PF_BOUNCE), PF_D("trace", PF_BOUNCE),
	PF_D("pickup", PF_PICKUP), PF_D("postsuper", PF_POSTSUPER),
	PF_D("master", PF_QUIET), PF_D("postfix-script", PF_QUIET),
	PF_D("anvil", PF_QUIET), PF_D("dnsblog", PF_QUIET),
	PF_D("tlsproxy", PF_QUIET), PF_D("scache", PF_QUIET),
	PF_D("tlsmgr", PF_QUIET), PF_D("verify", PF_QUIET),
	PF_D("trivial-rewrite", PF_QUIET), PF_D("trivial_rewrite", PF_QUIET),
	PF_D("proxymap", PF_QUIET), PF_D("postdrop", PF_QUIET),
	PF_D("postmap", PF_QUIET), PF_D("postqueue", PF_QUIET),
	PF_D("postlog", PF_QUIET), PF_D("postlogd", PF_QUIET),
	PF_D("sendmail", PF_QUIET), PF_D("showq", PF_QUIET),
	PF_D("flush", PF_QUIET), PF_D("spawn", PF_QUIET),
	PF_D("postalias", PF_QUIET), PF_D("postconf", PF_QUIET),
	PF_D("postmulti", PF_QUIET), PF_D("script", PF_QUIET),
};
#undef PF_D

/* A queue id: Postfix short ids are upper-case hex (at least 6), long ids
 * (enable_long_queue_ids) are 12+ characters of [0-9A-Za-z] with digits.
 * Words such as "warning" or "statistics" are neither. */
static bool
pf_is_qid(struct strv w)
{
	bool hex = true, digit = false;
	size_t i;

	if (w.len < 5 || w.len >= LIMIT_QID_MAX)
		return false;
	for (i = 0; i < w.len; i++) {
		char c = w.p[i];

		if (pf_digit(c))
			digit = true;
		else if (c >= 'A' && c <= 'F')
			;
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			hex = false;
		else
			return false;
	}
	return hex || (digit && w.len >= 10);
}

/* Split "QID: rest" or "NOQUEUE: rest". *qid is empty for NOQUEUE, NULL
 * when the line has neither. */
static struct strv
pf_split(struct strv msg, struct strv *qid, bool *queued)
{
	const char *c = memchr(msg.p, ':', msg.len < 48 ? msg.len : 48);
	struct strv w;

	*queued = false;
	*qid = STRV_NULL;
	if (c == NULL || (size_t)(c - msg.p) + 1 >= msg.len || c[1] != ' ')
		return msg;
	w = strv_make(msg.p, (size_t)(c - msg.p));
	if (strv_eq_cstr(w, "NOQUEUE")) {
		*queued = true;
		return strv_skip(msg, w.len + 2);
	}
	if (!pf_is_qid(w))
		return msg;
	*queued = true;
	*qid = w;
	return strv_skip(msg, w.len + 2);
}

/* The daemon (last tag component) and the smtpd service: "submission" or
 * "smtps" when a component says so, else "smtp". */
static enum pf_kind
pf_daemon(struct strv prog, const char **service, const char **agent)
{
	const char *p = prog.p, *end = prog.p + prog.len, *last, *q;
	size_t i;

	*service = "smtp";
	*agent = NULL;
	/* The components after the first, found with memchr: this runs on
	 * every Postfix line. */
	if (prog.len == 0 || (q = memchr(p, '/', prog.len)) == NULL)
		return PF_UNKNOWN;	/* "postfix", "postfix-incoming": no daemon */
	for (;;) {
		const char *c = q + 1, *n = memchr(c, '/', (size_t)(end - c));
		struct strv comp = strv_make(c, (size_t)((n != NULL ? n : end) - c));

		if (strv_eq_cstr(comp, "submission"))
			*service = "submission";
		else if (strv_eq_cstr(comp, "smtps") || strv_eq_cstr(comp, "submissions"))
			*service = "smtps";
		if (n == NULL) {
			last = c;
			break;
		}
		q = n;
	}
	for (i = 0; i < sizeof(pf_daemons) / sizeof(pf_daemons[0]); i++)
		if ((size_t)(end - last) == pf_daemons[i].len &&
		    memcmp(last, pf_daemons[i].name, pf_daemons[i].len) == 0) {
			*agent = pf_daemons[i].name;
			return pf_daemons[i].kind;
		}
	return PF_UNKNOWN;
}

#define PF_TRY(rules, svc)                                                              \
	do {                                                                            \
		r = PM_RUN(rules, f, body, PF_SOURCE, (svc), out);                      \
		if (r != PARSE_UNMATCHED)                                               \
			goto done;                                                      \
	} while (0)

enum parse_result
parse_postfix(const struct frame *f, struct parse_out *out)
{
	const char *service, *agent;
	enum pf_kind kind = pf_daemon(f->prog, &service, &agent);
	enum parse_result r = PARSE_UNMATCHED;
	struct strv msg = f->msg, body, qid;
	bool queued;
	int i, first = out->n;

	while (msg.len > 0 && msg.p[0] == ' ')	/* mailgraph's "  3A452D963D: client=..." */
		msg = strv_skip(msg, 1);
	body = pf_split(msg, &qid, &queued);
	switch (kind) {
	case PF_SMTPD:
		if (queued) {
			PF_TRY(pf_smtpd_q, service);
			PF_TRY(pf_reject, service);
		} else
			PF_TRY(pf_smtpd, service);
		break;
	case PF_POSTSCREEN:
		if (queued)
			PF_TRY(pf_reject, service);
		else
			PF_TRY(pf_postscreen, service);
		break;
	case PF_QMGR:
		if (queued) {
			PF_TRY(pf_qmgr_q, NULL);
			PF_TRY(pf_status, NULL);
		} else
			PF_TRY(pf_quiet, NULL);
		break;
	case PF_AGENT:
		if (queued) {
			PF_TRY(pf_status, agent);
			PF_TRY(pf_agent_q, agent);
		} else {
			PF_TRY(pf_agent, agent);
			PF_TRY(pf_quiet, agent);
		}
		break;
	case PF_CLEANUP:
		if (queued) {
			PF_TRY(pf_reject, NULL);
			PF_TRY(pf_cleanup_q, NULL);
		} else
			PF_TRY(pf_quiet, NULL);
		break;
	case PF_BOUNCE:
		if (queued)
			PF_TRY(pf_bounce_q, NULL);
		else
			PF_TRY(pf_quiet, NULL);
		break;
	case PF_PICKUP:
		if (queued)
			PF_TRY(pf_pickup_q, NULL);
		else
			PF_TRY(pf_quiet, NULL);
		break;
	case PF_POSTSUPER:
		if (queued)
			PF_TRY(pf_postsuper_q, NULL);
		else
			PF_TRY(pf_any_none, NULL);
		break;
	case PF_QUIET:
		PF_TRY(pf_any_none, NULL);
		break;
	case PF_UNKNOWN:
		/* No daemon name: the shapes are distinct enough to try all,
		 * without a service (it cannot be told). */
		if (queued) {
			PF_TRY(pf_smtpd_q, NULL);
			PF_TRY(pf_qmgr_q, NULL);
			PF_TRY(pf_status, NULL);
			PF_TRY(pf_reject, NULL);
			PF_TRY(pf_bounce_q, NULL);
			PF_TRY(pf_agent_q, NULL);
			PF_TRY(pf_pickup_q, NULL);
		} else {
			PF_TRY(pf_smtpd, NULL);
			PF_TRY(pf_postscreen, NULL);
			PF_TRY(pf_agent, NULL);
			PF_TRY(pf_quiet, NULL);
		}
		break;
	}
done:
	if (r != PARSE_EVENTS)
		return r;
	for (i = first; i < out->n; i++) {
		struct evt *e = &out->ev[i];

		if (qid.len > 0 && EVT_SET(e, qid, qid) < 0) {
			out->n = first;
			return PARSE_MALFORMED;
		}
		/* "NOQUEUE: client=..." names no message to attach the client to. */
		if (e->type == EVT_MSG_CLIENT && qid.len == 0) {
			out->n = first;
			return PARSE_NOEVENT;
		}
	}
	return r;
}
