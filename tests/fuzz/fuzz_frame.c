/* fuzz_frame.c - arbitrary bytes, split on '\n', through frame_line
 * One frame_ctx for the whole input, as for one file; the first byte picks
 * --year (0 = infer) so both year paths run. Every framed line must keep
 * its views inside the line (prog may also be the static "exim"), carry a
 * known kind and a sub-second part below one second. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_inside(struct strv v, const char *line, size_t len)
{
	if (v.len > 0 && (v.p < line || v.p + v.len > line + len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct frame_ctx ctx;
	int year = 0;

	if (size > 0) {
		year = data[0] & 1 ? 1990 + data[0] % 50 : 0;
		p++;
	}
	frame_ctx_init(&ctx, "fuzz", year, 1700000000);
	ctx.quiet = true;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl != NULL ? nl : end) - p);
		struct frame f;

		if (frame_line(&ctx, p, len, &f) == 0) {
			if (f.kind <= FRAME_NONE || f.kind > FRAME_EXIM || f.usec > 999999)
				abort();
			fuzz_inside(f.host, p, len);
			fuzz_inside(f.msg, p, len);
			if (!(f.kind == FRAME_EXIM && strv_eq_cstr(f.prog, "exim")))
				fuzz_inside(f.prog, p, len);
		}
		p += len + (nl != NULL);
	}
	return 0;
}
