/* fuzz_pipeline.c - arbitrary bytes through the whole reading pipeline:
 * split on '\n', frame, parse, correlate, write JSON. Finds crashes that
 * need several lines (a queue id seen twice, a year wrap, a link whose
 * message was evicted) and checks every event's JSON ends its object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/corr.h"
#include "frame/frame.h"
#include "parse/parse.h"
#include "util/buf.h"
#include "util/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct parse_out out;
	const char *p = (const char *)data, *end = p + size;
	struct frame_ctx ctx;
	struct corr *c = corr_new();
	struct buf b;

	msg_set_quiet(true);
	buf_init(&b, 0);
	frame_ctx_init(&ctx, "fuzz", 0, 1700000000);
	ctx.quiet = true;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		struct frame f;
		int i;

		if (frame_line(&ctx, p, len, &f) == 0 && parse_line(&f, &out) == PARSE_EVENTS) {
			frame_ctx_anchor(&ctx, &f, out.ev[0].time);
			for (i = 0; i < out.n; i++) {
				if (!corr_event(c, &out.ev[i]))
					continue;
				buf_reset(&b);
				evt_json(&out.ev[i], &b);
				if (b.len < 2 || b.data[0] != '{' || b.data[b.len - 1] != '}')
					abort();
			}
		}
		p += len + 1;
	}
	buf_release(&b);
	corr_free(&c);
	return 0;
}
