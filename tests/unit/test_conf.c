/* test_conf.c - core/conf: every type and unit, every error message,
 * continuation lines, later-wins, all-or-nothing loads, -o, print round trip */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "testdir.h"
#include "util/msg.h"

struct tc {
	int64_t failures;	/* INT 2..1000 */
	int64_t offset;		/* INT unchecked */
	int64_t window;		/* DURATION 1m..30d */
	int64_t idle;		/* DURATION unchecked */
	bool enabled;
	char *geoip_file;
	char *label;
	double ratio;		/* DOUBLE 0..1 */
	double factor;		/* DOUBLE unchecked */
};

#define O(f) offsetof(struct tc, f)

static const struct conf_def tc_defs[] = {
	{ "brute_force_failures", CONF_INT, "20", O(failures), 2, 1000,
	  "brute_force: failed logins from one IP in the window (typos and stale passwords "
	  "excused)." },
	{ "offset", CONF_INT, "-5", O(offset), 0, 0, "A signed number, unchecked." },
	{ "brute_force_window", CONF_DURATION, "1h", O(window), 60, 30 * 86400.0,
	  "Window of the brute_force count." },
	{ "idle", CONF_DURATION, "0", O(idle), 0, 0, NULL },
	{ "enabled", CONF_BOOL, "yes", O(enabled), 0, 0, "Whether it runs." },
	{ "geoip_file", CONF_STR, "/usr/share/tor/geoip", O(geoip_file), 0, 0,
	  "IPv4 country database (Debian package tor-geoipdb); empty or missing: the country "
	  "signals are off. A_very_long_word_that_does_not_fit_on_one_line_of_seventy_eight_"
	  "columns_at_all stays whole." },
	{ "label", CONF_STR, "", O(label), 0, 0, "Free text." },
	{ "ratio", CONF_DOUBLE, "0.5", O(ratio), 0, 1, "A share." },
	{ "factor", CONF_DOUBLE, "1e3", O(factor), 0, 0, "A factor." },
};
#define TC_N (sizeof(tc_defs) / sizeof(tc_defs[0]))

static char test_dir[] = "/tmp/test_conf_XXXXXX";

static int
conf_setup(void **state)
{
	(void)state;
	msg_set_quiet(true);
	return testdir_create(test_dir);
}

static int
conf_teardown(void **state)
{
	(void)state;
	return testdir_remove(test_dir);
}

static void
tc_init(struct tc *c)
{
	memset(c, 0x5a, sizeof(*c));	/* conf_defaults takes it as uninitialized */
	assert_int_equal(conf_defaults(tc_defs, TC_N, c), 0);
}

static int
tc_load(struct tc *c, const char *text, char *err, size_t errlen)
{
	return conf_load_buf(tc_defs, TC_N, c, text, strlen(text), "test.cf", err, errlen);
}

/* Values equal, strings by content. */
static void
tc_assert_equal(const struct tc *a, const struct tc *b)
{
	assert_true(a->failures == b->failures);
	assert_true(a->offset == b->offset);
	assert_true(a->window == b->window);
	assert_true(a->idle == b->idle);
	assert_true(a->enabled == b->enabled);
	assert_string_equal(a->geoip_file, b->geoip_file);
	assert_string_equal(a->label, b->label);
	assert_true(a->ratio == b->ratio);
	assert_true(a->factor == b->factor);
}

static void
test_defaults(void **state)
{
	struct tc c;

	(void)state;
	tc_init(&c);
	assert_true(c.failures == 20);
	assert_true(c.offset == -5);
	assert_true(c.window == 3600);
	assert_true(c.idle == 0);
	assert_true(c.enabled);
	assert_string_equal(c.geoip_file, "/usr/share/tor/geoip");
	assert_string_equal(c.label, "");
	assert_true(c.ratio == 0.5);
	assert_true(c.factor == 1000);
	assert_ptr_equal(conf_find(tc_defs, TC_N, "ratio"), &tc_defs[7]);
	assert_null(conf_find(tc_defs, TC_N, "rati"));
	assert_null(conf_find(tc_defs, TC_N, ""));
	conf_free(tc_defs, TC_N, &c);
	assert_null(c.geoip_file);
	assert_null(c.label);
	conf_free(tc_defs, TC_N, &c);	/* twice is fine */
}

/* Broken tables: -1, the message names the setting (on stderr), nothing leaks. */
static void
test_defaults_broken(void **state)
{
	static const struct conf_def bad[][2] = {
		{ { "label", CONF_STR, "x", O(label), 0, 0, NULL },
		  { "brute_force_failures", CONF_INT, "1", O(failures), 2, 1000, NULL } },
		{ { "label", CONF_STR, "x", O(label), 0, 0, NULL },
		  { "idle", CONF_DURATION, "5 minutes", O(idle), 0, 0, NULL } },
		{ { "label", CONF_STR, "x", O(label), 0, 0, NULL },
		  { "Bad-Name", CONF_INT, "1", O(offset), 0, 0, NULL } },
		{ { "label", CONF_STR, "x", O(label), 0, 0, NULL },
		  { "label", CONF_STR, "y", O(geoip_file), 0, 0, NULL } },
		{ { "label", CONF_STR, "x", O(label), 0, 0, NULL },
		  { "ratio", CONF_DOUBLE, "0.5", O(ratio), 1, 0, NULL } },
		{ { "label", CONF_STR, "x", O(label), 0, 0, NULL },
		  { "enabled", CONF_BOOL, NULL, O(enabled), 0, 0, NULL } },
	};
	static const struct conf_def ok[] = {
		{ "geoip_file", CONF_STR, NULL, O(geoip_file), 0, 0, NULL },	/* NULL: "" */
	};
	struct tc c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&c, 0x5a, sizeof(c));
		assert_int_equal(conf_defaults(bad[i], 2, &c), -1);
		assert_null(c.label);
	}
	assert_int_equal(conf_defaults(ok, 1, &c), 0);
	assert_string_equal(c.geoip_file, "");
	conf_free(ok, 1, &c);
}

/* Good values of every type and unit, one per row through conf_set. */
static void
test_types(void **state)
{
	static const struct {
		const char *set;
		int64_t want;
	} ints[] = {
		{ "offset=0", 0 },
		{ "offset = 42", 42 },
		{ "offset=-17", -17 },
		{ "offset=9223372036854775807", INT64_MAX },
		{ "offset=-9223372036854775808", INT64_MIN },
		{ "offset=007", 7 },
		{ "brute_force_failures=2", 2 },
		{ "brute_force_failures=1000", 1000 },
		{ "brute_force_window=90", 90 },
		{ "brute_force_window=90s", 90 },
		{ "brute_force_window=10m", 600 },
		{ "brute_force_window=24h", 86400 },
		{ "brute_force_window=7d", 7 * 86400 },
		{ "brute_force_window=1w", 7 * 86400 },
		{ "brute_force_window=1h30m", 5400 },
		{ "brute_force_window=1w2d3h4m5s", 7 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5 },
		{ "brute_force_window=1d12h", 86400 + 43200 },
		{ "brute_force_window=30d", 30 * 86400 },
		{ "brute_force_window=1m", 60 },
		{ "idle=0", 0 },
		{ "idle=0s", 0 },
		{ "idle=15250w", 15250 * 604800LL },
	};
	static const struct {
		const char *set;
		bool want;
	} bools[] = {
		{ "enabled=no", false }, { "enabled=yes", true }, { "enabled=false", false },
		{ "enabled=true", true }, { "enabled=off", false }, { "enabled=on", true },
		{ "enabled=0", false }, { "enabled=1", true }, { "enabled=OFF", false },
		{ "enabled=Yes", true },
	};
	static const struct {
		const char *set;
		double want;
	} doubles[] = {
		{ "ratio=0", 0 }, { "ratio=1", 1 }, { "ratio=.25", 0.25 },
		{ "ratio=1.", 1 }, { "ratio=0.125", 0.125 }, { "factor=-2.5e-3", -2.5e-3 },
		{ "factor=1E3", 1000 }, { "factor=1e+2", 100 }, { "factor=123456789", 123456789 },
		{ "factor=1e-400", 0 },	/* underflow is zero, not an error */
	};
	static const struct {
		const char *set, *want;
	} strs[] = {
		{ "label=", "" },
		{ "label = two words ", "two words" },
		{ "label=a=b", "a=b" },
		{ "label=# not a comment", "# not a comment" },
		{ "label=caf\xc3\xa9", "caf\xc3\xa9" },
		{ "label=tab\there", "tab\there" },
		{ "geoip_file=/srv/geoip", "/srv/geoip" },
	};
	char err[256], name[64];
	struct tc c;
	size_t i;

	(void)state;
	tc_init(&c);
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		const struct conf_def *d;
		int64_t got;

		if (conf_set(tc_defs, TC_N, &c, ints[i].set, err, sizeof(err)) != 0)
			fail_msg("%s: %s", ints[i].set, err);
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(ints[i].set, " ="), ints[i].set);
		assert_non_null(d = conf_find(tc_defs, TC_N, name));
		memcpy(&got, (char *)&c + d->offset, sizeof(got));
		if (got != ints[i].want)
			fail_msg("%s: got %lld", ints[i].set, (long long)got);
	}
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		assert_int_equal(conf_set(tc_defs, TC_N, &c, bools[i].set, err, sizeof(err)), 0);
		assert_int_equal(c.enabled, bools[i].want);
	}
	for (i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++) {
		if (conf_set(tc_defs, TC_N, &c, doubles[i].set, err, sizeof(err)) != 0)
			fail_msg("%s: %s", doubles[i].set, err);
		assert_true((doubles[i].set[0] == 'r' ? c.ratio : c.factor) == doubles[i].want);
	}
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		assert_int_equal(conf_set(tc_defs, TC_N, &c, strs[i].set, err, sizeof(err)), 0);
		assert_string_equal(strs[i].set[0] == 'l' ? c.label : c.geoip_file, strs[i].want);
	}
	conf_free(tc_defs, TC_N, &c);
}

#define NOT_DUR(v) "\"" v "\" is not a duration (like 90, 90s, 10m, 24h, 7d, 1w or 1h30m)"
#define NOT_BOOL(v) "\"" v "\" is not a boolean (yes/no, true/false, on/off, 1/0)"

/* Every value error, in a file and through -o (escaped input: the reason
 * is checked, the quoted assignment before it is test_set_errors's). */
static void
test_value_errors(void **state)
{
	static const struct {
		const char *name, *value, *reason;
	} rows[] = {
		{ "brute_force_failures", "abc", "\"abc\" is not a number" },
		{ "brute_force_failures", "", "\"\" is not a number" },
		{ "brute_force_failures", "1.5", "\"1.5\" is not a number" },
		{ "brute_force_failures", "+3", "\"+3\" is not a number" },
		{ "brute_force_failures", "0x10", "\"0x10\" is not a number" },
		{ "brute_force_failures", "5 # five", "\"5 # five\" is not a number" },
		{ "brute_force_failures", "-", "\"-\" is not a number" },
		{ "brute_force_failures", "1", "\"1\" is out of range (2..1000)" },
		{ "brute_force_failures", "1001", "\"1001\" is out of range (2..1000)" },
		{ "brute_force_failures", "-3", "\"-3\" is out of range (2..1000)" },
		{ "offset", "9223372036854775808", "\"9223372036854775808\" is too large" },
		{ "offset", "-9223372036854775809", "\"-9223372036854775809\" is too large" },
		{ "brute_force_window", "59s", "\"59s\" is out of range (1m..30d)" },
		{ "brute_force_window", "31d", "\"31d\" is out of range (1m..30d)" },
		{ "brute_force_window", "5w", "\"5w\" is out of range (1m..30d)" },
		{ "idle", "abc", NOT_DUR("abc") },
		{ "idle", "", NOT_DUR("") },
		{ "idle", "1h30", NOT_DUR("1h30") },
		{ "idle", "30m1h", NOT_DUR("30m1h") },
		{ "idle", "1h1h", NOT_DUR("1h1h") },
		{ "idle", "-5m", NOT_DUR("-5m") },
		{ "idle", "-5", NOT_DUR("-5") },
		{ "idle", "1 h", NOT_DUR("1 h") },
		{ "idle", "1.5h", NOT_DUR("1.5h") },
		{ "idle", "1H", NOT_DUR("1H") },
		{ "idle", "h", NOT_DUR("h") },
		{ "idle", "10y", NOT_DUR("10y") },
		{ "idle", "99999999999999999999", "\"99999999999999999999\" is too large" },
		{ "idle", "15250284452472w", "\"15250284452472w\" is too large" },
		{ "idle", "15250284452471w7d", "\"15250284452471w7d\" is too large" },
		{ "enabled", "maybe", NOT_BOOL("maybe") },
		{ "enabled", "2", NOT_BOOL("2") },
		{ "enabled", "", NOT_BOOL("") },
		{ "ratio", "abc", "\"abc\" is not a number" },
		{ "ratio", "1,5", "\"1,5\" is not a number" },
		{ "ratio", "inf", "\"inf\" is not a number" },
		{ "ratio", "nan", "\"nan\" is not a number" },
		{ "ratio", "0x1p-3", "\"0x1p-3\" is not a number" },
		{ "ratio", "1e", "\"1e\" is not a number" },
		{ "ratio", ".", "\".\" is not a number" },
		{ "ratio", "", "\"\" is not a number" },
		{ "ratio", "1.5", "\"1.5\" is out of range (0..1)" },
		{ "ratio", "-0.01", "\"-0.01\" is out of range (0..1)" },
		{ "factor", "1e400", "\"1e400\" is too large" },
		{ "label", "a\x01z", "\"a\\x01z\" contains a control character" },
		{ "label", "a\x7fz", "\"a\\x7fz\" contains a control character" },
		{ "label", "a\rz", "\"a\\x0dz\" contains a control character" },
		{ "label", "\xff\xfe", "\"\\xff\\xfe\" is not valid UTF-8" },
	};
	char text[256], assign[256], want[512], err[512];
	struct tc c, before;
	size_t i;

	(void)state;
	tc_init(&c);
	memcpy(&before, &c, sizeof(c));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text), "# comment\n%s = %s\n", rows[i].name, rows[i].value);
		snprintf(want, sizeof(want), "test.cf:2: %s: %s", rows[i].name, rows[i].reason);
		err[0] = '\0';
		assert_int_equal(tc_load(&c, text, err, sizeof(err)), -1);
		assert_string_equal(err, want);
		snprintf(assign, sizeof(assign), "%s=%s", rows[i].name, rows[i].value);
		snprintf(want, sizeof(want), "-o %s=%s: %s", rows[i].name, rows[i].value,
			 rows[i].reason);
		assert_int_equal(conf_set(tc_defs, TC_N, &c, assign, err, sizeof(err)), -1);
		if (strpbrk(rows[i].value, "\x01\x7f\r\xff") == NULL)
			assert_string_equal(err, want);
		else
			assert_string_equal(err + strlen(err) - strlen(rows[i].reason), rows[i].reason);
		assert_memory_equal(&c, &before, sizeof(c));
	}
	conf_free(tc_defs, TC_N, &c);
}

/* File syntax errors: the exact message for each. */
static void
test_syntax_errors(void **state)
{
	static const struct {
		const char *text, *err;
	} rows[] = {
		{ "brute_force_failures 5\n", "test.cf:1: missing '=' after \"brute_force_failures\"" },
		{ "brute_force_failures\n", "test.cf:1: missing '=' after \"brute_force_failures\"" },
		{ "enabled = yes\nlabel: x\n", "test.cf:2: missing '=' after \"label:\"" },
		{ "= 5\n", "test.cf:1: missing setting name before '='" },
		{ "# c\n  continued\n", "test.cf:2: continuation line without a setting before it" },
		{ "zzz = 1\n", "test.cf:1: unknown setting \"zzz\"" },
		{ "\n\nbrute_force_failure = 1\n",
		  "test.cf:3: unknown setting \"brute_force_failure\" (did you mean "
		  "\"brute_force_failures\"?)" },
		{ "Brute_Force_Window = 1h\n",
		  "test.cf:1: unknown setting \"Brute_Force_Window\" (did you mean "
		  "\"brute_force_window\"?)" },
		{ "brute_forse_windw = 1h\n",
		  "test.cf:1: unknown setting \"brute_forse_windw\" (did you mean "
		  "\"brute_force_window\"?)" },
		{ "brute_fors_windw_ = 1h\n", "test.cf:1: unknown setting \"brute_fors_windw_\"" },
		/* "idle" is 2 away: too far for a 2-letter name */
		{ "id = 1\n", "test.cf:1: unknown setting \"id\"" },
		{ "idl = 1\n", "test.cf:1: unknown setting \"idl\" (did you mean \"idle\"?)" },
		{ "\x1b[31mred = 1\n", "test.cf:1: unknown setting \"\\x1b[31mred\"" },
		{ "x\\y = 1\n", "test.cf:1: unknown setting \"x\\x5cy\"" },
		{ "0123456789012345678901234567890123456789012345678901234567890123456789 = 1\n",
		  "test.cf:1: unknown setting "
		  "\"012345678901234567890123456789012345678901234567890123456789...\"" },
		{ "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01 = 1\n",
		  "test.cf:1: unknown setting "
		  "\"\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01...\"" },
		{ "label = ok\nlabel = \x1b]0;evil\x07\n",
		  "test.cf:2: label: \"\\x1b]0;evil\\x07\" contains a control character" },
	};
	char err[512];
	struct tc c, before;
	size_t i;

	(void)state;
	tc_init(&c);
	memcpy(&before, &c, sizeof(c));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		err[0] = '\0';
		if (tc_load(&c, rows[i].text, err, sizeof(err)) != -1)
			fail_msg("row %zu loaded", i);
		assert_string_equal(err, rows[i].err);
		assert_memory_equal(&c, &before, sizeof(c));
	}
	/* A NUL byte inside the buffer is data, not an end. */
	assert_int_equal(conf_load_buf(tc_defs, TC_N, &c, "a\0b = 1\n", 8, "n.cf", err,
				       sizeof(err)),
			 -1);
	assert_string_equal(err, "n.cf:1: unknown setting \"a\\x00b\"");
	assert_int_equal(conf_load_buf(tc_defs, TC_N, &c, "label = a\0b\n", 12, "n.cf", err,
				       sizeof(err)),
			 -1);
	assert_string_equal(err, "n.cf:1: label: \"a\\x00b\" contains a control character");
	/* The file name is escaped too. */
	assert_int_equal(conf_load_buf(tc_defs, TC_N, &c, "x=1", 3, "a\nb.cf", err, sizeof(err)),
			 -1);
	assert_string_equal(err, "a\\x0ab.cf:1: unknown setting \"x\"");
	/* A short err buffer is cut, terminated. */
	assert_int_equal(tc_load(&c, "zzz = 1", err, 8), -1);
	assert_string_equal(err, "test.cf");
	assert_int_equal(tc_load(&c, "zzz = 1", NULL, 0), -1);
	assert_memory_equal(&c, &before, sizeof(c));
	conf_free(tc_defs, TC_N, &c);
}

static void
test_limits(void **state)
{
	char *text = malloc(3 * CONF_LINE_MAX);
	char err[512], want[512];
	struct tc c, before;
	size_t len, i;

	(void)state;
	assert_non_null(text);
	tc_init(&c);
	memcpy(&before, &c, sizeof(c));
	/* A line of exactly CONF_LINE_MAX bytes is fine (CRLF's '\r' not counted). */
	len = (size_t)snprintf(text, 64, "label = ");
	memset(text + len, 'x', CONF_LINE_MAX - len);
	memcpy(text + CONF_LINE_MAX, "\r\n", 3);
	assert_int_equal(tc_load(&c, text, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.label), CONF_LINE_MAX - 8);
	conf_free(tc_defs, TC_N, &c);
	tc_init(&c);
	memcpy(&before, &c, sizeof(c));
	/* One more byte is not. */
	memcpy(text, "# ok\n", 5);
	memset(text + 5, '#', CONF_LINE_MAX + 1);
	text[5 + CONF_LINE_MAX + 1] = '\0';
	assert_int_equal(tc_load(&c, text, err, sizeof(err)), -1);
	assert_string_equal(err, "test.cf:2: line longer than 4096 bytes");
	/* A value of CONF_VALUE_MAX bytes made of continuations is fine... */
	len = (size_t)snprintf(text, 64, "label =");
	for (i = 0; i < CONF_VALUE_MAX / 8; i++)
		len += (size_t)snprintf(text + len, 64, "\n %s", i == 0 ? "xxxxxxxx" : "xxxxxxx");
	assert_int_equal(tc_load(&c, text, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.label), CONF_VALUE_MAX);
	/* ... one more byte is not, and the error names the first line. */
	memcpy(text + len, "x", 2);
	conf_free(tc_defs, TC_N, &c);
	tc_init(&c);
	memcpy(&before, &c, sizeof(c));
	assert_int_equal(tc_load(&c, text, err, sizeof(err)), -1);
	assert_string_equal(err, "test.cf:1: label: value longer than 4096 bytes");
	assert_memory_equal(&c, &before, sizeof(c));
	/* -o bounds the value the same way. */
	memcpy(text, "label=", 6);
	memset(text + 6, 'y', CONF_VALUE_MAX + 1);
	text[6 + CONF_VALUE_MAX + 1] = '\0';
	assert_int_equal(conf_set(tc_defs, TC_N, &c, text, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "-o label=%.54s...: value longer than 4096 bytes", text + 6);
	assert_string_equal(err, want);
	text[6 + CONF_VALUE_MAX] = '\0';
	assert_int_equal(conf_set(tc_defs, TC_N, &c, text, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.label), CONF_VALUE_MAX);
	conf_free(tc_defs, TC_N, &c);
	free(text);
}

static void
test_syntax(void **state)
{
	static const char text[] =
		"\xef\xbb\xbf# mailsentry settings\r\n"
		"\n"
		"brute_force_failures=5\n"
		"brute_force_failures = 7\n"		/* later wins */
		"offset =-3\r\n"
		"   # an indented comment\n"
		"brute_force_window\t=\t2h  \n"
		"geoip_file = /a\n"
		"  /b\n"
		"# a comment inside the value\n"
		"\n"
		"\t/c  \r\n"
		"label =\n"
		"    continued\n"
		"enabled= off\n"
		"ratio =0.75";				/* no final newline */
	char err[256];
	struct tc c;

	(void)state;
	tc_init(&c);
	if (conf_load_buf(tc_defs, TC_N, &c, text, sizeof(text) - 1, "s.cf", err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(c.failures == 7);
	assert_true(c.offset == -3);
	assert_true(c.window == 7200);
	assert_string_equal(c.geoip_file, "/a /b /c");
	assert_string_equal(c.label, "continued");
	assert_false(c.enabled);
	assert_true(c.ratio == 0.75);
	assert_true(c.idle == 0);	/* untouched: the default */
	assert_true(c.factor == 1000);
	/* Later wins for strings too, across loads; the old strings are freed. */
	assert_int_equal(tc_load(&c, "label = one\nlabel = two\n", err, sizeof(err)), 0);
	assert_string_equal(c.label, "two");
	assert_int_equal(tc_load(&c, "", err, sizeof(err)), 0);
	assert_int_equal(tc_load(&c, "\n\n# only comments\n", err, sizeof(err)), 0);
	assert_string_equal(c.label, "two");
	assert_int_equal(conf_set(tc_defs, TC_N, &c, " label = three ", err, sizeof(err)), 0);
	assert_string_equal(c.label, "three");
	conf_free(tc_defs, TC_N, &c);
}

/* An error anywhere leaves everything as it was, strings included. */
static void
test_all_or_nothing(void **state)
{
	static const char *const bad[] = {
		"label = new\ngeoip_file = /x\nbrute_force_failures = 9\nratio = 2\n",
		"label = new\nlabel = newer\nenabled = perhaps\n",
		"label = new\n  more\nnope = 1\n",
		"geoip_file = /x\nbrute_force_failures 3\n",
	};
	char err[256];
	struct tc c, before;
	size_t i;

	(void)state;
	tc_init(&c);
	assert_int_equal(tc_load(&c, "label = old\n", err, sizeof(err)), 0);
	memcpy(&before, &c, sizeof(c));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tc_load(&c, bad[i], err, sizeof(err)), -1);
		assert_memory_equal(&c, &before, sizeof(c));	/* same pointers, same numbers */
		assert_string_equal(c.label, "old");
	}
	assert_int_equal(conf_set(tc_defs, TC_N, &c, "ratio=7", err, sizeof(err)), -1);
	assert_memory_equal(&c, &before, sizeof(c));
	conf_free(tc_defs, TC_N, &c);
}

static void
test_set_errors(void **state)
{
	static const struct {
		const char *set, *err;
	} rows[] = {
		{ "brute_force_failures", "-o brute_force_failures: missing '=' (use -o NAME=VALUE)" },
		{ "", "-o : missing '=' (use -o NAME=VALUE)" },
		{ "=5", "-o =5: missing setting name before '='" },
		{ " = 5", "-o  = 5: missing setting name before '='" },
		{ "foo=1", "-o foo=1: unknown setting \"foo\"" },
		{ "ratoi=1", "-o ratoi=1: unknown setting \"ratoi\" (did you mean \"ratio\"?)" },
		{ "brute_force_failures=abc", "-o brute_force_failures=abc: \"abc\" is not a number" },
		{ "brute_force_failures = 0", "-o brute_force_failures = 0: \"0\" is out of range (2..1000)" },
		{ "\x1b[2J=1", "-o \\x1b[2J=1: unknown setting \"\\x1b[2J\"" },
		{ "label=\x1b[2J", "-o label=\\x1b[2J: \"\\x1b[2J\" contains a control character" },
	};
	char err[256];
	struct tc c, before;
	size_t i;

	(void)state;
	tc_init(&c);
	memcpy(&before, &c, sizeof(c));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(conf_set(tc_defs, TC_N, &c, rows[i].set, err, sizeof(err)), -1);
		assert_string_equal(err, rows[i].err);
		assert_memory_equal(&c, &before, sizeof(c));
	}
	conf_free(tc_defs, TC_N, &c);
}

static char *
tc_print(const struct tc *c, bool with_help, size_t *len)
{
	char *out = NULL;
	FILE *fp = open_memstream(&out, len);

	assert_non_null(fp);
	conf_print(tc_defs, TC_N, c, fp, with_help);
	assert_int_equal(fclose(fp), 0);
	return out;
}

static void
test_print(void **state)
{
	static const char want[] =
		"brute_force_failures = 20\n"
		"offset = -5\n"
		"brute_force_window = 1h\n"
		"idle = 0s\n"
		"enabled = yes\n"
		"geoip_file = /usr/share/tor/geoip\n"
		"label =\n"
		"ratio = 0.5\n"
		"factor = 1000\n";
	static const struct {
		int64_t s;
		const char *text;
	} durations[] = {
		{ 90, "90s" }, { 600, "10m" }, { 5400, "90m" }, { 86400, "1d" },
		{ 90000, "25h" }, { 604800, "1w" }, { 8 * 86400, "8d" }, { 1209600, "2w" },
		{ 3601, "3601s" }, { 0, "0s" },
	};
	char line[64];
	struct tc c;
	size_t len, i;
	char *out;

	(void)state;
	tc_init(&c);
	out = tc_print(&c, false, &len);
	assert_string_equal(out, want);
	free(out);
	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		c.idle = durations[i].s;
		out = tc_print(&c, false, &len);
		snprintf(line, sizeof(line), "\nidle = %s\n", durations[i].text);
		if (strstr(out, line) == NULL)
			fail_msg("%lld: want %s in\n%s", (long long)durations[i].s, line, out);
		free(out);
	}
	conf_free(tc_defs, TC_N, &c);
}

/* print then load gives the same values, with and without help. */
static void
test_round_trip(void **state)
{
	static const char *const sets[][9] = {
		{ NULL },
		{ "brute_force_failures=1000", "offset=-9223372036854775808", "brute_force_window=1h30m",
		  "idle=1w2d3h4m5s", "enabled=off", "geoip_file=", "label=caf\xc3\xa9 # x = y",
		  "ratio=0.1", "factor=-1.7976931348623157e308" },
		{ "offset=9223372036854775807", "idle=9223372036854775807", "ratio=1e-300",
		  "factor=0.30000000000000004", "label=\ttabs\tinside\t", "factor=5e-324" },
		{ "factor=-0", "ratio=0.3333333333333333", "idle=59", "label==" },
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		int help;

		for (help = 0; help < 2; help++) {
			char err[256];
			struct tc a, b;
			size_t len;
			char *out, *p;

			tc_init(&a);
			for (j = 0; j < 9 && sets[i][j] != NULL; j++)
				if (conf_set(tc_defs, TC_N, &a, sets[i][j], err, sizeof(err)) != 0)
					fail_msg("%s", err);
			out = tc_print(&a, help, &len);
			tc_init(&b);
			b.enabled = !a.enabled;
			b.idle = a.idle ^ 1;
			if (conf_load_buf(tc_defs, TC_N, &b, out, len, "print", err, sizeof(err)) != 0)
				fail_msg("%s\n%s", err, out);
			if (strcmp(a.label, "\ttabs\tinside\t") == 0)
				assert_string_equal(b.label, "tabs\tinside");	/* edges trimmed */
			else
				tc_assert_equal(&a, &b);
			/* Every printed line fits 78 columns, except an unbreakable word. */
			for (p = out; *p != '\0';) {
				char *nl = strchr(p, '\n');

				assert_non_null(nl);
				if (help && (size_t)(nl - p) > 78)
					assert_non_null(strstr(p, "A_very_long_word"));
				assert_true(nl == p || p[0] == '#' || strchr(p, '=') < nl);
				p = nl + 1;
			}
			if (help) {
				assert_non_null(strstr(out, "# brute_force: failed logins from one IP in "
							    "the window (typos and stale\n"
							    "# passwords excused).\n"
							    "brute_force_failures = "));
				assert_non_null(strstr(out, "\n\nidle = "));	/* no help: no comment */
			}
			free(out);
			conf_free(tc_defs, TC_N, &a);
			conf_free(tc_defs, TC_N, &b);
		}
	}
}

static void
test_file(void **state)
{
	char path[300], err[512], want[600];
	struct tc c, before;
	FILE *fp;
	size_t i;

	(void)state;
	tc_init(&c);
	snprintf(path, sizeof(path), "%s/main.cf", test_dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("# test\nbrute_force_failures = 3\nlabel = from file\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(conf_load_file(tc_defs, TC_N, &c, path, err, sizeof(err)), 0);
	assert_true(c.failures == 3);
	assert_string_equal(c.label, "from file");
	/* -o after the file wins */
	assert_int_equal(conf_set(tc_defs, TC_N, &c, "brute_force_failures=4", err, sizeof(err)), 0);
	assert_true(c.failures == 4);

	memcpy(&before, &c, sizeof(c));
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("label = other\nratio = 2\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(conf_load_file(tc_defs, TC_N, &c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: ratio: \"2\" is out of range (0..1)", path);
	assert_string_equal(err, want);
	assert_memory_equal(&c, &before, sizeof(c));

	snprintf(path, sizeof(path), "%s/absent.cf", test_dir);
	errno = 0;
	assert_int_equal(conf_load_file(tc_defs, TC_N, &c, path, err, sizeof(err)), -1);
	assert_int_equal(errno, ENOENT);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	assert_string_equal(err, want);

	assert_int_equal(conf_load_file(tc_defs, TC_N, &c, test_dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", test_dir);
	assert_string_equal(err, want);

	snprintf(path, sizeof(path), "%s/big.cf", test_dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (i = 0; i < CONF_FILE_MAX / 64 + 1; i++)
		fprintf(fp, "# %61s\n", "padding");
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(conf_load_file(tc_defs, TC_N, &c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", path);
	assert_string_equal(err, want);
	assert_memory_equal(&c, &before, sizeof(c));
	conf_free(tc_defs, TC_N, &c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),      cmocka_unit_test(test_defaults_broken),
		cmocka_unit_test(test_types),	      cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_syntax_errors), cmocka_unit_test(test_limits),
		cmocka_unit_test(test_syntax),	      cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_set_errors),    cmocka_unit_test(test_print),
		cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, conf_setup, conf_teardown);
}
