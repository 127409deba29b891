/* conf.c - table-driven settings (see conf.h)
 *
 * A load parses every assignment into a shadow array of values (one per
 * table entry, with a "set" flag); only when the whole input is good are
 * they written into the caller's struct, freeing the strings they replace.
 * Numbers are parsed in the C locale (strtod); mailsentry never calls
 * setlocale. */
#include "core/conf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/msg.h"
#include "util/scan.h"
#include "util/strv.h"
#include "util/utf8.h"

union conf_val {
	int64_t i;
	double d;
	bool b;
	char *s;
};

/* The shadow of one load. */
struct conf_load {
	const struct conf_def *defs;
	size_t n;
	union conf_val *val;
	bool *set;
};

#define CONF_REASON_MAX 320	/* one reason, quotes included */
#define CONF_NAME_SUGGEST 64	/* names longer than this get no suggestion */

static const struct {
	char unit;
	int64_t seconds;
} conf_units[] = {
	{ 'w', 7 * 86400 }, { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
};
#define CONF_NUNITS (sizeof(conf_units) / sizeof(conf_units[0]))

static void conf_err(char *err, size_t errlen, const char *fmt, ...) MSG_FMT(3, 4);

static void
conf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool
conf_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Input text for a message: escaped, at most CONF_QUOTE_MAX characters,
 * "..." appended when cut. out has CONF_QUOTE_MAX + 4 bytes. */
static const char *
conf_quote(struct strv s, char *out)
{
	size_t need = 0, i;

	strv_printable(s, out, CONF_QUOTE_MAX + 1);
	for (i = 0; i < s.len && need <= CONF_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s.p[i];

		need += c >= 0x20 && c < 0x7f && c != '\\' ? 1 : 4;
	}
	if (need > strlen(out))
		memcpy(out + strlen(out), "...", 4);
	return out;
}

/* ------------------------------------------------------------- values */

static size_t
conf_fmt_duration(int64_t s, char *buf, size_t len)
{
	size_t u;

	if (s == 0)
		return (size_t)snprintf(buf, len, "0s");
	for (u = 0; u < CONF_NUNITS - 1 && s % conf_units[u].seconds != 0; u++)
		;
	return (size_t)snprintf(buf, len, "%" PRId64 "%c", s / conf_units[u].seconds,
				conf_units[u].unit);
}

static int
conf_parse_int(struct strv v, int64_t *out, char *q, char *reason, size_t rlen)
{
	bool neg = v.len > 0 && v.p[0] == '-';
	uint64_t u;
	size_t i;

	for (i = neg; i < v.len; i++)
		if (v.p[i] < '0' || v.p[i] > '9')
			break;
	if (v.len == neg || i < v.len) {
		conf_err(reason, rlen, "\"%s\" is not a number", q);
		return -1;
	}
	if (scan_u64(v.p + neg, v.len - neg, &u) < 0 ||
	    u > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
		conf_err(reason, rlen, "\"%s\" is too large", q);
		return -1;
	}
	*out = neg ? -(int64_t)(u - 1) - 1 : (int64_t)u;
	return 0;
}

static int
conf_parse_duration(struct strv v, int64_t *out, char *q, char *reason, size_t rlen)
{
	size_t i = 0, last = 0, u;
	int64_t total = 0;
	bool unit_seen = false;

	while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9')
		i++;
	if (v.len > 0 && i == v.len)
		return conf_parse_int(v, out, q, reason, rlen);	/* bare seconds */
	i = 0;
	while (i < v.len) {
		size_t start = i;
		uint64_t num;
		int64_t part;

		while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9')
			i++;
		if (i == start || i == v.len)
			goto bad;
		for (u = 0; u < CONF_NUNITS && conf_units[u].unit != v.p[i]; u++)
			;
		if (u == CONF_NUNITS || (unit_seen && u <= last))
			goto bad;	/* unknown, repeated or out of order (30m1h) */
		if (scan_u64(v.p + start, i - start, &num) < 0 || num > INT64_MAX ||
		    __builtin_mul_overflow((int64_t)num, conf_units[u].seconds, &part) ||
		    __builtin_add_overflow(total, part, &total)) {
			conf_err(reason, rlen, "\"%s\" is too large", q);
			return -1;
		}
		last = u;
		unit_seen = true;
		i++;
	}
	if (!unit_seen)
		goto bad;
	*out = total;
	return 0;
bad:
	conf_err(reason, rlen,
		 "\"%s\" is not a duration (like 90, 90s, 10m, 24h, 7d, 1w or 1h30m)", q);
	return -1;
}

static int
conf_parse_bool(struct strv v, bool *out, char *q, char *reason, size_t rlen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strv_eq_nocase(v, strv_cstr(yes[i]))) {
			*out = true;
			return 0;
		}
		if (strv_eq_nocase(v, strv_cstr(no[i]))) {
			*out = false;
			return 0;
		}
	}
	conf_err(reason, rlen, "\"%s\" is not a boolean (yes/no, true/false, on/off, 1/0)", q);
	return -1;
}

/* [-] digits [. digits] [e [+-] digits], a digit before or after the point. */
static bool
conf_double_syntax(struct strv v)
{
	size_t i = 0, digits = 0;

	if (i < v.len && v.p[i] == '-')
		i++;
	for (; i < v.len && v.p[i] >= '0' && v.p[i] <= '9'; i++)
		digits++;
	if (i < v.len && v.p[i] == '.')
		for (i++; i < v.len && v.p[i] >= '0' && v.p[i] <= '9'; i++)
			digits++;
	if (digits == 0)
		return false;
	if (i < v.len && (v.p[i] == 'e' || v.p[i] == 'E')) {
		size_t start;

		i++;
		if (i < v.len && (v.p[i] == '+' || v.p[i] == '-'))
			i++;
		for (start = i; i < v.len && v.p[i] >= '0' && v.p[i] <= '9'; i++)
			;
		if (i == start)
			return false;
	}
	return i == v.len;
}

static int
conf_parse_double(struct strv v, double *out, char *q, char *reason, size_t rlen)
{
	char *tmp, *end;
	double d;

	if (!conf_double_syntax(v)) {
		conf_err(reason, rlen, "\"%s\" is not a number", q);
		return -1;
	}
	tmp = mem_strndup(v.p, v.len);
	errno = 0;
	d = strtod(tmp, &end);
	if (*end != '\0' || (errno == ERANGE && fabs(d) > 1) || !isfinite(d)) {
		mem_free(tmp);
		conf_err(reason, rlen, "\"%s\" is too large", q);
		return -1;
	}
	mem_free(tmp);
	*out = d;	/* underflow gives 0 or a denormal: fine */
	return 0;
}

static int
conf_check_str(struct strv v, char *q, char *reason, size_t rlen)
{
	size_t i;

	for (i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			conf_err(reason, rlen, "\"%s\" contains a control character", q);
			return -1;
		}
	}
	if (!utf8_valid(v.p, v.len)) {
		conf_err(reason, rlen, "\"%s\" is not valid UTF-8", q);
		return -1;
	}
	return 0;
}

static bool
conf_checked(const struct conf_def *d)
{
	return d->type != CONF_STR && d->type != CONF_BOOL && !(d->min == 0 && d->max == 0);
}

/* Parse v for d into *out (a new string for CONF_STR). On error, reason
 * says why without naming the setting. */
static int
conf_value(const struct conf_def *d, struct strv v, union conf_val *out, char *reason,
	   size_t rlen)
{
	char q[CONF_QUOTE_MAX + 4], lo[32], hi[32];
	union conf_val val;
	double x = 0;
	int rc = -1;

	if (v.len > CONF_VALUE_MAX) {
		conf_err(reason, rlen, "value longer than %d bytes", CONF_VALUE_MAX);
		return -1;
	}
	conf_quote(v, q);
	switch (d->type) {
	case CONF_INT:
		rc = conf_parse_int(v, &val.i, q, reason, rlen);
		x = (double)val.i;
		break;
	case CONF_DURATION:
		rc = conf_parse_duration(v, &val.i, q, reason, rlen);
		x = (double)val.i;
		break;
	case CONF_BOOL:
		rc = conf_parse_bool(v, &val.b, q, reason, rlen);
		break;
	case CONF_DOUBLE:
		rc = conf_parse_double(v, &val.d, q, reason, rlen);
		x = val.d;
		break;
	case CONF_STR:
		rc = conf_check_str(v, q, reason, rlen);
		break;
	}
	if (rc < 0)
		return -1;
	if (conf_checked(d) && (x < d->min || x > d->max)) {
		if (d->type == CONF_DURATION) {
			conf_fmt_duration((int64_t)d->min, lo, sizeof(lo));
			conf_fmt_duration((int64_t)d->max, hi, sizeof(hi));
		} else {
			snprintf(lo, sizeof(lo), "%.15g", d->min);
			snprintf(hi, sizeof(hi), "%.15g", d->max);
		}
		conf_err(reason, rlen, "\"%s\" is out of range (%s..%s)", q, lo, hi);
		return -1;
	}
	if (d->type == CONF_STR)
		val.s = mem_strndup(v.p, v.len);
	*out = val;
	return 0;
}

static void
conf_get(const struct conf_def *d, const void *base, union conf_val *v)
{
	const char *p = (const char *)base + d->offset;

	switch (d->type) {
	case CONF_INT:
	case CONF_DURATION:
		memcpy(&v->i, p, sizeof(v->i));
		break;
	case CONF_BOOL:
		memcpy(&v->b, p, sizeof(v->b));
		break;
	case CONF_DOUBLE:
		memcpy(&v->d, p, sizeof(v->d));
		break;
	case CONF_STR:
		memcpy(&v->s, p, sizeof(v->s));
		break;
	}
}

static void
conf_put(const struct conf_def *d, void *base, const union conf_val *v)
{
	char *p = (char *)base + d->offset;

	switch (d->type) {
	case CONF_INT:
	case CONF_DURATION:
		memcpy(p, &v->i, sizeof(v->i));
		break;
	case CONF_BOOL:
		memcpy(p, &v->b, sizeof(v->b));
		break;
	case CONF_DOUBLE:
		memcpy(p, &v->d, sizeof(v->d));
		break;
	case CONF_STR:
		memcpy(p, &v->s, sizeof(v->s));
		break;
	}
}

/* ------------------------------------------------------------- names */

const struct conf_def *
conf_find(const struct conf_def *defs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

static const struct conf_def *
conf_find_strv(const struct conf_def *defs, size_t n, struct strv name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strv_eq_cstr(name, defs[i].name))
			return &defs[i];
	return NULL;
}

/* Levenshtein distance of a (lower-cased) and b, both at most
 * CONF_NAME_SUGGEST bytes. */
static size_t
conf_distance(struct strv a, const char *b, size_t blen)
{
	size_t row[CONF_NAME_SUGGEST + 1], i, j;

	for (j = 0; j <= blen; j++)
		row[j] = j;
	for (i = 1; i <= a.len; i++) {
		size_t diag = row[0];
		char c = a.p[i - 1];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		row[0] = i;
		for (j = 1; j <= blen; j++) {
			size_t up = row[j], best = diag + (c != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[blen];
}

/* The known name closest to name, within edit distance 2, or NULL. */
static const char *
conf_suggest(const struct conf_def *defs, size_t n, struct strv name)
{
	const char *best = NULL;
	size_t bestd = 3, i;

	if (name.len > CONF_NAME_SUGGEST)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t len = strlen(defs[i].name), d;

		if (len > CONF_NAME_SUGGEST)
			continue;
		d = conf_distance(name, defs[i].name, len);
		if (d < bestd && d < name.len) {
			best = defs[i].name;
			bestd = d;
		}
	}
	return best;
}

static void
conf_unknown(const struct conf_def *defs, size_t n, struct strv name, char *reason,
	     size_t rlen)
{
	char q[CONF_QUOTE_MAX + 4];
	const char *s = conf_suggest(defs, n, name);

	if (s != NULL)
		conf_err(reason, rlen, "unknown setting \"%s\" (did you mean \"%s\"?)",
			 conf_quote(name, q), s);
	else
		conf_err(reason, rlen, "unknown setting \"%s\"", conf_quote(name, q));
}

static bool
conf_name_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* ------------------------------------------------------------- loads */

static void
conf_load_init(struct conf_load *l, const struct conf_def *defs, size_t n)
{
	l->defs = defs;
	l->n = n;
	l->val = mem_calloc(n, sizeof(*l->val));
	l->set = mem_calloc(n, sizeof(*l->set));
}

/* Parse v into the shadow of entry d; a later value replaces an earlier. */
static int
conf_load_assign(struct conf_load *l, const struct conf_def *d, struct strv v, char *reason,
		 size_t rlen)
{
	size_t i = (size_t)(d - l->defs);
	union conf_val val;

	if (conf_value(d, v, &val, reason, rlen) < 0)
		return -1;
	if (l->set[i] && d->type == CONF_STR)
		mem_free(l->val[i].s);
	l->val[i] = val;
	l->set[i] = true;
	return 0;
}

/* Commit (base given) or drop (base NULL) the shadow; frees it. */
static void
conf_load_end(struct conf_load *l, void *base)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct conf_def *d = &l->defs[i];

		if (!l->set[i])
			continue;
		if (base == NULL) {
			if (d->type == CONF_STR)
				mem_free(l->val[i].s);
			continue;
		}
		if (d->type == CONF_STR) {
			union conf_val old;

			conf_get(d, base, &old);
			mem_free(old.s);
		}
		conf_put(d, base, &l->val[i]);
	}
	mem_free(l->val);
	mem_free(l->set);
}

/* The logical line being gathered. */
struct conf_pending {
	const struct conf_def *def;	/* NULL: none */
	size_t line;
	size_t vlen;
	bool toolong;
	char value[CONF_VALUE_MAX + 1];
};

static void
conf_pending_add(struct conf_pending *p, struct strv piece)
{
	size_t need = piece.len + (p->vlen > 0 && piece.len > 0);

	if (piece.len == 0 || p->toolong)
		return;
	if (need > CONF_VALUE_MAX - p->vlen) {
		p->toolong = true;
		return;
	}
	if (p->vlen > 0)
		p->value[p->vlen++] = ' ';
	memcpy(p->value + p->vlen, piece.p, piece.len);
	p->vlen += piece.len;
}

static int
conf_pending_end(struct conf_load *l, struct conf_pending *p, const char *file, char *err,
		 size_t errlen)
{
	char reason[CONF_REASON_MAX];
	const struct conf_def *d = p->def;

	if (d == NULL)
		return 0;
	p->def = NULL;
	if (p->toolong) {
		conf_err(err, errlen, "%s:%zu: %s: value longer than %d bytes", file, p->line,
			 d->name, CONF_VALUE_MAX);
		return -1;
	}
	if (conf_load_assign(l, d, strv_make(p->value, p->vlen), reason, sizeof(reason)) < 0) {
		conf_err(err, errlen, "%s:%zu: %s: %s", file, p->line, d->name, reason);
		return -1;
	}
	return 0;
}

/* One physical line that starts a setting: "name = value". */
static int
conf_line_start(struct conf_load *l, struct conf_pending *p, struct strv s, size_t lineno,
		const char *file, char *err, size_t errlen)
{
	char q[CONF_QUOTE_MAX + 4], reason[CONF_REASON_MAX];
	struct strv name;
	size_t i = 0;

	while (i < s.len && !conf_space(s.p[i]) && s.p[i] != '=')
		i++;
	name = strv_make(s.p, i);
	while (i < s.len && conf_space(s.p[i]))
		i++;
	if (name.len == 0) {
		conf_err(err, errlen, "%s:%zu: missing setting name before '='", file, lineno);
		return -1;
	}
	if (i == s.len || s.p[i] != '=') {
		conf_err(err, errlen, "%s:%zu: missing '=' after \"%s\"", file, lineno,
			 conf_quote(name, q));
		return -1;
	}
	if ((p->def = conf_find_strv(l->defs, l->n, name)) == NULL) {
		conf_unknown(l->defs, l->n, name, reason, sizeof(reason));
		conf_err(err, errlen, "%s:%zu: %s", file, lineno, reason);
		return -1;
	}
	p->line = lineno;
	p->vlen = 0;
	p->toolong = false;
	conf_pending_add(p, strv_trim(strv_skip(s, i + 1)));
	return 0;
}

static int
conf_parse_text(struct conf_load *l, const char *text, size_t len, const char *file,
		char *err, size_t errlen)
{
	struct conf_pending *p = mem_calloc(1, sizeof(*p));
	const char *cur = text, *end = text + len;
	size_t lineno = 0;
	int rc = -1;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		cur += 3;	/* UTF-8 byte order mark */
	while (cur < end) {
		const char *nl = memchr(cur, '\n', (size_t)(end - cur));
		struct strv s = strv_make(cur, (size_t)((nl != NULL ? nl : end) - cur));
		struct strv t;

		cur = nl != NULL ? nl + 1 : end;
		lineno++;
		if (s.len > 0 && s.p[s.len - 1] == '\r')
			s.len--;
		if (s.len > CONF_LINE_MAX) {
			conf_err(err, errlen, "%s:%zu: line longer than %d bytes", file, lineno,
				 CONF_LINE_MAX);
			goto out;
		}
		t = strv_trim(s);
		if (t.len == 0 || t.p[0] == '#')
			continue;
		if (conf_space(s.p[0])) {
			if (p->def == NULL) {
				conf_err(err, errlen,
					 "%s:%zu: continuation line without a setting before it",
					 file, lineno);
				goto out;
			}
			conf_pending_add(p, t);
			continue;
		}
		if (conf_pending_end(l, p, file, err, errlen) < 0 ||
		    conf_line_start(l, p, s, lineno, file, err, errlen) < 0)
			goto out;
	}
	rc = conf_pending_end(l, p, file, err, errlen);
out:
	mem_free(p);
	return rc;
}

/* The file name for messages: escaped and bounded. */
static const char *
conf_file_name(const char *name, char *buf, size_t len)
{
	return strv_printable(strv_cstr(name != NULL ? name : "(config)"), buf, len);
}

int
conf_load_buf(const struct conf_def *defs, size_t n, void *base, const char *text,
	      size_t len, const char *name, char *err, size_t errlen)
{
	char file[201];
	struct conf_load l;

	conf_file_name(name, file, sizeof(file));
	conf_load_init(&l, defs, n);
	if (conf_parse_text(&l, text, len, file, err, errlen) < 0) {
		conf_load_end(&l, NULL);
		return -1;
	}
	conf_load_end(&l, base);
	return 0;
}

int
conf_load_file(const struct conf_def *defs, size_t n, void *base, const char *path,
	       char *err, size_t errlen)
{
	char file[201];
	FILE *fp;
	char *text;
	size_t len = 0, got;
	int rc, saved;

	conf_file_name(path, file, sizeof(file));
	if ((fp = fopen(path, "rb")) == NULL) {
		saved = errno;
		conf_err(err, errlen, "%s: cannot open: %s", file, strerror(saved));
		errno = saved;
		return -1;
	}
	text = mem_alloc(CONF_FILE_MAX + 1);
	while (len <= CONF_FILE_MAX &&
	       (got = fread(text + len, 1, CONF_FILE_MAX + 1 - len, fp)) > 0)
		len += got;
	if (ferror(fp)) {
		saved = errno;
		conf_err(err, errlen, "%s: cannot read: %s", file, strerror(saved));
		fclose(fp);
		mem_free(text);
		errno = saved;
		return -1;
	}
	fclose(fp);
	if (len > CONF_FILE_MAX) {
		conf_err(err, errlen, "%s: larger than %d bytes", file, CONF_FILE_MAX);
		mem_free(text);
		errno = EFBIG;
		return -1;
	}
	rc = conf_load_buf(defs, n, base, text, len, path, err, errlen);
	mem_free(text);
	return rc;
}

int
conf_set(const struct conf_def *defs, size_t n, void *base, const char *assignment,
	 char *err, size_t errlen)
{
	char q[CONF_QUOTE_MAX + 4], reason[CONF_REASON_MAX];
	struct strv s = strv_cstr(assignment), name;
	const char *eq = memchr(s.p, '=', s.len);
	const struct conf_def *d;
	struct conf_load l;

	conf_quote(s, q);
	if (eq == NULL) {
		conf_err(err, errlen, "-o %s: missing '=' (use -o NAME=VALUE)", q);
		return -1;
	}
	name = strv_trim(strv_make(s.p, (size_t)(eq - s.p)));
	if (name.len == 0) {
		conf_err(err, errlen, "-o %s: missing setting name before '='", q);
		return -1;
	}
	if ((d = conf_find_strv(defs, n, name)) == NULL) {
		conf_unknown(defs, n, name, reason, sizeof(reason));
		conf_err(err, errlen, "-o %s: %s", q, reason);
		return -1;
	}
	conf_load_init(&l, defs, n);
	if (conf_load_assign(&l, d, strv_trim(strv_skip(s, (size_t)(eq + 1 - s.p))), reason,
			     sizeof(reason)) < 0) {
		conf_err(err, errlen, "-o %s: %s", q, reason);
		conf_load_end(&l, NULL);
		return -1;
	}
	conf_load_end(&l, base);
	return 0;
}

/* ------------------------------------------------------------- defaults */

void
conf_free(const struct conf_def *defs, size_t n, void *base)
{
	union conf_val v;
	size_t i;

	for (i = 0; i < n; i++) {
		if (defs[i].type != CONF_STR)
			continue;
		conf_get(&defs[i], base, &v);
		mem_free(v.s);
		v.s = NULL;
		conf_put(&defs[i], base, &v);
	}
}

static int
conf_default_one(const struct conf_def *defs, size_t i, void *base)
{
	char reason[CONF_REASON_MAX];
	const struct conf_def *d = &defs[i];
	union conf_val v;
	size_t j;

	if (!conf_name_ok(d->name)) {
		char q[CONF_QUOTE_MAX + 4];

		msg_error("conf: setting #%zu \"%s\": bad name (want [a-z0-9_]+)", i,
			  conf_quote(strv_cstr(d->name != NULL ? d->name : ""), q));
		return -1;
	}
	for (j = 0; j < i; j++) {
		if (strcmp(defs[j].name, d->name) == 0) {
			msg_error("conf: setting %.60s: defined twice", d->name);
			return -1;
		}
	}
	if (d->min > d->max) {
		msg_error("conf: setting %.60s: min %g > max %g", d->name, d->min, d->max);
		return -1;
	}
	if (d->def == NULL && d->type != CONF_STR) {
		msg_error("conf: setting %.60s: no default", d->name);
		return -1;
	}
	if (conf_value(d, strv_cstr(d->def != NULL ? d->def : ""), &v, reason, sizeof(reason)) <
	    0) {
		msg_error("conf: setting %.60s: bad default: %s", d->name, reason);
		return -1;
	}
	conf_put(d, base, &v);
	return 0;
}

int
conf_defaults(const struct conf_def *defs, size_t n, void *base)
{
	union conf_val none = { .s = NULL };
	size_t i;

	for (i = 0; i < n; i++)
		if (defs[i].type == CONF_STR)
			conf_put(&defs[i], base, &none);
	for (i = 0; i < n; i++) {
		if (conf_default_one(defs, i, base) < 0) {
			conf_free(defs, n, base);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------- printing */

/* Help as "# " lines of at most 78 columns (a longer word stays whole). */
static void
conf_print_help(const char *help, FILE *fp)
{
	const char *p = help;
	size_t col = 0;

	for (;;) {
		size_t w;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		for (w = 0; p[w] != '\0' && p[w] != ' ' && p[w] != '\t' && p[w] != '\n'; w++)
			;
		if (col > 0 && col + 1 + w > 78) {
			fputc('\n', fp);
			col = 0;
		}
		if (col == 0) {
			fputc('#', fp);
			col = 1;
		}
		fprintf(fp, " %.*s", (int)w, p);
		col += 1 + w;
		p += w;
	}
	if (col > 0)
		fputc('\n', fp);
}

/* The shortest of %.15g..%.17g that reads back as d. */
static void
conf_fmt_double(double d, char *buf, size_t len)
{
	int prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

void
conf_print(const struct conf_def *defs, size_t n, const void *base, FILE *fp, bool with_help)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct conf_def *d = &defs[i];
		union conf_val v;
		char buf[64];
		const char *s;

		if (with_help) {
			if (i > 0)
				fputc('\n', fp);
			if (d->help != NULL)
				conf_print_help(d->help, fp);
		}
		conf_get(d, base, &v);
		switch (d->type) {
		case CONF_INT:
			fprintf(fp, "%s = %" PRId64 "\n", d->name, v.i);
			break;
		case CONF_DURATION:
			conf_fmt_duration(v.i, buf, sizeof(buf));
			fprintf(fp, "%s = %s\n", d->name, buf);
			break;
		case CONF_BOOL:
			fprintf(fp, "%s = %s\n", d->name, v.b ? "yes" : "no");
			break;
		case CONF_DOUBLE:
			conf_fmt_double(v.d, buf, sizeof(buf));
			fprintf(fp, "%s = %s\n", d->name, buf);
			break;
		case CONF_STR:
			fputs(d->name, fp);
			fputs(" =", fp);
			if (v.s != NULL && v.s[0] != '\0') {
				fputc(' ', fp);
				for (s = v.s; *s != '\0'; s++)	/* loaded strings have none */
					fputc((unsigned char)*s < 0x20 && *s != '\t' ? '?' : *s, fp);
			}
			fputc('\n', fp);
			break;
		}
	}
}
