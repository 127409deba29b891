/* buf.h - growable byte buffer with a hard ceiling
 * SUMMARY  {data, len, cap, max}; always keeps a NUL after the data so the
 *          contents can be used as a C string when they hold no NUL.
 * LIMITS   max bytes of content (0 = SIZE_MAX/2). Appending past it fails.
 * ERRORS   buf_append* return 0, or -1 with errno=ERANGE past max; the buffer
 *          is unchanged on failure. Allocation failure is fatal (mem.h). */
#ifndef MS_BUF_H
#define MS_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *data;
	size_t len, cap, max;
};

void buf_init(struct buf *b, size_t max);
void buf_reset(struct buf *b);		/* len = 0, memory kept */
void buf_release(struct buf *b);	/* free memory */
int buf_reserve(struct buf *b, size_t extra);
int buf_append_slow(struct buf *b, const void *p, size_t len);
int buf_append_str(struct buf *b, const char *s);

/* The common case, room already there, inline: JSON output appends a few
 * bytes at a time for every event. */
static inline int
buf_append(struct buf *b, const void *p, size_t len)
{
	if (len < b->cap - b->len && b->len + len <= b->max) {
		if (len)
			memcpy(b->data + b->len, p, len);
		b->len += len;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf_append_slow(b, p, len);
}

static inline int
buf_append_char(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
