/* cli_pipe.h - the reading pipeline shared by events, report and scan
 * SUMMARY  files (oldest first) -> lines -> frames -> parsers -> correlation
 *          -> a sink called with each public event in log order. Lines that
 *          cannot be used are counted by reason; --verbose shows the first
 *          few of each reason (passwords redacted) and the counts.
 * ERRORS   A file that cannot be opened or read (corrupt compressed data) is
 *          reported with msg_error naming it (and the line reached) and the
 *          other files are still read; pipe_run returns -1 then. */
#ifndef MS_CLI_PIPE_H
#define MS_CLI_PIPE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/evt.h"
#include "frame/frame.h"
#include "parse/parse.h"

enum pipe_skip {
	PIPE_SKIP_TOOLONG,	/* over LIMIT_LINE_MAX */
	PIPE_SKIP_BINARY,	/* NUL bytes */
	PIPE_SKIP_UNFRAMED,	/* no timestamp/program framing */
	PIPE_SKIP_UNKNOWN_PROG,	/* a program we have no parser for */
	PIPE_SKIP_UNMATCHED,	/* a known program, a line shape we do not know */
	PIPE_SKIP_MALFORMED,	/* a known shape with an invalid field */
	PIPE_SKIP_MAX
};

struct pipe_stats {
	uint64_t lines, events, noevent, bad_utf8, bytes;
	uint64_t skipped[PIPE_SKIP_MAX];
	unsigned files, files_failed;
};

struct pipe_opts {
	int year;		/* --year, 0 = infer */
	bool verbose;
};

typedef void pipe_sink(void *arg, const struct evt *e);

int pipe_run(char *const *paths, size_t n, const struct pipe_opts *opts, pipe_sink *sink,
	     void *arg, struct pipe_stats *st);
/* The same on a thread of its own (cli_pipe_mt.c): pipe_start begins
 * reading; pipe_drain calls sink with each event in the calling thread,
 * in log order, then returns pipe_run's result. st is pipe_run's, to be
 * read after pipe_drain. */
struct pipe_thread;
struct pipe_thread *pipe_start(char *const *paths, size_t n, const struct pipe_opts *opts,
			       struct pipe_stats *st);
int pipe_drain(struct pipe_thread **pt, pipe_sink *sink, void *arg);
/* pipe_run (jobs 1) or pipe_start + pipe_drain (jobs 2 or more). */
int pipe_run_jobs(unsigned jobs, char *const *paths, size_t n, const struct pipe_opts *opts,
		  pipe_sink *sink, void *arg, struct pipe_stats *st);

struct corr;

/* One stream of lines (a file, or a followed log) through frame -> parse ->
 * correlate -> sink, counting what is skipped. */
struct pipe_feed {
	const char *name;
	const struct pipe_opts *o;
	struct frame_ctx fctx;
	struct corr *corr;
	struct parse_out *out;
	pipe_sink *sink;
	void *arg;
	struct pipe_stats *st;
	uint64_t lineno;
};

void pipe_feed_init(struct pipe_feed *pf, const char *name, const struct pipe_opts *o,
		    int64_t mtime, struct corr *corr, pipe_sink *sink, void *arg,
		    struct pipe_stats *st);
/* One line without its newline; toolong: it was cut (counted, skipped). */
void pipe_feed_line(struct pipe_feed *pf, struct strv line, bool toolong);
void pipe_feed_free(struct pipe_feed *pf);
/* The counts, as --verbose prints them at the end. */
void pipe_print_stats(const struct pipe_stats *st);
const char *pipe_skip_name(enum pipe_skip why);

#endif
