/* test_pol_proto.c - policy/pol_proto: Postfix policy requests (the shapes of
 * SMTPD_POLICY_README, Postfix 2.1 to 3.8), split at every byte, several in
 * one buffer; every error; answers made safe; the event of a request */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/evt.h"
#include "policy/pol_proto.h"
#include "util/buf.h"
#include "util/netaddr.h"
#include "util/strv.h"

/* Every attribute Postfix 3.8 sends, at RCPT, after SASL on port 587. */
static const char req_rcpt_sasl[] =
	"request=smtpd_access_policy\n"
	"protocol_state=RCPT\n"
	"protocol_name=ESMTP\n"
	"helo_name=client.example.net\n"
	"queue_id=\n"
	"sender=hello@example.com\n"
	"recipient=someone@example.org\n"
	"recipient_count=0\n"
	"client_address=192.0.2.27\n"
	"client_name=unknown\n"
	"reverse_client_name=unknown\n"
	"instance=1b8f.66a1e2f0.9c3a1.0\n"
	"sasl_method=PLAIN\n"
	"sasl_username=hello@example.com\n"
	"sasl_sender=\n"
	"size=0\n"
	"ccert_subject=\n"
	"ccert_issuer=\n"
	"ccert_fingerprint=\n"
	"encryption_protocol=TLSv1.3\n"
	"encryption_cipher=TLS_AES_256_GCM_SHA384\n"
	"encryption_keysize=256\n"
	"etrn_domain=\n"
	"stress=\n"
	"ccert_pubkey_fingerprint=\n"
	"client_port=51234\n"
	"policy_context=\n"
	"server_address=198.51.100.1\n"
	"server_port=587\n"
	"compatibility_level=3.6\n"
	"mail_version=3.8.5\n"
	"\n";

/* The same message at END-OF-MESSAGE: three recipients, so no recipient=. */
static const char req_eom_sasl[] =
	"request=smtpd_access_policy\n"
	"protocol_state=END-OF-MESSAGE\n"
	"protocol_name=ESMTP\n"
	"helo_name=client.example.net\n"
	"queue_id=4PbCZy4PWKz3tBr\n"
	"sender=hello@example.com\n"
	"recipient=\n"
	"recipient_count=3\n"
	"client_address=192.0.2.27\n"
	"client_name=unknown\n"
	"reverse_client_name=unknown\n"
	"instance=1b8f.66a1e2f0.9c3a1.0\n"
	"sasl_method=plain\n"
	"sasl_username=hello@example.com\n"
	"sasl_sender=\n"
	"size=1364\n"
	"server_address=198.51.100.1\n"
	"server_port=587\n"
	"\n";

/* An MX: no SASL, Postfix 2.1 attributes only, verified client name. */
static const char req_mx[] =
	"request=smtpd_access_policy\n"
	"protocol_state=RCPT\n"
	"protocol_name=SMTP\n"
	"helo_name=mail.example.net\n"
	"queue_id=8045F2AB23\n"
	"sender=news@example.net\n"
	"recipient=bob@example.com\n"
	"client_address=203.0.113.5\n"
	"client_name=mail.example.net\n"
	"reverse_client_name=mail.example.net\n"
	"instance=123.456.7\n"
	"\n";

/* IPv6 client, CRAM-MD5 (incident 3), CRLF line ends. */
static const char req_ipv6_crlf[] =
	"request=smtpd_access_policy\r\n"
	"protocol_state=RCPT\r\n"
	"protocol_name=ESMTP\r\n"
	"client_address=2001:db8::15c8\r\n"
	"client_name=unknown\r\n"
	"sender=user@example.org\r\n"
	"recipient=x@example.net\r\n"
	"sasl_method=CRAM-MD5\r\n"
	"sasl_username=user@example.org\r\n"
	"instance=a.b.c\r\n"
	"\r\n";

/* Postfix's "unknown" client address (no address at all). */
static const char req_unknown[] =
	"request=smtpd_access_policy\n"
	"protocol_state=MAIL\n"
	"client_address=unknown\n"
	"client_name=unknown\n"
	"sender=\n"
	"\n";

static void
assert_sv(struct strv v, const char *want)
{
	if (!strv_eq_cstr(v, want))
		fail_msg("view \"%.*s\" != \"%s\"", (int)v.len, v.p != NULL ? v.p : "", want);
	assert_non_null(v.p);
}

/* Parse exactly n bytes from a heap copy (ASan sees any read past them). */
static enum pol_status
parse_n(const char *s, size_t n, size_t *used, struct pol_req *r, const char **err,
	char **copy)
{
	*copy = malloc(n ? n : 1);
	assert_non_null(*copy);
	memcpy(*copy, s, n);
	return pol_parse(*copy, n, used, r, err);
}

static void
test_shapes(void **state)
{
	static struct pol_req r;
	char *copy, ip[NETADDR_STRLEN];
	const char *err;
	size_t used;

	(void)state;
	assert_int_equal(parse_n(req_rcpt_sasl, strlen(req_rcpt_sasl), &used, &r, &err, &copy),
			 POL_OK);
	assert_null(err);
	assert_int_equal(used, strlen(req_rcpt_sasl));
	assert_int_equal(r.nattr, 31);
	assert_sv(r.request, "smtpd_access_policy");
	assert_sv(r.protocol_state, "RCPT");
	assert_sv(r.protocol_name, "ESMTP");
	assert_sv(r.helo_name, "client.example.net");
	assert_sv(r.queue_id, "");
	assert_sv(r.sender, "hello@example.com");
	assert_sv(r.recipient, "someone@example.org");
	assert_sv(r.client_address, "192.0.2.27");
	assert_sv(r.client_name, "unknown");
	assert_sv(r.reverse_client_name, "unknown");
	assert_sv(r.instance, "1b8f.66a1e2f0.9c3a1.0");
	assert_sv(r.sasl_method, "PLAIN");
	assert_sv(r.sasl_username, "hello@example.com");
	assert_sv(r.sasl_sender, "");
	assert_sv(r.server_address, "198.51.100.1");
	assert_sv(r.server_port, "587");
	assert_true(r.has_recipient_count);
	assert_int_equal(r.recipient_count, 0);
	assert_true(r.has_size);
	assert_true(r.size == 0);
	assert_int_equal(r.client.family, 4);
	netaddr_format(&r.client, ip);
	assert_string_equal(ip, "192.0.2.27");
	/* Unknown attributes are kept, in order, with their values. */
	assert_sv(r.attr[19].name, "encryption_protocol");
	assert_sv(r.attr[19].value, "TLSv1.3");
	assert_sv(r.attr[30].name, "mail_version");
	assert_sv(r.attr[30].value, "3.8.5");
	/* Views point into the caller's buffer. */
	assert_true(r.sender.p >= copy && r.sender.p < copy + used);
	free(copy);

	assert_int_equal(parse_n(req_eom_sasl, strlen(req_eom_sasl), &used, &r, &err, &copy),
			 POL_OK);
	assert_sv(r.protocol_state, "END-OF-MESSAGE");
	assert_sv(r.queue_id, "4PbCZy4PWKz3tBr");
	assert_sv(r.recipient, "");
	assert_int_equal(r.recipient_count, 3);
	assert_true(r.size == 1364);
	free(copy);

	assert_int_equal(parse_n(req_mx, strlen(req_mx), &used, &r, &err, &copy), POL_OK);
	assert_int_equal(r.nattr, 11);
	assert_sv(r.sasl_username, "");
	assert_sv(r.sasl_method, "");
	assert_sv(r.server_port, "");
	assert_false(r.has_recipient_count);
	assert_false(r.has_size);
	assert_sv(r.client_name, "mail.example.net");
	free(copy);

	assert_int_equal(parse_n(req_ipv6_crlf, strlen(req_ipv6_crlf), &used, &r, &err, &copy),
			 POL_OK);
	assert_int_equal(used, strlen(req_ipv6_crlf));
	assert_sv(r.protocol_state, "RCPT");	/* no \r left in values */
	assert_sv(r.sasl_method, "CRAM-MD5");
	assert_int_equal(r.client.family, 6);
	netaddr_format(&r.client, ip);
	assert_string_equal(ip, "2001:db8::15c8");
	free(copy);

	assert_int_equal(parse_n(req_unknown, strlen(req_unknown), &used, &r, &err, &copy),
			 POL_OK);
	assert_sv(r.client_address, "unknown");
	assert_int_equal(r.client.family, 0);
	assert_sv(r.sender, "");
	free(copy);
}

/* Every prefix of a request is POL_MORE; the whole of it is POL_OK. */
static void
test_every_split(void **state)
{
	static const char *const reqs[] = { req_rcpt_sasl, req_eom_sasl, req_mx, req_ipv6_crlf,
					    req_unknown };
	static struct pol_req r;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		size_t len = strlen(reqs[i]);

		for (k = 0; k <= len; k++) {
			const char *err = "unset";
			size_t used = 99;
			char *copy;
			enum pol_status st = parse_n(reqs[i], k, &used, &r, &err, &copy);

			if (k < len) {
				if (st != POL_MORE)
					fail_msg("request %zu cut at %zu: %s (%s)", i, k,
						 pol_status_name(st), err ? err : "");
				assert_int_equal(used, 0);
				assert_null(err);
			} else {
				assert_int_equal(st, POL_OK);
				assert_int_equal(used, len);
			}
			free(copy);
		}
	}
}

/* The way a daemon reads: bytes arrive in pieces, each request is taken off
 * the front as soon as it is complete. Two requests, every split point. */
static void
test_stream(void **state)
{
	static struct pol_req r;
	char stream[4096];
	size_t total, split;

	(void)state;
	total = (size_t)snprintf(stream, sizeof(stream), "%s%s", req_eom_sasl, req_ipv6_crlf);
	for (split = 0; split <= total; split++) {
		char inbuf[4096];
		size_t have = 0, fed = 0;
		int got = 0;

		while (fed < total || have > 0) {
			size_t used;
			const char *err;
			enum pol_status st;

			if (fed < total) {
				size_t n = fed < split ? split - fed : total - fed;

				memcpy(inbuf + have, stream + fed, n);
				have += n;
				fed += n;
			}
			while ((st = pol_parse(inbuf, have, &used, &r, &err)) == POL_OK) {
				if (got == 0)
					assert_sv(r.sasl_username, "hello@example.com");
				else
					assert_sv(r.sasl_username, "user@example.org");
				got++;
				memmove(inbuf, inbuf + used, have - used);
				have -= used;
			}
			assert_int_equal(st, POL_MORE);
			if (fed == total && have > 0)
				fail_msg("split %zu: %zu bytes left over", split, have);
		}
		assert_int_equal(got, 2);
	}
}

static void
test_two_in_one(void **state)
{
	static struct pol_req r;
	char buf[4096];
	size_t len, used, off;
	const char *err;

	(void)state;
	len = (size_t)snprintf(buf, sizeof(buf), "%s%s", req_mx, req_rcpt_sasl);
	assert_int_equal(pol_parse(buf, len, &used, &r, &err), POL_OK);
	assert_int_equal(used, strlen(req_mx));
	assert_sv(r.sasl_username, "");
	off = used;
	assert_int_equal(pol_parse(buf + off, len - off, &used, &r, &err), POL_OK);
	assert_int_equal(off + used, len);
	assert_sv(r.sasl_username, "hello@example.com");
	assert_int_equal(pol_parse(buf + len, 0, &used, &r, &err), POL_MORE);
}

static void
test_duplicates(void **state)
{
	static const char req[] = "request=smtpd_access_policy\n"
				  "sasl_username=first@example.com\n"
				  "recipient_count=5\n"
				  "size=10\n"
				  "client_address=192.0.2.1\n"
				  "sasl_username=second@example.com\n"
				  "recipient_count=7\n"
				  "size=\n"
				  "client_address=unknown\n"
				  "x_future=a=b=c\n"
				  "\n";
	static struct pol_req r;
	size_t used;
	const char *err;

	(void)state;
	assert_int_equal(pol_parse(req, strlen(req), &used, &r, &err), POL_OK);
	assert_int_equal(r.nattr, 10);
	assert_sv(r.sasl_username, "second@example.com");
	assert_sv(r.attr[1].value, "first@example.com");
	assert_int_equal(r.recipient_count, 7);
	assert_false(r.has_size);	/* "size=" is "unavailable" */
	assert_int_equal(r.client.family, 0);
	assert_sv(r.attr[9].name, "x_future");
	assert_sv(r.attr[9].value, "a=b=c");	/* the first '=' splits */
}

/* A request of exactly n bytes: filler attributes, then the ending. */
static char *
make_request(size_t n, size_t nattr_extra, size_t *len)
{
	static const char head[] = "request=smtpd_access_policy\n";
	char *b = malloc(n + 1);
	size_t pos = 0, i;

	assert_non_null(b);
	memcpy(b, head, sizeof(head) - 1);
	pos = sizeof(head) - 1;
	for (i = 0; i < nattr_extra; i++)
		pos += (size_t)snprintf(b + pos, n + 1 - pos, "a%zu=\n", i);
	/* One last attribute padded to fill the request to n bytes. */
	assert_true(pos + 4 <= n);
	b[pos++] = 'z';
	b[pos++] = '=';
	while (pos < n - 2)
		b[pos++] = 'v';
	b[pos++] = '\n';
	b[pos++] = '\n';
	*len = pos;
	return b;
}

static void
test_limits(void **state)
{
	static struct pol_req r;
	const char *err;
	size_t used, len;
	char *b;

	(void)state;
	/* Exactly POL_REQ_MAX bytes: fine. One more: too long. */
	b = make_request(POL_REQ_MAX, 0, &len);
	assert_int_equal(len, POL_REQ_MAX);
	assert_int_equal(pol_parse(b, len, &used, &r, &err), POL_OK);
	assert_int_equal(used, POL_REQ_MAX);
	assert_int_equal(r.attr[1].value.len, POL_REQ_MAX - 32);
	assert_int_equal(pol_parse(b, len - 1, &used, &r, &err), POL_MORE);
	free(b);
	b = make_request(POL_REQ_MAX + 1, 0, &len);
	assert_int_equal(pol_parse(b, len - 1, &used, &r, &err), POL_TOO_LONG);
	assert_non_null(err);
	assert_int_equal(used, 0);
	assert_int_equal(pol_parse(b, len, &used, &r, &err), POL_TOO_LONG);
	assert_int_equal(pol_parse(b, POL_REQ_MAX - 1, &used, &r, &err), POL_MORE);
	free(b);

	/* POL_ATTRS_MAX attributes: fine; one more: too many. */
	b = make_request(4096, POL_ATTRS_MAX - 2, &len);
	assert_int_equal(pol_parse(b, len, &used, &r, &err), POL_OK);
	assert_int_equal(r.nattr, POL_ATTRS_MAX);
	free(b);
	b = make_request(4096, POL_ATTRS_MAX - 1, &len);
	assert_int_equal(pol_parse(b, len, &used, &r, &err), POL_TOO_MANY);
	assert_non_null(strstr(err, "128"));
	assert_int_equal(used, 0);
	free(b);
	/* ... reported as soon as the 129th line is complete. */
	b = make_request(4096, POL_ATTRS_MAX + 10, &len);
	assert_int_equal(pol_parse(b, 1400, &used, &r, &err), POL_TOO_MANY);
	free(b);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *in;
		size_t len;	/* 0: strlen */
		enum pol_status st;
		const char *err;	/* a substring of the message */
		size_t used;
	} rows[] = {
		{ "request\n\n", 0, POL_SYNTAX, "without '='", 0 },
		{ "request=smtpd_access_policy\nsender\n\n", 0, POL_SYNTAX, "without '='", 0 },
		{ "=smtpd_access_policy\n\n", 0, POL_SYNTAX, "empty attribute name", 0 },
		{ "Request=smtpd_access_policy\n\n", 0, POL_SYNTAX, "[a-z0-9_]", 0 },
		{ "request=smtpd_access_policy\nclient-address=192.0.2.1\n\n", 0, POL_SYNTAX,
		  "[a-z0-9_]", 0 },
		{ "request=smtpd_access_policy\nsasl username=x\n\n", 0, POL_SYNTAX, "[a-z0-9_]", 0 },
		{ "request=smtpd_access_policy\nsender=a\x00" "b\n\n", 40, POL_SYNTAX, "NUL", 0 },
		{ "request=smtpd_access_policy\nsen\x00" "der=a\n\n", 39, POL_SYNTAX, "[a-z0-9_]",
		  0 },
		{ "request=smtpd_access_policy\n"
		  "a234567890123456789012345678901234567890123456789012345678901234x=1\n\n",
		  0, POL_SYNTAX, "longer than 64", 0 },
		/* Found at the empty line: the stream is still in step. */
		{ "\n", 0, POL_SYNTAX, "no request", 1 },
		{ "sender=a@example.com\n\n", 0, POL_SYNTAX, "no request", 22 },
		{ "request=\n\n", 0, POL_SYNTAX, "no request", 10 },
		{ "request=smtpd_access_policyx\n\n", 0, POL_SYNTAX, "not smtpd_access_policy", 30 },
		{ "request=junk\r\n\r\n", 0, POL_SYNTAX, "not smtpd_access_policy", 16 },
		{ "request=smtpd_access_policy\nrecipient_count=x\n\n", 0, POL_SYNTAX,
		  "recipient_count", 47 },
		{ "request=smtpd_access_policy\nrecipient_count=-1\n\n", 0, POL_SYNTAX,
		  "recipient_count", 48 },
		{ "request=smtpd_access_policy\nrecipient_count=4294967296\n\n", 0, POL_SYNTAX,
		  "recipient_count", 56 },
		{ "request=smtpd_access_policy\nsize=1e3\n\n", 0, POL_SYNTAX, "size", 38 },
		{ "request=smtpd_access_policy\nsize= 12\n\n", 0, POL_SYNTAX, "size", 38 },
	};
	static struct pol_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in), used = 99;
		const char *err = NULL;
		char *copy;
		enum pol_status st = parse_n(rows[i].in, len, &used, &r, &err, &copy);

		if (st != rows[i].st || err == NULL || strstr(err, rows[i].err) == NULL ||
		    used != rows[i].used)
			fail_msg("row %zu: %s \"%s\" used %zu", i, pol_status_name(st),
				 err ? err : "(null)", used);
		free(copy);
	}
}

static void
test_answer(void **state)
{
	static const struct {
		const char *in, *want;
	} rows[] = {
		{ "DUNNO", "action=DUNNO\n\n" },
		{ "REJECT 5.7.1 account suspended", "action=REJECT 5.7.1 account suspended\n\n" },
		{ "REJECT a\nb", "action=REJECT a b\n\n" },
		{ "REJECT a\r\n\r\nb", "action=REJECT a    b\n\n" },
		{ "HOLD\n\naction=OK", "action=HOLD  action=OK\n\n" },
		{ "  \tDEFER x \n", "action=DEFER x\n\n" },
		{ "REJECT caf\xc3\xa9", "action=REJECT caf??\n\n" },
		{ "REJECT \x7f\x01", "action=REJECT\n\n" },
		{ "", "action=DUNNO\n\n" },
		{ " \r\n\t", "action=DUNNO\n\n" },
		{ NULL, "action=DUNNO\n\n" },
	};
	struct buf b;
	char big[1000], want[600];
	size_t i;

	(void)state;
	buf_init(&b, 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		buf_reset(&b);
		assert_int_equal(pol_answer(&b, rows[i].in), 0);
		assert_string_equal(b.data, rows[i].want);
	}
	/* Cut to POL_ANSWER_MAX bytes. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "REJECT ", 7);
	buf_reset(&b);
	assert_int_equal(pol_answer(&b, big), 0);
	assert_int_equal(b.len, 7 + POL_ANSWER_MAX + 2);
	snprintf(want, sizeof(want), "action=%.*s\n\n", POL_ANSWER_MAX, big);
	assert_string_equal(b.data, want);
	/* Appends to what is there. */
	assert_int_equal(pol_answer(&b, "OK"), 0);
	assert_int_equal(b.len, 7 + POL_ANSWER_MAX + 2 + 11);
	buf_release(&b);

	/* All or nothing at the buffer's ceiling. */
	buf_init(&b, 21);
	assert_int_equal(buf_append_str(&b, "0123456789"), 0);
	assert_int_equal(pol_answer(&b, "REJECT too long"), -1);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "0123456789");
	assert_int_equal(pol_answer(&b, "OK"), 0);
	assert_string_equal(b.data, "0123456789action=OK\n\n");
	buf_release(&b);
}

static bool
event_of(const char *req, bool at_data, struct evt *e)
{
	static struct pol_req r;
	size_t used;
	const char *err;

	if (pol_parse(req, strlen(req), &used, &r, &err) != POL_OK)
		fail_msg("%s: %s", req, err);
	return pol_req_event(&r, at_data, 1374486777, e);
}

static void
test_event(void **state)
{
	static struct evt e;
	struct buf b;
	char req[1024];

	(void)state;
	assert_true(event_of(req_eom_sasl, false, &e));
	assert_int_equal(e.type, EVT_MESSAGE_ACCEPTED);
	assert_string_equal(e.source, "policy");
	assert_true(e.time == 1374486777);
	assert_string_equal(e.service, "submission");
	assert_string_equal(e.account, "hello@example.com");
	assert_string_equal(e.ip, "192.0.2.27");
	assert_string_equal(e.mech, "PLAIN");	/* "plain" upper-cased */
	assert_string_equal(e.sender, "hello@example.com");
	assert_string_equal(e.qid, "4PbCZy4PWKz3tBr");
	assert_int_equal(e.nrcpt, 3);
	assert_true(e.size == 1364);
	assert_int_equal(e.flags, EVT_HAS_SENDER | EVT_HAS_NRCPT | EVT_HAS_SIZE);
	buf_init(&b, 0);
	evt_json(&e, &b);
	assert_non_null(strstr(b.data, "\"type\":\"message_accepted\""));
	buf_release(&b);

	/* Only at END-OF-MESSAGE, or only at DATA when the caller says so. */
	assert_false(event_of(req_rcpt_sasl, false, &e));
	assert_false(event_of(req_eom_sasl, true, &e));
	snprintf(req, sizeof(req), "request=smtpd_access_policy\nprotocol_state=DATA\n"
		 "sasl_username=a@example.com\nrecipient_count=2\nclient_address=192.0.2.1\n\n");
	assert_true(event_of(req, true, &e));
	assert_int_equal(e.nrcpt, 2);
	assert_false(event_of(req, false, &e));
	/* Only with SASL. */
	snprintf(req, sizeof(req), "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
		 "sasl_username=\nclient_address=192.0.2.1\n\n");
	assert_false(event_of(req, false, &e));

	/* Service from server_port. */
	{
		static const struct {
			const char *port, *service;
		} rows[] = {
			{ "", "smtp" },	      { "25", "smtp" },	     { "587", "submission" },
			{ "465", "smtps" },   { "2525", "submission" }, { "x", "smtp" },
		};
		size_t i;

		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			snprintf(req, sizeof(req),
				 "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
				 "sasl_username=a@example.com\nserver_port=%s\n\n", rows[i].port);
			assert_true(event_of(req, false, &e));
			assert_string_equal(e.service, rows[i].service);
			assert_string_equal(e.ip, "");	/* no client_address */
			assert_int_equal(e.flags, EVT_HAS_SENDER);
		}
	}

	/* Addresses: IPv6, IPv4-mapped, "unknown" (no ip), garbage (no event). */
	snprintf(req, sizeof(req), "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
		 "sasl_username=a@example.com\nclient_address=::ffff:203.0.113.9\n\n");
	assert_true(event_of(req, false, &e));
	assert_string_equal(e.ip, "203.0.113.9");
	assert_true(event_of("request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
			     "sasl_username=a@example.com\nclient_address=2001:db8::1\n\n",
			     false, &e));
	assert_string_equal(e.ip, "2001:db8::1");
	assert_true(event_of("request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
			     "sasl_username=a@example.com\nclient_address=unknown\n\n",
			     false, &e));
	assert_string_equal(e.ip, "");
	assert_int_equal(e.addr.family, 0);
	assert_false(event_of("request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
			      "sasl_username=a@example.com\nclient_address=192.0.2\n\n",
			      false, &e));
	assert_int_equal(e.type, EVT_NONE);	/* cleared */

	/* Values an event refuses: control bytes, too long. */
	assert_false(event_of("request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
			      "sasl_username=a\x01@example.com\n\n", false, &e));
	assert_false(event_of("request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
			      "sasl_username=a@example.com\nsender=x\x1b[2J@example.com\n\n",
			      false, &e));
	assert_false(event_of("request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
			      "sasl_username=a@example.com\nqueue_id="
			      "0123456789012345678901234567890123456789\n\n",
			      false, &e));
	{
		char user[LIMIT_ACCOUNT_MAX + 1];

		memset(user, 'u', sizeof(user) - 1);
		user[sizeof(user) - 1] = '\0';
		snprintf(req, sizeof(req),
			 "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
			 "sasl_username=%s\n\n", user);
		assert_false(event_of(req, false, &e));
		user[LIMIT_ACCOUNT_MAX - 1] = '\0';	/* 319 bytes: fits */
		snprintf(req, sizeof(req),
			 "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"
			 "sasl_username=%s\n\n", user);
		assert_true(event_of(req, false, &e));
	}
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(pol_status_name(POL_MORE), "more");
	assert_string_equal(pol_status_name(POL_OK), "ok");
	assert_string_equal(pol_status_name(POL_TOO_LONG), "too_long");
	assert_string_equal(pol_status_name(POL_TOO_MANY), "too_many");
	assert_string_equal(pol_status_name(POL_SYNTAX), "syntax");
	assert_string_equal(pol_status_name((enum pol_status)99), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),	   cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_stream),	   cmocka_unit_test(test_two_in_one),
		cmocka_unit_test(test_duplicates), cmocka_unit_test(test_limits),
		cmocka_unit_test(test_errors),	   cmocka_unit_test(test_answer),
		cmocka_unit_test(test_event),	   cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
