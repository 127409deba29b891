/* test_parse_dovecot.c - parse/parse_dovecot.c: one row per rule, malformed
 * and hostile lines, and every Dovecot line of the shared corpus */
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

#define T0 "\"time\":\"2023-11-14T22:13:20Z\",\"source\":\"dovecot\","

static struct frame
mkframe(const char *prog, const char *msg)
{
	struct frame f = parsetest_frame(FRAME_RFC3164, prog, strv_cstr(msg), 1700000000);

	f.host = STRV_LIT("mx");
	return f;
}

static const struct parsetest_row rows[] = {
	/* Login processes, syslog framing ("dovecot: imap-login: ..."). */
	{ "dovecot",
	  "imap-login: Login: user=<u@example.com>, method=PLAIN, rip=192.0.2.10, lip=198.51.100.1, mpid=30726, secured, session=<QlNHvRZeMMd/AAAB>",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"imap\",\"type\":\"auth_success\",\"account\":\"u@example.com\",\"ip\":\"192.0.2.10\",\"mech\":\"PLAIN\",\"host\":\"mx\"}" },
	/* Dovecot's own log file: prog is the process, a level follows. */
	{ "pop3-login",
	  "Info: Login: user=<u@example.com>, method=PLAIN, rip=2001:db8::15, lip=2001:db8::1, mpid=18, TLS, session=<PeYcgjjOGOisEQAB>",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"pop3\",\"type\":\"auth_success\",\"account\":\"u@example.com\",\"ip\":\"2001:db8::15\",\"mech\":\"PLAIN\",\"host\":\"mx\"}" },
	/* multilog: no prog. */
	{ "",
	  "submission-login: Info: Login: user=<u@example.com>, method=LOGIN, rip=::ffff:192.0.2.11, lip=198.51.100.1",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"submission\",\"type\":\"auth_success\",\"account\":\"u@example.com\",\"ip\":\"192.0.2.11\",\"mech\":\"LOGIN\",\"host\":\"mx\"}" },
	{ "dovecot",
	  "imap-login: Disconnected (auth failed, 2 attempts): user=<bob>, method=PLAIN, rip=192.0.2.87, lip=198.51.100.194, TLS",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"imap\",\"type\":\"auth_failure\",\"account\":\"bob\",\"ip\":\"192.0.2.87\",\"mech\":\"PLAIN\",\"attempts\":2,\"host\":\"mx\"}" },
	{ "dovecot",
	  "pop3-login: Aborted login (auth failed, 1 attempts in 17 secs): user=<test>, method=PLAIN, rip=192.0.2.13, lip=203.0.113.17, session=<YADINsQCDs5BH8Pg>",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"pop3\",\"type\":\"auth_failure\",\"account\":\"test\",\"ip\":\"192.0.2.13\",\"mech\":\"PLAIN\",\"attempts\":1,\"host\":\"mx\"}" },
	{ "dovecot",
	  "imap-login: Info: Disconnected: Connection closed: read(size=1003) failed: Connection reset by peer (auth failed, 1 attempts in 0 secs): user=<t@example.com>, rip=192.0.2.4, lip=127.0.0.1, session=<Lsz0Oo7WXti3b7xe>",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"imap\",\"type\":\"auth_failure\",\"account\":\"t@example.com\",\"ip\":\"192.0.2.4\",\"attempts\":1,\"host\":\"mx\"}" },
	/* Dovecot 2.4 */
	{ "dovecot",
	  "managesieve-login: Login aborted: Connection closed (auth failed, 3 attempts in 16 secs) (auth_failed): user=<test>, method=PLAIN, rip=192.0.2.241, lip=203.0.113.104, TLS, session=<9ZHq02g3J8S60fan>",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"managesieve\",\"type\":\"auth_failure\",\"account\":\"test\",\"ip\":\"192.0.2.241\",\"mech\":\"PLAIN\",\"attempts\":3,\"host\":\"mx\"}" },
	{ "dovecot",
	  "imap-login: Disconnected (auth failed, 1 attempts): method=PLAIN, rip=192.0.2.100, lip=198.51.100.194, TLS: Disconnected",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"imap\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.100\",\"mech\":\"PLAIN\",\"attempts\":1,\"host\":\"mx\"}" },
	/* Dovecot 1.x */
	{ "dovecot",
	  "pop3-login: Aborted login (1 authentication attempts): user=<u>, method=PLAIN, rip=::ffff:192.0.2.4, lip=::ffff:192.0.2.5, secured",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"pop3\",\"type\":\"auth_failure\",\"account\":\"u\",\"ip\":\"192.0.2.4\",\"mech\":\"PLAIN\",\"attempts\":1,\"host\":\"mx\"}" },
	{ "dovecot", "imap-login: Aborted login (0 authentication attempts): rip=192.0.2.4, lip=192.0.2.5, TLS",
	  PARSE_NOEVENT, NULL },
	{ "dovecot", "pop3-login: Aborted login: user=<u>, method=PLAIN, rip=::ffff:192.0.2.4, lip=::ffff:192.0.2.5",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"pop3\",\"type\":\"auth_failure\",\"account\":\"u\",\"ip\":\"192.0.2.4\",\"mech\":\"PLAIN\",\"reason\":\"aborted login\",\"host\":\"mx\"}" },
	{ "dovecot",
	  "pop3-login: Disconnected (no auth attempts in 58 secs): user=<>, rip=192.0.2.13, lip=203.0.113.17, session=<LgDINsQCkttVIMPg>",
	  PARSE_NOEVENT, NULL },
	{ "imap-login",
	  "Info: Login aborted: Connection closed: read(size=653) failed: Connection reset by peer (no auth attempts in 1 secs) (no_auth_attempts): user=<>, rip=192.0.2.6, lip=192.0.2.1, session=<qMLsbvY8PLSkXGoP>",
	  PARSE_NOEVENT, NULL },
	{ "dovecot",
	  "pop3-login: Aborted login (tried to use disallowed plaintext auth): rip=192.0.2.21, lip=198.51.100.193, session=<LgDINsQCkttVIMPg>",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"pop3\",\"type\":\"reject\",\"ip\":\"192.0.2.21\",\"reason\":\"disallowed plaintext auth\",\"host\":\"mx\"}" },
	{ "dovecot",
	  "imap-login: Disconnected (proxy dest auth failed): user=<u@example.com>, method=PLAIN, rip=192.0.2.4, lip=198.51.100.2, session=<NTI4FiZxcQCSud4G>",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"imap\",\"type\":\"auth_failure\",\"account\":\"u@example.com\",\"ip\":\"192.0.2.4\",\"mech\":\"PLAIN\",\"reason\":\"proxy dest auth failed\",\"host\":\"mx\"}" },
	{ "dovecot", "imap-login: Disconnected: rip=192.0.2.4, lip=198.51.100.5, TLS", PARSE_NOEVENT, NULL },
	{ "dovecot",
	  "imap-login: Disconnected (client didn't finish SASL auth, waited 2 secs): user=<>, method=PLAIN, rip=192.0.2.6, lip=198.51.100.2, TLS",
	  PARSE_NOEVENT, NULL },
	{ "dovecot",
	  "imap-login: Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10): user=<u@example.com>, method=PLAIN, rip=192.0.2.4, lip=192.0.2.1",
	  PARSE_NOEVENT, NULL },
	{ "dovecot", "imap-login: Time just moved backwards by 3 seconds. I'll sleep now.", PARSE_NOEVENT, NULL },
	/* The user name is the client's: a forged rip= inside it is not the address. */
	{ "dovecot",
	  "imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<x>, method=PLAIN, rip=203.0.113.66, lip=198.51.100.1>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.1, TLS, session=<abc>",
	  PARSE_EVENTS,
	  "{" T0 "\"service\":\"imap\",\"type\":\"auth_failure\",\"account\":\"x>, method=PLAIN, rip=203.0.113.66, lip=198.51.100.1\",\"ip\":\"192.0.2.7\",\"mech\":\"PLAIN\",\"attempts\":1,\"host\":\"mx\"}" },

	/* Auth processes. */
	{ "dovecot", "auth-worker(304): pam(u,192.0.2.4): pam_authenticate() failed: Authentication failure (password mismatch?)",
	  PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"u\",\"ip\":\"192.0.2.4\",\"reason\":\"password mismatch\",\"host\":\"mx\"}" },
	{ "dovecot", "auth-worker(31326): pam(u,192.0.2.4): unknown user", PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"u\",\"ip\":\"192.0.2.4\",\"reason\":\"unknown user\",\"host\":\"mx\"}" },
	{ "dovecot", "auth: passwd-file(u@example.com,192.0.2.5): unknown user (SHA1 of given password: 21bd12)",
	  PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"u@example.com\",\"ip\":\"192.0.2.5\",\"reason\":\"unknown user\",\"host\":\"mx\"}" },
	{ "dovecot", "auth: sql(admin@example.com,2001:db8::26,<6rXunFtu493AqJDi>): Password mismatch", PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"admin@example.com\",\"ip\":\"2001:db8::26\",\"reason\":\"password mismatch\",\"host\":\"mx\"}" },
	{ "dovecot",
	  "auth-worker(5787): conn unix:auth-worker (pid=27359,uid=97): auth-worker<55>: pam(webapps,192.0.2.7): unknown user",
	  PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"webapps\",\"ip\":\"192.0.2.7\",\"reason\":\"unknown user\",\"host\":\"mx\"}" },
	{ "auth-worker(57065)",
	  "Info: conn unix:auth-worker (uid=143): auth-worker<225622>: sql(u@example.com,192.0.2.7,<Yx7+W8+Io>): Password mismatch",
	  PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"u@example.com\",\"ip\":\"192.0.2.7\",\"reason\":\"password mismatch\",\"host\":\"mx\"}" },
	{ "", "auth: Info: ldap(dog,192.0.2.121,): invalid credentials", PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"dog\",\"ip\":\"192.0.2.121\",\"reason\":\"invalid credentials\",\"host\":\"mx\"}" },
	{ "dovecot",
	  "dovecot: auth(default): pam(a@example.com,192.0.2.206): pam_authenticate() failed: User not known to the underlying authentication module: 2 Time(s)",
	  PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"a@example.com\",\"ip\":\"192.0.2.206\",\"reason\":\"unknown user\",\"host\":\"mx\"}" },
	{ "dovecot", "auth-worker(30165): pam(u@example.com,192.0.2.6,<PNHQq8pZhqIKAQGd>): pam_authenticate() failed: Permission denied",
	  PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"u@example.com\",\"ip\":\"192.0.2.6\",\"reason\":\"Permission denied\",\"host\":\"mx\"}" },
	/* 2.4: user and address in the process prefix; the password is never copied. */
	{ "auth(info@example.com,192.0.2.110,sasl:login)<CvN+E95Uf4e7eEnj>",
	  "Info: sql: Password mismatch (given password: XxxxXXxx123)", PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"info@example.com\",\"ip\":\"192.0.2.110\",\"reason\":\"password mismatch\",\"host\":\"mx\"}" },
	{ "", "dovecot-auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=web rhost=192.0.2.224",
	  PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"ip\":\"192.0.2.224\",\"host\":\"mx\"}" },
	{ "auth", "pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=root rhost=192.0.2.225  user=root",
	  PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"root\",\"ip\":\"192.0.2.225\",\"host\":\"mx\"}" },
	/* ruser carries the client's text: a forged rhost= in it is skipped. */
	{ "auth", "pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=x rhost=203.0.113.9 rhost=192.0.2.10",
	  PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"ip\":\"192.0.2.10\",\"host\":\"mx\"}" },
	{ "auth", "pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=x rhost=192.0.2.10  user=y rhost=203.0.113.9",
	  PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"y rhost=203.0.113.9\",\"ip\":\"192.0.2.10\",\"host\":\"mx\"}" },
	{ "dovecot", "auth(default): Time just moved backwards by 2 seconds.", PARSE_NOEVENT, NULL },
	{ "dovecot", "Fatal: auth(default): Support not compiled in for passdb driver 'ldap'", PARSE_NOEVENT, NULL },

	/* Mail processes and the master: no events. */
	{ "dovecot", "imap(u@example.com)<1234><QlNHvRZeMMd/AAAB>: Disconnected: Logged out in=412 out=90210", PARSE_NOEVENT, NULL },
	{ "imap(u@example.com)", "Info: Logged out in=412 out=90210", PARSE_NOEVENT, NULL },
	{ "dovecot", "IMAP(u): Connection closed", PARSE_NOEVENT, NULL },
	{ "dovecot", "lmtp(30301): Connect from local", PARSE_NOEVENT, NULL },
	{ "dovecot",
	  "lmtp(u@example.com): z5FOLrRhDVpddgAABvoInA: sieve: msgid=<a@example.com>: stored mail into mailbox 'INBOX'",
	  PARSE_NOEVENT, NULL },
	{ "dovecot", "lda(u@example.com)<4321><abc>: sieve: msgid=<a@example.com>: stored mail into mailbox 'INBOX'",
	  PARSE_NOEVENT, NULL },
	{ "dovecot", "Dovecot v2.3.16 (7e2e900c1a) starting up for imap, pop3 (core dumps disabled)", PARSE_NOEVENT, NULL },
	{ "dovecot", "managesieve(u@example.com): Debug: dict quota: user=u@example.com, uri=proxy::quota, noenforcing=0",
	  PARSE_NOEVENT, NULL },
	/* Dovecot 1.x's own log file: the level comes first. */
	{ "Info", "imap-login: Login: user=<u>, method=PLAIN, rip=192.0.2.4, lip=192.0.2.5", PARSE_EVENTS,
	  "{" T0 "\"service\":\"imap\",\"type\":\"auth_success\",\"account\":\"u\",\"ip\":\"192.0.2.4\",\"mech\":\"PLAIN\",\"host\":\"mx\"}" },
	{ "dovecot", "ssl-build-param: SSL parameters regeneration completed", PARSE_NOEVENT, NULL },
	{ "dovecot", "Killed with signal 15 (by pid=1 uid=0 code=kill)", PARSE_NOEVENT, NULL },

	/* Unknown shapes and other daemons' multilog lines. */
	{ "dovecot", "imap-login: something new: rip=192.0.2.1", PARSE_UNMATCHED, NULL },
	{ "", "delivery 1: success: did_0+0+1/", PARSE_UNMATCHED, NULL },
	{ "", "status: local 0/10 remote 0/20", PARSE_UNMATCHED, NULL },
	{ "", "", PARSE_UNMATCHED, NULL },

	/* Malformed: a known shape with a value that is not an address. */
	{ "dovecot", "imap-login: Login: user=<u>, method=PLAIN, rip=999.1.1.1, lip=192.0.2.1", PARSE_MALFORMED, NULL },
	{ "dovecot", "imap-login: Disconnected (auth failed, 1 attempts): user=<u>, method=PLAIN, rip=y.y.y.y, lip=x.x.x.x",
	  PARSE_MALFORMED, NULL },
	{ "dovecot", "imap-login: Disconnected (auth failed, 99999999999 attempts): user=<u>, rip=192.0.2.1", PARSE_MALFORMED, NULL },
	{ "dovecot", "auth: pam(u,999.1.1.1): unknown user", PARSE_MALFORMED, NULL },
	{ "dovecot", "auth: pam(u,192.0.2.1\001): unknown user", PARSE_MALFORMED, NULL },	/* control byte */
	/* A user name with a comma and no address. */
	{ "dovecot", "auth: pam(a,bob): unknown user", PARSE_EVENTS,
	  "{" T0 "\"type\":\"auth_failure\",\"account\":\"a,bob\",\"reason\":\"unknown user\",\"host\":\"mx\"}" },
};

static void
test_rows(void **state)
{
	struct frame tmpl = mkframe("", "");

	(void)state;
	assert_int_equal(PARSETEST_ROWS(parse_dovecot, &tmpl, rows, false), 0);
}

/* parse_line sends each of Dovecot's program names here. */
static void
test_dispatch(void **state)
{
	static const struct {
		const char *prog, *msg;
		enum parse_result want;
	} d[] = {
		{ "dovecot", "imap-login: Disconnected: rip=192.0.2.4, lip=198.51.100.5", PARSE_NOEVENT },
		{ "imap-login", "Info: Login: user=<u>, method=PLAIN, rip=192.0.2.1", PARSE_EVENTS },
		{ "pop3-login", "Login: user=<u>, method=PLAIN, rip=192.0.2.1", PARSE_EVENTS },
		{ "submission-login", "Login: user=<u>, method=PLAIN, rip=192.0.2.1", PARSE_EVENTS },
		{ "managesieve-login", "Login: user=<u>, method=PLAIN, rip=192.0.2.1", PARSE_EVENTS },
		{ "auth", "passwd-file(u,192.0.2.4): unknown user", PARSE_EVENTS },
		{ "auth-worker(22401)", "Info: sql(u,192.0.2.5,<n4JLdHNVngZGpV2j>): unknown user", PARSE_EVENTS },
		{ "auth(u,192.0.2.110,sasl:login)<CvN+E95Uf4e7eEnj>", "Info: sql: Password mismatch", PARSE_EVENTS },
		{ "dovecot-auth", "pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=w rhost=192.0.2.9", PARSE_EVENTS },
		{ "imap(u@example.com)", "Info: Logged out in=412 out=90210", PARSE_NOEVENT },
		{ "lmtp(30301)", "Connect from local", PARSE_NOEVENT },
		{ "", "imap-login: Info: Login: user=<u>, method=PLAIN, rip=192.0.2.1", PARSE_EVENTS },
		{ "Info", "pop3-login: Login: user=<u>, method=PLAIN, rip=192.0.2.1", PARSE_EVENTS },
	};
	struct parse_out out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		struct frame f = mkframe(d[i].prog, d[i].msg);
		enum parse_result r = parse_line(&f, &out);

		if (r != d[i].want)
			printf("dispatch %zu: %s: got %d want %d\n", i, d[i].prog, r, d[i].want);
		assert_int_equal(r, d[i].want);
		if (r == PARSE_EVENTS)
			assert_string_equal(out.ev[0].source, "dovecot");
	}
}

/* Pathological lines finish quickly (the matcher's step budget) and never
 * produce an event with a forged address. */
static void
test_hostile(void **state)
{
	static const char *const units[] = { "(", "(auth failed, ", "rip=", "user=<", ">, ", ": ", "(a", "auth failed, 1 attempts", "conn x: auth-worker<" };
	static const char *const progs[] = { "dovecot", "imap-login", "", "auth", "auth-worker(1)" };
	static char line[LIMIT_LINE_MAX];
	struct parse_out out;
	struct timespec t0, t1;
	size_t u, p;
	double secs;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		/* 64 bytes short of the limit: room for the heads below */
		parsetest_fill(line, sizeof(line) - 63, "", units[u]);
		for (p = 0; p < sizeof(progs) / sizeof(progs[0]); p++) {
			static const char *const heads[] = { "", "imap-login: ", "imap-login: Login: ", "auth: pam(" };
			size_t h;

			for (h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
				char *msg = malloc(sizeof(line) + 32);
				struct frame f;

				snprintf(msg, sizeof(line) + 32, "%s%s", heads[h], line);
				f = mkframe(progs[p], msg);
				out.n = 0;
				(void)parse_dovecot(&f, &out);
				free(msg);
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
is_dovecot_prog(struct strv prog, struct strv msg)
{
	static const char *const pre[] = { "dovecot", "imap-login", "pop3-login", "submission-login",
					   "managesieve-login", "auth", "imap(", "pop3(", "lmtp(", "lda(",
					   "Info", "Error", "Warning", "Fatal" };
	size_t i;

	if (prog.len == 0)
		prog = msg;
	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		size_t n = strlen(pre[i]);

		if (strv_has_prefix(prog, pre[i]) &&
		    (pre[i][n - 1] == '(' || prog.len == n || strchr(":[-(/", prog.p[n]) != NULL))
			return true;
	}
	return false;
}

static const char *const corpus_files[] = {
	"fail2ban/dovecot",
	"crowdsec-hub/dovecot-logs.log",
	"crowdsec-hub/dovecot-spam.log",
	"modoboa/mail.log",
	"ossec-hids/ossec-testing/dovecot.ini",
	"wazuh/ruleset-tests/dovecot.ini",
	"ossec-docs/email/dovecot.rst",
	"qmail-grafical-stats/dovecot.log",
	"sshguard/parser-tests.txt",
};

struct tally {
	struct frame_ctx ctx;
	unsigned total, res[5], unsplit, checked, host_ok, aggressive, ann_unsplit, must_bad;
};

static int
corpus_one(const struct corpus_line *l, void *arg)
{
	struct tally *t = arg;
	struct strv line = l->text;
	bool want = l->label.match && l->label.host[0] != '\0';
	static struct parse_out out;
	struct frame f;
	enum parse_result r;
	bool must;
	int k;

	/* Placeholder addresses (ossec-docs "rip=y.y.y.y") are not
	 * addresses: MALFORMED is right for those lines. */
	must = corpus_key_ip(line, "rip=", ", ") ||
	       (strv_find(line, STRV_LIT("user=")) != NULL && strv_find(line, STRV_LIT("rip=")) == NULL);
	if (corpus_frame(&t->ctx, 0, 0, l, &f) == CORPUS_UNFRAMED || !is_dovecot_prog(f.prog, f.msg)) {
		if (must && (strv_find(line, STRV_LIT("rip=")) != NULL ||
			     strv_find(line, STRV_LIT("dovecot")) != NULL)) {
			t->unsplit++;
			print_message("  not routed here (framing): %.*s\n",
				      (int)(line.len > 120 ? 120 : line.len), line.p);
		}
		t->ann_unsplit += want;
		return 0;
	}
	t->total++;
	out.n = 0;
	r = parse_dovecot(&f, &out);
	t->res[r]++;
	if (f.prog.len > 0) {	/* the dispatch table agrees */
		struct parse_out o2;
		enum parse_result r2 = parse_line(&f, &o2);

		if (r2 != r)
			print_message("  parse_line %d, parse_dovecot %d: %.*s\n", r2, r,
				      (int)(line.len > 160 ? 160 : line.len), line.p);
		assert_int_equal(r2, r);
	}
	if (r == PARSE_UNMATCHED || r == PARSE_MALFORMED) {
		t->must_bad += must;
		print_message("  %s%s: %.*s\n", must ? "FAIL " : "",
			      r == PARSE_UNMATCHED ? "unmatched" : "malformed",
			      (int)(line.len > 160 ? 160 : line.len), line.p);
	}
	if (want) {
		if (l->label.aggressive) {
			t->aggressive++;
		} else {
			bool ok = false;

			t->checked++;
			for (k = 0; k < out.n; k++)
				ok |= strcmp(out.ev[k].ip, l->label.host) == 0;
			if (ok)
				t->host_ok++;
			else
				print_message("  no event with ip %s: %.*s\n", l->label.host,
					      (int)(line.len > 160 ? 160 : line.len), line.p);
		}
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
	print_message("dovecot corpus: %u lines: %u events, %u no-event, %u unmatched, %u malformed; "
		      "%u with address/user not routed here\n",
		      t.total, t.res[PARSE_EVENTS], t.res[PARSE_NOEVENT], t.res[PARSE_UNMATCHED],
		      t.res[PARSE_MALFORMED], t.unsplit);
	print_message("fail2ban labels: %u checked, %u with the labelled ip, %u aggressive-mode (not events "
		      "by design), %u skipped (framing)\n",
		      t.checked, t.host_ok, t.aggressive, t.ann_unsplit);
	assert_int_equal(t.must_bad, 0);
	assert_int_equal(t.host_ok, t.checked);
	assert_true(t.total > 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
