/* test_authpol.c - authpol/: the Dovecot auth policy protocol (the command
 * in the URI, the JSON body as Dovecot 2.3 sends it with the default and a
 * custom attribute set, every limit at the limit and one past it, wrong
 * types, the answer, the login event) and the decision (locked accounts,
 * refused IPs and their expiry, old leaked passwords refused only with
 * enough hash bits and after an unlock too, expiry of a leak, the delay,
 * table bounds, the saved text of leaked hashes read back) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authpol/authpol_decide.h"
#include "authpol/authpol_proto.h"
#include "util/buf.h"
#include "util/netaddr.h"

#define T0 1374487200	/* 2013-07-22T10:00:00Z */

/* ------------------------------------------------------------ requests */

/* Recorded from Dovecot 2.3.19.1 (HARNESS.md 7.2), addresses changed to
 * documentation ones. */
static const char body_allow_default[] =
	"{\"device_id\": \"\", \"login\": \"alice@example.org\", \"protocol\": \"imap\", "
	"\"pwhash\": \"0428\", \"remote\": \"192.0.2.9\", \"session_id\": \"/RV+N+1gm9V/AQEB\", "
	"\"tls\": false}";
static const char body_report_fail[] =
	"{\"device_id\": \"\", \"login\": \"alice@example.org\", \"policy_reject\": false, "
	"\"protocol\": \"smtp\", \"pwhash\": \"0f7d\", \"remote\": \"192.0.2.6\", "
	"\"session_id\": \"\", \"success\": false, \"tls\": false}";
static const char body_report_rejected[] =
	"{\"device_id\": \"\", \"login\": \"mallory@example.org\", \"policy_reject\": true, "
	"\"protocol\": \"smtp\", \"pwhash\": \"0ba7\", \"remote\": \"192.0.2.5\", "
	"\"session_id\": \"\", \"success\": false, \"tls\": false}";
static const char body_custom[] =
	"{\"conn\": {\"real_remote\": \"198.51.100.9\", \"secured\": \"secured\"}, \"device_id\": "
	"\"\", \"local\": \"192.0.2.1\", \"login\": \"Alice@Example.org\", \"lport\": \"2143\", "
	"\"mech\": \"plain\", \"orig_user\": \"alice@example.org\", \"protocol\": \"IMAP\", "
	"\"pwhash\": \"0A1B2C3D\", \"remote\": \"::ffff:198.51.100.9\", \"rport\": \"44937\", "
	"\"session_id\": \"q3Ktje1gia9/CgAJ\", \"tls\": false}";

static int
parse(const char *body, enum authpol_cmd cmd, struct authpol_req *r, const char **err)
{
	size_t n = strlen(body);
	char *copy = malloc(n ? n : 1);	/* exactly n bytes: ASan sees a read past them */
	int rc;

	assert_non_null(copy);
	memcpy(copy, body, n);
	rc = authpol_parse(copy, n, cmd, r, err);
	free(copy);
	return rc;
}

static void
test_command(void **state)
{
	static const struct {
		const char *uri;
		enum authpol_cmd want;
	} rows[] = {
		{ "/policy?command=allow", AUTHPOL_CMD_ALLOW },
		{ "/policy?command=report", AUTHPOL_CMD_REPORT },
		{ "/?command=allow", AUTHPOL_CMD_ALLOW },
		{ "/p?key=1&command=report", AUTHPOL_CMD_REPORT },	/* URL ending in '&' */
		{ "/p?command=report&x=y", AUTHPOL_CMD_REPORT },
		{ "/policy", AUTHPOL_CMD_NONE },
		{ "/policy?", AUTHPOL_CMD_NONE },
		{ "/policy?command=", AUTHPOL_CMD_NONE },
		{ "/policy?command=allowx", AUTHPOL_CMD_NONE },
		{ "/policy?command=ALLOW", AUTHPOL_CMD_NONE },
		{ "/policy?xcommand=allow", AUTHPOL_CMD_NONE },
		{ "/policy?command=deny&command=allow", AUTHPOL_CMD_NONE },	/* the first counts */
		{ "/command=allow", AUTHPOL_CMD_NONE },
	};
	char big[AUTHPOL_URI_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (authpol_command(rows[i].uri, strlen(rows[i].uri)) != rows[i].want)
			fail_msg("%s: got %d", rows[i].uri,
				 authpol_command(rows[i].uri, strlen(rows[i].uri)));
	/* the URI limit, at and past it */
	memset(big, 'a', sizeof(big));
	memcpy(big, "/?command=allow&", 16);
	assert_int_equal(authpol_command(big, AUTHPOL_URI_MAX), AUTHPOL_CMD_ALLOW);
	assert_int_equal(authpol_command(big, AUTHPOL_URI_MAX + 1), AUTHPOL_CMD_NONE);
	assert_int_equal(authpol_command(NULL, 0), AUTHPOL_CMD_NONE);
}

static void
test_dovecot_bodies(void **state)
{
	static struct authpol_req r;
	const char *err = "x";

	(void)state;
	assert_int_equal(parse(body_allow_default, AUTHPOL_CMD_ALLOW, &r, &err), 0);
	assert_null(err);
	assert_int_equal(r.cmd, AUTHPOL_CMD_ALLOW);
	assert_string_equal(r.login, "alice@example.org");
	assert_string_equal(r.key, "alice@example.org");
	assert_string_equal(r.pwhash, "0428");
	assert_int_equal(r.hash_bits, 16);
	assert_int_equal(r.remote.family, 4);
	assert_string_equal(r.remote_txt, "192.0.2.9");
	assert_string_equal(r.protocol, "imap");
	assert_string_equal(r.session_id, "/RV+N+1gm9V/AQEB");
	assert_false(r.has_success);
	assert_false(r.secured);
	assert_int_equal(r.nkeys, 7);

	assert_int_equal(parse(body_report_fail, AUTHPOL_CMD_REPORT, &r, &err), 0);
	assert_true(r.has_success);
	assert_false(r.success);
	assert_false(r.policy_reject);
	assert_string_equal(r.protocol, "smtp");
	assert_string_equal(r.session_id, "");

	assert_int_equal(parse(body_report_rejected, AUTHPOL_CMD_REPORT, &r, &err), 0);
	assert_true(r.policy_reject);
	assert_false(r.success);

	/* custom attributes: nested "conn", case folded, mapped IPv4 */
	assert_int_equal(parse(body_custom, AUTHPOL_CMD_ALLOW, &r, &err), 0);
	assert_string_equal(r.login, "Alice@Example.org");
	assert_string_equal(r.key, "alice@example.org");
	assert_string_equal(r.pwhash, "0a1b2c3d");
	assert_int_equal(r.hash_bits, 32);
	assert_string_equal(r.remote_txt, "198.51.100.9");
	assert_string_equal(r.protocol, "imap");
	assert_string_equal(r.mech, "PLAIN");
	assert_true(r.secured);
	assert_int_equal(r.nkeys, 15);

	/* "secured" empty is not secured; a top-level "secured" key is read too */
	assert_int_equal(parse("{\"conn\":{\"secured\":\"\"},\"login\":\"a\"}", AUTHPOL_CMD_ALLOW,
			       &r, &err),
			 0);
	assert_false(r.secured);
	/* a "secured" key under another object, or inside an array, is not it */
	assert_int_equal(parse("{\"x\":{\"secured\":\"yes\"},\"y\":[{\"login\":\"evil\"}]}",
			       AUTHPOL_CMD_ALLOW, &r, &err),
			 0);
	assert_false(r.secured);
	assert_string_equal(r.login, "");
	/* newer Dovecot's fail_type "policy" counts as a policy refusal */
	assert_int_equal(parse("{\"login\":\"a\",\"success\":false,\"fail_type\":\"policy\"}",
			       AUTHPOL_CMD_REPORT, &r, &err),
			 0);
	assert_true(r.policy_reject);
	/* an empty object: nothing to judge, not an error */
	assert_int_equal(parse("{}", AUTHPOL_CMD_ALLOW, &r, &err), 0);
	assert_string_equal(r.login, "");
	assert_int_equal(r.remote.family, 0);
}

/* Values that are not usable are absent, not errors. */
static void
test_unusable_values(void **state)
{
	static struct authpol_req r;
	char body[2 * LIMIT_ACCOUNT_MAX + 64], v[LIMIT_ACCOUNT_MAX + 2];
	const char *err;

	(void)state;
	assert_int_equal(parse("{\"login\":\"a\\u0001b\",\"remote\":\"192.0.2.300\","
			       "\"pwhash\":\"xyz\",\"protocol\":\"im ap\",\"mech\":\"PL@IN\"}",
			       AUTHPOL_CMD_ALLOW, &r, &err),
			 0);
	assert_string_equal(r.login, "");
	assert_string_equal(r.key, "");
	assert_int_equal(r.remote.family, 0);
	assert_string_equal(r.remote_txt, "");
	assert_string_equal(r.pwhash, "");
	assert_int_equal(r.hash_bits, 0);
	assert_string_equal(r.protocol, "");
	assert_string_equal(r.mech, "");
	/* null for a string field: absent */
	assert_int_equal(parse("{\"login\":null,\"remote\":null}", AUTHPOL_CMD_ALLOW, &r, &err), 0);
	assert_string_equal(r.login, "");
	/* login at LIMIT_ACCOUNT_MAX - 1 bytes fits, one more does not */
	memset(v, 'a', LIMIT_ACCOUNT_MAX - 1);
	v[LIMIT_ACCOUNT_MAX - 1] = '\0';
	snprintf(body, sizeof(body), "{\"login\":\"%s\"}", v);
	assert_int_equal(parse(body, AUTHPOL_CMD_ALLOW, &r, &err), 0);
	assert_int_equal(strlen(r.login), LIMIT_ACCOUNT_MAX - 1);
	v[LIMIT_ACCOUNT_MAX - 1] = 'a';
	v[LIMIT_ACCOUNT_MAX] = '\0';
	snprintf(body, sizeof(body), "{\"login\":\"%s\"}", v);
	assert_int_equal(parse(body, AUTHPOL_CMD_ALLOW, &r, &err), 0);
	assert_string_equal(r.login, "");
	/* pwhash at AUTHPOL_HASH_HEX_MAX digits (sha512 uncut) and one more */
	memset(v, 'f', AUTHPOL_HASH_HEX_MAX);
	v[AUTHPOL_HASH_HEX_MAX] = '\0';
	snprintf(body, sizeof(body), "{\"pwhash\":\"%s\"}", v);
	assert_int_equal(parse(body, AUTHPOL_CMD_ALLOW, &r, &err), 0);
	assert_int_equal(r.hash_bits, 512);
	v[AUTHPOL_HASH_HEX_MAX] = 'f';
	v[AUTHPOL_HASH_HEX_MAX + 1] = '\0';
	snprintf(body, sizeof(body), "{\"pwhash\":\"%s\"}", v);
	assert_int_equal(parse(body, AUTHPOL_CMD_ALLOW, &r, &err), 0);
	assert_int_equal(r.hash_bits, 0);
	/* IPv6 and a session id too long to keep */
	assert_int_equal(parse("{\"remote\":\"2001:DB8::1\",\"session_id\":"
			       "\"0123456789012345678901234567890123456789012345678901234567890123\"}",
			       AUTHPOL_CMD_ALLOW, &r, &err),
			 0);
	assert_string_equal(r.remote_txt, "2001:db8::1");
	assert_string_equal(r.session_id, "");
}

/* Bodies that get 400. */
static void
test_malformed(void **state)
{
	static const struct {
		const char *body;
		enum authpol_cmd cmd;
		const char *err;
	} rows[] = {
		{ "", AUTHPOL_CMD_ALLOW, "not JSON" },
		{ "{", AUTHPOL_CMD_ALLOW, "not JSON" },
		{ "{\"login\":", AUTHPOL_CMD_ALLOW, "not JSON" },
		{ "{\"login\":\"a\"} x", AUTHPOL_CMD_ALLOW, "not JSON" },
		{ "{'login':'a'}", AUTHPOL_CMD_ALLOW, "not JSON" },
		{ "{\"login\":\"a\\u0000b\"}", AUTHPOL_CMD_ALLOW, "not JSON" },
		{ "{\"login\":\"\xff\xfe\"}", AUTHPOL_CMD_ALLOW, "not JSON" },
		{ "{\"login\":\"a\",\"login\":\"b\"}", AUTHPOL_CMD_ALLOW, "not JSON" },
		{ "{\"n\":123456789012345678901234567890}", AUTHPOL_CMD_ALLOW, "not JSON" },
		{ "[]", AUTHPOL_CMD_ALLOW, "not a JSON object" },
		{ "\"login\"", AUTHPOL_CMD_ALLOW, "not JSON" },
		{ "{\"login\":1}", AUTHPOL_CMD_ALLOW, "login is not a string" },
		{ "{\"login\":[\"a\"]}", AUTHPOL_CMD_ALLOW, "login is not a string" },
		{ "{\"pwhash\":false}", AUTHPOL_CMD_ALLOW, "pwhash is not a string" },
		{ "{\"remote\":{}}", AUTHPOL_CMD_ALLOW, NULL },	/* an object is a path, not a value */
		{ "{\"remote\":3}", AUTHPOL_CMD_ALLOW, "remote is not a string" },
		{ "{\"success\":\"true\"}", AUTHPOL_CMD_REPORT, "success is not a boolean" },
		{ "{\"policy_reject\":1,\"success\":true}", AUTHPOL_CMD_REPORT,
		  "policy_reject is not a boolean" },
		{ "{\"login\":\"a\"}", AUTHPOL_CMD_REPORT, "report without success" },
		{ "{\"a\":{\"b\":{\"c\":{\"d\":1}}}}", AUTHPOL_CMD_ALLOW, NULL },	/* depth 4 */
		{ "{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}", AUTHPOL_CMD_ALLOW, "nesting too deep" },
		{ "{\"a\":[[[]]]}", AUTHPOL_CMD_ALLOW, NULL },
		{ "{\"a\":[[[[]]]]}", AUTHPOL_CMD_ALLOW, "nesting too deep" },
		{ "{\"a\":\"{{{{{{{{\"}", AUTHPOL_CMD_ALLOW, NULL },	/* in a string: not nesting */
		{ "{\"a\":\"\\\"{{{{{{\"}", AUTHPOL_CMD_ALLOW, NULL },
	};
	static struct authpol_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *err = NULL;
		int rc = parse(rows[i].body, rows[i].cmd, &r, &err);

		if (rows[i].err == NULL) {
			if (rc != 0)
				fail_msg("row %zu %s: error %s", i, rows[i].body, err);
			continue;
		}
		if (rc != -1 || err == NULL || strcmp(err, rows[i].err) != 0)
			fail_msg("row %zu %s: rc %d err \"%s\", want \"%s\"", i, rows[i].body, rc,
				 err ? err : "(null)", rows[i].err);
	}
}

/* Every limit at the limit and one past it. */
static void
test_limits(void **state)
{
	static struct authpol_req r;
	struct buf b;
	const char *err;
	int i;

	(void)state;
	buf_init(&b, 0);
	/* keys: AUTHPOL_KEYS_MAX, nested ones counted */
	buf_append_str(&b, "{\"o\":{");
	for (i = 0; i < AUTHPOL_KEYS_MAX - 1; i++)
		buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
	buf_append_str(&b, "}}");
	assert_int_equal(parse(b.data, AUTHPOL_CMD_ALLOW, &r, &err), 0);
	assert_int_equal(r.nkeys, AUTHPOL_KEYS_MAX);
	b.len -= 2;
	buf_append_str(&b, ",\"one_more\":0}}");
	assert_int_equal(parse(b.data, AUTHPOL_CMD_ALLOW, &r, &err), -1);
	assert_string_equal(err, "too many keys");

	/* a string value of AUTHPOL_STRING_MAX bytes, and one more */
	buf_reset(&b);
	buf_append_str(&b, "{\"device_id\":\"");
	for (i = 0; i < AUTHPOL_STRING_MAX; i++)
		buf_append_char(&b, 'x');
	buf_append_str(&b, "\"}");
	assert_int_equal(parse(b.data, AUTHPOL_CMD_ALLOW, &r, &err), 0);
	b.len -= 2;
	buf_append_str(&b, "x\"}");
	assert_int_equal(parse(b.data, AUTHPOL_CMD_ALLOW, &r, &err), -1);
	assert_string_equal(err, "string too long");
	/* ... in an array too */
	buf_reset(&b);
	buf_append_str(&b, "{\"a\":[\"");
	for (i = 0; i < AUTHPOL_STRING_MAX + 1; i++)
		buf_append_char(&b, 'x');
	buf_append_str(&b, "\"]}");
	assert_int_equal(parse(b.data, AUTHPOL_CMD_ALLOW, &r, &err), -1);
	assert_string_equal(err, "string too long");
	/* a key of AUTHPOL_STRING_MAX + 1 bytes */
	buf_reset(&b);
	buf_append_str(&b, "{\"");
	for (i = 0; i < AUTHPOL_STRING_MAX + 1; i++)
		buf_append_char(&b, 'k');
	buf_append_str(&b, "\":1}");
	assert_int_equal(parse(b.data, AUTHPOL_CMD_ALLOW, &r, &err), -1);
	assert_string_equal(err, "key too long");

	/* the body: AUTHPOL_BODY_MAX bytes, and one more */
	buf_reset(&b);
	buf_append_str(&b, "{\"login\":\"a\"");
	while (b.len < AUTHPOL_BODY_MAX - 1)
		buf_append_char(&b, ' ');
	buf_append_char(&b, '}');
	assert_int_equal(b.len, AUTHPOL_BODY_MAX);
	assert_int_equal(parse(b.data, AUTHPOL_CMD_ALLOW, &r, &err), 0);
	assert_string_equal(r.login, "a");
	b.len--;
	buf_append_str(&b, " }");
	assert_int_equal(parse(b.data, AUTHPOL_CMD_ALLOW, &r, &err), -1);
	assert_string_equal(err, "body too large");
	buf_release(&b);
}

static void
test_answer(void **state)
{
	struct buf b;
	char long_msg[AUTHPOL_MSG_MAX + 50];

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(authpol_answer(&b, -1, AUTHPOL_MSG_LOCKED), 0);
	assert_string_equal(b.data, "{\"status\":-1,\"msg\":\"account locked\"}");
	buf_reset(&b);
	assert_int_equal(authpol_answer(&b, 0, NULL), 0);
	assert_string_equal(b.data, "{\"status\":0,\"msg\":\"\"}");
	buf_reset(&b);
	assert_int_equal(authpol_answer(&b, 3, "a\"b\\c\n\x01"), 0);
	assert_string_equal(b.data, "{\"status\":3,\"msg\":\"a\\\"b\\\\c\\n\\u0001\"}");
	/* cut at AUTHPOL_MSG_MAX bytes, not inside a UTF-8 sequence */
	buf_reset(&b);
	memset(long_msg, 'm', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	memcpy(long_msg + AUTHPOL_MSG_MAX - 1, "\xc3\xa9", 2);	/* é across the cut */
	assert_int_equal(authpol_answer(&b, -1, long_msg), 0);
	assert_int_equal(b.len, strlen("{\"status\":-1,\"msg\":\"\"}") + AUTHPOL_MSG_MAX - 1);
	/* all or nothing at the buffer's ceiling */
	buf_release(&b);
	buf_init(&b, 10);
	assert_int_equal(authpol_answer(&b, 0, ""), -1);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void
test_event(void **state)
{
	static struct authpol_req r;
	const char *err;
	struct evt e;

	(void)state;
	assert_int_equal(parse(body_custom, AUTHPOL_CMD_ALLOW, &r, &err), 0);
	assert_true(authpol_req_event(&r, EVT_AUTH_SUCCESS, NULL, T0, &e));
	assert_int_equal(e.type, EVT_AUTH_SUCCESS);
	assert_string_equal(e.source, "authpolicy");
	assert_int_equal(e.time, T0);
	assert_string_equal(e.service, "imap");
	assert_string_equal(e.account, "Alice@Example.org");
	assert_string_equal(e.ip, "198.51.100.9");
	assert_int_equal(e.addr.family, 4);
	assert_string_equal(e.mech, "PLAIN");
	assert_string_equal(e.reason, "");
	assert_int_equal(parse(body_report_fail, AUTHPOL_CMD_REPORT, &r, &err), 0);
	assert_true(authpol_req_event(&r, EVT_AUTH_FAILURE, "why", T0, &e));
	assert_int_equal(e.type, EVT_AUTH_FAILURE);
	assert_string_equal(e.service, "smtp");
	assert_string_equal(e.mech, "");
	assert_string_equal(e.reason, "why");
	/* neither login nor remote: no event */
	assert_int_equal(parse("{\"success\":false}", AUTHPOL_CMD_REPORT, &r, &err), 0);
	assert_false(authpol_req_event(&r, EVT_AUTH_FAILURE, NULL, T0, &e));
	/* an IP alone is enough (brute force on unknown users) */
	assert_int_equal(parse("{\"remote\":\"203.0.113.7\",\"success\":false}", AUTHPOL_CMD_REPORT,
			       &r, &err),
			 0);
	assert_true(authpol_req_event(&r, EVT_AUTH_FAILURE, NULL, T0, &e));
	assert_string_equal(e.account, "");
	assert_string_equal(e.ip, "203.0.113.7");
}

/* ------------------------------------------------------------ decisions */

static void
conf_default(struct authpol_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->min_hash_bits = 32;
	c->ban_time = 3600;
	c->leaked_time = 30 * 86400;
	c->fail_window = 3600;
	c->delay_failures = 10;
}

/* A request as parsed from a body with these values. */
static void
req(struct authpol_req *r, enum authpol_cmd cmd, const char *login, const char *hash,
    const char *ip, int success)
{
	char body[1024];
	const char *err;

	snprintf(body, sizeof(body), "{\"login\":\"%s\",\"pwhash\":\"%s\",\"remote\":\"%s\"%s}",
		 login, hash, ip,
		 success < 0 ? "" : success ? ",\"success\":true" : ",\"success\":false");
	if (parse(body, cmd, r, &err) != 0)
		fail_msg("%s: %s", body, err);
}

static enum authpol_verdict
ask(struct authpol *ap, const char *login, const char *hash, const char *ip, bool locked,
    int64_t now, struct authpol_answer *out)
{
	static struct authpol_req r;

	req(&r, AUTHPOL_CMD_ALLOW, login, hash, ip, -1);
	return authpol_decide(ap, &r, locked, now, out);
}

static void
report(struct authpol *ap, const char *login, const char *hash, const char *ip, bool ok,
       int64_t now)
{
	static struct authpol_req r;

	req(&r, AUTHPOL_CMD_REPORT, login, hash, ip, ok);
	authpol_report(ap, &r, now);
}

static void
test_locked_and_ip(void **state)
{
	struct authpol_conf c;
	struct authpol *ap;
	struct authpol_answer a;
	struct netaddr ip;
	const char *why = NULL;

	(void)state;
	conf_default(&c);
	ap = authpol_new(&c);
	assert_int_equal(ask(ap, "a@example.org", "0428", "192.0.2.1", false, T0, &a), APV_ALLOW);
	assert_int_equal(a.status, 0);
	assert_string_equal(a.msg, "");
	assert_false(a.leaked_seen);
	assert_int_equal(ask(ap, "a@example.org", "0428", "192.0.2.1", true, T0, &a), APV_LOCKED);
	assert_int_equal(a.status, -1);
	assert_string_equal(a.msg, "account locked");
	/* no login: a lock cannot apply */
	assert_int_equal(ask(ap, "", "0428", "192.0.2.1", true, T0, &a), APV_ALLOW);

	assert_int_equal(netaddr_parse("203.0.113.66", 12, &ip), 0);
	assert_int_equal(authpol_refuse_ip(ap, &ip, "brute_force", T0), 0);
	assert_true(authpol_ip_refused(ap, &ip, T0, &why));
	assert_string_equal(why, "brute_force");
	assert_int_equal(ask(ap, "b@example.org", "1111", "203.0.113.66", false, T0 + 10, &a),
			 APV_IP);
	assert_int_equal(a.status, -1);
	assert_string_equal(a.msg, "address blocked");
	assert_string_equal(a.ip_why, "brute_force");
	/* the same address written as IPv4-mapped IPv6 */
	assert_int_equal(ask(ap, "b@example.org", "1111", "::ffff:203.0.113.66", false, T0 + 10, &a),
			 APV_IP);
	/* a locked account from a refused IP: the lock is said */
	assert_int_equal(ask(ap, "b@example.org", "1111", "203.0.113.66", true, T0, &a), APV_LOCKED);
	/* other IPs pass; the refusal ends after ban_time */
	assert_int_equal(ask(ap, "b@example.org", "1111", "203.0.113.67", false, T0, &a), APV_ALLOW);
	assert_int_equal(ask(ap, "b@example.org", "1111", "203.0.113.66", false, T0 + 3599, &a),
			 APV_IP);
	assert_int_equal(ask(ap, "b@example.org", "1111", "203.0.113.66", false, T0 + 3600, &a),
			 APV_ALLOW);
	/* refused again later: a new ban_time from then; a refusal is never shortened */
	assert_int_equal(authpol_refuse_ip(ap, &ip, "password_spray", T0 + 4000), 0);
	assert_int_equal(authpol_refuse_ip(ap, &ip, "brute_force", T0 + 3000), 0);
	assert_true(authpol_ip_refused(ap, &ip, T0 + 7599, &why));
	assert_string_equal(why, "password_spray");
	assert_false(authpol_ip_refused(ap, &ip, T0 + 7600, NULL));
	memset(&ip, 0, sizeof(ip));
	assert_int_equal(authpol_refuse_ip(ap, &ip, "brute_force", T0), -1);
	authpol_free(&ap);
	assert_null(ap);

	/* ban_time 0: refused until forgotten */
	c.ban_time = 0;
	ap = authpol_new(&c);
	assert_int_equal(netaddr_parse("2001:db8::7", 11, &ip), 0);
	authpol_refuse_ip(ap, &ip, "brute_force", T0);
	assert_true(authpol_ip_refused(ap, &ip, T0 + 10 * 365 * 86400LL, NULL));
	authpol_free(&ap);
}

/* Incident 1: the password leaks, the botnet logs in, the account is
 * locked, the password is changed, the account unlocked; the botnet keeps
 * trying the old password from fresh IPs. */
static void
test_leaked_password(void **state)
{
	struct authpol_conf c;
	struct authpol *ap;
	struct authpol_answer a;
	struct authpol_stats st;
	const char *old = "a1b2c3d4", *newpw = "99887766";

	(void)state;
	conf_default(&c);
	ap = authpol_new(&c);
	/* before: the user's and the bots' logins succeed with the same password */
	report(ap, "hello@example.com", old, "192.0.2.10", true, T0);
	report(ap, "hello@example.com", old, "198.51.100.1", true, T0 + 60);
	report(ap, "hello@example.com", old, "198.51.100.2", true, T0 + 61);
	/* failures teach nothing about hashes */
	report(ap, "hello@example.com", "deadbeef", "198.51.100.3", false, T0 + 62);
	/* nothing is leaked before the lock */
	assert_int_equal(ask(ap, "hello@example.com", old, "198.51.100.4", false, T0 + 70, &a),
			 APV_ALLOW);
	assert_false(a.leaked_seen);
	/* the lock marks it */
	assert_int_equal(authpol_mark_leaked(ap, "hello@example.com", T0 + 100), 1);
	assert_int_equal(authpol_mark_leaked(ap, "hello@example.com", T0 + 100), 0);	/* once */
	assert_int_equal(authpol_mark_leaked(ap, "nobody@example.com", T0 + 100), 0);
	/* while locked: the old password is refused as leaked (probe evidence) */
	assert_int_equal(ask(ap, "hello@example.com", old, "203.0.113.1", true, T0 + 200, &a),
			 APV_LEAKED);
	assert_int_equal(a.status, -1);
	assert_string_equal(a.msg, "password no longer valid");
	assert_true(a.leaked_seen);
	/* after the unlock (locked false): still refused; the new password passes */
	assert_int_equal(ask(ap, "hello@example.com", old, "203.0.113.2", false, T0 + 86400, &a),
			 APV_LEAKED);
	assert_int_equal(ask(ap, "Hello@Example.COM", "A1B2C3D4", "203.0.113.3", false, T0 + 86400,
			     &a),
			 APV_LEAKED);	/* any case of login and hex */
	assert_int_equal(ask(ap, "hello@example.com", newpw, "192.0.2.10", false, T0 + 86400, &a),
			 APV_ALLOW);
	assert_false(a.leaked_seen);
	/* another account with the same hash value is not concerned */
	assert_int_equal(ask(ap, "other@example.com", old, "203.0.113.2", false, T0 + 86400, &a),
			 APV_ALLOW);
	/* ... and the same hex with another length is another hash */
	assert_int_equal(ask(ap, "hello@example.com", "a1b2c3d400", "203.0.113.2", false,
			     T0 + 86400, &a),
			 APV_ALLOW);
	/* leaked_time later, it is forgotten */
	assert_int_equal(ask(ap, "hello@example.com", old, "203.0.113.9", false,
			     T0 + 100 + 30 * 86400 - 1, &a),
			 APV_LEAKED);
	assert_int_equal(ask(ap, "hello@example.com", old, "203.0.113.9", false,
			     T0 + 100 + 30 * 86400, &a),
			 APV_ALLOW);
	authpol_get_stats(ap, T0, &st);
	assert_int_equal(st.accounts, 1);
	assert_int_equal(st.leaked_accounts, 1);
	authpol_free(&ap);
}

/* Dovecot's default 12-bit hash (4 hex digits, counted as 16 bits): a
 * match is evidence only. */
static void
test_short_hash(void **state)
{
	struct authpol_conf c;
	struct authpol *ap;
	struct authpol_answer a;

	(void)state;
	conf_default(&c);
	ap = authpol_new(&c);
	report(ap, "alice@example.org", "0428", "192.0.2.9", true, T0);
	assert_int_equal(authpol_mark_leaked(ap, "alice@example.org", T0 + 1), 1);
	assert_int_equal(ask(ap, "alice@example.org", "0428", "203.0.113.5", false, T0 + 2, &a),
			 APV_ALLOW);
	assert_true(a.leaked_seen);
	assert_int_equal(a.status, 0);
	/* still locked: locked is the answer, and the match is seen */
	assert_int_equal(ask(ap, "alice@example.org", "0428", "203.0.113.5", true, T0 + 2, &a),
			 APV_LOCKED);
	assert_true(a.leaked_seen);
	/* min_hash_bits 16 makes it refuse (reload) */
	c.min_hash_bits = 16;
	authpol_set_conf(ap, &c);
	assert_int_equal(ask(ap, "alice@example.org", "0428", "203.0.113.5", false, T0 + 3, &a),
			 APV_LEAKED);
	/* 15 hex digits = 60 bits; min 61 refuses nothing, 60 refuses */
	report(ap, "bob@example.org", "0123456789abcde", "192.0.2.9", true, T0);
	authpol_mark_leaked(ap, "bob@example.org", T0 + 1);
	c.min_hash_bits = 61;
	authpol_set_conf(ap, &c);
	assert_int_equal(ask(ap, "bob@example.org", "0123456789abcde", "203.0.113.5", false, T0 + 3,
			     &a),
			 APV_ALLOW);
	c.min_hash_bits = 60;
	authpol_set_conf(ap, &c);
	assert_int_equal(ask(ap, "bob@example.org", "0123456789abcde", "203.0.113.5", false, T0 + 3,
			     &a),
			 APV_LEAKED);
	authpol_free(&ap);
}

/* Hashes longer than AUTHPOL_HASH_KEEP digits compare on length and the
 * digits kept; the recent ones are bounded per account. */
static void
test_hash_slots(void **state)
{
	struct authpol_conf c;
	struct authpol *ap;
	struct authpol_answer a;
	char h[8][AUTHPOL_HASH_HEX_MAX + 1];
	unsigned i;

	(void)state;
	conf_default(&c);
	ap = authpol_new(&c);
	for (i = 0; i < 6; i++) {
		memset(h[i], '0' + (int)i, 64);	/* sha256 uncut: 64 digits */
		h[i][64] = '\0';
		report(ap, "u@example.org", h[i], "192.0.2.1", true, T0 + i);
	}
	/* the oldest two were replaced: AUTHPOL_RECENT remembered */
	assert_int_equal(authpol_mark_leaked(ap, "u@example.org", T0 + 100), AUTHPOL_RECENT);
	assert_int_equal(ask(ap, "u@example.org", h[0], "203.0.113.1", false, T0 + 200, &a),
			 APV_ALLOW);
	assert_int_equal(ask(ap, "u@example.org", h[1], "203.0.113.1", false, T0 + 200, &a),
			 APV_ALLOW);
	for (i = 2; i < 6; i++)
		assert_int_equal(ask(ap, "u@example.org", h[i], "203.0.113.1", false, T0 + 200, &a),
				 APV_LEAKED);
	/* the same first digits, a different end: compared on the kept ones */
	h[5][63] = 'f';
	assert_int_equal(ask(ap, "u@example.org", h[5], "203.0.113.1", false, T0 + 200, &a),
			 APV_LEAKED);
	h[5][3] = 'f';
	assert_int_equal(ask(ap, "u@example.org", h[5], "203.0.113.1", false, T0 + 200, &a),
			 APV_ALLOW);
	authpol_free(&ap);
}

static void
test_leaked_text(void **state)
{
	struct authpol_conf c;
	struct authpol *ap, *ap2;
	struct authpol_answer a;
	char text[512], small[30];
	char longh[65];

	(void)state;
	conf_default(&c);
	ap = authpol_new(&c);
	memset(longh, 'c', 64);
	longh[64] = '\0';
	report(ap, "x@example.org", "a1b2c3d4", "192.0.2.1", true, T0);
	report(ap, "x@example.org", longh, "192.0.2.1", true, T0 + 1);
	authpol_mark_leaked(ap, "x@example.org", T0 + 10);
	assert_int_equal(authpol_leaked_text(ap, "x@example.org", text, sizeof(text)), 2);
	assert_string_equal(text, "1374487210 8 a1b2c3d4,1374487210 64 cccccccccccccccc");
	/* cut at an entry */
	assert_int_equal(authpol_leaked_text(ap, "x@example.org", small, sizeof(small)), 1);
	assert_string_equal(small, "1374487210 8 a1b2c3d4");
	assert_int_equal(authpol_leaked_text(ap, "nobody", text, sizeof(text)), 0);
	assert_string_equal(text, "");

	/* read back into a fresh state (a restart) */
	ap2 = authpol_new(&c);
	assert_int_equal(authpol_leaked_text(ap, "x@example.org", text, sizeof(text)), 2);
	assert_int_equal(authpol_leaked_load(ap2, "x@example.org", text, T0 + 20), 2);
	assert_int_equal(ask(ap2, "x@example.org", "a1b2c3d4", "203.0.113.1", false, T0 + 30, &a),
			 APV_LEAKED);
	assert_int_equal(ask(ap2, "x@example.org", longh, "203.0.113.1", false, T0 + 30, &a),
			 APV_LEAKED);
	/* entries past leaked_time are skipped; bad text is refused */
	assert_int_equal(authpol_leaked_load(ap2, "y@example.org", text, T0 + 10 + 30 * 86400), 0);
	assert_int_equal(authpol_leaked_load(ap2, "y@example.org", "", T0), 0);
	assert_int_equal(authpol_leaked_load(ap2, "y@example.org", "1 8 a1b2c3d", T0), -1);
	assert_int_equal(authpol_leaked_load(ap2, "y@example.org", "1 8 a1b2c3dX", T0), -1);
	assert_int_equal(authpol_leaked_load(ap2, "y@example.org", "1 0 ", T0), -1);
	assert_int_equal(authpol_leaked_load(ap2, "y@example.org", "1 129 a", T0), -1);
	assert_int_equal(authpol_leaked_load(ap2, "y@example.org", "x 8 a1b2c3d4", T0), -1);
	assert_int_equal(authpol_leaked_load(ap2, "y@example.org", "1 8 a1b2c3d4;", T0), -1);
	assert_int_equal(authpol_leaked_load(ap2, "y@example.org", "99999999999999999999 8 a1b2c3d4",
					     T0),
			 -1);
	assert_int_equal(authpol_leaked_load(ap2, "", "1 8 a1b2c3d4", T0), -1);
	/* c.leaked_time 0: kept however old */
	c.leaked_time = 0;
	authpol_set_conf(ap2, &c);
	assert_int_equal(authpol_leaked_load(ap2, "y@example.org", "1 8 a1b2c3d4", T0), 1);
	assert_int_equal(ask(ap2, "y@example.org", "a1b2c3d4", "203.0.113.1", false, T0, &a),
			 APV_LEAKED);
	authpol_free(&ap);
	authpol_free(&ap2);
}

static void
test_delay(void **state)
{
	struct authpol_conf c;
	struct authpol *ap;
	struct authpol_answer a;
	static struct authpol_req r;
	const char *err;
	int i;

	(void)state;
	conf_default(&c);
	c.delay = 2;
	c.delay_failures = 3;
	ap = authpol_new(&c);
	for (i = 0; i < 2; i++)
		report(ap, "a@example.org", "1234", "192.0.2.50", false, T0 + i);
	assert_int_equal(ask(ap, "a@example.org", "1234", "192.0.2.50", false, T0 + 5, &a),
			 APV_ALLOW);
	/* a policy refusal is not a failure of the password */
	assert_int_equal(parse("{\"remote\":\"192.0.2.50\",\"success\":false,\"policy_reject\":true}",
			       AUTHPOL_CMD_REPORT, &r, &err),
			 0);
	authpol_report(ap, &r, T0 + 6);
	assert_int_equal(ask(ap, "a@example.org", "1234", "192.0.2.50", false, T0 + 6, &a),
			 APV_ALLOW);
	report(ap, "b@example.org", "1234", "192.0.2.50", false, T0 + 7);
	assert_int_equal(ask(ap, "c@example.org", "1234", "192.0.2.50", false, T0 + 8, &a),
			 APV_DELAY);
	assert_int_equal(a.status, 2);
	/* the window starts at the first failure */
	assert_int_equal(ask(ap, "c@example.org", "1234", "192.0.2.50", false, T0 + 3599, &a),
			 APV_DELAY);
	assert_int_equal(ask(ap, "c@example.org", "1234", "192.0.2.50", false, T0 + 3600, &a),
			 APV_ALLOW);
	/* a new window after that */
	report(ap, "b@example.org", "1234", "192.0.2.50", false, T0 + 4000);
	assert_int_equal(ask(ap, "c@example.org", "1234", "192.0.2.50", false, T0 + 4001, &a),
			 APV_ALLOW);
	/* delay 0: no counting at all */
	c.delay = 0;
	authpol_set_conf(ap, &c);
	for (i = 0; i < 5; i++)
		report(ap, "a@example.org", "1234", "192.0.2.51", false, T0 + i);
	assert_int_equal(ask(ap, "a@example.org", "1234", "192.0.2.51", false, T0 + 5, &a),
			 APV_ALLOW);
	authpol_free(&ap);
}

/* The tables stay within their bounds; the least recent entry goes. */
static void
test_bounds(void **state)
{
	struct authpol_conf c;
	struct authpol *ap;
	struct authpol_stats st;
	struct authpol_answer a;
	struct netaddr ip;
	char login[64], addr[64];
	int i;

	(void)state;
	conf_default(&c);
	c.max_accounts = 100;
	c.max_ips = 50;
	ap = authpol_new(&c);
	for (i = 0; i < 1000; i++) {
		snprintf(login, sizeof(login), "user%d@example.org", i);
		report(ap, login, "a1b2c3d4", "192.0.2.1", true, T0 + i);
		snprintf(addr, sizeof(addr), "2001:db8::%x", i + 1);
		assert_int_equal(netaddr_parse(addr, strlen(addr), &ip), 0);
		authpol_refuse_ip(ap, &ip, "brute_force", T0 + i);
	}
	authpol_get_stats(ap, T0 + 1000, &st);
	assert_int_equal(st.accounts, 100);
	assert_int_equal(st.evicted_accounts, 900);
	assert_int_equal(st.ips, 50);
	assert_int_equal(st.refused_ips, 50);
	assert_int_equal(st.evicted_ips, 950);
	/* the first are gone, the last are there */
	assert_int_equal(authpol_mark_leaked(ap, "user0@example.org", T0 + 2000), 0);
	assert_int_equal(authpol_mark_leaked(ap, "user999@example.org", T0 + 2000), 1);
	assert_int_equal(ask(ap, "x@example.org", "1", "2001:db8::1", false, T0 + 1000, &a),
			 APV_ALLOW);
	assert_int_equal(ask(ap, "x@example.org", "1", "2001:db8::3e8", false, T0 + 1000, &a),
			 APV_IP);
	/* a seen account moves to the front and stays */
	report(ap, "user900@example.org", "a1b2c3d4", "192.0.2.1", true, T0 + 3000);
	for (i = 1000; i < 1099; i++) {
		snprintf(login, sizeof(login), "user%d@example.org", i);
		report(ap, login, "a1b2c3d4", "192.0.2.1", true, T0 + 3001);
	}
	assert_int_equal(authpol_mark_leaked(ap, "user900@example.org", T0 + 4000), 1);
	assert_int_equal(authpol_mark_leaked(ap, "user901@example.org", T0 + 4000), 0);
	/* a smaller table at a reload shrinks at once */
	c.max_accounts = 10;
	c.max_ips = 5;
	authpol_set_conf(ap, &c);
	authpol_get_stats(ap, T0 + 1000, &st);
	assert_int_equal(st.accounts, 10);
	assert_int_equal(st.ips, 5);
	authpol_free(&ap);
	authpol_free(&ap);	/* NULL: nothing */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command),	      cmocka_unit_test(test_dovecot_bodies),
		cmocka_unit_test(test_unusable_values), cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),	      cmocka_unit_test(test_answer),
		cmocka_unit_test(test_event),	      cmocka_unit_test(test_locked_and_ip),
		cmocka_unit_test(test_leaked_password), cmocka_unit_test(test_short_hash),
		cmocka_unit_test(test_hash_slots),    cmocka_unit_test(test_leaked_text),
		cmocka_unit_test(test_delay),	      cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
