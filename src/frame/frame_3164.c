/* frame_3164.c - RFC 3164 syslog: "Mmm dd hh:mm:ss[.ffffff] host prog[pid]: msg"
 *
 * The timestamp carries no year, so the year is state of the input: the
 * first line's year comes from --year or is inferred from the reference
 * time (the file's mtime), and later lines follow the month sequence. */
#include "frame/frame.h"
#include "frame/frame_int.h"
#include "util/msg.h"
#include "util/timeconv.h"

#include <string.h>

/* Clock slack when deciding whether a date lies after the reference time:
 * a file's mtime can trail its last line by a little. */
#define FRAME_YEAR_SLACK 86400

static bool
frame_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The latest year that does not put mon/d h:mi:s (local time) after ref plus
 * a day. Feb 29 only exists in leap years, so only those are candidates
 * for it (never more than 8 years back). */
static int
frame_infer_year(int64_t ref, unsigned mon, unsigned d, unsigned h, unsigned mi, unsigned s)
{
	int64_t days = ref >= 0 ? ref / 86400 : (ref - 86399) / 86400;
	unsigned rm, rd;
	int ry, y;

	timeconv_civil_from_days(days, &ry, &rm, &rd);
	for (y = ry + 1; y > ry - 9; y--) {
		if (mon == 2 && d == 29 && !frame_leap(y))
			continue;
		if (timeconv_local_to_utc(y, mon, d, h, mi, s) <= ref + FRAME_YEAR_SLACK)
			return y;
	}
	return ry - 1;
}

/* a[0..n) == b[0..n) for a header of 15..32 bytes: two or four words. */
static inline bool
frame_hdr_eq(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	size_t i;

	for (i = 0; i + 8 < n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return false;
	}
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	return x == y;
}

int
frame_3164(struct frame_ctx *ctx, const char *line, size_t len, struct frame *out)
{
	const char *p, *end = line + len;
	unsigned mon, d, h, mi, s, nfrac;
	struct frame_civil c;
	bool inferred = false;
	uint32_t usec;
	int y;

	/* The same header as the last good line, under the same year: the
	 * same time (the month sequence and the zone cache cannot have moved),
	 * and none of the checks below can fail on those bytes. */
	if (ctx->hdr_len != 0 && len > ctx->hdr_len && ctx->hdr_year == ctx->year &&
	    frame_hdr_eq(line, ctx->hdr, ctx->hdr_len)) {
		if (frame_tag(line + ctx->hdr_len, end, out) < 0)
			return -1;
		out->kind = FRAME_RFC3164;
		out->time = ctx->hdr_time;
		out->usec = ctx->hdr_usec;
		return 0;
	}
	/* "Mmm d hh:mm:ss " is the shortest header: 15 bytes */
	if (len < 15 || (mon = frame_month(line)) == 0 || line[3] != ' ')
		return -1;
	p = line + 4;
	if (*p == ' ')			/* "Jun  3": day padded with a space */
		p++;
	if (!frame_isdigit(p[0]))
		return -1;
	d = (unsigned)(p[0] - '0');
	if (frame_isdigit(p[1])) {	/* "Jun 13", "Jun 03" */
		d = d * 10 + (unsigned)(p[1] - '0');
		p++;
	}
	p++;
	if (d == 0 || d > 31 || *p != ' ' || end - p < 10)
		return -1;
	if (frame_hms(p + 1, &h, &mi, &s) < 0)
		return -1;
	p += 9;
	/* ".123456": rsyslog templates with high-precision time and no year */
	if (frame_frac(&p, end, &usec, &nfrac) < 0 || p >= end || *p != ' ')
		return -1;
	if (frame_tag(p + 1, end, out) < 0)
		return -1;

	/* The year, computed into locals: ctx changes only once the line is
	 * known to be good. */
	if (ctx->year == 0) {
		if (ctx->year_option != 0) {
			y = ctx->year_option;
		} else {
			y = frame_infer_year(ctx->ref_time, mon, d, h, mi, s);
			inferred = true;
		}
	} else {
		y = ctx->year;
		/* Dec -> Jan moves on a year; Jan -> Dec (a late line written
		 * just after New Year) moves back one */
		if (ctx->last_month != 0 && mon + 6 < ctx->last_month)
			y++;
		else if (ctx->last_month != 0 && mon > ctx->last_month + 6)
			y--;
	}
	if (y < 1 || y > 9999 || d > timeconv_mdays(y, mon))
		return -1;	/* Feb 29 of a non-leap year, Apr 31 */

	c = (struct frame_civil){ y, mon, d, h, mi, s, 0 };
	frame_civil_utc_ctx(ctx, &c);
	out->kind = FRAME_RFC3164;
	out->time = frame_local(ctx, &c);
	out->usec = usec;
	ctx->year = y;
	ctx->last_month = mon;
	if ((size_t)(p + 1 - line) <= sizeof(ctx->hdr)) {
		ctx->hdr_len = (uint8_t)(p + 1 - line);
		memcpy(ctx->hdr, line, ctx->hdr_len);
		ctx->hdr_year = y;
		ctx->hdr_time = out->time;
		ctx->hdr_usec = usec;
	} else
		ctx->hdr_len = 0;
	if (inferred && !ctx->said) {
		ctx->said = true;
		if (!ctx->quiet)
			msg_info("%s: timestamps carry no year; assuming %d for the first line "
				 "(from the file's modification time); use --year to set it",
				 ctx->name != NULL ? ctx->name : "-", y);
	}
	return 0;
}
