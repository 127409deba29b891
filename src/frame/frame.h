/* frame.h - split one raw log line into time, host, program and message
 * SUMMARY  Recognizes, per line (files may mix them):
 *            RFC 3164 syslog "Mmm dd hh:mm:ss host prog[pid]: msg", with an
 *              optional "<facility.priority>" token before the host, and
 *              without a host (Dovecot's own log_path file: "Mmm dd hh:mm:ss
 *              imap-login: Info: ..."); the year comes from frame_ctx;
 *            RFC 3339 / rsyslog high precision "2023-03-14T00:31:06.621091+01:00
 *              host prog[pid]: msg" and `journalctl -o short-iso`
 *              ("2023-03-14T00:31:06+0100 host prog[pid]: msg");
 *            Postfix's own maillog_file (postlogd);
 *            daemontools multilog "@4000000065a1b2c3xxxxxxxx msg" (TAI64N; no
 *              host or program) and tai64nlocal "2020-06-25 08:00:09.682393500 msg";
 *            Exim's native mainlog "2014-12-02 03:00:23[.123] [+0100] [pid] msg"
 *              (prog is set to "exim").
 *          Zone-less times are local times of the TZ environment variable.
 * LIMITS   Operates on views into the caller's line; copies nothing.
 * ERRORS   frame_line returns -1 if the line has no recognizable framing;
 *          *out is then unspecified. */
#ifndef MS_FRAME_H
#define MS_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "util/strv.h"

enum frame_kind {
	FRAME_NONE = 0,
	FRAME_RFC3164,
	FRAME_RFC3339,
	FRAME_TAI64N,
	FRAME_TAI64NLOCAL,
	FRAME_EXIM,
};

struct frame {
	enum frame_kind kind;
	int64_t time;		/* seconds since the epoch, UTC */
	uint32_t usec;
	struct strv host;	/* empty when the framing has none */
	struct strv prog;	/* "postfix/submission/smtpd", "dovecot", "" if none */
	uint32_t pid;		/* 0 when absent */
	struct strv msg;	/* text after "prog[pid]: " */
};

/* Per-input state: year inference for RFC 3164 timestamps. */
struct frame_ctx {
	const char *name;	/* file name, for the inference message */
	int year;		/* year of the current line; 0 until known */
	int year_option;	/* --year, or 0 to infer */
	int64_t ref_time;	/* inference reference: the file's mtime, or now */
	unsigned last_month;	/* month of the previous RFC 3164 line, 0 = none */
	bool said;		/* the inference has been reported */
	bool quiet;		/* do not report the inference (peeking, tests) */
};

/* year_option: the --year value, or 0 to infer from ref_time: the first
 * RFC 3164 line gets the latest year that does not put it after ref_time
 * (plus a day of clock slack); a month that goes backwards by more than six
 * months between lines (Dec -> Jan) moves to the next year. The inference
 * is reported once on stderr, naming the file and the year. */
void frame_ctx_init(struct frame_ctx *ctx, const char *name, int year_option, int64_t ref_time);
int frame_line(struct frame_ctx *ctx, const char *line, size_t len, struct frame *out);

#endif
