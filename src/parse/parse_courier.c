/* parse_courier.c - Courier IMAP/POP3/ESMTP, and the other IMAP servers
 *                   that log under the same program names
 *
 * Program names alone do not tell the servers apart: "imapd" is Courier,
 * UW-IMAP and Cyrus alike. The message shapes do, and they are disjoint,
 * so each family's table is tried in turn:
 *   Courier   "LOGIN FAILED, user=u, ip=[::ffff:192.0.2.4]"      source "courier"
 *             courieresmtpd "error,relay=::ffff:192.0.2.3,..."
 *   Cyrus     "badlogin: host [192.0.2.4] PLAIN [SASL(-13): ...]" source "cyrus"
 *   UW-IMAP   "Login failed user=u auth=u host=h [192.0.2.4]"     source "uwimap"
 *
 * User names are the client's text and are logged unescaped before the
 * address, so the address is taken from the last "ip=[" (Courier) or the
 * last "[...]" (UW-IMAP), which the server writes after the user.
 * courieresmtpd logs the failed AUTH command; its base64 arguments may
 * hold a password and are never copied.
 */
#include "parse/parse.h"

#include <string.h>

/* ---- helpers ----------------------------------------------------------- */

/* Service from the program name: imapd, imapd-ssl, courier-imap,
 * courierpop3login, pop3d-ssl, cyrus/imaps, ipop3d, timsieved, ... */
static const char *
cr_service(struct strv prog)
{
	if (strv_find(prog, STRV_LIT("pop3")) != NULL)
		return "pop3";
	if (strv_find(prog, STRV_LIT("sieve")) != NULL)
		return "managesieve";
	if (strv_find(prog, STRV_LIT("lmtp")) != NULL)
		return "lmtp";
	if (strv_find(prog, STRV_LIT("imap")) != NULL)
		return "imap";
	return NULL;
}

/* Courier's field list after "LOGIN, " / "LOGIN FAILED, ":
 * "user=u, ip=[::ffff:192.0.2.4], port=[51234], protocol=IMAP" or
 * "method=PLAIN, ip=[...]" or "ip=[...]". */
static int
cr_fields(struct strv t, struct evt *e)
{
	long ip = strv_last_word(t, "ip=[");
	size_t uend;

	if (ip < 0)
		return 0;
	{
		const char *v = t.p + ip + 4, *rb;

		rb = memchr(v, ']', t.len - (size_t)ip - 4);
		if (rb == NULL || evt_set_ip(e, strv_make(v, (size_t)(rb - v))) < 0)
			return -1;
	}
	/* What precedes ", ip=[" is "user=U" and/or "method=M". */
	if (ip < 2 || t.p[ip - 2] != ',')
		return 0;
	uend = (size_t)ip - 2;
	{
		struct strv head = strv_make(t.p, uend);
		long m = strv_last_word(head, "method=");

		if (m >= 0 && (m == 0 || (m >= 2 && t.p[m - 2] == ','))) {
			(void)EVT_SET(e, mech, strv_make(t.p + m + 7, uend - (size_t)m - 7));
			uend = m >= 2 ? (size_t)m - 2 : 0;
		}
	}
	if (strv_has_prefix(t, "user=") && uend >= 5)
		return EVT_SET(e, account, strv_make(t.p + 5, uend - 5));
	return 0;
}

static int
cr_fix_fields(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)f;
	return cr_fields(pm_get(caps, 'x', NULL), e);
}

/* ---- Courier IMAP / POP3 --------------------------------------------- */

PM_TABLE(cr_login_rules) = {
	/* "LOGIN, user=u@example.com, ip=[::ffff:192.0.2.100], port=[51234], protocol=IMAP" */
	{ "LOGIN, %x", EVT_AUTH_SUCCESS, EVT_STATUS_NONE, cr_fix_fields },
	/* "LOGIN FAILED, user=u@example.com, ip=[::ffff:192.0.2.4]"
	 * "LOGIN FAILED, method=PLAIN, ip=[::ffff:192.0.2.4]"
	 * "LOGIN FAILED, ip=[::ffff:192.0.2.36]" */
	{ "LOGIN FAILED, %x", EVT_AUTH_FAILURE, EVT_STATUS_NONE, cr_fix_fields },
	/* "LOGOUT, user=u, ip=[::ffff:192.0.2.100], headers=0, body=0, rcvd=24, sent=96, time=0" */
	{ "LOGOUT, %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "Connection, ip=[::ffff:192.0.2.161]" */
	{ "Connection, %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "Disconnected, ip=[::ffff:192.0.2.4], headers=0, body=0, rcvd=6, sent=20, time=300" */
	{ "Disconnected, %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "DISCONNECTED, ip=[::ffff:127.0.0.1], time=5" */
	{ "DISCONNECTED, %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "TIMEOUT, user=u, ip=[::ffff:192.0.2.4], headers=0, body=0, rcvd=195, sent=1234, time=1801" */
	{ "TIMEOUT, %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "Maximum connection limit reached for ::ffff:192.0.2.4" */
	{ "Maximum connection limit reached for %*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* ---- courieresmtpd ---------------------------------------------------- */

/* The failed command after "cmd: ": "AUTH LOGIN u@example.com",
 * "AUTH PLAIN <base64> u", "AUTH CRAM-MD5", or a bare base64 line of the
 * exchange. Only a plain user name is kept; base64 may be a password. */
static int
cr_fix_smtp_auth(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv c = pm_get(caps, 'x', NULL), w[4];
	size_t n = 0, i = 0;

	(void)f;
	while (i < c.len && n < 4) {
		size_t s = i;

		while (i < c.len && c.p[i] != ' ')
			i++;
		if (i > s)
			w[n++] = strv_make(c.p + s, i - s);
		while (i < c.len && c.p[i] == ' ')
			i++;
	}
	if (i < c.len || n < 2 || !strv_eq_nocase(w[0], STRV_LIT("AUTH")))
		return 0;
	(void)EVT_SET(e, mech, w[1]);
	/* "AUTH LOGIN user": Courier logs the user it decoded. */
	if (n == 3 && strv_eq_nocase(w[1], STRV_LIT("LOGIN")))
		return EVT_SET(e, account, w[2]);
	/* "AUTH PLAIN <initial response> user": the user Courier appends. */
	if (n == 4)
		return EVT_SET(e, account, w[3]);
	return 0;
}

PM_TABLE(cr_smtp_rules) = {
	/* "error,relay=::ffff:192.0.2.3,port=43632,msg=\"535 Authentication failed.\",cmd: AUTH LOGIN u@example.com" */
	{ "error,relay=%i,%(port=%*,%)msg=\"535 %R\",cmd: %x", EVT_AUTH_FAILURE, EVT_STATUS_NONE,
	  cr_fix_smtp_auth },
	/* "error,relay=::ffff:192.0.2.3,port=43632,msg=\"550 User unknown.\",cmd: RCPT TO:<x@example.com>" */
	{ "error,relay=%i,%(port=%*,%)msg=\"%R\",cmd: %*", EVT_REJECT, EVT_STATUS_NONE, NULL },
	/* "error,relay=::ffff:192.0.2.4,ident=tmf,from=<a@example.com>,to=<b@example.com>: 550 User unknown." */
	{ "error,relay=%i,%(port=%*,%)%(ident=%*,%)from=<%s>,to=<%r>: %R", EVT_REJECT, EVT_STATUS_NONE,
	  NULL },
	/* any other refused command: "error,relay=::ffff:192.0.2.4,...: 5xx text" */
	{ "error,relay=%i,%*: %R", EVT_REJECT, EVT_STATUS_NONE, NULL },
	/* "started,ip=[::ffff:192.0.2.4],port=[43632]" */
	{ "started,ip=%*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* ---- Cyrus IMAP / POP3 / sieve ---------------------------------------- */

/* After the mechanism: "user@example.com SASL(-13): authentication failure: checkpass failed",
 * "[SASL(-13): ...]", "(user@domain) [SASL(-13): ...]", "authentication failure". */
static int
cr_fix_cyrus_bad(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv x = pm_get(caps, 'x', NULL), m = pm_get(caps, 'm', NULL), why = x;
	size_t i;

	(void)f;
	if (strv_eq_nocase(m, STRV_LIT("plaintext")))	/* the IMAP LOGIN command */
		e->mech[0] = '\0';
	else
		for (i = 0; e->mech[i] != '\0'; i++)
			if (e->mech[i] >= 'a' && e->mech[i] <= 'z')
				e->mech[i] = (char)(e->mech[i] - 'a' + 'A');
	if (x.len > 0 && x.p[0] == '(') {
		const char *rp = memchr(x.p, ')', x.len);

		if (rp != NULL) {
			if (EVT_SET(e, account, strv_make(x.p + 1, (size_t)(rp - x.p - 1))) < 0)
				return -1;
			why = strv_trim(strv_make(rp + 1, (size_t)(x.p + x.len - rp - 1)));
		}
	} else if (x.len > 0 && x.p[0] != '[' && !strv_has_prefix(x, "SASL") &&
		   !strv_has_prefix(x, "authentication failure")) {
		const char *sp = memchr(x.p, ' ', x.len);

		if (sp != NULL) {
			if (EVT_SET(e, account, strv_make(x.p, (size_t)(sp - x.p))) < 0)
				return -1;
			why = strv_make(sp + 1, (size_t)(x.p + x.len - sp - 1));
		}
	}
	if (why.len >= 2 && why.p[0] == '[' && why.p[why.len - 1] == ']')
		why = strv_make(why.p + 1, why.len - 2);
	EVT_SET_TEXT(e, reason, why);
	return 0;
}

/* "plaintext+TLS" -> no mechanism (IMAP LOGIN); "PLAIN+TLS" -> "PLAIN". */
static int
cr_fix_cyrus_login(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv m = pm_get(caps, 'm', NULL);
	const char *plus = memchr(m.p, '+', m.len);

	(void)f;
	if (plus != NULL)
		m.len = (size_t)(plus - m.p);
	if (strv_eq_nocase(m, STRV_LIT("plaintext")))
		e->mech[0] = '\0';
	else
		(void)EVT_SET(e, mech, m);
	return 0;
}

PM_TABLE(cr_cyrus_rules) = {
	/* "badlogin: host.example.com [192.0.2.1] plaintext u@example.com SASL(-13): authentication failure: checkpass failed"
	 * "badlogin: example.com[192.0.2.45] DIGEST-MD5 [SASL(-13): authentication failure: client response doesn't match what we generated]"
	 * "badlogin: [192.0.2.4] plain [SASL(-13): authentication failure: Password verification failed]"
	 * timsieved: "badlogin: example.com[192.0.2.4] PLAIN authentication failure" */
	{ "badlogin: %*[%i] %m %x", EVT_AUTH_FAILURE, EVT_STATUS_NONE, cr_fix_cyrus_bad },
	/* "login: host.example.com [192.0.2.1] u@example.com plaintext+TLS User logged in SESSIONID=<cyrus-1234-1-1>" */
	{ "login: %*[%i] %u %m User logged in%*", EVT_AUTH_SUCCESS, EVT_STATUS_NONE,
	  cr_fix_cyrus_login },
	/* "imaps TLS negotiation failed: [192.0.2.55]" / "STARTTLS negotiation failed: [192.0.2.55]" */
	{ "%*TLS negotiation failed: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "accepted connection" / "Connection reset by peer" ... carry no login */
	{ "accepted connection", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* ---- UW-IMAP (imapd, ipop3d) ------------------------------------------ */

/* UW writes "user=U [auth=A] host=H [IP]": the address is the last
 * bracketed word, which ends the line; the user ends at " auth=" or
 * " host=". */
static int
cr_fix_uw(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv x = strv_trim(pm_get(caps, 'x', NULL));
	const char *lb;
	size_t i;

	(void)f;
	/* Some versions log a bare host name ("host=h.example.com"): the
	 * event then has no address. */
	if (x.len >= 2 && x.p[x.len - 1] == ']') {
		lb = NULL;
		for (i = x.len - 1; i > 0 && lb == NULL; i--)
			if (x.p[i - 1] == '[')
				lb = x.p + i - 1;
		if (lb == NULL ||
		    evt_set_ip(e, strv_make(lb + 1, (size_t)(x.p + x.len - 1 - (lb + 1)))) < 0)
			return -1;
	}
	if (pm_has(caps, 'u'))
		return EVT_SET(e, account, strv_trim(pm_get(caps, 'u', NULL)));
	return 0;
}

static int
cr_fix_uw_why(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv w = pm_get(caps, 'y', NULL);

	EVT_SET_TEXT(e, reason, w);
	return cr_fix_uw(caps, e, f);
}

PM_TABLE(cr_uw_rules) = {
	/* "Login failed user=u auth=u host=host.example.com [192.0.2.112]" */
	{ "Login failed user=%u auth=%* host=%x", EVT_AUTH_FAILURE, EVT_STATUS_NONE, cr_fix_uw },
	{ "Login failed user=%u host=%x", EVT_AUTH_FAILURE, EVT_STATUS_NONE, cr_fix_uw },
	/* "Login excessive login failures user=u auth=u host=host.example.com [192.0.2.74]"
	 * "Login disabled user=test auth=test host=localhost.localdomain [127.0.0.1]" */
	{ "Login %y user=%u auth=%* host=%x", EVT_AUTH_FAILURE, EVT_STATUS_NONE, cr_fix_uw_why },
	/* "Failed uwmaster override of user=u  host=host.example.com [192.0.2.22]" */
	{ "Failed %y of user=%u host=%x", EVT_AUTH_FAILURE, EVT_STATUS_NONE, cr_fix_uw_why },
	/* "AUTHENTICATE LOGIN failure host=host.example.com [192.0.2.8]" */
	{ "AUTHENTICATE %m failure host=%x", EVT_AUTH_FAILURE, EVT_STATUS_NONE, cr_fix_uw },
	/* "Authenticated user=u host=host.example.com [192.0.2.8]" */
	{ "Authenticated user=%u host=%x", EVT_AUTH_SUCCESS, EVT_STATUS_NONE, cr_fix_uw },
	/* "Login user=u host=host.example.com [192.0.2.8]" */
	{ "Login user=%u host=%x", EVT_AUTH_SUCCESS, EVT_STATUS_NONE, cr_fix_uw },
	/* "Logout user=u host=host.example.com [192.0.2.8]" */
	{ "Logout user=%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "Autologout user=u host=..." / "Killed (lost mailbox lock) user=u host=..." */
	{ "Autologout user=%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	{ "Killed (%*) user=%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "imap service init from 192.0.2.8" */
	{ "%* service init from %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "Command stream end of file, while reading line user=u host=host.example.com [192.0.2.8]" */
	{ "Command stream end of file%*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* ---- dispatch ---------------------------------------------------------- */

enum parse_result
parse_courier(const struct frame *f, struct parse_out *out)
{
	const char *svc = cr_service(f->prog);
	enum parse_result r;

	if (strv_eq_cstr(f->prog, "courieresmtpd"))
		return PM_RUN(cr_smtp_rules, f, f->msg, "courier", "smtp", out);
	r = PM_RUN(cr_login_rules, f, f->msg, "courier", svc, out);
	if (r != PARSE_UNMATCHED)
		return r;
	r = PM_RUN(cr_cyrus_rules, f, f->msg, "cyrus", svc, out);
	if (r != PARSE_UNMATCHED)
		return r;
	return PM_RUN(cr_uw_rules, f, f->msg, "uwimap", svc, out);
}
