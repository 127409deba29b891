/* test_corr_qmail.c - one qmail + vpopmail session through the parsers
 *                     and correlation: the delivery event must name the
 *                     account, client IP, queue id and recipient */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "correlate/corr.h"
#include "parse/parse.h"
#include "util/buf.h"

struct line {
	const char *prog, *msg;
	int64_t time;
};

/* Incident 1's shape: an SMTP AUTH login, the message it injects, one
 * remote delivery that bounces; splogger framing (the epoch in the text). */
static const struct line session[] = {
	{ "vpopmail", "vchkpw-submission: (PLAIN) login success hello@example.com:192.0.2.27",
	  1374486776 },
	{ "qmail", "1374486777.611077 new msg 90219", 1374486777 },
	{ "qmail", "1374486777.611077 info msg 90219: bytes 1364 from <hello@example.com> qp 17121 uid 103",
	  1374486777 },
	{ "qmail", "1374486777.638528 starting delivery 77421: msg 90219 to remote victim@example.net",
	  1374486777 },
	{ "qmail", "1374486777.640000 status: local 0/10 remote 1/60", 1374486777 },
	{ "qmail", "1374486778.100000 delivery 77421: failure: 192.0.2.99_does_not_like_recipient./"
		   "Remote_host_said:_550_5.1.1_no_such_user/Giving_up_on_192.0.2.99./",
	  1374486778 },
	{ "qmail", "1374486778.200000 bounce msg 90219 qp 17200", 1374486778 },
	{ "qmail", "1374486778.300000 end msg 90219", 1374486778 },
};

static void
feed(struct corr *c, const struct line *l, struct evt *got, int *ngot)
{
	struct frame f;
	struct parse_out out;
	int i;

	memset(&f, 0, sizeof(f));
	f.kind = FRAME_RFC3164;
	f.time = l->time;
	f.host = STRV_LIT("mx");
	f.prog = strv_cstr(l->prog);
	f.msg = strv_cstr(l->msg);
	out.n = 0;
	assert_true(parse_line(&f, &out) >= PARSE_NOEVENT);
	for (i = 0; i < out.n; i++)
		if (corr_event(c, &out.ev[i]) && *ngot < 16)
			got[(*ngot)++] = out.ev[i];
}

static void
test_session(void **state)
{
	struct corr *c = corr_new();
	struct evt got[16];
	int n = 0, i, deliveries = 0;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(session) / sizeof(session[0]); k++)
		feed(c, &session[k], got, &n);
	/* auth_success, message_accepted, delivery, bounce */
	assert_int_equal(n, 4);
	assert_int_equal(got[1].type, EVT_MESSAGE_ACCEPTED);
	assert_string_equal(got[1].account, "hello@example.com");
	assert_string_equal(got[1].ip, "192.0.2.27");
	assert_string_equal(got[1].mech, "PLAIN");
	for (i = 0; i < n; i++) {
		if (got[i].type != EVT_DELIVERY)
			continue;
		deliveries++;
		assert_int_equal(got[i].status, EVT_STATUS_BOUNCED);
		assert_string_equal(got[i].account, "hello@example.com");
		assert_string_equal(got[i].ip, "192.0.2.27");
		assert_string_equal(got[i].qid, "90219");
		assert_string_equal(got[i].recipient, "victim@example.net");
		assert_string_equal(got[i].service, "remote");
		assert_string_equal(got[i].sender, "hello@example.com");
		assert_string_equal(got[i].dsn, "5.1.1");
		assert_true(got[i].time == 1374486778 && got[i].usec == 100000);
		{
			struct buf b;

			buf_init(&b, 1 << 16);
			evt_json(&got[i], &b);
			buf_append_char(&b, '\0');
			assert_string_equal(
				b.data,
				"{\"time\":\"2013-07-22T09:52:58Z\",\"source\":\"qmail\","
				"\"service\":\"remote\",\"type\":\"delivery\","
				"\"account\":\"hello@example.com\",\"ip\":\"192.0.2.27\","
				"\"mech\":\"PLAIN\",\"qid\":\"90219\",\"sender\":\"hello@example.com\","
				"\"recipient\":\"victim@example.net\",\"status\":\"bounced\","
				"\"dsn\":\"5.1.1\",\"relay\":\"192.0.2.99\",\"reason\":"
				"\"192.0.2.99_does_not_like_recipient./Remote_host_said:_550_5.1.1_"
				"no_such_user/Giving_up_on_192.0.2.99./\",\"host\":\"mx\"}");
			buf_release(&b);
		}
	}
	assert_int_equal(deliveries, 1);
	assert_int_equal(got[3].type, EVT_BOUNCE);
	assert_string_equal(got[3].account, "hello@example.com");
	corr_free(&c);
}

/* Without a recent login of its sender, a message stays unattributed,
 * but its delivery still gets qid, recipient and channel. */
static void
test_no_login(void **state)
{
	static const struct line lines[] = {
		{ "", "info msg 5: bytes 10 from <other@example.com> qp 1 uid 2", 1000 },
		{ "", "starting delivery 6: msg 5 to local box@example.com", 1000 },
		{ "", "delivery 6: success: did_0+0+1/", 1001 },
	};
	struct corr *c = corr_new();
	struct evt got[16];
	int n = 0;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(lines) / sizeof(lines[0]); k++)
		feed(c, &lines[k], got, &n);
	assert_int_equal(n, 2);
	assert_int_equal(got[1].type, EVT_DELIVERY);
	assert_string_equal(got[1].account, "");
	assert_string_equal(got[1].qid, "5");
	assert_string_equal(got[1].recipient, "box@example.com");
	assert_string_equal(got[1].service, "local");
	assert_int_equal(got[1].status, EVT_STATUS_SENT);
	corr_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_no_login),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
