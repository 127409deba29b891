/* test_geoip.c - util/geoip: Tor GeoIP files, overlaps, malformed lines, lookups
 * Temporary files carry documentation ranges only; the lookup of a few
 * public resolvers runs against /usr/share/tor/geoip when it is installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testdir.h"
#include "util/geoip.h"
#include "util/netaddr.h"

static char test_dir[] = "/tmp/test_geoip_XXXXXX";

static int
geoip_setup(void **state)
{
	(void)state;
	return testdir_create(test_dir);
}

static int
geoip_teardown(void **state)
{
	(void)state;
	return testdir_remove(test_dir);
}

/* Write len bytes to test_dir/name; returns the path (static buffer per name slot). */
static const char *
test_file(const char *name, const char *text, size_t len)
{
	static char paths[4][256];
	static int slot;
	char *path = paths[slot++ % 4];
	FILE *fp;

	snprintf(path, sizeof(paths[0]), "%s/%s", test_dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static uint16_t
test_lookup(const struct geoip *g, const char *addr)
{
	struct netaddr a;

	assert_int_equal(netaddr_parse(addr, strlen(addr), &a), 0);
	return geoip_country(g, &a);
}

static void
test_expect(const struct geoip *g, const char *addr, const char *want)
{
	char code[3];
	uint16_t cc = test_lookup(g, addr);

	if (want == NULL) {
		if (cc != 0)
			fail_msg("%s: want unknown, got %04x", addr, cc);
		return;
	}
	geoip_code(cc, code);
	if (strcmp(code, want) != 0)
		fail_msg("%s: want %s, got %s", addr, want, code);
}

static const char test_v4[] =
	"# Tor geoip test file\n"
	"\n"
	"   # indented comment\n"
	"3325256704,3325256959,US\n"		/* 198.51.100.0/24, before 192.0.2 */
	"3221225984,3221226239,DE\n"		/* 192.0.2.0/24 */
	"3221226112,3221226175,FR\r\n"		/* 192.0.2.128/26 nested, CRLF */
	"3325256704,3325256959,CA\n"		/* identical to the US line: later wins */
	"3405803840,3405804031,BE\n"		/* 203.0.113.64-255, crossing: */
	"3405803776,3405803903,NL\n"		/* 203.0.113.0-127 (sorted after BE) */
	"167772160,184549375,??\n"		/* Tor's unknown: skipped, not malformed */
	"4294967040,4294967295,gb\n"		/* 255.255.255.0/24, lower case, at the top */
	"abc,def,DE\n"				/* malformed from here */
	"1,2\n"
	"5,4,DE\n"
	"4294967296,4294967297,DE\n"
	"1,2,D\n"
	"1,2,D1\n"
	"1,2,DEU\n"
	"-1,2,DE\n"
	"1,,DE\n"
	"2001:db8::,2001:db8::ff,DE\n"
	"1,2,D\0E\n";					/* NUL byte */

static void
test_v4_file(void **state)
{
	char longline[GEOIP_LINE_MAX + 64];
	char text[sizeof(test_v4) + sizeof(longline) + 64];
	size_t len = sizeof(test_v4) - 1;
	struct geoip *g;

	(void)state;
	memcpy(text, test_v4, len);
	memset(longline, '1', sizeof(longline));	/* one malformed too-long line */
	memcpy(text + len, longline, sizeof(longline));
	len += sizeof(longline);
	memcpy(text + len, ",2,DE\n3221225984,3221225984,IT", 30);	/* last line: no newline */
	len += 30;
	g = geoip_open(test_file("v4", text, len), test_file("absent", "", 0));
	assert_non_null(g);
	assert_int_equal(geoip_ranges(g), 8);
	assert_int_equal(geoip_malformed(g), 12);
	test_expect(g, "192.0.2.0", "IT");		/* single address, later start */
	test_expect(g, "192.0.2.1", "DE");
	test_expect(g, "192.0.2.127", "DE");
	test_expect(g, "192.0.2.128", "FR");
	test_expect(g, "192.0.2.191", "FR");
	test_expect(g, "192.0.2.192", "DE");
	test_expect(g, "192.0.2.255", "DE");
	test_expect(g, "::ffff:192.0.2.130", "FR");
	test_expect(g, "192.0.1.255", NULL);
	test_expect(g, "192.0.3.0", NULL);
	test_expect(g, "198.51.100.0", "CA");
	test_expect(g, "198.51.100.255", "CA");
	test_expect(g, "203.0.113.0", "NL");
	test_expect(g, "203.0.113.63", "NL");
	test_expect(g, "203.0.113.64", "BE");	/* the later start wins the overlap */
	test_expect(g, "203.0.113.255", "BE");
	test_expect(g, "203.0.114.0", NULL);
	test_expect(g, "10.1.2.3", NULL);
	test_expect(g, "0.0.0.0", NULL);
	test_expect(g, "255.255.255.255", "GB");
	test_expect(g, "255.255.254.255", NULL);
	test_expect(g, "2001:db8::1", NULL);	/* no IPv6 data */
	geoip_free(&g);
	assert_null(g);
	geoip_free(&g);
}

static const char test_v6[] =
	"# IPv6\n"
	"2001:db8:1::,2001:db8:1:ffff:ffff:ffff:ffff:ffff,NO\n"
	"2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,SE\n"
	"ffff::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,FI\n"
	"2001:db8:2::,2001:db8:2::ff,??\n"
	"2001:db8::g,2001:db8::1,SE\n"			/* malformed from here */
	"2001:db8::2,2001:db8::1,SE\n"
	"3221225984,3221226239,DE\n"
	"2001:db8::%eth0,2001:db8::1,SE\n"
	"[2001:db8::],2001:db8::1,SE\n";

static void
test_v6_file(void **state)
{
	struct geoip *g;

	(void)state;
	g = geoip_open(test_file("empty4", "", 0), test_file("v6", test_v6, sizeof(test_v6) - 1));
	assert_non_null(g);
	assert_int_equal(geoip_ranges(g), 3);
	assert_int_equal(geoip_malformed(g), 5);
	test_expect(g, "2001:db8::1", "SE");
	test_expect(g, "2001:db8:0:ffff::1", "SE");
	test_expect(g, "2001:db8:1::", "NO");
	test_expect(g, "2001:db8:1:ffff:ffff:ffff:ffff:ffff", "NO");
	test_expect(g, "2001:db8:2::1", "SE");	/* "??" inside SE leaves SE */
	test_expect(g, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "SE");
	test_expect(g, "2001:db9::", NULL);
	test_expect(g, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", NULL);
	test_expect(g, "::", NULL);
	test_expect(g, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "FI");
	test_expect(g, "192.0.2.1", NULL);		/* no IPv4 data (empty file) */
	geoip_free(&g);
}

static void
test_absent(void **state)
{
	char p4[300], p6[300];
	struct netaddr a = { 0, { 0 } };
	struct geoip *g;
	char code[3];

	(void)state;
	snprintf(p4, sizeof(p4), "%s/none4", test_dir);
	snprintf(p6, sizeof(p6), "%s/none6", test_dir);
	assert_null(geoip_open(p4, p6));
	assert_null(geoip_open("", ""));
	assert_int_equal(geoip_country(NULL, &a), 0);
	assert_int_equal(geoip_ranges(NULL), 0);
	g = geoip_open(test_file("empty", "", 0), p6);	/* exists, no data */
	assert_non_null(g);
	assert_int_equal(geoip_ranges(g), 0);
	assert_int_equal(geoip_country(g, &a), 0);	/* family 0 */
	test_expect(g, "192.0.2.1", NULL);
	geoip_free(&g);

	geoip_code('D' << 8 | 'E', code);
	assert_string_equal(code, "DE");
	geoip_code(0, code);
	assert_string_equal(code, "??");
	geoip_code('d' << 8 | 'e', code);
	assert_string_equal(code, "??");
}

/* The flattening against its definition: for each address, among the lines
 * covering it, the one starting last wins; then the narrower; then the
 * later line. Random ranges in 192.0.2.0/24 (v4) and 2001:db8::/120 (v6). */
struct test_range {
	unsigned first, last;
	char cc[3];
};

static const char *
test_model(const struct test_range *r, size_t n, unsigned x)
{
	const struct test_range *best = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (x < r[i].first || x > r[i].last || strcmp(r[i].cc, "??") == 0)
			continue;
		if (best == NULL || r[i].first > best->first ||
		    (r[i].first == best->first && r[i].last <= best->last))
			best = &r[i];
	}
	return best != NULL ? best->cc : NULL;
}

static void
test_random(void **state)
{
	static const char *const codes[] = { "AA", "BB", "CC", "??" };
	int round;

	(void)state;
	srand(12345);
	for (round = 0; round < 200; round++) {
		struct test_range r[12];
		char text4[1024], text6[2048];
		size_t n = (size_t)(rand() % 12), i, l4 = 0, l6 = 0;
		struct geoip *g;
		unsigned x;

		for (i = 0; i < n; i++) {
			unsigned a = (unsigned)rand() % 256, b = (unsigned)rand() % 256;

			if (rand() % 4 == 0)
				b = a;
			r[i].first = a < b ? a : b;
			r[i].last = a < b ? b : a;
			memcpy(r[i].cc, codes[rand() % 4], 3);
			l4 += (size_t)snprintf(text4 + l4, sizeof(text4) - l4, "%u,%u,%s\n",
					       3221225984u + r[i].first, 3221225984u + r[i].last,
					       r[i].cc);
			l6 += (size_t)snprintf(text6 + l6, sizeof(text6) - l6,
					       "2001:db8::%x,2001:db8::%x,%s\n", r[i].first,
					       r[i].last, r[i].cc);
		}
		g = geoip_open(test_file("r4", text4, l4), test_file("r6", text6, l6));
		assert_non_null(g);
		for (x = 0; x < 256; x++) {
			char a4[NETADDR_STRLEN], a6[NETADDR_STRLEN];
			const char *want = test_model(r, n, x);

			snprintf(a4, sizeof(a4), "192.0.2.%u", x);
			snprintf(a6, sizeof(a6), "2001:db8::%x", x);
			test_expect(g, a4, want);
			test_expect(g, a6, want);
		}
		test_expect(g, "192.0.3.0", NULL);
		test_expect(g, "2001:db8::100", NULL);
		geoip_free(&g);
	}
}

/* The installed database: public resolvers must have a country. */
static void
test_installed(void **state)
{
	static const char *const addrs[] = {
		"8.8.8.8", "1.1.1.1", "9.9.9.9", "2001:4860:4860::8888", "2606:4700:4700::1111",
	};
	struct geoip *g;
	struct timespec t0, t1, t2;
	struct netaddr a;
	unsigned long sum = 0;
	size_t i;
	char code[3];

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	g = geoip_open(NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (g == NULL) {
		printf("skip: %s and %s absent (apt-get install tor-geoipdb)\n", GEOIP_PATH4,
		       GEOIP_PATH6);
		skip();
	}
	assert_true(geoip_ranges(g) > 1000);
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		uint16_t cc = test_lookup(g, addrs[i]);

		geoip_code(cc, code);
		printf("%s: %s\n", addrs[i], code);
		if (cc == 0)
			fail_msg("%s: no country in the installed database", addrs[i]);
	}
	assert_int_equal(netaddr_parse("0.0.0.1", 7, &a), 0);
	for (i = 0; i < 1000000; i++) {	/* spread over the whole IPv4 space */
		uint32_t v = (uint32_t)i * 2654435761u;

		a.bytes[0] = (uint8_t)(v >> 24);
		a.bytes[1] = (uint8_t)(v >> 16);
		a.bytes[2] = (uint8_t)(v >> 8);
		a.bytes[3] = (uint8_t)v;
		sum += geoip_country(g, &a) != 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	printf("loaded %zu ranges (%zu malformed) in %.0f ms; 1e6 IPv4 lookups in %.0f ms "
	       "(%lu known)\n",
	       geoip_ranges(g), geoip_malformed(g),
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
	       (double)(t2.tv_sec - t1.tv_sec) * 1e3 + (double)(t2.tv_nsec - t1.tv_nsec) / 1e6,
	       sum);
	assert_int_equal(geoip_malformed(g), 0);
	geoip_free(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_file), cmocka_unit_test(test_v6_file),
		cmocka_unit_test(test_absent),	cmocka_unit_test(test_random),
		cmocka_unit_test(test_installed),
	};

	return cmocka_run_group_tests(tests, geoip_setup, geoip_teardown);
}
