/* finding.c - a finding as a JSON line and as a block of text
 * SUMMARY  JSON per DESIGN.md: kind, account or ip, first_evidence,
 *          detected_at, last_evidence, score, the counts that apply and
 *          the signals that fired. Text: one block per finding, the same
 *          facts for a person. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "detect/det.h"
#include "util/jsonw.h"
#include "util/timeconv.h"

static const char *const kind_names[FK_MAX] = {
	"account_compromise", "outbound_burst", "credential_probe",
	"backscatter",	      "brute_force",	"password_spray",
};

const char *
finding_kind_name(enum finding_kind k)
{
	return (unsigned)k < FK_MAX ? kind_names[k] : "unknown";
}

static void
kv_time(struct jw *w, const char *key, int64_t t)
{
	char buf[32];

	jw_kstr(w, key, buf, timeconv_format_utc(t, buf));
}

static void
kv_count(struct jw *w, const char *key, uint64_t v)
{
	if (v == UINT64_MAX)
		return;
	jw_key(w, key);
	jw_uint(w, v);
}

void
finding_json(const struct finding *f, struct buf *b)
{
	struct jw w;
	unsigned i;

	jw_init(&w, b);
	jw_obj_begin(&w);
	jw_kcstr(&w, "kind", finding_kind_name(f->kind));
	if (f->account[0] != '\0')
		jw_kcstr(&w, "account", f->account);
	if (f->ip[0] != '\0')
		jw_kcstr(&w, "ip", f->ip);
	kv_time(&w, "first_evidence", f->first_evidence);
	kv_time(&w, "detected_at", f->detected_at);
	kv_time(&w, "last_evidence", f->last_evidence);
	if (f->score > 0) {
		jw_key(&w, "score");
		jw_num(&w, f->score, 2);
	}
	kv_count(&w, "distinct_ips", f->distinct_ips);
	kv_count(&w, "networks", f->networks);
	kv_count(&w, "messages", f->messages);
	kv_count(&w, "recipients", f->recipients);
	kv_count(&w, "attempts", f->attempts);
	kv_count(&w, "accounts", f->accounts);
	kv_count(&w, "ndrs", f->ndrs);
	jw_key(&w, "signals");
	jw_arr_begin(&w);
	for (i = 0; i < f->nsignals; i++) {
		const struct signal_val *s = &f->signals[i];

		jw_obj_begin(&w);
		jw_kcstr(&w, "name", s->name);
		jw_key(&w, "value");
		jw_num(&w, s->value, 4);
		if (s->threshold > 0) {
			jw_key(&w, "threshold");
			jw_num(&w, s->threshold, 4);
		}
		if (s->points > 0) {
			jw_key(&w, "points");
			jw_num(&w, s->points, 2);
		}
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
}

/* "14 min", "3.5 h", "2.1 d" */
static void
span(struct buf *b, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		buf_printf(b, "%" PRId64 " s", s);
	else if (s < 7200)
		buf_printf(b, "%" PRId64 " min", s / 60);
	else if (s < 2 * 86400)
		buf_printf(b, "%.1f h", s / 3600.0);
	else
		buf_printf(b, "%.1f d", s / 86400.0);
}

static void
count(struct buf *b, bool *first, uint64_t v, const char *what)
{
	if (v == UINT64_MAX)
		return;
	buf_printf(b, "%s%" PRIu64 " %s", *first ? "" : ", ", v, what);
	*first = false;
}

void
finding_text(const struct finding *f, struct buf *b)
{
	char t[32];
	bool first = true;
	unsigned i;

	buf_printf(b, "%s  %s%s%s\n", finding_kind_name(f->kind), f->account,
		   f->account[0] && f->ip[0] ? " from " : "", f->ip);
	timeconv_format_utc(f->first_evidence, t);
	buf_printf(b, "  first evidence  %s\n", t);
	timeconv_format_utc(f->detected_at, t);
	buf_printf(b, "  detected at     %s  (", t);
	span(b, f->detected_at - f->first_evidence);
	buf_printf(b, " after the first evidence)\n");
	timeconv_format_utc(f->last_evidence, t);
	buf_printf(b, "  last evidence   %s  (lasted ", t);
	span(b, f->last_evidence - f->first_evidence);
	buf_printf(b, ")\n  counts          ");
	count(b, &first, f->distinct_ips, "IPs");
	count(b, &first, f->networks, "networks");
	count(b, &first, f->messages, "messages");
	count(b, &first, f->recipients, "recipients");
	count(b, &first, f->attempts, "attempts");
	count(b, &first, f->accounts, "accounts");
	count(b, &first, f->ndrs, "NDRs");
	buf_printf(b, "\n");
	for (i = 0; i < f->nsignals; i++) {
		const struct signal_val *s = &f->signals[i];

		buf_printf(b, "  %-16s%-26s %.4g", i == 0 ? "signals" : "", s->name, s->value);
		if (s->threshold > 0)
			buf_printf(b, " (threshold %.4g)", s->threshold);
		if (s->points > 0)
			buf_printf(b, "  +%.2f", s->points);
		buf_printf(b, "\n");
	}
	if (f->score > 0 && f->kind == FK_COMPROMISE)
		buf_printf(b, "  score           %.2f\n", f->score);
}
