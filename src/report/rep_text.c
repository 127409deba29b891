/* rep_text.c - the report as an 80-column table and detail blocks */
#include "report/rep_out.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/strv.h"
#include "util/timeconv.h"

const char *
rep_fmt_count(uint64_t v, char buf[8])
{
	static const char unit[] = "kMGTPE";
	double x = (double)v;
	int u = -1;

	if (v < 10000) {
		snprintf(buf, 8, "%" PRIu64, v);
		return buf;
	}
	/* Pick the unit after rounding, so 999999 reads "1.0M", not "1000k". */
	while (u < 5 && x >= 999.5) {
		x /= 1000;
		u++;
	}
	if (x < 9.95)
		snprintf(buf, 8, "%.1f%c", x, unit[u]);
	else
		snprintf(buf, 8, "%.0f%c", x, unit[u]);
	return buf;
}

const char *
rep_fmt_span(int64_t s, char buf[24])
{
	if (s < 0)
		s = 0;
	if (s < 3600)
		snprintf(buf, 24, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, 24, "%" PRId64 "h%02" PRId64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, 24, "%" PRId64 "d%02" PRId64 "h", s / 86400, s / 3600 % 24);
	return buf;
}

static void
rep_flush_maybe(const struct rep_out *o, struct buf *b)
{
	if (o->flush != NULL && b->len >= REP_OUT_CHUNK) {
		o->flush(o->arg, b);
		buf_reset(b);
	}
}

/* The name as printable ASCII, cut to cols with an ellipsis, padded to
 * cols when pad is set. Escaping first makes bytes equal columns. */
static void
rep_text_name(struct buf *b, const char *name, size_t cols, bool pad)
{
	char pr[LIMIT_ACCOUNT_MAX * 4];
	size_t n;

	strv_printable(strv_cstr(name), pr, sizeof(pr));
	n = strlen(pr);
	if (n > cols) {
		buf_append(b, pr, cols - 1);
		buf_append_str(b, "\xe2\x80\xa6");	/* U+2026 HORIZONTAL ELLIPSIS */
		return;
	}
	buf_append(b, pr, n);
	while (pad && n++ < cols)
		buf_append_char(b, ' ');
}

static const char *
rep_fmt_time(int64_t t, char buf[TIMECONV_RFC3339_LEN])
{
	timeconv_format_utc(t, buf);
	return buf;
}

static const char *
rep_fmt_rate(const struct rep_sum *s, char buf[8])
{
	if (s->dlv_total == 0)
		snprintf(buf, 8, "-");
	else if (s->fail_rate >= 0.9995)
		snprintf(buf, 8, "100%%");
	else
		snprintf(buf, 8, "%.1f%%", s->fail_rate * 100);
	return buf;
}

static void
rep_text_row(struct buf *b, const struct rep_acct *a)
{
	const struct rep_sum *s = &a->sum;
	char c1[8], c2[8], c3[8], okf[24], sdb[32], ips[12], rate[8];

	snprintf(okf, sizeof(okf), "%s/%s", rep_fmt_count(s->logins_ok, c1),
		 rep_fmt_count(s->logins_failed, c2));
	snprintf(ips, sizeof(ips), "%s%s", rep_fmt_count(s->ips, c1), s->ips_exact ? "" : "+");
	snprintf(sdb, sizeof(sdb), "%s/%s/%s", rep_fmt_count(a->sent, c1),
		 rep_fmt_count(a->deferred, c2), rep_fmt_count(a->bounced, c3));
	rep_text_name(b, a->name, REP_TEXT_ACCOUNT_COLS, true);
	buf_printf(b, " %5" PRId64 " %-9s %5s", s->score > 99999 ? 99999 : s->score, okf, ips);
	buf_printf(b, " %4s",
		   rep_fmt_count((uint64_t)a->nets.count[REP_NET_V4_16] +
				 a->nets.count[REP_NET_V6_48], c1));
	buf_printf(b, " %5s", rep_fmt_count(a->messages, c1));
	buf_printf(b, " %5s %14s %5s\n", rep_fmt_count(s->recipients, c1), sdb,
		   rep_fmt_rate(s, rate));
}

static void
rep_text_ips(struct buf *b, const struct rep_ipset *s, size_t top, const char *label)
{
	const struct rep_ip *best[REP_TOP_MAX];
	size_t n = rep_top_ips(s, top < REP_TOP_MAX ? top : REP_TOP_MAX, best), i;

	if (n == 0)
		return;
	buf_printf(b, "  %-9s %-39s %6s %6s %6s %6s\n", label, "IP", "LOGINS", "FAILED", "MSGS",
		   "REJECT");
	for (i = 0; i < n; i++) {
		char ip[NETADDR_STRLEN], c1[8], c2[8], c3[8], c4[8];

		netaddr_format(&best[i]->addr, ip);
		buf_printf(b, "  %-9s %-39s %6s %6s %6s %6s\n", "", ip,
			   rep_fmt_count(best[i]->ok, c1), rep_fmt_count(best[i]->fail, c2),
			   rep_fmt_count(best[i]->msgs, c3), rep_fmt_count(best[i]->rej, c4));
	}
}

/* One character per hour: '.' nothing, then 8 steps on a log scale up to
 * the account's busiest hour. */
static char
rep_spark(uint64_t v, uint64_t max)
{
	static const char ramp[] = ":-=+*#%@";
	int lvl;

	if (v == 0)
		return '.';
	if (max <= 1)
		return ramp[7];
	lvl = (int)(7.0 * log((double)v) / log((double)max) + 0.5);
	return ramp[lvl < 0 ? 0 : lvl > 7 ? 7 : lvl];
}

static uint64_t
rep_hour_act(const struct rep_hour *h)
{
	return (uint64_t)h->logins + h->failures + h->messages;
}

static int64_t
rep_day_of(int32_t hour)
{
	return hour >= 0 ? hour / 24 : (hour - 23) / 24;
}

static void
rep_text_timeline(struct buf *b, const struct rep_acct *a, const struct rep_out *o)
{
	uint64_t max = rep_hour_act(&a->busiest);
	uint32_t i = 0;
	int64_t day, quiet = 0;

	if (a->tl_n == 0)
		return;
	buf_printf(b, "\n  timeline, UTC: one column per hour, logins + failed logins + messages\n"
		      "  ('.' none, ':' one, '@' the busiest hour)%s\n",
		   a->tl_truncated ? "; older hours not kept" : "");
	buf_printf(b, "  %-10s %-24s %6s %6s %6s %6s %7s\n", "DATE", "0     6     12    18",
		   "LOGINS", "NEWIPS", "MSGS", "FAILED", "DLVFAIL");
	for (day = rep_day_of(a->tl[0].hour); i < a->tl_n; day++) {
		char line[25], date[TIMECONV_RFC3339_LEN], c[5][8];
		uint64_t sum[5] = { 0, 0, 0, 0, 0 };

		if (rep_day_of(a->tl[i].hour) != day) {
			quiet++;
			continue;
		}
		if (quiet > 0) {
			buf_printf(b, "  (%" PRId64 " day%s without activity)\n", quiet,
				   quiet > 1 ? "s" : "");
			quiet = 0;
		}
		memset(line, '.', 24);
		line[24] = '\0';
		for (; i < a->tl_n && rep_day_of(a->tl[i].hour) == day; i++) {
			const struct rep_hour *h = &a->tl[i];

			line[h->hour - day * 24] = rep_spark(rep_hour_act(h), max);
			sum[0] += h->logins;
			sum[1] += h->ips_new;
			sum[2] += h->messages;
			sum[3] += h->failures;
			sum[4] += h->dlv_failed;
		}
		timeconv_format_utc(day * 86400, date);
		date[10] = '\0';
		buf_printf(b, "  %-10s %s %6s %6s %6s %6s %7s\n", date, line,
			   rep_fmt_count(sum[0], c[0]), rep_fmt_count(sum[1], c[1]),
			   rep_fmt_count(sum[2], c[2]), rep_fmt_count(sum[3], c[3]),
			   rep_fmt_count(sum[4], c[4]));
		rep_flush_maybe(o, b);
	}
}

static void
rep_text_detail(struct buf *b, const struct rep_acct *a, const struct rep_out *o, bool full)
{
	const struct rep_sum *s = &a->sum;
	char t1[TIMECONV_RFC3339_LEN], t2[TIMECONV_RFC3339_LEN], span[24], rate[8];
	unsigned i;

	buf_append_char(b, '\n');
	rep_text_name(b, a->name, 60, false);
	buf_printf(b, "  (score %" PRId64 ")\n", s->score);
	buf_printf(b, "  %-9s %s .. %s (%s)\n", "active", rep_fmt_time(a->first, t1),
		   rep_fmt_time(a->last, t2), rep_fmt_span(a->last - a->first, span));
	buf_printf(b,
		   "  %-9s %" PRIu64 " ok (smtp %" PRIu64 ", imap/pop3 %" PRIu64 ", other %" PRIu64
		   "), %" PRIu64 " failed\n",
		   "logins", s->logins_ok, a->login_ok[REP_SVC_SMTP], a->login_ok[REP_SVC_MAILBOX],
		   a->login_ok[REP_SVC_OTHER], s->logins_failed);
	if (s->logins_failed > 0)
		buf_printf(b,
			   "  %-9s failed: smtp %" PRIu64 ", imap/pop3 %" PRIu64 ", other %" PRIu64
			   "\n",
			   "", a->login_fail[REP_SVC_SMTP], a->login_fail[REP_SVC_MAILBOX],
			   a->login_fail[REP_SVC_OTHER]);
	if (s->ips_exact)
		buf_printf(b, "  %-9s %" PRIu64 " distinct, %" PRIu32 " seen once\n", "IPs", s->ips,
			   s->ips_once);
	else
		buf_printf(b, "  %-9s more than %" PRIu32 " (about %" PRIu64 ") distinct, %" PRIu32
			      " seen once\n",
			   "IPs", a->ips.n, s->ips, s->ips_once);
	buf_printf(b, "  %-9s IPv4 %" PRIu32 ", IPv6 %" PRIu32 "; up to %" PRIu32
		      " new IPs in one hour\n",
		   "", s->ips_v4, s->ips_v6, a->peak_new);
	buf_printf(b, "  %-9s logins per IP:", "");
	for (i = 0; i < REP_DIST_N; i++)
		buf_printf(b, " %s:%" PRIu32, rep_dist_label(i), s->dist[i]);
	buf_append_char(b, '\n');
	buf_printf(b, "  %-9s %s%" PRIu32 " IPv4 /16, %" PRIu32 " IPv4 /24, %" PRIu32 " IPv6 /48\n",
		   "networks", a->nets.capped ? "more than " : "", a->nets.count[REP_NET_V4_16],
		   a->nets.count[REP_NET_V4_24], a->nets.count[REP_NET_V6_48]);
	buf_printf(b, "  %-9s %" PRIu32 " of the /16 and /48 used to log in or send\n", "",
		   s->nets_used);
	buf_printf(b, "  %-9s %" PRIu64 " messages, %" PRIu64 " recipients (%s)\n", "mail",
		   a->messages, s->recipients,
		   s->rcpt_from_nrcpt ? "nrcpt" : "delivery outcomes");
	buf_printf(b, "  %-9s deliveries %" PRIu64 " sent, %" PRIu64 " deferred, %" PRIu64
		      " bounced: %s failed\n",
		   "", a->sent, a->deferred, a->bounced, rep_fmt_rate(s, rate));
	buf_printf(b, "  %-9s %" PRIu64 " NDRs, %" PRIu64 " rejects, %" PRIu64 " spam verdicts\n",
		   "", a->bounces, a->rejects, a->spam);
	if (a->busiest.hour != INT32_MIN)
		buf_printf(b, "  %-9s %s  %" PRIu32 " logins, %" PRIu32 " new IPs, %" PRIu32
			      " msgs, %" PRIu32 " failed\n",
			   "busiest", rep_fmt_time((int64_t)a->busiest.hour * 3600, t1),
			   a->busiest.logins, a->busiest.ips_new, a->busiest.messages,
			   a->busiest.failures);
	rep_text_ips(b, &a->ips, o->top, "top IPs");
	if (full)
		rep_text_timeline(b, a, o);
	rep_flush_maybe(o, b);
}

static void
rep_text_unattr(struct buf *b, const struct rep *r, const struct rep_out *o)
{
	const struct rep_unattr *u = rep_unattributed(r);
	uint64_t n = 0;
	int k;

	for (k = EVT_NONE + 1; k < EVT_PUBLIC_END; k++)
		n += u->by_type[k];
	if (n == 0)
		return;
	buf_printf(b, "\nevents without an account: %" PRIu64 "\n", n);
	buf_printf(b, "  %" PRIu64 " failed logins without a user name (%" PRIu64
		      " attempts), %" PRIu64 " rejects\n",
		   u->by_type[EVT_AUTH_FAILURE], u->auth_fail_attempts, u->by_type[EVT_REJECT]);
	buf_printf(b, "  %" PRIu64 " messages, %" PRIu64 " deliveries, %" PRIu64
		      " NDRs not attributed to a login\n",
		   u->by_type[EVT_MESSAGE_ACCEPTED], u->by_type[EVT_DELIVERY],
		   u->by_type[EVT_BOUNCE]);
	buf_printf(b, "  from %s%" PRIu64 " client IPs\n", u->ips.capped ? "more than " : "",
		   rep_ipset_distinct(&u->ips));
	rep_text_ips(b, &u->ips, o->top, "top IPs");
}

void
rep_text(const struct rep *r, const struct rep_out *o, struct buf *b)
{
	const struct rep_totals *t = rep_get_totals(r);
	size_t n = rep_count(r), shown, i, details = 0;
	char t1[TIMECONV_RFC3339_LEN], t2[TIMECONV_RFC3339_LEN], span[24];

	if (t->events == 0) {
		buf_printf(b, "no events found (--verbose tells which lines were skipped)\n");
		goto out;
	}
	buf_printf(b, "%" PRIu64 " account%s, %" PRIu64 " events read\n", t->accounts,
		   t->accounts == 1 ? "" : "s", t->events);
	buf_printf(b, "from %s to %s (%s)\n", rep_fmt_time(t->first, t1),
		   rep_fmt_time(t->last, t2), rep_fmt_span(t->last - t->first, span));
	if (o->focus) {
		for (i = 0; i < n; i++)
			rep_text_detail(b, rep_get(r, i), o, true);
		if (n == 0)
			buf_printf(b, "no events for the selected account(s)\n");
		goto out;
	}
	shown = o->limit == 0 || o->limit > n ? n : o->limit;
	if (n > 0) {
		buf_printf(b, "\n%-*s %5s %-9s %5s %4s %5s %5s %14s %5s\n", REP_TEXT_ACCOUNT_COLS,
			   "ACCOUNT", "SCORE", "OK/FAIL", "IPS", "NETS", "MSGS", "RCPTS",
			   "SENT/DEF/BNC", "FAIL%");
		for (i = 0; i < shown; i++) {
			rep_text_row(b, rep_get(r, i));
			rep_flush_maybe(o, b);
		}
		if (shown < n)
			buf_printf(b, "%zu more account%s; --limit 0 for all\n", n - shown,
				   n - shown == 1 ? "" : "s");
	}
	for (i = 0; i < shown && details < REP_TEXT_DETAILS; i++) {
		const struct rep_acct *a = rep_get(r, i);

		if (a->sum.score <= 0)
			break;
		rep_text_detail(b, a, o, false);
		details++;
	}
	rep_text_unattr(b, r, o);
out:
	if (o->flush != NULL) {
		o->flush(o->arg, b);
		buf_reset(b);
	}
}
