/* corpus.h - test support: the log lines of the shared corpus ($MS_CORPUS)
 * SUMMARY  corpus_each walks the corpus files that match a glob pattern
 *          relative to $MS_CORPUS ("fail2ban/courier-<star>") and hands
 *          every embedded log line to a callback, with the file name, the
 *          physical line number and, in fail2ban files, the "# failJSON"
 *          annotation that precedes it. Each wrapper of the corpus
 *          (SOURCES.md, table C) is stripped here and only here, chosen by
 *          the file's place: fail2ban "# failJSON"/"# filterOptions"
 *          comments, OSSEC/Wazuh INI "log N pass|fail = <line>", RST code
 *          blocks (two-space indentation), SEKOIA JSON "message" (with the
 *          "appname" as the program), postfix-grok-patterns YAML "data:"
 *          (the program from the file name), sshguard's line + expectation
 *          triplets, and modoboa's "%(day)s" date template (a fixed
 *          day). Files are read through in_file (gzip and the rest).
 *          corpus_frame then frames a line with the real frame_line; only a
 *          line that carries no header at all (a wrapper that gives the
 *          program out of band, or a documentation excerpt that starts with
 *          "prog[pid]: ") gets a header-less frame.
 * LIMITS   Lines are cut at LIMIT_LINE_MAX; a SEKOIA file is read up to
 *          128 KiB. Views in struct corpus_line live until the callback
 *          returns.
 * ERRORS   corpus_dir returns NULL when $MS_CORPUS is unset or not a
 *          directory (the caller skips); corpus_each returns -1 then, and
 *          otherwise the number of files read. */
#ifndef MS_TEST_CORPUS_H
#define MS_TEST_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame/frame.h"
#include "util/strv.h"

/* A fail2ban "# failJSON: {...}" annotation. */
struct corpus_label {
	bool present;		/* the line was annotated */
	bool match;		/* "match": true */
	bool aggressive;	/* under a "# filterOptions" naming the aggressive mode */
	char host[64];		/* "host", "" if absent */
	char time[40];		/* "time" as written ("2005-03-7T02:09:33"), "" if absent */
	char user[128];		/* "user", "" if absent */
};

struct corpus_line {
	const char *file;	/* relative to $MS_CORPUS */
	unsigned lineno;	/* physical line in the file (1 for SEKOIA) */
	bool first;		/* the first line handed over from this file */
	struct strv text;	/* the embedded log line, wrapper stripped */
	struct strv prog;	/* program given out of band (SEKOIA, grok), else empty */
	struct corpus_label label;
};

/* Return nonzero to stop the walk. */
typedef int corpus_fn(const struct corpus_line *l, void *arg);

const char *corpus_dir(void);
/* Files matching the glob pattern under $MS_CORPUS, in name order. */
int corpus_each(const char *pattern, corpus_fn *fn, void *arg);
/* corpus_each over n patterns; says which pattern matched no file.
 * Returns the number of files read, -1 without a corpus. */
int corpus_each_of(const char *const *patterns, size_t n, corpus_fn *fn, void *arg);
#define CORPUS_EACH_OF(patterns, fn, arg) \
	corpus_each_of((patterns), sizeof(patterns) / sizeof((patterns)[0]), (fn), (arg))

enum corpus_framed {
	CORPUS_UNFRAMED = -1,	/* neither framed nor a header-less excerpt */
	CORPUS_FRAMED = 0,	/* frame_line framed it */
	CORPUS_EXCERPT = 1,	/* no header: kind FRAME_NONE, time 0, prog + msg */
};

/* Frame l through ctx. When l->first, ctx is first initialized (quiet,
 * --year year_option, reference time ref) unless ctx is NULL, in which
 * case a fresh context is used for this line alone. */
enum corpus_framed corpus_frame(struct frame_ctx *ctx, int year_option, int64_t ref,
				const struct corpus_line *l, struct frame *f);

/* The annotated time of a failJSON label as the frame of its line must
 * carry it: fail2ban writes civil times, read here as UTC (tests run with
 * TZ=UTC); a multilog (TAI64N) line's absolute time is written in
 * fail2ban's test zone, and its template keeps the 10 s that libtai
 * adds. -1 if the label has no time. */
int corpus_label_time(const struct corpus_label *lb, enum frame_kind kind, int64_t *t);
/* The year of the label's time, 0 if none. */
int corpus_label_year(const struct corpus_label *lb);

/* Does s name a client address? 1: a bracket ("[192.0.2.1]",
 * "[IPv6:2001:db8::1]") holds a valid address; -1: none does, but one
 * looks like an address munged by anonymization ("[10.0.x.y]",
 * "[999.1.2.3]"); 0: no bracketed address. */
int corpus_bracket_ip(struct strv s);
/* "key" followed by a valid address up to one of the stop bytes
 * (corpus_key_ip(s, "rip=", ", ")). */
bool corpus_key_ip(struct strv s, const char *key, const char *stop);

#endif
