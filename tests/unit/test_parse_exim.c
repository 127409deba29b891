/* test_parse_exim.c - parse_exim: one vector per rule, malformed and
 * hostile lines, and every Exim line of the shared corpus */
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

#define J(s) "{\"time\":\"2023-11-14T22:13:20Z\",\"source\":\"exim\"," s "}"

static const struct parsetest_vector vectors[] = {
	{ "1CzYHn-0008AJ-7F <= user@example.org H=(client.example.org) [192.0.2.1]:52311 I=[198.51.100.2]:587 P=esmtpsa A=dovecot_plain:user@example.org S=1795 id=EE56D58@client.example.org T=\"hi A=x:evil\" for a@example.net b@example.net",
	  J("\"service\":\"submission\",\"type\":\"auth_success\",\"account\":\"user@example.org\",\"ip\":\"192.0.2.1\",\"mech\":\"PLAIN\",\"qid\":\"1CzYHn-0008AJ-7F\"") "\n"
	  J("\"service\":\"submission\",\"type\":\"message_accepted\",\"account\":\"user@example.org\",\"ip\":\"192.0.2.1\",\"mech\":\"PLAIN\",\"qid\":\"1CzYHn-0008AJ-7F\",\"sender\":\"user@example.org\",\"nrcpt\":2,\"size\":1795") },
	{ "[1234] 10HmaZ-000000005vi-0000 <= s@example.org H=mx.example.org ([192.0.2.9]) [192.0.2.5] P=esmtp S=300",
	  J("\"service\":\"smtp\",\"type\":\"message_accepted\",\"ip\":\"192.0.2.5\",\"qid\":\"10HmaZ-000000005vi-0000\",\"sender\":\"s@example.org\",\"size\":300") },
	{ "1CzYHo-0008AJ-7F <= <> R=1CzYHn-0008AJ-7F U=Debian-exim P=local S=2100",
	  J("\"type\":\"message_accepted\",\"qid\":\"1CzYHo-0008AJ-7F\",\"sender\":\"\",\"size\":2100") "\n"
	  J("\"type\":\"bounce\",\"qid\":\"1CzYHn-0008AJ-7F\",\"ndr_qid\":\"1CzYHo-0008AJ-7F\"") },
	{ "1CzYHn-0008AJ-7F => r@example.net R=dnslookup T=remote_smtp H=mx.example.net [198.51.100.9]:25 X=TLS1.3 CV=yes C=\"250 OK\"",
	  J("\"service\":\"smtp\",\"type\":\"delivery\",\"qid\":\"1CzYHn-0008AJ-7F\",\"recipient\":\"r@example.net\",\"status\":\"sent\",\"relay\":\"mx.example.net [198.51.100.9]:25\"") },
	{ "10HmaX-000000005vi-0000 => user <user@example.com> R=localuser T=local_delivery",
	  J("\"service\":\"local\",\"type\":\"delivery\",\"qid\":\"10HmaX-000000005vi-0000\",\"recipient\":\"user@example.com\",\"status\":\"sent\"") },
	{ "10HmaX-000000005vi-0000 -> other@example.net R=dnslookup T=remote_smtp H=mx.example.net [198.51.100.9]",
	  J("\"service\":\"smtp\",\"type\":\"delivery\",\"qid\":\"10HmaX-000000005vi-0000\",\"recipient\":\"other@example.net\",\"status\":\"sent\",\"relay\":\"mx.example.net [198.51.100.9]\"") },
	{ "1Gmary-0002iA-00 ** u@example.net R=dnslookup T=remote_smtp: SMTP error from remote mailer after RCPT TO:<u@example.net>: host mx.example.net [198.51.100.1]: 550 5.1.1 Mailbox unavailable",
	  J("\"service\":\"smtp\",\"type\":\"delivery\",\"qid\":\"1Gmary-0002iA-00\",\"recipient\":\"u@example.net\",\"status\":\"bounced\",\"dsn\":\"5.1.1\",\"reason\":\"SMTP error from remote mailer after RCPT TO:<u@example.net>: host mx.example.net [198.51.100.1]: 550 5.1.1 Mailbox unavailable\"") },
	{ "1CzG1k-0005m0-4I ** u@example.net: Too many \"Received\" headers - suspected mail loop",
	  J("\"type\":\"delivery\",\"qid\":\"1CzG1k-0005m0-4I\",\"recipient\":\"u@example.net\",\"status\":\"bounced\",\"reason\":\"Too many \\\"Received\\\" headers - suspected mail loop\"") },
	{ "1CzR4a-0006zu-W0 == root@example.net R=dnslookup T=remote_smtp defer (-53): retry time not reached for any host",
	  J("\"service\":\"smtp\",\"type\":\"delivery\",\"qid\":\"1CzR4a-0006zu-W0\",\"recipient\":\"root@example.net\",\"status\":\"deferred\",\"reason\":\"retry time not reached for any host\"") },
	{ "dovecot_login authenticator failed for (client) [192.0.2.37]:21298 I=[198.51.100.5]:465 Ci=30416: 535 Incorrect authentication data (set_id=user@example.com)",
	  J("\"service\":\"smtps\",\"type\":\"auth_failure\",\"account\":\"user@example.com\",\"ip\":\"192.0.2.37\",\"mech\":\"LOGIN\",\"reason\":\"Incorrect authentication data\"") },
	{ "login authenticator failed for client.example.net ([192.0.2.33]) [198.51.100.74]: 535 Incorrect authentication data: 1 Time(s)",
	  J("\"service\":\"smtp\",\"type\":\"auth_failure\",\"ip\":\"198.51.100.74\",\"mech\":\"LOGIN\",\"reason\":\"Incorrect authentication data: 1 Time(s)\"") },
	{ "H=mx.example.net [192.0.2.3]:43030 I=[198.51.100.2]:25 Ci=7326 F=<u@example.net> rejected RCPT <r@example.org>: relay not permitted",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.3\",\"sender\":\"u@example.net\",\"recipient\":\"r@example.org\",\"reason\":\"relay not permitted\"") },
	{ "H=(client.example.org) [192.0.2.1] rejected EHLO or HELO client: HELO/EHLO must contain a FQDN",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.1\",\"reason\":\"HELO/EHLO must contain a FQDN\"") },
	{ "H=client.example.net [192.0.2.4]:41584 sender verify fail for <u@example.net>: Unrouteable address",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.4\",\"sender\":\"u@example.net\",\"reason\":\"Unrouteable address\"") },
	{ "1Unmew-0000ea-SE H=c.example.net [192.0.2.5]:32706 I=[198.51.100.2]:25 F=u@example.net rejected after DATA: This message contains a virus",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.5\",\"qid\":\"1Unmew-0000ea-SE\",\"sender\":\"u@example.net\",\"reason\":\"This message contains a virus\"") },
	{ "H=[192.0.2.101]:62839 dropped by 'connect' ACL: Country is banned",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.101\",\"reason\":\"Country is banned\"") },
	{ "SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[192.0.2.9]:25936 I=[198.51.100.4]:25 input=\"GET / HTTP/1.1\"",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.9\",\"reason\":\"SMTP protocol synchronization error\"") },
	/* the quoted command is the client's text: the last H= is the client */
	{ "SMTP protocol error in \"aUtH lOgIn\" H=(test) [198.51.100.8]\" H=(client) [192.0.2.6] AUTH command used when not advertised",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.6\",\"reason\":\"AUTH command used when not advertised\"") },
	{ "SMTP call from c.example.net [192.0.2.11]:3767 I=[198.51.100.4]:25 dropped: too many nonmail commands (last was \"RSET\")",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.11\",\"reason\":\"too many nonmail commands (last was \\\"RSET\\\")\"") },
	{ "1ahr79-0006jK-G9 SMTP connection from (client) [192.0.2.33]:44884 I=[198.51.100.6]:25 closed by DROP in ACL",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.33\",\"qid\":\"1ahr79-0006jK-G9\",\"reason\":\"closed by DROP in ACL\"") },
	{ "no MAIL in SMTP connection from [192.0.2.12]:2056 I=[198.51.100.6]:25 D=0s",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.12\",\"reason\":\"no MAIL in SMTP connection\"") },
	{ "F=<u@example.net> H=c.example.net [192.0.2.40] P=smtp rejected by local_scan(): Rejected: hits=7.5",
	  J("\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.40\",\"sender\":\"u@example.net\",\"reason\":\"Rejected: hits=7.5\"") },
	{ "1VxPit-000MMd-U4 SA: Action: flagged as Spam but accepted: score=8.2 required=5.0 (scanned in 6/6 secs | Message-Id: x@example.com). From <s@example.com> (host=c.example.net [192.0.2.3]) for r@example.org",
	  J("\"service\":\"smtp\",\"type\":\"spam_check\",\"ip\":\"192.0.2.3\",\"qid\":\"1VxPit-000MMd-U4\",\"status\":\"spam\",\"score\":8.2") },
	/* a syslog copy of the mainlog keeps Exim's own time stamp */
	{ "2021-07-17 23:20:49 plain_server authenticator failed for ([192.0.2.17]) [192.0.2.27]: 535 Incorrect authentication data",
	  J("\"service\":\"smtp\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.27\",\"mech\":\"PLAIN\",\"reason\":\"Incorrect authentication data\"") },
};

static const struct parsetest_outcome others[] = {
	{ "1CzYHn-0008AJ-7F Completed", PARSE_EVENTS },
	{ "SMTP connection from [192.0.2.10]:55010 (TCP/IP connection count = 1)", PARSE_NOEVENT },
	{ "no host name found for IP address 192.0.2.8", PARSE_NOEVENT },
	{ "1CpycD-00086W-VZ H=(client.example.org) [192.0.2.1] Warning: SPAM (7.6)", PARSE_NOEVENT },
	{ "Start queue run: pid=31402", PARSE_NOEVENT },
	{ "something exim never wrote", PARSE_UNMATCHED },
	{ "H=(client) [192.0.2.] rejected EHLO or HELO client: SPAM HELO/EHLO without a period", PARSE_MALFORMED },
	{ "1CzYHn-0008AJ-7F <= u@example.org H=(c) [192.0.2.1] P=esmtp S=sss", PARSE_MALFORMED },
	{ "login authenticator failed for (c) [192.0.2.1]: 535 Incorrect authentication data (set_id=x", PARSE_MALFORMED },
};

static void
test_vectors(void **state)
{
	struct frame f = parsetest_frame(FRAME_EXIM, "exim", STRV_LIT(""), T0);

	(void)state;
	assert_int_equal(PARSETEST_VECTORS(&f, vectors), 0);
	assert_int_equal(PARSETEST_OUTCOMES(&f, others), 0);
}

/* Hostile lines finish fast (the matcher's step budget). */
static void
test_hostile(void **state)
{
	static const char *const units[] = { " H=", "[", " [", ": ", " rejected RCPT ", "A=a:",
					     " for x", "(set_id=", "defer (" };
	static char msg[LIMIT_LINE_MAX];
	struct parse_out out;
	size_t u;

	(void)state;
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		struct frame f;
		double t0;

		parsetest_fill(msg, sizeof(msg), "1CzYHn-0008AJ-7F <= s ", units[u]);
		f = parsetest_frame(FRAME_RFC3164, "exim", strv_cstr(msg), T0);
		t0 = parsetest_ms();
		parse_line(&f, &out);
		f.msg = strv_skip(f.msg, 17);
		parse_line(&f, &out);
		f.msg = strv_skip(f.msg, 3);
		parse_line(&f, &out);
		if (parsetest_ms() - t0 > 200)
			fail_msg("unit \"%s\" took %.0f ms", units[u], parsetest_ms() - t0);
	}
}

/* --- the shared corpus ------------------------------------------------- */

/* "A=authenticator:id" names an account. */
static bool
names_account(struct strv s)
{
	const char *a = strv_find(s, STRV_LIT(" A="));
	size_t i = 0;

	if (a == NULL)
		return false;
	s = strv_make(a + 3, (size_t)(s.p + s.len - a - 3));
	while (i < s.len && s.p[i] != ' ' && s.p[i] != ':')
		i++;
	return i < s.len && s.p[i] == ':';
}

struct tally {
	unsigned counts[5], lines, munged, f2b, bad;
};

/* Shapes of lines left unmatched: the first words, ids and addresses
 * folded, with a count. */
#define SHAPES 1024
struct shapes {
	char key[SHAPES][48];
	unsigned n[SHAPES], used;
};

static void
shape_add(struct shapes *sh, const struct frame *f)
{
	char key[48];
	size_t i, k = 0, words = 0;
	struct strv m = f->msg;

	if (m.len > 24 && m.p[6] == '-' && m.p[6 + 1 + strcspn(m.p + 7, "-")] == '-') {
		size_t sp = strcspn(m.p, " ");

		m = strv_skip(m, sp + 1);
		k = (size_t)snprintf(key, sizeof(key), "ID ");
	}
	for (i = 0; i < m.len && k < sizeof(key) - 1 && words < 3; i++) {
		if (m.p[i] == ' ')
			words++;
		key[k++] = m.p[i];
	}
	key[k] = '\0';
	for (i = 0; i < sh->used; i++)
		if (strcmp(sh->key[i], key) == 0) {
			sh->n[i]++;
			return;
		}
	if (sh->used < SHAPES) {
		snprintf(sh->key[sh->used], sizeof(sh->key[0]), "%s", key);
		sh->n[sh->used++] = 1;
	}
}

struct run {
	struct frame_ctx ctx;
	struct tally *t;
	struct shapes *sh;
	bool strict;
};

static int
run_line(const struct corpus_line *l, void *arg)
{
	struct run *ru = arg;
	struct tally *t = ru->t;
	struct strv line = l->text;
	int shown = (int)(line.len > 300 ? 300 : line.len);
	static struct parse_out out;
	struct frame f;
	enum parse_result r;
	int ip, k;

	if (strncmp(l->file, "sshguard", 8) == 0 && strv_find(line, STRV_LIT("exim")) == NULL)
		return 0;	/* other daemons' lines */
	if (corpus_frame(&ru->ctx, 0, 0, l, &f) == CORPUS_UNFRAMED ||
	    (!strv_eq_cstr(f.prog, "exim") && !strv_eq_cstr(f.prog, "exim4")))
		return 0;
	t->lines++;
	r = parse_line(&f, &out);
	t->counts[r]++;
	if (r == PARSE_UNMATCHED && ru->sh != NULL)
		shape_add(ru->sh, &f);
	ip = corpus_bracket_ip(line);
	/* the test suite writes V4NET.x.y.z and ip4.ip4.ip4.ip4 for
	 * addresses, S=sss for sizes */
	if (strv_find(line, STRV_LIT("V4NET")) != NULL || strv_find(line, STRV_LIT("ip4.ip4")) != NULL ||
	    strv_find(line, STRV_LIT(" S=sss")) != NULL)
		ip = -1;
	if (ip < 0)
		t->munged++;
	if (getenv("MS_VERBOSE") != NULL && (r == PARSE_UNMATCHED || r == PARSE_MALFORMED) &&
	    (ru->sh == NULL || ip > 0 || names_account(line)))
		print_message("%d: %.*s\n", (int)r, shown, line.p);
	if (ru->strict && (ip > 0 || names_account(line)) &&
	    (r == PARSE_UNMATCHED || r == PARSE_MALFORMED)) {
		print_message("%s: %s: %.*s\n", l->file, r == PARSE_MALFORMED ? "MALFORMED" : "UNMATCHED",
			      shown, line.p);
		t->bad++;
	}
	if (l->label.match && l->label.host[0] != '\0') {
		bool found = false;

		t->f2b++;
		for (k = 0; r == PARSE_EVENTS && k < out.n; k++)
			found |= strcasecmp(out.ev[k].ip, l->label.host) == 0;
		/* Deliberate: "no host name found for IP address" and "no IP
		 * address found for host" are DNS notes, not outcomes (fail2ban
		 * counts them only in its aggressive mode). */
		if (!found && strv_find(line, STRV_LIT("no host name found for IP")) == NULL &&
		    strv_find(line, STRV_LIT("no IP address found for host")) == NULL) {
			print_message("%s: no event with ip %s: %.*s\n", l->file, l->label.host, shown,
				      line.p);
			t->bad++;
		}
	}
	return 0;
}

static void
test_corpus(void **state)
{
	static const char *const files[] = {
		"fail2ban/exim",
		"fail2ban/exim-spam",
		"crowdsec-hub/exim-*.log",
		"mailgraph/exim.logs",
		"ossec-hids/ossec-testing/exim.ini",
		"ossec-docs/email/exim.rst",
		"wazuh/ruleset-tests/exim.ini",
		"sshguard/parser-tests.txt",
	};
	static struct tally t, ts;
	static struct shapes sh;
	struct run ru;
	size_t i;

	(void)state;
	if (corpus_dir() == NULL) {
		print_message("skip: MS_CORPUS not set\n");
		skip();
	}
	memset(&t, 0, sizeof(t));
	memset(&ts, 0, sizeof(ts));
	memset(&ru, 0, sizeof(ru));
	ru.t = &t;
	ru.strict = true;
	(void)CORPUS_EACH_OF(files, run_line, &ru);
	if (t.lines == 0) {
		print_message("skip: no Exim corpus files under MS_CORPUS\n");
		skip();
	}
	print_message("exim corpus: %u lines: %u events, %u no-event, %u unmatched, %u malformed "
		      "(%u with munged addresses); %u fail2ban labels checked\n",
		      t.lines, t.counts[PARSE_EVENTS], t.counts[PARSE_NOEVENT],
		      t.counts[PARSE_UNMATCHED], t.counts[PARSE_MALFORMED], t.munged, t.f2b);
	/* The Exim test suite: features far beyond what we read (TLS, DKIM,
	 * ARC, DANE, queue runs, debug output). Counted, not asserted, with
	 * the unmatched shapes printed so coverage is visible. */
	ru.t = &ts;
	ru.sh = &sh;
	ru.strict = false;
	if (corpus_each("exim-testsuite/test/log/*", run_line, &ru) > 0) {
		print_message("exim test suite: %u lines: %u events, %u no-event, %u unmatched, "
			      "%u malformed (%u with munged addresses or S=sss)\n",
			      ts.lines, ts.counts[PARSE_EVENTS], ts.counts[PARSE_NOEVENT],
			      ts.counts[PARSE_UNMATCHED], ts.counts[PARSE_MALFORMED], ts.munged);
		for (i = 0; i < 30; i++) {
			size_t k, best = 0;

			for (k = 0; k < sh.used; k++)
				if (sh.n[k] > sh.n[best])
					best = k;
			if (sh.used == 0 || sh.n[best] == 0)
				break;
			print_message("  unmatched %5u  %s\n", sh.n[best], sh.key[best]);
			sh.n[best] = 0;
		}
	}
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
