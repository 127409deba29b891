/* cli_pipe.c - the reading pipeline shared by events, report and scan */
#include "cli/cli_pipe.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/redact.h"
#include "correlate/corr.h"
#include "frame/frame.h"
#include "input/in_file.h"
#include "input/in_order.h"
#include "parse/parse.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/utf8.h"

const char *
pipe_skip_name(enum pipe_skip why)
{
	static const char *const names[PIPE_SKIP_MAX] = {
		"too long", "binary (NUL bytes)", "no log framing", "unknown program",
		"unrecognized line", "malformed field",
	};

	return why < PIPE_SKIP_MAX ? names[why] : "?";
}

static void
pipe_skip(struct pipe_stats *st, const struct pipe_opts *o, enum pipe_skip why,
	  const char *file, uint64_t lineno, struct strv line)
{
	char red[LIMIT_LINE_MAX + 64], pr[1024];
	size_t n;

	if (st->skipped[why]++ < LIMIT_VERBOSE_SAMPLES && o->verbose) {
		/* Redact the whole line first: cutting first could cut off the
		 * end of a password and leave its start unrecognized. */
		n = redact_line(line, red, sizeof(red));
		strv_printable(strv_make(red, n > 400 ? 400 : n), pr, sizeof(pr));
		msg_info("%s:%" PRIu64 ": skipped (%s): %s", file, lineno, pipe_skip_name(why), pr);
	}
}

void
pipe_feed_init(struct pipe_feed *pf, const char *name, const struct pipe_opts *o,
	       int64_t mtime, struct corr *corr, pipe_sink *sink, void *arg,
	       struct pipe_stats *st)
{
	memset(pf, 0, sizeof(*pf));
	pf->name = name;
	pf->o = o;
	pf->corr = corr;
	pf->sink = sink;
	pf->arg = arg;
	pf->st = st;
	pf->out = mem_alloc(sizeof(*pf->out));
	frame_ctx_init(&pf->fctx, name, o->year, mtime);
}

void
pipe_feed_free(struct pipe_feed *pf)
{
	mem_free(pf->out);
	pf->out = NULL;
}

void
pipe_feed_line(struct pipe_feed *pf, struct strv line, bool toolong)
{
	struct pipe_stats *st = pf->st;
	const struct pipe_opts *o = pf->o;
	struct parse_out *out = pf->out;
	struct frame fr;
	enum parse_result pr;
	int i;

	pf->lineno++;
	st->lines++;
	if (toolong) {
		pipe_skip(st, o, PIPE_SKIP_TOOLONG, pf->name, pf->lineno, line);
		return;
	}
	if (line.len > 0 && line.p[line.len - 1] == '\r')
		line.len--;
	if (line.len == 0)
		return;
	switch (utf8_check_line(line.p, line.len)) {
	case UTF8_LINE_NUL:
		pipe_skip(st, o, PIPE_SKIP_BINARY, pf->name, pf->lineno, line);
		return;
	case UTF8_LINE_BAD:
		/* Invalid UTF-8 is counted but still parsed: skipping it would
		 * let an attacker hide failed logins behind one stray byte in a
		 * user name. Output escapes such bytes as U+FFFD. */
		st->bad_utf8++;
		break;
	case UTF8_LINE_OK:
		break;
	}
	if (frame_line(&pf->fctx, line.p, line.len, &fr) < 0) {
		pipe_skip(st, o, PIPE_SKIP_UNFRAMED, pf->name, pf->lineno, line);
		return;
	}
	pr = parse_line(&fr, out);
	switch (pr) {
	case PARSE_UNKNOWN_PROG:
		pipe_skip(st, o, PIPE_SKIP_UNKNOWN_PROG, pf->name, pf->lineno, line);
		return;
	case PARSE_UNMATCHED:
		pipe_skip(st, o, PIPE_SKIP_UNMATCHED, pf->name, pf->lineno, line);
		return;
	case PARSE_MALFORMED:
		pipe_skip(st, o, PIPE_SKIP_MALFORMED, pf->name, pf->lineno, line);
		return;
	case PARSE_NOEVENT:
		st->noevent++;
		return;
	case PARSE_EVENTS:
		break;
	}
	if (out->n > 0)
		frame_ctx_anchor(&pf->fctx, &fr, out->ev[0].time);
	for (i = 0; i < out->n; i++) {
		if (!corr_event(pf->corr, &out->ev[i]))
			continue;
		st->events++;
		pf->sink(pf->arg, &out->ev[i]);
	}
}

static void
pipe_file(struct in_file *in, const struct pipe_opts *o, struct corr *corr, pipe_sink *sink,
	  void *arg, struct pipe_stats *st)
{
	struct pipe_feed pf;
	struct strv line;
	unsigned flags;
	int r;

	pipe_feed_init(&pf, in_file_name(in), o, in_file_mtime(in), corr, sink, arg, st);
	while ((r = in_file_getline(in, &line, &flags)) > 0)
		pipe_feed_line(&pf, line, (flags & IN_LINE_TOOLONG) != 0);
	if (r < 0) {
		/* in_file_error already starts with the file name. */
		msg_error("%s (at line %" PRIu64 ")", in_file_error(in), pf.lineno + 1);
		st->files_failed++;
	}
	st->bytes += in_file_bytes(in);
	pipe_feed_free(&pf);
}

int
pipe_run(char *const *paths, size_t n, const struct pipe_opts *o, pipe_sink *sink, void *arg,
	 struct pipe_stats *st)
{
	const char **order = mem_calloc(n, sizeof(*order));
	struct corr *corr = corr_new();
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < n; i++)
		order[i] = paths[i];
	if (n > 1)
		in_order_sort(order, n, o->year);
	for (i = 0; i < n; i++) {
		char err[512];
		struct in_file *in = in_file_open(order[i], err, sizeof(err));

		st->files++;
		if (in == NULL) {
			msg_error("%s", err);
			st->files_failed++;
			continue;
		}
		pipe_file(in, o, corr, sink, arg, st);
		in_file_close(&in);
	}
	corr_free(&corr);
	mem_free(order);
	return st->files_failed ? -1 : 0;
}

void
pipe_print_stats(const struct pipe_stats *st)
{
	int i;

	msg_info("read %u file(s), %" PRIu64 " lines, %" PRIu64 " bytes: %" PRIu64
		 " events, %" PRIu64 " lines without events",
		 st->files, st->lines, st->bytes, st->events, st->noevent);
	for (i = 0; i < PIPE_SKIP_MAX; i++)
		if (st->skipped[i] > 0)
			msg_info("skipped %" PRIu64 " lines: %s", st->skipped[i],
				 pipe_skip_name((enum pipe_skip)i));
	if (st->bad_utf8 > 0)
		msg_info("%" PRIu64 " lines held invalid UTF-8 (parsed; shown as U+FFFD)",
			 st->bad_utf8);
	if (st->files_failed > 0)
		msg_info("%u file(s) could not be read completely", st->files_failed);
}
