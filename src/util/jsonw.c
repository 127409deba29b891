/* jsonw.c - streaming JSON writer */
#include "util/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/msg.h"
#include "util/utf8.h"

void
jw_init(struct jw *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

static void
jw_sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0 && w->need_comma[w->depth - 1])
		buf_append_char(w->b, ',');
	if (w->depth > 0) {
		w->need_comma[w->depth - 1] = true;
		if (w->pretty) {
			buf_append_char(w->b, '\n');
			for (int i = 0; i < w->depth; i++)
				buf_append(w->b, "  ", 2);
		}
	}
}

static void
jw_open(struct jw *w, char c)
{
	jw_sep(w);
	if (w->depth >= JW_DEPTH_MAX)
		msg_panic("jw_open: nesting deeper than %d", JW_DEPTH_MAX);
	buf_append_char(w->b, c);
	w->need_comma[w->depth++] = false;
}

static void
jw_close(struct jw *w, char c)
{
	if (w->depth <= 0)
		msg_panic("jw_close: nothing open");
	w->depth--;
	if (w->pretty && w->need_comma[w->depth]) {
		buf_append_char(w->b, '\n');
		for (int i = 0; i < w->depth; i++)
			buf_append(w->b, "  ", 2);
	}
	buf_append_char(w->b, c);
}

void jw_obj_begin(struct jw *w) { jw_open(w, '{'); }
void jw_obj_end(struct jw *w) { jw_close(w, '}'); }
void jw_arr_begin(struct jw *w) { jw_open(w, '['); }
void jw_arr_end(struct jw *w) { jw_close(w, ']'); }

void
jw_escape(struct buf *b, const char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run = 0;

	while (i < len) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		buf_append(b, p + i - run, run);
		run = 0;
		if (c >= 0x80) {
			size_t n = utf8_valid_len(p + i, len - i);

			if (n == 0) {
				buf_append(b, "\\ufffd", 6);
				i++;
			} else {
				buf_append(b, p + i, n);
				i += n;
			}
			continue;
		}
		switch (c) {
		case '"': buf_append(b, "\\\"", 2); break;
		case '\\': buf_append(b, "\\\\", 2); break;
		case '\n': buf_append(b, "\\n", 2); break;
		case '\t': buf_append(b, "\\t", 2); break;
		case '\r': buf_append(b, "\\r", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			buf_append(b, u, 6);
		}
		}
		i++;
	}
	buf_append(b, p + i - run, run);
}

void
jw_str(struct jw *w, const char *p, size_t len)
{
	jw_sep(w);
	buf_append_char(w->b, '"');
	jw_escape(w->b, p, len);
	buf_append_char(w->b, '"');
}

void
jw_cstr(struct jw *w, const char *s)
{
	jw_str(w, s, strlen(s));
}

/* Keys are our own constants: quoted as they are, not escaped. */
void
jw_key(struct jw *w, const char *key)
{
	jw_sep(w);
	buf_append_char(w->b, '"');
	buf_append_str(w->b, key);
	buf_append_char(w->b, '"');
	buf_append_char(w->b, ':');
	if (w->pretty)
		buf_append_char(w->b, ' ');
	w->after_key = true;
}

static void
jw_digits(struct jw *w, bool neg, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg)
		*--p = '-';
	jw_sep(w);
	buf_append(w->b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
jw_int(struct jw *w, int64_t v)
{
	jw_digits(w, v < 0, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

void
jw_uint(struct jw *w, uint64_t v)
{
	jw_digits(w, false, v);
}

void
jw_double(struct jw *w, double v, int decimals)
{
	char tmp[64];
	int n;

	jw_sep(w);
	if (!isfinite(v)) {
		buf_append(w->b, "null", 4);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
	buf_append(w->b, tmp, (size_t)n);
}

void
jw_num(struct jw *w, double v, int decimals)
{
	char tmp[64];
	int n;

	jw_sep(w);
	if (!isfinite(v)) {
		buf_append(w->b, "null", 4);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
	while (decimals > 0 && n > 1 && tmp[n - 1] == '0')
		n--;
	if (n > 1 && tmp[n - 1] == '.')
		n--;
	if (n == 2 && tmp[0] == '-' && tmp[1] == '0')
		n = snprintf(tmp, sizeof(tmp), "0");
	buf_append(w->b, tmp, (size_t)n);
}

void
jw_bool(struct jw *w, bool v)
{
	jw_sep(w);
	buf_append_str(w->b, v ? "true" : "false");
}

void
jw_null(struct jw *w)
{
	jw_sep(w);
	buf_append(w->b, "null", 4);
}

void
jw_kstr(struct jw *w, const char *key, const char *p, size_t len)
{
	jw_key(w, key);
	jw_str(w, p, len);
}

void
jw_kcstr(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_cstr(w, s);
}

void
jw_kint(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}
