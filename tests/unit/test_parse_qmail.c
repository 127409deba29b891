/* test_parse_qmail.c - qmail-send, qmail-smtpd and companions' rules, and
 *                      every qmail line of the corpus (MS_CORPUS) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corpus.h"
#include "parse/parse.h"
#include "parsetest.h"

#define T0 1374486766	/* 2013-07-22T09:52:46Z */
#define TS "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"qmail\","

static struct frame
mkframe(const char *prog, const char *msg, size_t len)
{
	enum frame_kind kind = prog[0] != '\0' ? FRAME_RFC3164 : FRAME_TAI64N;

	return parsetest_frame(kind, prog, strv_make(msg, len), T0);
}

static const struct qm_case {
	const char *prog, *msg;
	enum parse_result want;
	int type;	/* of the first event, for internal events JSON does not show */
	const char *json;
} qm_cases[] = {
	/* splogger: the epoch replaces the frame time */
	{ "qmail", "1374486777.611077 info msg 90219: bytes 1364 from <hello@example.com> qp 17121 uid 103",
	  PARSE_EVENTS, EVT_MESSAGE_ACCEPTED,
	  "{\"time\":\"2013-07-22T09:52:57Z\",\"source\":\"qmail\",\"type\":\"message_accepted\","
	  "\"qid\":\"90219\",\"sender\":\"hello@example.com\",\"size\":1364}" },
	{ "qmail", "1374486777.638528 starting delivery 77421: msg 90219 to remote user@example.net",
	  PARSE_EVENTS, EVT_LINK_DELIVERY,
	  "{\"time\":\"2013-07-22T09:52:57Z\",\"source\":\"qmail\",\"service\":\"remote\","
	  "\"type\":\"link_delivery\",\"qid\":\"90219\",\"recipient\":\"user@example.net\"}" },
	/* multilog: no program name */
	{ "", "info msg 90219: bytes 1364 from <> qp 17121 uid 103", PARSE_EVENTS,
	  EVT_MESSAGE_ACCEPTED,
	  TS "\"type\":\"message_accepted\",\"qid\":\"90219\",\"sender\":\"\",\"size\":1364}" },
	{ "", "starting delivery 759: msg 68566592 to local export@example.org", PARSE_EVENTS,
	  EVT_LINK_DELIVERY,
	  TS "\"service\":\"local\",\"type\":\"link_delivery\",\"qid\":\"68566592\","
	     "\"recipient\":\"export@example.org\"}" },
	{ "", "delivery 759: success: did_0+0+1/", PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"type\":\"delivery\",\"status\":\"sent\",\"reason\":\"did_0+0+1/\"}" },
	{ "", "delivery 77421: success: 192.0.2.25_accepted_message./Remote_host_said:_250_ok/",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"type\":\"delivery\",\"status\":\"sent\",\"relay\":\"192.0.2.25\","
	     "\"reason\":\"192.0.2.25_accepted_message./Remote_host_said:_250_ok/\"}" },
	{ "", "delivery 77422: failure: Sorry,_I_couldn't_find_any_host_named_example.invalid._(#5.1.2)/",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"type\":\"delivery\",\"status\":\"bounced\",\"dsn\":\"5.1.2\","
	     "\"reason\":\"Sorry,_I_couldn't_find_any_host_named_example.invalid._(#5.1.2)/\"}" },
	{ "", "delivery 77423: deferral: Connected_to_192.0.2.26_but_connection_died._(#4.4.2)/",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"type\":\"delivery\",\"status\":\"deferred\",\"dsn\":\"4.4.2\","
	     "\"reason\":\"Connected_to_192.0.2.26_but_connection_died._(#4.4.2)/\"}" },
	{ "", "delivery 77424: report mangled, will defer.", PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"type\":\"delivery\",\"status\":\"deferred\",\"reason\":\"report mangled\"}" },
	{ "", "end msg 68566592", PARSE_EVENTS, EVT_MSG_DONE,
	  TS "\"type\":\"msg_done\",\"qid\":\"68566592\"}" },
	{ "", "bounce msg 90219 qp 17200", PARSE_EVENTS, EVT_BOUNCE,
	  TS "\"type\":\"bounce\",\"qid\":\"90219\"}" },
	{ "", "triple bounce: discarding bounce/90219", PARSE_EVENTS, EVT_BOUNCE,
	  TS "\"type\":\"bounce\",\"qid\":\"90219\",\"reason\":\"triple bounce discarded\"}" },
	{ "", "new msg 90219", PARSE_NOEVENT, 0, "" },
	{ "", "status: local 1/10 remote 0/60", PARSE_NOEVENT, 0, "" },
	{ "", "warning: trouble injecting bounce message, will try later", PARSE_NOEVENT, 0, "" },
	{ "", "alert: oh no! lost spawn connection! dying...", PARSE_NOEVENT, 0, "" },
	{ "qmail-send", "status: exiting", PARSE_NOEVENT, 0, "" },
	/* qmail-smtpd service log */
	{ "", "tcpserver: pid 210485 from 198.51.100.4", PARSE_NOEVENT, 0, "" },
	{ "", "tcpserver: ok 210485 mail.example.com:192.0.2.10:25 :198.51.100.4::56124",
	  PARSE_NOEVENT, 0, "" },
	{ "", "tcpserver: end 210485 status 0", PARSE_NOEVENT, 0, "" },
	{ "", "tcpserver: status: 1/200", PARSE_NOEVENT, 0, "" },
	{ "", "tcpserver: deny 210485 mail.example.com:192.0.2.10:25 :198.51.100.4::56124",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"type\":\"reject\",\"ip\":\"198.51.100.4\",\"reason\":\"tcpserver deny\"}" },
	{ "tcpserver", "deny 7 mail.example.com:192.0.2.10:25 h.example.net:2001:db8::5::56124",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"type\":\"reject\",\"ip\":\"2001:db8::5\",\"reason\":\"tcpserver deny\"}" },
	{ "", "simscan:[210394]:CLEAN (-1.21/9999.00):3.3608s:Hello: there:198.51.100.224:"
	      "news@bulk.example:export@example.org",
	  PARSE_EVENTS, EVT_SPAM_CHECK,
	  TS "\"service\":\"smtp\",\"type\":\"spam_check\",\"ip\":\"198.51.100.224\","
	     "\"sender\":\"news@bulk.example\",\"recipient\":\"export@example.org\",\"nrcpt\":1,"
	     "\"status\":\"clean\",\"score\":-1.2}" },
	{ "", "simscan:[210394]:SPAM REJECT (12.50/5.00):1.2s:Buy:2001:db8::9:s@example.net:"
	      "a@example.org,b@example.org",
	  PARSE_EVENTS, EVT_SPAM_CHECK,
	  TS "\"service\":\"smtp\",\"type\":\"spam_check\",\"ip\":\"2001:db8::9\","
	     "\"sender\":\"s@example.net\",\"recipient\":\"a@example.org\",\"nrcpt\":2,"
	     "\"status\":\"spam\",\"score\":12.5,\"reason\":\"SPAM REJECT\"}" },
	{ "", "simscan:[25608]:CLEAN (0.00/0.00):3.3011s::(null):root@example.org:postmaster@example.org",
	  PARSE_EVENTS, EVT_SPAM_CHECK,
	  TS "\"service\":\"smtp\",\"type\":\"spam_check\",\"sender\":\"root@example.org\","
	     "\"recipient\":\"postmaster@example.org\",\"nrcpt\":1,\"status\":\"clean\",\"score\":0.0}" },
	{ "", "simscan:[210394]: skipping check_spam, disabled for this domain", PARSE_NOEVENT, 0, "" },
	{ "", "mail recv: pid 358645 from <info@example.com> qp 358661", PARSE_NOEVENT, 0, "" },
	{ "", "policy_check: local info@example.com -> remote booking@example.net (AUTHENTICATED SENDER)",
	  PARSE_NOEVENT, 0, "" },
	/* splogger'ed smtpd lines (fail2ban) */
	{ "qmail", "1157520813.485077 rblsmtpd: 198.51.100.77 pid 19597 sbl-xbl.spamhaus.org: 451 "
		   "http://www.spamhaus.org/query/bl?ip=198.51.100.77",
	  PARSE_EVENTS, EVT_REJECT,
	  "{\"time\":\"2006-09-06T05:33:33Z\",\"source\":\"qmail\",\"service\":\"smtp\","
	  "\"type\":\"reject\",\"ip\":\"198.51.100.77\",\"reason\":\"rblsmtpd sbl-xbl.spamhaus.org: "
	  "451 http://www.spamhaus.org/query/bl?ip=198.51.100.77\"}" },
	{ "qmail", "1157519909.633171 qmail-smtpd: 421 badiprbl: ip 198.51.100.54 rbl: example.com",
	  PARSE_EVENTS, EVT_REJECT,
	  "{\"time\":\"2006-09-06T05:18:29Z\",\"source\":\"qmail\",\"service\":\"smtp\","
	  "\"type\":\"reject\",\"ip\":\"198.51.100.54\",\"reason\":\"badiprbl: example.com\"}" },
	{ "rblsmtpd", "relays.example.org blocked 192.0.2.47 ordb-test.example.net -", PARSE_EVENTS,
	  EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.47\","
	     "\"reason\":\"rblsmtpd relays.example.org: ordb-test.example.net -\"}" },
	/* spamdyke */
	{ "spamdyke", "DENIED_RBL_MATCH from: s@example.net to: r@example.com origin_ip: 192.0.2.1 "
		      "origin_rdns: mx.example.net auth: (unknown) encryption: (none) reason: x",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.1\",\"sender\":\"s@example.net\","
	     "\"recipient\":\"r@example.com\",\"reason\":\"DENIED_RBL_MATCH\"}" },
	{ "spamdyke", "ALLOWED from: hello@example.com to: r@example.net origin_ip: 192.0.2.2 "
		      "origin_rdns: (unknown) auth: hello@example.com encryption: TLS reason: 250_ok",
	  PARSE_EVENTS, EVT_MESSAGE_ACCEPTED,
	  TS "\"service\":\"smtp\",\"type\":\"message_accepted\",\"account\":\"hello@example.com\","
	     "\"ip\":\"192.0.2.2\",\"sender\":\"hello@example.com\",\"recipient\":\"r@example.net\","
	     "\"nrcpt\":1}" },
	{ "spamdyke", "TIMEOUT from: s@example.net to: r@example.com origin_ip: 192.0.2.1 "
		      "origin_rdns: (unknown) auth: (unknown)",
	  PARSE_NOEVENT, 0, "" },
	/* chkuser */
	{ "qmail-smtpd", "CHKUSER rejected rcpt: from <s@example.net::> remote <helo.example.net:"
			 "mx.example.net:192.0.2.8> rcpt <nobody@example.com> : not existing recipient",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.8\",\"sender\":\"s@example.net\","
	     "\"recipient\":\"nobody@example.com\",\"reason\":\"chkuser: not existing recipient\"}" },
	{ "qmail-smtpd", "CHKUSER accepted rcpt: from <s@example.net::> remote <h:h:192.0.2.8> "
			 "rcpt <u@example.com> : found existing recipient",
	  PARSE_NOEVENT, 0, "" },
	/* s/qmail */
	{ "", "qmail-smtpd: pid 4711 Reject::RCPT::Failed_Rcptto: S:192.0.2.7:mx.example.net "
	      "H:mx.example.net F:a@example.net T:b@example.com",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.7\",\"sender\":\"a@example.net\","
	     "\"recipient\":\"b@example.com\",\"reason\":\"Failed_Rcptto\"}" },
	{ "", "qmail-smtpd: pid 4712 Accept::AUTH::PLAIN: S:2001:db8::7:mx.example.net "
	      "H:mx.example.net F:a@example.net T:b@example.com",
	  PARSE_EVENTS, EVT_AUTH_SUCCESS,
	  TS "\"service\":\"smtp\",\"type\":\"auth_success\",\"ip\":\"2001:db8::7\","
	     "\"mech\":\"PLAIN\",\"sender\":\"a@example.net\",\"recipient\":\"b@example.com\"}" },
	/* qmail-scanner */
	{ "qmail-scanner", "Clear:RC:0(192.0.2.234):SA:1(8.1/6.0): 4.195255 1371 s@example.net "
			   "r@example.org Some_subject <1@example.net> 1142753793.31530-0.example.org:134",
	  PARSE_EVENTS, EVT_SPAM_CHECK,
	  TS "\"service\":\"smtp\",\"type\":\"spam_check\",\"ip\":\"192.0.2.234\","
	     "\"sender\":\"s@example.net\",\"recipient\":\"r@example.org\",\"size\":1371,"
	     "\"status\":\"spam\",\"score\":8.1}" },
	/* malformed */
	{ "", "starting delivery 1: msg 2 to elsewhere user@example.net", PARSE_MALFORMED, 0, "" },
	{ "", "info msg 90219: bytes many from <a@example.com> qp 1 uid 2", PARSE_MALFORMED, 0, "" },
	{ "", "delivery 5: maybe: who knows", PARSE_MALFORMED, 0, "" },
	{ "", "tcpserver: deny 1 a:192.0.2.1:25 :not-an-ip::1", PARSE_MALFORMED, 0, "" },
	{ "qmail", "1157519909.633171 qmail-smtpd: 421 badiprbl: ip x.x.x.x rbl: example.com",
	  PARSE_MALFORMED, 0, "" },
	/* not ours (multilog) / unknown shape of ours */
	{ "", "imap-login: Info: Login: user=<a@example.com>, method=PLAIN, rip=192.0.2.1",
	  PARSE_UNKNOWN_PROG, 0, "" },
	{ "qmail", "something qmail never said", PARSE_UNMATCHED, 0, "" },
	{ "", "tcpserver: something new", PARSE_UNMATCHED, 0, "" },
};

static void
test_rules(void **state)
{
	static char got[1 << 16];
	struct parse_out out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(qm_cases) / sizeof(qm_cases[0]); i++) {
		const struct qm_case *c = &qm_cases[i];
		struct frame f = mkframe(c->prog, c->msg, strlen(c->msg));
		enum parse_result r;

		r = parsetest_run(parse_qmail, &f, &out, 1, got, sizeof(got));
		if (r != c->want || strcmp(got, c->json) != 0 ||
		    (r == PARSE_EVENTS && (int)out.ev[0].type != c->type))
			fail_msg("case %zu \"%s\": result %d want %d\n got  %s\n want %s", i, c->msg, r,
				 c->want, got, c->json);
	}
}

/* The delivery number travels in dlv, which the JSON does not show. */
static void
test_delivery_numbers(void **state)
{
	struct parse_out out;
	struct frame f;

	(void)state;
	f = mkframe("", "starting delivery 77421: msg 90219 to remote u@example.net", 57);
	out.n = 0;
	assert_int_equal(parse_qmail(&f, &out), PARSE_EVENTS);
	assert_string_equal(out.ev[0].dlv, "77421");
	f = mkframe("", "delivery 77421: failure: no_such_user/", 38);
	out.n = 0;
	assert_int_equal(parse_qmail(&f, &out), PARSE_EVENTS);
	assert_string_equal(out.ev[0].dlv, "77421");
	assert_int_equal(out.ev[0].status, EVT_STATUS_BOUNCED);
	/* vpopmail's virtual-domain prefix is not part of the mailbox */
	f = mkframe("", "starting delivery 9: msg 8 to local example.com-hello@example.com", 65);
	out.n = 0;
	assert_int_equal(parse_qmail(&f, &out), PARSE_EVENTS);
	assert_string_equal(out.ev[0].recipient, "hello@example.com");
	f = mkframe("", "starting delivery 9: msg 8 to local example.com-@example.com", 60);
	out.n = 0;
	assert_int_equal(parse_qmail(&f, &out), PARSE_EVENTS);
	assert_string_equal(out.ev[0].recipient, "example.com-@example.com");
}

/* Through the dispatcher: qmail lines win over the other multilog
 * parsers, and the new program names reach parse_qmail. */
static void
test_dispatch(void **state)
{
	struct parse_out out;
	struct frame f;

	(void)state;
	f = mkframe("", "end msg 68566592", 16);
	assert_int_equal(parse_line(&f, &out), PARSE_EVENTS);
	assert_int_equal(out.ev[0].type, EVT_MSG_DONE);
	f = mkframe("rblsmtpd", "relays.example.org blocked 192.0.2.47 x -", 41);
	assert_int_equal(parse_line(&f, &out), PARSE_EVENTS);
	assert_int_equal(out.ev[0].type, EVT_REJECT);
}

/* Hostile lines finish fast. */
static void
test_hostile(void **state)
{
	static char line[LIMIT_LINE_MAX];
	static const char *const heads[] = {
		"", "delivery 1: success: ", "info msg ", "starting delivery ", "tcpserver: deny ",
		"simscan:[1]:CLEAN (", "CHKUSER ", "pid 1 ", "1374486777.611077 ", "spamdyke ",
		"ALLOWED from: ", "qmail-smtpd: ",
	};
	static const char *const fills[] = { ":", " ", "a", "::", "(", "/", " from: ", "<", "s:", "_" };
	struct parse_out out;
	struct frame f;
	clock_t t0 = clock();
	size_t h, k, n;

	(void)state;
	for (h = 0; h < sizeof(heads) / sizeof(heads[0]); h++)
		for (k = 0; k < sizeof(fills) / sizeof(fills[0]); k++) {
			n = parsetest_fill(line, sizeof(line), heads[h], fills[k]);
			f = mkframe("", line, n);
			out.n = 0;
			(void)parse_qmail(&f, &out);
			f = mkframe("qmail", line, n);
			out.n = 0;
			(void)parse_qmail(&f, &out);
			f = mkframe("spamdyke", line, n);
			out.n = 0;
			(void)parse_qmail(&f, &out);
		}
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
}

/* Every qmail line of the corpus is recognized. */
struct tally {
	struct frame_ctx ctx;
	unsigned seen, events, noevent, bad;
};

static int
corpus_one(const struct corpus_line *l, void *arg)
{
	struct tally *t = arg;
	static struct parse_out out;
	struct frame f;
	enum parse_result r;

	if (corpus_frame(&t->ctx, 0, 0, l, &f) == CORPUS_UNFRAMED)
		return 0;
	/* spamd's own lines in the spamd sample belong to parse_spamd */
	if (f.prog.len > 0 && !strv_has_prefix(f.prog, "qmail") && !strv_eq_cstr(f.prog, "rblsmtpd") &&
	    !strv_eq_cstr(f.prog, "tcpserver"))
		return 0;
	out.n = 0;
	r = parse_qmail(&f, &out);
	t->seen++;
	if (r == PARSE_EVENTS)
		t->events++;
	else if (r == PARSE_NOEVENT)
		t->noevent++;
	else {
		t->bad++;
		print_message("not parsed (%d): %.*s\n", r, (int)(f.msg.len > 200 ? 200 : f.msg.len),
			      f.msg.p);
	}
	return 0;
}

static void
test_corpus(void **state)
{
	static const char *const files[] = {
		"qmail-grafical-stats/send.log",	"qmail-grafical-stats/smtp.log",
		"qmail-grafical-stats/submission.log",	"fail2ban/qmail",
		"ossec-hids/log-entries/spamd",
	};
	static struct tally t;

	(void)state;
	if (corpus_dir() == NULL) {
		print_message("MS_CORPUS unset: corpus test skipped\n");
		skip();
	}
	memset(&t, 0, sizeof(t));
	(void)CORPUS_EACH_OF(files, corpus_one, &t);
	print_message("qmail corpus: %u lines, %u events, %u no-event, %u failed\n", t.seen, t.events,
		      t.noevent, t.bad);
	if (t.seen == 0) {
		print_message("no corpus lines found: skipped\n");
		skip();
	}
	assert_int_equal(t.bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_delivery_numbers),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
