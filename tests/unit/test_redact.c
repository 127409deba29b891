/* test_redact.c - passwords logged by daemons never reach our diagnostics */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/redact.h"

static void
test_rows(void **state)
{
	static const struct {
		const char *in, *want, *secret;
	} rows[] = {
		{ "vchkpw-smtp: password fail (pass: 'S3cr3t pw') u@example.com:192.0.2.8",
		  "vchkpw-smtp: password fail (pass: '[redacted]') u@example.com:192.0.2.8", "S3cr3t" },
		/* quotes, ") " and a fake account inside the password */
		{ "vchkpw-smtp: password fail (pass: 'a') x@example.net:1.2.3.4 b') u@example.com:192.0.2.8",
		  "vchkpw-smtp: password fail (pass: '[redacted]') u@example.com:192.0.2.8", "x@example.net" },
		/* a quote inside, line cut before the closing quote: hide the rest */
		{ "vchkpw-smtp: password fail (pass: 'QZJ1'QZJ2",
		  "vchkpw-smtp: password fail (pass: '[redacted]", "QZJ" },
		{ "auth: Debug: password=hunter2, user=u", "auth: Debug: password=[redacted], user=u",
		  "hunter2" },
		{ "no secrets here", "no secrets here", "\x01" },
	};
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = redact_line(strv_cstr(rows[i].in), out, sizeof(out));

		assert_int_equal(n, strlen(out));
		assert_string_equal(out, rows[i].want);
		assert_null(strstr(out, rows[i].secret));
	}
}

static void
test_small_buffer(void **state)
{
	char out[20];
	size_t n;

	(void)state;
	n = redact_line(STRV_LIT("password fail (pass: 'longsecret') u@example.com:192.0.2.1"), out,
			sizeof(out));
	assert_true(n < sizeof(out));
	assert_null(strstr(out, "longsecret"));
	assert_int_equal(out[n], '\0');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
