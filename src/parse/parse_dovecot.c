/* parse_dovecot.c - Dovecot 1.x-2.4 log lines
 *
 * Dovecot writes one line per process event, prefixed with the process
 * name: login processes ("imap-login", "pop3-login", "submission-login",
 * "managesieve-login"), the auth processes ("auth", "auth-worker(123)",
 * "auth(default)", 2.4's "auth(user,ip,sasl:login)<session>"), mail
 * processes ("imap(user)", "lmtp(123)", "lda(user)") and the master.
 * The process name arrives three ways, all handled here:
 *   syslog:            prog "dovecot", msg "imap-login: Login: ..."
 *   Dovecot's own log: prog "imap-login", msg "Info: Login: ..."
 *   multilog / ISO:    no prog, msg "imap-login: Info: Login: ..."
 * Dovecot 2.3+ (and its own log file) put a level ("Info: ", "Error: ")
 * after the process name; 1.x sometimes before it. Both are skipped.
 *
 * One failed login yields two events: the auth process's line (reason
 * "password mismatch" / "unknown user", no attempts) and, when the client
 * goes away, the login process's line (attempts=N, no reason). Consumers
 * must not add them up: the login-process line is the authoritative count
 * (it summarizes every attempt of the connection); the auth-process line
 * says why, and is told apart by its reason. The same holds for the
 * pam_unix line PAM writes for each attempt.
 *
 * The client chooses the user name, and Dovecot logs it unescaped inside
 * user=<...>, before rip=. So the client address is taken from the last
 * "rip=" of the line, never from the first, and the fields are split by
 * code (dc_fields) rather than by lazy template captures.
 */
#include "parse/parse.h"

#include <string.h>

#define DC_SOURCE "dovecot"

/* ---- field helpers ---------------------------------------------------- */

/* First occurrence of key in s[0..lim) that starts s or follows a space. */
static long
dc_first_key(struct strv s, size_t lim, const char *key)
{
	size_t kl = strlen(key), i;

	for (i = 0; i + kl <= lim && i + kl <= s.len; i++)
		if (memcmp(s.p + i, key, kl) == 0 && (i == 0 || s.p[i - 1] == ' '))
			return (long)i;
	return -1;
}

/* Length of the value at p (up to ',' or ' ' or the end). */
static size_t
dc_value_len(const char *p, size_t max)
{
	size_t n = 0;

	while (n < max && p[n] != ',' && p[n] != ' ')
		n++;
	return n;
}

/* The login process's field list: "user=<u>, method=M, rip=IP, lip=IP, ...".
 * The address is the value of the last rip= (what follows rip= is written
 * by Dovecot, what precedes it may be the client's user name); the user is
 * everything between "user=<" and the last ">," before that rip=. */
static int
dc_fields(struct strv t, struct evt *e)
{
	long rip = strv_last_word(t, "rip="), u, m;
	size_t lim = rip >= 0 ? (size_t)rip : t.len, uend = 0;

	if (rip >= 0) {
		const char *v = t.p + rip + 4;

		if (evt_set_ip(e, strv_make(v, dc_value_len(v, t.len - (size_t)rip - 4))) < 0)
			return -1;
	}
	u = dc_first_key(t, lim, "user=<");
	if (u >= 0) {
		size_t i, start = (size_t)u + 6;

		for (i = lim; i-- > start;)
			if (t.p[i] == '>' && i + 1 < t.len && t.p[i + 1] == ',')
				break;
		if (i + 1 > start && i < lim && t.p[i] == '>') {
			if (EVT_SET(e, account, strv_make(t.p + start, i - start)) < 0)
				return -1;
			uend = i;
		}
	}
	/* method= between the user and rip=: the last one, for the same reason. */
	{
		struct strv mid = strv_make(t.p + uend, lim - uend);

		m = strv_last_word(mid, "method=");
		if (m >= 0) {
			const char *v = mid.p + m + 7;
			size_t n = dc_value_len(v, mid.len - (size_t)m - 7);

			if (n > 0)
				(void)EVT_SET(e, mech, strv_make(v, n));	/* cut: ignore */
		}
	}
	return 0;
}

static int
dc_fix_login(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)f;
	return dc_fields(pm_get(caps, 'x', NULL), e);
}

/* Dovecot 1.x "(0 authentication attempts)" is a connection, not a failure. */
static int
dc_fix_attempts(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	if (e->attempts == 0)
		e->type = EVT_NONE;
	return dc_fix_login(caps, e, f);
}

static int
dc_fix_proxy(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	evt_set_text(e->reason, sizeof(e->reason), STRV_LIT("proxy dest auth failed"));
	return dc_fix_login(caps, e, f);
}

/* Dovecot 1.0 "Aborted login: user=<u>, method=PLAIN, rip=...": the client
 * tried a user name and left without logging in. Without a user it is
 * only a connection. */
static int
dc_fix_aborted(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	if (dc_fix_login(caps, e, f) < 0)
		return -1;
	if (e->account[0] == '\0')
		e->type = EVT_NONE;
	else
		evt_set_text(e->reason, sizeof(e->reason), STRV_LIT("aborted login"));
	return 0;
}

/* ---- login processes: imap-login, pop3-login, ... --------------------- */

PM_TABLE(dc_login_rules) = {
	/* "Login: user=<u@example.com>, method=PLAIN, rip=192.0.2.10, lip=198.51.100.1, mpid=30726, secured, session=<QlNHvRZeMMd/AAAB>" */
	{ "Login: %x", EVT_AUTH_SUCCESS, EVT_STATUS_NONE, dc_fix_login },
	/* "Disconnected (auth failed, 2 attempts): user=<u>, method=PLAIN, rip=192.0.2.8, lip=198.51.100.1, TLS"
	 * "Disconnected: Inactivity (auth failed, 1 attempts in 178 secs): user=<u>, method=PLAIN, rip=192.0.2.8, lip=198.51.100.1, session=<6brQWt/vCADDhP/+>"
	 * "Aborted login (auth failed, 1 attempts in 17 secs): user=<test>, method=PLAIN, rip=192.0.2.13, lip=203.0.113.17, session=<YADINsQCDs5BH8Pg>"
	 * 2.4: "Login aborted: Connection closed (auth failed, 3 attempts in 16 secs) (auth_failed): user=<test>, method=PLAIN, rip=192.0.2.241, lip=203.0.113.104, TLS, session=<9ZHq02g3J8S60fan>" */
	{ "%*(auth failed, %A attempts%*): %x", EVT_AUTH_FAILURE, EVT_STATUS_NONE, dc_fix_login },
	/* 1.x: "Aborted login (1 authentication attempts): user=<u>, method=PLAIN, rip=::ffff:192.0.2.4, lip=::ffff:192.0.2.5, secured" */
	{ "%*(%A authentication attempts): %x", EVT_AUTH_FAILURE, EVT_STATUS_NONE, dc_fix_attempts },
	/* "Disconnected (no auth attempts in 58 secs): user=<>, rip=192.0.2.13, lip=203.0.113.17, session=<LgDINsQCkttVIMPg>" */
	{ "%*(no auth attempts%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "Aborted login (tried to use disallowed plaintext auth): rip=192.0.2.21, lip=198.51.100.193, session=<LgDINsQCkttVIMPg>" */
	{ "%*(tried to use %R): %x", EVT_REJECT, EVT_STATUS_NONE, dc_fix_login },
	/* "Disconnected (proxy dest auth failed): user=<u@example.com>, method=PLAIN, rip=192.0.2.4, lip=198.51.100.2, session=<NTI4FiZxcQCSud4G>" */
	{ "%*(proxy dest auth failed): %x", EVT_AUTH_FAILURE, EVT_STATUS_NONE, dc_fix_proxy },
	/* 1.0: "Aborted login: user=<u>, method=PLAIN, rip=::ffff:192.0.2.4, lip=::ffff:192.0.2.5" */
	{ "Aborted login: %x", EVT_AUTH_FAILURE, EVT_STATUS_NONE, dc_fix_aborted },
	/* "Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10): user=<u>, method=PLAIN, rip=192.0.2.4, ..."
	 * (the password was right; the login is refused for the count) */
	{ "Maximum number of connections from user+IP exceeded%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* Connections that never tried to log in:
	 * "Disconnected: rip=192.0.2.4, lip=198.51.100.5, TLS"
	 * "Disconnected (disconnected before auth was ready, waited 0 secs): user=<>, rip=192.0.2.5, ..."
	 * "Disconnected (client didn't finish SASL auth, waited 2 secs): user=<>, method=PLAIN, rip=192.0.2.6, ..."
	 * "Login aborted: Connection closed: SSL_accept() failed: ... (disconnected during TLS handshake) (tls_handshake_not_finished): user=<>, rip=192.0.2.7, ..." */
	{ "Disconnected%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	{ "Aborted login%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	{ "Login aborted%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "Time just moved backwards by 3 seconds. I'll sleep now until we're back in present. http://wiki2.dovecot.org/TimeMovedBackwards" */
	{ "Time just moved backwards%*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* ---- auth processes: passdb results ----------------------------------- */

static int
dc_why(struct evt *e, const char *why)
{
	evt_set_text(e->reason, sizeof(e->reason), strv_cstr(why));
	return 0;
}

static int
dc_why_unknown(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)caps;
	(void)f;
	return dc_why(e, "unknown user");
}

static int
dc_why_mismatch(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)caps;
	(void)f;
	return dc_why(e, "password mismatch");
}

static int
dc_why_invalid(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	(void)caps;
	(void)f;
	return dc_why(e, "invalid credentials");
}

/* The message after "driver(user,ip[,<session>]): " (or, in 2.4, after
 * "driver: "). "(given password: ...)" and "(SHA1 of given password: ...)"
 * are skipped, never captured. */
PM_TABLE(dc_auth_rules) = {
	/* "unknown user" / "unknown user (SHA1 of given password: f638ff)" */
	{ "unknown user%*", EVT_AUTH_FAILURE, EVT_STATUS_NONE, dc_why_unknown },
	/* "Password mismatch" / "Password mismatch (for LDAP bind) (SHA1 of given password: f638ff)" */
	{ "Password mismatch%*", EVT_AUTH_FAILURE, EVT_STATUS_NONE, dc_why_mismatch },
	/* "pam_authenticate() failed: Authentication failure (password mismatch?)" */
	{ "pam_authenticate() failed: Authentication failure (%*assword mismatch?)%*", EVT_AUTH_FAILURE,
	  EVT_STATUS_NONE, dc_why_mismatch },
	/* "pam_authenticate() failed: User not known to the underlying authentication module: 2 Time(s)" */
	{ "pam_authenticate() failed: User not known to the underlying authentication module%*",
	  EVT_AUTH_FAILURE, EVT_STATUS_NONE, dc_why_unknown },
	/* "pam_authenticate() failed: Permission denied" */
	{ "pam_authenticate() failed: %R", EVT_AUTH_FAILURE, EVT_STATUS_NONE, NULL },
	/* "invalid credentials" (ldap auth binds) */
	{ "invalid credentials%*", EVT_AUTH_FAILURE, EVT_STATUS_NONE, dc_why_invalid },
};

/* PAM's own line, under the dovecot PAM service. pam_unix writes
 * "... ruser=%s rhost=%s" and then, if known, "  user=%s" (two spaces). */
static int
dc_fix_pam_unix(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv t = pm_get(caps, 'x', NULL);
	size_t i;

	(void)f;
	/* ruser and user are the client's text: the address is the first
	 * " rhost=" whose value ends the line or is followed by "  user=". */
	for (i = 0; i + 7 <= t.len; i++) {
		const char *v;
		size_t n, rest;

		if (memcmp(t.p + i, "rhost=", 6) != 0 || (i > 0 && t.p[i - 1] != ' '))
			continue;
		v = t.p + i + 6;
		n = dc_value_len(v, t.len - i - 6);
		rest = t.len - i - 6 - n;
		if (rest == 0)
			return evt_set_ip(e, strv_make(v, n));
		if (rest > 7 && memcmp(v + n, "  user=", 7) == 0) {
			if (evt_set_ip(e, strv_make(v, n)) < 0)
				return -1;
			return EVT_SET(e, account, strv_make(v + n + 7, rest - 7));
		}
	}
	e->type = EVT_NONE;	/* no remote host: a local login */
	return 0;
}

PM_TABLE(dc_pam_unix_rules) = {
	/* "pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=u rhost=192.0.2.225  user=u" */
	{ "pam_unix(dovecot%*): authentication failure; %x", EVT_AUTH_FAILURE, EVT_STATUS_NONE,
	  dc_fix_pam_unix },
	/* "pam_unix(dovecot:auth): check pass; user unknown" (no client address) */
	{ "pam_unix(dovecot%*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* Auth-process lines that carry no login outcome. */
PM_TABLE(dc_auth_none_rules) = {
	/* "Time just moved backwards by 2 seconds. ..." */
	{ "Time just moved backwards%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "Support not compiled in for passdb driver 'ldap'" */
	{ "Support not compiled in%*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* Does the piece look like an attempt at an address (only hex digits, dots
 * and colons)? Such a piece that does not parse makes the line malformed. */
static bool
dc_ipish(struct strv p)
{
	size_t i;

	if (p.len == 0)
		return false;
	for (i = 0; i < p.len; i++) {
		char c = p.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
		      c == '.' || c == ':'))
			return false;
	}
	return true;
}

/* "service:mech" piece of 2.4's "auth(user,ip,sasl:login)": a word before
 * the ':' that is not hexadecimal, so never an IPv6 address. */
static bool
dc_svcpiece(struct strv p)
{
	const char *c = memchr(p.p, ':', p.len);
	size_t i;

	if (c == NULL)
		return false;
	for (i = 0; p.p + i < c; i++)
		if (!((p.p[i] >= '0' && p.p[i] <= '9') || (p.p[i] >= 'a' && p.p[i] <= 'f') ||
		      (p.p[i] >= 'A' && p.p[i] <= 'F')))
			return true;
	return false;
}

/* "user,ip", "user,ip,<session>", "user,ip,", "user,ip,sasl:login", "user":
 * the user is client text and may hold commas, so split from the right. */
static int
dc_auth_args(struct strv a, struct evt *e)
{
	size_t end = a.len;

	for (;;) {
		const char *c = NULL;
		struct strv piece;
		size_t i;

		for (i = end; i-- > 0;)
			if (a.p[i] == ',') {
				c = a.p + i;
				break;
			}
		if (c == NULL)		/* one piece left: the user alone */
			return EVT_SET(e, account, strv_make(a.p, end));
		piece = strv_make(c + 1, (size_t)(a.p + end - (c + 1)));
		if (piece.len == 0 || piece.p[0] == '<' || dc_svcpiece(piece)) {
			end = (size_t)(c - a.p);
			continue;
		}
		if (evt_set_ip(e, piece) == 0)
			return EVT_SET(e, account, strv_make(a.p, (size_t)(c - a.p)));
		if (dc_ipish(piece))
			return -1;
		return EVT_SET(e, account, strv_make(a.p, end));
	}
}

/* Driver names: "pam", "sql", "passwd-file", "ldap", "checkpassword", ... */
static bool
dc_is_driver(struct strv d)
{
	size_t i;

	if (d.len == 0 || d.len > 32)
		return false;
	for (i = 0; i < d.len; i++) {
		char c = d.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static struct strv dc_strip_level(struct strv s);

/* The shapes dc_auth takes apart itself (by PM_MATCH and index). */
PM_TABLE(dc_auth_shapes) = {
	{ "conn %*: auth-worker<%*>: %x", EVT_NONE, 0, NULL },	/* 0 */
	{ "%y(%x): %z", EVT_NONE, 0, NULL },			/* 1 */
	{ "%y: %z", EVT_NONE, 0, NULL },			/* 2 */
};

static enum parse_result
dc_auth(const struct frame *f, struct strv proc, struct strv rest, struct parse_out *out)
{
	struct pm_caps caps;
	struct strv args = STRV_NULL, what;
	enum parse_result r;
	const char *lp;

	/* 2.3 auth-worker: "conn unix:auth-worker (pid=27359,uid=97): auth-worker<55>: pam(...): ..." */
	if (PM_MATCH(dc_auth_shapes, 0, rest, &caps))
		rest = dc_strip_level(pm_get(&caps, 'x', NULL));
	if (strv_has_prefix(rest, "pam_unix("))
		return PM_RUN(dc_pam_unix_rules, f, rest, DC_SOURCE, NULL, out);
	if (PM_MATCH(dc_auth_shapes, 1, rest, &caps) && dc_is_driver(pm_get(&caps, 'y', NULL))) {
		args = pm_get(&caps, 'x', NULL);
		what = pm_get(&caps, 'z', NULL);
	} else if ((lp = memchr(proc.p, '(', proc.len)) != NULL &&
		   memchr(lp, ',', (size_t)(proc.p + proc.len - lp)) != NULL &&
		   PM_MATCH(dc_auth_shapes, 2, rest, &caps) && dc_is_driver(pm_get(&caps, 'y', NULL))) {
		/* 2.4: "auth(u@example.com,192.0.2.110,sasl:login)<CvN+E95Uf4e7eEnj>: Info: sql: Password mismatch" */
		const char *rp = memchr(lp, ')', (size_t)(proc.p + proc.len - lp));

		if (rp == NULL)
			return PARSE_UNMATCHED;
		args = strv_make(lp + 1, (size_t)(rp - lp - 1));
		what = pm_get(&caps, 'z', NULL);
	} else
		return PM_RUN(dc_auth_none_rules, f, rest, DC_SOURCE, NULL, out);
	r = PM_RUN(dc_auth_rules, f, what, DC_SOURCE, NULL, out);
	if (r == PARSE_EVENTS && dc_auth_args(args, &out->ev[out->n - 1]) < 0) {
		parse_drop_evt(out);
		return PARSE_MALFORMED;
	}
	return r;
}

/* ---- mail processes and the master ------------------------------------ */

/* Lines of a logged-in session or a local delivery. The login itself was
 * reported by the login process; Postfix reports the delivery. */
PM_TABLE(dc_mail_rules) = {
	/* "Disconnected: Logged out in=412 out=90210" / "Logged out in=12 out=431" */
	{ "Logged out%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	{ "Disconnected%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "Connection closed" / "Connection closed (UID FETCH finished 0.001 secs ago) in=1 out=2" */
	{ "Connection closed%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* lmtp: "Connect from local" / "Disconnect from local: Successful quit" */
	{ "Connect from %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	{ "Disconnect from %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "RTETANJsDVqFDAAABvoInA: sieve: msgid=<20171116104742.7CC0E4DCECC7@example.com>: stored mail into mailbox 'INBOX'" */
	{ "%*sieve: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "msgid=<a@example.com>: saved mail to INBOX" */
	{ "%*msgid=%*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

PM_TABLE(dc_master_rules) = {
	/* "Dovecot v2.3.16 (7e2e900c1a) starting up for imap, pop3, lmtp (core dumps disabled)" */
	{ "Dovecot v%* starting up%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "Killed with signal 15 (by pid=1 uid=0 code=kill)" */
	{ "Killed with signal %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "Auth process died too early - shutting down" */
	{ "Auth process died%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* ssl-build-param: "SSL parameters regeneration completed" */
	{ "SSL parameters regeneration%*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* ---- dispatch ---------------------------------------------------------- */

/* One switch on the first byte instead of six prefix compares: this runs
 * two or three times on every Dovecot line. */
static struct strv
dc_strip_level(struct strv s)
{
#define DC_LEVEL(lit) (strv_has_prefix(s, lit) ? strv_skip(s, sizeof(lit) - 1) : s)
	if (s.len == 0)
		return s;
	switch (s.p[0]) {
	case 'I': return DC_LEVEL("Info: ");
	case 'W': return DC_LEVEL("Warning: ");
	case 'E': return DC_LEVEL("Error: ");
	case 'F': return DC_LEVEL("Fatal: ");
	case 'P': return DC_LEVEL("Panic: ");
	case 'D': return DC_LEVEL("Debug: ");
	default: return s;
	}
#undef DC_LEVEL
}

/* Dovecot 1.x's own log file puts the level first: "Jun 23 15:04:05 Info:
 * imap-login: Login: ...", so the framer sees the level as the program. */
static bool
dc_is_level(struct strv p)
{
	return strv_eq_cstr(p, "Info") || strv_eq_cstr(p, "Warning") || strv_eq_cstr(p, "Error") ||
	       strv_eq_cstr(p, "Fatal") || strv_eq_cstr(p, "Panic");
}

/* Length of the process base name: letters, digits, '-' and '_' up to
 * "(", "<", "[" or the end. */
static size_t
dc_name_len(struct strv p)
{
	/* Letters, digits, '-' and '_': one table lookup per byte (this runs
	 * twice on every Dovecot line). */
	static const unsigned char ok[256] = {
		['-'] = 1, ['_'] = 1,
		['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
		['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
		['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
		['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
		['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
		['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
		['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
		['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
		['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
		['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	};
	size_t i = 0;

	while (i < p.len && ok[(unsigned char)p.p[i]])
		i++;
	return i;
}

/* Split "proc: rest" off msg. proc is a process name, optionally followed
 * by "(...)", "<...>" or "[...]" parts, with no space. */
static bool
dc_peel(struct strv *msg, struct strv *proc)
{
	const char *c = strv_find(*msg, STRV_LIT(": "));
	struct strv p;
	size_t n;

	if (c == NULL)
		return false;
	p = strv_make(msg->p, (size_t)(c - msg->p));
	n = dc_name_len(p);
	if (n == 0 || memchr(p.p, ' ', p.len) != NULL)
		return false;
	if (n < p.len && p.p[n] != '(' && p.p[n] != '<' && p.p[n] != '[')
		return false;
	*proc = p;
	*msg = strv_skip(*msg, p.len + 2);
	return true;
}

static bool
dc_name_is(struct strv name, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strv_eq_cstr(name, list[i]))
			return true;
	return false;
}

enum parse_result
parse_dovecot(const struct frame *f, struct parse_out *out)
{
	static const char *const mail_procs[] = {
		"imap", "pop3", "lmtp", "lda", "deliver", "submission", "managesieve",
		"IMAP", "POP3", "indexer-worker", "quota-status",
	};
	struct strv proc = f->prog, rest = f->msg, name;
	char svc[LIMIT_SERVICE_MAX];
	int hops;

	/* syslog "dovecot: [Info: ]imap-login: ..."; repeated summaries even
	 * nest "dovecot: dovecot: auth(default): ...". */
	for (hops = 0; hops < 3 && (proc.len == 0 || strv_eq_cstr(proc, "dovecot") || dc_is_level(proc));
	     hops++) {
		struct strv r = dc_strip_level(rest), p;

		if (!dc_peel(&r, &p)) {
			if (proc.len == 0)
				return PARSE_UNMATCHED;
			return PM_RUN(dc_master_rules, f, r, DC_SOURCE, NULL, out);
		}
		proc = p;
		rest = r;
	}
	/* Outcomes are logged at Info level or above; debug lines (auth_debug,
	 * mail_debug) repeat lookups and settings, never a result. */
	if (strv_has_prefix(rest, "Debug: "))
		return PARSE_NOEVENT;
	rest = dc_strip_level(rest);
	name = strv_make(proc.p, dc_name_len(proc));

	if (name.len > 6 && memcmp(name.p + name.len - 6, "-login", 6) == 0) {
		size_t sl = name.len - 6;
		enum parse_result r;

		if (sl >= sizeof(svc))
			sl = 0;
		memcpy(svc, name.p, sl);
		svc[sl] = '\0';
		r = PM_RUN(dc_login_rules, f, rest, DC_SOURCE, sl > 0 ? svc : NULL, out);
		return r;
	}
	if (strv_eq_cstr(name, "auth") || strv_eq_cstr(name, "auth-worker") ||
	    strv_eq_cstr(name, "dovecot-auth"))
		return dc_auth(f, proc, rest, out);
	if (dc_name_is(name, mail_procs, sizeof(mail_procs) / sizeof(mail_procs[0])))
		return PM_RUN(dc_mail_rules, f, rest, DC_SOURCE, NULL, out);
	if (strv_eq_cstr(name, "master") || strv_eq_cstr(name, "ssl-build-param") ||
	    strv_eq_cstr(name, "ssl-params"))
		return PM_RUN(dc_master_rules, f, rest, DC_SOURCE, NULL, out);
	return PARSE_UNMATCHED;
}
