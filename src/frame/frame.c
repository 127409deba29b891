/* frame.c - pick the framing of one line by its first byte; the syslog tag
 * parser shared by the syslog-shaped framings */
#include "frame/frame.h"
#include "frame/frame_int.h"

#include "util/msg.h"
#include "util/timeconv.h"

#include <string.h>

void
frame_ctx_init(struct frame_ctx *ctx, const char *name, int year_option, int64_t ref_time)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->name = name;
	ctx->year_option = year_option;
	ctx->ref_time = ref_time;
	ctx->tz_hour = INT64_MIN;
}

void
frame_civil_utc_ctx(struct frame_ctx *ctx, struct frame_civil *c)
{
	int64_t key = (int64_t)c->y * 512 + c->mon * 32 + c->d;

	if (key != ctx->day_key) {
		ctx->day_num = timeconv_days_from_civil(c->y, c->mon, c->d);
		ctx->day_key = key;
	}
	c->utc = ctx->day_num * 86400 + (int64_t)(c->h * 3600 + c->mi * 60 + c->s);
}

/* Zones change their offset on hour boundaries (bar a few historic
 * half-hour ones), so one mktime per local hour of log is enough; a log
 * mostly stays within one hour for thousands of lines. */
int64_t
frame_local(struct frame_ctx *ctx, const struct frame_civil *c)
{
	int64_t hour_start = c->utc - (int64_t)(c->mi * 60 + c->s);
	int64_t key = hour_start >= 0 ? hour_start / 3600 : (hour_start - 3599) / 3600;

	if (key != ctx->tz_hour) {
		ctx->tz_off = timeconv_local_to_utc(c->y, c->mon, c->d, c->h, 0, 0) - hour_start;
		ctx->tz_hour = key;
	}
	return c->utc + ctx->tz_off;
}

int
frame_hms(const char *p, unsigned *h, unsigned *mi, unsigned *s)
{
	int hh = frame_d2(p), mm = frame_d2(p + 3), ss = frame_d2(p + 6);

	if (p[2] != ':' || p[5] != ':' || hh < 0 || mm < 0 || ss < 0 || hh > 23 || mm > 59 ||
	    ss > 60)
		return -1;
	*h = (unsigned)hh;
	*mi = (unsigned)mm;
	*s = (unsigned)ss;
	return 0;
}

int
frame_frac(const char **pp, const char *end, uint32_t *usec, unsigned *ndigits)
{
	const char *p = *pp;
	uint32_t v = 0;
	unsigned n = 0;

	*usec = 0;
	*ndigits = 0;
	if (p >= end || *p != '.')
		return 0;
	for (p++; p < end && frame_isdigit(*p); p++) {
		if (++n > FRAME_FRAC_MAX)
			return -1;
		if (n <= 6)
			v = v * 10 + (uint32_t)(*p - '0');
	}
	if (n == 0)
		return -1;
	for (unsigned i = n; i < 6; i++)
		v *= 10;
	*usec = v;
	*ndigits = n;
	*pp = p;
	return 0;
}

/* End of the token at p: the first space, or end. NULL when the token is
 * empty or longer than max. */
static const char *
frame_token(const char *p, const char *end, size_t max)
{
	size_t n = (size_t)(end - p);
	const char *q = memchr(p, ' ', n > max ? max + 1 : n);

	if (q == NULL) {
		if (n > max)
			return NULL;
		q = end;
	}
	return q == p ? NULL : q;
}

int
frame_prog(const char *t, size_t len, struct frame *out)
{
	size_t n = len - 1;	/* without the ':' */
	uint32_t pid = 0;

	if (len < 2 || t[n] != ':')
		return -1;
	if (t[n - 1] == ']') {
		/* "prog[1234]": the pid is the digits between the brackets; a
		 * bracket holding anything else stays part of the name. At most
		 * 11 digits are looked at: 11 are already too many. */
		size_t i = n - 1, stop = i > 11 ? i - 11 : 0, digits;

		while (i > stop && frame_isdigit(t[i - 1]))
			i--;
		digits = n - 1 - i;
		if (i > 0 && t[i - 1] == '[' && digits > 0 && digits <= 10) {
			uint64_t v = 0;

			for (size_t k = i; k < n - 1; k++)
				v = v * 10 + (uint64_t)(t[k] - '0');
			if (v <= UINT32_MAX) {
				pid = (uint32_t)v;
				n = i - 1;
			}
		}
	}
	if (n == 0)
		return -1;
	out->prog = strv_make(t, n);
	out->pid = pid;
	return 0;
}

int
frame_tag(const char *p, const char *end, struct frame *out)
{
	const char *e1, *p2, *e2;

	/* A28: syslog-ng's "<mail.notice>" facility.priority before the host */
	if (p < end && *p == '<') {
		const char *gt = memchr(p, '>', (size_t)(end - p) < 32 ? (size_t)(end - p) : 32);

		if (gt == NULL || gt + 1 >= end || gt[1] != ' ')
			return -1;
		p = gt + 2;
	}
	if ((e1 = frame_token(p, end, FRAME_HOST_MAX)) == NULL)
		return -1;
	if (e1[-1] == ':') {
		/* no host: Dovecot's own log_path file, "cyrus/pop3[4297]: ..." */
		out->host = STRV_NULL;
		if (frame_prog(p, (size_t)(e1 - p), out) < 0)
			return -1;
		out->msg = e1 < end ? strv_make(e1 + 1, (size_t)(end - e1 - 1)) : strv_make(e1, 0);
		return 0;
	}
	if (e1 >= end || e1 + 1 >= end)
		return -1;	/* a host and nothing after it */
	out->host = strv_make(p, (size_t)(e1 - p));
	p2 = e1 + 1;
	e2 = frame_token(p2, end, FRAME_PROG_MAX);
	if (e2 != NULL && e2[-1] == ':') {
		if (frame_prog(p2, (size_t)(e2 - p2), out) < 0)
			return -1;
		out->msg = e2 < end ? strv_make(e2 + 1, (size_t)(end - e2 - 1)) : strv_make(e2, 0);
		return 0;
	}
	/* the syslog daemon's own lines: "last message repeated 3 times",
	 * "-- MARK --"; no program, no events */
	out->prog = STRV_NULL;
	out->pid = 0;
	out->msg = strv_make(p2, (size_t)(end - p2));
	return 0;
}

/* A16/A17: Exim through syslog or journald keeping its own timestamp after
 * the tag, with no syslog date: "[host ]exim[pid]: 2021-07-17 23:20:49 ..." */
static int
frame_exim_tagged(struct frame_ctx *ctx, const char *line, size_t len, struct frame *out)
{
	struct frame f;

	memset(&f, 0, sizeof(f));
	if (frame_tag(line, line + len, &f) < 0 || f.msg.len < 19 || !frame_isdigit(f.msg.p[0]))
		return -1;
	if (!strv_eq_cstr(f.prog, "exim") && !strv_eq_cstr(f.prog, "exim4"))
		return -1;
	if (frame_exim_header(ctx, f.msg.p, f.msg.p + f.msg.len, out) < 0)
		return -1;
	out->kind = FRAME_EXIM;
	out->host = f.host;
	out->prog = f.prog;
	if (f.pid != 0)
		out->pid = f.pid;
	return 0;
}

int
frame_line(struct frame_ctx *ctx, const char *line, size_t len, struct frame *out)
{
	unsigned char c;

	if (len == 0)
		return -1;
	memset(out, 0, sizeof(*out));
	c = (unsigned char)line[0];
	if (c == '<') {
		/* "<13>Jun  3 ...": a PRI kept by a raw template; "<13>1 ..."
		 * is RFC 5424 */
		size_t i = 1;

		while (i < len && i <= 3 && frame_isdigit(line[i]))
			i++;
		if (i == 1 || i >= len || line[i] != '>' || i + 1 >= len)
			return -1;
		i++;
		if (line[i] == '1')
			return frame_5424(ctx, line + i, line + len, out);
		if (line[i] == '<')
			return -1;
		return frame_line(ctx, line + i, len - i, out);
	}
	if (c >= 'A' && c <= 'S' && len >= 4 && line[3] == ' ' && frame_month(line) != 0)
		return frame_3164(ctx, line, len, out);
	if (frame_isdigit((char)c))
		return frame_iso(ctx, line, len, out);
	if (c == '@')
		return frame_tai64n(line, len, out);
	if (c > ' ' && c < 0x7f)
		return frame_exim_tagged(ctx, line, len, out);
	return -1;
}

bool
frame_ctx_anchor(struct frame_ctx *ctx, const struct frame *f, int64_t msg_time)
{
	int64_t diff = msg_time - f->time;
	int fy, my;
	unsigned m, d;

	if (ctx->year_option != 0 || ctx->anchored || f->kind != FRAME_RFC3164 ||
	    ctx->year == 0 || (diff < 2 * 86400 && diff > -2 * 86400))
		return false;
	timeconv_civil_from_days(f->time / 86400, &fy, &m, &d);
	timeconv_civil_from_days(msg_time / 86400, &my, &m, &d);
	if (my == fy)
		return false;
	ctx->year += my - fy;
	ctx->anchored = true;
	if (!ctx->quiet)
		msg_info("%s: the year of the timestamps is %d, as the messages' own times "
			 "say; use --year to set it", ctx->name != NULL ? ctx->name : "-",
			 ctx->year);
	return true;
}
