/* qq_proto.c - the qmail-queue wrapper's pure parts (see qq_proto.h)
 * No I/O, no allocation, no globals: tests/fuzz/fuzz_qmailq.c includes this
 * file and runs it on arbitrary bytes. */
#include "qmailq/qq_proto.h"

#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

static bool
qq_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
qq_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits only, 1..9 of them (no sign, no blank). */
static int
qq_scan_u32(const char *p, size_t n, uint32_t *v)
{
	uint32_t x = 0;
	size_t i;

	if (n == 0 || n > 9)
		return -1;
	for (i = 0; i < n; i++) {
		if (!qq_is_digit(p[i]))
			return -1;
		x = x * 10 + (uint32_t)(p[i] - '0');
	}
	*v = x;
	return 0;
}

static bool
qq_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
qq_addr_parse(const char *s, struct qq_addr *a, const char **err)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
	struct sockaddr_un *su = (struct sockaddr_un *)&a->ss;
	char host[64];
	const char *hp, *colon;
	size_t hl, n;
	uint32_t port;

	memset(a, 0, sizeof(*a));
	if (qq_prefix(s, "unix:")) {
		s += 5;
		n = strnlen(s, QQ_PATH_MAX);
		if (s[0] != '/') {
			*err = "unix: wants an absolute path (unix:/PATH)";
			return -1;
		}
		if (n >= QQ_PATH_MAX || n >= sizeof(su->sun_path)) {
			*err = "unix: path too long for a socket";
			return -1;
		}
		su->sun_family = AF_UNIX;
		memcpy(su->sun_path, s, n + 1);
		a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
		a->family = AF_UNIX;
		return 0;
	}
	if (!qq_prefix(s, "inet:")) {
		*err = "want inet:HOST:PORT or unix:/PATH";
		return -1;
	}
	hp = s + 5;
	n = strnlen(hp, sizeof(host) + 8);
	if ((colon = strrchr(hp, ':')) == NULL || (hl = (size_t)(colon - hp)) == 0 ||
	    hl >= sizeof(host) || n > hl + 6 ||
	    qq_scan_u32(colon + 1, n - hl - 1, &port) < 0 || port == 0 || port > 65535) {
		*err = "want inet:HOST:PORT (an IPv4 address, or an IPv6 one in brackets, and a "
		       "port 1-65535)";
		return -1;
	}
	memcpy(host, hp, hl);
	host[hl] = '\0';
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']') {
			*err = "inet: an IPv6 address goes in brackets: inet:[::1]:10040";
			return -1;
		}
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1) {
			*err = "inet: not an IPv6 address in the brackets (no host names: no DNS)";
			return -1;
		}
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*s6);
		a->family = AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
		*err = "inet: HOST must be an IPv4 address or [IPv6] (no host names: no DNS)";
		return -1;
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	a->len = sizeof(*s4);
	a->family = AF_INET;
	return 0;
}

int
qq_duration_parse(const char *s, int *ms, const char **err)
{
	size_t n = strnlen(s, 16), d = 0;
	uint32_t v;
	uint64_t m;

	while (d < n && qq_is_digit(s[d]))
		d++;
	if (qq_scan_u32(s, d, &v) < 0) {
		*err = "want a duration: 2s, 500ms or 2 (seconds)";
		return -1;
	}
	if (d == n || strcmp(s + d, "s") == 0) {
		m = (uint64_t)v * 1000;
	} else if (strcmp(s + d, "ms") == 0) {
		m = v;
	} else {
		*err = "want a duration: 2s, 500ms or 2 (seconds)";
		return -1;
	}
	if (m < QQ_TIMEOUT_MIN_MS || m > QQ_TIMEOUT_MAX_MS) {
		*err = "duration out of range (1ms..60s)";
		return -1;
	}
	*ms = (int)m;
	return 0;
}

int
qq_names_parse(const char *s, char names[QQ_NAMES_MAX][QQ_NAME_MAX], size_t *n,
	       const char **err)
{
	size_t count = 0;

	for (;;) {
		size_t len = 0;

		while (qq_is_blank(*s) || *s == ',')
			s++;
		if (*s == '\0')
			break;
		while (s[len] != '\0' && !qq_is_blank(s[len]) && s[len] != ',') {
			char c = s[len];

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
			      (len > 0 && qq_is_digit(c)))) {
				*err = "a variable name is letters, digits and '_', not starting "
				       "with a digit";
				return -1;
			}
			if (++len >= QQ_NAME_MAX) {
				*err = "variable name too long";
				return -1;
			}
		}
		if (count == QQ_NAMES_MAX) {
			*err = "too many variable names (at most 8)";
			return -1;
		}
		memcpy(names[count], s, len);
		names[count][len] = '\0';
		count++;
		s += len;
	}
	if (count == 0) {
		*err = "no variable name";
		return -1;
	}
	*n = count;
	return 0;
}

bool
qq_value_ok(const char *s, bool empty_ok)
{
	size_t n = strnlen(s, QQ_VALUE_MAX), i;

	if (n == QQ_VALUE_MAX || (n == 0 && !empty_ok))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

int
qq_ip_canon(const char *s, char *out, size_t outsize)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strnlen(s, 64) == 64)
		return -1;
	if (inet_pton(AF_INET, s, &a4) == 1)
		return inet_ntop(AF_INET, &a4, out, (socklen_t)outsize) != NULL ? 0 : -1;
	if (inet_pton(AF_INET6, s, &a6) != 1)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		memcpy(&a4, &a6.s6_addr[12], 4);
		return inet_ntop(AF_INET, &a4, out, (socklen_t)outsize) != NULL ? 0 : -1;
	}
	return inet_ntop(AF_INET6, &a6, out, (socklen_t)outsize) != NULL ? 0 : -1;
}

/* Append "name=value\n"; -1 when it does not fit. */
static int
qq_req_attr(char *buf, size_t size, size_t *len, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	if (nl + vl + 2 > size - *len)
		return -1;
	memcpy(buf + *len, name, nl);
	buf[*len + nl] = '=';
	memcpy(buf + *len + nl + 1, value, vl);
	buf[*len + nl + 1 + vl] = '\n';
	*len += nl + vl + 2;
	return 0;
}

int
qq_req_format(const struct qq_req *r, char *buf, size_t size, const char **err)
{
	const struct {
		const char *name, *value;
		bool empty_ok;
	} attrs[] = {
		{ "request", "smtpd_access_policy", false },
		{ "protocol_state", r->protocol_state, false },
		{ "protocol_name", "ESMTP", false },
		{ "client_address", r->client_address, false },
		{ "sasl_username", r->sasl_username, false },
		{ "sender", r->sender, true },
		{ "server_address", r->server_address, false },
		{ "server_port", r->server_port, false },
	};
	size_t i, len = 0;

	if (size > QQ_REQ_MAX)
		size = QQ_REQ_MAX;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (attrs[i].value == NULL)
			continue;
		if (!qq_value_ok(attrs[i].value, attrs[i].empty_ok)) {
			*err = "a value has a control byte or is too long";
			return -1;
		}
		if (qq_req_attr(buf, size, &len, attrs[i].name, attrs[i].value) < 0) {
			*err = "request too long";
			return -1;
		}
	}
	if (len + 1 > size) {
		*err = "request too long";
		return -1;
	}
	buf[len++] = '\n';
	return (int)len;
}

/* ---- the answer ---- */

static const struct {
	const char *word;
	enum qq_verdict v;
} qq_actions[] = {
	{ "DUNNO", QQ_DUNNO },	     { "OK", QQ_DUNNO },	{ "DEFER_IF_REJECT", QQ_DUNNO },
	{ "REJECT", QQ_REJECT },     { "DEFER", QQ_DEFER },	{ "DEFER_IF_PERMIT", QQ_DEFER },
	{ "HOLD", QQ_HOLD },	     { "DISCARD", QQ_DISCARD }, { "PREPEND", QQ_IGNORED },
	{ "WARN", QQ_IGNORED },	     { "INFO", QQ_IGNORED },	{ "FILTER", QQ_IGNORED },
	{ "REDIRECT", QQ_IGNORED },  { "BCC", QQ_IGNORED },
};

const char *
qq_verdict_name(enum qq_verdict v)
{
	switch (v) {
	case QQ_DUNNO: return "dunno";
	case QQ_REJECT: return "reject";
	case QQ_DEFER: return "defer";
	case QQ_HOLD: return "hold";
	case QQ_DISCARD: return "discard";
	case QQ_IGNORED: return "ignored";
	}
	return "unknown";
}

static bool
qq_word_eq(const char *w, size_t n, const char *name)
{
	size_t i;

	if (strlen(name) != n)
		return false;
	for (i = 0; i < n; i++) {
		char c = w[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != name[i])
			return false;
	}
	return true;
}

/* The value of action= (n bytes, no NUL, no newline) into *a. */
static enum qq_status
qq_action(const char *v, size_t n, struct qq_answer *a, const char **err)
{
	size_t w = 0, i, t;

	while (n > 0 && qq_is_blank(*v))
		v++, n--;
	while (n > 0 && qq_is_blank(v[n - 1]))
		n--;
	while (w < n && !qq_is_blank(v[w]))
		w++;
	if (w == 0) {
		*err = "empty action";
		return QQ_BAD;
	}
	if (w >= sizeof(a->word)) {
		*err = "unknown action";
		return QQ_BAD;
	}
	memcpy(a->word, v, w);
	a->word[w] = '\0';
	t = w;
	while (t < n && qq_is_blank(v[t]))
		t++;
	n -= t;
	if (n >= sizeof(a->text))
		n = sizeof(a->text) - 1;
	memcpy(a->text, v + t, n);
	a->text[n] = '\0';
	/* 4NN text, 5NN text: an SMTP reply code of Postfix's access(5). */
	if (w == 3 && (v[0] == '4' || v[0] == '5') && qq_is_digit(v[1]) && qq_is_digit(v[2])) {
		a->verdict = v[0] == '5' ? QQ_REJECT : QQ_DEFER;
		return QQ_OK;
	}
	for (i = 0; i < sizeof(qq_actions) / sizeof(qq_actions[0]); i++) {
		if (qq_word_eq(v, w, qq_actions[i].word)) {
			a->verdict = qq_actions[i].v;
			return QQ_OK;
		}
	}
	*err = "unknown action";
	return QQ_BAD;
}

static bool
qq_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || qq_is_digit(c) || c == '_';
}

enum qq_status
qq_answer_parse(const char *buf, size_t len, struct qq_answer *a, const char **err)
{
	const char *act = NULL;
	size_t pos = 0, actlen = 0;

	if (len > QQ_ANSWER_MAX)
		len = QQ_ANSWER_MAX;
	for (;;) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos), *eq;
		size_t n, i;

		if (nl == NULL) {
			if (len >= QQ_ANSWER_MAX) {
				*err = "answer longer than 1024 bytes";
				return QQ_BAD;
			}
			return QQ_MORE;
		}
		n = (size_t)(nl - line);
		pos += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0) {
			if (act == NULL) {
				*err = "answer without action=";
				return QQ_BAD;
			}
			return qq_action(act, actlen, a, err);
		}
		if (memchr(line, '\0', n) != NULL) {
			*err = "NUL byte in the answer";
			return QQ_BAD;
		}
		if ((eq = memchr(line, '=', n)) == NULL || eq == line) {
			*err = "answer line is not name=value";
			return QQ_BAD;
		}
		for (i = 0; line + i < eq; i++) {
			if (!qq_name_char(line[i])) {
				*err = "bad attribute name in the answer";
				return QQ_BAD;
			}
		}
		if ((size_t)(eq - line) == 6 && memcmp(line, "action", 6) == 0) {
			if (act != NULL) {
				*err = "two action= lines in one answer";
				return QQ_BAD;
			}
			act = eq + 1;
			actlen = n - 7;
		}
	}
}

void
qq_printable(const char *s, size_t len, char *out, size_t outsize)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;

		if (o + need + 4 > outsize) {	/* room for "..." and the NUL */
			if (outsize >= 4) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o < outsize ? o : outsize - 1] = '\0';
}

size_t
qq_custom_error(bool permanent, const struct qq_answer *a, char *out, size_t outsize)
{
	const char *t = a->text[0] != '\0' ? a->text
			: permanent		? "mail refused by policy (#5.7.1)"
						: "mail deferred by policy, try again later (#4.7.1)";
	size_t max = outsize > 201 ? 201 : outsize - 1, o = 0, i;

	if (outsize == 0)
		return 0;
	if (max > 0)
		out[o++] = permanent ? 'D' : 'Z';
	for (i = 0; t[i] != '\0' && o < max; i++)
		out[o++] = (t[i] >= 0x20 && t[i] < 0x7f) ? t[i] : '?';
	out[o] = '\0';
	return o;
}
