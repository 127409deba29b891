/* srv_authpol.c - the Dovecot auth policy service (authpolicy_listen)
 * SUMMARY  An HTTP server (libevent evhttp, keep-alive) answers Dovecot's
 *          auth policy requests (src/authpol/): an allow is refused (status
 *          -1) for an account that is locked, an old leaked password
 *          (authpolicy_min_hash_bits or more) and an IP of a brute_force or
 *          password_spray finding (for ban_time); delayed when
 *          authpolicy_delay is set and the IP is near the brute-force
 *          threshold; else allowed. A report teaches the hashes of
 *          successful logins and, per authpolicy_events, becomes a login
 *          event for the detectors. When an account_compromise locks an
 *          account, the hashes of its recent successful logins are marked
 *          leaked, kept in the store, and refused from then on - after an
 *          unlock too - for authpolicy_leaked_time.
 *          Shadow mode answers 0 and counts what it would have answered.
 *          Refusals, would-be refusals and leaked hashes seen are written to
 *          the audit trail once per account or IP (again after
 *          SA_AUDIT_AGAIN).
 * LIMITS   AUTHPOL_BODY_MAX bytes of a body (413 past it), SA_HEADERS_BYTES
 *          of headers and SA_HEADERS_MAX of them (400), idle_timeout per
 *          connection. libevent 2.1's HTTP server has no connection
 *          ceiling: idle connections are closed after idle_timeout.
 * ERRORS   A request without the configured API header gets 401, with a
 *          wrong one 403; a malformed request 400 (counted, warned about at
 *          most once per SA_WARN_EVERY seconds). An internal error answers
 *          0: a fault of mailsentry never stops a login (and Dovecot allows
 *          the login itself when the service is down, unless
 *          auth_policy_reject_on_fail = yes). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "authpol/authpol_decide.h"
#include "authpol/authpol_proto.h"
#include "serve/srv_int.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/strv.h"

#define SA_HEADERS_BYTES 8192	/* all request headers; Dovecot sends ~250 */
#define SA_HEADERS_MAX 32	/* request headers; Dovecot sends 7 */
#define SA_WARN_EVERY 10	/* seconds between warnings about bad requests */
#define SA_AUDIT_MAX 10000	/* subjects remembered as audited */
#define SA_AUDIT_AGAIN 86400	/* seconds after which a subject is audited again */
#define SA_KV_PREFIX "authpol:leaked:"

enum sa_events { SA_EVENTS_AUTO, SA_EVENTS_YES, SA_EVENTS_NO };

struct srv_authpol {
	struct evhttp *http;
	struct authpol *ap;
	struct authpol_req req;	/* scratch: one request at a time */
	struct htab *audited;	/* "action|subject" -> time audited */
	enum sa_events events;
	int64_t last_warn;
	uint64_t warn_quiet;	/* warnings left out since the last one */
	struct {
		uint64_t requests[3];	/* by enum authpol_cmd; [0]: no command */
		uint64_t bad, unauthorized, errors;
		uint64_t answers[APV_MAX], shadow_would[APV_MAX];
		uint64_t leaked_seen, leaked_marked, events_ok, events_fail;
	} m;
};

/* ------------------------------------------------------------ settings */

static int
sa_events_parse(const char *v, enum sa_events *out)
{
	if (v == NULL || strcmp(v, "auto") == 0)
		*out = SA_EVENTS_AUTO;
	else if (strcmp(v, "yes") == 0)
		*out = SA_EVENTS_YES;
	else if (strcmp(v, "no") == 0)
		*out = SA_EVENTS_NO;
	else
		return -1;
	return 0;
}

static void
sa_conf(const struct srv *s, struct authpol_conf *c)
{
	const struct srv_conf *sc = &s->set.srv;

	memset(c, 0, sizeof(*c));
	c->min_hash_bits = (unsigned)sc->authpolicy_min_hash_bits;
	c->ban_time = s->set.act.ban_time;
	c->leaked_time = sc->authpolicy_leaked_time;
	c->delay = (uint32_t)sc->authpolicy_delay;
	c->delay_failures = (uint32_t)sc->authpolicy_delay_failures;
	c->fail_window = s->set.det.brute_window;
	c->max_accounts = (uint32_t)sc->authpolicy_max_accounts;
	c->max_ips = (uint32_t)sc->authpolicy_max_ips;
}

int
srv_authpol_conf(struct srv *s)
{
	struct srv_authpol *a = s->authpol;
	struct authpol_conf c;
	enum sa_events ev;

	if (sa_events_parse(s->set.srv.authpolicy_events, &ev) < 0) {
		msg_error("authpolicy_events: \"%.40s\" is not auto, yes or no",
			  s->set.srv.authpolicy_events);
		return -1;
	}
	if (a == NULL)
		return 0;
	a->events = ev;
	sa_conf(s, &c);
	authpol_set_conf(a->ap, &c);
	if (a->http != NULL)
		evhttp_set_timeout(a->http, (int)s->set.srv.idle_timeout);
	return 0;
}

/* ------------------------------------------------------------ helpers */

static void sa_warn(struct srv_authpol *a, const char *fmt, ...) MSG_FMT(2, 3);

static void
sa_warn(struct srv_authpol *a, const char *fmt, ...)
{
	int64_t now = time(NULL);
	char line[512];
	va_list ap;

	if (now - a->last_warn < SA_WARN_EVERY) {
		a->warn_quiet++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (a->warn_quiet > 0)
		msg_warn("authpolicy: %s (and %" PRIu64 " more since the last warning)", line,
			 a->warn_quiet);
	else
		msg_warn("authpolicy: %s", line);
	a->last_warn = now;
	a->warn_quiet = 0;
}

/* Audit once per action and subject (again after SA_AUDIT_AGAIN). */
static void
sa_audit_once(struct srv *s, const char *action, const char *subject, const char *detail,
	      bool dry)
{
	struct srv_authpol *a = s->authpol;
	char key[LIMIT_ACCOUNT_MAX + 64];
	int64_t now = time(NULL);
	void **slot;
	bool created;
	int n = snprintf(key, sizeof(key), "%s|%s", action, subject);

	if (n < 0 || (size_t)n >= sizeof(key))
		return;
	if (htab_count(a->audited) >= SA_AUDIT_MAX) {
		htab_free(&a->audited, NULL);	/* forget all: a few repeats at worst */
		a->audited = htab_new();
	}
	slot = htab_put(a->audited, key, (size_t)n, &created);
	if (!created && now - (int64_t)(intptr_t)*slot < SA_AUDIT_AGAIN)
		return;
	*slot = (void *)(intptr_t)now;
	srv_audit(s, "authpolicy", action, subject, detail, dry, true);
}

static bool
sa_locked(struct srv *s, const char *key, int64_t now)
{
	struct srv_lockent *l = htab_get(s->locks, key, strlen(key));

	return l != NULL && (l->until == 0 || l->until > now);
}

static bool
sa_events_on(const struct srv *s)
{
	const struct srv_authpol *a = s->authpol;

	/* auto: the same rule as policy requests - when logs are followed,
	 * they show these logins already, and a second copy would count
	 * every failure twice */
	return a->events == SA_EVENTS_YES || (a->events == SA_EVENTS_AUTO && s->nfl == 0);
}

static void
sa_feed(struct srv *s, const struct authpol_req *r, bool ok, const char *reason, int64_t now)
{
	struct srv_authpol *a = s->authpol;
	struct evt e;

	if (!authpol_req_event(r, ok ? EVT_AUTH_SUCCESS : EVT_AUTH_FAILURE, reason, now, &e))
		return;
	if (ok)
		a->m.events_ok++;
	else
		a->m.events_fail++;
	srv_feed(s, &e);
}

/* The configured API header: name and value, as Dovecot sends
 * auth_policy_server_api_header ("Name: value"; without a colon the whole
 * is the value of X-API-Key). False when none is configured. */
static bool
sa_api_header(const struct srv *s, char *name, size_t nsize, struct strv *value)
{
	const char *h = s->set.srv.authpolicy_api_header;
	const char *colon;
	size_t nlen;

	if (h == NULL || h[0] == '\0')
		return false;
	if ((colon = strchr(h, ':')) == NULL) {
		snprintf(name, nsize, "X-API-Key");
		*value = strv_trim(strv_cstr(h));
		return true;
	}
	nlen = (size_t)(colon - h);
	if (nlen >= nsize)
		nlen = nsize - 1;
	memcpy(name, h, nlen);
	name[nlen] = '\0';
	*value = strv_trim(strv_cstr(colon + 1));
	return true;
}

/* Equal, in a time that does not depend on where they differ. */
static bool
sa_same(struct strv a, struct strv b)
{
	unsigned char d = a.len != b.len;
	size_t i;

	for (i = 0; i < a.len && i < b.len; i++)
		d |= (unsigned char)(a.p[i] ^ b.p[i]);
	return d == 0;
}

static void
sa_reply(struct srv *s, struct evhttp_request *req, int status, const char *msg)
{
	struct srv_authpol *a = s->authpol;
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	struct buf b;

	buf_init(&b, AUTHPOL_MSG_MAX * 6 + 64);
	if (authpol_answer(&b, status, msg) < 0) {
		a->m.errors++;
		s->m.errors++;
		buf_reset(&b);
		authpol_answer(&b, 0, "");
	}
	evbuffer_add(out, b.data, b.len);
	buf_release(&b);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_send_reply(req, 200, "OK", NULL);
}

/* ------------------------------------------------------------ requests */

static void
sa_allow(struct srv *s, struct evhttp_request *req, const struct authpol_req *r, int64_t now)
{
	struct srv_authpol *a = s->authpol;
	struct authpol_answer ans;
	enum authpol_verdict v;
	char subject[LIMIT_ACCOUNT_MAX + 16], detail[256];
	bool shadow = s->set.srv.shadow;

	v = authpol_decide(a->ap, r, r->key[0] != '\0' && sa_locked(s, r->key, now), now, &ans);
	if ((unsigned)v >= APV_MAX) {	/* cannot happen; fail open */
		a->m.errors++;
		s->m.errors++;
		msg_warn("authpolicy: internal error: verdict %d; answering 0", (int)v);
		v = APV_ALLOW;
		ans.status = 0;
		ans.msg = "";
	}
	if (ans.leaked_seen) {
		a->m.leaked_seen++;
		snprintf(subject, sizeof(subject), "account %s", r->key);
		snprintf(detail, sizeof(detail),
			 "a password marked leaked tried from %s (%s, %u-bit hash)%s",
			 r->remote_txt[0] ? r->remote_txt : "an unknown address",
			 r->protocol[0] ? r->protocol : "?", r->hash_bits,
			 v == APV_LEAKED ? "" : ": below authpolicy_min_hash_bits, not refused");
		sa_audit_once(s, v == APV_LEAKED ? "refuse leaked password" : "leaked password seen",
			      subject, detail, shadow && v == APV_LEAKED);
	}
	if (v != APV_ALLOW && v != APV_DELAY) {
		if (v == APV_IP)
			snprintf(subject, sizeof(subject), "ip %s", r->remote_txt);
		else
			snprintf(subject, sizeof(subject), "account %s", r->key);
		snprintf(detail, sizeof(detail), "%s%s%s", ans.msg, ans.ip_why ? ": " : "",
			 ans.ip_why ? ans.ip_why : "");
		if (v != APV_LEAKED)
			sa_audit_once(s, "refuse login", subject, detail, shadow);
	}
	if (shadow && v != APV_ALLOW) {
		a->m.shadow_would[v]++;
		v = APV_ALLOW;
		ans.status = 0;
		ans.msg = "";
	}
	a->m.answers[v]++;
	/* The old password refused before it was checked: evidence of
	 * probing. Dovecot reports the refusal with policy_reject, which
	 * tells nothing of the password, so it is fed here, once. */
	if (v == APV_LEAKED && sa_events_on(s))
		sa_feed(s, r, false, "authpolicy: leaked password refused", now);
	sa_reply(s, req, ans.status, ans.msg);
}

static void
sa_report(struct srv *s, struct evhttp_request *req, const struct authpol_req *r, int64_t now)
{
	authpol_report(s->authpol->ap, r, now);
	/* A policy refusal says nothing of the password: Dovecot never
	 * checked it (a leaked one was fed at the allow). */
	if (!r->policy_reject && sa_events_on(s))
		sa_feed(s, r, r->success, NULL, now);
	sa_reply(s, req, 0, "");
}

static void
sa_error(struct srv *s, struct evhttp_request *req, int code, const char *why)
{
	struct srv_authpol *a = s->authpol;
	const char *reason = code == 401 ? "Unauthorized" : code == 403 ? "Forbidden"
				    : code == 413 ? "Payload Too Large" : "Bad Request";

	if (code == 401 || code == 403)
		a->m.unauthorized++;
	else
		a->m.bad++;
	sa_warn(a, "%d %s: %s", code, reason, why);
	evhttp_send_error(req, code, reason);
}

static void
sa_request(struct evhttp_request *req, void *arg)
{
	struct srv *s = arg;
	struct srv_authpol *a = s->authpol;
	struct evkeyvalq *hdrs = evhttp_request_get_input_headers(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *uri = evhttp_request_get_uri(req), *err = NULL, *got;
	struct evkeyval *kv;
	unsigned nh = 0, nkey = 0;
	size_t len;
	enum authpol_cmd cmd;
	char hname[128], shown[80];
	struct strv want;
	const char *body;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		sa_error(s, req, 400, "not a POST");
		return;
	}
	for (kv = hdrs->tqh_first; kv != NULL; kv = kv->next.tqe_next)
		nh++;
	if (nh > SA_HEADERS_MAX) {
		sa_error(s, req, 400, "too many headers");
		return;
	}
	if (sa_api_header(s, hname, sizeof(hname), &want)) {
		for (kv = hdrs->tqh_first; kv != NULL; kv = kv->next.tqe_next)
			if (strcasecmp(kv->key, hname) == 0)
				nkey++;
		if (nkey > 1) {	/* which one would count? none */
			sa_error(s, req, 403, "the API header more than once");
			return;
		}
		if ((got = evhttp_find_header(hdrs, hname)) == NULL) {
			sa_error(s, req, 401, "no API header (authpolicy_api_header)");
			return;
		}
		if (!sa_same(strv_trim(strv_cstr(got)), want)) {
			sa_error(s, req, 403, "wrong API header value");
			return;
		}
	}
	cmd = uri != NULL ? authpol_command(uri, strlen(uri)) : AUTHPOL_CMD_NONE;
	if (cmd == AUTHPOL_CMD_NONE) {
		a->m.requests[0]++;
		sa_error(s, req, 400,
			 strv_printable(strv_cstr(uri ? uri : ""), shown, sizeof(shown)));
		return;
	}
	a->m.requests[cmd]++;
	len = evbuffer_get_length(in);
	if (len > AUTHPOL_BODY_MAX) {
		sa_error(s, req, 413, "body too large");
		return;
	}
	body = len > 0 ? (const char *)evbuffer_pullup(in, (ev_ssize_t)len) : "";
	if (body == NULL) {	/* out of memory: fail open */
		a->m.errors++;
		s->m.errors++;
		msg_warn("authpolicy: cannot read a request body; answering 0");
		sa_reply(s, req, 0, "");
		return;
	}
	if (authpol_parse(body, len, cmd, &a->req, &err) < 0) {
		sa_error(s, req, 400, err);
		return;
	}
	if (cmd == AUTHPOL_CMD_ALLOW)
		sa_allow(s, req, &a->req, time(NULL));
	else
		sa_report(s, req, &a->req, time(NULL));
}

/* ------------------------------------------------------------ findings */

static void
sa_save_leaked(struct srv *s, const char *key)
{
	char k[STORE_KV_KEY_MAX], v[STORE_KV_VALUE_MAX];

	snprintf(k, sizeof(k), SA_KV_PREFIX "%s", key);
	authpol_leaked_text(s->authpol->ap, key, v, sizeof(v));
	if (store_kv_set(s->store, k, v) < 0) {
		s->m.errors++;
		msg_warn("authpolicy: saving the leaked hashes of %s: %s", key,
			 store_error(s->store));
	}
}

void
srv_authpol_finding(struct srv *s, const struct finding *f)
{
	struct srv_authpol *a = s->authpol;
	int64_t now = time(NULL);
	char key[LIMIT_ACCOUNT_MAX], subject[LIMIT_ACCOUNT_MAX + 16], detail[256];

	if (a == NULL || s->replaying)
		return;
	if ((f->kind == FK_BRUTE || f->kind == FK_SPRAY) && f->ip[0] != '\0') {
		struct netaddr ip;
		const char *why = finding_kind_name(f->kind);

		if (netaddr_parse(f->ip, strlen(f->ip), &ip) < 0 ||
		    authpol_refuse_ip(a->ap, &ip, why, now) < 0)
			return;
		snprintf(subject, sizeof(subject), "ip %s", f->ip);
		snprintf(detail, sizeof(detail), "%s: its logins are refused for ban_time", why);
		sa_audit_once(s, "refuse logins", subject, detail, s->set.srv.shadow);
		return;
	}
	if (f->kind == FK_COMPROMISE && f->account[0] != '\0') {
		unsigned n;

		evt_account_key(f->account, key);
		/* locked, or locked but for shadow mode */
		if (!sa_locked(s, key, now) &&
		    !(s->set.srv.shadow && s->set.srv.lock_on_compromise &&
		      f->score >= s->set.srv.lock_score))
			return;
		if ((n = authpol_mark_leaked(a->ap, key, now)) == 0)
			return;
		a->m.leaked_marked += n;
		sa_save_leaked(s, key);
		snprintf(subject, sizeof(subject), "account %s", key);
		snprintf(detail, sizeof(detail),
			 "%u password hash(es) of its recent logins marked leaked: refused at "
			 "login from now on",
			 n);
		srv_audit(s, "authpolicy", "mark leaked password", subject, detail,
			  s->set.srv.shadow, true);
	}
}

/* ------------------------------------------------------------ life */

struct sa_load {
	struct srv *s;
	int64_t now;
	unsigned accounts, ips;
};

/* An IP of a brute_force or password_spray incident whose ban_time has not
 * run out since its last evidence: refused again after a restart. */
static void
sa_load_ip(struct sa_load *l, const struct store_incident *i)
{
	const char *why = strcmp(i->kind, finding_kind_name(FK_BRUTE)) == 0
				  ? finding_kind_name(FK_BRUTE)
				  : finding_kind_name(FK_SPRAY);
	int64_t t = i->last_evidence > i->detected_at ? i->last_evidence : i->detected_at;
	struct netaddr ip;

	if (t + l->s->set.act.ban_time <= l->now ||
	    netaddr_parse(i->ip, strlen(i->ip), &ip) < 0 ||
	    authpol_refuse_ip(l->s->authpol->ap, &ip, why, t) < 0)
		return;
	l->ips++;
}

/* The leaked hashes saved for the accounts of recent compromise incidents,
 * and the IPs of recent attacks. */
static int
sa_load_incident(void *arg, const struct store_incident *i)
{
	struct sa_load *l = arg;
	char key[LIMIT_ACCOUNT_MAX], k[STORE_KV_KEY_MAX], v[STORE_KV_VALUE_MAX];

	if ((strcmp(i->kind, finding_kind_name(FK_BRUTE)) == 0 ||
	     strcmp(i->kind, finding_kind_name(FK_SPRAY)) == 0) &&
	    i->ip[0] != '\0') {
		sa_load_ip(l, i);
		return 0;
	}
	if (strcmp(i->kind, finding_kind_name(FK_COMPROMISE)) != 0 || i->account[0] == '\0')
		return 0;
	evt_account_key(i->account, key);
	snprintf(k, sizeof(k), SA_KV_PREFIX "%s", key);
	if (store_kv_get(l->s->store, k, v, sizeof(v)) != 0)
		return 0;
	if (authpol_leaked_load(l->s->authpol->ap, key, v, l->now) > 0)
		l->accounts++;
	else if (v[0] != '\0')
		msg_warn("authpolicy: %s in state_dir: not a list of leaked hashes; ignored", k);
	return 0;
}

int
srv_authpol_setup(struct srv *s)
{
	struct srv_authpol *a;
	struct authpol_conf c;
	struct evconnlistener *l;
	struct sa_load ld;
	char err[512];
	int64_t since;

	if (srv_authpol_conf(s) < 0)
		return -1;
	if (s->set.srv.authpolicy_listen == NULL || s->set.srv.authpolicy_listen[0] == '\0')
		return 0;
	a = s->authpol = mem_calloc(1, sizeof(*a));
	sa_conf(s, &c);
	a->ap = authpol_new(&c);
	a->audited = htab_new();
	srv_authpol_conf(s);
	ld.s = s;
	ld.now = time(NULL);
	ld.accounts = ld.ips = 0;
	since = c.leaked_time > 0 ? ld.now - c.leaked_time : 0;
	if (since > 0 && ld.now - s->set.act.ban_time < since)
		since = ld.now - s->set.act.ban_time;
	if (store_each_incident(s->store, since, sa_load_incident, &ld) < 0) {
		msg_warn("authpolicy: loading leaked hashes: %s", store_error(s->store));
	} else {
		if (ld.accounts > 0)
			msg_info("authpolicy: leaked password hashes of %u account(s) loaded",
				 ld.accounts);
		if (ld.ips > 0)
			msg_info("authpolicy: %u attacking IP(s) refused again until their ban_time "
				 "runs out", ld.ips);
	}
	l = srv_listen(s->base, s->set.srv.authpolicy_listen, 0666, NULL, NULL, err, sizeof(err));
	if (l == NULL || (a->http = evhttp_new(s->base)) == NULL ||
	    evhttp_bind_listener(a->http, l) == NULL) {
		msg_error("authpolicy_listen: %s", l == NULL ? err : "evhttp failed");
		if (l != NULL && a->http == NULL)
			evconnlistener_free(l);
		return -1;
	}
	evhttp_set_max_body_size(a->http, AUTHPOL_BODY_MAX);
	evhttp_set_max_headers_size(a->http, SA_HEADERS_BYTES);
	evhttp_set_timeout(a->http, (int)s->set.srv.idle_timeout);
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_POST);
	evhttp_set_gencb(a->http, sa_request, s);
	return 0;
}

void
srv_authpol_free(struct srv *s)
{
	struct srv_authpol *a = s->authpol;

	if (a == NULL)
		return;
	if (a->http != NULL)
		evhttp_free(a->http);
	authpol_free(&a->ap);
	if (a->audited != NULL)
		htab_free(&a->audited, NULL);
	free(a);
	s->authpol = NULL;
}

void
srv_authpol_metrics(struct srv *s, struct evbuffer *b)
{
	struct srv_authpol *a = s->authpol;
	struct authpol_stats st;
	unsigned i;

	if (a == NULL)
		return;
	authpol_get_stats(a->ap, time(NULL), &st);
	evbuffer_add_printf(b,
			    "# HELP mailsentry_authpolicy_requests_total Dovecot auth policy "
			    "requests by command.\n"
			    "# TYPE mailsentry_authpolicy_requests_total counter\n"
			    "mailsentry_authpolicy_requests_total{command=\"allow\"} %" PRIu64 "\n"
			    "mailsentry_authpolicy_requests_total{command=\"report\"} %" PRIu64 "\n"
			    "mailsentry_authpolicy_requests_total{command=\"none\"} %" PRIu64 "\n",
			    a->m.requests[AUTHPOL_CMD_ALLOW], a->m.requests[AUTHPOL_CMD_REPORT],
			    a->m.requests[0]);
	evbuffer_add_printf(b,
			    "# TYPE mailsentry_authpolicy_bad_requests_total counter\n"
			    "mailsentry_authpolicy_bad_requests_total %" PRIu64 "\n"
			    "# TYPE mailsentry_authpolicy_unauthorized_total counter\n"
			    "mailsentry_authpolicy_unauthorized_total %" PRIu64 "\n",
			    a->m.bad, a->m.unauthorized);
	evbuffer_add_printf(b, "# HELP mailsentry_authpolicy_answers_total Answers to allow "
			       "requests by verdict.\n"
			       "# TYPE mailsentry_authpolicy_answers_total counter\n");
	for (i = 0; i < APV_MAX; i++)
		evbuffer_add_printf(b,
				    "mailsentry_authpolicy_answers_total{verdict=\"%s\"} %" PRIu64
				    "\n",
				    authpol_verdict_name(i), a->m.answers[i]);
	evbuffer_add_printf(b, "# HELP mailsentry_authpolicy_shadow_would_total Answers shadow "
			       "mode replaced with 0.\n"
			       "# TYPE mailsentry_authpolicy_shadow_would_total counter\n");
	for (i = 1; i < APV_MAX; i++)
		evbuffer_add_printf(b,
				    "mailsentry_authpolicy_shadow_would_total{verdict=\"%s\"} %" PRIu64
				    "\n",
				    authpol_verdict_name(i), a->m.shadow_would[i]);
	evbuffer_add_printf(
		b,
		"# HELP mailsentry_authpolicy_events_total Logins reported to the detectors.\n"
		"# TYPE mailsentry_authpolicy_events_total counter\n"
		"mailsentry_authpolicy_events_total{type=\"auth_success\"} %" PRIu64 "\n"
		"mailsentry_authpolicy_events_total{type=\"auth_failure\"} %" PRIu64 "\n"
		"# HELP mailsentry_authpolicy_leaked_seen_total Allow requests with a password "
		"hash marked leaked.\n"
		"# TYPE mailsentry_authpolicy_leaked_seen_total counter\n"
		"mailsentry_authpolicy_leaked_seen_total %" PRIu64 "\n"
		"# TYPE mailsentry_authpolicy_leaked_marked_total counter\n"
		"mailsentry_authpolicy_leaked_marked_total %" PRIu64 "\n"
		"# TYPE mailsentry_authpolicy_errors_total counter\n"
		"mailsentry_authpolicy_errors_total %" PRIu64 "\n"
		"# TYPE mailsentry_authpolicy_refused_ips gauge\n"
		"mailsentry_authpolicy_refused_ips %zu\n"
		"# TYPE mailsentry_authpolicy_leaked_accounts gauge\n"
		"mailsentry_authpolicy_leaked_accounts %zu\n"
		"# TYPE mailsentry_authpolicy_accounts gauge\n"
		"mailsentry_authpolicy_accounts %zu\n",
		a->m.events_ok, a->m.events_fail, a->m.leaked_seen, a->m.leaked_marked,
		a->m.errors, st.refused_ips, st.leaked_accounts, st.accounts);
}
