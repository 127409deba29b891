/* parse_exim.c - Exim main log lines (native mainlog or through syslog)
 *
 * A message line starts with the message id ("1CzYHn-0008AJ-7F" before
 * 4.97, "10HmaX-000000005vi-0000" after). It is cut off first and put back
 * on the events, so one table serves "ID H=... rejected after DATA" and the
 * same line without an id. A leading "[pid] " (log_selector +pid) and, for
 * syslog copies of the mainlog, a leading "YYYY-MM-DD hh:mm:ss" are skipped.
 *
 * Exim logs fields as "X=value"; the client is "H=name (helo) [ip]:port".
 * The HELO inside the parentheses may itself be an address literal
 * ("H=([192.0.2.5]) [192.0.2.4]"), so the client address is the first
 * bracket that opens a word. Exim refuses a HELO that is not a valid name
 * or literal, so an accepted one cannot fake that bracket.
 *
 * Decisions:
 * - SMTP AUTH success is logged only on the reception line ("<= ... A=
 *   authenticator:id"). It yields two events: an auth_success (so logins
 *   are counted like every other daemon's) followed by the
 *   message_accepted, both carrying account and ip. Without ":id" (no
 *   server_set_id) there is no account and no auth_success.
 * - The SASL mechanism is guessed from the authenticator's name, which by
 *   convention names it ("dovecot_plain" -> PLAIN, "login" -> LOGIN).
 * - "<= <> R=ID" is a bounce Exim generated for message ID: besides its
 *   message_accepted it yields a bounce with qid ID and ndr_qid this id.
 * - "SMTP protocol error in "CMD" H=..." quotes client text before the
 *   host: the last " H=" of the line is the client (fail2ban's injection
 *   vector "aUtH lOgIn" H=(test) [8.8.8.8]" H=(x) [192.0.2.6]").
 * - "no MAIL in SMTP connection", "closed by DROP in ACL", "SMTP call ...
 *   dropped" are rejects (protocol abuse); plain connection and lost
 *   connection lines, "no host name found", "Warning:" lines carry none.
 * - U= (the local user or an ident answer) is never taken as account.
 */
#include "parse/parse.h"

#include <string.h>

#include "util/scan.h"

#define EX_SOURCE "exim"

/* What the reception line's fields say. */
struct ex_in {
	struct strv ip, auth, acct, proto, bounce_of;
	uint64_t size;
	bool has_size, bad_size;
	unsigned port;		/* the local interface port (I=), 0 if absent */
	uint32_t nrcpt;
	bool has_nrcpt;
};

static bool
ex_is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Length of a leading Exim message id followed by a space, or 0. */
static size_t
ex_id_len(struct strv m)
{
	size_t i = 0, part = 0, n = 0;
	static const size_t min[3] = { 6, 6, 2 }, max[3] = { 6, 11, 4 };

	for (;;) {
		size_t s = i;

		while (i < m.len && ex_is_alnum(m.p[i]))
			i++;
		n = i - s;
		if (n < min[part] || n > max[part])
			return 0;
		if (part == 2)
			break;
		if (i >= m.len || m.p[i] != '-')
			return 0;
		i++;
		part++;
	}
	return i < m.len && m.p[i] == ' ' ? i : 0;
}

/* The client address of a host field "name (helo) [ip]:port ...": the
 * first '[' that starts the value or follows a space. *end is set past the
 * bracket and its port. Returns -1 when there is none. */
static int
ex_host(struct strv s, struct strv *ip, size_t *end)
{
	size_t i, j;

	for (i = 0; i < s.len; i++) {
		if (s.p[i] != '[' || (i > 0 && s.p[i - 1] != ' '))
			continue;
		for (j = i + 1; j < s.len && s.p[j] != ']'; j++)
			;
		if (j >= s.len)
			return -1;
		*ip = strv_make(s.p + i + 1, j - i - 1);
		j++;
		if (j < s.len && s.p[j] == ':')
			for (j++; j < s.len && s.p[j] >= '0' && s.p[j] <= '9'; j++)
				;
		if (end != NULL)
			*end = j;
		return 0;
	}
	return -1;
}

static int
ex_set_host(struct strv s, struct evt *e)
{
	struct strv ip;

	if (ex_host(s, &ip, NULL) < 0)
		return 0;	/* no client address: the event stands without */
	return evt_set_ip(e, ip);
}

/* Value of a " K=" field (first occurrence) up to the next space. */
static struct strv
ex_field(struct strv s, const char *key)
{
	size_t kl = strlen(key), i, j;

	for (i = 0; i + kl <= s.len; i++) {
		if ((i == 0 || s.p[i - 1] == ' ') && memcmp(s.p + i, key, kl) == 0) {
			for (j = i + kl; j < s.len && s.p[j] != ' '; j++)
				;
			return strv_make(s.p + i + kl, j - i - kl);
		}
	}
	return STRV_NULL;
}

/* Position of the last " H=" (or a leading "H="), or NULL. */
static const char *
ex_last_h(struct strv s)
{
	size_t i;

	for (i = s.len; i-- > 0;)
		if (s.p[i] == 'H' && i + 1 < s.len && s.p[i + 1] == '=' &&
		    (i == 0 || s.p[i - 1] == ' '))
			return s.p + i;
	return NULL;
}

/* The mechanism an authenticator's name suggests, or NULL. */
static const char *
ex_mech(struct strv name)
{
	static const struct {
		const char *part, *mech;
	} map[] = {
		{ "plain", "PLAIN" },	  { "login", "LOGIN" },	       { "scram", "SCRAM-SHA-1" },
		{ "cram", "CRAM-MD5" },	  { "digest", "DIGEST-MD5" },  { "oauth", "XOAUTH2" },
		{ "external", "EXTERNAL" }, { "gssapi", "GSSAPI" },   { "ntlm", "NTLM" },
	};
	char low[64];
	size_t i, n = name.len < sizeof(low) - 1 ? name.len : sizeof(low) - 1;

	for (i = 0; i < n; i++) {
		char c = name.p[i];

		low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 'a' - 'A') : c;
	}
	low[n] = '\0';
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(low, map[i].part) != NULL)
			return map[i].mech;
	return NULL;
}

static void
ex_set_service_port(struct evt *e, unsigned port)
{
	const char *s = port == 587 ? "submission" : port == 465 ? "smtps" : "smtp";

	evt_set(e->service, sizeof(e->service), strv_cstr(s));
}

/* The local port of an "I=[ip]:port" field, or 0. */
static unsigned
ex_port(struct strv s)
{
	struct strv v = ex_field(s, "I=");
	const char *rb = v.len > 0 ? memchr(v.p, ']', v.len) : NULL;
	uint32_t port;

	if (rb == NULL || rb + 1 >= v.p + v.len || rb[1] != ':' ||
	    scan_u32(rb + 2, (size_t)(v.p + v.len - rb - 2), &port) < 0 || port > 65535)
		return 0;
	return port;
}

/* The "for r1 r2" list that ends a reception line (log_selector
 * +received_recipients), after a subject or Message-ID that may hold
 * anything: the last " for " followed only by addresses. */
static void
ex_for_list(struct strv x, struct ex_in *in)
{
	const char *f = NULL, *p;
	uint32_t n = 0;
	size_t i;

	for (i = x.len; i >= 5 && f == NULL; i--)
		if (memcmp(x.p + i - 5, " for ", 5) == 0)
			f = x.p + i;
	if (f == NULL)
		return;
	for (p = f; p < x.p + x.len;) {
		const char *e = memchr(p, ' ', (size_t)(x.p + x.len - p));

		if (e == NULL)
			e = x.p + x.len;
		if (e > p) {
			if (memchr(p, '@', (size_t)(e - p)) == NULL)
				return;
			n++;
		}
		p = e + 1;
	}
	in->nrcpt = n;
	in->has_nrcpt = n > 0;
}

/* Walk the fields after "<= sender ". Stops at T= and id= (the subject
 * and Message-ID are the client's text) and at "for" (the recipients). */
static int
ex_in_fields(struct strv x, struct ex_in *in)
{
	size_t i = 0;

	memset(in, 0, sizeof(*in));
	while (i < x.len) {
		struct strv tok;
		size_t j;

		while (i < x.len && x.p[i] == ' ')
			i++;
		if (i >= x.len)
			break;
		if (x.len - i >= 2 && memcmp(x.p + i, "H=", 2) == 0) {
			size_t end;
			struct strv rest = strv_make(x.p + i + 2, x.len - i - 2);

			if (ex_host(rest, &in->ip, &end) < 0) {
				for (j = i; j < x.len && x.p[j] != ' '; j++)
					;
				i = j;
				continue;
			}
			i += 2 + end;
			continue;
		}
		for (j = i; j < x.len && x.p[j] != ' '; j++)
			;
		tok = strv_make(x.p + i, j - i);
		if (strv_has_prefix(tok, "T=") || strv_has_prefix(tok, "id=")) {
			ex_for_list(strv_skip(x, i), in);
			break;
		}
		if (strv_eq_cstr(tok, "for")) {
			uint32_t n = 0;

			for (; j < x.len; j++)
				if (x.p[j] != ' ' && x.p[j - 1] == ' ')
					n++;
			in->nrcpt = n;
			in->has_nrcpt = n > 0;
			break;
		}
		if (strv_has_prefix(tok, "DN=\"") || strv_has_prefix(tok, "SNI=\"")) {
			const char *q = memchr(tok.p + 4, '"', (size_t)(x.p + x.len - tok.p - 4));

			/* a quoted value may hold spaces: skip to its closing quote */
			j = q != NULL ? (size_t)(q - x.p) + 1 : x.len;
		} else if (strv_has_prefix(tok, "A=")) {
			const char *c = memchr(tok.p, ':', tok.len);

			in->auth = strv_make(tok.p + 2, (c != NULL ? (size_t)(c - tok.p) : tok.len) - 2);
			if (c != NULL)
				in->acct = strv_make(c + 1, (size_t)(tok.p + tok.len - c - 1));
		} else if (strv_has_prefix(tok, "S=")) {
			in->has_size = true;
			in->bad_size = scan_u64(tok.p + 2, tok.len - 2, &in->size) < 0;
		} else if (strv_has_prefix(tok, "P="))
			in->proto = strv_skip(tok, 2);
		else if (strv_has_prefix(tok, "R="))
			in->bounce_of = strv_skip(tok, 2);
		else if (strv_has_prefix(tok, "I=")) {
			in->port = ex_port(tok);
		}
		i = j;
	}
	return 0;
}

/* "<= sender H=host (helo) [ip]:port I=[ip]:587 P=esmtpsa A=dovecot_plain:u S=1234 id=..." */
static int
ex_fix_in(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct ex_in in;
	const char *mech;

	(void)f;
	ex_in_fields(pm_get(caps, 'x', NULL), &in);
	if (in.ip.len > 0 && evt_set_ip(e, in.ip) < 0)
		return -1;
	if (in.has_size) {
		if (in.bad_size)
			return -1;
		e->size = in.size;
		e->flags |= EVT_HAS_SIZE;
	}
	if (in.has_nrcpt) {
		e->nrcpt = in.nrcpt;
		e->flags |= EVT_HAS_NRCPT;
	}
	if (in.acct.len > 0 && EVT_SET(e, account, in.acct) < 0)
		return -1;
	if (in.auth.len > 0 && (mech = ex_mech(in.auth)) != NULL)
		evt_set(e->mech, sizeof(e->mech), strv_cstr(mech));
	e->service[0] = '\0';
	if (in.proto.len > 0 && !strv_has_prefix(in.proto, "local") &&
	    strv_find(in.proto, STRV_LIT("smtp")) != NULL)
		ex_set_service_port(e, in.port);
	return 0;
}

/* Exim's transport names -> our delivery service names. */
static void
ex_service_of_transport(struct strv t, struct evt *e)
{
	const char *s = "local";

	if (strv_find(t, STRV_LIT("lmtp")) != NULL)
		s = "lmtp";
	else if (strv_find(t, STRV_LIT("smtp")) != NULL)
		s = "smtp";
	else if (strv_find(t, STRV_LIT("pipe")) != NULL)
		s = "pipe";
	e->service[0] = '\0';
	if (t.len > 0)
		evt_set(e->service, sizeof(e->service), strv_cstr(s));
}

/* An enhanced status code "d.d.d" after a 3-digit reply in text, or empty. */
static void
ex_dsn(struct strv t, struct evt *e)
{
	size_t i, j;

	for (i = 0; i + 9 < t.len; i++) {
		int dots = 0;

		if (!(t.p[i] >= '2' && t.p[i] <= '5') || (i > 0 && ex_is_alnum(t.p[i - 1])) ||
		    !(t.p[i + 1] >= '0' && t.p[i + 1] <= '9') ||
		    !(t.p[i + 2] >= '0' && t.p[i + 2] <= '9') ||
		    (t.p[i + 3] != ' ' && t.p[i + 3] != '-') || t.p[i + 4] != t.p[i])
			continue;
		for (j = i + 4; j < t.len && ((t.p[j] >= '0' && t.p[j] <= '9') || t.p[j] == '.');
		     j++)
			dots += t.p[j] == '.';
		if (dots == 2 && j - (i + 4) >= 5 && j - (i + 4) < LIMIT_DSN_MAX) {
			EVT_SET(e, dsn, strv_make(t.p + i + 4, j - i - 4));
			return;
		}
	}
}

/* "=> addr <orig> R=router T=transport H=mx [ip] C=\"250 OK\"", and the
 * "->", "**" (": reason") and "==" ("defer (n): reason") variants. */
static int
ex_fix_out(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv x = pm_get(caps, 'x', NULL), addr, next, t, h;
	const char *p, *colon;
	size_t i = 0, j;

	(void)f;
	while (i < x.len && x.p[i] == ' ')
		i++;
	for (j = i; j < x.len && x.p[j] != ' ' && !(x.p[j] == ':' && (j + 1 == x.len || x.p[j + 1] == ' ')); j++)
		;
	addr = strv_make(x.p + i, j - i);
	/* "local_part <original@address>": keep the full original address */
	next = strv_skip(x, j + 1);
	if (addr.len > 0 && memchr(addr.p, '@', addr.len) == NULL && next.len > 2 && next.p[0] == '<' &&
	    (p = memchr(next.p, '>', next.len)) != NULL)
		addr = strv_make(next.p + 1, (size_t)(p - next.p - 1));
	if (addr.len == 0 || EVT_SET(e, recipient, addr) < 0)
		return -1;
	t = ex_field(x, "T=");
	if (t.len > 0 && t.p[t.len - 1] == ':')
		t.len--;
	ex_service_of_transport(t, e);
	if ((p = strv_find(x, STRV_LIT(" H="))) != NULL) {
		size_t end;
		struct strv ip;

		h = strv_make(p + 3, (size_t)(x.p + x.len - p - 3));
		if (ex_host(h, &ip, &end) == 0)
			h.len = end;
		else if ((p = memchr(h.p, ' ', h.len)) != NULL)
			h.len = (size_t)(p - h.p);
		EVT_SET_TEXT(e, relay, h);
	}
	if (e->status == EVT_STATUS_SENT)
		return 0;
	/* The reason follows "defer (n): " or the first ": " after the address. */
	if ((p = strv_find(x, STRV_LIT("defer ("))) != NULL &&
	    (colon = strv_find(strv_make(p, (size_t)(x.p + x.len - p)), STRV_LIT("): "))) != NULL)
		t = strv_make(colon + 3, (size_t)(x.p + x.len - colon - 3));
	else if ((colon = strv_find(strv_skip(x, j), STRV_LIT(": "))) != NULL)
		t = strv_make(colon + 2, (size_t)(x.p + x.len - colon - 2));
	else if (j < x.len && x.p[j] == ':')
		t = strv_skip(x, j + 1);
	else
		t = STRV_NULL;
	t = strv_trim(t);
	if (t.len > 0) {
		EVT_SET_TEXT(e, reason, t);
		ex_dsn(t, e);
	}
	return 0;
}

/* "dovecot_login authenticator failed for (helo) [ip]:port I=[ip]:25: 535
 * Incorrect authentication data (set_id=user)". */
static int
ex_fix_authfail(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv h = pm_get(caps, 'h', NULL), x = pm_get(caps, 'x', NULL);
	const char *mech = ex_mech(pm_get(caps, 'a', NULL)), *s, *close;

	(void)f;
	if (ex_set_host(h, e) < 0)
		return -1;
	ex_set_service_port(e, ex_port(h));
	if (mech != NULL)
		evt_set(e->mech, sizeof(e->mech), strv_cstr(mech));
	/* set_id is the client's text: it runs to the last ')' of the line */
	if ((s = strv_find(x, STRV_LIT("(set_id="))) != NULL) {
		struct strv v = strv_make(s + 8, (size_t)(x.p + x.len - s - 8));

		for (close = NULL; v.len > 0; v.len--)
			if (v.p[v.len - 1] == ')') {
				close = v.p + v.len - 1;
				break;
			}
		if (close == NULL || EVT_SET(e, account, strv_make(v.p, (size_t)(close - v.p))) < 0)
			return -1;
		x.len = (size_t)(s - x.p);
	}
	x = strv_trim(x);
	if (x.len > 4 && x.p[0] >= '4' && x.p[0] <= '5' && x.p[3] == ' ')
		x = strv_skip(x, 4);
	EVT_SET_TEXT(e, reason, x);
	return 0;
}

/* Rejects "H=host [ip] F=<s> rejected ...": the client from H=, the sender
 * from F= when given. */
static int
ex_fix_hfields(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv h = pm_get(caps, 'h', NULL), ip, fs;
	size_t end = 0;

	(void)f;
	if (ex_host(h, &ip, &end) == 0) {
		if (evt_set_ip(e, ip) < 0)
			return -1;
		ex_set_service_port(e, ex_port(strv_skip(h, end)));
	}
	fs = ex_field(strv_skip(h, end), "F=");
	if (fs.len > 0 && !(e->flags & EVT_HAS_SENDER)) {
		if (fs.len >= 2 && fs.p[0] == '<' && fs.p[fs.len - 1] == '>')
			fs = strv_make(fs.p + 1, fs.len - 2);
		if (EVT_SET(e, sender, fs) == 0)
			e->flags |= EVT_HAS_SENDER;
	}
	return 0;
}

static int
ex_reason(struct evt *e, const char *why)
{
	evt_set_text(e->reason, sizeof(e->reason), strv_cstr(why));
	return 0;
}

static int
ex_fix_helo(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv r = pm_get(caps, 'R', NULL);
	const char *c = strv_find(r, STRV_LIT(": "));

	/* "rejected EHLO or HELO <helo>: reason": drop the client's helo */
	if (c != NULL)
		EVT_SET_TEXT(e, reason, strv_make(c + 2, (size_t)(r.p + r.len - c - 2)));
	return ex_fix_hfields(caps, e, f);
}

static int
ex_fix_drop(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	ex_reason(e, "closed by DROP in ACL");
	return ex_fix_hfields(caps, e, f);
}

static int
ex_fix_refused(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	ex_reason(e, "connection refused");
	return ex_fix_hfields(caps, e, f);
}

static int
ex_fix_nomail(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	ex_reason(e, "no MAIL in SMTP connection");
	return ex_fix_hfields(caps, e, f);
}

/* "SMTP protocol error in "CMD" H=..." and "SMTP protocol synchronization
 * error (...): rejected ... H=...": the last H= is the client; the text
 * after its host fields is the reason for protocol errors. */
static int
ex_fix_proto(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv x = pm_get(caps, 'x', NULL), h, ip, tail;
	const char *p = ex_last_h(x);
	size_t end;
	bool sync = pm_has(caps, 'y');

	(void)f;
	if (p == NULL)
		return ex_reason(e, sync ? "SMTP protocol synchronization error" : "SMTP protocol error");
	h = strv_make(p + 2, (size_t)(x.p + x.len - p - 2));
	if (ex_host(h, &ip, &end) < 0)
		return ex_reason(e, "SMTP protocol error");
	if (evt_set_ip(e, ip) < 0)
		return -1;
	tail = strv_skip(h, end);
	ex_set_service_port(e, ex_port(tail));
	if (sync)
		return ex_reason(e, "SMTP protocol synchronization error");
	/* skip the " I=[ip]:port Ci=n" fields before the message */
	while (tail.len > 0) {
		size_t i = 0;

		tail = strv_trim(tail);
		while (i < tail.len && tail.p[i] != ' ' && tail.p[i] != '=')
			i++;
		if (i >= tail.len || tail.p[i] != '=')
			break;
		while (i < tail.len && tail.p[i] != ' ')
			i++;
		tail = strv_skip(tail, i);
	}
	EVT_SET_TEXT(e, reason, tail.len > 0 ? tail : STRV_LIT("SMTP protocol error"));
	return 0;
}

/* "SA: Action: flagged as Spam but accepted: score=8.2 required=5.0 (...).
 * From <s> (host=name [ip]) for r" (sa-exim). */
static int
ex_fix_sa(const struct pm_caps *caps, struct evt *e, const struct frame *f)
{
	struct strv x = pm_get(caps, 'x', NULL), sc = ex_field(x, "score=");
	const char *h = strv_find(x, STRV_LIT("(host="));
	uint64_t ip = 0, fp = 0;
	size_t i = 0, n;
	bool neg = false;

	(void)f;
	if (h != NULL && ex_set_host(strv_make(h + 6, (size_t)(x.p + x.len - h - 6)), e) < 0)
		return -1;
	if (sc.len > 0 && sc.p[0] == '-') {
		neg = true;
		i = 1;
	}
	if (sc.len > i && sc.len - i < 12 && (n = scan_u64_prefix(sc.p + i, sc.len - i, &ip)) > 0) {
		double v = (double)ip;

		i += n;
		if (i + 1 < sc.len && sc.p[i] == '.' && scan_u64_prefix(sc.p + i + 1, 1, &fp) == 1)
			v += (double)fp / 10.0;
		e->score = neg ? -v : v;
		e->flags |= EVT_HAS_SCORE;
	}
	if (strv_has_prefix(x, "flagged as Spam but accepted") || strv_has_prefix(x, "silently tossed") ||
	    strv_has_prefix(x, "teergrube") || strv_has_prefix(x, "permanently rejected") ||
	    strv_has_prefix(x, "temporarily rejected") || strv_has_prefix(x, "saved message"))
		e->status = EVT_STATUS_SPAM;
	else
		e->status = EVT_STATUS_CLEAN;
	return 0;
}

/* Lines after the message id. */
PM_TABLE(ex_id_rules) = {
	/* "1CzYHn-0008AJ-7F <= user@example.org H=(client.example.org) [192.0.2.1] P=esmtpa A=dovecot_plain:user@example.org S=1795 id=EE56D58@client.example.org" */
	{ "<= %s %x", EVT_MESSAGE_ACCEPTED, EVT_STATUS_NONE, ex_fix_in },
	/* "10HmaX-000000005vi-0000 <= CALLER@example.com" */
	{ "<= %s", EVT_MESSAGE_ACCEPTED, EVT_STATUS_NONE, NULL },
	/* "1CzYHn-0008AJ-7F => user@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.2] C=\"250 OK\"" */
	{ "=> %x", EVT_DELIVERY, EVT_STATUS_SENT, ex_fix_out },
	/* "10HmaX-000000005vi-0000 -> other@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.2]" */
	{ "-> %x", EVT_DELIVERY, EVT_STATUS_SENT, ex_fix_out },
	/* "10HmaX-000000005vi-0000 ** user@example.net R=dnslookup T=remote_smtp: SMTP error from remote mail server after RCPT TO:<user@example.net>: 550 5.1.1 No such user" */
	{ "** %x", EVT_DELIVERY, EVT_STATUS_BOUNCED, ex_fix_out },
	/* "1CzR4a-0006zu-W0 == root@example.net R=dnslookup T=remote_smtp defer (-53): retry time not reached for any host" */
	{ "== %x", EVT_DELIVERY, EVT_STATUS_DEFERRED, ex_fix_out },
	/* "1GlKR9-0003x0-00  user@example.com R=dnslookup T=remote_smtp defer (111): Connection refused" (Exim 3) */
	{ " %x defer (%*): %R", EVT_DELIVERY, EVT_STATUS_DEFERRED, ex_fix_out },
	/* "10HmaX-000000005vi-0000 >> r@example.net R=all T=smtp H=mx.example.net [192.0.2.2] C=\"250 OK\"" (cutthrough) */
	{ ">> %x", EVT_DELIVERY, EVT_STATUS_SENT, ex_fix_out },
	/* "10HmaX-000000005vi-0000 *> user@example.net R=r T=t (-N: delivery suppressed)" */
	{ "*> %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "1CzYHn-0008AJ-7F Completed" */
	{ "Completed%*", EVT_MSG_DONE, EVT_STATUS_NONE, NULL },
	/* "10HmaX-000000005vi-0000 removed by root" */
	{ "removed by %*", EVT_MSG_DONE, EVT_STATUS_NONE, NULL },
	/* "1VxPit-000MMd-U4 SA: Action: flagged as Spam but accepted: score=8.2 required=5.0 (scanned in 6/6 secs | Message-Id: x@example.com). From <s@example.com> (host=client.example.net [192.0.2.3]) for r@example.org" */
	{ "SA: Action: %x", EVT_SPAM_CHECK, EVT_STATUS_NONE, ex_fix_sa },
	/* "1Gmc37-00045w-00 Frozen (delivery error message)" */
	{ "Frozen%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "10HmaX-000000005vi-0000 Message is frozen" */
	{ "Message is frozen%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	{ "frozen%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	{ "Unfrozen%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "1Glsgv-0002wv-00 SMTP error from remote mailer after RCPT TO:<u@example.net>: host mx.example.net [192.0.2.1]: 450 4.2.1 try later" */
	{ "SMTP error from remote %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "10HmaX-000000005vi-0000 cancelled by system filter: ..." */
	{ "cancelled by %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "10HmaX-000000005vi-0000 DKIM: d=example.com s=sel c=relaxed/relaxed a=rsa-sha256 [verification succeeded]" */
	{ "DKIM: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "10HmaX-000000005vi-0000 Warning: ..." */
	{ "Warning: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* Outbound notes about a message, tried after ex_rules so that they do
 * not shadow "ID H=... rejected ..." client lines. */
PM_TABLE(ex_id_late_rules) = {
	/* "10HmaX-000000005vi-0000 H=mx.example.net [192.0.2.2] Connection refused" */
	{ "H=%* Connection %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "10HmaX-000000005vi-0000 H=mx.example.net [192.0.2.2]: SMTP error from remote mail server after initial connection: 451 host deferred" */
	{ "H=%*]: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "10HmaY-000000005vi-0000 H=mx.example.net [192.0.2.2]:25: a TLS session is required, but the server did not offer TLS support" */
	{ "H=%*]:%*: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* Lines with or without a message id. */
PM_TABLE(ex_rules) = {
	/* "dovecot_login authenticator failed for (client) [192.0.2.37]:21298 I=[198.51.100.5]:465 Ci=30416: 535 Incorrect authentication data (set_id=user@example.com)" */
	{ "%a authenticator failed for %h: %x", EVT_AUTH_FAILURE, EVT_STATUS_NONE,
	  ex_fix_authfail },
	/* "H=mx.example.net [192.0.2.3]:43030 I=[198.51.100.2]:25 F=<u@example.net> rejected RCPT <r@example.org>: relay not permitted" */
	{ "H=%h rejected RCPT %r: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	{ "H=%h temporarily rejected RCPT %r: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	/* "H=(client.example.org) [192.0.2.1] rejected EHLO or HELO client: HELO/EHLO must contain a FQDN" */
	{ "H=%h rejected EHLO or HELO %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_helo },
	/* "H=client.example.net [192.0.2.4]:41584 sender verify fail for <u@example.net>: Unrouteable address" */
	{ "H=%h sender verify fail for %s: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	{ "H=%h sender verify defer for %s: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	/* "H=client.example.net [192.0.2.5]:32706 I=[198.51.100.2]:25 F=<u@example.net> rejected after DATA: This message contains a virus" */
	{ "H=%h rejected after DATA: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	{ "H=%h temporarily rejected after DATA: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	{ "H=%h rejected after DATA%*", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	/* "H=(client.example.org) [192.0.2.1] F=<u@example.org> rejected during MIME ACL checks: BAD_ATTACHMENT" */
	{ "H=%h rejected during MIME ACL checks: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	/* "H=client.example.net [192.0.2.1]:18146 temporarily rejected connection in \"connect\" ACL: \"Host is ratelimited\"" */
	{ "H=%h rejected connection in %*ACL: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	{ "H=%h temporarily rejected connection in %*ACL: %R", EVT_REJECT, EVT_STATUS_NONE,
	  ex_fix_hfields },
	{ "H=%h rejected connection in %*ACL%R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	/* "H=[192.0.2.101]:62839 dropped by 'connect' ACL: Country is banned" */
	{ "H=%h dropped by %*ACL: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	/* "H=[192.0.2.7] F=<u@example.org> rejected MAIL <u@example.org>: Sender blocked" */
	{ "H=%h rejected MAIL %s: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	{ "H=%h temporarily rejected MAIL %s: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	/* "H=(client) [192.0.2.8] rejected VRFY postmaster: administrative prohibition" */
	{ "H=%h rejected %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	/* "F=<u@example.net> H=client.example.net [192.0.2.40] P=smtp rejected by local_scan(): Rejected: hits=7.5" */
	{ "F=%s H=%h rejected by local_scan(): %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	{ "F=%s H=%h temporarily rejected by local_scan(): %R", EVT_REJECT, EVT_STATUS_NONE,
	  ex_fix_hfields },
	/* "U=CALLER F=<> rejected RCPT <r@example.org>: no such user" */
	{ "U=%* F=%s rejected RCPT %r: %R", EVT_REJECT, EVT_STATUS_NONE, NULL },
	{ "U=%* F=%s temporarily rejected RCPT %r: %R", EVT_REJECT, EVT_STATUS_NONE, NULL },
	/* "U=CALLER sender verify fail for <u@example.org>: response to \"EHLO\" did not include SMTPUTF8" */
	{ "U=%* sender verify fail for %s: %R", EVT_REJECT, EVT_STATUS_NONE, NULL },
	/* "rejected MAIL from c.example.net (helo) [192.0.2.3]:10001: no HELO/EHLO given" */
	{ "rejected %* from %h: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	/* "refused connection from [192.0.2.1] (host_reject_connection)" */
	{ "refused connection from %h", EVT_REJECT, EVT_STATUS_NONE, ex_fix_refused },
	/* "SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[192.0.2.9]:25936 I=[198.51.100.4]:25 input=\"GET / HTTP/1.1\"" */
	{ "SMTP protocol synchronization error (%y): %x", EVT_REJECT, EVT_STATUS_NONE, ex_fix_proto },
	/* "SMTP protocol error in \"AUTH LOGIN\" H=(client) [192.0.2.10]:60723 I=[198.51.100.6]:587 AUTH command used when not advertised" */
	{ "SMTP protocol error in %x", EVT_REJECT, EVT_STATUS_NONE, ex_fix_proto },
	/* "SMTP call from client.example.net [192.0.2.11]:3767 I=[198.51.100.4]:25 dropped: too many nonmail commands (last was \"RSET\")" */
	{ "SMTP call from %h dropped: %R", EVT_REJECT, EVT_STATUS_NONE, ex_fix_hfields },
	/* "SMTP connection from (client) [192.0.2.33] closed by DROP in ACL" */
	{ "SMTP connection from %h closed by DROP in ACL%*", EVT_REJECT, EVT_STATUS_NONE,
	  ex_fix_drop },
	/* "no MAIL in SMTP connection from [192.0.2.12]:2056 I=[198.51.100.6]:25 D=0s" */
	{ "no MAIL in SMTP connection from %h", EVT_REJECT, EVT_STATUS_NONE, ex_fix_nomail },
	/* "SMTP connection from [192.0.2.10]:55010 (TCP/IP connection count = 1)" */
	{ "SMTP connection from %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "SMTP command timeout on connection from client.example.net [192.0.2.1]" */
	{ "SMTP command timeout %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	{ "SMTP data timeout %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "unexpected disconnection while reading SMTP command from (client) [192.0.2.33]" */
	{ "unexpected disconnection while reading SMTP command from %*", EVT_NONE,
	  EVT_STATUS_NONE, NULL },
	/* "no host name found for IP address 192.0.2.8" */
	{ "no host name found for IP address %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "no IP address found for host test.example.com (during SMTP connection from [192.0.2.9])" */
	{ "no IP address found for host %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "TLS error on connection from (client) [192.0.2.5] (SSL_accept): timed out" */
	{ "TLS error on %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "H=(client.example.org) [192.0.2.1] Warning: SPAM (7.6)" */
	{ "H=%* Warning: %*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "Start queue run: pid=31402" */
	{ "Start queue run%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	{ "End queue run%*", EVT_NONE, EVT_STATUS_NONE, NULL },
	/* "exim 4.96 daemon started: pid=1234, -q30m, listening for SMTP on port 25" */
	{ "exim %* daemon started%*", EVT_NONE, EVT_STATUS_NONE, NULL },
};

/* Skip "[pid] " and a syslog copy's own "YYYY-MM-DD hh:mm:ss[.fff] [+zzzz] ". */
static struct strv
ex_strip(struct strv m)
{
	size_t i;

	if (m.len >= 20 && m.p[4] == '-' && m.p[7] == '-' && m.p[10] == ' ' && m.p[13] == ':' &&
	    m.p[16] == ':' && m.p[0] >= '0' && m.p[0] <= '9') {
		i = 19;
		if (i < m.len && m.p[i] == '.')
			for (i++; i < m.len && m.p[i] >= '0' && m.p[i] <= '9'; i++)
				;
		if (i + 6 < m.len && m.p[i] == ' ' && (m.p[i + 1] == '+' || m.p[i + 1] == '-') &&
		    m.p[i + 2] >= '0' && m.p[i + 2] <= '9')
			i += 6;
		if (i < m.len && m.p[i] == ' ')
			m = strv_skip(m, i + 1);
	}
	if (m.len > 2 && m.p[0] == '[') {
		for (i = 1; i < m.len && m.p[i] >= '0' && m.p[i] <= '9'; i++)
			;
		if (i > 1 && i + 1 < m.len && m.p[i] == ']' && m.p[i + 1] == ' ')
			m = strv_skip(m, i + 2);
	}
	return m;
}

/* Reception: put the auth_success before the message_accepted, and add the
 * bounce a "<= <> R=ID" line stands for. */
static void
ex_in_extra(struct parse_out *out, const struct frame *f, struct strv rest)
{
	struct pm_caps caps;
	struct ex_in in;
	struct evt *e;

	if (!PM_MATCH(ex_id_rules, 0, rest, &caps))
		return;
	ex_in_fields(pm_get(&caps, 'x', NULL), &in);
	if (out->ev[0].account[0] != '\0' && (e = parse_new_evt(out, f, EX_SOURCE)) != NULL) {
		*e = out->ev[0];	/* the message_accepted moves to the end */
		e = &out->ev[0];
		e->type = EVT_AUTH_SUCCESS;
		e->flags = 0;
		e->size = 0;
		e->nrcpt = 0;
		e->sender[0] = '\0';
		if (e->service[0] == '\0')
			evt_set(e->service, sizeof(e->service), strv_cstr("smtp"));
	}
	if (in.bounce_of.len > 0 && out->ev[out->n - 1].sender[0] == '\0' &&
	    (e = parse_new_evt(out, f, EX_SOURCE)) != NULL) {
		e->type = EVT_BOUNCE;
		if (EVT_SET(e, qid, in.bounce_of) < 0)
			parse_drop_evt(out);
		else
			memcpy(e->ndr_qid, out->ev[0].qid, sizeof(e->ndr_qid));
	}
}

enum parse_result
parse_exim(const struct frame *f, struct parse_out *out)
{
	struct strv rest = ex_strip(f->msg), id = STRV_NULL;
	enum parse_result r = PARSE_UNMATCHED;
	size_t n = ex_id_len(rest);
	int i;

	if (n > 0) {
		id = strv_make(rest.p, n);
		rest = strv_skip(rest, n + 1);
		r = PM_RUN(ex_id_rules, f, rest, EX_SOURCE, "smtp", out);
	}
	if (r == PARSE_UNMATCHED)
		r = PM_RUN(ex_rules, f, rest, EX_SOURCE, "smtp", out);
	if (r == PARSE_UNMATCHED && id.len > 0)
		r = PM_RUN(ex_id_late_rules, f, rest, EX_SOURCE, "smtp", out);
	if (r != PARSE_EVENTS)
		return r;
	for (i = 0; i < out->n; i++)
		if (out->ev[i].qid[0] == '\0' && id.len > 0)
			EVT_SET(&out->ev[i], qid, id);
	if (out->n == 1 && out->ev[0].type == EVT_MESSAGE_ACCEPTED)
		ex_in_extra(out, f, rest);
	return PARSE_EVENTS;
}
