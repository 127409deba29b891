/* test_frame.c - frame/: every framing, year inference, malformed lines, and
 * passes over the real corpus ($MS_CORPUS; skipped when absent) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"
#include "frame/frame.h"
#include "util/msg.h"
#include "util/timeconv.h"

/* 2024-03-15T12:00:00Z: the reference time of the table rows */
#define REF_MARCH_2024 1710504000

static const char *const kind_names[] = { "none", "rfc3164", "rfc3339", "tai64n",
					  "tai64nlocal", "exim" };

struct row {
	const char *in;
	int year;		/* year_option */
	int rc;
	enum frame_kind kind;
	const char *time;	/* RFC 3339 UTC */
	uint32_t usec;
	const char *host, *prog;
	uint32_t pid;
	const char *msg;
};

static const struct row rows[] = {
	/* RFC 3164: padded, unpadded and zero-padded days */
	{ "Jun  3 12:34:56 mail postfix/smtpd[123]: connect from unknown[192.0.2.1]", 0, 0,
	  FRAME_RFC3164, "2024-06-03T12:34:56Z", 0, "mail", "postfix/smtpd", 123,
	  "connect from unknown[192.0.2.1]" },
	{ "Aug 3 15:30:49 mx postfix/smtpd[17041]: warning: x", 2022, 0, FRAME_RFC3164,
	  "2022-08-03T15:30:49Z", 0, "mx", "postfix/smtpd", 17041, "warning: x" },
	{ "Jul 02 13:49:31 hostname dovecot[442]: pop3-login: Aborted login", 2022, 0,
	  FRAME_RFC3164, "2022-07-02T13:49:31Z", 0, "hostname", "dovecot", 442,
	  "pop3-login: Aborted login" },
	/* fractional seconds (rsyslog templates without a year) */
	{ "Mar 10 13:33:30.123456 gandalf postfix/smtpd[3937]: warning: SASL", 2024, 0,
	  FRAME_RFC3164, "2024-03-10T13:33:30Z", 123456, "gandalf", "postfix/smtpd", 3937,
	  "warning: SASL" },
	{ "Mar 10 13:33:30.5 h p: m", 2024, 0, FRAME_RFC3164, "2024-03-10T13:33:30Z", 500000,
	  "h", "p", 0, "m" },
	/* A28: facility.priority before the host */
	{ "Jun 17 14:37:39 <mail.notice> robin sm-mta[2794]: 55HIbcGI002794: <u@example.com>... User unknown",
	  2023, 0, FRAME_RFC3164, "2023-06-17T14:37:39Z", 0, "robin", "sm-mta", 2794,
	  "55HIbcGI002794: <u@example.com>... User unknown" },
	/* no host: Dovecot's own log file, Cyrus */
	{ "Sep 13 00:03:15 imap-login: Info: Login: user=<u@example.com>, rip=192.0.2.7", 2023, 0,
	  FRAME_RFC3164, "2023-09-13T00:03:15Z", 0, "", "imap-login", 0,
	  "Info: Login: user=<u@example.com>, rip=192.0.2.7" },
	{ "Jan 29 13:54:06 auth-worker(22401): Info: sql(a@example.com,192.0.2.5): unknown user",
	  2023, 0, FRAME_RFC3164, "2023-01-29T13:54:06Z", 0, "", "auth-worker(22401)", 0,
	  "Info: sql(a@example.com,192.0.2.5): unknown user" },
	{ "Feb 20 17:23:32 cyrus/pop3[4297]: badlogin: example.com [192.0.2.4] plaintext", 2023, 0,
	  FRAME_RFC3164, "2023-02-20T17:23:32Z", 0, "", "cyrus/pop3", 4297,
	  "badlogin: example.com [192.0.2.4] plaintext" },
	/* prog without a pid; the next "name:" is the message's */
	{ "Jun 13 16:30:54 platypus dovecot: imap-login: Disconnected (auth failed)", 2023, 0,
	  FRAME_RFC3164, "2023-06-13T16:30:54Z", 0, "platypus", "dovecot", 0,
	  "imap-login: Disconnected (auth failed)" },
	{ "Jan 29 05:32:50 mail dovecot: auth-worker(304): pam(u,192.0.2.4): failed", 2023, 0,
	  FRAME_RFC3164, "2023-01-29T05:32:50Z", 0, "mail", "dovecot", 0,
	  "auth-worker(304): pam(u,192.0.2.4): failed" },
	/* a bracket that is not a pid stays in the name */
	{ "Jan  1 00:00:00 h foo[x1]: m", 2023, 0, FRAME_RFC3164, "2023-01-01T00:00:00Z", 0, "h",
	  "foo[x1]", 0, "m" },
	{ "Jan  1 00:00:00 h p[4294967295]: m", 2023, 0, FRAME_RFC3164, "2023-01-01T00:00:00Z",
	  0, "h", "p", 4294967295U, "m" },
	{ "Jan  1 00:00:00 h p[4294967296]: m", 2023, 0, FRAME_RFC3164, "2023-01-01T00:00:00Z",
	  0, "h", "p[4294967296]", 0, "m" },
	{ "Jan  1 00:00:00 h p:", 2023, 0, FRAME_RFC3164, "2023-01-01T00:00:00Z", 0, "h", "p", 0,
	  "" },
	/* the syslog daemon's own lines frame with no program */
	{ "Jun  3 12:00:00 mx last message repeated 3 times", 2023, 0, FRAME_RFC3164,
	  "2023-06-03T12:00:00Z", 0, "mx", "", 0, "last message repeated 3 times" },
	{ "Jun  3 12:00:00 mx -- MARK --", 2023, 0, FRAME_RFC3164, "2023-06-03T12:00:00Z", 0,
	  "mx", "", 0, "-- MARK --" },
	/* a PRI kept by a raw template */
	{ "<22>Jun  3 12:00:00 mx postfix/qmgr[1]: 4PbCZy4PWKz3tBr: removed", 2023, 0,
	  FRAME_RFC3164, "2023-06-03T12:00:00Z", 0, "mx", "postfix/qmgr", 1,
	  "4PbCZy4PWKz3tBr: removed" },

	/* RFC 3339 */
	{ "2023-03-14T00:31:06.621091+01:00 helga postfix/submission/smtpd[303987]: 4PbCZy4PWKz3tBr: client=unknown[2001:db8::15c8]",
	  0, 0, FRAME_RFC3339, "2023-03-13T23:31:06Z", 621091, "helga",
	  "postfix/submission/smtpd", 303987, "4PbCZy4PWKz3tBr: client=unknown[2001:db8::15c8]" },
	{ "2022-04-14T00:36:03.150Z mailhub postfix/smtps/smtpd[30543]: warning: x", 0, 0,
	  FRAME_RFC3339, "2022-04-14T00:36:03Z", 150000, "mailhub", "postfix/smtps/smtpd", 30543,
	  "warning: x" },
	{ "2019-09-10T16:23:03+02:00 hostfoo spamd[13943]: spamd: result: . -1", 0, 0,
	  FRAME_RFC3339, "2019-09-10T14:23:03Z", 0, "hostfoo", "spamd", 13943,
	  "spamd: result: . -1" },
	{ "2019-09-10T16:23:03-03:30 h p[1]: m", 0, 0, FRAME_RFC3339, "2019-09-10T19:53:03Z", 0,
	  "h", "p", 1, "m" },
	/* journalctl -o short-iso */
	{ "2023-03-14T00:31:06+0100 mx postfix/smtpd[7]: connect", 0, 0, FRAME_RFC3339,
	  "2023-03-13T23:31:06Z", 0, "mx", "postfix/smtpd", 7, "connect" },
	/* nanoseconds truncate to microseconds */
	{ "2023-03-14T00:31:06.123456789Z h p: m", 0, 0, FRAME_RFC3339, "2023-03-14T00:31:06Z",
	  123456, "h", "p", 0, "m" },
	/* no zone: local time (TZ=UTC here) */
	{ "2023-03-14T00:31:06 h p: m", 0, 0, FRAME_RFC3339, "2023-03-14T00:31:06Z", 0, "h", "p",
	  0, "m" },
	/* ISO date with a space, then a syslog tag (A18, A20) */
	{ "2019-10-22 03:39:17 mx1.example.com exim[29786]: dovecot_login authenticator failed",
	  0, 0, FRAME_RFC3339, "2019-10-22T03:39:17Z", 0, "mx1.example.com", "exim", 29786,
	  "dovecot_login authenticator failed" },
	{ "2013-08-11 03:56:40 auth-worker(default): Info: pam(u,192.0.2.4): pam_authenticate() failed",
	  0, 0, FRAME_RFC3339, "2013-08-11T03:56:40Z", 0, "", "auth-worker(default)", 0,
	  "Info: pam(u,192.0.2.4): pam_authenticate() failed" },
	/* syslog-ng before Exim's +pid: the pid twice */
	{ "2016-04-01 11:08:00 info exim[8003]: [8003] SMTP protocol error in \"AUTH LOGIN\"", 0,
	  0, FRAME_RFC3339, "2016-04-01T11:08:00Z", 0, "info", "exim", 8003,
	  "SMTP protocol error in \"AUTH LOGIN\"" },

	/* a zone glued to an ISO time with a space: syslog, not Exim */
	{ "2018-12-20 10:09:05.180218+0000 localhost sshd[67566]: Invalid user git from 192.0.2.9",
	  0, 0, FRAME_RFC3339, "2018-12-20T10:09:05Z", 180218, "localhost", "sshd", 67566,
	  "Invalid user git from 192.0.2.9" },
	/* RFC 5424 */
	{ "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed",
	  0, 0, FRAME_RFC3339, "2003-10-11T22:14:15Z", 3000, "mymachine.example.com", "su", 0,
	  "'su root' failed" },
	{ "<165>1 2003-10-11T22:14:15.003000-07:00 h evntslog 1234 ID47 [ex@32473 iut=\"3\" s=\"A\\]\"][x@1 a=\"b\"] An event",
	  0, 0, FRAME_RFC3339, "2003-10-12T05:14:15Z", 3000, "h", "evntslog", 1234, "An event" },
	{ "<13>1 2003-10-11T22:14:15Z - - - - -", 0, 0, FRAME_RFC3339, "2003-10-11T22:14:15Z", 0,
	  "", "", 0, "" },

	/* multilog TAI64N: 0x52dd8b7e - 10 = 1390250868 */
	{ "@4000000052dd8b7e2cf3d5dc starting delivery 1: msg 2 to local u@example.com", 0, 0,
	  FRAME_TAI64N, "2014-01-20T20:47:48Z", 754177, "", "", 0,
	  "starting delivery 1: msg 2 to local u@example.com" },
	{ "@4000000052DD8B7E2CF3D5DC", 0, 0, FRAME_TAI64N, "2014-01-20T20:47:48Z", 754177, "",
	  "", 0, "" },
	/* tai64nlocal: exactly nine fraction digits */
	{ "2020-06-25 08:00:09.682393500 delivery 1: success: did_0+0+1/", 0, 0,
	  FRAME_TAI64NLOCAL, "2020-06-25T08:00:09Z", 682393, "", "", 0,
	  "delivery 1: success: did_0+0+1/" },

	/* Exim mainlog */
	{ "2014-12-02 03:00:23 auth_plain authenticator failed for (h) [192.0.2.35]:41556: 535 x",
	  0, 0, FRAME_EXIM, "2014-12-02T03:00:23Z", 0, "", "exim", 0,
	  "auth_plain authenticator failed for (h) [192.0.2.35]:41556: 535 x" },
	{ "2023-05-30 06:10:13.345 login authenticator failed", 0, 0, FRAME_EXIM,
	  "2023-05-30T06:10:13Z", 345000, "", "exim", 0, "login authenticator failed" },
	{ "2014-12-02 03:00:23 +0100 1CzYHn-0008AJ-7F <= a@example.com", 0, 0, FRAME_EXIM,
	  "2014-12-02T02:00:23Z", 0, "", "exim", 0, "1CzYHn-0008AJ-7F <= a@example.com" },
	{ "2013-06-10 18:33:32 [10099] H=(x) [192.0.2.178]:3755 rejected RCPT", 0, 0, FRAME_EXIM,
	  "2013-06-10T18:33:32Z", 0, "", "exim", 10099, "H=(x) [192.0.2.178]:3755 rejected RCPT" },
	{ "2014-12-02 03:00:23.123 -0130 [12345] 10HmaX-000000005vi-0000 Completed", 0, 0,
	  FRAME_EXIM, "2014-12-02T04:30:23Z", 123000, "", "exim", 12345,
	  "10HmaX-000000005vi-0000 Completed" },
	{ "2014-12-02 03:00:23 Warning: purging the environment.", 0, 0, FRAME_EXIM,
	  "2014-12-02T03:00:23Z", 0, "", "exim", 0, "Warning: purging the environment." },
	{ "2014-12-02 03:00:23 rcpt_acl: macro: x", 0, 0, FRAME_EXIM, "2014-12-02T03:00:23Z", 0,
	  "", "exim", 0, "rcpt_acl: macro: x" },
	{ "2014-12-02 03:00:23 [1.2.3.4] x", 0, 0, FRAME_EXIM, "2014-12-02T03:00:23Z", 0, "",
	  "exim", 0, "[1.2.3.4] x" },
	{ "2014-12-02 03:00:23", 0, 0, FRAME_EXIM, "2014-12-02T03:00:23Z", 0, "", "exim", 0, "" },
	/* Exim's own time after a syslog / journal tag (A16, A17) */
	{ "mail.example.com exim[3751842]: 2021-07-17 23:20:49 plain_server authenticator failed",
	  0, 0, FRAME_EXIM, "2021-07-17T23:20:49Z", 0, "mail.example.com", "exim", 3751842,
	  "plain_server authenticator failed" },
	{ "exim[14700]: 2006-11-21 15:01:33 1Glsgv-0002wv-00 SMTP error", 0, 0, FRAME_EXIM,
	  "2006-11-21T15:01:33Z", 0, "", "exim", 14700, "1Glsgv-0002wv-00 SMTP error" },

	/* malformed */
	{ "", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00:0", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00:00", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00:00 ", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00:00 host", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00:00 host ", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Foo  3 12:00:00 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "jun  3 12:00:00 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 25:00:00 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:60:00 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00:61 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun 32 12:00:00 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  0 12:00:00 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun 31 12:00:00 h p: m", 2023, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun 123 12:00:00 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00:00. h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00:00.1234567890 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00:00 h : m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },	/* empty prog */
	{ "Jun  3 12:00:00 h [12]: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00:00 : m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00:00\th p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Jun  3 12:00:00 <mail.notice>", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "<22>", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "<22><22>Jun  3 12:00:00 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "<2222>Jun  3 12:00:00 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "<13>1 2003-10-11T22:14:15Z h p 1 m [unterminated", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "<13>1 2003-10-11T22:14:15Z h p 1 m x", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "<13>1 2003-10-11T22:14:15Z h p", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "<13>1 -", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "<13>2 2003-10-11T22:14:15Z h p 1 m -", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "<mail.notice> h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "\x01\x02\xff\xfe garbage", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "\xff\xd8\xff\xe0\x00\x10JFIF", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "just some words here", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2023-13-01T00:00:00Z h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2023-02-29T00:00:00Z h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2023-02-28T24:00:00Z h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2023-03-14T00:31:06.+01:00 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2023-03-14T00:31:06+01 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2023-03-14T00:31:06+25:00 h p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2023-03-14T00:31:06Z", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2023-03-14T00:31:06Zh p: m", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2023-03-14X00:31:06 x", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2023-03-14 00:31", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2023-3-14 00:31:06 x", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2020-06-25 08:00:09.68239350 msg", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2020-06-25 08:00:09.6823935 msg", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2020-06-25 08:00:09.6823935001 msg", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2020-06-25 08:00:09x msg", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "2014-12-02 03:00:23 +01x0 msg", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "@4000000052dd8b7e2cf3d5d", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "@4000000052dd8b7e2cf3d5dcX", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "@4000000052dd8b7e2cf3g5dc x", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "@0000000052dd8b7e2cf3d5dc x", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "@4000000052dd8b7effffffff x", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "@", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "exim[1]: not a date", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "h postfix[1]: 2021-07-17 23:20:49 x", 0, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	/* Feb 29: only in leap years */
	{ "Feb 29 12:00:00 h p: m", 2023, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Feb 29 12:00:00 h p: m", 2024, 0, FRAME_RFC3164, "2024-02-29T12:00:00Z", 0, "h", "p", 0,
	  "m" },
	{ "Feb 29 12:00:00 h p: m", 1900, -1, 0, NULL, 0, NULL, NULL, 0, NULL },
	{ "Feb 29 12:00:00 h p: m", 2000, 0, FRAME_RFC3164, "2000-02-29T12:00:00Z", 0, "h", "p", 0,
	  "m" },
};

static void
check_view(const char *what, struct strv v, const char *want, const char *line)
{
	if (v.len != strlen(want) || (v.len > 0 && memcmp(v.p, want, v.len) != 0)) {
		print_error("%s: %s: got \"%.*s\", want \"%s\"\n", line, what, (int)v.len,
			    v.p != NULL ? v.p : "", want);
		fail();
	}
}

static void
test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct frame_ctx ctx;
		struct frame f;
		char ts[TIMECONV_RFC3339_LEN];
		int rc;

		frame_ctx_init(&ctx, "t", r->year, REF_MARCH_2024 + 120 * 86400);
		ctx.quiet = true;
		rc = frame_line(&ctx, r->in, strlen(r->in), &f);
		if (rc != r->rc) {
			print_error("row %zu \"%s\": rc %d, want %d\n", i, r->in, rc, r->rc);
			fail();
		}
		if (rc < 0) {
			assert_int_equal(ctx.year, 0);	/* a bad line changes no state */
			continue;
		}
		timeconv_format_utc(f.time, ts);
		if (f.kind != r->kind || strcmp(ts, r->time) != 0 || f.usec != r->usec ||
		    f.pid != r->pid) {
			print_error("row %zu \"%s\": %s %s .%06u pid %u, want %s %s .%06u pid %u\n",
				    i, r->in, kind_names[f.kind], ts, f.usec, f.pid,
				    kind_names[r->kind], r->time, r->usec, r->pid);
			fail();
		}
		check_view("host", f.host, r->host, r->in);
		check_view("prog", f.prog, r->prog, r->in);
		check_view("msg", f.msg, r->msg, r->in);
	}
}

/* A sequence of lines through one ctx: year inference and the wrap. */
struct seq_step {
	const char *in;
	const char *time;	/* NULL: the line is refused */
};

static void
run_seq(int year_option, int64_t ref, const struct seq_step *steps, size_t n)
{
	struct frame_ctx ctx;
	char ts[TIMECONV_RFC3339_LEN];

	frame_ctx_init(&ctx, "seq", year_option, ref);
	ctx.quiet = true;
	for (size_t i = 0; i < n; i++) {
		struct frame f;
		int rc = frame_line(&ctx, steps[i].in, strlen(steps[i].in), &f);

		if (steps[i].time == NULL) {
			if (rc != -1) {
				print_error("step %zu \"%s\": framed, want -1\n", i, steps[i].in);
				fail();
			}
			continue;
		}
		if (rc != 0) {
			print_error("step %zu \"%s\": -1\n", i, steps[i].in);
			fail();
		}
		timeconv_format_utc(f.time, ts);
		if (strcmp(ts, steps[i].time) != 0) {
			print_error("step %zu \"%s\": %s, want %s\n", i, steps[i].in, ts,
				    steps[i].time);
			fail();
		}
	}
}

#define RUN_SEQ(year, ref, steps) run_seq(year, ref, steps, sizeof(steps) / sizeof(steps[0]))

static void
test_year(void **state)
{
	/* reference in March, first line in December: the previous year */
	static const struct seq_step dec[] = {
		{ "Dec 30 10:00:00 h p: m", "2023-12-30T10:00:00Z" },
		{ "Dec 31 10:00:00 h p: m", "2023-12-31T10:00:00Z" },
	};
	/* a day of slack after the reference, not more */
	static const struct seq_step slack1[] = {
		{ "Mar 16 11:00:00 h p: m", "2024-03-16T11:00:00Z" },
	};
	static const struct seq_step slack2[] = {
		{ "Mar 16 12:00:01 h p: m", "2023-03-16T12:00:01Z" },
	};
	/* Dec -> Jan within a file, and a late Dec line after New Year */
	static const struct seq_step wrap[] = {
		{ "Dec 31 23:59:59 h p: m", "2023-12-31T23:59:59Z" },
		{ "Jan  1 00:00:01 h p: m", "2024-01-01T00:00:01Z" },
		{ "Dec 31 23:59:58 h p: m", "2023-12-31T23:59:58Z" },
		{ "Jan  1 00:00:02 h p: m", "2024-01-01T00:00:02Z" },
		{ "Jul  1 00:00:00 h p: m", "2024-07-01T00:00:00Z" },	/* 6 months: no wrap */
		{ "Jan  1 00:00:00 h p: m", "2024-01-01T00:00:00Z" },
		{ "Aug  1 00:00:00 h p: m", "2023-08-01T00:00:00Z" },	/* 7 forward: back */
	};
	/* --year sets the first line's year; the wrap still applies */
	static const struct seq_step given[] = {
		{ "Dec 31 23:00:00 h p: m", "2019-12-31T23:00:00Z" },
		{ "Jan  1 01:00:00 h p: m", "2020-01-01T01:00:00Z" },
		{ "Feb 29 01:00:00 h p: m", "2020-02-29T01:00:00Z" },
	};
	/* leap day: inference skips years without one; later lines do not */
	static const struct seq_step leap[] = {
		{ "Feb 29 08:00:00 h p: m", "2024-02-29T08:00:00Z" },
		{ "Mar  1 08:00:00 h p: m", "2024-03-01T08:00:00Z" },
	};
	static const struct seq_step leap_bad[] = {
		{ "Feb 28 08:00:00 h p: m", "2025-02-28T08:00:00Z" },
		{ "Feb 29 08:00:00 h p: m", NULL },
		{ "Mar  1 08:00:00 h p: m", "2025-03-01T08:00:00Z" },
	};
	/* other framings do not disturb the syslog year */
	static const struct seq_step mixed[] = {
		{ "Dec 31 23:00:00 h p: m", "2023-12-31T23:00:00Z" },
		{ "2024-01-01T00:00:00Z h p: m", "2024-01-01T00:00:00Z" },
		{ "Jan  1 00:00:01 h p: m", "2024-01-01T00:00:01Z" },
	};

	(void)state;
	RUN_SEQ(0, REF_MARCH_2024, dec);
	RUN_SEQ(0, REF_MARCH_2024, slack1);
	RUN_SEQ(0, REF_MARCH_2024, slack2);
	RUN_SEQ(0, 1704412800 /* 2024-01-05 */, wrap);
	RUN_SEQ(2019, REF_MARCH_2024, given);
	RUN_SEQ(0, 1748736000 /* 2025-06-01 */, leap);
	RUN_SEQ(0, 1748736000, leap_bad);
	RUN_SEQ(0, 1704412800, mixed);
}

/* The inference is said once per input, on stderr, naming file and year. */
static void
test_year_message(void **state)
{
	static const char *const lines[] = { "Dec 30 10:00:00 h p: m", "Dec 31 10:00:00 h p: m",
					     "Jan  1 10:00:00 h p: m" };
	struct frame_ctx ctx;
	struct frame f;
	char buf[1024];
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	(void)state;
	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	frame_ctx_init(&ctx, "maillog.1", 0, REF_MARCH_2024);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(frame_line(&ctx, lines[i], strlen(lines[i]), &f), 0);
	frame_ctx_init(&ctx, "quiet.log", 0, REF_MARCH_2024);
	ctx.quiet = true;
	assert_int_equal(frame_line(&ctx, lines[0], strlen(lines[0]), &f), 0);
	assert_true(ctx.said);
	frame_ctx_init(&ctx, "given.log", 2020, REF_MARCH_2024);
	assert_int_equal(frame_line(&ctx, lines[0], strlen(lines[0]), &f), 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	assert_string_equal(buf, "mailsentry: maillog.1: timestamps carry no year; assuming 2023 "
				 "for the first line (from the file's modification time); use "
				 "--year to set it\n");
}

/* Zone-less times are local: try a zone with DST. The dates are used by no
 * other test (timeconv caches one UTC offset per date and hour). */
static void
test_local_zone(void **state)
{
	static const char *const lines[] = {
		"Jul 14 12:00:00 h p: m",
		"2021-07-15T12:00:00 h p: m",
		"2021-07-16 12:00:00 exim line",
		"2021-07-17 12:00:00.000000000 tai64nlocal line",
		"2021-01-18 12:00:00 winter",
		"2021-07-15T12:00:00+02:00 h p: m",
	};
	static const char *const want[] = {
		"2021-07-14T10:00:00Z", "2021-07-15T10:00:00Z", "2021-07-16T10:00:00Z",
		"2021-07-17T10:00:00Z", "2021-01-18T11:00:00Z", "2021-07-15T10:00:00Z",
	};
	struct frame_ctx ctx;
	char ts[TIMECONV_RFC3339_LEN];

	(void)state;
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	frame_ctx_init(&ctx, "z", 2021, 0);
	ctx.quiet = true;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct frame f;

		assert_int_equal(frame_line(&ctx, lines[i], strlen(lines[i]), &f), 0);
		timeconv_format_utc(f.time, ts);
		assert_string_equal(ts, want[i]);
	}
	setenv("TZ", "UTC", 1);
	tzset();
}

/* Views never reach outside the line, even without a NUL after it. */
static void
test_bounds(void **state)
{
	static const char *const lines[] = {
		"Jun  3 12:34:56 mail postfix/smtpd[123]: connect",
		"2023-03-14T00:31:06.621091+01:00 helga p[3]: x",
		"@4000000052dd8b7e2cf3d5dc x",
		"2014-12-02 03:00:23.123 -0130 [12345] m",
		"2016-04-01 11:08:00 info exim[8003]: [8003]",
		"mail.example.com exim[3751842]: 2021-07-17 23:20:49 [7]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t len = strlen(lines[i]);

		for (size_t cut = 0; cut <= len; cut++) {
			char *copy = malloc(cut ? cut : 1);
			struct frame_ctx ctx;
			struct frame f;

			assert_non_null(copy);
			memcpy(copy, lines[i], cut);
			frame_ctx_init(&ctx, "b", 2023, 0);
			ctx.quiet = true;
			if (frame_line(&ctx, copy, cut, &f) == 0) {
				/* Exim's mainlog names no program: "exim" is static */
				struct strv v[] = { f.host, f.msg,
						    f.kind == FRAME_EXIM ? STRV_NULL : f.prog };

				for (size_t k = 0; k < 3; k++)
					if (v[k].len > 0)
						assert_true(v[k].p >= copy &&
							    v[k].p + v[k].len <= copy + cut);
			}
			free(copy);
		}
	}
}

/* The shared corpus. */

/* fail2ban's tests run at the fixed time 1124013600 (Sun Aug 14 12:00:00
 * CEST 2005) and infer each line's year from it. */
#define F2B_NOW 1124013600

/* Daemons with their own date formats (SOURCES.md A23-A26): Kerio,
 * Domino, Oracle Messaging Server, ASSP. */
static bool
f2b_excluded(const char *file)
{
	static const char *const names[] = { "fail2ban/kerio", "fail2ban/domino-smtp",
					     "fail2ban/oracleims", "fail2ban/assp" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(file, names[i]) == 0)
			return true;
	return false;
}

struct f2b_tally {
	size_t total, framed, annotated, checked, bad;
};

static int
f2b_line(const struct corpus_line *l, void *arg)
{
	struct f2b_tally *t = arg;
	struct frame f;
	int rc;

	t->total++;
	/* fail2ban infers the year per line from its fixed now */
	rc = corpus_frame(NULL, 0, F2B_NOW, l, &f) == CORPUS_FRAMED ? 0 : -1;
	t->framed += rc == 0;
	if (!l->label.present)
		return 0;
	t->annotated++;
	if (f2b_excluded(l->file))
		return 0;
	if (rc < 0) {
		printf("# %s: does not frame: %.*s\n", l->file, (int)(l->text.len > 200 ? 200 : l->text.len),
		       l->text.p);
		t->bad++;
		return 0;
	}
	if (l->label.time[0] != '\0') {
		int64_t want = 0;

		/* zone-less lines: civil time as TZ=UTC reads it; multilog:
		 * fail2ban's zone and libtai's 10 s (corpus_label_time) */
		assert_int_equal(corpus_label_time(&l->label, f.kind, &want), 0);
		t->checked++;
		if (f.time != want) {
			char got[TIMECONV_RFC3339_LEN];

			timeconv_format_utc(f.time, got);
			printf("# %s: framed at %s, want %s: %.*s\n", l->file, got, l->label.time,
			       (int)(l->text.len > 200 ? 200 : l->text.len), l->text.p);
			t->bad++;
		}
	}
	return 0;
}

static void
test_corpus_fail2ban(void **state)
{
	struct f2b_tally t;

	(void)state;
	if (corpus_dir() == NULL) {
		printf("# SKIP corpus: MS_CORPUS is not set or not a directory\n");
		skip();
	}
	memset(&t, 0, sizeof(t));
	assert_true(corpus_each("fail2ban/*", f2b_line, &t) > 0);
	printf("# fail2ban: %zu of %zu lines framed; %zu annotated, %zu times checked, %zu bad\n",
	       t.framed, t.total, t.annotated, t.checked, t.bad);
	assert_int_equal(t.bad, 0);
	assert_true(t.checked > 250);
}

struct all_tally {
	struct frame_ctx ctx;
	size_t lines, framed, files;
};

static int
all_line(const struct corpus_line *l, void *arg)
{
	struct all_tally *t = arg;
	struct frame f;

	t->files += l->first;
	t->lines++;
	/* one context per file, as the reader does; the reference is now */
	t->framed += corpus_frame(&t->ctx, 0, (int64_t)time(NULL), l, &f) == CORPUS_FRAMED;
	return 0;
}

static void
test_corpus_all(void **state)
{
	/* every file below the top level (which holds SOURCES.md, MANIFEST.tsv) */
	static const char *const globs[] = { "*/*", "*/*/*", "*/*/*/*" };
	static struct all_tally t;

	(void)state;
	if (corpus_dir() == NULL) {
		printf("# SKIP corpus: MS_CORPUS is not set or not a directory\n");
		skip();
	}
	(void)CORPUS_EACH_OF(globs, all_line, &t);
	printf("# corpus: %zu of %zu lines framed (%zu files)\n", t.framed, t.lines, t.files);
	assert_true(t.framed > 0);
}

/* Not a pass/fail test: how long one line takes, per framing. Each line
 * repeats, as a log's lines share their hour (the zone cache's unit). */
static void
test_speed(void **state)
{
	static const char *const lines[] = {
		"Jun  3 12:34:56 mail postfix/smtpd[123]: connect from unknown[192.0.2.1]",
		"2023-03-14T00:31:06.621091+01:00 helga postfix/submission/smtpd[303987]: x: y",
		"@4000000052dd8b7e2cf3d5dc starting delivery 1: msg 2 to local u@example.com",
		"2014-12-02 03:00:23 [123] 1CzYHn-0008AJ-7F <= a@example.com H=(h) [192.0.2.1]",
		"Sep 13 00:03:15 imap-login: Info: Login: user=<u@example.com>",
		"\x01\x02 junk that frames as nothing at all",
	};
	enum { N = 300000 };
	size_t n = sizeof(lines) / sizeof(lines[0]);

	(void)state;
	for (size_t k = 0; k < n; k++) {
		struct frame_ctx ctx;
		struct timespec a, b;
		size_t len = strlen(lines[k]), ok = 0;

		frame_ctx_init(&ctx, "speed", 2023, 0);
		ctx.quiet = true;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (size_t i = 0; i < N; i++) {
			struct frame f;

			ok += frame_line(&ctx, lines[k], len, &f) == 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("# speed: %5.1f ns per line: %.30s\n",
		       ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / N,
		       k == n - 1 ? "(junk)" : lines[k]);
		assert_int_equal(ok, k == n - 1 ? 0 : N);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_year),
		cmocka_unit_test(test_year_message),
		cmocka_unit_test(test_local_zone),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_corpus_fail2ban),
		cmocka_unit_test(test_corpus_all),
		cmocka_unit_test(test_speed),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
