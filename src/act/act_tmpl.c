/* act_tmpl.c - values checked before they may reach a program; hook templates
 * SUMMARY  act_check_* decide whether a value from a log may become an
 *          argument; act_tmpl_* split a template at config load and
 *          expand it into an argv. Nothing here runs anything. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "act/act_int.h"
#include "util/mem.h"
#include "util/strv.h"
#include "util/utf8.h"

char *
act_quote(const char *s, char *dst, size_t size)
{
	size_t len = strlen(s), need = 0, i;

	if (size < 8) {
		if (size)
			dst[0] = '\0';
		return dst;
	}
	/* What strv_printable needs for all of s: 1 byte per plain character,
	 * 4 per escape. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		need += (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
	}
	if (need < size) {
		strv_printable(strv_make(s, len), dst, size);
		return dst;
	}
	strv_printable(strv_make(s, len), dst, size - 3);
	memcpy(dst + strlen(dst), "...", 4);
	return dst;
}

static int
check_fail(char *err, size_t errlen, const char *what, const char *s, const char *why)
{
	char q[80];

	snprintf(err, errlen, "%s \"%s\" refused: %s", what, act_quote(s, q, sizeof(q)), why);
	return -1;
}

static int
copy_out(const char *s, size_t len, char *out, size_t outsize, char *err, size_t errlen,
	 const char *what)
{
	if (len >= outsize) {
		snprintf(err, errlen, "%s: no room for the value (%zu bytes)", what, len);
		return -1;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* Code point of the valid n-byte UTF-8 sequence at p. */
static unsigned
utf8_cp(const unsigned char *p, size_t n)
{
	switch (n) {
	case 2:
		return (p[0] & 0x1fu) << 6 | (p[1] & 0x3fu);
	case 3:
		return (p[0] & 0x0fu) << 12 | (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu);
	case 4:
		return (p[0] & 0x07u) << 18 | (p[1] & 0x3fu) << 12 | (p[2] & 0x3fu) << 6 |
		       (p[3] & 0x3fu);
	default:
		return p[0];
	}
}

/* Length of the character at s[i] (valid UTF-8, not a control), else 0
 * with *why set. */
static size_t
text_char(const char *s, size_t len, size_t i, const char **why)
{
	unsigned char c = (unsigned char)s[i];
	size_t n;

	if (c < 0x20 || c == 0x7f) {
		*why = "it contains a control byte";
		return 0;
	}
	if (c < 0x80)
		return 1;
	if ((n = utf8_valid_len(s + i, len - i)) == 0) {
		*why = "it is not valid UTF-8";
		return 0;
	}
	if (utf8_cp((const unsigned char *)s + i, n) < 0xa0) {	/* C1 controls */
		*why = "it contains a control character";
		return 0;
	}
	return n;
}

int
act_check_account(const char *s, char *out, size_t outsize, char *err, size_t errlen)
{
	static const char extra[] = "@.!#$%&'*+-/=?^_`{|}~";
	size_t len = strlen(s), i, n;
	const char *why;

	if (len == 0)
		return check_fail(err, errlen, "account", s, "it is empty");
	if (len > ACT_ACCOUNT_MAX)
		return check_fail(err, errlen, "account", s, "it is longer than 255 bytes");
	if (s[0] == '-')
		return check_fail(err, errlen, "account", s, "it begins with '-'");
	for (i = 0; i < len; i += n) {
		unsigned char c = (unsigned char)s[i];

		if ((n = text_char(s, len, i, &why)) == 0)
			return check_fail(err, errlen, "account", s, why);
		if (c < 0x80 && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && strchr(extra, c) == NULL) {
			char why2[64];

			snprintf(why2, sizeof(why2), "'%c' is not allowed in an account", c);
			if (c == ' ')
				snprintf(why2, sizeof(why2), "it contains a space");
			return check_fail(err, errlen, "account", s, why2);
		}
	}
	return copy_out(s, len, out, outsize, err, errlen, "account");
}

int
act_check_ip(const char *s, char *out, size_t outsize, char *err, size_t errlen)
{
	struct netaddr a;
	char buf[NETADDR_STRLEN];
	size_t n;

	if (netaddr_parse(s, strlen(s), &a) != 0)
		return check_fail(err, errlen, "ip", s, "it is not an IPv4 or IPv6 address");
	n = netaddr_format(&a, buf);
	return copy_out(buf, n, out, outsize, err, errlen, "ip");
}

/* s is 1..max bytes of alnum (plus extra, not as the first byte). */
static int
check_word(const char *what, const char *s, size_t max, const char *extra, bool lower_only,
	   char *out, size_t outsize, char *err, size_t errlen)
{
	size_t len = strlen(s), i;
	char why[64];

	if (len == 0)
		return check_fail(err, errlen, what, s, "it is empty");
	if (len > max) {
		snprintf(why, sizeof(why), "it is longer than %zu bytes", max);
		return check_fail(err, errlen, what, s, why);
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  (!lower_only && c >= 'A' && c <= 'Z') ||
			  (i > 0 && c != '\0' && extra != NULL && strchr(extra, c) != NULL);

		if (!ok) {
			if (c < 0x20 || c >= 0x7f)
				snprintf(why, sizeof(why), "byte 0x%02x is not allowed", c);
			else
				snprintf(why, sizeof(why), "'%c' is not allowed", c);
			return check_fail(err, errlen, what, s, why);
		}
	}
	return copy_out(s, len, out, outsize, err, errlen, what);
}

int
act_check_queue_id(const char *s, char *out, size_t outsize, char *err, size_t errlen)
{
	return check_word("queue id", s, ACT_QID_MAX, NULL, false, out, outsize, err, errlen);
}

int
act_check_kind(const char *s, char *out, size_t outsize, char *err, size_t errlen)
{
	return check_word("kind", s, ACT_KIND_MAX, "_", true, out, outsize, err, errlen);
}

int
act_check_incident(const char *s, char *out, size_t outsize, char *err, size_t errlen)
{
	return check_word("incident", s, ACT_INCIDENT_MAX, "._:-", false, out, outsize, err,
			  errlen);
}

int
act_check_reason(const char *s, char *out, size_t outsize, char *err, size_t errlen)
{
	size_t len = strlen(s), i = 0, n;
	const char *why;

	while (i < len) {
		if ((n = text_char(s, len, i, &why)) == 0)
			return check_fail(err, errlen, "reason", s, why);
		if (i + n > ACT_REASON_MAX)
			break;	/* cut before a character that does not fit */
		i += n;
	}
	return copy_out(s, i, out, outsize, err, errlen, "reason");
}

/* ------------------------------------------------------------- templates */

struct act_tmpl {
	char *words[ACT_ARGS_MAX];
	size_t n;
	unsigned uses;
};

static const char *const var_names[ACT_VAR_MAX] = {
	"account", "ip", "kind", "incident", "reason", "queue_id",
};

const char *
act_var_name(enum act_var v)
{
	return (unsigned)v < ACT_VAR_MAX ? var_names[v] : "?";
}

/* The placeholder at p ("{name}..."): its variable, and its length in *n;
 * -1 if p does not start one. */
static int
placeholder(const char *p, size_t len, size_t *n)
{
	int v;

	for (v = 0; v < ACT_VAR_MAX; v++) {
		size_t l = strlen(var_names[v]);

		if (len >= l + 2 && p[0] == '{' && memcmp(p + 1, var_names[v], l) == 0 &&
		    p[l + 1] == '}') {
			*n = l + 2;
			return v;
		}
	}
	return -1;
}

static int
tmpl_fail(struct act_tmpl *t, char *err, size_t errlen, const char *fmt, ...) MSG_FMT(4, 5);

static int
tmpl_fail(struct act_tmpl *t, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	act_tmpl_free(&t);
	return -1;
}

int
act_tmpl_parse(const char *text, struct act_tmpl **out, char *err, size_t errlen)
{
	struct act_tmpl *t = mem_calloc(1, sizeof(*t));
	const char *p = text;
	char q[80];

	while (*p != '\0') {
		const char *w;
		size_t len, i, n;
		int v;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - w);
		if (t->n == ACT_ARGS_MAX)
			return tmpl_fail(t, err, errlen, "more than %d words", ACT_ARGS_MAX);
		if (len > ACT_ARG_MAX)
			return tmpl_fail(t, err, errlen, "word %zu is longer than %d bytes",
					 t->n + 1, ACT_ARG_MAX);
		for (i = 0; i < len; i += n) {
			unsigned char c = (unsigned char)w[i];

			n = 1;
			if (c < 0x20 || c == 0x7f)
				return tmpl_fail(t, err, errlen, "control byte 0x%02x", c);
			if (c == '"' || c == '\'' || c == '\\')
				return tmpl_fail(t, err, errlen,
						 "%c: quotes and backslashes are not interpreted "
						 "(words are split on blanks; for an argument with a "
						 "blank, use a wrapper script)", c);
			if (c == '}')
				return tmpl_fail(t, err, errlen, "'}' without '{'");
			if (c != '{')
				continue;
			if ((v = placeholder(w + i, len - i, &n)) < 0) {
				char tmp[ACT_ARG_MAX + 1];

				memcpy(tmp, w + i, len - i);
				tmp[len - i] = '\0';
				return tmpl_fail(t, err, errlen,
						 "unknown placeholder at \"%s\" (known: {account} {ip} "
						 "{kind} {incident} {reason} {queue_id})",
						 act_quote(tmp, q, 40));
			}
			if (t->n == 0)
				return tmpl_fail(t, err, errlen,
						 "the program may not come from a placeholder");
			t->uses |= 1u << v;
		}
		if (t->n == 0 && w[0] != '/') {
			char tmp[ACT_ARG_MAX + 1];

			memcpy(tmp, w, len);
			tmp[len] = '\0';
			return tmpl_fail(t, err, errlen,
					 "the program \"%s\" is not an absolute path",
					 act_quote(tmp, q, sizeof(q)));
		}
		t->words[t->n++] = mem_strndup(w, len);
	}
	if (t->n == 0)
		return tmpl_fail(t, err, errlen, "empty command");
	*out = t;
	return 0;
}

void
act_tmpl_free(struct act_tmpl **tp)
{
	struct act_tmpl *t = *tp;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		mem_free(t->words[i]);
	mem_free(t);
	*tp = NULL;
}

unsigned
act_tmpl_uses(const struct act_tmpl *t)
{
	return t->uses;
}

int
act_tmpl_expand(const struct act_tmpl *t, const struct act_vars *v, struct act_argv *out,
		char *err, size_t errlen)
{
	static const size_t sizes[ACT_VAR_MAX] = {
		ACT_ACCOUNT_MAX + 1, NETADDR_STRLEN, ACT_KIND_MAX + 1,
		ACT_INCIDENT_MAX + 1, ACT_REASON_MAX + 1, ACT_QID_MAX + 1,
	};
	char vals[ACT_VAR_MAX][ACT_ACCOUNT_MAX + 1];
	const char *in[ACT_VAR_MAX] = { v->account, v->ip, v->kind,
					v->incident, v->reason, v->queue_id };
	struct buf b;
	size_t w;
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < ACT_VAR_MAX; i++) {
		int rc;

		if (!(t->uses & (1u << i)))
			continue;
		if (in[i] == NULL) {
			snprintf(err, errlen, "{%s} has no value for this action", var_names[i]);
			return -1;
		}
		switch (i) {
		case ACT_VAR_ACCOUNT:
			rc = act_check_account(in[i], vals[i], sizes[i], err, errlen);
			break;
		case ACT_VAR_IP:
			rc = act_check_ip(in[i], vals[i], sizes[i], err, errlen);
			break;
		case ACT_VAR_KIND:
			rc = act_check_kind(in[i], vals[i], sizes[i], err, errlen);
			break;
		case ACT_VAR_INCIDENT:
			rc = act_check_incident(in[i], vals[i], sizes[i], err, errlen);
			break;
		case ACT_VAR_REASON:
			rc = act_check_reason(in[i], vals[i], sizes[i], err, errlen);
			break;
		default:
			rc = act_check_queue_id(in[i], vals[i], sizes[i], err, errlen);
			break;
		}
		if (rc != 0)
			return -1;
	}
	buf_init(&b, ACT_ARG_MAX);
	for (w = 0; w < t->n; w++) {
		const char *p = t->words[w];
		size_t len = strlen(p), j = 0, n;

		buf_reset(&b);
		buf_append(&b, "", 0);
		while (j < len) {
			int var = p[j] == '{' ? placeholder(p + j, len - j, &n) : -1;
			int rc;

			if (var < 0) {
				rc = buf_append_char(&b, p[j]);
				n = 1;
			} else {
				if (j == 0 && vals[var][0] == '-') {
					char q[80];

					snprintf(err, errlen,
						 "%s \"%s\" refused: it would begin argument %zu "
						 "with '-' (an option)", var_names[var],
						 act_quote(vals[var], q, sizeof(q)), w);
					goto fail;
				}
				rc = buf_append_str(&b, vals[var]);
			}
			if (rc != 0) {
				snprintf(err, errlen, "argument %zu would be longer than %d bytes", w,
					 ACT_ARG_MAX);
				goto fail;
			}
			j += n;
		}
		out->argv[out->argc++] = mem_strndup(b.data, b.len);
	}
	out->argv[out->argc] = NULL;
	buf_release(&b);
	return 0;
fail:
	buf_release(&b);
	act_argv_free(out);
	return -1;
}

int
act_argv_set(struct act_argv *out, const char *const *argv, size_t argc)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (argc > ACT_ARGS_MAX)
		return -1;
	for (i = 0; i < argc; i++)
		out->argv[i] = mem_strdup(argv[i]);
	out->argc = argc;
	out->argv[argc] = NULL;
	return 0;
}

void
act_argv_free(struct act_argv *a)
{
	size_t i;

	for (i = 0; i < a->argc; i++)
		mem_free(a->argv[i]);
	memset(a, 0, sizeof(*a));
}

char *
act_argv_render(const char *const *argv, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;
	bool cut = false;

	if (size < 4) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	/* Write into size-4 bytes, keeping room for "..." and the NUL. */
	for (i = 0; argv[i] != NULL && !cut; i++) {
		const unsigned char *p = (const unsigned char *)argv[i];
		char tmp[8];
		size_t tl;

#define PUT(s, l)                                   \
	do {                                        \
		if (o + (l) > size - 4) {           \
			cut = true;                 \
			break;                      \
		}                                   \
		memcpy(buf + o, (s), (l));          \
		o += (l);                           \
	} while (0)
		if (i > 0)
			PUT(" ", 1);
		if (cut)
			break;
		PUT("'", 1);
		for (; *p != '\0' && !cut; p++) {
			if (*p == '\'') {
				memcpy(tmp, "'\\''", 4);
				tl = 4;
			} else if (*p < 0x20 || *p == 0x7f) {
				tmp[0] = '\\';
				tmp[1] = 'x';
				tmp[2] = hex[*p >> 4];
				tmp[3] = hex[*p & 15];
				tl = 4;
			} else {
				tmp[0] = (char)*p;
				tl = 1;
			}
			PUT(tmp, tl);
		}
		if (!cut)
			PUT("'", 1);
#undef PUT
	}
	if (cut) {
		/* Do not leave half a UTF-8 character before the marker. */
		while (o > 0 && ((unsigned char)buf[o - 1] & 0xc0) == 0x80)
			o--;
		if (o > 0 && (unsigned char)buf[o - 1] >= 0xc0)
			o--;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}
