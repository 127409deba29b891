/* test_pol_decide.c - policy/pol_decide: each verdict and its text, their
 * order, actions switched off, sender mismatch and aliases, allowed
 * networks, rate limits (messages and recipients, at END-OF-MESSAGE, DATA or
 * RCPT, over a sliding window), the eviction bound and order, speed */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/pol_decide.h"
#include "policy/pol_proto.h"
#include "util/netaddr.h"

#define T0 1374487200	/* 2013-07-22T10:00:00Z, a multiple of the bucket width */

/* The daemon's state, faked: one account of each kind. */
struct fake {
	const char *locked, *suspected;
	const char *listed;	/* has allowed networks: 192.0.2.0/24 only */
	const char *alias_owner, *alias;
	char last_key[LIMIT_ACCOUNT_MAX];
	unsigned calls;
};

static bool
fake_locked(void *arg, const char *key)
{
	struct fake *f = arg;

	f->calls++;
	snprintf(f->last_key, sizeof(f->last_key), "%s", key);
	return f->locked != NULL && strcmp(f->locked, key) == 0;
}

static bool
fake_suspected(void *arg, const char *key)
{
	struct fake *f = arg;

	f->calls++;
	return f->suspected != NULL && strcmp(f->suspected, key) == 0;
}

static bool
fake_allowed(void *arg, const char *key, const struct netaddr *client, bool *allowed)
{
	struct fake *f = arg;
	struct netaddr net;

	f->calls++;
	if (f->listed == NULL || strcmp(f->listed, key) != 0)
		return false;
	assert_int_equal(netaddr_parse("192.0.2.0", 9, &net), 0);
	*allowed = client->family == 4 && memcmp(client->bytes, net.bytes, 3) == 0;
	return true;
}

static bool
fake_alias(void *arg, const char *key, const char *sender_key)
{
	struct fake *f = arg;

	f->calls++;
	return f->alias_owner != NULL && strcmp(f->alias_owner, key) == 0 &&
	       strcmp(f->alias, sender_key) == 0;
}

/* A parsed request and the bytes its views point into. */
struct rq {
	char buf[2048];
	struct pol_req r;
};

static const struct pol_req *
mkreq(struct rq *q, const char *state, const char *user, const char *sender, const char *ip,
      unsigned rcount, const char *instance)
{
	size_t used;
	const char *err;

	snprintf(q->buf, sizeof(q->buf),
		 "request=smtpd_access_policy\nprotocol_state=%s\nprotocol_name=ESMTP\n"
		 "sasl_method=PLAIN\nsasl_username=%s\nsender=%s\nclient_address=%s\n"
		 "recipient_count=%u\ninstance=%s\nqueue_id=\nserver_port=587\n\n",
		 state, user, sender, ip, rcount, instance);
	if (pol_parse(q->buf, strlen(q->buf), &used, &q->r, &err) != POL_OK)
		fail_msg("%s", err);
	return &q->r;
}

static const struct pol_req *
eom(struct rq *q, const char *user, unsigned rcount)
{
	return mkreq(q, "END-OF-MESSAGE", user, user, "192.0.2.7", rcount, "1.2.3");
}

static void
test_defaults(void **state)
{
	struct pol_conf c;

	(void)state;
	pol_conf_defaults(&c);
	assert_string_equal(c.locked_action,
			    "REJECT 5.7.1 account suspended: suspected compromise; contact the "
			    "postmaster");
	assert_string_equal(c.suspect_action, "HOLD suspected account compromise");
	assert_string_equal(c.rate_action,
			    "DEFER_IF_PERMIT 4.7.1 too much mail from this account; try again later");
	assert_string_equal(c.mismatch_action,
			    "REJECT 5.7.1 sender address not owned by the authenticated user");
	assert_string_equal(c.not_allowed_action,
			    "REJECT 5.7.1 this account may not send mail from this network");
	assert_string_equal(c.default_action, "DUNNO");
	assert_false(c.mismatch_check);
	assert_int_equal(c.msg_rate, 300);
	assert_int_equal(c.rcpt_rate, 3000);
	assert_true(c.rate_window == 3600);

	assert_string_equal(pol_verdict_name(PV_DUNNO), "dunno");
	assert_string_equal(pol_verdict_name(PV_LOCKED), "locked");
	assert_string_equal(pol_verdict_name(PV_NOT_ALLOWED), "not_allowed");
	assert_string_equal(pol_verdict_name(PV_MISMATCH), "mismatch");
	assert_string_equal(pol_verdict_name(PV_RATE), "rate");
	assert_string_equal(pol_verdict_name(PV_SUSPECT), "suspect");
	assert_string_equal(pol_verdict_name(PV_MAX), "unknown");
}

/* Without SASL nothing is judged, whatever the state says. */
static void
test_unauthenticated(void **state)
{
	struct fake f = { .locked = "", .suspected = "", .listed = "" };
	struct pol_state_ops ops = { fake_locked, fake_suspected, fake_allowed, fake_alias, &f };
	struct pol_conf c;
	static struct rq q;
	const char *text = NULL;
	char user[LIMIT_ACCOUNT_MAX + 2];

	(void)state;
	pol_conf_defaults(&c);
	c.mismatch_check = true;
	assert_int_equal(pol_decide(&c, &ops, NULL, mkreq(&q, "RCPT", "", "a@example.com",
							  "203.0.113.1", 0, "x"),
				    T0, &text),
			 PV_DUNNO);
	assert_string_equal(text, "DUNNO");
	assert_int_equal(f.calls, 0);

	c.default_action = "OK";
	pol_decide(&c, &ops, NULL, &q.r, T0, &text);
	assert_string_equal(text, "OK");
	c.default_action = "";
	pol_decide(&c, &ops, NULL, &q.r, T0, &text);
	assert_string_equal(text, "DUNNO");
	c.default_action = NULL;
	pol_decide(&c, &ops, NULL, &q.r, T0, &text);
	assert_string_equal(text, "DUNNO");

	/* A name that cannot be an account is not judged either. */
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	f.locked = NULL;
	assert_int_equal(pol_decide(&c, &ops, NULL, eom(&q, user, 1), T0, &text), PV_DUNNO);
	assert_int_equal(f.calls, 0);
}

/* Each verdict alone, with its text; NULL texts are the defaults. */
static void
test_each_verdict(void **state)
{
	static const struct {
		struct fake f;
		bool mismatch_check;
		uint32_t msg_rate;
		const char *user, *sender, *ip;
		enum pol_verdict want;
		const char *text;
	} rows[] = {
		{ { 0 }, false, 0, "hello@example.com", "hello@example.com", "192.0.2.1", PV_DUNNO,
		  "DUNNO" },
		{ { .locked = "hello@example.com" }, false, 0, "Hello@Example.COM",
		  "hello@example.com", "192.0.2.1", PV_LOCKED, "REJECT 5.7.1 account suspended" },
		{ { .listed = "hello@example.com" }, false, 0, "hello@example.com",
		  "hello@example.com", "203.0.113.9", PV_NOT_ALLOWED, "REJECT 5.7.1 this account" },
		{ { .listed = "hello@example.com" }, false, 0, "hello@example.com",
		  "hello@example.com", "192.0.2.200", PV_DUNNO, "DUNNO" },
		{ { .listed = "hello@example.com" }, false, 0, "hello@example.com",
		  "hello@example.com", "unknown", PV_NOT_ALLOWED, "REJECT 5.7.1 this account" },
		{ { .listed = "other@example.com" }, false, 0, "hello@example.com",
		  "hello@example.com", "203.0.113.9", PV_DUNNO, "DUNNO" },
		{ { 0 }, true, 0, "hello@example.com", "ceo@example.com", "192.0.2.1", PV_MISMATCH,
		  "REJECT 5.7.1 sender address not owned" },
		{ { 0 }, false, 0, "hello@example.com", "ceo@example.com", "192.0.2.1", PV_DUNNO,
		  "DUNNO" },
		{ { 0 }, false, 1, "hello@example.com", "hello@example.com", "192.0.2.1", PV_RATE,
		  "DEFER_IF_PERMIT 4.7.1" },
		{ { .suspected = "hello@example.com" }, false, 0, "HELLO@example.com",
		  "hello@example.com", "192.0.2.1", PV_SUSPECT, "HOLD suspected" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fake f = rows[i].f;
		struct pol_state_ops ops = { fake_locked, fake_suspected, fake_allowed, fake_alias,
					     &f };
		struct pol_rates *rt = pol_rates_new(10);
		struct pol_conf c;
		static struct rq q;
		const char *text = NULL;
		enum pol_verdict v;

		pol_conf_defaults(&c);
		c.mismatch_check = rows[i].mismatch_check;
		c.msg_rate = rows[i].msg_rate;
		/* One message already counted for the rate row. */
		if (rows[i].msg_rate != 0)
			assert_int_equal(pol_decide(&c, &ops, rt, eom(&q, rows[i].user, 1), T0,
						    &text),
					 PV_DUNNO);
		v = pol_decide(&c, &ops, rt,
			       mkreq(&q, "RCPT", rows[i].user, rows[i].sender, rows[i].ip, 0,
				     "9.9.9"),
			       T0 + 1, &text);
		if (v != rows[i].want || strncmp(text, rows[i].text, strlen(rows[i].text)) != 0)
			fail_msg("row %zu: %s \"%s\"", i, pol_verdict_name(v), text);
		assert_string_equal(f.last_key, "hello@example.com");	/* the account key */
		pol_rates_free(&rt);
		assert_null(rt);
	}
}

/* locked > not allowed > mismatch > rate > suspect > default. */
static void
test_order(void **state)
{
	static const enum pol_verdict order[] = { PV_LOCKED, PV_NOT_ALLOWED, PV_MISMATCH, PV_RATE,
						  PV_SUSPECT, PV_DUNNO };
	const char *user = "bot@example.com";
	struct fake f = { .locked = user, .listed = user, .suspected = user };
	struct pol_state_ops ops = { fake_locked, fake_suspected, fake_allowed, fake_alias, &f };
	struct pol_rates *rt = pol_rates_new(10);
	struct pol_conf c;
	static struct rq q;
	const char *text;
	size_t i;

	(void)state;
	pol_conf_defaults(&c);
	c.locked_action = "L";
	c.not_allowed_action = "N";
	c.mismatch_action = "M";
	c.rate_action = "R";
	c.suspect_action = "S";
	c.default_action = "D";
	c.mismatch_check = true;
	c.msg_rate = 1;
	/* Fill the rate with one message of its own. */
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, user, 1), T0, &text), PV_DUNNO);
	assert_string_equal(text, "D");
	mkreq(&q, "RCPT", user, "forged@example.net", "203.0.113.66", 0, "x");
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum pol_verdict v = pol_decide(&c, &ops, rt, &q.r, T0 + 10, &text);

		assert_int_equal(v, order[i]);
		assert_int_equal(text[0], "LNMRSD"[i]);
		/* Take away the cause of this verdict: the next one shows. */
		switch (v) {
		case PV_LOCKED: f.locked = NULL; break;
		case PV_NOT_ALLOWED: f.listed = NULL; break;
		case PV_MISMATCH: c.mismatch_check = false; break;
		case PV_RATE: c.msg_rate = 0; break;
		case PV_SUSPECT: f.suspected = NULL; break;
		default: break;
		}
	}
	pol_rates_free(&rt);
}

/* "" switches a check off; the next in the order answers. */
static void
test_switched_off(void **state)
{
	const char *user = "bot@example.com";
	struct fake f = { .locked = user, .listed = user, .suspected = user };
	struct pol_state_ops ops = { fake_locked, fake_suspected, fake_allowed, fake_alias, &f };
	struct pol_state_ops none = { NULL, NULL, NULL, NULL, NULL };
	struct pol_rates *rt = pol_rates_new(10);
	struct pol_conf c;
	static struct rq q;
	const char *text;

	(void)state;
	pol_conf_defaults(&c);
	c.mismatch_check = true;
	c.msg_rate = 1;
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, user, 1), T0, &text), PV_DUNNO);
	mkreq(&q, "RCPT", user, "forged@example.net", "203.0.113.66", 0, "x");
	c.locked_action = "";
	assert_int_equal(pol_decide(&c, &ops, rt, &q.r, T0, &text), PV_NOT_ALLOWED);
	c.not_allowed_action = "";
	assert_int_equal(pol_decide(&c, &ops, rt, &q.r, T0, &text), PV_MISMATCH);
	c.mismatch_action = "";
	assert_int_equal(pol_decide(&c, &ops, rt, &q.r, T0, &text), PV_RATE);
	c.rate_action = "";
	assert_int_equal(pol_decide(&c, &ops, rt, &q.r, T0, &text), PV_SUSPECT);
	c.suspect_action = "";
	assert_int_equal(pol_decide(&c, &ops, rt, &q.r, T0, &text), PV_DUNNO);
	assert_string_equal(text, "DUNNO");

	/* NULL actions are the defaults; no ops, empty ops: state says no. */
	pol_conf_defaults(&c);
	c.locked_action = NULL;
	c.msg_rate = 0;
	assert_int_equal(pol_decide(&c, &ops, NULL, &q.r, T0, &text), PV_LOCKED);
	assert_string_equal(text, "REJECT 5.7.1 account suspended: suspected compromise; "
				  "contact the postmaster");
	assert_int_equal(pol_decide(&c, NULL, NULL, &q.r, T0, &text), PV_DUNNO);
	assert_int_equal(pol_decide(&c, &none, NULL, &q.r, T0, &text), PV_DUNNO);
	c.mismatch_check = true;
	assert_int_equal(pol_decide(&c, &none, NULL, &q.r, T0, &text), PV_MISMATCH);
	pol_rates_free(&rt);
}

static void
test_mismatch(void **state)
{
	static const struct {
		const char *user, *sender;
		enum pol_verdict want;
	} rows[] = {
		{ "hello@example.com", "hello@example.com", PV_DUNNO },
		{ "hello@example.com", "Hello@EXAMPLE.com", PV_DUNNO },
		{ "HELLO@example.com", "hello@example.com", PV_DUNNO },
		{ "hello@example.com", "", PV_DUNNO },	/* null sender */
		{ "hello@example.com", "info@example.com", PV_DUNNO },	/* alias */
		{ "hello@example.com", "INFO@example.com", PV_DUNNO },	/* alias, any case */
		{ "other@example.com", "info@example.com", PV_MISMATCH },	/* not its alias */
		{ "hello@example.com", "hello@example.net", PV_MISMATCH },
		{ "hello@example.com", "hello@example.com.example.net", PV_MISMATCH },
		{ "hello", "hello@example.com", PV_MISMATCH },
		{ "hello@example.com", "hello", PV_MISMATCH },
	};
	struct fake f = { .alias_owner = "hello@example.com", .alias = "info@example.com" };
	struct pol_state_ops ops = { fake_locked, fake_suspected, fake_allowed, fake_alias, &f };
	struct pol_conf c;
	size_t i;

	(void)state;
	pol_conf_defaults(&c);
	c.mismatch_check = true;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		static struct rq q;
		const char *text;
		enum pol_verdict v = pol_decide(
			&c, &ops, NULL,
			mkreq(&q, "MAIL", rows[i].user, rows[i].sender, "192.0.2.1", 0, "x"), T0,
			&text);

		if (v != rows[i].want)
			fail_msg("row %zu: %s", i, pol_verdict_name(v));
	}
}

/* Messages per window, counted at END-OF-MESSAGE; the window slides. */
static void
test_rate_messages(void **state)
{
	struct pol_rates *rt = pol_rates_new(100);
	struct pol_conf c;
	static struct rq q;
	const char *text;
	uint64_t m, n;
	int i;

	(void)state;
	pol_conf_defaults(&c);
	c.msg_rate = 10;
	c.rcpt_rate = 0;
	for (i = 0; i < 5; i++)
		assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 2), T0, &text),
				 PV_DUNNO);
	for (i = 0; i < 5; i++)
		assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "A@example.com", 2), T0 + 1800,
					    &text),
				 PV_DUNNO);
	pol_rates_get(rt, "a@example.com", T0 + 1800, &m, &n);
	assert_true(m == 10 && n == 20);
	/* The 11th is over; refused ones are not counted. */
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 1), T0 + 1801, &text),
			 PV_RATE);
	assert_string_equal(text, c.rate_action);
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 1), T0 + 3599, &text),
			 PV_RATE);
	pol_rates_get(rt, "a@example.com", T0 + 3599, &m, &n);
	assert_true(m == 10);
	/* Other accounts have their own count. */
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "b@example.com", 1), T0 + 3599, &text),
			 PV_DUNNO);
	/* An hour after the first five, they leave the window. */
	pol_rates_get(rt, "a@example.com", T0 + 3600, &m, &n);
	assert_true(m == 5 && n == 10);
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 1), T0 + 3600, &text),
			 PV_DUNNO);
	pol_rates_get(rt, "a@example.com", T0 + 5400, &m, &n);
	assert_true(m == 1 && n == 1);
	pol_rates_get(rt, "a@example.com", T0 + 7200, &m, &n);
	assert_true(m == 0 && n == 0);
	pol_rates_get(rt, "nobody@example.com", T0, &m, &n);
	assert_true(m == 0 && n == 0);
	/* MAIL and RCPT of an account at its limit are deferred early. */
	for (i = 0; i < 9; i++)
		assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 1), T0 + 5400,
					    &text),
				 PV_DUNNO);
	assert_int_equal(pol_decide(&c, NULL, rt,
				    mkreq(&q, "MAIL", "a@example.com", "a@example.com",
					  "192.0.2.1", 0, "y"),
				    T0 + 5401, &text),
			 PV_RATE);
	assert_int_equal(pol_decide(&c, NULL, rt,
				    mkreq(&q, "RCPT", "a@example.com", "a@example.com",
					  "192.0.2.1", 0, "y"),
				    T0 + 5401, &text),
			 PV_RATE);
	/* Other stages are not rate-checked. */
	assert_int_equal(pol_decide(&c, NULL, rt,
				    mkreq(&q, "VRFY", "a@example.com", "", "192.0.2.1", 0, ""),
				    T0 + 5401, &text),
			 PV_DUNNO);
	pol_rates_free(&rt);
}

/* Recipients per window: recipient_count at END-OF-MESSAGE and DATA. */
static void
test_rate_recipients(void **state)
{
	struct pol_rates *rt = pol_rates_new(100);
	struct pol_conf c;
	static struct rq q;
	const char *text;
	uint64_t m, n;

	(void)state;
	pol_conf_defaults(&c);
	c.msg_rate = 0;
	c.rcpt_rate = 10;
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 4), T0, &text),
			 PV_DUNNO);
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 4), T0, &text),
			 PV_DUNNO);
	/* 8 + 4 > 10: the whole message is deferred. 8 + 2 fits. */
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 4), T0, &text),
			 PV_RATE);
	/* DATA checks the same without counting (END-OF-MESSAGE counts). */
	assert_int_equal(pol_decide(&c, NULL, rt,
				    mkreq(&q, "DATA", "a@example.com", "a@example.com",
					  "192.0.2.1", 3, "z"),
				    T0, &text),
			 PV_RATE);
	assert_int_equal(pol_decide(&c, NULL, rt,
				    mkreq(&q, "DATA", "a@example.com", "a@example.com",
					  "192.0.2.1", 2, "z"),
				    T0, &text),
			 PV_DUNNO);
	pol_rates_get(rt, "a@example.com", T0, &m, &n);
	assert_true(m == 2 && n == 8);
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 2), T0, &text),
			 PV_DUNNO);
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 0), T0, &text),
			 PV_RATE);	/* no count: one recipient at least */
	/* One message over the limit on its own. */
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "b@example.com", 11), T0, &text),
			 PV_RATE);
	pol_rates_free(&rt);
}

/* Without END-OF-MESSAGE requests, DATA counts; without either, RCPT counts
 * a recipient each and a message per instance. */
static void
test_rate_stages(void **state)
{
	struct pol_rates *rt = pol_rates_new(100);
	struct pol_conf c;
	static struct rq q;
	const char *text, *u = "a@example.com";
	uint64_t m, n;
	int i;

	(void)state;
	pol_conf_defaults(&c);
	c.msg_rate = 3;
	c.rcpt_rate = 5;
	/* RCPT only: two messages, interleaved (two connections at once). */
	for (i = 0; i < 2; i++) {
		assert_int_equal(pol_decide(&c, NULL, rt, mkreq(&q, "RCPT", u, u, "192.0.2.1", 0,
								"msg.one"),
					    T0, &text),
				 PV_DUNNO);
		assert_int_equal(pol_decide(&c, NULL, rt, mkreq(&q, "RCPT", u, u, "192.0.2.2", 0,
								"msg.two"),
					    T0, &text),
				 PV_DUNNO);
	}
	pol_rates_get(rt, u, T0, &m, &n);
	assert_true(m == 2 && n == 4);
	/* The 5th recipient fits; the 6th does not. */
	assert_int_equal(pol_decide(&c, NULL, rt,
				    mkreq(&q, "RCPT", u, u, "192.0.2.1", 0, "msg.one"), T0, &text),
			 PV_DUNNO);
	assert_int_equal(pol_decide(&c, NULL, rt,
				    mkreq(&q, "RCPT", u, u, "192.0.2.1", 0, "msg.one"), T0, &text),
			 PV_RATE);
	pol_rates_get(rt, u, T0, &m, &n);
	assert_true(m == 2 && n == 5);
	/* Messages: a third fits, a fourth does not (fresh recipients count). */
	c.rcpt_rate = 0;
	assert_int_equal(pol_decide(&c, NULL, rt,
				    mkreq(&q, "RCPT", u, u, "192.0.2.1", 0, "msg.three"), T0, &text),
			 PV_DUNNO);
	assert_int_equal(pol_decide(&c, NULL, rt,
				    mkreq(&q, "RCPT", u, u, "192.0.2.1", 0, "msg.three"), T0, &text),
			 PV_DUNNO);
	assert_int_equal(pol_decide(&c, NULL, rt,
				    mkreq(&q, "RCPT", u, u, "192.0.2.1", 0, "msg.four"), T0, &text),
			 PV_RATE);
	/* No instance: each recipient is a message. */
	assert_int_equal(pol_decide(&c, NULL, rt,
				    mkreq(&q, "RCPT", "b@example.com", u, "192.0.2.1", 0, ""), T0,
				    &text),
			 PV_DUNNO);
	pol_rates_get(rt, "b@example.com", T0, &m, &n);
	assert_true(m == 1 && n == 1);

	/* A DATA request: from now on DATA counts, RCPT only checks. */
	c.msg_rate = 100;
	c.rcpt_rate = 100;
	assert_int_equal(pol_decide(&c, NULL, rt, mkreq(&q, "DATA", "d@example.com", u,
							"192.0.2.1", 4, "m1"),
				    T0, &text),
			 PV_DUNNO);
	assert_int_equal(pol_decide(&c, NULL, rt, mkreq(&q, "RCPT", "d@example.com", u,
							"192.0.2.1", 0, "m2"),
				    T0, &text),
			 PV_DUNNO);
	pol_rates_get(rt, "d@example.com", T0, &m, &n);
	assert_true(m == 1 && n == 4);
	/* An END-OF-MESSAGE request: from now on only it counts. */
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "d@example.com", 2), T0 + 10, &text),
			 PV_DUNNO);
	assert_int_equal(pol_decide(&c, NULL, rt, mkreq(&q, "DATA", "d@example.com", u,
							"192.0.2.1", 4, "m3"),
				    T0 + 20, &text),
			 PV_DUNNO);
	pol_rates_get(rt, "d@example.com", T0 + 20, &m, &n);
	assert_true(m == 2 && n == 6);
	/* A window without END-OF-MESSAGE: DATA counts again. */
	assert_int_equal(pol_decide(&c, NULL, rt, mkreq(&q, "DATA", "d@example.com", u,
							"192.0.2.1", 4, "m4"),
				    T0 + 10 + 3600, &text),
			 PV_DUNNO);
	pol_rates_get(rt, "d@example.com", T0 + 10 + 3600, &m, &n);
	assert_true(m == 1 && n == 4);
	pol_rates_free(&rt);
}

/* At most max_accounts accounts; the least recently seen leaves first. */
static void
test_eviction(void **state)
{
	struct pol_rates *rt = pol_rates_new(3);
	struct pol_conf c;
	static struct rq q;
	const char *text;
	char user[64];
	uint64_t m, n;
	int i;

	(void)state;
	pol_conf_defaults(&c);
	c.msg_rate = 2;
	assert_int_equal(pol_rates_accounts(rt), 0);
	for (i = 0; i < 3; i++) {
		snprintf(user, sizeof(user), "u%d@example.com", i);
		pol_decide(&c, NULL, rt, eom(&q, user, 1), T0 + i, &text);
	}
	assert_int_equal(pol_rates_accounts(rt), 3);
	/* u0 is seen again: u1 is now the oldest. */
	pol_decide(&c, NULL, rt, eom(&q, "u0@example.com", 1), T0 + 5, &text);
	pol_decide(&c, NULL, rt, eom(&q, "u3@example.com", 1), T0 + 6, &text);
	assert_int_equal(pol_rates_accounts(rt), 3);
	pol_rates_get(rt, "u1@example.com", T0 + 6, &m, &n);
	assert_true(m == 0);
	pol_rates_get(rt, "u0@example.com", T0 + 6, &m, &n);
	assert_true(m == 2);
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "u0@example.com", 1), T0 + 7, &text),
			 PV_RATE);
	/* A check alone (MAIL) brings no account in. */
	pol_decide(&c, NULL, rt, mkreq(&q, "MAIL", "new@example.com", "", "192.0.2.1", 0, ""),
		   T0 + 8, &text);
	assert_int_equal(pol_rates_accounts(rt), 3);
	/* Many accounts: never more than the bound. */
	for (i = 0; i < 1000; i++) {
		snprintf(user, sizeof(user), "many%d@example.com", i);
		pol_decide(&c, NULL, rt, eom(&q, user, 1), T0 + 10, &text);
		assert_true(pol_rates_accounts(rt) <= 3);
	}
	pol_rates_free(&rt);
	pol_rates_free(&rt);	/* NULL is fine */

	rt = pol_rates_new(0);	/* the default bound */
	pol_decide(&c, NULL, rt, eom(&q, "x@example.com", 1), T0, &text);
	assert_int_equal(pol_rates_accounts(rt), 1);
	pol_rates_free(&rt);
}

/* Under churn the table holds exactly the max_accounts most recently used
 * accounts (a simple list is the model), whatever the order of use has
 * been through: growth, compaction, deletions from the index. A check
 * without counting (MAIL) is a use too. */
static void
test_eviction_order(void **state)
{
	enum { MAX = 50, UNIVERSE = 160, OPS = 30000 };
	struct pol_rates *rt = pol_rates_new(MAX);
	struct pol_conf c;
	static struct rq q;
	const char *text;
	char user[64];
	int model[MAX], n = 0, i, k, j;
	unsigned seed = 12345;
	uint64_t m, r;

	(void)state;
	pol_conf_defaults(&c);
	c.msg_rate = c.rcpt_rate = UINT32_MAX;
	for (i = 0; i < OPS; i++) {
		bool count;

		seed = seed * 1103515245u + 12345u;
		/* a skewed choice: some accounts come back often, some seldom */
		k = (int)((seed >> 8) % UNIVERSE);
		if ((seed >> 20) % 3 == 0)
			k %= 20;
		count = (seed >> 24) % 10 < 7;
		snprintf(user, sizeof(user), "U%d@Example.com", k);
		pol_decide(&c, NULL, rt,
			   count ? eom(&q, user, 1)
				 : mkreq(&q, "MAIL", user, "", "192.0.2.7", 0, ""),
			   T0, &text);
		for (j = 0; j < n && model[j] != k; j++)
			;
		if (j < n) {	/* used again: to the end of the model */
			memmove(&model[j], &model[j + 1], (size_t)(n - j - 1) * sizeof(model[0]));
			model[n - 1] = k;
		} else if (count) {	/* a new account: the oldest goes at the ceiling */
			if (n == MAX) {
				memmove(&model[0], &model[1], (size_t)(n - 1) * sizeof(model[0]));
				n--;
			}
			model[n++] = k;
		}
		assert_int_equal(pol_rates_accounts(rt), n);
		if (i % 97 != 0 && i < OPS - 1)
			continue;
		for (k = 0; k < UNIVERSE; k++) {
			snprintf(user, sizeof(user), "u%d@example.com", k);
			pol_rates_get(rt, user, T0, &m, &r);
			for (j = 0; j < n && model[j] != k; j++)
				;
			if ((m > 0) != (j < n))
				fail_msg("op %d: account %d %s the table but %s the model", i, k,
					 m > 0 ? "in" : "not in", j < n ? "in" : "not in");
		}
	}
	pol_rates_free(&rt);
}

/* The clock going back, odd windows and extreme times break nothing. */
static void
test_clock(void **state)
{
	static const int64_t times[] = { T0, T0 - 100000, 0, -1, -7201, INT64_MIN, INT64_MAX,
					 INT64_MIN + 1, INT64_MAX - 1, T0 };
	struct pol_rates *rt = pol_rates_new(10);
	struct pol_conf c;
	static struct rq q;
	const char *text;
	uint64_t m, n;
	size_t i;

	(void)state;
	pol_conf_defaults(&c);
	c.msg_rate = 1000;
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 1), T0, &text),
			 PV_DUNNO);
	/* Back in time: counted in the newest bucket. */
	assert_int_equal(pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 1), T0 - 500, &text),
			 PV_DUNNO);
	pol_rates_get(rt, "a@example.com", T0, &m, &n);
	assert_true(m == 2);
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		c.rate_window = (int64_t)i * 7 - 3;	/* <= 0 is the default */
		pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 4000000000u), times[i], &text);
		pol_decide(&c, NULL, rt,
			   mkreq(&q, "RCPT", "a@example.com", "", "192.0.2.1", 0, "i"), times[i],
			   &text);
		pol_rates_get(rt, "a@example.com", times[i], &m, &n);
	}
	/* A new window restarts the counts. */
	c.rate_window = 3600;
	c.rcpt_rate = 0;
	pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 1), T0, &text);
	pol_rates_get(rt, "a@example.com", T0, &m, &n);
	assert_true(m == 1 && n == 1);
	/* Recipient counts saturate instead of wrapping. */
	c.msg_rate = UINT32_MAX;
	for (i = 0; i < 3; i++)
		pol_decide(&c, NULL, rt, eom(&q, "a@example.com", 4000000000u), T0, &text);
	pol_rates_get(rt, "a@example.com", T0, &m, &n);
	assert_true(n == UINT32_MAX);
	pol_rates_free(&rt);
}

/* Microseconds per decision, with the rate table full. */
static void
test_speed(void **state)
{
	struct pol_rates *rt;
	struct fake f = { .locked = "nobody@example.com" };
	struct pol_state_ops ops = { fake_locked, fake_suspected, fake_allowed, fake_alias, &f };
	static struct rq q[16];
	struct pol_conf c;
	const char *text;
	struct timespec a, b;
	double secs;
	int i;

	(void)state;
	if (getenv("MS_SANITIZED") != NULL)
		skip();
	rt = pol_rates_new(1000);
	pol_conf_defaults(&c);
	c.mismatch_check = true;
	c.msg_rate = c.rcpt_rate = UINT32_MAX;
	for (i = 0; i < 16; i++) {
		char user[64];

		snprintf(user, sizeof(user), "user%d@example.com", i);
		eom(&q[i], user, 3);
	}
	for (i = 0; i < 2000; i++) {
		char user[64];
		static struct rq w;

		snprintf(user, sizeof(user), "warm%d@example.com", i);
		pol_decide(&c, &ops, rt, eom(&w, user, 1), T0, &text);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < 200000; i++)
		pol_decide(&c, &ops, rt, &q[i % 16].r, T0 + i / 100, &text);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("pol_decide: %.2f us per decision\n", secs / 200000 * 1e6);
	assert_true(secs / 200000 < 20e-6);
	pol_rates_free(&rt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),	cmocka_unit_test(test_unauthenticated),
		cmocka_unit_test(test_each_verdict),	cmocka_unit_test(test_order),
		cmocka_unit_test(test_switched_off),	cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_rate_messages),	cmocka_unit_test(test_rate_recipients),
		cmocka_unit_test(test_rate_stages),	cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_eviction_order),
		cmocka_unit_test(test_clock),		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
