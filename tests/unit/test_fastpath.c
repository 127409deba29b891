/* test_fastpath.c - the hand-written fast paths against their definitions:
 * jw_escape (8 bytes at a time) against jw_escape_bytewise, netaddr's
 * IPv4/IPv6 text against inet_ntop, timeconv_format_utc's date cache,
 * evt_json's direct writer against the expected text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/evt.h"
#include "util/buf.h"
#include "util/jsonw.h"
#include "util/netaddr.h"
#include "util/timeconv.h"

/* A small deterministic generator (no rand(): same cases everywhere). */
static uint64_t
fp_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static void
fp_escape_same(const char *p, size_t len)
{
	struct buf fast, ref;

	buf_init(&fast, 0);
	buf_init(&ref, 0);
	buf_append(&fast, "x", 1);	/* not at the start of the buffer */
	buf_append(&ref, "x", 1);
	jw_escape(&fast, p, len);
	jw_escape_bytewise(&ref, p, len);
	assert_int_equal(fast.len, ref.len);
	assert_memory_equal(fast.data, ref.data, ref.len);
	assert_int_equal(fast.data[fast.len], '\0');
	buf_release(&fast);
	buf_release(&ref);
}

/* Every byte that needs work, at every offset of strings of 0..40 bytes:
 * the 8-byte words, their boundaries and the overlapping last word. */
static void
test_escape_positions(void **state)
{
	static const char *const specials[] = {
		"\"", "\\", "\n", "\t", "\r", "\x01", "\x1f", "\x7f", "\x80", "\xff",
		"\xc3\xa9",		/* é, split across a word boundary at some offsets */
		"\xe2\x82\xac",		/* € */
		"\xf0\x9f\x98\x8d",	/* U+1F60D */
		"\xc3",			/* truncated: invalid at the end */
		"\xe2\x82",		/* truncated */
		"\xf0\x9f\x98",		/* truncated */
		"\xc0\xaf",		/* overlong */
		"\xed\xa0\x80",		/* surrogate */
		"\xf4\x90\x80\x80",	/* past U+10FFFF */
		" ", "~", "!#",		/* plain neighbours of '"' and 0x20 */
		"\x00",
	};
	char s[64];
	size_t len, pos, k;

	(void)state;
	for (len = 0; len <= 40; len++) {
		memset(s, 'a', sizeof(s));
		fp_escape_same(s, len);
		for (k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
			size_t sl = strlen(specials[k]) ? strlen(specials[k]) : 1;

			for (pos = 0; pos + sl <= len; pos++) {
				memset(s, 'a', sizeof(s));
				memcpy(s + pos, specials[k], sl);
				fp_escape_same(s, len);
				/* two at once: the second hidden behind the first's flag */
				if (pos + sl + 3 <= len) {
					s[pos + sl + 2] = '"';
					fp_escape_same(s, len);
				}
			}
		}
	}
}

/* jw_escape_raw8: a short string inside a bigger array, with bytes after
 * it that must not leak into the output, at every length and position. */
static void
test_escape_raw8(void **state)
{
	static const char special[] = { '"', '\\', '\n', 0x01, 0x7f, (char)0x80, (char)0xc3, 'a', 0 };
	char arr[24], out[24 * 6 + 8];
	struct buf ref;

	(void)state;
	for (size_t len = 0; len <= 16; len++) {
		for (size_t pos = 0; pos <= len; pos++) {
			for (size_t k = 0; k < sizeof(special); k++) {
				char *end;

				memset(arr, '"', sizeof(arr));	/* after the string: bytes to escape */
				memset(arr, 'x', len);
				if (pos < len)
					arr[pos] = special[k];
				end = jw_escape_raw8(out, arr, len);
				buf_init(&ref, 0);
				jw_escape_bytewise(&ref, arr, len);
				assert_int_equal((size_t)(end - out), ref.len);
				if (ref.len > 0)
					assert_memory_equal(out, ref.data, ref.len);
				buf_release(&ref);
			}
		}
	}
}

/* Random strings over an alphabet rich in bytes that need work. */
static void
test_escape_random(void **state)
{
	static const char alpha[] = "abcXYZ019 .:@<>\"\\\n\t\r\x01\x1f\x7f\x80\xbf\xc2\xc3\xa9\xe2\x82"
				    "\xac\xed\xa0\xf0\x9f\x98\x8d\xf4\x90\xff";
	uint64_t seed = 7;
	char s[300];

	(void)state;
	for (int n = 0; n < 20000; n++) {
		size_t len = fp_rand(&seed) % (n < 10000 ? 24 : sizeof(s));

		for (size_t i = 0; i < len; i++)
			s[i] = alpha[fp_rand(&seed) % (sizeof(alpha) - 1)];
		fp_escape_same(s, len);
	}
}

/* A buffer whose max cannot take the worst case falls back to the pieces,
 * cut as before; one that can, escapes whole. */
static void
test_escape_limit(void **state)
{
	static const char in[] = "abc\"defghijklmnopq\x01rstu";
	struct buf fast, ref;
	size_t max;

	(void)state;
	for (max = 0; max < 6 * sizeof(in) + 16; max++) {
		buf_init(&fast, max);
		buf_init(&ref, max);
		jw_escape(&fast, in, sizeof(in) - 1);
		jw_escape_bytewise(&ref, in, sizeof(in) - 1);
		assert_int_equal(fast.len, ref.len);
		if (ref.len > 0)
			assert_memory_equal(fast.data, ref.data, ref.len);
		buf_release(&fast);
		buf_release(&ref);
	}
}

static void
fp_v6_same(const uint8_t b[16])
{
	char want[INET6_ADDRSTRLEN], got[NETADDR_STRLEN];
	struct netaddr a;

	a.family = 6;
	memcpy(a.bytes, b, 16);
	assert_non_null(inet_ntop(AF_INET6, b, want, sizeof(want)));
	assert_int_equal(netaddr_format(&a, got), strlen(want));
	assert_string_equal(got, want);
}

/* netaddr_format's IPv6 text is inet_ntop's, byte for byte: every pattern
 * of zero groups, with small, large and ffff groups, and the dotted tails. */
static void
test_format6(void **state)
{
	static const unsigned vals[] = { 1, 0xa, 0x10, 0xab, 0x100, 0xfff, 0x1000, 0xffff, 0x2001 };
	uint8_t b[16];
	uint64_t seed = 3;

	(void)state;
	for (unsigned mask = 0; mask < 256; mask++) {
		for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
			for (int i = 0; i < 8; i++) {
				unsigned w = (mask >> i & 1) ? vals[(v + (size_t)i) % 9] : 0;

				b[2 * i] = (uint8_t)(w >> 8);
				b[2 * i + 1] = (uint8_t)w;
			}
			fp_v6_same(b);
			/* the ::ffff:a.b.c.d and ::a.b.c.d shapes */
			b[10] = b[11] = 0xff;
			fp_v6_same(b);
		}
	}
	for (int n = 0; n < 20000; n++) {
		for (int i = 0; i < 16; i++)
			b[i] = (fp_rand(&seed) & 3) ? 0 : (uint8_t)fp_rand(&seed);
		fp_v6_same(b);
	}
}

/* Address text as it was parsed and formatted before the fast paths. */
static void
test_addr_text(void **state)
{
	static const struct {
		const char *in, *want;	/* want NULL: not an address */
	} rows[] = {
		{ "192.0.2.1", "192.0.2.1" },
		{ "0.0.0.0", "0.0.0.0" },
		{ "255.255.255.255", "255.255.255.255" },
		{ "010.000.002.099", "10.0.2.99" },	/* leading zeros: read as decimal */
		{ "198.51.100.07", "198.51.100.7" },
		{ "0001.2.3.4", NULL },		/* four digits */
		{ "256.0.0.1", NULL },
		{ "1.2.3.256", NULL },
		{ "1.2.3.999", NULL },
		{ "1.2.3.", NULL },
		{ ".1.2.3", NULL },
		{ "1.2.3.4.", NULL },
		{ "1.2.3.-4", NULL },
		{ "::ffff:192.0.2.1", "192.0.2.1" },	/* mapped: IPv4 */
		{ "::FFFF:192.0.2.1", "192.0.2.1" },
		{ "::ffff:c000:201", "192.0.2.1" },
		{ "::ffff:0:1", "0.0.0.1" },
		{ "::192.0.2.1", "::192.0.2.1" },	/* compatible: stays IPv6 */
		{ "::1", "::1" },
		{ "::", "::" },
		{ "2001:DB8::1", "2001:db8::1" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
		{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
		{ "2001:db8::ffff:192.0.2.1", "2001:db8::ffff:c000:201" },
		{ "IPv6:2001:db8::2", "2001:db8::2" },
		{ "ipv6:192.0.2.3", "192.0.2.3" },
		{ "IPv6:::ffff:192.0.2.4", "192.0.2.4" },
		{ "2001:db8::1%eth0", NULL },
		{ "[2001:db8::1]", NULL },
		{ "2001:db8::g", NULL },
	};
	char buf[NETADDR_STRLEN];
	struct netaddr a;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = netaddr_parse(rows[i].in, strlen(rows[i].in), &a);

		if (rows[i].want == NULL) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(netaddr_format(&a, buf), strlen(rows[i].want));
		assert_string_equal(buf, rows[i].want);
	}
	/* every IPv4 octet, and the /prefix text */
	for (unsigned v = 0; v < 256; v++) {
		char want[32];

		a.family = 4;
		a.bytes[0] = a.bytes[3] = (uint8_t)v;
		a.bytes[1] = a.bytes[2] = (uint8_t)(255 - v);
		snprintf(want, sizeof(want), "%u.%u.%u.%u", v, 255 - v, 255 - v, v);
		netaddr_format(&a, buf);
		assert_string_equal(buf, want);
	}
	{
		char net[NETADDR_STRLEN + 4];

		netaddr_parse("2001:db8:1:2::15c8", 18, &a);
		assert_int_equal(netaddr_format_net(&a, 200, net), strlen("2001:db8:1:2::15c8/128"));
		assert_string_equal(net, "2001:db8:1:2::15c8/128");
		netaddr_format_net(&a, 0, net);
		assert_string_equal(net, "::/0");
		netaddr_parse("192.0.2.77", 10, &a);
		netaddr_format_net(&a, 9, net);
		assert_string_equal(net, "192.0.0.0/9");
	}
}

/* The per-thread date cache: going back and forth between days, and the
 * clamped years, give what the calendar says. */
static void
test_time_cache(void **state)
{
	static const struct {
		int64_t t;
		const char *want;
	} rows[] = {
		{ 1374519166, "2013-07-22T18:52:46Z" },
		{ 1374519167, "2013-07-22T18:52:47Z" },
		{ 1374537599, "2013-07-22T23:59:59Z" },
		{ 1374537600, "2013-07-23T00:00:00Z" },
		{ 1374519166, "2013-07-22T18:52:46Z" },
		{ 0, "1970-01-01T00:00:00Z" },
		{ -1, "1969-12-31T23:59:59Z" },
		{ -86400, "1969-12-31T00:00:00Z" },
		{ -86401, "1969-12-30T23:59:59Z" },
		{ 951782400, "2000-02-29T00:00:00Z" },
		{ 253402300799, "9999-12-31T23:59:59Z" },
		{ 253402300800, "0000-01-01T00:00:00Z" },	/* past 9999: year 0 */
		{ 1374519166, "2013-07-22T18:52:46Z" },
	};
	char buf[TIMECONV_RFC3339_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(timeconv_format_utc(rows[i].t, buf), 20);
		assert_string_equal(buf, rows[i].want);
	}
}

#define FP_SET(dst, s) snprintf((dst), sizeof(dst), "%s", (s))

static void
fp_full_evt(struct evt *e)
{
	evt_clear(e);
	e->type = EVT_DELIVERY;
	e->status = EVT_STATUS_BOUNCED;
	e->source = "postfix";
	e->time = 1374519166;
	e->flags = EVT_HAS_SENDER | EVT_HAS_NRCPT | EVT_HAS_SIZE | EVT_HAS_ATTEMPTS |
		   EVT_HAS_SCORE | EVT_REPEAT;
	e->nrcpt = 4294967295u;
	e->size = 18446744073709551615ULL;
	e->attempts = 0;
	e->score = -12.25;
	FP_SET(e->service, "smtp");
	FP_SET(e->account, "u\"ser\\@example.com");
	FP_SET(e->ip, "2001:db8::1");
	FP_SET(e->mech, "PLAIN");
	FP_SET(e->qid, "4PbCZy4PWKz3tBr");
	FP_SET(e->dsn, "5.1.1");
	FP_SET(e->ndr_qid, "3A452D963D");
	FP_SET(e->recipient, "r@example.org");
	FP_SET(e->relay, "mx.example.net[192.0.2.1]:25");
	FP_SET(e->reason, "caf\xc3\xa9 \xff\tend\x01");
	FP_SET(e->host, "mx1");
}

/* evt_json keeps its field order and its text; a buffer too small for the
 * longest object gets the whole object or nothing. */
static void
test_evt_json(void **state)
{
	static const char want[] =
		"{\"time\":\"2013-07-22T18:52:46Z\",\"source\":\"postfix\",\"service\":\"smtp\","
		"\"type\":\"delivery\",\"account\":\"u\\\"ser\\\\@example.com\",\"ip\":\"2001:db8::1\","
		"\"mech\":\"PLAIN\",\"qid\":\"4PbCZy4PWKz3tBr\",\"sender\":\"\",\"recipient\":\"r@example.org\","
		"\"nrcpt\":4294967295,\"size\":18446744073709551615,\"status\":\"bounced\","
		"\"score\":-12.2,\"dsn\":\"5.1.1\",\"relay\":\"mx.example.net[192.0.2.1]:25\","
		"\"ndr_qid\":\"3A452D963D\",\"attempts\":0,\"reason\":\"caf\xc3\xa9 \\ufffd\\tend\\u0001\","
		"\"repeat\":true,\"host\":\"mx1\"}";
	struct evt e;
	struct buf b;

	(void)state;
	fp_full_evt(&e);
	buf_init(&b, 0);
	buf_append(&b, "[", 1);
	evt_json(&e, &b);
	assert_string_equal(b.data + 1, want);
	buf_release(&b);

	/* the minimum: time, type; no source */
	evt_clear(&e);
	e.type = EVT_AUTH_FAILURE;
	buf_init(&b, 0);
	evt_json(&e, &b);
	assert_string_equal(b.data, "{\"time\":\"1970-01-01T00:00:00Z\",\"type\":\"auth_failure\"}");
	buf_release(&b);

	/* sources: alternating, one to escape, one too long for the kept text */
	{
		static const char *const srcs[] = { "postfix", "dovecot", "a\"b\\c",
						     "a-source-name-far-too-long-to-keep-its-json-text-around-x",
						     "postfix" };
		char want2[256];

		for (int round = 0; round < 2; round++) {
			for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
				struct buf esc;

				evt_clear(&e);
				e.type = EVT_BOUNCE;
				e.source = srcs[i];
				buf_init(&esc, 0);
				jw_escape_bytewise(&esc, srcs[i], strlen(srcs[i]));
				snprintf(want2, sizeof(want2),
					 "{\"time\":\"1970-01-01T00:00:00Z\",\"source\":\"%s\",\"type\":\"bounce\"}",
					 esc.data);
				buf_release(&esc);
				buf_init(&b, 0);
				evt_json(&e, &b);
				assert_string_equal(b.data, want2);
				buf_release(&b);
			}
		}
	}

	/* a bounded buffer: all or nothing */
	fp_full_evt(&e);
	buf_init(&b, sizeof(want) - 1);
	evt_json(&e, &b);
	assert_string_equal(b.data, want);
	buf_release(&b);
	buf_init(&b, sizeof(want) - 2);
	evt_json(&e, &b);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_positions), cmocka_unit_test(test_escape_random),
		cmocka_unit_test(test_escape_raw8),
		cmocka_unit_test(test_escape_limit),	 cmocka_unit_test(test_format6),
		cmocka_unit_test(test_addr_text),	 cmocka_unit_test(test_time_cache),
		cmocka_unit_test(test_evt_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
