/* jsonw.c - streaming JSON writer */
#include "util/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/msg.h"
#include "util/utf8.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* The reference escaper, one byte at a time through buf_append: used when
 * the buffer cannot reserve the worst case (near its max, where each piece
 * that no longer fits is left out as before), and by the tests as the
 * definition the fast path must match. */
void
jw_escape_bytewise(struct buf *b, const char *p, size_t len)
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

/* A bit set in the top of each byte of w that cannot be copied as it is:
 * a control byte, '"', '\\', or a byte >= 0x80 (to be checked as UTF-8).
 * Each term is the classic "has a zero / a smaller byte" test: it may also
 * flag bytes above a flagged one (a borrow), never below, so the lowest
 * flag is exactly the first such byte. */
static inline uint64_t
jw_special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');

	return (w & high) | ((w - ones * 0x20) & ~w & high) | ((q - ones) & ~q & high) |
	       ((bs - ones) & ~bs & high);
}

static inline bool
jw_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* One byte that needs work at p[*ip] (or, on a big-endian machine, any
 * byte): its escape, or a whole UTF-8 character, or U+FFFD. */
static char *
jw_escape_one(char *o, const char *p, size_t len, size_t *ip)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = *ip;
	unsigned char c = (unsigned char)p[i];

	if (jw_plain(c)) {
		*o++ = (char)c;
		*ip = i + 1;
		return o;
	}
	if (c >= 0x80) {
		size_t n = utf8_valid_len(p + i, len - i);

		if (n == 0) {
			memcpy(o, "\\ufffd", 6);
			*ip = i + 1;
			return o + 6;
		}
		memcpy(o, p + i, n);
		*ip = i + n;
		return o + n;
	}
	o[0] = '\\';
	*ip = i + 1;
	switch (c) {
	case '"': o[1] = '"'; return o + 2;
	case '\\': o[1] = '\\'; return o + 2;
	case '\n': o[1] = 'n'; return o + 2;
	case '\t': o[1] = 't'; return o + 2;
	case '\r': o[1] = 'r'; return o + 2;
	default:
		o[1] = 'u';
		o[2] = o[3] = '0';
		o[4] = hex[c >> 4];
		o[5] = hex[c & 15];
		return o + 6;
	}
}

/* Escape p into o, which has room for JW_ESCAPE_ROOM(len) bytes; returns
 * the end. Log text is nearly all plain ASCII, so 8 bytes are checked at
 * once and copied with one store, and a byte that needs work is found with
 * one count of trailing zeros; the last 1..7 bytes of a string of 8 or more
 * are checked as the top of its last 8. This runs for every string of
 * every JSON line `mailsentry events` writes, where a byte loop was a
 * quarter of the time; no library escapes JSON into a caller's buffer with
 * our U+FFFD rule. Stores of 8 bytes may run up to 8 bytes past the end
 * (the room has them); what lies past the returned end is garbage. */
char *
jw_escape_raw(char *o, const char *p, size_t len)
{
	size_t i = 0;

	for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		uint64_t w, m;

#if defined(__SSE2__)
		/* 16 bytes at once where SSE2 is there (every x86-64): a signed
		 * "less than 0x20" flags control bytes and bytes >= 0x80 alike. */
		while (len - i >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			__m128i x = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
						 _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
							      _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
			unsigned bits = (unsigned)_mm_movemask_epi8(x);

			_mm_storeu_si128((__m128i *)(void *)o, v);
			if (bits != 0) {
				size_t k = (size_t)__builtin_ctz(bits);

				o += k;
				i += k;
				goto one;
			}
			o += 16;
			i += 16;
		}
#endif
		while (len - i >= 8) {
			memcpy(&w, p + i, 8);
			m = jw_special8(w);
			memcpy(o, &w, 8);
			if (m != 0) {
				size_t k = (size_t)__builtin_ctzll(m) / 8;

				o += k;
				i += k;
				goto one;
			}
			o += 8;
			i += 8;
		}
		if (i == len)
			return o;
		if (len >= 8) {
			/* The r < 8 bytes left are the top of the last 8; a flag
			 * below them may spill into them (a borrow), which only
			 * sends clean bytes down the slow way. */
			unsigned sh = 8 * (unsigned)(8 - (len - i));

			memcpy(&w, p + len - 8, 8);
			if ((jw_special8(w) >> sh) == 0) {
				w >>= sh;
				memcpy(o, &w, 8);
				return o + (len - i);
			}
		}
#endif
		while (i < len && jw_plain((unsigned char)p[i]))
			*o++ = p[i++];
		if (i == len)
			return o;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
one:
#endif
		o = jw_escape_one(o, p, len, &i);
	}
}

char *
jw_escape_raw8(char *o, const char *p, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Most fields of an event are shorter than 8 bytes ("smtp", "mx1",
	 * "PLAIN"): one load, the bytes past the string masked off before
	 * they are looked at, one check, one store. */
	if (len < 8) {
		uint64_t w, keep;

		if (len == 0)
			return o;
		memcpy(&w, p, 8);
		keep = ~0ULL >> (64 - 8 * len);
		w &= keep;
		if ((jw_special8(w) & keep) == 0) {
			memcpy(o, &w, 8);
			return o + len;
		}
	}
#endif
	return jw_escape_raw(o, p, len);
}

void
jw_escape(struct buf *b, const char *p, size_t len)
{
	if (len <= JW_ESCAPE_LEN_MAX && buf_reserve(b, JW_ESCAPE_ROOM(len)) == 0) {
		char *o = jw_escape_raw(b->data + b->len, p, len);

		b->len = (size_t)(o - b->data);
		b->data[b->len] = '\0';
		return;
	}
	jw_escape_bytewise(b, p, len);
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

/* Room for %f of any finite double: 309 integer digits, a sign, the point
 * and up to JW_DECIMALS_MAX decimals. */
#define JW_DECIMALS_MAX 17
#define JW_NUM_MAX (320 + JW_DECIMALS_MAX)

/* v with decimals (clamped to 0..JW_DECIMALS_MAX) digits after the point;
 * the length, or -1 if it did not fit (cannot happen for a finite v). */
static int
jw_fmt(char *tmp, double v, int decimals)
{
	int n;

	if (decimals < 0)
		decimals = 0;
	if (decimals > JW_DECIMALS_MAX)
		decimals = JW_DECIMALS_MAX;
	n = snprintf(tmp, JW_NUM_MAX, "%.*f", decimals, v);
	return n < 0 || n >= JW_NUM_MAX ? -1 : n;
}

void
jw_double(struct jw *w, double v, int decimals)
{
	char tmp[JW_NUM_MAX];
	int n;

	jw_sep(w);
	if (!isfinite(v) || (n = jw_fmt(tmp, v, decimals)) < 0) {
		buf_append(w->b, "null", 4);
		return;
	}
	buf_append(w->b, tmp, (size_t)n);
}

void
jw_num(struct jw *w, double v, int decimals)
{
	char tmp[JW_NUM_MAX];
	int n;

	jw_sep(w);
	if (!isfinite(v) || (n = jw_fmt(tmp, v, decimals)) < 0) {
		buf_append(w->b, "null", 4);
		return;
	}
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
