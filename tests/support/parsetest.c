/* parsetest.c - test support: what the parser tests and fuzz targets share */
#include "parsetest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/evt.h"
#include "core/limits.h"
#include "util/buf.h"
#include "util/netaddr.h"

#define FUZZ_TIME 1374486766	/* 2013-07-22T09:52:46Z */

struct frame
parsetest_frame(enum frame_kind kind, const char *prog, struct strv msg, int64_t time)
{
	struct frame f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.time = time;
	f.prog = strv_cstr(prog);
	f.msg = msg;
	return f;
}

enum parse_result
parsetest_run(parse_fn *fn, const struct frame *f, struct parse_out *out, int max, char *json, size_t size)
{
	enum parse_result r;
	struct buf b;
	int i;

	out->n = 0;
	r = (fn != NULL ? fn : parse_line)(f, out);
	buf_init(&b, 1 << 16);
	for (i = 0; r == PARSE_EVENTS && i < out->n && (max == 0 || i < max); i++) {
		if (i > 0)
			buf_append_char(&b, '\n');
		evt_json(&out->ev[i], &b);
	}
	snprintf(json, size, "%.*s", (int)b.len, b.data != NULL ? b.data : "");
	buf_release(&b);
	return r;
}

enum parse_result
parsetest_json(const struct frame *f, char *json, size_t size)
{
	struct parse_out out;

	return parsetest_run(parse_line, f, &out, 0, json, size);
}

unsigned
parsetest_rows(parse_fn *fn, const struct frame *tmpl, const struct parsetest_row *rows, size_t n, bool via_line)
{
	static char got[1 << 16];
	struct parse_out out;
	unsigned bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		struct frame f = *tmpl;
		enum parse_result r, r2;

		f.prog = strv_cstr(rows[i].prog);
		f.msg = strv_cstr(rows[i].msg);
		r = parsetest_run(fn, &f, &out, 0, got, sizeof(got));
		if (r != rows[i].want || (rows[i].json == NULL ? out.n != 0 : strcmp(got, rows[i].json) != 0)) {
			printf("row %zu: %s: %s\n  got %d %s\n  want %d %s\n", i, rows[i].prog, rows[i].msg, r,
			       out.n ? got : "-", rows[i].want, rows[i].json ? rows[i].json : "-");
			bad++;
		}
		if (via_line && (r2 = parse_line(&f, &out)) != r) {
			printf("row %zu: %s: %s\n  parse_line gives %d, the parser %d\n", i, rows[i].prog,
			       rows[i].msg, r2, r);
			bad++;
		}
	}
	return bad;
}

unsigned
parsetest_vectors(const struct frame *tmpl, const struct parsetest_vector *v, size_t n)
{
	static char got[1 << 16];
	unsigned bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		struct frame f = *tmpl;
		enum parse_result r;

		f.msg = strv_cstr(v[i].msg);
		r = parsetest_json(&f, got, sizeof(got));
		if (r != PARSE_EVENTS || strcmp(got, v[i].want) != 0) {
			printf("vector %zu: %s\n got %d %s\nwant %s\n", i, v[i].msg, (int)r, got, v[i].want);
			bad++;
		}
	}
	return bad;
}

unsigned
parsetest_outcomes(const struct frame *tmpl, const struct parsetest_outcome *v, size_t n)
{
	struct parse_out out;
	unsigned bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		struct frame f = *tmpl;
		enum parse_result r;

		f.msg = strv_cstr(v[i].msg);
		out.n = 0;
		r = parse_line(&f, &out);
		if (r != v[i].want) {
			printf("line %zu: %s: got %d want %d\n", i, v[i].msg, (int)r, (int)v[i].want);
			bad++;
		}
	}
	return bad;
}

size_t
parsetest_fill(char *line, size_t size, const char *head, const char *unit)
{
	size_t n = (size_t)snprintf(line, size, "%s", head), ul = strlen(unit);

	if (n >= size)
		n = size - 1;
	while (ul > 0 && n + ul < size - 1) {
		memcpy(line + n, unit, ul);
		n += ul;
	}
	line[n] = '\0';
	return n;
}

double
parsetest_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- fuzz targets -------------------------------------------------------- */

#define FUZZ_TERMINATED(e, field) (memchr((e)->field, '\0', sizeof((e)->field)) != NULL)

void
fuzz_parser_check(const struct parse_out *out, enum parse_result r, unsigned flags)
{
	struct buf b;
	int i;

	if (out->n < 0 || out->n > LIMIT_EVENTS_PER_LINE)
		abort();
	if ((r == PARSE_EVENTS) != (out->n > 0))
		abort();
	buf_init(&b, 1 << 16);
	for (i = 0; i < out->n; i++) {
		const struct evt *e = &out->ev[i];
		struct netaddr a;
		size_t n;

		if (e->type == EVT_NONE || ((flags & FUZZ_PUBLIC) && !evt_is_public(e)))
			abort();
		if (!FUZZ_TERMINATED(e, service) || !FUZZ_TERMINATED(e, account) || !FUZZ_TERMINATED(e, ip) ||
		    !FUZZ_TERMINATED(e, mech) || !FUZZ_TERMINATED(e, qid) || !FUZZ_TERMINATED(e, dlv) ||
		    !FUZZ_TERMINATED(e, ndr_qid) || !FUZZ_TERMINATED(e, sender) ||
		    !FUZZ_TERMINATED(e, recipient) || !FUZZ_TERMINATED(e, relay) || !FUZZ_TERMINATED(e, dsn) ||
		    !FUZZ_TERMINATED(e, reason) || !FUZZ_TERMINATED(e, host))
			abort();
		n = strlen(e->ip);
		if (n > 0 && netaddr_parse(e->ip, n, &a) < 0)
			abort();
		buf_reset(&b);
		evt_json(e, &b);
	}
	buf_release(&b);
}

void
fuzz_parser_frame(const struct frame *f, parse_fn *fn, unsigned flags)
{
	struct parse_out out;
	enum parse_result r;

	out.n = 0;
	r = fn(f, &out);
	fuzz_parser_check(&out, r, flags);
	/* The dispatcher may hand the line to another daemon's parser, whose
	 * internal events (Postfix msg_client) are legitimate there. */
	r = parse_line(f, &out);
	if (r != PARSE_UNKNOWN_PROG)
		fuzz_parser_check(&out, r, flags & ~(unsigned)FUZZ_PUBLIC);
}

int
fuzz_parser_lines(const uint8_t *data, size_t size, enum frame_kind kind, const char *prog, parse_fn *fn)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		struct frame f = parsetest_frame(kind, prog, strv_make(p, len < LIMIT_LINE_MAX ? len : LIMIT_LINE_MAX),
						 FUZZ_TIME);

		fuzz_parser_frame(&f, fn, 0);
		p += len + 1;
	}
	return 0;
}

int
fuzz_parser_tagged(const uint8_t *data, size_t size, const char *prog, parse_fn *fn, unsigned flags)
{
	const char *p = (const char *)data, *nl;
	struct frame f;

	if (size > LIMIT_LINE_MAX)
		return 0;
	f = parsetest_frame(FRAME_RFC3164, prog, strv_make(p, size), FUZZ_TIME);
	f.host = STRV_LIT("mx");
	nl = memchr(p, '\n', size);
	if (nl != NULL) {
		f.prog = strv_make(p, (size_t)(nl - p));
		f.msg = strv_make(nl + 1, size - (size_t)(nl - p) - 1);
	}
	fuzz_parser_frame(&f, fn, flags);
	return 0;
}

int
fuzz_parser_picked(const uint8_t *data, size_t size, const char *const *progs, size_t n, parse_fn *fn)
{
	struct frame f;

	if (size == 0 || size > LIMIT_LINE_MAX || n == 0)
		return 0;
	f = parsetest_frame(FRAME_NONE, progs[data[0] % n], strv_make((const char *)data + 1, size - 1),
			    FUZZ_TIME);
	fuzz_parser_frame(&f, fn, 0);
	return 0;
}
