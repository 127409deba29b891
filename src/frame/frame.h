/* frame.h - split one raw log line into time, host, program and message
 * SUMMARY  Recognizes, per line (files may mix them), by the first byte:
 *            RFC 3164 syslog "Mmm dd hh:mm:ss[.ffffff] host prog[pid]: msg"
 *              (day "Jun  3", "Jun 3" or "Jun 03"), with an optional
 *              "<facility.priority>" token before the host, and without a
 *              host (Dovecot's own log_path file: "Mmm dd hh:mm:ss
 *              imap-login: Info: ..."): the token after the time is the
 *              program when it ends with ':', else the host. A host followed
 *              by no "tag:" ("last message repeated 3 times") frames with an
 *              empty prog. "prog[digits]:" gives the pid; any other bracket
 *              or parenthesis ("auth-worker(4925)") stays in prog. Postfix's
 *              own maillog_file (postlogd) writes this shape too. The year
 *              comes from frame_ctx;
 *            RFC 3339 / rsyslog high precision "2023-03-14T00:31:06.621091+01:00
 *              host prog[pid]: msg" and `journalctl -o short-iso`
 *              ("2023-03-14T00:31:06+0100 host prog[pid]: msg"), and an ISO
 *              date with a space before a syslog tag ("2019-10-22 03:39:17
 *              host exim[29786]: ..." from log shippers, "2013-08-11 03:56:40
 *              auth-worker(default): Info: ..." from Dovecot): FRAME_RFC3339;
 *            RFC 5424 "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG" (as
 *              FRAME_RFC3339; "-" fields are empty), and "<PRI>" before any
 *              other framing;
 *            daemontools multilog "@4000000065a1b2c3xxxxxxxx msg" (TAI64N,
 *              label - 2^62 - 10 as tai64nlocal does; no host or program)
 *              and tai64nlocal "2020-06-25 08:00:09.682393500 msg" (exactly
 *              9 fraction digits; local time; no host or program);
 *            Exim's native mainlog "2014-12-02 03:00:23[.123] [+0100] [pid] msg"
 *              (at most 6 fraction digits; prog is the static "exim"), also
 *              after an exim tag without a syslog date ("[host ]exim[pid]:
 *              2021-07-17 23:20:49 msg", journald short output).
 *          Zone-less times are local times of the TZ environment variable.
 *          Fractions are truncated to microseconds.
 * LIMITS   Operates on views into the caller's line; copies nothing (prog
 *          of FRAME_EXIM may point at a static string). Host and tag tokens
 *          longer than 255 bytes, or fractions of more than 9 digits, make
 *          the line unframed.
 * ERRORS   frame_line returns -1 if the line has no recognizable framing or
 *          an impossible date (month "Foo", hour 25, Feb 29 of a non-leap
 *          year, an empty prog); *out is then unspecified and the year
 *          state of ctx unchanged. */
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
	bool anchored;		/* the year was taken from a message's own time */
	bool quiet;		/* do not report the inference (peeking, tests) */
	/* The local zone's offset for one local hour, so that a zone-less
	 * line costs neither mktime() nor a second calendar computation. */
	int64_t tz_hour;	/* local civil seconds / 3600; INT64_MIN = none */
	int64_t tz_off;		/* UTC minus local civil time, seconds */
	/* The last civil date's day number: consecutive lines share it. */
	int64_t day_key;	/* y * 512 + mon * 32 + d; 0 = none */
	int64_t day_num;	/* days since 1970-01-01 */
	/* The last RFC 3164 header ("Jul 22 00:00:01 ", fraction included)
	 * and what it gave: most lines repeat the previous one's second. */
	char hdr[32];
	uint8_t hdr_len;	/* 0 = none */
	int hdr_year;		/* ctx->year it was computed under */
	int64_t hdr_time;
	uint32_t hdr_usec;
};

/* year_option: the --year value, or 0 to infer from ref_time: the first
 * RFC 3164 line gets the latest year that does not put it after ref_time
 * (plus a day of clock slack; for Feb 29, the latest leap year). Either
 * way that is the first line's year: a month that goes backwards by more
 * than six months between lines (Dec -> Jan) moves to the next year, and
 * one that goes forwards by more than six (a late Dec line after Jan)
 * moves back one. The inference is reported once on stderr (msg_info),
 * naming the file and the year, unless ctx->quiet. frame_ctx_init must be
 * called before the first frame_line. */
void frame_ctx_init(struct frame_ctx *ctx, const char *name, int year_option, int64_t ref_time);
int frame_line(struct frame_ctx *ctx, const char *line, size_t len, struct frame *out);
/* Some messages carry an absolute time of their own (qmail through splogger:
 * "qmail: 1374486777.611077 info msg ..."). When the year was inferred (no
 * --year) and such a time disagrees with the framed one by more than two
 * days, the inference was wrong: move ctx's year by the difference so the
 * following lines get the right one, and say so once. Returns true if the
 * year changed. */
bool frame_ctx_anchor(struct frame_ctx *ctx, const struct frame *f, int64_t msg_time);

#endif
