/* utf8.c - UTF-8 validation (RFC 3629 table 3-7 ranges) */
#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

size_t
utf8_valid_len(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (len == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

bool
utf8_valid(const char *p, size_t len)
{
	size_t i = 0, n;

	/* Logs are almost all ASCII: skip 32, then 8 bytes at a time while no
	 * byte has its top bit set. This runs on every line read. */
	while (len - i >= 32) {
		uint64_t w[4];

		memcpy(w, p + i, 32);
		if ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL)
			break;
		i += 32;
	}
	while (len - i >= 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
		i += 8;
	}
	while (i < len) {
		if ((unsigned char)p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_valid_len(p + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

/* Nearly every line is plain ASCII without NUL: find that out 16 bytes at
 * a time, the last 16 overlapping (SSE2 is part of every x86-64; elsewhere
 * 8 bytes as one word), and validate character by character only a line
 * with a byte >= 0x80. */
static inline void
utf8_word(const char *p, uint64_t *zero, uint64_t *top)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t w;

	memcpy(&w, p, 8);
	*top |= w & high;
	*zero |= (w - ones) & ~w & high;
}

enum utf8_line
utf8_check_line(const char *p, size_t len)
{
	uint64_t zero = 0, top = 0;
	size_t i;

	if (len < 8) {
		for (i = 0; i < len; i++) {
			top |= (unsigned char)p[i] & 0x80;
			zero |= p[i] == '\0';
		}
	} else if (len < 16) {
		utf8_word(p, &zero, &top);
		utf8_word(p + len - 8, &zero, &top);
	} else {
#if defined(__SSE2__)
		__m128i z = _mm_setzero_si128(), accz = z, acct = z, v;

		for (i = 0; i + 16 < len; i += 16) {
			v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			acct = _mm_or_si128(acct, v);
			accz = _mm_or_si128(accz, _mm_cmpeq_epi8(v, z));
		}
		v = _mm_loadu_si128((const __m128i *)(const void *)(p + len - 16));
		acct = _mm_or_si128(acct, v);
		accz = _mm_or_si128(accz, _mm_cmpeq_epi8(v, z));
		zero = (uint64_t)_mm_movemask_epi8(accz);
		top = (uint64_t)_mm_movemask_epi8(acct);
#else
		for (i = 0; i + 8 < len; i += 8)
			utf8_word(p + i, &zero, &top);
		utf8_word(p + len - 8, &zero, &top);
#endif
	}
	if (zero)
		return UTF8_LINE_NUL;
	if (top && !utf8_valid(p, len))
		return UTF8_LINE_BAD;
	return UTF8_LINE_OK;
}
