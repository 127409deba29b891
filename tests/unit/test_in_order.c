/* test_in_order.c - input/in_order: oldest file first
 * The fallback rows use contents that no framing recognizes, so they test
 * the rotation suffix and mtime keys whatever frame_line can do. The
 * timestamp row skips when frame_line cannot frame an RFC 3339 line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "frame/frame.h"
#include "testdir.h"
#include "input/in_order.h"

static char tmpdir[] = "/tmp/ms_in_order_XXXXXX";

#define MAXF 8

struct file {
	const char *name;	/* NULL ends; "-" is standard input, not created */
	int64_t mtime;		/* 0: file is not created, -1: a FIFO */
	const char *text;	/* NULL: "no timestamp here\n" */
};

/* Creates the files, sorts names given in the row's order, and compares. */
static void
check(const char *row, const struct file *files, const char *const *want)
{
	char paths[MAXF][512];
	const char *order[MAXF];
	size_t n, i;

	for (n = 0; files[n].name != NULL; n++) {
		assert_true(n < MAXF);
		if (strcmp(files[n].name, "-") == 0) {
			snprintf(paths[n], sizeof(paths[n]), "-");
		} else {
			snprintf(paths[n], sizeof(paths[n]), "%s/%s", tmpdir, files[n].name);
			if (files[n].mtime == -1) {
				assert_int_equal(mkfifo(paths[n], 0600), 0);
			} else if (files[n].mtime != 0) {
				const char *text = files[n].text ? files[n].text : "no timestamp here\n";
				struct timespec ts[2] = { { (time_t)files[n].mtime, 0 },
							  { (time_t)files[n].mtime, 0 } };
				FILE *fp = fopen(paths[n], "w");

				assert_non_null(fp);
				fputs(text, fp);
				fclose(fp);
				assert_int_equal(utimensat(AT_FDCWD, paths[n], ts, 0), 0);
			}
		}
		order[n] = paths[n];
	}
	in_order_sort(order, n, 0);
	for (i = 0; i < n; i++) {
		const char *slash = strrchr(order[i], '/');
		const char *got = slash != NULL ? slash + 1 : order[i];

		if (want[i] == NULL || strcmp(got, want[i]) != 0)
			fail_msg("%s: position %zu: got %s, want %s", row, i, got,
				 want[i] ? want[i] : "(end)");
	}
	for (i = 0; i < n; i++)
		if (strcmp(paths[i], "-") != 0)
			unlink(paths[i]);
}

static void
test_fallbacks(void **state)
{
	static const struct {
		const char *row;
		struct file files[MAXF];
		const char *want[MAXF];
	} rows[] = {
		/* The suffix wins over mtimes that say the opposite (copied files). */
		{ "logrotate numbers",
		  { { "mail.log", 1000, NULL }, { "mail.log.2.gz", 4000, NULL },
		    { "mail.log.1", 3000, NULL }, { "mail.log.3.gz", 5000, NULL }, { NULL, 0, NULL } },
		  { "mail.log.3.gz", "mail.log.2.gz", "mail.log.1", "mail.log" } },
		{ "numbers above 9",
		  { { "mail.log.10.gz", 1000, NULL }, { "mail.log.9.gz", 1000, NULL },
		    { "mail.log.11.gz", 1000, NULL }, { NULL, 0, NULL } },
		  { "mail.log.11.gz", "mail.log.10.gz", "mail.log.9.gz" } },
		{ "dateext",
		  { { "mail.log", 1000, NULL }, { "mail.log-20240102.gz", 1000, NULL },
		    { "mail.log-20240101.gz", 2000, NULL }, { "mail.log-20231231", 3000, NULL },
		    { NULL, 0, NULL } },
		  { "mail.log-20231231", "mail.log-20240101.gz", "mail.log-20240102.gz", "mail.log" } },
		{ "dateext with hours",
		  { { "mail.log-2024010112", 1000, NULL }, { "mail.log-20240101", 1000, NULL },
		    { NULL, 0, NULL } },
		  { "mail.log-20240101", "mail.log-2024010112" } },
		{ "mtime across unrelated names",
		  { { "a.log", 3000, NULL }, { "b.log", 1000, NULL }, { "c.log", 2000, NULL },
		    { NULL, 0, NULL } },
		  { "b.log", "c.log", "a.log" } },
		{ "two rotated sets by mtime, each by suffix",
		  { { "mail.err", 6000, NULL }, { "mail.log", 5000, NULL },
		    { "mail.err.1", 2000, NULL }, { "mail.log.1", 1000, NULL }, { NULL, 0, NULL } },
		  { "mail.log.1", "mail.err.1", "mail.log", "mail.err" } },
		{ "ties keep their order",
		  { { "z.log", 1000, NULL }, { "x.log", 1000, NULL }, { "y.log", 1000, NULL },
		    { NULL, 0, NULL } },
		  { "z.log", "x.log", "y.log" } },
		{ "stdin stays in place",
		  { { "mail.log", 1000, NULL }, { "-", 0, NULL }, { "mail.log.1", 1000, NULL },
		    { NULL, 0, NULL } },
		  { "mail.log.1", "-", "mail.log" } },
		{ "missing file stays in place",
		  { { "mail.log", 1000, NULL }, { "gone.log.1", 0, NULL },
		    { "mail.log.2", 1000, NULL }, { "mail.log.1", 1000, NULL }, { NULL, 0, NULL } },
		  { "mail.log.2", "gone.log.1", "mail.log.1", "mail.log" } },
		{ "fifo stays in place, unread",
		  { { "mail.log", 1000, NULL }, { "fifo.log", -1, NULL }, { "mail.log.1", 1000, NULL },
		    { NULL, 0, NULL } },
		  { "mail.log.1", "fifo.log", "mail.log" } },
		{ "not rotations",
		  { { "mail-2", 2000, NULL }, { "mail-1", 1000, NULL }, { "2024", 3000, NULL },
		    { NULL, 0, NULL } },
		  { "mail-1", "mail-2", "2024" } },
		{ "one file", { { "only.log", 1000, NULL }, { NULL, 0, NULL } }, { "only.log" } },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check(rows[i].row, rows[i].files, rows[i].want);
	in_order_sort(NULL, 0, 0);	/* nothing to do, no crash */
}

static void
test_timestamps(void **state)
{
	static const char probe[] =
		"2024-01-02T03:04:05+00:00 mx postfix/smtpd[1]: connect from x[192.0.2.1]";
	/* The first framed line decides, against both suffix and mtime. */
	static const struct file files[] = {
		{ "mail.log.2.gz", 1000, "header without time\n"
					 "2024-03-01T00:00:00+00:00 mx postfix/smtpd[1]: connect from x[192.0.2.1]\n" },
		{ "mail.log", 2000, "2024-01-02T03:04:05+00:00 mx postfix/smtpd[1]: connect from x[192.0.2.1]\n" },
		{ "mail.log.1", 3000, "2024-02-01T00:00:00Z mx postfix/smtpd[1]: connect from x[192.0.2.1]\n" },
		{ NULL, 0, NULL },
	};
	static const char *const want[] = { "mail.log", "mail.log.1", "mail.log.2.gz" };
	struct frame_ctx ctx;
	struct frame fr;

	(void)state;
	frame_ctx_init(&ctx, "probe", 0, 1704164645);
	ctx.quiet = true;
	if (frame_line(&ctx, probe, sizeof(probe) - 1, &fr) < 0 || fr.time != 1704164645) {
		skip();
		return;
	}
	check("first timestamps", files, want);
}

static int
setup(void **state)
{
	(void)state;
	return testdir_create(tmpdir);
}

static int
teardown(void **state)
{
	(void)state;
	return testdir_remove(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_timestamps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
