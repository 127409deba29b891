/* strv.h - string views: a pointer and a length into someone else's bytes
 * SUMMARY  Parsers take (p, len) and return views; nothing is copied until
 *          the final event. A view is never NUL-terminated by contract.
 * LIMITS   none; lengths are size_t. */
#ifndef MS_STRV_H
#define MS_STRV_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct strv {
	const char *p;
	size_t len;
};

#define STRV_LIT(s) ((struct strv){ (s), sizeof(s) - 1 })
#define STRV_NULL ((struct strv){ NULL, 0 })

static inline struct strv
strv_make(const char *p, size_t len)
{
	return (struct strv){ p, len };
}

static inline struct strv
strv_cstr(const char *s)
{
	return (struct strv){ s, strlen(s) };
}

static inline bool
strv_eq(struct strv a, struct strv b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool
strv_eq_cstr(struct strv a, const char *s)
{
	return strv_eq(a, strv_cstr(s));
}

static inline bool
strv_has_prefix(struct strv a, const char *prefix)
{
	size_t n = strlen(prefix);

	return a.len >= n && memcmp(a.p, prefix, n) == 0;
}

static inline struct strv
strv_skip(struct strv a, size_t n)
{
	if (n > a.len)
		n = a.len;
	return (struct strv){ a.p + n, a.len - n };
}

/* First occurrence of needle in hay, or NULL. */
const char *strv_find(struct strv hay, struct strv needle);
/* Offset of the last occurrence of key in s that starts s or follows a
 * space ("user=", "rip=" in a field list), or -1. Searching from the end
 * matters: a client-chosen user name earlier on the line may contain the
 * key too. */
long strv_last_word(struct strv s, const char *key);
/* Trim ASCII spaces and tabs on both ends. */
struct strv strv_trim(struct strv a);
/* Case-insensitive ASCII compare. */
bool strv_eq_nocase(struct strv a, struct strv b);



/* Copy src into dst (dstsize bytes, always NUL-terminated) with bytes outside
 * printable ASCII written as \xNN, for quoting attacker text in diagnostics.
 * Returns dst. */
char *strv_printable(struct strv src, char *dst, size_t dstsize);
#endif
