/* frame_iso.c - lines that open with an ISO 8601 date "YYYY-MM-DD"
 *
 * With a 'T' between date and time it is RFC 3339 syslog (rsyslog's
 * RSYSLOG_FileFormat, `journalctl -o short-iso`): zone "Z", "+hh:mm" or
 * "+hhmm" (none: local time), then "host prog[pid]: msg".
 *
 * With a space, four writers share the shape; the rule that tells them
 * apart, in order:
 *   1. a fraction of exactly 9 digits is tai64nlocal ("08:00:09.682393500"):
 *      it always prints nanoseconds, and no other writer does;
 *   2. a zone glued to the time ("10:09:05.180218+0000", macOS and some
 *      shippers), "prog: Level: ..." (Level one of Dovecot's Info/Warning/
 *      Error/Fatal/Panic/Debug: Dovecot's own log_path file with an ISO
 *      log_timestamp) or "host prog[digits]: ..." (a log shipper writing an
 *      ISO date before a syslog tag) is syslog, framed as FRAME_RFC3339;
 *   3. anything else is Exim's mainlog: "[.fff] [+zzzz] [[pid] ]msg".
 * A fraction of 7 or 8 digits matches none of them and is refused. */
#include "frame/frame.h"
#include "frame/frame_int.h"
#include "util/timeconv.h"

#include <string.h>

/* "YYYY-MM-DD?hh:mm:ss" at p (19 readable bytes); *sep gets the byte
 * between date and time. */
static int
frame_ymdhms(struct frame_ctx *ctx, const char *p, char *sep, struct frame_civil *c)
{
	int y = frame_d4(p), mon = frame_d2(p + 5), d = frame_d2(p + 8);

	if (y < 1 || p[4] != '-' || p[7] != '-' || mon < 1 || mon > 12 || d < 1 ||
	    (unsigned)d > timeconv_mdays(y, (unsigned)mon))
		return -1;
	if (frame_hms(p + 11, &c->h, &c->mi, &c->s) < 0)
		return -1;
	c->y = y;
	c->mon = (unsigned)mon;
	c->d = (unsigned)d;
	*sep = p[10];
	frame_civil_utc_ctx(ctx, c);
	return 0;
}

/* "+hh:mm", "+hhmm", "-..." at *pp; seconds east of UTC into *off. */
static int
frame_offset(const char **pp, const char *end, int64_t *off)
{
	const char *p = *pp;
	int hh, mm, sign;

	if (end - p < 5 || (*p != '+' && *p != '-'))
		return -1;
	sign = *p == '-' ? -1 : 1;
	if ((hh = frame_d2(p + 1)) < 0)
		return -1;
	p += 3;
	if (*p == ':') {
		if (end - p < 3)
			return -1;
		p++;
	}
	if ((mm = frame_d2(p)) < 0 || hh > 23 || mm > 59)
		return -1;
	*off = sign * (int64_t)(hh * 3600 + mm * 60);
	*pp = p + 2;
	return 0;
}

static bool
frame_dovecot_level(const char *p, const char *end)
{
	static const struct {
		const char *s;
		size_t n;
	} levels[] = { { "Info:", 5 }, { "Warning:", 8 }, { "Error:", 6 },
		       { "Fatal:", 6 }, { "Panic:", 6 }, { "Debug:", 6 } };
	size_t n = (size_t)(end - p);

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		size_t k = levels[i].n;

		if (n >= k && memcmp(p, levels[i].s, k) == 0 && (n == k || p[k] == ' '))
			return true;
	}
	return false;
}

/* Rule 2 above: does a syslog tag follow the ISO date at p? */
static bool
frame_iso_tagged(const char *p, const char *end)
{
	const char *e1, *e2, *lb;
	size_t n = (size_t)(end - p);

	e1 = memchr(p, ' ', n > FRAME_HOST_MAX + 1 ? FRAME_HOST_MAX + 1 : n);
	if (e1 == NULL || e1 == p)
		return false;
	if (e1[-1] == ':')
		return frame_dovecot_level(e1 + 1, end);
	n = (size_t)(end - e1 - 1);
	e2 = memchr(e1 + 1, ' ', n > FRAME_PROG_MAX + 1 ? FRAME_PROG_MAX + 1 : n);
	if (e2 == NULL)
		e2 = end;
	if (e2 - e1 < 5 || e2[-1] != ':' || e2[-2] != ']')
		return false;
	for (lb = e2 - 3; lb > e1 + 1 && frame_isdigit(*lb); lb--)
		;
	return *lb == '[' && lb < e2 - 3 && lb > e1 + 1;
}

/* Exim after "YYYY-MM-DD hh:mm:ss": p is just past the seconds. */
static int
frame_exim_rest(struct frame_ctx *ctx, const struct frame_civil *c, const char *p,
		const char *end, struct frame *out)
{
	unsigned nfrac;
	int64_t off;

	if (frame_frac(&p, end, &out->usec, &nfrac) < 0 || nfrac > 6)
		return -1;
	if (p < end && *p != ' ')
		return -1;
	/* log_timezone: " +0100" makes the time absolute; without it the
	 * time is local */
	if (end - p >= 6 && (p[1] == '+' || p[1] == '-') && (end - p == 6 || p[6] == ' ')) {
		const char *z = p + 1;

		if (frame_offset(&z, end, &off) < 0 || z != p + 6)
			return -1;
		out->time = c->utc - off;
		p = z;
	} else {
		out->time = frame_local(ctx, c);
	}
	/* log_selector +pid: " [12345]" */
	if (end - p >= 4 && p[1] == '[' && frame_isdigit(p[2])) {
		const char *q = p + 2;
		uint64_t v = 0;

		while (q < end && frame_isdigit(*q) && q - p < 12)
			v = v * 10 + (uint64_t)(*q++ - '0');
		if (q < end && *q == ']' && (q + 1 == end || q[1] == ' ') && v <= UINT32_MAX) {
			out->pid = (uint32_t)v;
			p = q + 1;
		}
	}
	out->msg = p < end ? strv_make(p + 1, (size_t)(end - p - 1)) : strv_make(p, 0);
	return 0;
}

int
frame_exim_header(struct frame_ctx *ctx, const char *p, const char *end, struct frame *out)
{
	struct frame_civil c;
	char sep;

	if (end - p < 19 || frame_ymdhms(ctx, p, &sep, &c) < 0 || sep != ' ')
		return -1;
	return frame_exim_rest(ctx, &c, p + 19, end, out);
}

/* After "YYYY-MM-DDThh:mm:ss" (c), *pp just past the seconds:
 * "[.f][Z|+hh:mm|+hhmm]"; sets out->time and usec. */
static int
frame_3339_rest(struct frame_ctx *ctx, const struct frame_civil *c, const char **pp,
		const char *end, struct frame *out)
{
	const char *p = *pp;
	unsigned nfrac;
	int64_t off;

	if (frame_frac(&p, end, &out->usec, &nfrac) < 0)
		return -1;
	if (p < end && *p == 'Z') {
		out->time = c->utc;
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		if (frame_offset(&p, end, &off) < 0)
			return -1;
		out->time = c->utc - off;
	} else {
		out->time = frame_local(ctx, c);	/* no zone: local time */
	}
	*pp = p;
	return 0;
}

/* The exim pid a syslog-ng template repeats after the tag:
 * "info exim[8003]: [8003] SMTP ..."; the second copy is framing. */
static void
frame_exim_dup_pid(struct frame *out)
{
	const char *q = out->msg.p + 1, *mend = out->msg.p + out->msg.len;
	uint64_t v = 0;

	if (out->pid == 0 || out->msg.len < 3 || out->msg.p[0] != '[' ||
	    (!strv_eq_cstr(out->prog, "exim") && !strv_eq_cstr(out->prog, "exim4")))
		return;
	while (q < mend && frame_isdigit(*q) && q - out->msg.p < 12)
		v = v * 10 + (uint64_t)(*q++ - '0');
	if (q < mend && *q == ']' && v == out->pid) {
		q++;
		if (q < mend && *q == ' ')
			q++;
		out->msg = strv_make(q, (size_t)(mend - q));
	}
}

int
frame_iso(struct frame_ctx *ctx, const char *line, size_t len, struct frame *out)
{
	const char *p = line, *end = line + len;
	struct frame_civil c;
	unsigned nfrac;
	int64_t off;
	char sep;

	if (len < 19 || frame_ymdhms(ctx, line, &sep, &c) < 0)
		return -1;
	if (sep == 'T') {
		p += 19;
		if (frame_3339_rest(ctx, &c, &p, end, out) < 0 || p >= end || *p != ' ' ||
		    frame_tag(p + 1, end, out) < 0)
			return -1;
		out->kind = FRAME_RFC3339;
		return 0;
	}
	if (sep != ' ')
		return -1;
	p += 19;
	if (frame_frac(&p, end, &out->usec, &nfrac) < 0 || nfrac == 7 || nfrac == 8)
		return -1;
	if (nfrac == 9) {
		if (p < end && *p != ' ')
			return -1;
		out->kind = FRAME_TAI64NLOCAL;
		out->time = frame_local(ctx, &c);
		out->msg = p < end ? strv_make(p + 1, (size_t)(end - p - 1)) : strv_make(p, 0);
		return 0;
	}
	if (p < end && (*p == '+' || *p == '-')) {
		/* a zone glued to the time: syslog, never Exim */
		if (frame_offset(&p, end, &off) < 0 || p >= end || *p != ' ' ||
		    frame_tag(p + 1, end, out) < 0)
			return -1;
		out->kind = FRAME_RFC3339;
		out->time = c.utc - off;
		return 0;
	}
	if (p < end && *p != ' ')
		return -1;
	if (p < end && frame_iso_tagged(p + 1, end)) {
		if (frame_tag(p + 1, end, out) < 0)
			return -1;
		out->kind = FRAME_RFC3339;
		out->time = frame_local(ctx, &c);
		frame_exim_dup_pid(out);
		return 0;
	}
	out->usec = 0;
	if (frame_exim_rest(ctx, &c, line + 19, end, out) < 0)
		return -1;
	out->kind = FRAME_EXIM;
	out->prog = STRV_LIT("exim");
	return 0;
}

/* Next space-delimited RFC 5424 header field; "-" is the nil value. */
static int
frame_5424_field(const char **pp, const char *end, size_t max, struct strv *v)
{
	const char *p = *pp, *e;
	size_t n = (size_t)(end - p);

	if ((e = memchr(p, ' ', n > max + 1 ? max + 1 : n)) == NULL || e == p)
		return -1;
	*v = e - p == 1 && *p == '-' ? STRV_NULL : strv_make(p, (size_t)(e - p));
	*pp = e + 1;
	return 0;
}

int
frame_5424(struct frame_ctx *ctx, const char *p, const char *end, struct frame *out)
{
	struct strv procid, msgid;
	struct frame_civil c;
	char sep;

	if (end - p < 21 || p[0] != '1' || p[1] != ' ' || frame_ymdhms(ctx, p + 2, &sep, &c) < 0 ||
	    sep != 'T')
		return -1;
	p += 21;
	if (frame_3339_rest(ctx, &c, &p, end, out) < 0 || p >= end || *p != ' ')
		return -1;
	p++;
	if (frame_5424_field(&p, end, FRAME_HOST_MAX, &out->host) < 0 ||
	    frame_5424_field(&p, end, 48, &out->prog) < 0 ||	/* RFC 5424 APP-NAME */
	    frame_5424_field(&p, end, 128, &procid) < 0 ||	/* PROCID */
	    frame_5424_field(&p, end, 32, &msgid) < 0)	/* MSGID */
		return -1;
	if (procid.len > 0 && procid.len <= 10) {
		uint64_t v = 0;
		size_t i;

		for (i = 0; i < procid.len && frame_isdigit(procid.p[i]); i++)
			v = v * 10 + (uint64_t)(procid.p[i] - '0');
		if (i == procid.len && v <= UINT32_MAX)
			out->pid = (uint32_t)v;
	}
	/* STRUCTURED-DATA: "-" or "[id k=\"v\" ...]..." with \] escaped */
	if (p < end && *p == '-') {
		p++;
	} else {
		if (p >= end || *p != '[')
			return -1;
		while (p < end && *p == '[') {
			bool quoted = false;

			for (p++; p < end; p++) {
				if (*p == '\\' && quoted && p + 1 < end)
					p++;
				else if (*p == '"')
					quoted = !quoted;
				else if (*p == ']' && !quoted)
					break;
			}
			if (p >= end)
				return -1;
			p++;
		}
	}
	if (p < end && *p != ' ')
		return -1;
	if (p < end)
		p++;
	if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)	/* the BOM of a UTF-8 MSG */
		p += 3;
	out->msg = strv_make(p, (size_t)(end - p));
	out->kind = FRAME_RFC3339;
	return 0;
}
