/* test_fleet_codec.c - events to JSON and back between fleet instances
 * Every type and status, hostile strings, the repeat flag, IPv4/IPv6, the
 * members evt_json leaves out (usec, dlv, exact score, raw bytes of invalid
 * UTF-8), decode errors naming the member, and real events: msgen logs of
 * both formats through the reading pipeline, each encoded, decoded,
 * compared field by field and encoded again to the same bytes, and the
 * detectors fed both streams must find the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_pipe.h"
#include "core/conf.h"
#include "detect/det.h"
#include "fleet/fleet_codec.h"
#include "util/msg.h"

#define T0 1374451200	/* 2013-07-22T00:00:00Z */

static const enum evt_type all_types[] = {
	EVT_NONE,	  EVT_AUTH_SUCCESS, EVT_AUTH_FAILURE, EVT_MESSAGE_ACCEPTED,
	EVT_DELIVERY,	  EVT_BOUNCE,	    EVT_REJECT,	      EVT_SPAM_CHECK,
	EVT_LINK_DELIVERY, EVT_MSG_DONE,    EVT_MSG_CLIENT,
};
static const enum evt_status all_statuses[] = {
	EVT_STATUS_NONE, EVT_STATUS_SENT,  EVT_STATUS_DEFERRED,
	EVT_STATUS_BOUNCED, EVT_STATUS_SPAM, EVT_STATUS_CLEAN,
};

/* Field by field, everything src/detect reads, with cmocka's messages. */
static void
assert_det_fields(const struct evt *a, const struct evt *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->time, b->time);
	assert_int_equal(a->usec, b->usec);
	assert_int_equal(a->flags & 0x3f, b->flags & 0x3f);
	if (a->flags & EVT_HAS_NRCPT)
		assert_int_equal(a->nrcpt, b->nrcpt);
	if (a->flags & EVT_HAS_ATTEMPTS)
		assert_int_equal(a->attempts, b->attempts);
	if (a->flags & EVT_HAS_SIZE)
		assert_int_equal(a->size, b->size);
	if (a->flags & EVT_HAS_SCORE) {
		if (isnan(a->score))
			assert_true(isnan(b->score));
		else
			assert_memory_equal(&a->score, &b->score, sizeof(a->score));
	}
	assert_int_equal(a->addr.family, b->addr.family);
	assert_memory_equal(a->addr.bytes, b->addr.bytes, a->addr.family == 4 ? 4 : 16);
	assert_string_equal(a->ip, b->ip);
	assert_string_equal(a->service, b->service);
	assert_string_equal(a->account, b->account);
	assert_string_equal(a->mech, b->mech);
	assert_string_equal(a->qid, b->qid);
	assert_string_equal(a->dlv, b->dlv);
	assert_string_equal(a->ndr_qid, b->ndr_qid);
	if (a->flags & EVT_HAS_SENDER)
		assert_string_equal(a->sender, b->sender);
	assert_string_equal(a->recipient, b->recipient);
	assert_string_equal(a->relay, b->relay);
	assert_string_equal(a->dsn, b->dsn);
	assert_string_equal(a->reason, b->reason);
	assert_string_equal(a->host, b->host);
	if (a->source == NULL)
		assert_null(b->source);
	else
		assert_string_equal(a->source, b->source);
	assert_true(fleet_evt_same(a, b));
}

/* encode -> decode -> equal -> encode gives the same bytes; returns the
 * first encoding in *out (caller releases). */
static void
round_trip(const struct evt *e, struct buf *out)
{
	struct buf b2;
	struct evt d;
	char err[128];

	buf_init(out, 0);
	buf_init(&b2, 0);
	assert_int_equal(fleet_evt_encode(e, out), 0);
	assert_true(out->len <= FLEET_EVT_MAX);
	if (fleet_evt_decode(out->data, out->len, &d, err, sizeof(err)) != 0)
		fail_msg("decode: %s in %s", err, out->data);
	assert_det_fields(e, &d);
	assert_int_equal(fleet_evt_encode(&d, &b2), 0);
	assert_int_equal(out->len, b2.len);
	assert_memory_equal(out->data, b2.data, out->len);
	buf_release(&b2);
}

static void
set_ip(struct evt *e, const char *ip)
{
	assert_int_equal(evt_set_ip(e, strv_cstr(ip)), 0);
}

static void
base(struct evt *e, enum evt_type t, enum evt_status s)
{
	evt_clear(e);
	e->type = t;
	e->status = s;
	e->source = "postfix";
	e->time = T0 + 12345;
	e->usec = 654321;
	strcpy(e->host, "mx1");
	strcpy(e->service, "smtp");
	strcpy(e->account, "Us\"er\\@example.com");
	set_ip(e, "2001:db8::1");
	strcpy(e->mech, "PLAIN");
	strcpy(e->qid, "4A1B2C3D4E");
	strcpy(e->dlv, "17");
	strcpy(e->ndr_qid, "5B2C3D4E5F");
	strcpy(e->sender, "");
	strcpy(e->recipient, "r\xc3\xa9sum\xc3\xa9@exampl\xe2\x82\xac.org");
	strcpy(e->relay, "mx.example.net[203.0.113.5]:25");
	strcpy(e->dsn, "5.1.1");
	strcpy(e->reason, "host said: 550 \"no\" \\ such\tuser \x01\x7f \xf0\x9f\x93\xa7");
	e->nrcpt = 3;
	e->attempts = 4;
	e->size = 12345;
	e->score = 8.2;
	e->flags = EVT_HAS_SENDER | EVT_HAS_NRCPT | EVT_HAS_SIZE | EVT_HAS_ATTEMPTS |
		   EVT_HAS_SCORE;
}

static void
test_types_statuses(void **state)
{
	size_t i, j;
	struct evt e;
	struct buf b;

	(void)state;
	for (i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++)
		for (j = 0; j < sizeof(all_statuses) / sizeof(all_statuses[0]); j++) {
			base(&e, all_types[i], all_statuses[j]);
			round_trip(&e, &b);
			buf_release(&b);
			/* and with nothing but the type and the time */
			evt_clear(&e);
			e.type = all_types[i];
			e.status = all_statuses[j];
			e.time = T0;
			round_trip(&e, &b);
			buf_release(&b);
		}
}

/* evt_json's own text is kept: the extra members come only in "fleet". */
static void
test_evt_json_kept(void **state)
{
	struct buf a, b;
	struct evt e;

	(void)state;
	base(&e, EVT_DELIVERY, EVT_STATUS_BOUNCED);
	buf_init(&a, 0);
	evt_json(&e, &a);
	round_trip(&e, &b);
	assert_true(b.len > a.len);
	assert_memory_equal(a.data, b.data, a.len - 1);
	assert_string_equal(b.data + a.len - 1,
			    ",\"fleet\":{\"usec\":654321,\"dlv\":\"17\",\"score\":8.1999999999999993}}");
	buf_release(&a);
	buf_release(&b);

	/* nothing to add: evt_json's bytes exactly */
	evt_clear(&e);
	e.type = EVT_AUTH_FAILURE;
	e.time = T0;
	e.source = "dovecot";
	strcpy(e.account, "joe");
	set_ip(&e, "192.0.2.1");
	buf_init(&a, 0);
	evt_json(&e, &a);
	round_trip(&e, &b);
	assert_string_equal(a.data, b.data);
	buf_release(&a);
	buf_release(&b);
}

static void
test_hostile_strings(void **state)
{
	static const char *const nasty[] = {
		"\"",	     "\\",		"\\\"\\\\\"",	   "a\"b\\c",
		"\xc3\xa9",  "\xe2\x82\xac",	"\xf0\x9f\x98\x80", "\xef\xbf\xbd",
		"\xff",	     "a\xc3",		"\xc0\xaf",	   "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "x\xfey\xfdz", "\\u0000",	   "</script>",
	};
	struct evt e;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
		base(&e, EVT_AUTH_FAILURE, EVT_STATUS_NONE);
		strcpy(e.account, nasty[i]);
		strcpy(e.service, nasty[i]);
		strcpy(e.mech, nasty[i]);
		strcpy(e.qid, nasty[i]);
		strcpy(e.dlv, nasty[i]);
		strcpy(e.ndr_qid, nasty[i]);
		strcpy(e.sender, nasty[i]);
		strcpy(e.recipient, nasty[i]);
		strcpy(e.relay, nasty[i]);
		strcpy(e.dsn, nasty[i]);
		strcpy(e.reason, nasty[i]);
		strcpy(e.host, nasty[i]);
		round_trip(&e, &b);
		buf_release(&b);
	}

	/* invalid UTF-8: evt_json writes U+FFFD, "fleet.raw" keeps the bytes */
	base(&e, EVT_AUTH_FAILURE, EVT_STATUS_NONE);
	strcpy(e.account, "j\xf6rg");
	round_trip(&e, &b);
	assert_non_null(strstr(b.data, "\"account\":\"j\\ufffdrg\""));
	assert_non_null(strstr(b.data, "\"raw\":{\"account\":\"6af67267\"}"));
	buf_release(&b);
}

static void
fill(char *dst, size_t size, const char *unit)
{
	size_t ul = strlen(unit), n = 0;

	while (n + ul < size) {
		memcpy(dst + n, unit, ul);
		n += ul;
	}
	dst[n] = '\0';
}

#define FILL(e, field, unit) fill((e)->field, sizeof((e)->field), (unit))

static void
fill_all(struct evt *e, const char *unit)
{
	FILL(e, service, unit);
	FILL(e, account, unit);
	FILL(e, mech, unit);
	FILL(e, qid, unit);
	FILL(e, dlv, unit);
	FILL(e, ndr_qid, unit);
	FILL(e, sender, unit);
	FILL(e, recipient, unit);
	FILL(e, relay, unit);
	FILL(e, dsn, unit);
	FILL(e, reason, unit);
	FILL(e, host, unit);
}

static void
test_max_length(void **state)
{
	static const char *const units[] = { "a", "\"", "\\", "\xff", "\xe2\x82\xac", "\x01" };
	struct evt e;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		base(&e, EVT_DELIVERY, EVT_STATUS_DEFERRED);
		set_ip(&e, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
		e.source = "authpolicy";
		e.size = UINT64_MAX;
		e.nrcpt = e.attempts = UINT32_MAX;
		e.score = -1.7976931348623157e308;
		e.time = INT64_C(253402300799);
		e.usec = 999999;
		e.flags |= EVT_REPEAT;
		fill_all(&e, units[i]);
		if (units[i][0] == '\x01') {	/* control bytes: free text only */
			evt_clear(&e);
			e.type = EVT_REJECT;
			FILL(&e, reason, units[i]);
			FILL(&e, relay, units[i]);
		}
		round_trip(&e, &b);
		buf_release(&b);
	}
	/* one byte more than a field holds: refused (identity) or cut (text) */
	{
		char json[2048], err[128], acct[LIMIT_ACCOUNT_MAX + 1], reason[LIMIT_REASON_MAX + 8];

		memset(acct, 'a', sizeof(acct) - 1);
		acct[sizeof(acct) - 1] = '\0';
		snprintf(json, sizeof(json),
			 "{\"time\":\"2013-07-22T00:00:00Z\",\"type\":\"reject\",\"account\":\"%s\"}",
			 acct);
		assert_int_equal(fleet_evt_decode(json, strlen(json), &e, err, sizeof(err)), -1);
		assert_string_equal(err, "account: too long or a control byte");
		acct[sizeof(acct) - 2] = '\0';
		snprintf(json, sizeof(json),
			 "{\"time\":\"2013-07-22T00:00:00Z\",\"type\":\"reject\",\"account\":\"%s\"}",
			 acct);
		assert_int_equal(fleet_evt_decode(json, strlen(json), &e, err, sizeof(err)), 0);
		assert_int_equal(strlen(e.account), LIMIT_ACCOUNT_MAX - 1);
		/* reason of 68 euro signs (204 bytes): cut at a character */
		reason[0] = '\0';
		for (int k = 0; k < 68; k++)
			strcat(reason, "\xe2\x82\xac");
		snprintf(json, sizeof(json),
			 "{\"time\":\"2013-07-22T00:00:00Z\",\"type\":\"reject\",\"reason\":\"%s\"}",
			 reason);
		assert_int_equal(fleet_evt_decode(json, strlen(json), &e, err, sizeof(err)), 0);
		assert_int_equal(strlen(e.reason), 66 * 3);
	}
}

static void
test_flags_ips_numbers(void **state)
{
	static const char *const ips[] = {
		"192.0.2.1", "0.0.0.0", "255.255.255.255", "::", "::1", "2001:db8::1",
		"2001:db8:1:2:3:4:5:6", "fe80::1",
	};
	static const double scores[] = { 0, -0.0, 8.2, -1.21, 1e-300, 5e300, 1.0 / 3 };
	struct evt e, d;
	struct buf b;
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		base(&e, EVT_AUTH_SUCCESS, EVT_STATUS_NONE);
		set_ip(&e, ips[i]);
		e.flags |= EVT_REPEAT;
		round_trip(&e, &b);
		assert_non_null(strstr(b.data, ",\"repeat\":true"));
		buf_release(&b);
	}
	/* IPv4-mapped IPv6 is IPv4 once parsed, as from a log line */
	base(&e, EVT_AUTH_SUCCESS, EVT_STATUS_NONE);
	set_ip(&e, "::ffff:198.51.100.7");
	assert_string_equal(e.ip, "198.51.100.7");
	assert_int_equal(e.addr.family, 4);
	round_trip(&e, &b);
	buf_release(&b);
	/* each flag alone (sender "" is the null sender) */
	for (i = 0; i < 6; i++) {
		base(&e, EVT_MESSAGE_ACCEPTED, EVT_STATUS_NONE);
		e.flags = 1u << i;
		round_trip(&e, &b);
		buf_release(&b);
	}
	/* scores: exact, signed zero, non-finite */
	for (i = 0; i < sizeof(scores) / sizeof(scores[0]); i++) {
		base(&e, EVT_SPAM_CHECK, EVT_STATUS_SPAM);
		e.score = scores[i];
		round_trip(&e, &b);
		buf_release(&b);
	}
	/* past what evt_json's "%.1f" can write (60 digits): in "fleet" only */
	base(&e, EVT_SPAM_CHECK, EVT_STATUS_SPAM);
	e.score = 5e300;
	round_trip(&e, &b);
	assert_null(strstr(b.data, "\"status\":\"spam\",\"score\""));
	assert_non_null(strstr(b.data, "\"score\":5.0000000000000003e+300"));
	buf_release(&b);
	e.score = NAN;
	round_trip(&e, &b);
	assert_null(strstr(b.data, ",\"score\":null"));
	assert_non_null(strstr(b.data, "\"score\":\"nan\""));
	buf_release(&b);
	e.score = -INFINITY;
	round_trip(&e, &b);
	buf_release(&b);
	/* a size past what a JSON integer carries here */
	base(&e, EVT_MESSAGE_ACCEPTED, EVT_STATUS_NONE);
	e.size = (uint64_t)INT64_MAX + 1;
	round_trip(&e, &b);
	assert_non_null(strstr(b.data, "\"size\":\"9223372036854775808\""));
	buf_release(&b);
	e.size = (uint64_t)INT64_MAX;
	round_trip(&e, &b);
	assert_non_null(strstr(b.data, ",\"size\":9223372036854775807"));
	buf_release(&b);
	/* times: the first and last second evt_json writes as they are, usec */
	base(&e, EVT_REJECT, EVT_STATUS_NONE);
	e.time = INT64_C(-62167219200);
	e.usec = 0;
	round_trip(&e, &b);
	assert_non_null(strstr(b.data, "\"time\":\"0000-01-01T00:00:00Z\""));
	buf_release(&b);
	e.time = INT64_C(253402300799);
	e.usec = 999999;
	round_trip(&e, &b);
	assert_non_null(strstr(b.data, "\"time\":\"9999-12-31T23:59:59Z\""));
	buf_release(&b);
	e.time = -1;
	round_trip(&e, &b);
	buf_release(&b);
	e.time = 951782400;	/* 2000-02-29 */
	round_trip(&e, &b);
	buf_release(&b);
	/* what the codec cannot carry: refused, b unchanged */
	buf_init(&b, 0);
	buf_append_str(&b, "x");
	e.time = INT64_C(253402300800);
	assert_int_equal(fleet_evt_encode(&e, &b), -1);
	e.time = INT64_C(-62167219201);
	assert_int_equal(fleet_evt_encode(&e, &b), -1);
	e.time = T0;
	e.usec = 1000000;
	assert_int_equal(fleet_evt_encode(&e, &b), -1);
	e.usec = 0;
	e.type = (enum evt_type)42;
	assert_int_equal(fleet_evt_encode(&e, &b), -1);
	e.type = EVT_REJECT;
	e.status = (enum evt_status)42;
	assert_int_equal(fleet_evt_encode(&e, &b), -1);
	assert_string_equal(b.data, "x");
	/* a buffer too small: nothing appended */
	b.max = 64;
	e.status = EVT_STATUS_NONE;
	assert_int_equal(fleet_evt_encode(&e, &b), -1);
	assert_string_equal(b.data, "x");
	buf_release(&b);
	/* decoding a time with a fraction, as RFC 3339 allows */
	{
		const char *j = "{\"time\":\"2013-07-22T00:00:01.25Z\",\"type\":\"reject\"}";

		assert_int_equal(fleet_evt_decode(j, strlen(j), &d, err, sizeof(err)), 0);
		assert_int_equal(d.time, T0 + 1);
		assert_int_equal(d.usec, 250000);
	}
}

static void
test_sources(void **state)
{
	static const char *const known[] = {
		"postfix", "dovecot", "qmail", "vpopmail", "courier", "cyrus",
		"uwimap", "sendmail", "exim", "spamd", "policy", "authpolicy",
	};
	char json[256], err[128];
	struct evt e, d;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		base(&e, EVT_AUTH_SUCCESS, EVT_STATUS_NONE);
		e.source = known[i];
		round_trip(&e, &b);
		buf_release(&b);
	}
	snprintf(json, sizeof(json),
		 "{\"time\":\"2013-07-22T00:00:00Z\",\"type\":\"reject\",\"source\":\"smtpd\"}");
	assert_int_equal(fleet_evt_decode(json, strlen(json), &d, err, sizeof(err)), 0);
	assert_string_equal(d.source, "fleet");
	snprintf(json, sizeof(json), "{\"time\":\"2013-07-22T00:00:00Z\",\"type\":\"reject\"}");
	assert_int_equal(fleet_evt_decode(json, strlen(json), &d, err, sizeof(err)), 0);
	assert_null(d.source);
}

static void
expect_err(const char *json, const char *want)
{
	char err[160];
	struct evt e;

	if (fleet_evt_decode(json, strlen(json), &e, err, sizeof(err)) != -1)
		fail_msg("decoded: %s", json);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("want \"%s...\", got \"%s\" for %s", want, err, json);
	assert_int_equal(e.type, EVT_NONE);
	assert_string_equal(e.account, "");
}

#define TT "{\"time\":\"2013-07-22T00:00:00Z\",\"type\":\"auth_failure\""

static void
test_decode_errors(void **state)
{
	char *big;
	struct evt e;
	char err[128];
	const char *ok;

	(void)state;
	expect_err("", "json: ");
	expect_err("[]", "json: not an object");
	expect_err("{\"time\":\"2013-07-22T00:00:00Z\"} x", "json: ");
	expect_err(TT ",\"account\":\"a\",\"account\":\"b\"}", "json: ");
	expect_err("{\"type\":\"reject\"}", "time: missing");
	expect_err("{\"time\":1,\"type\":\"reject\"}", "time: not an RFC 3339");
	expect_err("{\"time\":\"2013-13-22T00:00:00Z\",\"type\":\"reject\"}", "time: ");
	expect_err("{\"time\":\"2013-02-29T00:00:00Z\",\"type\":\"reject\"}", "time: ");
	expect_err("{\"time\":\"2013-07-22T24:00:00Z\",\"type\":\"reject\"}", "time: ");
	expect_err("{\"time\":\"2013-07-22T00:00:60Z\",\"type\":\"reject\"}", "time: ");
	expect_err("{\"time\":\"2013-07-22T00:00:00+00:00\",\"type\":\"reject\"}", "time: ");
	expect_err("{\"time\":\"2013-07-22T00:00:00.1234567Z\",\"type\":\"reject\"}", "time: ");
	expect_err("{\"time\":\"2013-07-22T00:00:00.Z\",\"type\":\"reject\"}", "time: ");
	expect_err("{\"time\":\"+013-07-22T00:00:00Z\",\"type\":\"reject\"}", "time: ");
	expect_err("{\"time\":\"2013-07-22T00:00:00Z\"}", "type: missing");
	expect_err("{\"time\":\"2013-07-22T00:00:00Z\",\"type\":\"login\"}", "type: unknown");
	expect_err(TT ",\"status\":\"\"}", "status: unknown");
	expect_err(TT ",\"status\":\"delivered\"}", "status: unknown");
	expect_err(TT ",\"source\":7}", "source: not a string");
	expect_err(TT ",\"account\":\"a\\u0001b\"}", "account: too long or a control byte");
	expect_err(TT ",\"account\":\"a\\u0000b\"}", "json: ");
	expect_err(TT ",\"recipient\":\"a\\nb\"}", "recipient: ");
	expect_err(TT ",\"host\":\"a\\u007fb\"}", "host: ");
	expect_err(TT ",\"qid\":[]}", "qid: not a string");
	expect_err(TT ",\"ip\":\"192.0.2.256\"}", "ip: not an address");
	expect_err(TT ",\"ip\":\"[192.0.2.1]\"}", "ip: ");
	expect_err(TT ",\"ip\":\"fe80::1%eth0\"}", "ip: ");
	expect_err(TT ",\"nrcpt\":-1}", "nrcpt: ");
	expect_err(TT ",\"nrcpt\":4294967296}", "nrcpt: ");
	expect_err(TT ",\"nrcpt\":1.0}", "nrcpt: ");
	expect_err(TT ",\"attempts\":\"3\"}", "attempts: ");
	expect_err(TT ",\"size\":-5}", "size: ");
	expect_err(TT ",\"size\":18446744073709551615}", "json: ");
	expect_err(TT ",\"score\":\"8.2\"}", "score: not a number");
	expect_err(TT ",\"score\":null}", "score: not a number");
	expect_err(TT ",\"repeat\":1}", "repeat: not a boolean");
	expect_err(TT ",\"fleet\":[]}", "fleet: not an object");
	expect_err(TT ",\"fleet\":{\"usec\":1000000}}", "fleet.usec: ");
	expect_err("{\"time\":\"2013-07-22T00:00:00.5Z\",\"type\":\"reject\",\"fleet\":{\"usec\":1}}",
		   "fleet.usec: disagrees");
	expect_err(TT ",\"fleet\":{\"dlv\":\"a\\tb\"}}", "fleet.dlv: ");
	expect_err(TT ",\"fleet\":{\"score\":\"NaN\"}}", "fleet.score: ");
	expect_err(TT ",\"fleet\":{\"size\":\"18446744073709551616\"}}", "fleet.size: ");
	expect_err(TT ",\"fleet\":{\"size\":\"\"}}", "fleet.size: ");
	expect_err(TT ",\"fleet\":{\"size\":12}}", "fleet.size: ");
	expect_err(TT ",\"fleet\":{\"raw\":\"ff\"}}", "fleet.raw: not an object");
	expect_err(TT ",\"fleet\":{\"raw\":{\"account\":\"ff\"}}}", "fleet.raw.account: without");
	expect_err(TT ",\"account\":\"x\",\"fleet\":{\"raw\":{\"account\":\"f\"}}}",
		   "fleet.raw.account: not hex");
	expect_err(TT ",\"account\":\"x\",\"fleet\":{\"raw\":{\"account\":\"FF\"}}}",
		   "fleet.raw.account: not lowercase hex");
	expect_err(TT ",\"account\":\"x\",\"fleet\":{\"raw\":{\"account\":\"ff0a\"}}}",
		   "fleet.raw.account: too long or a control byte");
	expect_err(TT ",\"reason\":\"x\",\"fleet\":{\"raw\":{\"reason\":\"ff00\"}}}",
		   "fleet.raw.reason: ");

	/* over 16 KiB, whatever it holds */
	big = malloc(FLEET_EVT_MAX + 2);
	memset(big, ' ', FLEET_EVT_MAX + 1);
	memcpy(big, TT "}", strlen(TT "}"));
	big[FLEET_EVT_MAX + 1] = '\0';
	expect_err(big, "json: over 16384 bytes");
	big[FLEET_EVT_MAX] = '\0';
	assert_int_equal(fleet_evt_decode(big, FLEET_EVT_MAX, &e, err, sizeof(err)), 0);
	free(big);

	/* unknown members, also in "fleet", are ignored; a plain `mailsentry
	 * events` line decodes; an errlen of 0 is fine */
	ok = TT ",\"future\":{\"x\":[1,2]},\"account\":\"joe\",\"fleet\":{\"v\":2,\"raw\":{\"x\":1}}}";
	assert_int_equal(fleet_evt_decode(ok, strlen(ok), &e, err, sizeof(err)), 0);
	assert_string_equal(e.account, "joe");
	assert_int_equal(fleet_evt_decode("x", 1, &e, NULL, 0), -1);
	ok = "{\"time\":\"2013-07-22T18:52:46Z\",\"source\":\"postfix\",\"service\":\"smtp\","
	     "\"type\":\"delivery\",\"account\":\"joe@example.com\",\"ip\":\"192.0.2.3\","
	     "\"qid\":\"4A1B\",\"sender\":\"\",\"recipient\":\"x@example.net\",\"status\":"
	     "\"bounced\",\"score\":null,\"fleet\":{\"score\":\"inf\"},\"dsn\":\"5.1.1\"}";
	assert_int_equal(fleet_evt_decode(ok, strlen(ok), &e, err, sizeof(err)), 0);
	assert_int_equal(e.flags, EVT_HAS_SENDER | EVT_HAS_SCORE);
	assert_true(isinf(e.score));
	assert_int_equal(e.addr.family, 4);
	assert_int_equal(e.status, EVT_STATUS_BOUNCED);
}

/* ---- real events -------------------------------------------------------- */

struct real {
	struct det *d1, *d2;
	struct buf b1, b2;
	uint64_t n, types[EVT_PUBLIC_END], usec, ipv6, repeat;
};

static void
real_sink(void *arg, const struct evt *e)
{
	struct real *r = arg;
	struct evt d;
	char err[128];

	buf_reset(&r->b1);
	buf_reset(&r->b2);
	assert_int_equal(fleet_evt_encode(e, &r->b1), 0);
	if (fleet_evt_decode(r->b1.data, r->b1.len, &d, err, sizeof(err)) != 0)
		fail_msg("decode: %s in %s", err, r->b1.data);
	if (!fleet_evt_same(e, &d))
		assert_det_fields(e, &d);
	assert_int_equal(fleet_evt_encode(&d, &r->b2), 0);
	if (r->b1.len != r->b2.len || memcmp(r->b1.data, r->b2.data, r->b1.len) != 0)
		fail_msg("re-encoded differs:\n%s\n%s", r->b1.data, r->b2.data);
	det_feed(r->d1, e);
	det_feed(r->d2, &d);
	r->n++;
	if (e->type < EVT_PUBLIC_END)
		r->types[e->type]++;
	r->usec += e->usec != 0;
	r->ipv6 += e->addr.family == 6;
	r->repeat += (e->flags & EVT_REPEAT) != 0;
}

static void
findings_text(struct det *d, struct buf *out)
{
	struct finding *const *f;
	size_t i, n = det_findings(d, &f);

	for (i = 0; i < n; i++) {
		finding_json(f[i], out);
		buf_append_char(out, '\n');
	}
}

static void
real_events(const char *format, const char *lines)
{
	const char *bdir = getenv("MS_BUILD_DIR");
	char log[256], cmd[1024];
	struct pipe_opts o = { 0 };
	struct pipe_stats st;
	struct det_conf c;
	struct real r;
	struct buf f1, f2;
	char *paths[1];
	size_t t;

	if (bdir == NULL)
		skip();
	snprintf(log, sizeof(log), "/tmp/test_fleet_codec.%ld.%s.log", (long)getpid(), format);
	snprintf(cmd, sizeof(cmd),
		 "'%s/msgen' --scenario=mixed --format=%s --framing=rfc3339 --lines=%s --seed=5 "
		 "-o '%s'",
		 bdir, format, lines, log);
	assert_int_equal(system(cmd), 0);

	memset(&r, 0, sizeof(r));
	assert_int_equal(conf_defaults(det_conf_defs, det_conf_ndefs, &c), 0);
	free(c.geoip_file);
	c.geoip_file = NULL;
	r.d1 = det_new(&c, NULL, NULL);
	r.d2 = det_new(&c, NULL, NULL);
	buf_init(&r.b1, 0);
	buf_init(&r.b2, 0);
	paths[0] = log;
	memset(&st, 0, sizeof(st));
	assert_int_equal(pipe_run(paths, 1, &o, real_sink, &r, &st), 0);
	unlink(log);
	det_finish(r.d1);
	det_finish(r.d2);

	print_message("%s: %" PRIu64 " events (usec %" PRIu64 ", ipv6 %" PRIu64 ", repeat %" PRIu64
		      ")\n",
		      format, r.n, r.usec, r.ipv6, r.repeat);
	assert_true(r.n >= 10000);
	assert_true(r.usec > r.n / 2);
	for (t = EVT_AUTH_SUCCESS; t <= EVT_BOUNCE; t++)
		assert_true(r.types[t] > 0);

	/* the detectors found the same in both streams */
	buf_init(&f1, 0);
	buf_init(&f2, 0);
	findings_text(r.d1, &f1);
	findings_text(r.d2, &f2);
	assert_true(f1.len > 0);
	assert_string_equal(f1.data, f2.data);
	print_message("%s: findings identical (%zu bytes)\n", format, f1.len);
	buf_release(&f1);
	buf_release(&f2);

	buf_release(&r.b1);
	buf_release(&r.b2);
	det_free(&r.d1);
	det_free(&r.d2);
	conf_free(det_conf_defs, det_conf_ndefs, &c);
}

static void
test_real_postfix(void **state)
{
	(void)state;
	real_events("postfix", "30000");
}

static void
test_real_qmail(void **state)
{
	(void)state;
	real_events("qmail", "40000");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types_statuses),	 cmocka_unit_test(test_evt_json_kept),
		cmocka_unit_test(test_hostile_strings),	 cmocka_unit_test(test_max_length),
		cmocka_unit_test(test_flags_ips_numbers), cmocka_unit_test(test_sources),
		cmocka_unit_test(test_decode_errors),	 cmocka_unit_test(test_real_postfix),
		cmocka_unit_test(test_real_qmail),
	};

	msg_set_quiet(true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
