/* act_pq.c - one line of `postqueue -j`, read strictly
 * SUMMARY  Postfix writes one JSON object per queued message:
 *            {"queue_name": "deferred", "queue_id": "4PbCZy4PWKz3tBr",
 *             "arrival_time": 1795421800, "message_size": 444,
 *             "forced_expire": false, "sender": "u@example.com",
 *             "recipients": [{"address": "x@example.org",
 *                             "delay_reason": "..."}]}
 *          Only these fields are read; every other member is checked for
 *          syntax and skipped. Written by hand (a few hundred lines) rather
 *          than taking a JSON library for one line shape: the purge is the
 *          only JSON we read, the library would be one more dependency on
 *          every mail server, and here we bound every length ourselves.
 *          The sender and recipients are attacker text (any client picks
 *          its envelope), which is why the syntax is checked in full:
 *          RFC 8259 strings (escapes, surrogate pairs, no raw control
 *          bytes, valid UTF-8, no \u0000), nesting at most PQ_DEPTH_MAX. */
#include <string.h>

#include "act/act.h"
#include "util/scan.h"
#include "util/strv.h"
#include "util/utf8.h"

#define PQ_DEPTH_MAX 16
#define PQ_KEY_MAX 32

struct pq {
	const char *p;
	size_t len, i;
};

static void
ws(struct pq *s)
{
	while (s->i < s->len &&
	       (s->p[s->i] == ' ' || s->p[s->i] == '\t' || s->p[s->i] == '\n' || s->p[s->i] == '\r'))
		s->i++;
}

static bool
eat(struct pq *s, char c)
{
	ws(s);
	if (s->i < s->len && s->p[s->i] == c) {
		s->i++;
		return true;
	}
	return false;
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int k;

	for (k = 0; k < 4; k++) {
		char c = p[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
utf8_put(unsigned cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at s->i (after blanks). Decoded into dst (size bytes with the
 * NUL) when dst is not NULL; what does not fit is dropped, whole
 * characters only, and *cut set. */
static int
str(struct pq *s, char *dst, size_t size, bool *cut)
{
	size_t o = 0;

	if (!eat(s, '"'))
		return -1;
	if (cut != NULL)
		*cut = false;
	for (;;) {
		char tmp[4];
		size_t n;
		unsigned char c;

		if (s->i >= s->len)
			return -1;
		c = (unsigned char)s->p[s->i];
		if (c == '"') {
			s->i++;
			break;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			unsigned cp, lo;

			if (s->i + 1 >= s->len)
				return -1;
			switch (s->p[s->i + 1]) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				if (s->i + 6 > s->len || hex4(s->p + s->i + 2, &cp) != 0)
					return -1;
				s->i += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return -1;	/* low surrogate alone */
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (s->i + 8 > s->len || s->p[s->i + 2] != '\\' ||
					    s->p[s->i + 3] != 'u' ||
					    hex4(s->p + s->i + 4, &lo) != 0 || lo < 0xdc00 ||
					    lo > 0xdfff)
						return -1;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					s->i += 6;
				}
				if (cp == 0)
					return -1;	/* a NUL would cut the C string */
				break;
			default:
				return -1;
			}
			s->i += 2;
			n = utf8_put(cp, tmp);
		} else if (c < 0x80) {
			tmp[0] = (char)c;
			n = 1;
			s->i++;
		} else {
			if ((n = utf8_valid_len(s->p + s->i, s->len - s->i)) == 0)
				return -1;
			memcpy(tmp, s->p + s->i, n);
			s->i += n;
		}
		if (dst == NULL)
			continue;
		if (o + n < size) {
			memcpy(dst + o, tmp, n);
			o += n;
		} else if (cut != NULL) {
			*cut = true;
		}
	}
	if (dst != NULL)
		dst[o] = '\0';
	return 0;
}

/* A JSON number; *is_uint: it was plain digits (no sign, fraction or
 * exponent), and *v their value (0 on overflow, with *is_uint false). */
static int
number(struct pq *s, bool *is_uint, uint64_t *v)
{
	size_t start, digits;
	bool plain = true;

	ws(s);
	start = s->i;
	if (s->i < s->len && s->p[s->i] == '-') {
		s->i++;
		plain = false;
	}
	digits = s->i;
	if (s->i < s->len && s->p[s->i] == '0')
		s->i++;
	else
		while (s->i < s->len && s->p[s->i] >= '0' && s->p[s->i] <= '9')
			s->i++;
	if (s->i == digits)
		return -1;
	if (s->i < s->len && s->p[s->i] == '.') {
		size_t f = ++s->i;

		while (s->i < s->len && s->p[s->i] >= '0' && s->p[s->i] <= '9')
			s->i++;
		if (s->i == f)
			return -1;
		plain = false;
	}
	if (s->i < s->len && (s->p[s->i] == 'e' || s->p[s->i] == 'E')) {
		size_t e;

		s->i++;
		if (s->i < s->len && (s->p[s->i] == '+' || s->p[s->i] == '-'))
			s->i++;
		e = s->i;
		while (s->i < s->len && s->p[s->i] >= '0' && s->p[s->i] <= '9')
			s->i++;
		if (s->i == e)
			return -1;
		plain = false;
	}
	*is_uint = plain && scan_u64(s->p + start, s->i - start, v) == 0;
	return 0;
}

static int
literal(struct pq *s, const char *word)
{
	size_t n = strlen(word);

	if (s->len - s->i < n || memcmp(s->p + s->i, word, n) != 0)
		return -1;
	s->i += n;
	return 0;
}

static int skip_value(struct pq *s, int depth);

static int
skip_container(struct pq *s, int depth, char close, bool keys)
{
	if (depth > PQ_DEPTH_MAX)
		return -1;
	s->i++;	/* the opening bracket */
	if (eat(s, close))
		return 0;
	do {
		if (keys && (str(s, NULL, 0, NULL) != 0 || !eat(s, ':')))
			return -1;
		if (skip_value(s, depth) != 0)
			return -1;
	} while (eat(s, ','));
	return eat(s, close) ? 0 : -1;
}

static int
skip_value(struct pq *s, int depth)
{
	bool u;
	uint64_t v;

	ws(s);
	if (s->i >= s->len)
		return -1;
	switch (s->p[s->i]) {
	case '"':
		return str(s, NULL, 0, NULL);
	case '{':
		return skip_container(s, depth + 1, '}', true);
	case '[':
		return skip_container(s, depth + 1, ']', false);
	case 't':
		return literal(s, "true");
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	default:
		return number(s, &u, &v);
	}
}

static bool
all_alnum(const char *p, bool lower_alpha_only)
{
	if (*p == '\0')
		return false;
	for (; *p != '\0'; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (!lower_alpha_only && c >= 'A' && c <= 'Z') ||
		      (!lower_alpha_only && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* [{"address": "...", ...}, ...] */
static int
recipients(struct pq *s, const char *match, struct act_pq_msg *m)
{
	if (!eat(s, '['))
		return -1;
	if (eat(s, ']'))
		return 0;
	do {
		char addr[ACT_ACCOUNT_MAX + 1], key[PQ_KEY_MAX];
		bool have = false, cut = false, kcut;

		if (!eat(s, '{'))
			return -1;
		if (!eat(s, '}')) {
			do {
				if (str(s, key, sizeof(key), &kcut) != 0 || !eat(s, ':'))
					return -1;
				if (!kcut && strcmp(key, "address") == 0) {
					if (have || str(s, addr, sizeof(addr), &cut) != 0)
						return -1;
					have = true;
				} else if (skip_value(s, 2) != 0) {
					return -1;
				}
			} while (eat(s, ','));
			if (!eat(s, '}'))
				return -1;
		}
		if (!have)
			return -1;
		m->nrcpt++;
		if (!cut && match != NULL &&
		    strv_eq_nocase(strv_cstr(addr), strv_cstr(match)))
			m->rcpt_match = true;
	} while (eat(s, ','));
	return eat(s, ']') ? 0 : -1;
}

enum { F_QID = 1, F_QNAME = 2, F_SENDER = 4, F_ARRIVAL = 8, F_SIZE = 16, F_RCPTS = 32 };

int
act_pq_parse(const char *p, size_t len, const char *match, struct act_pq_msg *out)
{
	struct pq s = { p, len, 0 };
	struct act_pq_msg m;
	unsigned seen = 0;

	memset(&m, 0, sizeof(m));
	if (!eat(&s, '{'))
		return -1;
	if (eat(&s, '}'))
		return -1;
	do {
		char key[PQ_KEY_MAX];
		unsigned f = 0;
		bool kcut, cut, u;
		uint64_t v;

		if (str(&s, key, sizeof(key), &kcut) != 0 || !eat(&s, ':'))
			return -1;
		if (!kcut) {
			f = strcmp(key, "queue_id") == 0       ? F_QID
			    : strcmp(key, "queue_name") == 0   ? F_QNAME
			    : strcmp(key, "sender") == 0       ? F_SENDER
			    : strcmp(key, "arrival_time") == 0 ? F_ARRIVAL
			    : strcmp(key, "message_size") == 0 ? F_SIZE
			    : strcmp(key, "recipients") == 0   ? F_RCPTS
							       : 0;
		}
		if (f & seen)
			return -1;	/* a second value for a field we read */
		seen |= f;
		switch (f) {
		case F_QID:
			if (str(&s, m.queue_id, sizeof(m.queue_id), &cut) != 0 || cut ||
			    !all_alnum(m.queue_id, false))
				return -1;
			break;
		case F_QNAME:
			if (str(&s, m.queue_name, sizeof(m.queue_name), &cut) != 0 || cut ||
			    !all_alnum(m.queue_name, true))
				return -1;
			break;
		case F_SENDER:
			if (str(&s, m.sender, sizeof(m.sender), &m.sender_cut) != 0)
				return -1;
			break;
		case F_ARRIVAL:
			if (number(&s, &u, &v) != 0 || !u || v > (uint64_t)INT64_MAX)
				return -1;
			m.arrival_time = (int64_t)v;
			break;
		case F_SIZE:
			if (number(&s, &u, &v) != 0 || !u)
				return -1;
			m.message_size = v;
			break;
		case F_RCPTS:
			if (recipients(&s, match, &m) != 0)
				return -1;
			break;
		default:
			if (skip_value(&s, 1) != 0)
				return -1;
			break;
		}
	} while (eat(&s, ','));
	if (!eat(&s, '}'))
		return -1;
	ws(&s);
	if (s.i != s.len)
		return -1;	/* bytes after the object */
	if ((seen & (F_QID | F_SENDER | F_RCPTS)) != (F_QID | F_SENDER | F_RCPTS))
		return -1;
	*out = m;
	return 0;
}
