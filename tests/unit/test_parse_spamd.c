/* test_parse_spamd.c - parse_spamd: one vector per rule, malformed and
 * hostile lines, and every spamd line of the shared corpus */
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

#define J(s) "{\"time\":\"2023-11-14T22:13:20Z\",\"source\":\"spamd\"," s "}"

static const struct parsetest_vector vectors[] = {
	{ "spamd: result: Y 8 - BAYES_99,URIBL_BLACK scantime=4.2,size=1432,user=u@example.org,uid=98,required_score=5.0,rhost=localhost,raddr=127.0.0.1,rport=45678,mid=<x@example.com>,autolearn=no",
	  J("\"type\":\"spam_check\",\"account\":\"u@example.org\",\"size\":1432,\"status\":\"spam\",\"score\":8.0") },
	{ "result: .  0 - AWL,FORGED_RCVD_HELO scantime=1.6,size=3347,mid=<x@example.com>,autolearn=ham",
	  J("\"type\":\"spam_check\",\"size\":3347,\"status\":\"clean\",\"score\":0.0") },
	{ "spamd: result: . -1 - DKIM_SIGNED,SPF_PASS scantime=3.4,size=120289,user=debian-spamd,uid=119,required_score=5.0,rhost=127.0.0.1,raddr=127.0.0.1,rport=44944,mid=<1@example.org>,autolearn=disabled",
	  J("\"type\":\"spam_check\",\"account\":\"debian-spamd\",\"size\":120289,\"status\":\"clean\",\"score\":-1.0") },
	{ "identified spam (8.1/6.0) for root:98 in 4.2 seconds, 1432 bytes.",
	  J("\"type\":\"spam_check\",\"account\":\"root\",\"size\":1432,\"status\":\"spam\",\"score\":8.1") },
	{ "spamd: clean message (-0.3/5.0) for u@example.org:1001 in 1.6 seconds, 3347 bytes.",
	  J("\"type\":\"spam_check\",\"account\":\"u@example.org\",\"size\":3347,\"status\":\"clean\",\"score\":-0.3") },
};

static const struct parsetest_outcome others[] = {
	{ "connection from localhost [127.0.0.1] at port 49144", PARSE_NOEVENT },
	{ "spamd: connection from mx.example.org [192.0.2.1]:41234 to port 783, fd 5", PARSE_NOEVENT },
	{ "checking message <x@example.com> for root:98.", PARSE_NOEVENT },
	{ "spamd: processing message <x@example.com> for debian-spamd:119", PARSE_NOEVENT },
	{ "spamd: something else", PARSE_UNMATCHED },
	{ "spamd: result: Z 8 - X scantime=1,size=1", PARSE_MALFORMED },
	{ "spamd: result: Y 8x - X scantime=1,size=1", PARSE_MALFORMED },
	{ "spamd: result: Y 99999999999999999999 - X scantime=1,size=1", PARSE_MALFORMED },
	{ "spamd: result: Y 8 - X scantime=1,size=12k", PARSE_MALFORMED },
	{ "identified spam (8..1/6.0) for root:98 in 4.2 seconds, 1432 bytes.", PARSE_MALFORMED },
};

static void
test_vectors(void **state)
{
	struct frame f = parsetest_frame(FRAME_RFC3164, "spamd", STRV_LIT(""), T0);

	(void)state;
	assert_int_equal(PARSETEST_VECTORS(&f, vectors), 0);
	assert_int_equal(PARSETEST_OUTCOMES(&f, others), 0);
}

static void
test_hostile(void **state)
{
	static const char *const units[] = { "result: ", " ", "user=", ",", "(", "/", " for ",
					     "9" };
	static char msg[LIMIT_LINE_MAX];
	struct parse_out out;
	size_t u;

	(void)state;
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		struct frame f;
		double t0;

		parsetest_fill(msg, sizeof(msg), "identified spam (", units[u]);
		f = parsetest_frame(FRAME_RFC3164, "spamd", strv_cstr(msg), T0);
		t0 = parsetest_ms();
		parse_line(&f, &out);
		memcpy(msg, "result: Y ", 10);
		parse_line(&f, &out);
		if (parsetest_ms() - t0 > 200)
			fail_msg("unit \"%s\" took %.0f ms", units[u], parsetest_ms() - t0);
	}
}

/* --- the shared corpus ------------------------------------------------- */

struct tally {
	struct frame_ctx ctx;
	unsigned counts[5], lines, bad, spam, clean;
};

/* A spamd line: syslog, or the "message" of a SEKOIA JSON test (a whole
 * syslog line, or spamd's text with "spamd" as appname). */
static int
corpus_one(const struct corpus_line *l, void *arg)
{
	struct tally *t = arg;
	int shown = (int)(l->text.len > 300 ? 300 : l->text.len);
	static struct parse_out out;
	struct frame f;
	enum parse_result r;

	if (corpus_frame(&t->ctx, 0, 0, l, &f) == CORPUS_UNFRAMED || !strv_eq_cstr(f.prog, "spamd"))
		return 0;
	t->lines++;
	r = parse_line(&f, &out);
	t->counts[r]++;
	if (r == PARSE_EVENTS && out.ev[0].status == EVT_STATUS_SPAM)
		t->spam++;
	if (r == PARSE_EVENTS && out.ev[0].status == EVT_STATUS_CLEAN)
		t->clean++;
	/* a verdict naming a user must be read */
	if ((strv_find(l->text, STRV_LIT("user=")) != NULL ||
	     strv_find(l->text, STRV_LIT("result:")) != NULL ||
	     strv_find(l->text, STRV_LIT("identified spam")) != NULL ||
	     strv_find(l->text, STRV_LIT("clean message")) != NULL) &&
	    r != PARSE_EVENTS) {
		print_message("%s: %d: %.*s\n", l->file, (int)r, shown, l->text.p);
		t->bad++;
	}
	if (getenv("MS_VERBOSE") != NULL && r != PARSE_EVENTS && r != PARSE_NOEVENT)
		print_message("%d: %.*s\n", (int)r, shown, l->text.p);
	return 0;
}

static void
test_corpus(void **state)
{
	static const char *const globs[] = { "ossec-hids/log-entries/*spamd*",
					     "sekoia-intake-formats/postfix/*spamd*",
					     "sekoia-intake-formats/spamassassin/*" };
	static struct tally t;

	(void)state;
	if (corpus_dir() == NULL) {
		print_message("skip: MS_CORPUS not set\n");
		skip();
	}
	memset(&t, 0, sizeof(t));
	(void)CORPUS_EACH_OF(globs, corpus_one, &t);
	if (t.lines == 0) {
		print_message("skip: no spamd corpus files under MS_CORPUS\n");
		skip();
	}
	print_message("spamd corpus: %u lines: %u events (%u spam, %u clean), %u no-event, "
		      "%u unmatched, %u malformed\n",
		      t.lines, t.counts[PARSE_EVENTS], t.spam, t.clean, t.counts[PARSE_NOEVENT],
		      t.counts[PARSE_UNMATCHED], t.counts[PARSE_MALFORMED]);
	assert_int_equal(t.bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
