/* test_parse_vpopmail.c - vpopmail vchkpw rules, password redaction, and
 *                         every vchkpw line of the corpus (MS_CORPUS) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/redact.h"
#include "corpus.h"
#include "parse/parse.h"
#include "parsetest.h"

#define T0 1374486766	/* 2013-07-22T09:52:46Z */

static struct frame
mkframe(const char *prog, const char *msg, size_t len)
{
	enum frame_kind kind = prog[0] != '\0' ? FRAME_RFC3164 : FRAME_TAI64N;

	return parsetest_frame(kind, prog, strv_make(msg, len), T0);
}

/* Parse one line; the JSON of its first event (or "") into json. */
static enum parse_result
run(const char *prog, const char *msg, char *json, size_t size, struct parse_out *out)
{
	struct frame f = mkframe(prog, msg, strlen(msg));

	return parsetest_run(parse_line, &f, out, 1, json, size);
}

static const struct vp_case {
	const char *prog, *msg;
	enum parse_result want;
	const char *json;
} vp_cases[] = {
	/* incident 1 */
	{ "vpopmail", "vchkpw-submission: (PLAIN) login success hello@example.com:192.0.2.27",
	  PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"submission\","
	  "\"type\":\"auth_success\",\"account\":\"hello@example.com\",\"ip\":\"192.0.2.27\","
	  "\"mech\":\"PLAIN\"}" },
	{ "vpopmail", "vchkpw-smtp: (CRAM-MD5) login success user@example.com:198.51.100.4",
	  PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"smtp\","
	  "\"type\":\"auth_success\",\"account\":\"user@example.com\",\"ip\":\"198.51.100.4\","
	  "\"mech\":\"CRAM-MD5\"}" },
	{ "vpopmail", "vchkpw-submission: password fail hello@example.com:192.0.2.32", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"submission\","
	  "\"type\":\"auth_failure\",\"account\":\"hello@example.com\",\"ip\":\"192.0.2.32\","
	  "\"reason\":\"password fail\"}" },
	{ "vpopmail", "vchkpw-smtp: password fail (pass: '<65825.1118321790@mail.example.com>') "
		      "myuserid@example.com:192.0.2.68",
	  PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"smtp\","
	  "\"type\":\"auth_failure\",\"account\":\"myuserid@example.com\",\"ip\":\"192.0.2.68\","
	  "\"reason\":\"password fail\"}" },
	{ "vpopmail", "vchkpw-pop3: vpopmail user not found myuserid@:192.0.2.68", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"pop3\","
	  "\"type\":\"auth_failure\",\"account\":\"myuserid\",\"ip\":\"192.0.2.68\","
	  "\"reason\":\"user not found\"}" },
	{ "vpopmail", "vchkpw-pop3: vpopmail user not found dlb@example.net:192.0.2.22", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"pop3\","
	  "\"type\":\"auth_failure\",\"account\":\"dlb@example.net\",\"ip\":\"192.0.2.22\","
	  "\"reason\":\"user not found\"}" },
	/* IPv6: the account ends at the first ':' after the '@' */
	{ "vpopmail", "vchkpw-pop3: (PLAIN) login success user@example.com:2001:db8::1", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"pop3\","
	  "\"type\":\"auth_success\",\"account\":\"user@example.com\",\"ip\":\"2001:db8::1\","
	  "\"mech\":\"PLAIN\"}" },
	{ "vpopmail", "vchkpw-imaps: (PLAIN) login success user@example.com:::ffff:192.0.2.9",
	  PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"imaps\","
	  "\"type\":\"auth_success\",\"account\":\"user@example.com\",\"ip\":\"192.0.2.9\","
	  "\"mech\":\"PLAIN\"}" },
	/* no '@': the first ':' */
	{ "vpopmail", "vchkpw-pop3: null password given oneone1:192.0.2.134", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"pop3\","
	  "\"type\":\"auth_failure\",\"account\":\"oneone1\",\"ip\":\"192.0.2.134\","
	  "\"reason\":\"null password given\"}" },
	{ "vpopmail", "vchkpw-pop3: password fail joe:2001:db8::7", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"pop3\","
	  "\"type\":\"auth_failure\",\"account\":\"joe\",\"ip\":\"2001:db8::7\","
	  "\"reason\":\"password fail\"}" },
	{ "vpopmail", "vchkpw-webmail: null password given user@example.com:127.0.0.1", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"webmail\","
	  "\"type\":\"auth_failure\",\"account\":\"user@example.com\",\"ip\":\"127.0.0.1\","
	  "\"reason\":\"null password given\"}" },
	{ "vpopmail", "vchkpw-imap: null user name given :192.0.2.5", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"imap\","
	  "\"type\":\"auth_failure\",\"ip\":\"192.0.2.5\",\"reason\":\"null user name given\"}" },
	/* vpopmail < 5.4: no service, no mechanism */
	{ "vpopmail", "vchkpw: login success user@example.com:192.0.2.5", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"type\":\"auth_success\","
	  "\"account\":\"user@example.com\",\"ip\":\"192.0.2.5\"}" },
	/* unknown port: vchkpw logs the number */
	{ "vpopmail", "vchkpw-2525: (PLAIN) login success user@example.com:192.0.2.5", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"type\":\"auth_success\","
	  "\"account\":\"user@example.com\",\"ip\":\"192.0.2.5\",\"mech\":\"PLAIN\"}" },
	{ "vpopmail", "vchkpw-smtp: smtp access denied user@example.com:192.0.2.5", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"smtp\","
	  "\"type\":\"auth_failure\",\"account\":\"user@example.com\",\"ip\":\"192.0.2.5\","
	  "\"reason\":\"access denied\"}" },
	{ "vpopmail", "vchkpw-pop3: system password fail (pass: 'x') joe:192.0.2.5", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"pop3\","
	  "\"type\":\"auth_failure\",\"account\":\"joe\",\"ip\":\"192.0.2.5\","
	  "\"reason\":\"password fail\"}" },
	{ "vpopmail", "vchkpw-pop3: system user not found joe:192.0.2.5", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"pop3\","
	  "\"type\":\"auth_failure\",\"account\":\"joe\",\"ip\":\"192.0.2.5\","
	  "\"reason\":\"user not found\"}" },
	{ "vpopmail", "vchkpw-pop3: invalid user/domain characters a b@example.com:192.0.2.5",
	  PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"pop3\","
	  "\"type\":\"auth_failure\",\"account\":\"a b@example.com\",\"ip\":\"192.0.2.5\","
	  "\"reason\":\"invalid user/domain characters\"}" },
	/* no client address (TCPREMOTEIP unset) */
	{ "vpopmail", "vchkpw-pop3: password fail user@example.com:", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"pop3\","
	  "\"type\":\"auth_failure\",\"account\":\"user@example.com\",\"reason\":\"password fail\"}" },
	/* the tag as syslog program */
	{ "vchkpw-pop3", "password fail user@example.com:192.0.2.5", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"pop3\","
	  "\"type\":\"auth_failure\",\"account\":\"user@example.com\",\"ip\":\"192.0.2.5\","
	  "\"reason\":\"password fail\"}" },
	/* multilog: no program name */
	{ "", "vchkpw-pop3: password fail user@example.com:192.0.2.5", PARSE_EVENTS,
	  "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"vpopmail\",\"service\":\"pop3\","
	  "\"type\":\"auth_failure\",\"account\":\"user@example.com\",\"ip\":\"192.0.2.5\","
	  "\"reason\":\"password fail\"}" },
	/* server faults: recognized, no event */
	{ "vpopmail", "vchkpw-pop3: chdir failed errno 2 /home/vpopmail/d/u user@example.com:192.0.2.5",
	  PARSE_NOEVENT, "" },
	{ "vpopmail", "vchkpw: can't write MySQL logs", PARSE_NOEVENT, "" },
	/* malformed: a known shape with an invalid field */
	{ "vpopmail", "vchkpw-pop3: password fail user@example.com:x.x.x.x", PARSE_MALFORMED, "" },
	{ "vpopmail", "vchkpw-pop3: password fail user@example.com", PARSE_MALFORMED, "" },
	{ "vpopmail", "vchkpw-pop3: password fail (pass: 'never closed user@example.com:192.0.2.1",
	  PARSE_MALFORMED, "" },
	{ "vpopmail", "vchkpw-pop3: password fail user@exa\x01mple.com:192.0.2.1", PARSE_MALFORMED,
	  "" },
	/* unknown shapes */
	{ "vpopmail", "vchkpw-pop3: something new user@example.com:192.0.2.1", PARSE_UNMATCHED, "" },
	{ "vpopmail", "vdelivermail: user is over quota", PARSE_UNMATCHED, "" },
	{ "vpopmail", "vchkpw-: password fail user@example.com:192.0.2.1", PARSE_UNMATCHED, "" },
};

static void
test_rules(void **state)
{
	static char got[1 << 16];
	struct parse_out out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vp_cases) / sizeof(vp_cases[0]); i++) {
		enum parse_result r = run(vp_cases[i].prog, vp_cases[i].msg, got, sizeof(got), &out);

		if (r != vp_cases[i].want || strcmp(got, vp_cases[i].json) != 0)
			fail_msg("case %zu \"%s\": result %d want %d\n got  %s\n want %s", i,
				 vp_cases[i].msg, r, vp_cases[i].want, got, vp_cases[i].json);
	}
}

/* The password, wherever it is and whatever it holds, reaches no output:
 * not the event, not redact_line's copy of the raw line. */
static void
test_password_never_copied(void **state)
{
	static const char *const pw[] = {
		"s3cr3t",
		"with space",
		"qu'ote",
		"a') b@c:1.2.3.4",	/* looks like the end of the password */
		"col:on@at:",
		"Hunter2') x",
		"",
	};
	static char got[1 << 16];
	struct parse_out out;
	char line[512], red[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pw) / sizeof(pw[0]); i++) {
		enum parse_result r;

		snprintf(line, sizeof(line),
			 "vchkpw-smtp: password fail (pass: '%s') victim@example.com:192.0.2.9", pw[i]);
		r = run("vpopmail", line, got, sizeof(got), &out);
		assert_int_equal(r, PARSE_EVENTS);
		assert_string_equal(out.ev[0].account, "victim@example.com");
		assert_string_equal(out.ev[0].ip, "192.0.2.9");
		if (pw[i][0] != '\0')
			assert_null(strstr(got, pw[i]));
		redact_line(strv_cstr(line), red, sizeof(red));
		if (pw[i][0] != '\0')
			assert_null(strstr(red, pw[i]));
		assert_non_null(strstr(red, "victim@example.com:192.0.2.9"));
		/* every event field, not only those printed */
		if (pw[i][0] != '\0') {
			assert_null(strstr(out.ev[0].reason, pw[i]));
			assert_null(strstr(out.ev[0].account, pw[i]));
			assert_null(strstr(out.ev[0].mech, pw[i]));
		}
	}
}

/* Other daemons' multilog lines are not ours: UNKNOWN_PROG, quickly. */
static void
test_not_ours(void **state)
{
	struct frame f;
	struct parse_out out;

	(void)state;
	f = mkframe("", "imap-login: Info: Login: user=<a@example.com>, rip=192.0.2.1", 56);
	out.n = 0;
	assert_int_equal(parse_vpopmail(&f, &out), PARSE_UNKNOWN_PROG);
	f = mkframe("", "vchkpwX: password fail a@example.com:192.0.2.1", 46);
	assert_int_equal(parse_vpopmail(&f, &out), PARSE_UNKNOWN_PROG);
	assert_int_equal(out.n, 0);
}

/* Hostile lines finish fast and never overflow a field. */
static void
test_hostile(void **state)
{
	static char line[LIMIT_LINE_MAX];
	struct parse_out out;
	struct frame f;
	clock_t t0 = clock();
	size_t n, k;
	static const char *const fill[] = { "') ", ":", "@", "@:", "(pass: '", " ", "a" };

	(void)state;
	for (k = 0; k < sizeof(fill) / sizeof(fill[0]); k++) {
		n = parsetest_fill(line, sizeof(line), "vchkpw-smtp: password fail (pass: '", fill[k]);
		f = mkframe("vpopmail", line, n);
		out.n = 0;
		(void)parse_line(&f, &out);
		n = parsetest_fill(line, sizeof(line), "vchkpw-pop3: ", fill[k]);
		f = mkframe("", line, n);
		(void)parse_line(&f, &out);
	}
	/* an account longer than any real one */
	n = (size_t)snprintf(line, sizeof(line), "vchkpw-pop3: password fail ");
	memset(line + n, 'a', 400);
	n += 400;
	n += (size_t)snprintf(line + n, sizeof(line) - n, "@example.com:192.0.2.1");
	f = mkframe("vpopmail", line, n);
	assert_int_equal(parse_line(&f, &out), PARSE_MALFORMED);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
}

/* Every vchkpw line of the corpus parses. "x.x.x.x" is the documentation's
 * own anonymization, not an address: those lines are MALFORMED by design. */
struct tally {
	struct frame_ctx ctx;
	unsigned seen, events, noevent, excused, corrupt, bad;
};

static int
corpus_one(const struct corpus_line *l, void *arg)
{
	struct tally *t = arg;
	static struct parse_out out;
	struct frame f;
	enum corpus_framed how;
	enum parse_result r;

	if (strv_find(l->text, STRV_LIT("vchkpw")) == NULL ||
	    strv_find(l->text, STRV_LIT("vchkpw-X:")) != NULL ||
	    strv_find(l->text, STRV_LIT("vpopmail[")) == NULL)
		return 0;
	how = corpus_frame(&t->ctx, 0, 0, l, &f);
	if (how != CORPUS_UNFRAMED && strv_has_prefix(f.prog, "vpopmail[") &&
	    strv_find(f.prog, STRV_LIT("]")) == NULL) {
		/* ossec-docs' vpopmail.rst has a typo "vpopmail[18917: vchkpw-smtp:"
		 * that frames with that whole prog, which no parser is named by */
		t->corrupt++;
		return 0;
	}
	if (how == CORPUS_UNFRAMED || !strv_eq_cstr(f.prog, "vpopmail")) {
		t->bad++;
		print_message("not framed as vpopmail: %.*s\n", (int)(l->text.len > 200 ? 200 : l->text.len),
			      l->text.p);
		return 0;
	}
	while (f.msg.len > 0 && f.msg.p[f.msg.len - 1] == ' ')
		f.msg.len--;
	r = parse_line(&f, &out);
	t->seen++;
	if (r == PARSE_EVENTS)
		t->events++;
	else if (r == PARSE_NOEVENT)
		t->noevent++;
	else if (r == PARSE_MALFORMED && strv_find(f.msg, STRV_LIT(":x.x.x.x")) != NULL)
		t->excused++;
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
		"ossec-hids/log-entries/vpopmail",
		"ossec-docs/email/vpopmail.rst",
	};
	static struct tally t;

	(void)state;
	if (corpus_dir() == NULL) {
		print_message("MS_CORPUS unset: corpus test skipped\n");
		skip();
	}
	memset(&t, 0, sizeof(t));
	(void)CORPUS_EACH_OF(files, corpus_one, &t);
	print_message("vpopmail corpus: %u lines, %u events, %u no-event, %u excused "
		      "(x.x.x.x), %u with a corrupt tag, %u failed\n",
		      t.seen, t.events, t.noevent, t.excused, t.corrupt, t.bad);
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
		cmocka_unit_test(test_password_never_copied),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
