/* test_frame_anchor.c - a message's own absolute time corrects an inferred year */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "frame/frame.h"
#include "util/msg.h"
#include "util/timeconv.h"

#define L1 "Jul 22 09:52:57 mx qmail: 1374486777.611077 info msg 90219: bytes 1364 from <a@example.com> qp 1 uid 103"
#define L2 "Jul 22 09:53:10 mx vpopmail[1]: vchkpw-submission: (PLAIN) login success a@example.com:192.0.2.1"

static void
test_anchor_inferred(void **state)
{
	struct frame_ctx ctx;
	struct frame f;

	(void)state;
	/* file modified in 2026: the inference says 2026 */
	frame_ctx_init(&ctx, "t", 0, timeconv_utc(2026, 11, 1, 0, 0, 0));
	ctx.quiet = true;
	assert_int_equal(frame_line(&ctx, L1, strlen(L1), &f), 0);
	assert_int_equal(ctx.year, 2026);
	/* qmail's epoch says 2013-07-22 */
	assert_true(frame_ctx_anchor(&ctx, &f, 1374486777));
	assert_int_equal(ctx.year, 2013);
	assert_int_equal(frame_line(&ctx, L2, strlen(L2), &f), 0);
	assert_true(f.time == timeconv_utc(2013, 7, 22, 9, 53, 10));
	/* once only */
	assert_false(frame_ctx_anchor(&ctx, &f, 1374486777 + 400 * 86400));
}

static void
test_anchor_not_when_given_or_close(void **state)
{
	struct frame_ctx ctx;
	struct frame f;

	(void)state;
	frame_ctx_init(&ctx, "t", 2020, 0);
	ctx.quiet = true;
	assert_int_equal(frame_line(&ctx, L1, strlen(L1), &f), 0);
	assert_false(frame_ctx_anchor(&ctx, &f, 1374486777));	/* --year wins */
	assert_int_equal(ctx.year, 2020);

	frame_ctx_init(&ctx, "t", 0, timeconv_utc(2013, 8, 1, 0, 0, 0));
	ctx.quiet = true;
	assert_int_equal(frame_line(&ctx, L1, strlen(L1), &f), 0);
	assert_false(frame_ctx_anchor(&ctx, &f, f.time + 3600));	/* agrees */
	assert_int_equal(ctx.year, 2013);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anchor_inferred),
		cmocka_unit_test(test_anchor_not_when_given_or_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
