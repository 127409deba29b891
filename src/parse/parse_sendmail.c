/* parse_sendmail.c - Sendmail (sendmail, sm-mta, sm-msp-queue) log lines
 *
 * Most Sendmail lines start with a queue id ("j4K97fD5028627: "). It is cut
 * off first, so one rule table serves lines with and without it, and put
 * back on the events afterwards.
 *
 * Sendmail writes "relay=" for the client on reception lines and for the
 * next hop on delivery lines. On reception-side lines it is the last field,
 * and the fields before it may hold text the client chose (an AUTH user
 * name, a Message-ID), so the client is taken from the last ", relay=": the
 * fail2ban vector "user=criminal, relay=[192.0.2.100], relay=[192.0.2.4]"
 * is an injection that must yield 192.0.2.4. A ruleset line has client text
 * on both sides of its relay= (arg1 before, the reject text after); there
 * the first ", relay=" after arg1 is taken, which an address can only fool
 * with a quoted local part holding ", relay=".
 *
 * Decisions:
 * - "possible SMTP attack: command=AUTH, count=N" is an auth_failure with
 *   attempts=N (Sendmail logs it after N failed AUTH commands in one
 *   session); the same line for another command is a reject.
 * - "from=..., nrcpts=0" is not a queued message: every recipient was
 *   refused (the fail2ban "sendmail-spam" pattern). It becomes a reject with
 *   the sender and the client, reason "no valid recipients".
 * - "QID: NDRQID: DSN: reason" and the older "return to sender:" are
 *   bounces with ndr_qid; "postmaster notify:", "sender notify:" (a delay
 *   warning) and "DSN: Return receipt" carry no bounce to the sender.
 * - "stat=queued" is no outcome yet: no event.
 * - "<rcpt>... User unknown" (and other "<addr>... text" lines) are rejects
 *   of a RCPT command; they name no client, the qid joins them.
 */
#include "parse/parse.h"

#include <stdio.h>
#include <string.h>

#define SM_SOURCE "sendmail"

/* Last occurrence of needle in hay, or NULL. */
static const char *
sm_rfind(struct strv hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (n == 0 || hay.len < n)
		return NULL;
	for (i = hay.len - n + 1; i-- > 0;)
		if (memcmp(hay.p + i, needle, n) == 0)
			return hay.p + i;
	return NULL;
}

static struct strv
sm_after(struct strv s, const char *at, size_t skip)
{
	return strv_make(at + skip, (size_t)(s.p + s.len - (at + skip)));
}

/* The client address of a relay value: "host [192.0.2.1] (may be
 * forged)", "[IPv6:2001:db8::1]", "localhost" (none: returns 0 and sets
 * nothing). A bracket that holds no address makes the line malformed. */
static int
sm_relay_ip(struct strv v, struct evt *e)
{
	const char *lb = memchr(v.p, '[', v.len), *rb;

	if (v.len == 0 || lb == NULL)
		return 0;
	rb = memchr(lb, ']', (size_t)(v.p + v.len - lb));
	if (rb == NULL)
		return -1;
	return evt_set_ip(e, strv_make(lb + 1, (size_t)(rb - lb - 1)));
}

/* "550 5.7.1 text": the enhanced status code goes to dsn, the text to
 * reason. Either part may be missing. */
static void
sm_reply(struct strv v, struct evt *e)
{
	size_t i = 0, d0;
	int dots = 0;

	if (v.len >= 4 && v.p[0] >= '2' && v.p[0] <= '5' && v.p[1] >= '0' && v.p[1] <= '9' &&
	    v.p[2] >= '0' && v.p[2] <= '9' && (v.p[3] == ' ' || v.p[3] == '-'))
		i = 4;
	d0 = i;
	while (i < v.len && ((v.p[i] >= '0' && v.p[i] <= '9') || v.p[i] == '.')) {
		dots += v.p[i] == '.';
		i++;
	}
	if (dots == 2 && i > d0 + 4 && (i == v.len || v.p[i] == ' ')) {
		EVT_SET(e, dsn, strv_make(v.p + d0, i - d0));
		while (i < v.len && v.p[i] == ' ')
			i++;
	} else
		i = d0 > 0 ? d0 : 0;
	EVT_SET_TEXT(e, reason, strv_skip(v, i));
}

/* Value of "key=" in a ", "-separated field list: the first field named
 * key, up to the next ", " (to the end when rest is set). */
static struct strv
sm_field(struct strv s, const char *key, bool rest)
{
	size_t kl = strlen(key), i;
	const char *end;

	for (i = 0; i + kl <= s.len; i++) {
		if ((i == 0 || (i >= 2 && s.p[i - 2] == ',' && s.p[i - 1] == ' ')) &&
		    memcmp(s.p + i, key, kl) == 0) {
			struct strv v = strv_make(s.p + i + kl, s.len - i - kl);

			if (!rest && (end = strv_find(v, STRV_LIT(", "))) != NULL)
				v.len = (size_t)(end - v.p);
			return v;
		}
	}
	return STRV_NULL;
}

/* Client of a reception-side line: the last ", relay=" value. */
static int
sm_last_relay(struct strv s, struct evt *e)
{
	const char *r = sm_rfind(s, ", relay=");

	if (r == NULL)
		return strv_has_prefix(s, "relay=") ? sm_relay_ip(strv_skip(s, 6), e) : 0;
	return sm_relay_ip(sm_after(s, r, 8), e);
}

static int
sm_fix_host(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)f;
	return sm_relay_ip(pm_get(caps, 'h', NULL), e);
}

/* Sendmail's mailer names -> our delivery service names. */
static void
sm_service_of_mailer(struct strv m, struct evt *e)
{
	static const struct {
		const char *mailer, *service;
	} map[] = {
		{ "esmtp", "smtp" }, { "smtp", "smtp" },   { "smtp8", "smtp" },
		{ "dsmtp", "smtp" }, { "relay", "smtp" },  { "local", "local" },
		{ "prog", "pipe" },  { "cyrusv2", "lmtp" }, { "lmtp", "lmtp" },
		{ "procmail", "local" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strv_eq_cstr(m, map[i].mailer)) {
			evt_set(e->service, sizeof(e->service), strv_cstr(map[i].service));
			return;
		}
	if (m.len > 0 && EVT_SET(e, service, m) < 0)
		e->service[0] = '\0';
}

/* Split "to=" recipients "a,b,<c>" (commas inside quotes do not split).
 * Returns the number found, at most max. */
static size_t
sm_split_rcpts(struct strv v, struct strv *out, size_t max)
{
	size_t n = 0, i, start = 0;
	bool q = false;

	for (i = 0; i <= v.len && n < max; i++) {
		if (i < v.len && v.p[i] == '"')
			q = !q;
		if (i == v.len || (v.p[i] == ',' && !q)) {
			if (i > start)
				out[n++] = strv_make(v.p + start, i - start);
			start = i + 1;
		}
	}
	return n;
}

static struct strv
sm_unbracket(struct strv v)
{
	if (v.len >= 2 && v.p[0] == '<' && v.p[v.len - 1] == '>')
		return strv_make(v.p + 1, v.len - 2);
	return v;
}

/* "to=a,b, ctladdr=..., mailer=esmtp, pri=..., relay=host. [ip], dsn=5.1.1,
 * stat=User unknown": status from stat= (Sent, Deferred..., queued, else
 * a permanent failure), overridden by the class of dsn= when present. */
static int
sm_fix_to(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv y = pm_get(caps, 'y', NULL), rc[1];
	struct strv stat = sm_field(y, "stat=", true), dsn = sm_field(y, "dsn=", false);
	struct strv relay = sm_field(y, "relay=", false);

	(void)f;
	if (sm_split_rcpts(pm_get(caps, 'x', NULL), rc, 1) != 1 ||
	    EVT_SET(e, recipient, sm_unbracket(rc[0])) < 0)
		return -1;
	sm_service_of_mailer(sm_field(y, "mailer=", false), e);
	if (relay.len > 0)
		EVT_SET_TEXT(e, relay, relay);
	if (stat.len > 0 && strv_has_prefix(stat, "Sent"))
		e->status = EVT_STATUS_SENT;
	else if (stat.len > 0 && strv_has_prefix(stat, "Deferred"))
		e->status = EVT_STATUS_DEFERRED;
	else if (stat.len > 0 && !strv_has_prefix(stat, "queued"))
		e->status = EVT_STATUS_BOUNCED;
	if (dsn.len > 0) {
		if (EVT_SET(e, dsn, dsn) < 0)
			return -1;
		if (dsn.p[0] == '2')
			e->status = EVT_STATUS_SENT;
		else if (dsn.p[0] == '4')
			e->status = EVT_STATUS_DEFERRED;
		else if (dsn.p[0] == '5')
			e->status = EVT_STATUS_BOUNCED;
	}
	if (e->status == EVT_STATUS_NONE) {
		e->type = EVT_NONE;	/* "stat=queued": no outcome yet */
		return 0;
	}
	if (e->status != EVT_STATUS_SENT && stat.len > 0)
		EVT_SET_TEXT(e, reason, stat);
	return 0;
}

/* "from=<s>, size=N, class=0, nrcpts=M, msgid=<..>, proto=ESMTP,
 * daemon=MTA, relay=host [ip]". */
static int
sm_fix_from(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv y = pm_get(caps, 'y', NULL);
	const char *r = sm_rfind(y, ", relay="), *d;
	struct strv head = r != NULL ? strv_make(y.p, (size_t)(r - y.p)) : y;

	(void)f;
	if (sm_last_relay(y, e) < 0)
		return -1;
	e->service[0] = '\0';
	if ((d = sm_rfind(head, ", daemon=")) != NULL) {
		struct strv dn = sm_after(head, d, 9);

		evt_set(e->service, sizeof(e->service),
			strv_cstr(strv_find(dn, STRV_LIT("MSA")) != NULL ? "submission" : "smtp"));
	}
	if (e->nrcpt == 0) {
		e->type = EVT_REJECT;
		e->flags &= ~(uint32_t)(EVT_HAS_NRCPT | EVT_HAS_SIZE);
		e->size = 0;
		evt_set_text(e->reason, sizeof(e->reason), STRV_LIT("no valid recipients"));
	}
	return 0;
}

/* "AUTH failure (LOGIN): <SASL text>, user=u, relay=host [ip] (may be
 * forged)"; the user part is absent when the client sent none. */
static int
sm_fix_authfail(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv x = pm_get(caps, 'x', NULL);
	const char *r = sm_rfind(x, ", relay="), *u;
	struct strv head = r != NULL ? strv_make(x.p, (size_t)(r - x.p)) : x;

	(void)f;
	if (r != NULL && sm_relay_ip(sm_after(x, r, 8), e) < 0)
		return -1;
	if ((u = strv_find(head, STRV_LIT(", user="))) != NULL) {
		if (EVT_SET(e, account, sm_after(head, u, 7)) < 0)
			return -1;
		head.len = (size_t)(u - head.p);
	}
	EVT_SET_TEXT(e, reason, head);
	return 0;
}

/* "ruleset=check_rcpt, arg1=<r>, relay=host [ip], reject=550 5.7.1 ...". */
static int
sm_fix_ruleset(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv rs = pm_get(caps, 'a', NULL), arg = sm_unbracket(pm_get(caps, 'y', NULL));

	if (sm_fix_host(caps, e, f) < 0)
		return -1;
	sm_reply(pm_get(caps, 'x', NULL), e);
	/* The refused address, when it fits; the reject stands without it. */
	if (strv_eq_cstr(rs, "check_rcpt") && EVT_SET(e, recipient, arg) < 0)
		e->recipient[0] = '\0';
	if (strv_eq_cstr(rs, "check_mail") && EVT_SET(e, sender, arg) == 0)
		e->flags |= EVT_HAS_SENDER;
	return 0;
}

static int
sm_fix_attack(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv cmd = pm_get(caps, 'a', NULL);
	char why[80];
	int n;

	if (sm_fix_host(caps, e, f) < 0)
		return -1;
	if (strv_eq_nocase(cmd, STRV_LIT("AUTH")))
		e->type = EVT_AUTH_FAILURE;
	n = snprintf(why, sizeof(why), "possible SMTP attack: command=%.*s",
		     (int)(cmd.len > 40 ? 40 : cmd.len), cmd.p);
	if (n > 0 && (size_t)n < sizeof(why))
		evt_set_text(e->reason, sizeof(e->reason), strv_make(why, (size_t)n));
	return 0;
}

/* Rejects whose reason is the line's own words. */
static int
sm_fix_lost(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv after = pm_get(caps, 'a', NULL);
	char why[80];
	int n;

	if (sm_fix_host(caps, e, f) < 0)
		return -1;
	n = snprintf(why, sizeof(why), "lost input channel after %.*s",
		     (int)(after.len > 40 ? 40 : after.len), after.p);
	if (n > 0 && (size_t)n < sizeof(why))
		evt_set_text(e->reason, sizeof(e->reason), strv_make(why, (size_t)n));
	return 0;
}

static int
sm_fix_noissue(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	evt_set_text(e->reason, sizeof(e->reason),
		     STRV_LIT("did not issue MAIL/EXPN/VRFY/ETRN"));
	return sm_fix_host(caps, e, f);
}

static int
sm_fix_pregreet(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	evt_set_text(e->reason, sizeof(e->reason), STRV_LIT("pre-greeting traffic"));
	return sm_fix_host(caps, e, f);
}

static int
sm_fix_probe(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv cmd = pm_get(caps, 'a', NULL);

	EVT_SET_TEXT(e, reason, cmd);
	return sm_fix_host(caps, e, f);
}

static int
sm_fix_milter(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)f;
	sm_reply(pm_get(caps, 'x', NULL), e);
	return 0;
}

static int
sm_fix_dsn(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv why = pm_get(caps, 'R', NULL);

	(void)f;
	if (strv_has_prefix(why, "Return receipt") || strv_has_prefix(why, "Warning:") ||
	    strv_has_prefix(why, "Delivery"))
		e->type = EVT_NONE;	/* a receipt or delay notice, not a bounce */
	return 0;
}

/* Lines after "QID: ". */
PM_TABLE(sm_qid_rules) = {
	/* "j4K97fD5028627: to=somebody@example.net, delay=00:00:01, xdelay=00:00:00, mailer=esmtp, pri=34674, relay=mx.example.net. [192.0.2.7], dsn=2.0.0, stat=Sent (ok ; id=20050520090742r1700irb9oe)" */
	{ "to=%x, %y", EVT_DELIVERY, EVT_STATUS_NONE, sm_fix_to },
	/* "j061bXn5000812: from=<user@example.org>, size=2262, class=0, nrcpts=1, msgid=<200501060137.j061bW9V000809@example.org>, proto=ESMTP, daemon=MTA, relay=localhost [127.0.0.1]" */
	{ "from=%s, size=%z, class=%*, nrcpts=%n, %y", EVT_MESSAGE_ACCEPTED, EVT_STATUS_NONE,
	  sm_fix_from },
	{ "from=%s, size=%z, class=%*, nrcpts=%n", EVT_MESSAGE_ACCEPTED, EVT_STATUS_NONE,
	  sm_fix_from },
	/* "u1AB2cDe012345: AUTH=server, relay=client.example.net [192.0.2.10], authid=user@example.com, mech=PLAIN, bits=0" */
	{ "AUTH=server, relay=%h, authid=%u, mech=%m, bits=%*", EVT_AUTH_SUCCESS,
	  EVT_STATUS_NONE, sm_fix_host },
	/* "u1AB2cDe012345: AUTH=client, relay=smarthost.example.net, mech=PLAIN, bits=0" */
	{ "AUTH=client, %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "j4K970hV028494: j4K975hV028499: DSN: Service unavailable" */
	{ "%N: DSN: %R", EVT_BOUNCE, EVT_STATUS_NONE, sm_fix_dsn },
	/* "j4IKMrAb010918: j4IKMrAc010918: return to sender: Service unavailable" */
	{ "%N: return to sender: %R", EVT_BOUNCE, EVT_STATUS_NONE, NULL },
	/* "j4K9EjQ0008950: j4K9ElQ0008953: postmaster notify: Data format error" */
	{ "%*: postmaster notify: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "j4K488I4001736: j4K6MJcE012524: sender notify: Warning: could not send message for past 4 hours" */
	{ "%*: sender notify: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "h9NL1K9M013890: h9NL1K9M013891: clone: owner=Postmaster" */
	{ "%*: clone: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "j78ASk4e013165: done; delay=00:00:01, ntries=1" */
	{ "done; %*", EVT_MSG_DONE, EVT_STATUS_NONE, NULL },
	/* "j4KC1gSG002847: <nobody@example.edu>... User unknown" */
	{ "<%r>... %R", EVT_REJECT, EVT_STATUS_NONE, NULL },
	/* "k876hJS0063495: Milter: data, reject=550 5.7.1 Blocked by SpamAssassin" */
	{ "Milter%*: %*reject=%x", EVT_REJECT, EVT_STATUS_NONE, sm_fix_milter },
	/* "k876hJS0063495: Milter add: header: X-Spam-Status: No" */
	{ "Milter%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "j4K99tuR029876: message size (12382169) exceeds maximum (10000000)" */
	{ "message size (%*) exceeds maximum (%*)", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "j4K9BaxO030728: collect: premature EOM: unexpected close" */
	{ "collect: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "j4KD7jBi016329: Syntax error in mailbox address \"x@example.com.??\" (non-printable character)" */
	{ "Syntax error in mailbox address %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "j4KDiPiE031648: Fixed MIME Content-Type header field (possible attack)" */
	{ "Fixed MIME %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "j4KFfYNi013124: mx.example.net.: SMTP DATA-2 protocol error: 500 Mail appears to be unsolicited" */
	{ "%*: SMTP %* protocol error: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "h8O5WptI019921: Losing ./qfh8O5WptI0 19921: savemail panic" */
	{ "Losing %*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* Lines with or without a queue id. */
PM_TABLE(sm_rules) = {
	/* "ruleset=check_relay, arg1=host.example.com, arg2=192.0.2.17, relay=host.example.com [192.0.2.17], reject=421 4.3.2 Connection rate limit exceeded." */
	/* "s1REn1un088377: ruleset=check_rcpt, arg1=<nobody@example.com>, relay=dsl.example.net [198.51.100.74], reject=550 5.1.1 <nobody@example.com>... User unknown" */
	{ "ruleset=%a, arg1=%y, relay=%h, reject=%x", EVT_REJECT, EVT_STATUS_NONE,
	  sm_fix_ruleset },
	/* "s1GNXHYB005133: [192.0.2.1]: possible SMTP attack: command=AUTH, count=5" */
	{ "%h: possible SMTP attack: command=%a, count=%A", EVT_REJECT, EVT_STATUS_NONE,
	  sm_fix_attack },
	/* "06I02CNi016764: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=user@example.com, relay=example.com [192.0.2.3] (may be forged)" */
	{ "AUTH failure (%m): %x", EVT_AUTH_FAILURE, EVT_STATUS_NONE, sm_fix_authfail },
	/* "56VFYCxS024291: lost input channel from mail.example.org [192.0.2.196] to MTA-v4 after rcpt" */
	{ "lost input channel from %h to %* after %a", EVT_REJECT, EVT_STATUS_NONE,
	  sm_fix_lost },
	/* "v26LtRA0020949: host.example.org [192.0.2.194] did not issue MAIL/EXPN/VRFY/ETRN during connection to MTA" */
	{ "%h did not issue MAIL/EXPN/VRFY/ETRN during connection to %*", EVT_REJECT,
	  EVT_STATUS_NONE, sm_fix_noissue },
	/* "u9A0GtpL018001: rejecting commands from example.com [192.0.2.4] due to pre-greeting traffic after 6 seconds" */
	{ "rejecting commands from %h due to pre-greeting traffic%*", EVT_REJECT,
	  EVT_STATUS_NONE, sm_fix_pregreet },
	/* "s1MD2hsd004030: dsl.example.net [192.0.2.194]: EXPN root [rejected]" */
	{ "%h: %a [rejected]", EVT_REJECT, EVT_STATUS_NONE, sm_fix_probe },
	/* "j4K944gN004249: host.example.edu [192.0.2.33]: ETRN relay.example.org" */
	{ "%h: ETRN %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "STARTTLS=server, relay=host.example.net [192.0.2.5], version=TLSv1.2, verify=NO, cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256/256" */
	{ "STARTTLS%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "j4K97TIQ029478: timeout waiting for input from [192.0.2.9] during message collect" */
	{ "timeout waiting for input from %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "starting daemon (8.12.9): SMTP+queueing@01:00:00" */
	{ "starting daemon %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "File descriptors missing on startup: stdin, stdout, stderr; Bad file descriptor" */
	{ "File descriptors missing on startup%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "rejecting connections on daemon MTA: load average: 12" */
	{ "rejecting connections on daemon %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "accepting connections again for daemon MTA" */
	{ "accepting connections again for daemon %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "grew WorkList for /var/spool/mqueue/spool2 to 2000" */
	{ "grew WorkList for %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "alias database /etc/mail/aliases rebuilt by root" */
	{ "alias database %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "SYSERR(root): ..." */
	{ "SYSERR%*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* Length of a leading "QID: " queue id (letters and digits, at least one
 * digit, 8 and more characters), or 0. */
static size_t
sm_qid_len(struct strv m)
{
	size_t i;
	bool digit = false;

	for (i = 0; i < m.len && i < LIMIT_QID_MAX; i++) {
		char c = m.p[i];

		if (c >= '0' && c <= '9')
			digit = true;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			break;
	}
	if (i < 8 || i >= LIMIT_QID_MAX || !digit || i + 1 >= m.len || m.p[i] != ':' ||
	    m.p[i + 1] != ' ')
		return 0;
	return i;
}

/* A "to=" line names up to LIMIT_EVENTS_PER_LINE recipients: copy the
 * first delivery event for each further one. */
static enum parse_result
sm_more_rcpts(struct parse_out *out, const struct frame *f, struct strv rest)
{
	struct strv rc[LIMIT_EVENTS_PER_LINE];
	struct pm_caps caps;
	size_t n, i;

	if (!PM_MATCH(sm_qid_rules, 0, rest, &caps))
		return PARSE_EVENTS;
	n = sm_split_rcpts(pm_get(&caps, 'x', NULL), rc, LIMIT_EVENTS_PER_LINE);
	for (i = 1; i < n; i++) {
		struct evt *e = parse_new_evt(out, f, SM_SOURCE);

		if (e == NULL)
			break;
		*e = out->ev[0];
		if (EVT_SET(e, recipient, sm_unbracket(rc[i])) < 0) {
			out->n = 0;
			return PARSE_MALFORMED;
		}
	}
	return PARSE_EVENTS;
}

enum parse_result
parse_sendmail(const struct frame *f, struct parse_out *out)
{
	struct strv rest = f->msg, qid = STRV_NULL;
	enum parse_result r = PARSE_UNMATCHED;
	size_t n = sm_qid_len(rest);
	int i;

	if (n > 0) {
		qid = strv_make(rest.p, n);
		rest = strv_skip(rest, n + 2);
		r = PM_RUN(sm_qid_rules, f, rest, SM_SOURCE, "smtp", out);
	}
	if (r == PARSE_UNMATCHED)
		r = PM_RUN(sm_rules, f, rest, SM_SOURCE, "smtp", out);
	if (r != PARSE_EVENTS)
		return r;
	if (out->n == 1 && out->ev[0].type == EVT_DELIVERY &&
	    (r = sm_more_rcpts(out, f, rest)) != PARSE_EVENTS)
		return r;
	for (i = 0; i < out->n; i++)
		if (out->ev[i].qid[0] == '\0' && qid.len > 0)
			EVT_SET(&out->ev[i], qid, qid);
	return PARSE_EVENTS;
}
