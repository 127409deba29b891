/* test_corpus.c - the whole pipeline (frame_line, parse_line, corr_event)
 * over the shared corpus ($MS_CORPUS; skipped when absent):
 *   - every fail2ban line of a daemon mailsentry reads that is annotated
 *     "match": true with a "host" gives an event with that ip at the
 *     annotated time;
 *   - no line that names a client address or an account, in any corpus
 *     file of a supported daemon, is left UNMATCHED or MALFORMED (but for
 *     the exceptions listed below, each with its reason). */
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
#include "correlate/corr.h"
#include "parse/parse.h"
#include "util/netaddr.h"
#include "util/timeconv.h"

static const char *const result_names[] = { "unknown-prog", "unmatched", "malformed", "no-event",
					    "events" };

/* ---- fail2ban annotations ---------------------------------------------- */

/* The fail2ban vectors of daemons mailsentry reads. */
static const char *const f2b_files[] = {
	"fail2ban/postfix",	    "fail2ban/dovecot",	       "fail2ban/courier-auth",
	"fail2ban/courier-smtp",    "fail2ban/sendmail-auth",  "fail2ban/sendmail-reject",
	"fail2ban/sendmail-spam",   "fail2ban/exim",	       "fail2ban/exim-spam",
	"fail2ban/qmail",	    "fail2ban/cyrus-imap",     "fail2ban/uwimap-auth",
	"fail2ban/sieve",
};

struct ann {
	struct corr *corr;
	unsigned lines, labels, ok, excused, bad;
};

static bool
same_ip(const char *a, const char *b)
{
	struct netaddr x, y;

	if (netaddr_parse(a, strlen(a), &x) < 0 || netaddr_parse(b, strlen(b), &y) < 0)
		return strcmp(a, b) == 0;
	return netaddr_equal(&x, &y);
}

static int
ann_line(const struct corpus_line *l, void *arg)
{
	struct ann *a = arg;
	const struct corpus_label *lb = &l->label;
	static struct parse_out out;
	struct frame f;
	enum parse_result r;
	bool want = lb->match && lb->host[0] != '\0', ip_seen = false, ok = false;
	char got[TIMECONV_RFC3339_LEN] = "-";
	int64_t t = 0;

	if (l->first) {
		corr_free(&a->corr);
		a->corr = corr_new();
	}
	a->lines++;
	/* --year from the annotation: fail2ban reads each line in its own year */
	if (corpus_frame(NULL, corpus_label_year(lb), 0, l, &f) != CORPUS_FRAMED) {
		if (want) {
			a->labels++;
			a->bad++;
			printf("# %s:%u: does not frame: %.*s\n", l->file, l->lineno,
			       (int)(l->text.len > 160 ? 160 : l->text.len), l->text.p);
		}
		return 0;
	}
	out.n = 0;
	r = parse_line(&f, &out);
	for (int i = 0; i < out.n; i++) {
		struct evt *e = &out.ev[i];

		if (!corr_event(a->corr, e) || !want || !same_ip(e->ip, lb->host))
			continue;
		ip_seen = true;
		timeconv_format_utc(e->time, got);
		if (lb->time[0] == '\0') {	/* annotated without a time */
			ok = true;
			continue;
		}
		if (corpus_label_time(lb, f.kind, &t) < 0)
			continue;
		/* qmail through splogger ("qmail: 1157520813.485077 ...") carries
		 * its own absolute time, which the event takes (parse_qmail.c);
		 * fail2ban annotates the syslog header's civil time. The frame
		 * must agree with the annotation and the event with the epoch. */
		if (f.time == t && strv_eq_cstr(f.prog, "qmail") && e->time != t)
			ok |= e->time == strtoll(f.msg.p, NULL, 10);
		else
			ok |= e->time == t;
	}
	if (!want)
		return 0;
	a->labels++;
	if (ok) {
		a->ok++;
		return 0;
	}
	/* fail2ban's aggressive/ddos modes also count lines that are no
	 * outcome (DNS notes, connection summaries, lost connections before
	 * AUTH); mailsentry reads them as no event by design. An event they
	 * do give must still be right. */
	if (lb->aggressive && !ip_seen) {
		a->excused++;
		return 0;
	}
	a->bad++;
	printf("# %s:%u: %s, %s; want ip %s at %s: %.*s\n", l->file, l->lineno, result_names[r],
	       ip_seen ? "wrong time" : "no event with the ip", lb->host, lb->time,
	       (int)(l->text.len > 160 ? 160 : l->text.len), l->text.p);
	if (ip_seen)
		printf("#   event time %s\n", got);
	return 0;
}

static void
test_annotations(void **state)
{
	struct ann total;

	(void)state;
	if (corpus_dir() == NULL) {
		printf("# SKIP corpus: MS_CORPUS is not set or not a directory\n");
		skip();
	}
	memset(&total, 0, sizeof(total));
	for (size_t i = 0; i < sizeof(f2b_files) / sizeof(f2b_files[0]); i++) {
		struct ann a;

		memset(&a, 0, sizeof(a));
		assert_int_equal(corpus_each(f2b_files[i], ann_line, &a), 1);
		corr_free(&a.corr);
		printf("# %-26s %3u lines, %3u annotated with a host: %3u right, %2u aggressive-mode "
		       "notes, %u wrong\n",
		       f2b_files[i], a.lines, a.labels, a.ok, a.excused, a.bad);
		total.lines += a.lines;
		total.labels += a.labels;
		total.ok += a.ok;
		total.excused += a.excused;
		total.bad += a.bad;
	}
	printf("# fail2ban: %u lines, %u annotated with a host: %u right, %u excused, %u wrong\n",
	       total.lines, total.labels, total.ok, total.excused, total.bad);
	assert_int_equal(total.bad, 0);
	assert_true(total.ok > 230);
}

/* ---- coverage ---------------------------------------------------------- */

/* Corpus files of supported daemons (others' lines in them are
 * UNKNOWN_PROG and not judged). */
static const char *const cov_globs[] = {
	"fail2ban/postfix", "fail2ban/dovecot", "fail2ban/courier-*", "fail2ban/sendmail-*",
	"fail2ban/exim*", "fail2ban/qmail", "fail2ban/cyrus-imap", "fail2ban/uwimap-auth",
	"fail2ban/sieve",
	"crowdsec-hub/postfix-*", "crowdsec-hub/dovecot-*", "crowdsec-hub/exim-*",
	"mailgraph/*", "maillogsentinel/*", "modoboa/*",
	"ossec-docs/email/*.rst",
	"ossec-hids/log-entries/imapd", "ossec-hids/log-entries/vpopmail",
	"ossec-hids/log-entries/spamd", "ossec-hids/log-entries/mail-*",
	"ossec-hids/ossec-testing/*.ini", "wazuh/ruleset-tests/*.ini",
	"sshguard/*", "qmail-grafical-stats/*", "parse-syslog-mail/t/*.log",
	"parse-syslog-mail/t/logs/*", "pixelpark-postfix-logsums/test/*",
	"youyo-postfix-log-parser/test/*", "postfix-grok-patterns/test/*.yaml",
	"sekoia-intake-formats/postfix/*.json", "sekoia-intake-formats/spamassassin/*.json",
};

/* Counted and printed, not asserted: the Exim test suite's expected logs
 * cover features far beyond what mailsentry reads (TLS, DKIM, ARC, DANE,
 * queue runs, debug output), with munged addresses (V4NET, ip4.ip4). */
static const char *const counted_globs[] = {
	"exim-testsuite/test/log/*",
	"exim-testsuite/test/rejectlog/*",
};

/* Lines that name an address or an account and still may come out
 * UNMATCHED or MALFORMED. */
static const char *const exceptions[] = {
	/* placeholders written by anonymization, not addresses */
	"x.x.x.x", "y.y.y.y", "V4NET", "ip4.ip4", "XYZ",
	/* sshguard's reduction "Oct 14 19:45:05 [exim] LOGIN authenticator
	 * failed ...": "[exim]" stands where a syslog writes host and tag,
	 * a framing no syslog daemon documents; it frames with no program */
	"19:45:05 [exim] ",
};

struct cov {
	struct frame_ctx ctx;
	unsigned res[5], unframed, excerpts, marked, excused, bad;
	bool strict;
};

/* An address or an account named where mailsentry reads it. */
static bool
marked(struct strv s)
{
	const char *a;

	if (corpus_bracket_ip(s) > 0 || corpus_key_ip(s, "rip=", ", ") ||
	    corpus_key_ip(s, "ip=[", "]") || corpus_key_ip(s, "ip=", ", ") ||
	    corpus_key_ip(s, "relay=", ", ") || corpus_key_ip(s, "relay=::ffff:", ", "))
		return true;
	if (strv_find(s, STRV_LIT("sasl_username=")) != NULL ||
	    strv_find(s, STRV_LIT("user=<")) != NULL ||
	    strv_find(s, STRV_LIT("login success")) != NULL)
		return true;
	/* Exim "A=authenticator:id" */
	if ((a = strv_find(s, STRV_LIT(" A="))) != NULL) {
		struct strv v = strv_make(a + 3, (size_t)(s.p + s.len - a - 3));
		size_t i = 0;

		while (i < v.len && v.p[i] != ' ' && v.p[i] != ':')
			i++;
		return i < v.len && v.p[i] == ':';
	}
	return false;
}

static int
cov_line(const struct corpus_line *l, void *arg)
{
	struct cov *c = arg;
	static struct parse_out out;
	struct frame f;
	enum corpus_framed how;
	enum parse_result r;
	bool excused = false;

	how = corpus_frame(&c->ctx, 0, (int64_t)time(NULL), l, &f);
	if (how == CORPUS_UNFRAMED) {
		c->unframed++;
		return 0;
	}
	c->excerpts += how == CORPUS_EXCERPT;
	out.n = 0;
	r = parse_line(&f, &out);
	c->res[r]++;
	if (r != PARSE_UNMATCHED && r != PARSE_MALFORMED)
		return 0;
	if (!marked(l->text))
		return 0;
	c->marked++;
	for (size_t i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]); i++)
		excused |= strv_find(l->text, strv_cstr(exceptions[i])) != NULL;
	if (excused || !c->strict) {
		c->excused++;
		return 0;
	}
	c->bad++;
	printf("# %s:%u: %s: %.*s\n", l->file, l->lineno, result_names[r],
	       (int)(l->text.len > 200 ? 200 : l->text.len), l->text.p);
	return 0;
}

static void
cov_print(const char *what, const struct cov *c)
{
	printf("# %-42s %6u events, %6u no-event, %5u unknown-prog, %5u unmatched, %5u malformed; "
	       "%5u unframed, %5u excerpts; %u naming an address or account not read (%u excused)\n",
	       what, c->res[PARSE_EVENTS], c->res[PARSE_NOEVENT], c->res[PARSE_UNKNOWN_PROG],
	       c->res[PARSE_UNMATCHED], c->res[PARSE_MALFORMED], c->unframed, c->excerpts,
	       c->marked, c->excused);
}

static void
test_coverage(void **state)
{
	static struct cov total, suite;
	unsigned files = 0;

	(void)state;
	if (corpus_dir() == NULL) {
		printf("# SKIP corpus: MS_CORPUS is not set or not a directory\n");
		skip();
	}
	for (size_t i = 0; i < sizeof(cov_globs) / sizeof(cov_globs[0]); i++) {
		static struct cov c;
		int n;

		memset(&c, 0, sizeof(c));
		c.strict = true;
		n = corpus_each(cov_globs[i], cov_line, &c);
		assert_true(n > 0);
		files += (unsigned)n;
		cov_print(cov_globs[i], &c);
		for (int k = 0; k < 5; k++)
			total.res[k] += c.res[k];
		total.unframed += c.unframed;
		total.excerpts += c.excerpts;
		total.marked += c.marked;
		total.excused += c.excused;
		total.bad += c.bad;
	}
	cov_print("supported daemons, all files", &total);
	for (size_t i = 0; i < sizeof(counted_globs) / sizeof(counted_globs[0]); i++) {
		memset(&suite, 0, sizeof(suite));
		suite.strict = false;
		(void)corpus_each(counted_globs[i], cov_line, &suite);
		cov_print(counted_globs[i], &suite);
	}
	printf("# %u files; %u lines naming an address or account not read\n", files, total.bad);
	assert_int_equal(total.bad, 0);
	assert_true(total.res[PARSE_EVENTS] > 10000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_annotations),
		cmocka_unit_test(test_coverage),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
