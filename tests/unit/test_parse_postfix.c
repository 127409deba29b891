/* test_parse_postfix.c - Postfix rules one by one, malformed and hostile
 *                        lines, and every Postfix line of the corpus (MS_CORPUS) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input/in_file.h"
#include "corpus.h"
#include "parse/parse.h"
#include "parsetest.h"

#define T0 1374486766	/* 2013-07-22T09:52:46Z */
#define TS "{\"time\":\"2013-07-22T09:52:46Z\",\"source\":\"postfix\","

static struct frame
mkframe(const char *prog, const char *msg, size_t len)
{
	return parsetest_frame(FRAME_RFC3164, prog, strv_make(msg, len), T0);
}

static const struct pf_case {
	const char *prog, *msg;
	enum parse_result want;
	int type;	/* of the first event, for internal events JSON does not show */
	const char *json;
} pf_cases[] = {
	/* ---- smtpd ---- */
	{ "postfix/submission/smtpd",
	  "4PbCZy4PWKz3tBr: client=unknown[2001:db8::15c8], sasl_method=PLAIN, sasl_username=u@example.org",
	  PARSE_EVENTS, EVT_AUTH_SUCCESS,
	  TS "\"service\":\"submission\",\"type\":\"auth_success\",\"account\":\"u@example.org\","
	     "\"ip\":\"2001:db8::15c8\",\"mech\":\"PLAIN\",\"qid\":\"4PbCZy4PWKz3tBr\"}" },
	{ "postfix/smtpd",
	  "3A452D963D: client=unknown[192.0.2.42]:50123, sasl_method=CRAM-MD5, sasl_username=hello@example.com",
	  PARSE_EVENTS, EVT_AUTH_SUCCESS,
	  TS "\"service\":\"smtp\",\"type\":\"auth_success\",\"account\":\"hello@example.com\","
	     "\"ip\":\"192.0.2.42\",\"mech\":\"CRAM-MD5\",\"qid\":\"3A452D963D\"}" },
	{ "postfix/smtps/smtpd",
	  "3A452D963D: client=h.example.net[198.51.100.7], sasl_method=LOGIN, sasl_username=a@example.com, "
	  "sasl_sender=b@example.com, orig_queue_id=1B2C3D4E5F",
	  PARSE_EVENTS, EVT_AUTH_SUCCESS,
	  TS "\"service\":\"smtps\",\"type\":\"auth_success\",\"account\":\"a@example.com\","
	     "\"ip\":\"198.51.100.7\",\"mech\":\"LOGIN\",\"qid\":\"3A452D963D\"}" },
	{ "postfix/smtpd", "  3A452D963D: client=mx.example.com[192.0.2.30]", PARSE_EVENTS,
	  EVT_MSG_CLIENT,
	  TS "\"service\":\"smtp\",\"type\":\"msg_client\",\"ip\":\"192.0.2.30\",\"qid\":\"3A452D963D\"}" },
	{ "postfix/10025/smtpd",
	  "AA3E6E00C3: client=localhost.localdomain[127.0.0.1], orig_client=mx.example.net[192.0.2.87]",
	  PARSE_EVENTS, EVT_MSG_CLIENT,
	  TS "\"service\":\"smtp\",\"type\":\"msg_client\",\"ip\":\"192.0.2.87\",\"qid\":\"AA3E6E00C3\"}" },
	{ "postfix/smtpd", "NOQUEUE: client=mx.example.net[192.0.2.87]", PARSE_NOEVENT, 0, "" },
	{ "postfix/smtpd",
	  "warning: unknown[192.0.2.152]: SASL LOGIN authentication failed: (reason unavailable), "
	  "sasl_username=admin",
	  PARSE_EVENTS, EVT_AUTH_FAILURE,
	  TS "\"service\":\"smtp\",\"type\":\"auth_failure\",\"account\":\"admin\",\"ip\":\"192.0.2.152\","
	     "\"mech\":\"LOGIN\",\"reason\":\"(reason unavailable)\"}" },
	{ "postfix/submission/smtpd", "warning: unknown[192.0.2.233]: SASL login authentication failed: UGFzc3dvcmQ6",
	  PARSE_EVENTS, EVT_AUTH_FAILURE,
	  TS "\"service\":\"submission\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.233\","
	     "\"mech\":\"LOGIN\",\"reason\":\"UGFzc3dvcmQ6\"}" },
	{ "postfix/smtpd", "warning: unknown[192.0.2.237]:55729: SASL LOGIN authentication failed: authentication failure",
	  PARSE_EVENTS, EVT_AUTH_FAILURE,
	  TS "\"service\":\"smtp\",\"type\":\"auth_failure\",\"ip\":\"192.0.2.237\","
	     "\"mech\":\"LOGIN\",\"reason\":\"authentication failure\"}" },
	{ "postfix/submission/smtpd", "warning: unknown[2001:db8::a11:beef:7ac0]: SASL PLAIN authentication failed:",
	  PARSE_EVENTS, EVT_AUTH_FAILURE,
	  TS "\"service\":\"submission\",\"type\":\"auth_failure\",\"ip\":\"2001:db8::a11:beef:7ac0\","
	     "\"mech\":\"PLAIN\"}" },
	{ "postfix/smtpd", "warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: Connection lost to "
			   "authentication server",
	  PARSE_NOEVENT, 0, "" },
	{ "postfix/smtpd",
	  "NOQUEUE: reject: RCPT from h.example.net[192.0.2.4]: 554 5.7.1 <r@example.org>: Relay access denied; "
	  "from=<s@example.com> to=<r@example.org> proto=SMTP helo=<198.51.100.17>",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.4\",\"sender\":\"s@example.com\","
	     "\"recipient\":\"r@example.org\",\"dsn\":\"5.7.1\","
	     "\"reason\":\"554 5.7.1 <r@example.org>: Relay access denied\"}" },
	{ "postfix/smtpd",
	  "00ADB3C0899: reject: RCPT from example.com[192.0.2.1]: 550 5.1.1 <sales@example.com>: Recipient address "
	  "rejected: User unknown in local recipient table; from=<> to=<sales@example.com> proto=ESMTP "
	  "helo=<mail.example.com>",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.1\",\"qid\":\"00ADB3C0899\","
	     "\"sender\":\"\",\"recipient\":\"sales@example.com\",\"dsn\":\"5.1.1\","
	     "\"reason\":\"550 5.1.1 <sales@example.com>: Recipient address rejected: User unknown in local "
	     "recipient table\"}" },
	{ "postfix/smtpd",
	  "NOQUEUE: reject_warning: RCPT from example.com[192.0.2.34]: 553 5.7.1 <s@example.com>: Sender address "
	  "rejected: not owned by user u1; from=<s@example.com> to=<r@example.com> proto=ESMTP helo=<example.com>",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.34\",\"sender\":\"s@example.com\","
	     "\"recipient\":\"r@example.com\",\"dsn\":\"5.7.1\",\"reason\":\"reject_warning: 553 5.7.1 "
	     "<s@example.com>: Sender address rejected: not owned by user u1\"}" },
	{ "postfix/smtps/smtpd",
	  "NOQUEUE: reject: EHLO from h.example.net[198.51.100.238]: 504 5.5.2 <User>: Helo command rejected: "
	  "need fully-qualified hostname; proto=SMTP helo=<User>",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtps\",\"type\":\"reject\",\"ip\":\"198.51.100.238\",\"dsn\":\"5.5.2\","
	     "\"reason\":\"504 5.5.2 <User>: Helo command rejected: need fully-qualified hostname\"}" },
	{ "postfix/smtpd",
	  "NOQUEUE: reject: VRFY from unknown[2001:db8::2bd2]: 454 4.7.1 <a@example.com>: Relay access denied; "
	  "to=<a@example.com> proto=SMTP helo=<me>",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"2001:db8::2bd2\",\"recipient\":\"a@example.com\","
	     "\"dsn\":\"4.7.1\",\"reason\":\"454 4.7.1 <a@example.com>: Relay access denied\"}" },
	{ "postfix/smtpd",
	  "1D8CC1CA0A7F: milter-reject: DATA from mx.example.com[192.0.2.151]: 550 5.7.1 Command rejected; "
	  "from=<a@example.com> to=<b@example.com> proto=ESMTP helo=<mx.example.com>",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.151\",\"qid\":\"1D8CC1CA0A7F\","
	     "\"sender\":\"a@example.com\",\"recipient\":\"b@example.com\",\"dsn\":\"5.7.1\","
	     "\"reason\":\"550 5.7.1 Command rejected\"}" },
	{ "postfix/smtpd",
	  "NOQUEUE: filter: RCPT from unknown[192.0.2.255]: <a@example.com>: Sender address triggers FILTER "
	  "smtp-amavis:[127.0.0.1]:10024; from=<a@example.com> to=<b@example.com> proto=ESMTP helo=<example.com>",
	  PARSE_NOEVENT, 0, "" },
	{ "postfix/smtpd", "warning: non-SMTP command from unknown[192.0.2.1]: GET / HTTP/1.1", PARSE_EVENTS,
	  EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.1\","
	     "\"reason\":\"non-SMTP command: GET / HTTP/1.1\"}" },
	{ "postfix/smtpd", "improper command pipelining after EHLO from unknown[2001:db8::d0cf]: MAIL FROM:<>",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"2001:db8::d0cf\","
	     "\"reason\":\"improper command pipelining after EHLO\"}" },
	{ "postfix/smtpd", "too many errors after RCPT from example.com[192.0.2.11]", PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.11\","
	     "\"reason\":\"too many errors after RCPT\"}" },
	{ "postfix/smtpd", "lost connection after AUTH from unknown[192.0.2.23]", PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.23\","
	     "\"reason\":\"lost connection after AUTH\"}" },
	{ "postfix/smtpd", "lost connection after EHLO from unknown[192.0.2.47]", PARSE_NOEVENT, 0, "" },
	{ "postfix/smtpd", "timeout after EHLO from h.example.net[198.51.100.113]", PARSE_NOEVENT, 0, "" },
	/* The auth=N/M summary repeats the per-attempt warnings (and counts
	 * AUTH commands the client aborted): no event of its own. */
	{ "postfix/smtpd", "disconnect from unknown[192.0.2.2] ehlo=1 auth=0/1 rset=1 quit=1 commands=3/4",
	  PARSE_NOEVENT, 0, "" },
	{ "postfix/submission/smtpd", "disconnect from unknown[192.0.2.2] ehlo=1 auth=1/4 commands=2/5",
	  PARSE_NOEVENT, 0, "" },
	{ "postfix/smtpd",
	  "disconnect from mx.example.com[192.0.2.7] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8",
	  PARSE_NOEVENT, 0, "" },
	{ "postfix/smtpd", "disconnect from unknown[unknown] commands=0/0", PARSE_NOEVENT, 0, "" },
	{ "postfix/smtpd", "connect from mx.example.com[192.0.2.30]", PARSE_NOEVENT, 0, "" },
	{ "postfix/smtpd",
	  "Anonymous TLS connection established from mx.example.com[192.0.2.30]: TLSv1.3 with cipher "
	  "TLS_AES_256_GCM_SHA384 (256/256 bits)",
	  PARSE_NOEVENT, 0, "" },
	{ "postfix/smtpd",
	  "warning: hostname bad.example.com does not resolve to address 192.0.2.44: Name or service not known",
	  PARSE_NOEVENT, 0, "" },
	{ "postfix/smtpd",
	  "warning: Connection rate limit exceeded: 31 from spam.example.org[192.0.2.123] for service smtpd",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.123\","
	     "\"reason\":\"Connection rate limit exceeded\"}" },
	{ "postfix/smtpd", "bare <LF> received after CONNECT from example.net[192.0.2.4]", PARSE_EVENTS,
	  EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.4\","
	     "\"reason\":\"bare <LF> received after CONNECT\"}" },
	/* an echoed client command does not pose as another address: the
	 * first bracket is Postfix's, and what follows it is no address */
	{ "postfix/smtpd",
	  "warning: Illegal address syntax from localhost[127.0.0.1] in MAIL command: "
	  "<a[198.51.100.9]: SASL LOGIN authentication failed: x>",
	  PARSE_MALFORMED, 0, "" },
	{ "postfix/smtpd",
	  "NOQUEUE: reject: RCPT from h.example.net[192.0.2.4]: 554 5.7.1 <x from a[198.51.100.9]: 1>: "
	  "Relay access denied; from=<s@example.com> to=<r@example.org> proto=SMTP helo=<h>",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.4\",\"sender\":\"s@example.com\","
	     "\"recipient\":\"r@example.org\",\"dsn\":\"5.7.1\","
	     "\"reason\":\"554 5.7.1 <x from a[198.51.100.9]: 1>: Relay access denied\"}" },
	/* ---- postscreen ---- */
	{ "postfix/postscreen", "PREGREET 14 after 0.08 from [192.0.2.2]:59415: EHLO ylmf-pc\\r\\n", PARSE_EVENTS,
	  EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.2\","
	     "\"reason\":\"PREGREET: EHLO ylmf-pc\\\\r\\\\n\"}" },
	{ "postfix/postscreen", "HANGUP after 16 from [192.0.2.3]:48119 in tests after SMTP handshake",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.3\","
	     "\"reason\":\"HANGUP in tests after SMTP handshake\"}" },
	{ "postfix/postscreen", "DNSBL rank 3 for [2001:db8::7538]:59187", PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"2001:db8::7538\",\"reason\":\"DNSBL rank 3\"}" },
	{ "postfix/postscreen", "COMMAND TIME LIMIT from [192.0.2.77]:3608 after CONNECT", PARSE_EVENTS,
	  EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.77\","
	     "\"reason\":\"COMMAND TIME LIMIT after CONNECT\"}" },
	{ "postfix/postscreen", "COMMAND PIPELINING from [192.0.2.35]:51286 after EHLO: QUIT", PARSE_EVENTS,
	  EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.35\","
	     "\"reason\":\"COMMAND PIPELINING after EHLO: QUIT\"}" },
	{ "postfix/postscreen", "NON-SMTP COMMAND from [192.0.2.51]:45284 after CONNECT: GET / HTTP/1.1",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.51\","
	     "\"reason\":\"NON-SMTP COMMAND after CONNECT: GET / HTTP/1.1\"}" },
	{ "postfix/postscreen", "BARE NEWLINE from [192.0.2.35]:51286 after EHLO", PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.35\","
	     "\"reason\":\"BARE NEWLINE after EHLO\"}" },
	{ "postfix/postscreen",
	  "NOQUEUE: reject: RCPT from [192.0.2.173]:60591: 550 5.7.1 Service unavailable; client [192.0.2.173] "
	  "blocked using rbl.example.com; from=<s@example.com>, to=<r@example.com>, proto=ESMTP, helo=<h.example.com>",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.173\",\"sender\":\"s@example.com\","
	     "\"recipient\":\"r@example.com\",\"dsn\":\"5.7.1\",\"reason\":\"550 5.7.1 Service unavailable; "
	     "client [192.0.2.173] blocked using rbl.example.com\"}" },
	{ "postfix/postscreen", "NOQUEUE: reject: CONNECT from [192.0.2.4]:1337: too many connections",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"service\":\"smtp\",\"type\":\"reject\",\"ip\":\"192.0.2.4\",\"reason\":\"too many connections\"}" },
	{ "postfix/postscreen", "CONNECT from [192.0.2.157]:54810 to [198.51.100.181]:25", PARSE_NOEVENT, 0, "" },
	{ "postfix/postscreen", "PASS NEW [192.0.2.19]:34827", PARSE_NOEVENT, 0, "" },
	{ "postfix/postscreen", "PASS OLD [192.0.2.19]:34827", PARSE_NOEVENT, 0, "" },
	{ "postfix/postscreen", "WHITELISTED [192.0.2.19]:53903", PARSE_NOEVENT, 0, "" },
	{ "postfix/postscreen", "DISCONNECT [192.0.2.19]:34827", PARSE_NOEVENT, 0, "" },
	/* ---- qmgr ---- */
	{ "postfix/qmgr", "3A452D963D: from=<list-admin@example.com>, size=5356, nrcpt=1 (queue active)",
	  PARSE_EVENTS, EVT_MESSAGE_ACCEPTED,
	  TS "\"type\":\"message_accepted\",\"qid\":\"3A452D963D\",\"sender\":\"list-admin@example.com\","
	     "\"nrcpt\":1,\"size\":5356}" },
	{ "postfix/qmgr", "A0320E00C3: from=<>, size=2048, nrcpt=3 (queue active)", PARSE_EVENTS,
	  EVT_MESSAGE_ACCEPTED,
	  TS "\"type\":\"message_accepted\",\"qid\":\"A0320E00C3\",\"sender\":\"\",\"nrcpt\":3,\"size\":2048}" },
	{ "postfix/qmgr", "A0320E00C3: removed", PARSE_EVENTS, EVT_MSG_DONE,
	  TS "\"type\":\"msg_done\",\"qid\":\"A0320E00C3\"}" },
	{ "postfix/qmgr", "585BC3F: from=<>, status=expired, returned to sender", PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"type\":\"delivery\",\"qid\":\"585BC3F\",\"sender\":\"\",\"status\":\"bounced\","
	     "\"reason\":\"expired, returned to sender\"}" },
	{ "postfix/qmgr",
	  "2DC5552A34: to=<u@example.net>, relay=none, delay=63495, delays=63350/144/0/0, dsn=4.4.2, "
	  "status=deferred (delivery temporarily suspended: lost connection with mx.example.net[192.0.2.22] while "
	  "sending RCPT TO)",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"type\":\"delivery\",\"qid\":\"2DC5552A34\",\"recipient\":\"u@example.net\",\"status\":\"deferred\","
	     "\"dsn\":\"4.4.2\",\"relay\":\"none\",\"reason\":\"delivery temporarily suspended: lost connection "
	     "with mx.example.net[192.0.2.22] while sending RCPT TO\"}" },
	/* ---- delivery agents ---- */
	{ "postfix/smtp",
	  "2847EE008E: to=<a@example.com>, relay=mx.example.com[192.0.2.34]:25, delay=6.3, delays=0.04/0.01/6/0.19, "
	  "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 5DDDA1F30002)",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"service\":\"smtp\",\"type\":\"delivery\",\"qid\":\"2847EE008E\",\"recipient\":\"a@example.com\","
	     "\"status\":\"sent\",\"dsn\":\"2.0.0\",\"relay\":\"mx.example.com[192.0.2.34]:25\","
	     "\"reason\":\"250 2.0.0 Ok: queued as 5DDDA1F30002\"}" },
	{ "postfix/amavis/smtp",
	  "4PbC4x469Jz3tBr: to=<u@example.org>, orig_to=<o@example.org>, relay=127.0.0.1[127.0.0.1]:10024, "
	  "delay=2.4, delays=0.29/0.02/0.01/2.1, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): "
	  "250 2.0.0 Ok: queued as 4PbC4y)",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"service\":\"smtp\",\"type\":\"delivery\",\"qid\":\"4PbC4x469Jz3tBr\",\"recipient\":\"u@example.org\","
	     "\"status\":\"sent\",\"dsn\":\"2.0.0\",\"relay\":\"127.0.0.1[127.0.0.1]:10024\","
	     "\"reason\":\"250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 4PbC4y\"}" },
	{ "postfix/smtp",
	  "4PcV4K5FPLz3tBr: to=<u@example.com>, relay=none, delay=0.07, delays=0.01/0.02/0.04/0, dsn=5.4.4, "
	  "status=bounced (Host or domain name not found. Name service error for name=example.com type=AAAA: Host "
	  "not found)",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"service\":\"smtp\",\"type\":\"delivery\",\"qid\":\"4PcV4K5FPLz3tBr\",\"recipient\":\"u@example.com\","
	     "\"status\":\"bounced\",\"dsn\":\"5.4.4\",\"relay\":\"none\",\"reason\":\"Host or domain name not "
	     "found. Name service error for name=example.com type=AAAA: Host not found\"}" },
	{ "postfix/smtp",
	  "CCAE27A4: to=<a@example.org>, relay=mx.example.org[192.0.2.176], delay=9, status=sent (250 Queued!)",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"service\":\"smtp\",\"type\":\"delivery\",\"qid\":\"CCAE27A4\",\"recipient\":\"a@example.org\","
	     "\"status\":\"sent\",\"relay\":\"mx.example.org[192.0.2.176]\",\"reason\":\"250 Queued!\"}" },
	{ "postfix/local",
	  "892A0205B6: to=nobody@localhost, relay=local, delay=0.05, delays=0.02/0/0/0.02, dsn=5.1.1, "
	  "status=bounced (unknown user: \"nobody\")",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"service\":\"local\",\"type\":\"delivery\",\"qid\":\"892A0205B6\",\"recipient\":\"nobody@localhost\","
	     "\"status\":\"bounced\",\"dsn\":\"5.1.1\",\"relay\":\"local\",\"reason\":\"unknown user: \\\"nobody\\\"\"}" },
	{ "postfix/pipe",
	  "4PbC4z6W5Qz3tG3: to=<u@example.net>, relay=dovecot, delay=0.12, delays=0.01/0.01/0/0.1, dsn=2.0.0, "
	  "status=sent (delivered via dovecot service)",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"service\":\"pipe\",\"type\":\"delivery\",\"qid\":\"4PbC4z6W5Qz3tG3\",\"recipient\":\"u@example.net\","
	     "\"status\":\"sent\",\"dsn\":\"2.0.0\",\"relay\":\"dovecot\",\"reason\":\"delivered via dovecot service\"}" },
	{ "postfix/lmtp",
	  "A0320E00C3: to=<u@example.com>, relay=mail.example.com[private/dovecot-lmtp], delay=0.32, "
	  "delays=0.11/0.01/0.01/0.2, dsn=2.0.0, status=sent (250 2.0.0 <u@example.com> z5FOLrRhDVpddgAABvoInA Saved)",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"service\":\"lmtp\",\"type\":\"delivery\",\"qid\":\"A0320E00C3\",\"recipient\":\"u@example.com\","
	     "\"status\":\"sent\",\"dsn\":\"2.0.0\",\"relay\":\"mail.example.com[private/dovecot-lmtp]\","
	     "\"reason\":\"250 2.0.0 <u@example.com> z5FOLrRhDVpddgAABvoInA Saved\"}" },
	{ "postfix/virtual",
	  "B657F2DB195D: to=<postmaster@example.com>, relay=virtual, delay=0.52, delays=0.51/0.01/0/0, dsn=2.0.0, "
	  "status=sent (delivered to maildir)",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"service\":\"virtual\",\"type\":\"delivery\",\"qid\":\"B657F2DB195D\","
	     "\"recipient\":\"postmaster@example.com\",\"status\":\"sent\",\"dsn\":\"2.0.0\",\"relay\":\"virtual\","
	     "\"reason\":\"delivered to maildir\"}" },
	{ "postfix/error",
	  "2DC5552A34: to=<u@example.net>, relay=none, delay=63495, delays=63350/144/0/0, dsn=4.4.2, "
	  "status=deferred (delivery temporarily suspended)",
	  PARSE_EVENTS, EVT_DELIVERY,
	  TS "\"service\":\"error\",\"type\":\"delivery\",\"qid\":\"2DC5552A34\",\"recipient\":\"u@example.net\","
	     "\"status\":\"deferred\",\"dsn\":\"4.4.2\",\"relay\":\"none\","
	     "\"reason\":\"delivery temporarily suspended\"}" },
	{ "postfix/smtp",
	  "2847EE008E: to=<a@example.com>, relay=mx.example.com[192.0.2.34]:25, delay=6.3, delays=0.04/0.01/6/0.19, "
	  "dsn=2.1.5, status=deliverable (250 2.1.5 Ok)",
	  PARSE_NOEVENT, 0, "" },
	{ "postfix/smtp",
	  "ED59C3D: host mx.example.com[192.0.2.23] said: 450 4.7.1 <u@example.com>: Recipient address rejected: "
	  "Greylisted for 5 minutes (in reply to RCPT TO command)",
	  PARSE_NOEVENT, 0, "" },
	{ "postfix/smtp", "745137AA: lost connection with mx.example.com[192.0.2.161] while sending RCPT TO",
	  PARSE_NOEVENT, 0, "" },
	{ "postfix/smtp", "connect to mx.example.it[192.0.2.21]:25: No route to host", PARSE_NOEVENT, 0, "" },
	{ "postfix/smtp", "warning: 75FEC31D36: defer service failure", PARSE_NOEVENT, 0, "" },
	/* ---- bounce, cleanup, pickup, others ---- */
	{ "postfix/bounce", "4PcV4K5FPLz3tBr: sender non-delivery notification: 4PcV4K5tFpz3tG5", PARSE_EVENTS,
	  EVT_BOUNCE,
	  TS "\"type\":\"bounce\",\"qid\":\"4PcV4K5FPLz3tBr\",\"ndr_qid\":\"4PcV4K5tFpz3tG5\"}" },
	{ "postfix/bounce", "65AFB8B5: sender delivery status notification: 1DF35917", PARSE_NOEVENT, 0, "" },
	{ "postfix/bounce", "482E4404AC8: postmaster non-delivery notification: 47335405A44", PARSE_NOEVENT, 0,
	  "" },
	{ "postfix/cleanup", "3A452D963D: message-id=<0076@example.com>", PARSE_NOEVENT, 0, "" },
	{ "postfix/cleanup",
	  "8B7EF2BB7: reject: header Date: Mon, 18 Jan 2038 19:07:11 +0800 from unknown[192.0.2.245]; "
	  "from=<s@example.net> to=<r@example.com> proto=ESMTP helo=<h.example.net>: 5.7.1 Message content rejected",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"type\":\"reject\",\"ip\":\"192.0.2.245\",\"qid\":\"8B7EF2BB7\",\"sender\":\"s@example.net\","
	     "\"recipient\":\"r@example.com\",\"dsn\":\"5.7.1\",\"reason\":\"5.7.1 Message content rejected\"}" },
	{ "postfix/cleanup",
	  "4104E3D: milter-reject: END-OF-MESSAGE from mx.example.com[192.0.2.86]: 5.7.1 Blocked by SpamAssassin; "
	  "from=<s@example.net> to=<r@example.com> proto=ESMTP helo=<h.example.net>",
	  PARSE_EVENTS, EVT_REJECT,
	  TS "\"type\":\"reject\",\"ip\":\"192.0.2.86\",\"qid\":\"4104E3D\",\"sender\":\"s@example.net\","
	     "\"recipient\":\"r@example.com\",\"dsn\":\"5.7.1\",\"reason\":\"5.7.1 Blocked by SpamAssassin\"}" },
	{ "postfix/cleanup",
	  "D8B07E3DB6: warning: header Subject: hello from mx.example.net[192.0.2.173]; from=<a@example.net> "
	  "to=<b@example.com> proto=ESMTP helo=<mx.example.net>",
	  PARSE_NOEVENT, 0, "" },
	{ "postfix/pickup", "D0B74D98D0: uid=0 from=<root@example.com>", PARSE_NOEVENT, 0, "" },
	{ "postfix/anvil", "statistics: max connection rate 1/60s for (smtpd:192.0.2.99) at Oct 26 18:13:50",
	  PARSE_NOEVENT, 0, "" },
	{ "postfix/dnsblog", "addr 192.0.2.18 listed by domain zen.spamhaus.org as 127.0.0.4", PARSE_NOEVENT, 0,
	  "" },
	{ "postfix/master", "daemon started -- version 3.7.11, configuration /etc/postfix", PARSE_NOEVENT, 0, "" },
	{ "postfix/postfix-script", "fatal: the Postfix mail system is not running", PARSE_NOEVENT, 0, "" },
	{ "postfix/postsuper", "D4F2023DB: removed", PARSE_EVENTS, EVT_MSG_DONE,
	  TS "\"type\":\"msg_done\",\"qid\":\"D4F2023DB\"}" },
	{ "postfix/postsuper", "Deleted: 115 messages", PARSE_NOEVENT, 0, "" },
	/* no daemon in the tag (a JSON shipper's "appname") */
	{ "postfix", "warning: unknown[192.0.2.44]: SASL LOGIN authentication failed: authentication failure",
	  PARSE_EVENTS, EVT_AUTH_FAILURE,
	  TS "\"type\":\"auth_failure\",\"ip\":\"192.0.2.44\",\"mech\":\"LOGIN\","
	     "\"reason\":\"authentication failure\"}" },
	/* ---- malformed and unknown ---- */
	{ "postfix/smtpd", "warning: unknown[999.1.1.1]: SASL LOGIN authentication failed: x", PARSE_MALFORMED,
	  0, "" },
	{ "postfix/smtpd", "3A452D963D: client=unknown[192.0.2.300], sasl_method=PLAIN, sasl_username=a",
	  PARSE_MALFORMED, 0, "" },
	{ "postfix/qmgr", "3A452D963D: from=<a@example.com>, size=big, nrcpt=1 (queue active)", PARSE_MALFORMED,
	  0, "" },
	{ "postfix/smtp",
	  "2847EE008E: to=<a@example.com>, relay=none, delay=1, dsn=4.0.0, status=mislaid (somewhere)",
	  PARSE_MALFORMED, 0, "" },
	{ "postfix/smtpd", "something postfix never said", PARSE_UNMATCHED, 0, "" },
	{ "postfix/qmgr", "3A452D963D: something new", PARSE_UNMATCHED, 0, "" },
};

static void
test_rules(void **state)
{
	static char got[1 << 16];
	struct parse_out out;
	size_t i;
	unsigned bad = 0;

	(void)state;
	for (i = 0; i < sizeof(pf_cases) / sizeof(pf_cases[0]); i++) {
		const struct pf_case *c = &pf_cases[i];
		struct frame f = mkframe(c->prog, c->msg, strlen(c->msg));
		enum parse_result r;

		r = parsetest_run(parse_postfix, &f, &out, 1, got, sizeof(got));
		if (r != c->want || strcmp(got, c->json) != 0 ||
		    (r == PARSE_EVENTS && (int)out.ev[0].type != c->type)) {
			print_message("case %zu \"%s\": result %d want %d\n got  %s\n want %s\n", i, c->msg, r,
				      c->want, got, c->json);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* The service comes from the tag; deliveries name their agent. */
static void
test_service(void **state)
{
	static const struct {
		const char *prog, *service;
	} tags[] = {
		{ "postfix/smtpd", "smtp" },
		{ "postfix/submission/smtpd", "submission" },
		{ "postfix/smtps/smtpd", "smtps" },
		{ "postfix/submissions/smtpd", "smtps" },
		{ "postfix/10025/smtpd", "smtp" },
		{ "postfix-incoming/smtpd", "smtp" },
		{ "postfix-smo/submission/smtpd", "submission" },
		{ "postfix/smtp-25/smtpd", "smtp" },
	};
	const char *msg = "warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: x";
	struct parse_out out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		struct frame f = mkframe(tags[i].prog, msg, strlen(msg));

		out.n = 0;
		assert_int_equal(parse_postfix(&f, &out), PARSE_EVENTS);
		assert_string_equal(out.ev[0].service, tags[i].service);
	}
	/* through the dispatcher */
	{
		struct frame f = mkframe("postfix-incoming/smtpd", msg, strlen(msg));

		assert_int_equal(parse_line(&f, &out), PARSE_EVENTS);
		assert_int_equal(out.ev[0].type, EVT_AUTH_FAILURE);
	}
}

static void
test_malformed_account(void **state)
{
	char line[1024], user[401];
	struct parse_out out;
	struct frame f;

	(void)state;
	memset(user, 'a', 400);
	user[400] = '\0';
	snprintf(line, sizeof(line), "3A452D963D: client=h.example.com[192.0.2.1], sasl_method=PLAIN, "
				     "sasl_username=%s", user);
	f = mkframe("postfix/smtpd", line, strlen(line));
	out.n = 0;
	assert_int_equal(parse_postfix(&f, &out), PARSE_MALFORMED);
	assert_int_equal(out.n, 0);
	snprintf(line, sizeof(line), "warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: "
				     "(reason unavailable), sasl_username=%s", user);
	f = mkframe("postfix/smtpd", line, strlen(line));
	out.n = 0;
	assert_int_equal(parse_postfix(&f, &out), PARSE_MALFORMED);
	assert_int_equal(out.n, 0);
}

/* Lines built to make the matcher backtrack: each must finish quickly
 * under every daemon's tables. */
static void
test_hostile(void **state)
{
	static const char *const progs[] = { "postfix/smtpd", "postfix/postscreen", "postfix/qmgr",
					     "postfix/smtp", "postfix/cleanup", "postfix",
					     "postfix/bounce" };
	static const char *const heads[] = { "", "NOQUEUE: reject: RCPT from ", "3A452D963D: client=",
					     "warning: ", "3A452D963D: to=<", "disconnect from ",
					     "3A452D963D: reject: header " };
	static const char fills[] = "[]:, <>=(;";
	static char line[LIMIT_LINE_MAX];
	struct parse_out out;
	clock_t t0 = clock();
	size_t h, k, p;
	double secs;

	(void)state;
	for (h = 0; h < sizeof(heads) / sizeof(heads[0]); h++)
		for (k = 0; k < sizeof(fills) - 1; k++) {
			size_t n = strlen(heads[h]);

			memcpy(line, heads[h], n);
			for (; n < sizeof(line); n++)
				line[n] = (n % 7 == 3 && k % 2) ? ' ' : fills[k];
			for (p = 0; p < sizeof(progs) / sizeof(progs[0]); p++) {
				struct frame f = mkframe(progs[p], line, sizeof(line));

				out.n = 0;
				(void)parse_postfix(&f, &out);
			}
		}
	/* the repeated field separators of a real line */
	for (k = 0; k < sizeof(line);) {
		const char *piece = "from h[192.0.2.1]: ; from=<a> to=<b> proto=, ";
		size_t n = strlen(piece);

		if (k + n > sizeof(line))
			n = sizeof(line) - k;
		memcpy(line + k, piece, n);
		k += n;
	}
	for (p = 0; p < sizeof(progs) / sizeof(progs[0]); p++) {
		struct frame f = mkframe(progs[p], line, sizeof(line));

		out.n = 0;
		(void)parse_postfix(&f, &out);
	}
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	print_message("hostile lines: %.3f s\n", secs);
	assert_true(secs < 2.0);
}

/* ---- the shared corpus ------------------------------------------------- */

/* Labelled lines whose event is deliberately not one (see parse_postfix.c):
 * fail2ban's "ddos"/"aggressive" modes count them, we do not. */
static const char *const label_exceptions[] = {
	"does not resolve to address",	   /* a DNS fact, no outcome */
	"lost connection after CONNECT",   /* scanners and broken networks alike */
	"lost connection after STARTTLS",  /* idem */
};

struct corpus_stats {
	struct frame_ctx ctx;
	unsigned lines, res[5], events, bad, labels, label_ok, aggressive;
};

static int
run_one(const struct corpus_line *l, void *arg)
{
	struct corpus_stats *st = arg;
	static struct parse_out out;
	struct frame f;
	struct strv msg;
	enum parse_result r;
	bool carries;
	int i;

	if (corpus_frame(&st->ctx, 0, T0, l, &f) == CORPUS_UNFRAMED || !strv_has_prefix(f.prog, "postfix"))
		return 0;
	msg = f.msg;
	carries = corpus_bracket_ip(msg) != 0 || strv_find(msg, STRV_LIT("sasl_username=")) != NULL;
	out.n = 0;
	r = parse_postfix(&f, &out);
	st->lines++;
	st->res[r]++;
	st->events += (unsigned)out.n;
	/* PF_SHOW=1 also lists the unrecognized lines that name no address. */
	if (getenv("PF_SHOW") != NULL && !carries && (r == PARSE_UNMATCHED || r == PARSE_MALFORMED))
		print_message("%s:%u: (no ip) %d: %.*s: %.*s\n", l->file, l->lineno, r, (int)f.prog.len,
			      f.prog.p, (int)(msg.len > 200 ? 200 : msg.len), msg.p);
	if (carries && (r == PARSE_UNMATCHED || r == PARSE_MALFORMED)) {
		print_message("%s:%u: %s: %.*s: %.*s\n", l->file, l->lineno,
			      r == PARSE_UNMATCHED ? "unmatched" : "malformed", (int)f.prog.len, f.prog.p,
			      (int)(msg.len > 200 ? 200 : msg.len), msg.p);
		st->bad++;
	}
	if (l->label.match && l->label.host[0] != '\0') {
		size_t k;

		for (k = 0; k < sizeof(label_exceptions) / sizeof(label_exceptions[0]); k++)
			if (strv_find(msg, strv_cstr(label_exceptions[k])) != NULL)
				return 0;
		st->labels++;
		for (i = 0; i < out.n; i++)
			if (strcmp(out.ev[i].ip, l->label.host) == 0) {
				st->label_ok++;
				return 0;
			}
		/* fail2ban's ddos/aggressive modes also count the disconnect
		 * summary "auth=0/1", which repeats the per-attempt warnings:
		 * no event by design (parse_postfix.c) */
		if (l->label.aggressive && out.n == 0) {
			st->labels--;
			st->aggressive++;
			return 0;
		}
		print_message("%s:%u: labelled %s, no event with it: %.*s\n", l->file, l->lineno,
			      l->label.host, (int)(msg.len > 200 ? 200 : msg.len), msg.p);
		st->bad++;
	}
	return 0;
}

static void
test_corpus(void **state)
{
	static const char *const files[] = {
		"fail2ban/postfix",
		"crowdsec-hub/postfix-*",
		"mailgraph/postfix-log.txt",
		"maillogsentinel/sample_sasl.log",
		"modoboa/mail.log",
		"ossec-docs/email/postfix.rst",
		"ossec-hids/log-entries/mail-errors",
		"ossec-hids/ossec-testing/postfix.ini",
		"wazuh/ruleset-tests/postfix.ini",
		"parse-syslog-mail/t/logs/postfix-plain.log",
		"parse-syslog-mail/t/cpan-rt-28807.log",
		"pixelpark-postfix-logsums/test/mail.log.gz",
		"sshguard/parser-tests.txt",
		"youyo-postfix-log-parser/test/test*.log",
		/* postfix-grok-patterns: data: "msg" of test/<daemon>_NNNN.yaml */
		"postfix-grok-patterns/test/*.yaml",
		/* sekoia-intake-formats: the "input" object's "message" and "appname" */
		"sekoia-intake-formats/postfix/*.json",
	};
	static struct corpus_stats st;

	(void)state;
	if (corpus_dir() == NULL) {
		print_message("skip: MS_CORPUS is not set or absent\n");
		skip();
		return;
	}
	memset(&st, 0, sizeof(st));
	(void)CORPUS_EACH_OF(files, run_one, &st);
	print_message("postfix corpus: %u lines: %u events (%u lines), %u no-event, %u unmatched, "
		      "%u malformed; fail2ban labels: %u checked, %u with the labelled ip, "
		      "%u aggressive-mode (not events by design)\n",
		      st.lines, st.events, st.res[PARSE_EVENTS], st.res[PARSE_NOEVENT],
		      st.res[PARSE_UNMATCHED], st.res[PARSE_MALFORMED], st.labels, st.label_ok,
		      st.aggressive);
	assert_true(st.lines > 1000);
	assert_true(st.labels > 40);
	assert_int_equal(st.bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_malformed_account),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
