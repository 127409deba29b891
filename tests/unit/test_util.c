/* test_util.c - util/: scan, netaddr, buf, jsonw, utf8, htab, timeconv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/htab.h"
#include "util/jsonw.h"
#include "util/netaddr.h"
#include "util/scan.h"
#include "util/strv.h"
#include "util/timeconv.h"
#include "util/utf8.h"

static void
test_scan(void **state)
{
	static const struct {
		const char *in;
		int rc;
		uint64_t want;
	} rows[] = {
		{ "0", 0, 0 },
		{ "42", 0, 42 },
		{ "18446744073709551615", 0, UINT64_MAX },	/* 2^64-1 */
		{ "18446744073709551616", -1, 0 },		/* 2^64 */
		{ "", -1, 0 },
		{ "-1", -1, 0 },
		{ " 1", -1, 0 },
		{ "1x", -1, 0 },
	};
	size_t i;
	uint32_t v32 = 7;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = 0xBADBEEF;

		assert_int_equal(scan_u64(rows[i].in, strlen(rows[i].in), &v), rows[i].rc);
		if (rows[i].rc == 0)
			assert_true(v == rows[i].want);
		else
			assert_true(v == 0xBADBEEF);	/* untouched on error */
	}
	assert_int_equal(scan_u32("4294967295", 10, &v32), 0);
	assert_true(v32 == UINT32_MAX);
	v32 = 7;
	assert_int_equal(scan_u32("4294967296", 10, &v32), -1);
	assert_int_equal(v32, 7);
}

static void
test_netaddr(void **state)
{
	static const struct {
		const char *in, *want, *net;
		unsigned prefix;
	} ok[] = {
		{ "192.0.2.1", "192.0.2.1", "192.0.2.0/24", 24 },
		{ "198.51.100.200", "198.51.100.200", "198.51.0.0/16", 16 },
		{ "::ffff:203.0.113.9", "203.0.113.9", "203.0.113.0/24", 24 },
		{ "2001:db8:1:2::15c8", "2001:db8:1:2::15c8", "2001:db8:1::/48", 48 },
		{ "IPv6:2001:db8::1", "2001:db8::1", "2001:db8::/48", 48 },
		{ "0.0.0.0", "0.0.0.0", "0.0.0.0/16", 16 },
	};
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "01234.1.1.1", "1..2.3",
		"2001:db8::1%eth0", "[192.0.2.1]", "unknown", "2001:db8:::1", "1.2.3.4:25",
	};
	char buf[NETADDR_STRLEN + 4];
	struct netaddr a, b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(netaddr_parse(ok[i].in, strlen(ok[i].in), &a), 0);
		netaddr_format(&a, buf);
		assert_string_equal(buf, ok[i].want);
		netaddr_format_net(&a, ok[i].prefix, buf);
		assert_string_equal(buf, ok[i].net);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&a, 0x5a, sizeof(a));
		assert_int_equal(netaddr_parse(bad[i], strlen(bad[i]), &a), -1);
		assert_int_equal(a.family, 0x5a);
	}
	netaddr_parse("192.0.2.1", 9, &a);
	netaddr_parse("::ffff:192.0.2.1", 16, &b);
	assert_true(netaddr_equal(&a, &b));
	assert_true(netaddr_hash(&a) == netaddr_hash(&b));
}

static void
test_buf_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_append(&b, "12345678", 8), 0);	/* at the limit */
	assert_int_equal(buf_append(&b, "9", 1), -1);		/* limit + 1 */
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "%d-%s", 7, "ab"), 0);
	assert_string_equal(b.data, "7-ab");
	buf_release(&b);
}

static void
test_jsonw(void **state)
{
	struct buf b;
	struct jw w;
	/* quote, backslash, control byte, valid UTF-8, invalid byte, overlong, surrogate */
	static const char in[] = "a\"b\\c\x01\xc3\xa9\xff\xc0\xaf\xed\xa0\x80z";

	(void)state;
	buf_init(&b, 0);
	jw_init(&w, &b);
	jw_obj_begin(&w);
	jw_kstr(&w, "s", in, sizeof(in) - 1);
	jw_kint(&w, "n", -5);
	jw_key(&w, "a");
	jw_arr_begin(&w);
	jw_uint(&w, 18446744073709551615ULL);
	jw_bool(&w, true);
	jw_null(&w);
	jw_double(&w, 2.25, 1);
	jw_arr_end(&w);
	jw_obj_end(&w);
	assert_string_equal(b.data,
			    "{\"s\":\"a\\\"b\\\\c\\u0001\xc3\xa9\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffdz\","
			    "\"n\":-5,\"a\":[18446744073709551615,true,null,2.2]}");
	buf_release(&b);
}

/* A huge number (a spam score of 1e300 in a log line) is written whole,
 * never read past the formatting buffer. */
static void
test_jsonw_huge_numbers(void **state)
{
	struct buf b;
	struct jw w;
	char want[800], d[400], m[400];
	size_t n;

	(void)state;
	snprintf(d, sizeof(d), "%.1f", 5e300);
	snprintf(m, sizeof(m), "%.3f", -1.7976931348623157e308);
	n = strlen(m);
	assert_string_equal(m + n - 4, ".000");
	m[n - 4] = '\0';	/* jw_num drops trailing zeros and the point */
	snprintf(want, sizeof(want), "[%s,%s]", d, m);
	assert_true(strlen(d) > 300 && strlen(m) > 300);
	buf_init(&b, 0);
	jw_init(&w, &b);
	jw_arr_begin(&w);
	jw_double(&w, 5e300, 1);
	jw_num(&w, -1.7976931348623157e308, 3);
	jw_arr_end(&w);
	buf_append(&b, "", 1);
	assert_string_equal(b.data, want);
	buf_release(&b);
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(utf8_valid("plain", 5));
	assert_true(utf8_valid("\xf0\x9f\x98\x8d", 4));		/* U+1F60D */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	assert_false(utf8_valid("\xe2\x82", 2));		/* truncated */
	assert_false(utf8_valid("\xc1\xbf", 2));		/* overlong */
}

static void
test_htab(void **state)
{
	struct htab *h = htab_new();
	char key[32];
	size_t i, pos = 0, seen = 0;
	bool created;
	void *v;

	(void)state;
	for (i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof(key), "k%zu", i);
		void **slot = htab_put(h, key, (size_t)n, &created);

		assert_true(created);
		*slot = (void *)(uintptr_t)(i + 1);
	}
	assert_int_equal(htab_count(h), 5000);
	/* delete every other key; the rest must stay reachable (backward shift) */
	for (i = 0; i < 5000; i += 2) {
		int n = snprintf(key, sizeof(key), "k%zu", i);

		assert_true(htab_del(h, key, (size_t)n) == (void *)(uintptr_t)(i + 1));
	}
	for (i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof(key), "k%zu", i);

		v = htab_get(h, key, (size_t)n);
		if (i % 2 == 0)
			assert_null(v);
		else
			assert_true(v == (void *)(uintptr_t)(i + 1));
	}
	while (htab_next(h, &pos, NULL, NULL, &v))
		seen++;
	assert_int_equal(seen, 2500);
	memset(key, 'x', sizeof(key));
	assert_null(htab_put(h, key, HTAB_KEY_MAX + 1, NULL) == NULL ? NULL : (void *)1);
	htab_free(&h, NULL);
	assert_null(h);
}

static void
test_timeconv(void **state)
{
	char buf[TIMECONV_RFC3339_LEN];
	int y;
	unsigned m, d;

	(void)state;
	assert_true(timeconv_utc(2013, 7, 22, 18, 52, 46) == 1374519166);
	timeconv_format_utc(1374519166, buf);
	assert_string_equal(buf, "2013-07-22T18:52:46Z");
	timeconv_format_utc(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	timeconv_civil_from_days(timeconv_days_from_civil(2024, 2, 29), &y, &m, &d);
	assert_int_equal(y, 2024);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
	assert_int_equal(timeconv_mdays(2023, 2), 28);
	assert_int_equal(timeconv_mdays(2000, 2), 29);
	assert_int_equal(timeconv_mdays(1900, 2), 28);
	assert_int_equal(timeconv_month("Dec"), 12);
	assert_int_equal(timeconv_month("dec"), 0);
	/* ctest runs with TZ=UTC */
	assert_true(timeconv_local_to_utc(2013, 7, 22, 18, 52, 46) == 1374519166);
}

static void
test_strv(void **state)
{
	char out[16];

	(void)state;
	assert_non_null(strv_find(STRV_LIT("abcabd"), STRV_LIT("abd")));
	assert_null(strv_find(STRV_LIT("abcab"), STRV_LIT("abd")));
	assert_true(strv_eq_nocase(STRV_LIT("User@Example.COM"), STRV_LIT("user@example.com")));
	strv_printable(STRV_LIT("a\x1b[0m\\"), out, sizeof(out));
	assert_string_equal(out, "a\\x1b[0m\\x5c");
	strv_printable(STRV_LIT("0123456789abcdefgh"), out, sizeof(out));
	assert_int_equal(strlen(out), 15);	/* cut, terminated */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan),	 cmocka_unit_test(test_netaddr),
		cmocka_unit_test(test_buf_limit), cmocka_unit_test(test_jsonw),
		cmocka_unit_test(test_jsonw_huge_numbers),
		cmocka_unit_test(test_utf8),	 cmocka_unit_test(test_htab),
		cmocka_unit_test(test_timeconv), cmocka_unit_test(test_strv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
