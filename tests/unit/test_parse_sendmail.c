/* test_parse_sendmail.c - parse_sendmail: one vector per rule, malformed
 * and hostile lines, and every Sendmail line of the shared corpus */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "corpus.h"
#include "parse/parse.h"
#include "parsetest.h"
#include "util/netaddr.h"

#define T0 1700000000	/* 2023-11-14T22:13:20Z */

#define J(s) "{\"time\":\"2023-11-14T22:13:20Z\",\"source\":\"sendmail\"," s "}"

static const struct parsetest_vector vectors[] = {
	{ "j061bXn5000812: from=<user@example.org>, size=2262, class=0, nrcpts=1, msgid=<200501060137.j061bW9V000809@example.org>, proto=ESMTP, daemon=MTA, relay=client.example.org [192.0.2.1]",
	  J("\"service\":\"smtp\",\"type\":\"message_accepted\",\"ip\":\"192.0.2.1\",\"qid\":\"j061bXn5000812\",\"sender\":\"user@example.org\",\"nrcpt\":1,\"size\":2262") },
	{ "j061bXn5000812: from=<>, size=10, class=0, nrcpts=2, msgid=<x@example.org>, proto=ESMTP, daemon=MSA, relay=c.example.org [IPv6:2001:db8::1] (may be forged)",
	  J("\"service\":\"submission\",\"type\":\"message_accepted\",\"ip\":\"2001:db8::1\",\"qid\":\"j061bXn5000812\",\"sender\":\"\",\"nrcpt\":2,\"size\":10") },
	{ "j061bXn5000812: from=user, size=9, class=0, nrcpts=1, msgid=<x@example.org>, relay=user@localhost",
	  J("\"type\":\"message_accepted\",\"qid\":\"j061bXn5000812\",\"sender\":\"user\",\"nrcpt\":1,\"size\":9") },
	{ "rA37ZTSC026254: from=<a@example.com>, size=0, class=0, nrcpts=0, bodytype=8BITMIME, proto=ESMTP, daemon=MTA, relay=dsl.example.net [198.51.100.163]",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"198.51.100.163\",\"qid\":\"rA37ZTSC026254\",\"sender\":\"a@example.com\",\"reason\":\"no valid recipients\"") },
	{ "j4K97fD5028627: to=<r@example.net>, delay=00:00:01, xdelay=00:00:00, mailer=esmtp, pri=34674, relay=mx.example.net. [198.51.100.7], dsn=2.0.0, stat=Sent (ok ; id=2005)",
	  J("\"service\":\"smtp\",\"type\":\"delivery\",\"qid\":\"j4K97fD5028627\",\"recipient\":\"r@example.net\",\"status\":\"sent\",\"dsn\":\"2.0.0\",\"relay\":\"mx.example.net. [198.51.100.7]\"") },
	{ "j4K97fD5028627: to=a@example.net,<b@example.net>, ctladdr=user (501/20), delay=00:00:01, mailer=local, pri=1, dsn=5.1.1, stat=User unknown",
	  J("\"service\":\"local\",\"type\":\"delivery\",\"qid\":\"j4K97fD5028627\",\"recipient\":\"a@example.net\",\"status\":\"bounced\",\"dsn\":\"5.1.1\",\"reason\":\"User unknown\"") "\n"
	  J("\"service\":\"local\",\"type\":\"delivery\",\"qid\":\"j4K97fD5028627\",\"recipient\":\"b@example.net\",\"status\":\"bounced\",\"dsn\":\"5.1.1\",\"reason\":\"User unknown\"") },
	{ "j4K97fD5028627: to=<r@example.net>, delay=00:00:01, xdelay=00:00:00, mailer=esmtp, pri=1, relay=mx.example.net., dsn=4.0.0, stat=Deferred: Connection refused by mx.example.net.",
	  J("\"service\":\"smtp\",\"type\":\"delivery\",\"qid\":\"j4K97fD5028627\",\"recipient\":\"r@example.net\",\"status\":\"deferred\",\"dsn\":\"4.0.0\",\"relay\":\"mx.example.net.\",\"reason\":\"Deferred: Connection refused by mx.example.net.\"") },
	{ "u1ABcDe1012345: AUTH=server, relay=client.example.net [192.0.2.10], authid=user@example.com, mech=PLAIN, bits=0",
	  J("\"service\":\"smtp\",\"type\":\"auth_success\",\"account\":\"user@example.com\",\"ip\":\"192.0.2.10\",\"mech\":\"PLAIN\",\"qid\":\"u1ABcDe1012345\"") },
	{ "06I02CNi016764: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=user@example.com, relay=example.com [192.0.2.3] (may be forged)",
	  J("\"service\":\"smtp\",\"type\":\"auth_failure\",\"account\":\"user@example.com\",\"ip\":\"192.0.2.3\",\"mech\":\"LOGIN\",\"qid\":\"06I02CNi016764\",\"reason\":\"authentication failure (-13) SASL(-13): authentication failure: checkpass failed\"") },
	/* the user name is the client's text: the last relay= is the client */
	{ "06I02CNi016765: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, user=criminal, relay=[192.0.2.100], relay=[192.0.2.4] (may be forged)",
	  J("\"service\":\"smtp\",\"type\":\"auth_failure\",\"account\":\"criminal, relay=[192.0.2.100]\",\"ip\":\"192.0.2.4\",\"mech\":\"LOGIN\",\"qid\":\"06I02CNi016765\",\"reason\":\"authentication failure (-13) SASL(-13): authentication failure: checkpass failed\"") },
	{ "26H8MRrS025411: AUTH failure (LOGIN): authentication failure (-13) SASL(-13): authentication failure: checkpass failed, relay=[192.0.2.9]",
	  J("\"service\":\"smtp\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.9\",\"mech\":\"LOGIN\",\"qid\":\"26H8MRrS025411\",\"reason\":\"authentication failure (-13) SASL(-13): authentication failure: checkpass failed\"") },
	{ "s1GNXHYB005133: [192.0.2.1]: possible SMTP attack: command=AUTH, count=5",
	  J("\"service\":\"smtp\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.1\",\"qid\":\"s1GNXHYB005133\",\"attempts\":5,\"reason\":\"possible SMTP attack: command=AUTH\"") },
	{ "s1OHxxSn001499: dsl.example.net [198.51.100.192] (may be forged): possible SMTP attack: command=RCPT, count=6",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"198.51.100.192\",\"qid\":\"s1OHxxSn001499\",\"attempts\":6,\"reason\":\"possible SMTP attack: command=RCPT\"") },
	{ "ruleset=check_relay, arg1=host.example.com, arg2=192.0.2.17, relay=host.example.com [192.0.2.17], reject=421 4.3.2 Connection rate limit exceeded.",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.17\",\"dsn\":\"4.3.2\",\"reason\":\"Connection rate limit exceeded.\"") },
	{ "s1REn1un088377: ruleset=check_rcpt, arg1=<nobody@example.com>, relay=dsl.example.net [198.51.100.74], reject=550 5.1.1 <nobody@example.com>... User unknown",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"198.51.100.74\",\"qid\":\"s1REn1un088377\",\"recipient\":\"nobody@example.com\",\"dsn\":\"5.1.1\",\"reason\":\"<nobody@example.com>... User unknown\"") },
	{ "k4PK86E0020867: ruleset=check_mail, arg1=<s@example.com>, relay=[192.0.2.205] (may be forged), reject=553 5.1.8 <s@example.com>... Domain of sender address s@example.com does not exist",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.205\",\"qid\":\"k4PK86E0020867\",\"sender\":\"s@example.com\",\"dsn\":\"5.1.8\",\"reason\":\"<s@example.com>... Domain of sender address s@example.com does not exist\"") },
	{ "j4KC1gSG002847: <nobody@example.edu>... User unknown",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"qid\":\"j4KC1gSG002847\",\"recipient\":\"nobody@example.edu\",\"reason\":\"User unknown\"") },
	{ "j4K970hV028494: j4K975hV028499: DSN: Service unavailable",
	  J("\"service\":\"smtp\",\"type\":\"bounce\",\"qid\":\"j4K970hV028494\",\"ndr_qid\":\"j4K975hV028499\",\"reason\":\"Service unavailable\"") },
	{ "j4IKMrAb010918: j4IKMrAc010918: return to sender: Cannot send message for 5 days",
	  J("\"service\":\"smtp\",\"type\":\"bounce\",\"qid\":\"j4IKMrAb010918\",\"ndr_qid\":\"j4IKMrAc010918\",\"reason\":\"Cannot send message for 5 days\"") },
	{ "56VFYCxS024291: lost input channel from mail.example.org [192.0.2.196] to MTA-v4 after rcpt",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.196\",\"qid\":\"56VFYCxS024291\",\"reason\":\"lost input channel after rcpt\"") },
	{ "06QDQnNf050438: example.com [IPv6:2001:DB8::1] did not issue MAIL/EXPN/VRFY/ETRN during connection to IPv6",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"2001:db8::1\",\"qid\":\"06QDQnNf050438\",\"reason\":\"did not issue MAIL/EXPN/VRFY/ETRN\"") },
	{ "s1R9r60D044307: rejecting commands from  [192.0.2.253] due to pre-greeting traffic after 0 seconds",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.253\",\"qid\":\"s1R9r60D044307\",\"reason\":\"pre-greeting traffic\"") },
	{ "s1MD2hsd004030: dsl.example.net [198.51.100.194]: EXPN root [rejected]",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"198.51.100.194\",\"qid\":\"s1MD2hsd004030\",\"reason\":\"EXPN root\"") },
	{ "k876hJS0063495: Milter: data, reject=550 5.7.1 Blocked by SpamAssassin",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"qid\":\"k876hJS0063495\",\"dsn\":\"5.7.1\",\"reason\":\"Blocked by SpamAssassin\"") },
};

static const struct parsetest_outcome others[] = {
	{ "j78ASk4e013165: done; delay=00:00:01, ntries=1", PARSE_EVENTS },
	{ "j4K97TIQ029478: timeout waiting for input from [192.0.2.61] during message collect", PARSE_NOEVENT },
	{ "STARTTLS=server, relay=c.example.net [192.0.2.5], version=TLSv1.2, verify=NO, cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256/256", PARSE_NOEVENT },
	{ "j4IIuhXi011472: j4IJMlLo021380: DSN: Return receipt", PARSE_NOEVENT },
	{ "j4K9EjQ0008950: j4K9ElQ0008953: postmaster notify: Data format error", PARSE_NOEVENT },
	{ "j78ASk4e013165: to=r@example.org, delay=00:00:01, mailer=esmtp, pri=1, stat=queued", PARSE_NOEVENT },
	{ "starting daemon (8.12.9): SMTP+queueing@01:00:00", PARSE_NOEVENT },
	{ "something sendmail never wrote", PARSE_UNMATCHED },
	/* malformed: a bracket that is not one address, an oversized field */
	{ "j2OFquVD026245: ruleset=check_rcpt, arg1=<a@example.org>, relay=mx2.example.net [192.0.2.999], reject=553 5.1.8 x", PARSE_MALFORMED },
	{ "s1GNXHYB005133: [192.0.2.1]: possible SMTP attack: command=AUTH, count=5x", PARSE_MALFORMED },
	{ "j061bXn5000812: from=<a@example.org>, size=12k, class=0, nrcpts=1, relay=[192.0.2.1]", PARSE_MALFORMED },
	{ "j4K97fD5028627: to=, delay=00:00:01, mailer=esmtp, stat=Sent", PARSE_MALFORMED },
};

static void
test_vectors(void **state)
{
	struct frame f = parsetest_frame(FRAME_RFC3164, "sm-mta", STRV_LIT(""), T0);

	(void)state;
	assert_int_equal(PARSETEST_VECTORS(&f, vectors), 0);
	assert_int_equal(PARSETEST_OUTCOMES(&f, others), 0);
}

/* Many recipients: at most LIMIT_EVENTS_PER_LINE events. */
static void
test_many_rcpts(void **state)
{
	char msg[4096] = "j4K97fD5028627: to=";
	struct frame f;
	struct parse_out out;
	int i;

	(void)state;
	for (i = 0; i < 20; i++)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%su%d@example.com",
			 i ? "," : "", i);
	snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), ", mailer=esmtp, stat=Sent (ok)");
	f = parsetest_frame(FRAME_RFC3164, "sendmail", strv_cstr(msg), T0);
	assert_int_equal(parse_line(&f, &out), PARSE_EVENTS);
	assert_int_equal(out.n, LIMIT_EVENTS_PER_LINE);
	assert_string_equal(out.ev[3].recipient, "u3@example.com");
}

/* Hostile lines finish fast (the matcher's step budget). */
static void
test_hostile(void **state)
{
	static const char *const units[] = { ", relay=", ": ", "[", "] (may be forged)", "to=a,",
					     ", user=", "AUTH failure (", "<a>... " };
	static char msg[LIMIT_LINE_MAX];
	struct parse_out out;
	size_t u;

	(void)state;
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		struct frame f;
		double t0;

		parsetest_fill(msg, sizeof(msg), "j4K97fD5028627: ", units[u]);
		f = parsetest_frame(FRAME_RFC3164, "sendmail", strv_cstr(msg), T0);
		t0 = parsetest_ms();
		parse_line(&f, &out);
		f.msg = strv_skip(f.msg, 16);
		parse_line(&f, &out);
		if (parsetest_ms() - t0 > 200)
			fail_msg("unit \"%s\" took %.0f ms", units[u], parsetest_ms() - t0);
	}
}

/* --- the shared corpus ------------------------------------------------- */

static bool
is_sendmail_prog(struct strv prog)
{
	static const char *const progs[] = { "sm-acceptingconnections", "sm-msp-queue", "sm-mta",
					     "sendmail" };
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (strv_eq_cstr(prog, progs[i]))
			return true;
	return false;
}

struct tally {
	struct frame_ctx ctx;
	unsigned counts[5], lines, munged, f2b, bad;
};

static int
corpus_one(const struct corpus_line *l, void *arg)
{
	struct tally *t = arg;
	int shown = (int)(l->text.len > 300 ? 300 : l->text.len);
	static struct parse_out out;
	struct frame f;
	enum parse_result r;
	int ip, k;

	if (corpus_frame(&t->ctx, 0, 0, l, &f) == CORPUS_UNFRAMED || !is_sendmail_prog(f.prog))
		return 0;
	t->lines++;
	r = parse_line(&f, &out);
	t->counts[r]++;
	if (getenv("MS_VERBOSE") != NULL && r != PARSE_EVENTS && r != PARSE_NOEVENT)
		print_message("%d: %.*s\n", (int)r, shown, l->text.p);
	ip = corpus_bracket_ip(l->text);
	if (ip < 0)
		t->munged++;
	if ((ip > 0 || strv_find(l->text, STRV_LIT("user=")) != NULL) &&
	    (r == PARSE_UNMATCHED || r == PARSE_MALFORMED)) {
		print_message("%s: %s: %.*s\n", l->file, r == PARSE_MALFORMED ? "MALFORMED" : "UNMATCHED",
			      shown, l->text.p);
		t->bad++;
	}
	if (l->label.match && l->label.host[0] != '\0') {
		bool found = false;

		t->f2b++;
		for (k = 0; r == PARSE_EVENTS && k < out.n; k++)
			found |= strcasecmp(out.ev[k].ip, l->label.host) == 0;
		if (!found) {
			print_message("%s: no event with ip %s: %.*s\n", l->file, l->label.host, shown,
				      l->text.p);
			t->bad++;
		}
	}
	return 0;
}

static void
test_corpus(void **state)
{
	static const char *const files[] = {
		"parse-syslog-mail/t/logs/sendmail-*.log",
		"parse-syslog-mail/t/logs/technoids.log",
		"fail2ban/sendmail-*",
		"ossec-hids/log-entries/mail-*",
		"ossec-docs/email/sendmail.rst",
	};
	static struct tally t;
	unsigned opened = 0;
	int n;

	(void)state;
	if (corpus_dir() == NULL) {
		print_message("skip: MS_CORPUS not set\n");
		skip();
	}
	memset(&t, 0, sizeof(t));
	if ((n = CORPUS_EACH_OF(files, corpus_one, &t)) > 0)
		opened = (unsigned)n;
	if (opened == 0) {
		print_message("skip: no Sendmail corpus files under MS_CORPUS\n");
		skip();
	}
	print_message("sendmail corpus: %u files, %u lines: %u events, %u no-event, %u unmatched, "
		      "%u malformed (%u with munged addresses); %u fail2ban labels checked\n",
		      opened, t.lines, t.counts[PARSE_EVENTS], t.counts[PARSE_NOEVENT],
		      t.counts[PARSE_UNMATCHED], t.counts[PARSE_MALFORMED], t.munged, t.f2b);
	assert_int_equal(t.bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_many_rcpts),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
