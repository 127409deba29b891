/* strv.c - string views */
#define _GNU_SOURCE		/* memrchr */
#include "util/strv.h"

#include <string.h>

const char *
strv_find(struct strv hay, struct strv needle)
{
	const char *p, *end;

	if (needle.len == 0)
		return hay.p;
	if (needle.len > hay.len)
		return NULL;
	end = hay.p + hay.len - needle.len;
	for (p = hay.p; p <= end; p++) {
		p = memchr(p, needle.p[0], (size_t)(end - p) + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, needle.p, needle.len) == 0)
			return p;
	}
	return NULL;
}

long
strv_last_word(struct strv s, const char *key)
{
	size_t kl = strlen(key), lim;
	const char *q;

	if (s.len < kl)
		return -1;
	/* A match at i > 0 follows a space at i - 1 < s.len - kl: walk the
	 * spaces from the right with memrchr (the key is usually among the
	 * last few words of a Dovecot line), then try i = 0. This runs for
	 * every Dovecot login line; comparing the key at every position was
	 * more than a tenth of `mailsentry events`. */
	for (lim = s.len - kl; lim > 0 && (q = memrchr(s.p, ' ', lim)) != NULL;) {
		size_t i = (size_t)(q - s.p) + 1;

		if (kl == 0 || (s.p[i] == key[0] && memcmp(s.p + i, key, kl) == 0))
			return (long)i;
		lim = i - 1;
	}
	return kl == 0 || memcmp(s.p, key, kl) == 0 ? 0 : -1;
}

struct strv
strv_trim(struct strv a)
{
	while (a.len > 0 && (a.p[0] == ' ' || a.p[0] == '\t')) {
		a.p++;
		a.len--;
	}
	while (a.len > 0 && (a.p[a.len - 1] == ' ' || a.p[a.len - 1] == '\t'))
		a.len--;
	return a;
}

bool
strv_eq_nocase(struct strv a, struct strv b)
{
	size_t i;

	if (a.len != b.len)
		return false;
	for (i = 0; i < a.len; i++) {
		unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b.p[i];

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return false;
	}
	return true;
}

char *
strv_printable(struct strv src, char *dst, size_t dstsize)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (dstsize == 0)
		return dst;
	for (i = 0; i < src.len; i++) {
		unsigned char c = (unsigned char)src.p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= dstsize)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstsize)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return dst;
}
