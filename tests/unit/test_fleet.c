/* test_fleet.c - fleet mode's redis_url parsing (the Redis side itself is
 * tested end to end: tests/e2e/test_fleet.py) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fleet/fleet.h"

static void
test_urls(void **state)
{
	struct fleet_addr a;
	char err[200];

	(void)state;
	assert_int_equal(fleet_parse_url("redis://127.0.0.1", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(a.port, 6379);
	assert_int_equal(a.db, 0);
	assert_string_equal(a.password, "");
	assert_int_equal(fleet_parse_url("redis://:s3cret@10.0.0.5:6380/2", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "10.0.0.5");
	assert_int_equal(a.port, 6380);
	assert_int_equal(a.db, 2);
	assert_string_equal(a.password, "s3cret");
	assert_int_equal(fleet_parse_url("redis://user:pw@[2001:db8::5]:7000", &a, err, sizeof(err)),
			 0);
	assert_string_equal(a.host, "2001:db8::5");
	assert_int_equal(a.port, 7000);
	assert_string_equal(a.password, "pw");
	assert_int_equal(fleet_parse_url("unix:/run/redis/redis.sock?db=3&password=x", &a, err,
					 sizeof(err)),
			 0);
	assert_string_equal(a.path, "/run/redis/redis.sock");
	assert_string_equal(a.host, "");
	assert_int_equal(a.db, 3);
	assert_string_equal(a.password, "x");
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"redis.example.net:6379",	  /* no scheme */
		"redis://redis.example.net:6379", /* a name: no DNS */
		"redis://127.0.0.1:0",		  "redis://127.0.0.1:70000",
		"redis://",			  "redis://[::1",
		"unix:relative.sock",		  "unix:",
		"rediss://127.0.0.1",
	};
	struct fleet_addr a;
	char err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(fleet_parse_url(bad[i], &a, err, sizeof(err)), -1);
		assert_true(strncmp(err, "redis_url: ", 11) == 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
