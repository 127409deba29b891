/* test_parse_courier.c - parse/parse_courier.c: Courier IMAP/POP3/ESMTP,
 * Cyrus and UW-IMAP lines: one row per rule, malformed and hostile lines,
 * and every such line of the shared corpus */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/evt.h"
#include "corpus.h"
#include "parse/parse.h"
#include "parsetest.h"
#include "util/netaddr.h"

#define TS "\"time\":\"2023-11-14T22:13:20Z\","
#define CO TS "\"source\":\"courier\","
#define CY TS "\"source\":\"cyrus\","
#define UW TS "\"source\":\"uwimap\","

static struct frame
mkframe(const char *prog, const char *msg)
{
	struct frame f = parsetest_frame(FRAME_RFC3164, prog, strv_cstr(msg), 1700000000);

	f.host = STRV_LIT("mx");
	return f;
}

static const struct parsetest_row rows[] = {
	/* Courier IMAP / POP3 */
	{ "imapd", "LOGIN, user=u@example.com, ip=[::ffff:192.0.2.100], port=[51234], protocol=IMAP", PARSE_EVENTS,
	  "{" CO "\"service\":\"imap\",\"type\":\"auth_success\",\"account\":\"u@example.com\",\"ip\":\"192.0.2.100\",\"host\":\"mx\"}" },
	{ "courierpop3login", "LOGIN, user=web10_u, ip=[::ffff:192.0.2.100]", PARSE_EVENTS,
	  "{" CO "\"service\":\"pop3\",\"type\":\"auth_success\",\"account\":\"web10_u\",\"ip\":\"192.0.2.100\",\"host\":\"mx\"}" },
	{ "imapd", "LOGIN FAILED, user=sales@example.com, ip=[::ffff:192.0.2.4]", PARSE_EVENTS,
	  "{" CO "\"service\":\"imap\",\"type\":\"auth_failure\",\"account\":\"sales@example.com\",\"ip\":\"192.0.2.4\",\"host\":\"mx\"}" },
	{ "pop3d-ssl", "LOGIN FAILED, user=tester, ip=[2001:db8::5], port=[255]", PARSE_EVENTS,
	  "{" CO "\"service\":\"pop3\",\"type\":\"auth_failure\",\"account\":\"tester\",\"ip\":\"2001:db8::5\",\"host\":\"mx\"}" },
	{ "imapd-ssl", "LOGIN FAILED, method=PLAIN, ip=[::ffff:192.0.2.26]", PARSE_EVENTS,
	  "{" CO "\"service\":\"imap\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.26\",\"mech\":\"PLAIN\",\"host\":\"mx\"}" },
	{ "courierpop3login", "LOGIN FAILED, ip=[::ffff:192.0.2.36]", PARSE_EVENTS,
	  "{" CO "\"service\":\"pop3\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.36\",\"host\":\"mx\"}" },
	/* A forged ip=[ inside the client's user name is not the address. */
	{ "imapd", "LOGIN FAILED, user=x, ip=[203.0.113.9], ip=[::ffff:192.0.2.4]", PARSE_EVENTS,
	  "{" CO "\"service\":\"imap\",\"type\":\"auth_failure\",\"account\":\"x, ip=[203.0.113.9]\",\"ip\":\"192.0.2.4\",\"host\":\"mx\"}" },
	{ "courierpop3login", "LOGOUT, user=web10_u, ip=[::ffff:192.0.2.100], top=0, retr=0, rcvd=24, sent=96, time=0",
	  PARSE_NOEVENT, NULL },
	{ "courierpop3login", "Connection, ip=[::ffff:192.0.2.161]", PARSE_NOEVENT, NULL },
	{ "imaplogin", "DISCONNECTED, ip=[::ffff:127.0.0.1], time=5", PARSE_NOEVENT, NULL },
	{ "imapd", "Disconnected, ip=[::ffff:192.0.2.4], headers=0, body=0, rcvd=6, sent=20, time=300", PARSE_NOEVENT, NULL },
	/* courieresmtpd */
	{ "courieresmtpd",
	  "error,relay=::ffff:192.0.2.3,port=43632,msg=\"535 Authentication failed.\",cmd: AUTH LOGIN u@example.com",
	  PARSE_EVENTS,
	  "{" CO "\"service\":\"smtp\",\"type\":\"auth_failure\",\"account\":\"u@example.com\",\"ip\":\"192.0.2.3\",\"mech\":\"LOGIN\",\"reason\":\"Authentication failed.\",\"host\":\"mx\"}" },
	/* The base64 initial response may carry the password: never copied. */
	{ "courieresmtpd",
	  "error,relay=::ffff:192.0.2.3,msg=\"535 Authentication failed.\",cmd: AUTH PLAIN AAAAABBBBCCCCWxlZA== admin",
	  PARSE_EVENTS,
	  "{" CO "\"service\":\"smtp\",\"type\":\"auth_failure\",\"account\":\"admin\",\"ip\":\"192.0.2.3\",\"mech\":\"PLAIN\",\"reason\":\"Authentication failed.\",\"host\":\"mx\"}" },
	{ "courieresmtpd", "error,relay=::ffff:192.0.2.3,msg=\"535 Authentication failed.\",cmd: AUTH PLAIN AAAAABBBBCCCCWxlZA==",
	  PARSE_EVENTS,
	  "{" CO "\"service\":\"smtp\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.3\",\"mech\":\"PLAIN\",\"reason\":\"Authentication failed.\",\"host\":\"mx\"}" },
	{ "courieresmtpd", "error,relay=::ffff:192.0.2.3,msg=\"535 Authentication failed.\",cmd: YWRvYmVhZG9iZQ==",
	  PARSE_EVENTS,
	  "{" CO "\"service\":\"smtp\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.3\",\"reason\":\"Authentication failed.\",\"host\":\"mx\"}" },
	{ "courieresmtpd", "error,relay=::ffff:192.0.2.3,port=43632,msg=\"550 User unknown.\",cmd: RCPT TO:<x@example.com>",
	  PARSE_EVENTS,
	  "{" CO "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.3\",\"reason\":\"550 User unknown.\",\"host\":\"mx\"}" },
	{ "courieresmtpd", "error,relay=::ffff:192.0.2.4,ident=tmf,from=<a@example.com>,to=<b@example.org>: 550 User unknown.",
	  PARSE_EVENTS,
	  "{" CO "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.4\",\"sender\":\"a@example.com\",\"recipient\":\"b@example.org\",\"reason\":\"550 User unknown.\",\"host\":\"mx\"}" },
	{ "courieresmtpd", "error,relay=::ffff:192.0.2.4,from=<>,to=<>: 550 User unknown.", PARSE_EVENTS,
	  "{" CO "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.4\",\"sender\":\"\",\"reason\":\"550 User unknown.\",\"host\":\"mx\"}" },
	{ "courieresmtpd", "started,ip=[::ffff:192.0.2.4],port=[43632]", PARSE_NOEVENT, NULL },
	/* Cyrus */
	{ "cyrus/imap",
	  "badlogin: host.example.com [192.0.2.1] plaintext u@example.com SASL(-13): authentication failure: checkpass failed",
	  PARSE_EVENTS,
	  "{" CY "\"service\":\"imap\",\"type\":\"auth_failure\",\"account\":\"u@example.com\",\"ip\":\"192.0.2.1\",\"reason\":\"SASL(-13): authentication failure: checkpass failed\",\"host\":\"mx\"}" },
	{ "imapd", "badlogin: example.com [192.0.2.57] cram-md5 [SASL(-13): authentication failure: incorrect digest response]",
	  PARSE_EVENTS,
	  "{" CY "\"service\":\"imap\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.57\",\"mech\":\"CRAM-MD5\",\"reason\":\"SASL(-13): authentication failure: incorrect digest response\",\"host\":\"mx\"}" },
	{ "imaps", "badlogin: [192.0.2.1] CRAM-MD5 (box@example.com) [SASL(-13): authentication failure: incorrect digest response]",
	  PARSE_EVENTS,
	  "{" CY "\"service\":\"imap\",\"type\":\"auth_failure\",\"account\":\"box@example.com\",\"ip\":\"192.0.2.1\",\"mech\":\"CRAM-MD5\",\"reason\":\"SASL(-13): authentication failure: incorrect digest response\",\"host\":\"mx\"}" },
	{ "timsieved", "badlogin: web4[192.0.2.8] OTP authentication failure", PARSE_EVENTS,
	  "{" CY "\"service\":\"managesieve\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.8\",\"mech\":\"OTP\",\"reason\":\"authentication failure\",\"host\":\"mx\"}" },
	{ "cyrus/pop3", "login: host.example.com [192.0.2.1] u@example.com plaintext+TLS User logged in SESSIONID=<cyrus-1-1>",
	  PARSE_EVENTS,
	  "{" CY "\"service\":\"pop3\",\"type\":\"auth_success\",\"account\":\"u@example.com\",\"ip\":\"192.0.2.1\",\"host\":\"mx\"}" },
	{ "cyrus/imaps", "imaps TLS negotiation failed: [192.0.2.55]", PARSE_NOEVENT, NULL },
	/* UW-IMAP */
	{ "imapd", "Login failed user=u auth=u host=host.example.com [192.0.2.112]", PARSE_EVENTS,
	  "{" UW "\"service\":\"imap\",\"type\":\"auth_failure\",\"account\":\"u\",\"ip\":\"192.0.2.112\",\"host\":\"mx\"}" },
	{ "ipop3d", "Login failed user=info auth=info host=h.example.com [192.0.2.74]", PARSE_EVENTS,
	  "{" UW "\"service\":\"pop3\",\"type\":\"auth_failure\",\"account\":\"info\",\"ip\":\"192.0.2.74\",\"host\":\"mx\"}" },
	{ "imapd", "Login excessive login failures user=u auth=u host=h.example.com [192.0.2.74]", PARSE_EVENTS,
	  "{" UW "\"service\":\"imap\",\"type\":\"auth_failure\",\"account\":\"u\",\"ip\":\"192.0.2.74\",\"reason\":\"excessive login failures\",\"host\":\"mx\"}" },
	{ "imapd", "Failed uwmaster override of user=pro1  host=h.example.com [192.0.2.22] ", PARSE_EVENTS,
	  "{" UW "\"service\":\"imap\",\"type\":\"auth_failure\",\"account\":\"pro1\",\"ip\":\"192.0.2.22\",\"reason\":\"uwmaster override\",\"host\":\"mx\"}" },
	{ "imapd", "AUTHENTICATE LOGIN failure host=h.example.com [192.0.2.8]", PARSE_EVENTS,
	  "{" UW "\"service\":\"imap\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.8\",\"mech\":\"LOGIN\",\"host\":\"mx\"}" },
	{ "imapd", "Authenticated user=u host=h.example.com [192.0.2.8]", PARSE_EVENTS,
	  "{" UW "\"service\":\"imap\",\"type\":\"auth_success\",\"account\":\"u\",\"ip\":\"192.0.2.8\",\"host\":\"mx\"}" },
	/* a forged "[ip]" in the user name: the last bracket is the address */
	{ "imapd", "Login failed user=a [203.0.113.9] auth=a host=h.example.com [192.0.2.8]", PARSE_EVENTS,
	  "{" UW "\"service\":\"imap\",\"type\":\"auth_failure\",\"account\":\"a [203.0.113.9]\",\"ip\":\"192.0.2.8\",\"host\":\"mx\"}" },
	{ "imapd", "Logout user=u host=h.example.com [192.0.2.8]", PARSE_NOEVENT, NULL },
	{ "imapd", "imap service init from 192.0.2.8", PARSE_NOEVENT, NULL },
	/* Unknown and malformed */
	{ "imapd", "something else entirely", PARSE_UNMATCHED, NULL },
	{ "imapd", "LOGIN FAILED, user=u, ip=[::ffff:999.1.1.1]", PARSE_MALFORMED, NULL },
	{ "imapd", "LOGIN FAILED, user=u, ip=[192.0.2.1", PARSE_MALFORMED, NULL },
	{ "courieresmtpd", "error,relay=999.1.1.1,msg=\"535 Authentication failed.\",cmd: AUTH LOGIN u", PARSE_MALFORMED, NULL },
	{ "imapd", "Login failed user=u auth=u host=h.example.com [192.0.2.300]", PARSE_MALFORMED, NULL },
	{ "imapd", "Login failed user=u auth=u host=h.example.com 192.0.2.1]", PARSE_MALFORMED, NULL },
	/* no bracketed address: an event without ip */
	{ "imapd", "Authenticated user=u host=h.example.com", PARSE_EVENTS,
	  "{" UW "\"service\":\"imap\",\"type\":\"auth_success\",\"account\":\"u\",\"host\":\"mx\"}" },
	{ "cyrus/imap", "badlogin: h [192.0.2.256] PLAIN authentication failure", PARSE_MALFORMED, NULL },
};

static void
test_rows(void **state)
{
	struct frame tmpl = mkframe("", "");

	(void)state;
	/* parse_line sends the program here */
	assert_int_equal(PARSETEST_ROWS(parse_courier, &tmpl, rows, true), 0);
}

/* Pathological lines finish quickly (the matcher's step budget). */
static void
test_hostile(void **state)
{
	static const char *const units[] = { "[", "ip=[", "user=", ", ", "[192.0.2.1] ", "error,relay=", "\",cmd: ", " auth=", " host=" };
	static const char *const heads[] = { "", "LOGIN FAILED, ", "error,relay=192.0.2.1,", "badlogin: ", "Login failed user=" };
	static const char *const progs[] = { "imapd", "courieresmtpd", "cyrus/imap" };
	static char line[LIMIT_LINE_MAX];
	struct parse_out out;
	struct timespec t0, t1;
	size_t u, p, h;
	double secs;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		for (h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
			parsetest_fill(line, sizeof(line), heads[h], units[u]);
			for (p = 0; p < sizeof(progs) / sizeof(progs[0]); p++) {
				struct frame f = mkframe(progs[p], line);

				out.n = 0;
				(void)parse_courier(&f, &out);
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("hostile: %.3f s\n", secs);
	assert_true(secs < 2.0);
}

/* ---- the shared corpus ------------------------------------------------- */

static bool
is_courier_prog(struct strv prog)
{
	static const char *const names[] = {
		"courieresmtpd", "courierpop3login", "courierpop3d", "courier-imap", "imapd", "imapd-ssl",
		"pop3d", "pop3d-ssl", "imaplogin", "imap", "imaps", "pop3", "pop3s", "sieve", "timsieved", "ipop3d",
	};
	size_t i;

	if (strv_has_prefix(prog, "cyrus/"))
		return true;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strv_eq_cstr(prog, names[i]))
			return true;
	return false;
}

static const char *const corpus_files[] = {
	"fail2ban/courier-auth",
	"fail2ban/courier-smtp",
	"fail2ban/cyrus-imap",
	"fail2ban/sieve",
	"fail2ban/uwimap-auth",
	"ossec-docs/email/courier.rst",
	"ossec-hids/log-entries/imapd",
	"sshguard/parser-tests.txt",
};

struct tally {
	struct frame_ctx ctx;
	unsigned total, res[5], unsplit, checked, host_ok, must_bad;
};

static int
corpus_one(const struct corpus_line *l, void *arg)
{
	struct tally *t = arg;
	struct strv line = l->text;
	int shown = (int)(line.len > 160 ? 160 : line.len);
	static struct parse_out out;
	struct parse_out o2;
	struct frame f;
	enum parse_result r;
	bool must;
	int k;

	must = corpus_key_ip(line, "ip=[", "]") || corpus_key_ip(line, "relay=", ",") ||
	       strv_find(line, STRV_LIT("user=")) != NULL;
	if (corpus_frame(&t->ctx, 0, 0, l, &f) == CORPUS_UNFRAMED || !is_courier_prog(f.prog)) {
		if (l->label.match && l->label.host[0] != '\0') {
			t->unsplit++;
			print_message("  labelled line not routed here (framing): %.*s\n", shown, line.p);
		}
		return 0;
	}
	t->total++;
	out.n = 0;
	r = parse_courier(&f, &out);
	t->res[r]++;
	assert_int_equal(parse_line(&f, &o2), r);
	if (r == PARSE_UNMATCHED || r == PARSE_MALFORMED) {
		t->must_bad += must;
		print_message("  %s%s: %.*s\n", must ? "FAIL " : "",
			      r == PARSE_UNMATCHED ? "unmatched" : "malformed", shown, line.p);
	}
	if (l->label.match && l->label.host[0] != '\0') {
		bool ok = false;

		t->checked++;
		for (k = 0; k < out.n; k++)
			ok |= strcmp(out.ev[k].ip, l->label.host) == 0;
		if (ok)
			t->host_ok++;
		else
			print_message("  no event with ip %s: %.*s\n", l->label.host, shown, line.p);
	}
	return 0;
}

static void
test_corpus(void **state)
{
	static struct tally t;

	(void)state;
	if (corpus_dir() == NULL) {
		print_message("skip: MS_CORPUS is not set\n");
		skip();
	}
	memset(&t, 0, sizeof(t));
	(void)CORPUS_EACH_OF(corpus_files, corpus_one, &t);
	print_message("courier/cyrus/uw corpus: %u lines: %u events, %u no-event, %u unmatched, %u malformed\n",
		      t.total, t.res[PARSE_EVENTS], t.res[PARSE_NOEVENT], t.res[PARSE_UNMATCHED],
		      t.res[PARSE_MALFORMED]);
	print_message("fail2ban labels: %u checked, %u with the labelled ip, %u skipped (framing)\n", t.checked,
		      t.host_ok, t.unsplit);
	assert_int_equal(t.must_bad, 0);
	assert_int_equal(t.host_ok, t.checked);
	assert_int_equal(t.unsplit, 0);
	assert_true(t.total > 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
