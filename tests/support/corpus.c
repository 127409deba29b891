/* corpus.c - test support: the log lines of the shared corpus */
#include "corpus.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/limits.h"
#include "input/in_file.h"
#include "util/netaddr.h"
#include "util/timeconv.h"

enum wrap {
	WRAP_RAW,	/* a log file; "#" lines are notes */
	WRAP_F2B,	/* fail2ban: "# failJSON:" / "# filterOptions:" */
	WRAP_INI,	/* OSSEC/Wazuh: "log N pass = <line>" */
	WRAP_RST,	/* ossec-docs: two-space-indented code blocks */
	WRAP_SEKOIA,	/* {"input": {"message": ..., "appname": ...}} */
	WRAP_GROK,	/* postfix-grok-patterns: data: "<msg>" */
	WRAP_SSHGUARD,	/* line, then "svc ip fam danger" + "M", or "*" */
};

struct walk {
	const char *file;
	unsigned lineno;
	bool first, sent;
	enum wrap wrap;
	struct corpus_label label;	/* pending: applies to the next line */
	bool aggressive;		/* fail2ban mode in force */
	int sshguard;			/* 0: input next, 1: expectation, 2: "M" */
	char prog[128];
	char buf[LIMIT_LINE_MAX + 1];	/* unescaped text */
	corpus_fn *fn;
	void *arg;
};

const char *
corpus_dir(void)
{
	const char *dir = getenv("MS_CORPUS");
	struct stat sb;

	if (dir == NULL || *dir == '\0' || stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return NULL;
	return dir;
}

static bool
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && strcmp(s + n - k, suf) == 0;
}

static enum wrap
wrap_of(const char *rel)
{
	if (strncmp(rel, "fail2ban/", 9) == 0)
		return WRAP_F2B;
	if (strncmp(rel, "sshguard/", 9) == 0)
		return WRAP_SSHGUARD;
	if (has_suffix(rel, ".ini"))
		return WRAP_INI;
	if (has_suffix(rel, ".rst"))
		return WRAP_RST;
	if (has_suffix(rel, ".json"))
		return WRAP_SEKOIA;
	if (has_suffix(rel, ".yaml") || has_suffix(rel, ".yml"))
		return WRAP_GROK;
	return WRAP_RAW;
}

/* Undo the escapes of a JSON or YAML double-quoted string (\" \\ \/ \n \t
 * \r; \uXXXX becomes '?'). Returns the length written to out. */
static size_t
unescape(struct strv s, char *out, size_t outsize)
{
	size_t i, o = 0;

	for (i = 0; i < s.len && o + 1 < outsize; i++) {
		char c = s.p[i];

		if (c == '\\' && i + 1 < s.len) {
			c = s.p[++i];
			if (c == 'u' && i + 4 < s.len) {
				i += 4;
				c = '?';
			} else if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'r')
				c = '\r';
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return o;
}

/* The raw (escaped) JSON string value after "key" in s. */
static bool
json_string(struct strv s, const char *key, struct strv *v)
{
	const char *k = strv_find(s, strv_cstr(key)), *p, *end = s.p + s.len, *start;

	if (k == NULL)
		return false;
	for (p = k + strlen(key); p < end && (*p == ' ' || *p == ':' || *p == '\t'); p++)
		;
	if (p >= end || *p != '"')
		return false;
	start = ++p;
	while (p < end && *p != '"')
		p += *p == '\\' ? 2 : 1;
	if (p >= end)
		return false;
	*v = strv_make(start, (size_t)(p - start));
	return true;
}

/* A JSON value of the label that is a string or a bare word. */
static void
label_field(struct strv s, const char *key, char *dst, size_t size)
{
	struct strv v;

	dst[0] = '\0';
	if (json_string(s, key, &v))
		unescape(v, dst, size);
}

static void
parse_label(struct strv s, struct corpus_label *lb)
{
	const char *m = strv_find(s, STRV_LIT("\"match\"")), *end = s.p + s.len;

	memset(lb, 0, sizeof(*lb));
	lb->present = true;
	if (m != NULL) {
		for (m += 7; m < end && (*m == ' ' || *m == ':'); m++)
			;
		lb->match = end - m >= 4 && memcmp(m, "true", 4) == 0;
	}
	label_field(s, "\"host\"", lb->host, sizeof(lb->host));
	label_field(s, "\"time\"", lb->time, sizeof(lb->time));
	label_field(s, "\"user\"", lb->user, sizeof(lb->user));
}

static int
emit(struct walk *w, struct strv text, struct strv prog)
{
	struct corpus_line l;

	memset(&l, 0, sizeof(l));
	l.file = w->file;
	l.lineno = w->lineno;
	l.first = !w->sent;
	l.text = text;
	l.prog = prog;
	if (w->label.present) {
		l.label = w->label;
		l.label.aggressive = w->aggressive;
	}
	memset(&w->label, 0, sizeof(w->label));
	w->sent = true;
	return w->fn(&l, w->arg);
}

static bool
is_expectation(struct strv s)
{
	/* "260 199.19.110.207 4 10": four words, the first and last digits */
	size_t i, words = 1;

	if (s.len == 0 || s.p[0] < '0' || s.p[0] > '9' || s.p[s.len - 1] < '0' ||
	    s.p[s.len - 1] > '9')
		return false;
	for (i = 0; i < s.len; i++)
		words += s.p[i] == ' ';
	return words == 4;
}

/* One physical line of a line-oriented wrapper. */
static int
line_of(struct walk *w, struct strv s)
{
	const char *eq;
	struct strv v;

	switch (w->wrap) {
	case WRAP_F2B:
		if (strv_has_prefix(s, "#")) {
			if ((eq = strv_find(s, STRV_LIT("failJSON:"))) != NULL)
				parse_label(strv_make(eq, (size_t)(s.p + s.len - eq)), &w->label);
			else if (strv_find(s, STRV_LIT("filterOptions:")) != NULL)
				w->aggressive = strv_find(s, STRV_LIT("aggressive")) != NULL;
			return 0;
		}
		break;
	case WRAP_INI:
		if (!strv_has_prefix(s, "log ") || (eq = strv_find(s, STRV_LIT(" = "))) == NULL)
			return 0;
		s = strv_make(eq + 3, (size_t)(s.p + s.len - eq - 3));
		break;
	case WRAP_RST:
		if (!strv_has_prefix(s, "  "))
			return 0;
		while (s.len > 0 && s.p[0] == ' ')
			s = strv_skip(s, 1);
		break;
	case WRAP_GROK:
		if (!strv_has_prefix(s, "data:"))
			return 0;
		v = strv_trim(strv_skip(s, 5));
		if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
			s = strv_make(w->buf, unescape(strv_make(v.p + 1, v.len - 2), w->buf,
						       sizeof(w->buf)));
		else if (v.len >= 2 && v.p[0] == '\'' && v.p[v.len - 1] == '\'')
			s = strv_make(v.p + 1, v.len - 2);
		else
			s = v;
		return emit(w, s, strv_cstr(w->prog));
	case WRAP_SSHGUARD:
		if (s.len == 0 || s.p[0] == '#') {
			w->sshguard = 0;
			return 0;
		}
		if (w->sshguard == 1 && strv_eq_cstr(s, "*")) {
			w->sshguard = 0;
			return 0;
		}
		if (w->sshguard == 1 && is_expectation(s)) {
			w->sshguard = 2;
			return 0;
		}
		if (w->sshguard == 2 && strv_eq_cstr(s, "M")) {
			w->sshguard = 0;
			return 0;
		}
		w->sshguard = 1;
		break;
	case WRAP_RAW:
		/* modoboa's fixture is a template: "%(day)s 11:00:20 server ..." */
		if (strv_has_prefix(s, "%(day)s ") && s.len - 7 + 6 < sizeof(w->buf)) {
			memcpy(w->buf, "Mar 13", 6);
			memcpy(w->buf + 6, s.p + 7, s.len - 7);
			s = strv_make(w->buf, s.len - 7 + 6);
		}
		break;
	case WRAP_SEKOIA:
		break;
	}
	if (s.len == 0 || s.p[0] == '#')
		return 0;
	return emit(w, s, STRV_NULL);
}

/* SEKOIA: the whole file is one JSON document. */
static int
sekoia(struct walk *w, struct strv doc)
{
	struct strv m, a, input = doc;
	const char *in = strv_find(doc, STRV_LIT("\"input\""));
	size_t n;

	if (in != NULL)
		input = strv_make(in, (size_t)(doc.p + doc.len - in));
	if (!json_string(input, "\"message\"", &m))
		return 0;
	w->prog[0] = '\0';
	if (json_string(input, "\"appname\"", &a))
		unescape(a, w->prog, sizeof(w->prog));
	n = unescape(m, w->buf, sizeof(w->buf));
	w->lineno = 1;
	return emit(w, strv_make(w->buf, n), strv_cstr(w->prog));
}

static int
walk_file(struct walk *w, const char *path)
{
	static char doc[1 << 17];
	size_t doclen = 0;
	char err[512];
	struct in_file *in = in_file_open(path, err, sizeof(err));
	struct strv s;
	unsigned flags;
	int stop = 0;

	if (in == NULL) {
		printf("# corpus: %s\n", err);
		return 0;
	}
	if (w->wrap == WRAP_GROK) {
		/* "smtpd_0001.yaml" holds a postfix/smtpd message */
		const char *base = strrchr(w->file, '/'), *us;

		base = base != NULL ? base + 1 : w->file;
		us = strrchr(base, '_');
		snprintf(w->prog, sizeof(w->prog), "postfix/%.*s",
			 (int)(us != NULL ? us - base : 0), base);
	}
	while (!stop && in_file_getline(in, &s, &flags) == 1) {
		w->lineno++;
		if (s.len > 0 && s.p[s.len - 1] == '\r')
			s.len--;
		if (w->wrap == WRAP_SEKOIA) {
			if (doclen + s.len + 1 < sizeof(doc)) {
				memcpy(doc + doclen, s.p, s.len);
				doclen += s.len;
				doc[doclen++] = '\n';
			}
			continue;
		}
		stop = line_of(w, s);
	}
	if (!stop && w->wrap == WRAP_SEKOIA)
		stop = sekoia(w, strv_make(doc, doclen));
	in_file_close(&in);
	return stop;
}

int
corpus_each(const char *pattern, corpus_fn *fn, void *arg)
{
	static struct walk w;
	const char *dir = corpus_dir();
	char pat[4096];
	glob_t g;
	size_t i, skip;
	int files = 0;

	if (dir == NULL)
		return -1;
	snprintf(pat, sizeof(pat), "%s/%s", dir, pattern);
	skip = strlen(dir) + 1;
	if (glob(pat, 0, NULL, &g) != 0)
		return 0;
	for (i = 0; i < g.gl_pathc; i++) {
		struct stat sb;

		if (stat(g.gl_pathv[i], &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		memset(&w, 0, sizeof(w));
		w.file = g.gl_pathv[i] + skip;
		w.wrap = wrap_of(w.file);
		w.fn = fn;
		w.arg = arg;
		files++;
		if (walk_file(&w, g.gl_pathv[i]))
			break;
	}
	globfree(&g);
	return files;
}

int
corpus_each_of(const char *const *patterns, size_t n, corpus_fn *fn, void *arg)
{
	int files = 0;

	if (corpus_dir() == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int k = corpus_each(patterns[i], fn, arg);

		if (k <= 0)
			printf("# corpus: %s: no such file\n", patterns[i]);
		else
			files += k;
	}
	return files;
}

/* "prog[pid]: msg" or "prog: msg" at the start of s, prog one word. */
static bool
excerpt(struct strv s, struct frame *f)
{
	size_t i = 0, plen;

	while (i < s.len && s.p[i] != ' ' && s.p[i] != ':' && s.p[i] != '[')
		i++;
	plen = i;
	if (plen == 0)
		return false;
	if (i < s.len && s.p[i] == '[') {
		uint32_t pid = 0;

		for (i++; i < s.len && s.p[i] >= '0' && s.p[i] <= '9'; i++)
			pid = pid * 10 + (uint32_t)(s.p[i] - '0');
		if (i >= s.len || s.p[i] != ']')
			return false;
		i++;
		f->pid = pid;
	}
	if (i + 1 >= s.len || s.p[i] != ':' || s.p[i + 1] != ' ')
		return false;
	f->prog = strv_make(s.p, plen);
	f->msg = strv_skip(s, i + 2);
	return true;
}

enum corpus_framed
corpus_frame(struct frame_ctx *ctx, int year_option, int64_t ref, const struct corpus_line *l,
	     struct frame *f)
{
	struct frame_ctx one;

	if (ctx == NULL) {
		ctx = &one;
		frame_ctx_init(ctx, l->file, year_option, ref);
		ctx->quiet = true;
	} else if (l->first) {
		frame_ctx_init(ctx, l->file, year_option, ref);
		ctx->quiet = true;
	}
	if (frame_line(ctx, l->text.p, l->text.len, f) == 0)
		return CORPUS_FRAMED;
	memset(f, 0, sizeof(*f));
	f->kind = FRAME_NONE;
	if (l->prog.len > 0) {
		f->prog = l->prog;
		f->msg = l->text;
		return CORPUS_EXCERPT;
	}
	return excerpt(l->text, f) ? CORPUS_EXCERPT : CORPUS_UNFRAMED;
}

/* fail2ban's tests run in this zone at the fixed time 1124013600. */
#define F2B_TZ "CET-01CEST-02,M3.5.0,M10.5.0"

static int64_t
f2b_zone_to_utc(int64_t civil)
{
	const char *saved = getenv("TZ");
	char keep[128];
	struct tm tm;
	time_t tt = (time_t)civil;
	int64_t r;

	snprintf(keep, sizeof(keep), "%s", saved != NULL ? saved : "UTC");
	gmtime_r(&tt, &tm);
	tm.tm_isdst = -1;
	setenv("TZ", F2B_TZ, 1);
	tzset();
	r = (int64_t)mktime(&tm);
	setenv("TZ", keep, 1);
	tzset();
	return r;
}

int
corpus_label_time(const struct corpus_label *lb, enum frame_kind kind, int64_t *t)
{
	int y, mo, d, h, mi, sec;

	/* "2005-03-7T02:09:33": fail2ban writes some days unpadded */
	if (sscanf(lb->time, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6)
		return -1;
	*t = timeconv_utc(y, (unsigned)mo, (unsigned)d, (unsigned)h, (unsigned)mi, (unsigned)sec);
	if (kind == FRAME_TAI64N)
		*t = f2b_zone_to_utc(*t) - 10;
	return 0;
}

int
corpus_label_year(const struct corpus_label *lb)
{
	int y;

	return sscanf(lb->time, "%d-", &y) == 1 ? y : 0;
}

int
corpus_bracket_ip(struct strv s)
{
	int munged = 0;
	size_t i, j;

	for (i = 0; i < s.len; i++) {
		size_t a, n;
		bool ipish = true, sep = false;
		struct netaddr na;

		if (s.p[i] != '[')
			continue;
		a = i + 1;
		if (s.len - a >= 5 && memcmp(s.p + a, "IPv6:", 5) == 0)
			a += 5;
		for (j = a; j < s.len && s.p[j] != ']'; j++) {
			char c = s.p[j];

			if (c == '.' || c == ':')
				sep = true;
			else if (!strchr("0123456789abcdefABCDEFxyz", c))
				ipish = false;
		}
		if (j >= s.len)
			break;
		n = j - a;
		if (n < 2 || !ipish || !sep)
			continue;
		if (netaddr_parse(s.p + a, n, &na) == 0)
			return 1;
		munged = -1;
	}
	return munged;
}

bool
corpus_key_ip(struct strv s, const char *key, const char *stop)
{
	struct strv k = strv_cstr(key);
	const char *p;

	while ((p = strv_find(s, k)) != NULL) {
		struct netaddr a;
		size_t n = 0;

		s = strv_make(p + k.len, (size_t)(s.p + s.len - p - k.len));
		while (n < s.len && strchr(stop, s.p[n]) == NULL)
			n++;
		if (netaddr_parse(s.p, n, &a) == 0)
			return true;
	}
	return false;
}
