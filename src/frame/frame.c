/* frame.c - placeholder */
#include "frame/frame.h"

#include <string.h>

void
frame_ctx_init(struct frame_ctx *ctx, const char *name, int year_option, int64_t ref_time)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->name = name;
	ctx->year_option = year_option;
	ctx->ref_time = ref_time;
}

int
frame_line(struct frame_ctx *ctx, const char *line, size_t len, struct frame *out)
{
	(void)ctx;
	(void)line;
	(void)len;
	(void)out;
	return -1;
}
