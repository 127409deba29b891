/* test_corr.c - correlation: Postfix queue-id joins and repeated failures */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "correlate/corr.h"

static struct evt
mk(enum evt_type t, int64_t time, const char *source, const char *service)
{
	struct evt e;

	evt_clear(&e);
	e.type = t;
	e.time = time;
	e.source = source;
	strcpy(e.host, "mx");
	strcpy(e.service, service);
	return e;
}

static void
set_ip(struct evt *e, const char *ip)
{
	assert_int_equal(evt_set_ip(e, strv_cstr(ip)), 0);
}

/* smtpd client= with SASL -> qmgr from= -> smtp to= -> removed: the delivery
 * knows who sent it; after "removed" the queue id is forgotten (reused ids
 * must not inherit the old sender). */
static void
test_postfix_join(void **state)
{
	struct corr *c = corr_new();
	struct corr_stats st;
	struct evt e;

	(void)state;
	e = mk(EVT_AUTH_SUCCESS, 100, "postfix", "submission");
	strcpy(e.qid, "4A1B2C3D4E");
	strcpy(e.account, "hello@example.com");
	strcpy(e.mech, "PLAIN");
	set_ip(&e, "192.0.2.27");
	assert_true(corr_event(c, &e));

	e = mk(EVT_MESSAGE_ACCEPTED, 101, "postfix", "");
	strcpy(e.qid, "4A1B2C3D4E");
	strcpy(e.sender, "hello@example.com");
	e.flags |= EVT_HAS_SENDER;
	assert_true(corr_event(c, &e));
	assert_string_equal(e.account, "hello@example.com");
	assert_string_equal(e.ip, "192.0.2.27");
	assert_false(e.flags & EVT_REPEAT);

	/* qmgr logs the same message again when it retries it */
	e = mk(EVT_MESSAGE_ACCEPTED, 1900, "postfix", "");
	strcpy(e.qid, "4A1B2C3D4E");
	assert_true(corr_event(c, &e));
	assert_true(e.flags & EVT_REPEAT);
	assert_string_equal(e.account, "hello@example.com");

	e = mk(EVT_DELIVERY, 102, "postfix", "smtp");
	strcpy(e.qid, "4A1B2C3D4E");
	strcpy(e.recipient, "x@example.net");
	e.status = EVT_STATUS_BOUNCED;
	assert_true(corr_event(c, &e));
	assert_string_equal(e.account, "hello@example.com");
	assert_string_equal(e.ip, "192.0.2.27");
	assert_string_equal(e.mech, "PLAIN");
	assert_string_equal(e.sender, "hello@example.com");

	/* Same queue id on another host: a different message. */
	e = mk(EVT_DELIVERY, 102, "postfix", "smtp");
	strcpy(e.host, "mx2");
	strcpy(e.qid, "4A1B2C3D4E");
	assert_true(corr_event(c, &e));
	assert_string_equal(e.account, "");

	e = mk(EVT_MSG_DONE, 103, "postfix", "");
	strcpy(e.qid, "4A1B2C3D4E");
	assert_false(corr_event(c, &e));
	corr_get_stats(c, &st);
	assert_int_equal(st.messages, 0);

	e = mk(EVT_DELIVERY, 104, "postfix", "smtp");
	strcpy(e.qid, "4A1B2C3D4E");
	assert_true(corr_event(c, &e));
	assert_string_equal(e.account, "");
	corr_free(&c);
	assert_null(c);
}

/* Dovecot's auth process line, then the login process's summary of the same
 * attempt: the summary is a repeat; a second summary without a back-end line
 * is not; a summary for another account is not. */
static void
test_repeat(void **state)
{
	struct corr *c = corr_new();
	struct evt e;

	(void)state;
	e = mk(EVT_AUTH_FAILURE, 200, "dovecot", "");
	strcpy(e.account, "U@example.com");
	set_ip(&e, "192.0.2.4");
	assert_true(corr_event(c, &e));
	assert_false(e.flags & EVT_REPEAT);

	e = mk(EVT_AUTH_FAILURE, 202, "dovecot", "imap");
	strcpy(e.account, "u@example.com");
	set_ip(&e, "192.0.2.4");
	e.attempts = 1;
	e.flags |= EVT_HAS_ATTEMPTS;
	assert_true(corr_event(c, &e));
	assert_true(e.flags & EVT_REPEAT);

	e.time = 203;
	e.flags &= ~(uint32_t)EVT_REPEAT;
	assert_true(corr_event(c, &e));
	assert_false(e.flags & EVT_REPEAT);

	/* Postfix SASL through Dovecot: the warning names no user; it takes
	 * the back end's account. */
	e = mk(EVT_AUTH_FAILURE, 300, "dovecot", "");
	strcpy(e.account, "v@example.com");
	set_ip(&e, "192.0.2.5");
	corr_event(c, &e);
	e = mk(EVT_AUTH_FAILURE, 301, "postfix", "submission");
	set_ip(&e, "192.0.2.5");
	corr_event(c, &e);
	assert_true(e.flags & EVT_REPEAT);
	assert_string_equal(e.account, "v@example.com");

	/* Too late: not a repeat. */
	e = mk(EVT_AUTH_FAILURE, 400, "dovecot", "");
	strcpy(e.account, "w@example.com");
	set_ip(&e, "192.0.2.6");
	corr_event(c, &e);
	e = mk(EVT_AUTH_FAILURE, 400 + CORR_REPEAT_WINDOW + 1, "dovecot", "pop3");
	strcpy(e.account, "w@example.com");
	set_ip(&e, "192.0.2.6");
	corr_event(c, &e);
	assert_false(e.flags & EVT_REPEAT);

	/* Another account from the same client: not a repeat. */
	e = mk(EVT_AUTH_FAILURE, 500, "dovecot", "");
	strcpy(e.account, "a@example.com");
	set_ip(&e, "192.0.2.7");
	corr_event(c, &e);
	e = mk(EVT_AUTH_FAILURE, 501, "dovecot", "imap");
	strcpy(e.account, "b@example.com");
	set_ip(&e, "192.0.2.7");
	corr_event(c, &e);
	assert_false(e.flags & EVT_REPEAT);
	corr_free(&c);
}

/* Messages whose end is never logged are forgotten by age. */
static void
test_age_limit(void **state)
{
	struct corr *c = corr_new();
	struct corr_stats st;
	struct evt e;
	char qid[16];
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		e = mk(EVT_MESSAGE_ACCEPTED, 1000 + i, "postfix", "");
		snprintf(qid, sizeof(qid), "AB%04d", i);
		strcpy(e.qid, qid);
		corr_event(c, &e);
	}
	corr_get_stats(c, &st);
	assert_int_equal(st.messages, 100);
	e = mk(EVT_REJECT, 1100 + LIMIT_CORR_AGE_SECONDS, "postfix", "smtp");
	corr_event(c, &e);
	corr_get_stats(c, &st);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.evicted, 100);
	corr_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postfix_join),
		cmocka_unit_test(test_repeat),
		cmocka_unit_test(test_age_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
