/* jsonw.h - streaming JSON writer into a struct buf
 * SUMMARY  Objects, arrays, strings, integers. Strings are escaped per RFC 8259;
 *          control bytes become \u00XX and bytes that are not valid UTF-8
 *          become U+FFFD, so the output is always valid JSON whatever a log
 *          line held. Written by hand because it is on the hot path of
 *          `mailsentry events` (one object per log line).
 * LIMITS   JW_DEPTH_MAX nesting levels; deeper begins are a panic (a bug).
 * ERRORS   Output errors are the buf's: if its max is reached, text is cut. */
#ifndef MS_JSONW_H
#define MS_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define JW_DEPTH_MAX 16

struct jw {
	struct buf *b;
	int depth;
	bool need_comma[JW_DEPTH_MAX];
	bool after_key;
	bool pretty;		/* newline + indent between members */
};

void jw_init(struct jw *w, struct buf *b);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
/* key is a constant of ours: written as is, never escaped. */
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *p, size_t len);
void jw_cstr(struct jw *w, const char *s);
void jw_int(struct jw *w, int64_t v);
void jw_uint(struct jw *w, uint64_t v);
void jw_double(struct jw *w, double v, int decimals);
/* As jw_double, trailing zeros of the fraction dropped: 0.2500 -> 0.25, 10.0 -> 10. */
void jw_num(struct jw *w, double v, int decimals);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* Key + value shorthands. */
void jw_kstr(struct jw *w, const char *key, const char *p, size_t len);
void jw_kcstr(struct jw *w, const char *key, const char *s);
void jw_kint(struct jw *w, const char *key, int64_t v);
/* Append p escaped as the inside of a JSON string (no quotes). */
void jw_escape(struct buf *b, const char *p, size_t len);
/* The same, one piece at a time: what jw_escape does when b cannot take
 * the worst case (6 bytes per input byte) at once. */
void jw_escape_bytewise(struct buf *b, const char *p, size_t len);
/* For writers that reserved the room themselves: escape p into o, which
 * has room for JW_ESCAPE_ROOM(len) bytes; returns the end (no NUL). */
#define JW_ESCAPE_LEN_MAX (SIZE_MAX / 8)
#define JW_ESCAPE_ROOM(len) ((len) * 6 + 8)
char *jw_escape_raw(char *o, const char *p, size_t len);
/* The same for a string with at least 8 readable bytes at p (it lies in a
 * fixed array of 8 bytes or more, as the fields of struct evt do). */
char *jw_escape_raw8(char *o, const char *p, size_t len);

#endif
