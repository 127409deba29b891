/* rep_json.c - the report as one JSON document (schema: docs/mailsentry-report.md) */
#include "report/rep_out.h"

#include <string.h>

#include "util/jsonw.h"
#include "util/timeconv.h"

#define REP_JSON_VERSION 1

static void
rep_maybe_flush(const struct rep_out *o, struct buf *b)
{
	if (o->flush != NULL && b->len >= REP_OUT_CHUNK) {
		o->flush(o->arg, b);
		buf_reset(b);
	}
}

static void
jku(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_uint(w, v);
}

static void
jktime(struct jw *w, const char *key, int64_t t)
{
	char ts[TIMECONV_RFC3339_LEN];

	timeconv_format_utc(t, ts);
	jw_kcstr(w, key, ts);
}

static void
rep_json_hour(struct jw *w, const struct rep_hour *h)
{
	jw_obj_begin(w);
	jktime(w, "hour", (int64_t)h->hour * 3600);
	jku(w, "logins", h->logins);
	jku(w, "ips_new", h->ips_new);
	jku(w, "messages", h->messages);
	jku(w, "failures", h->failures);
	jku(w, "dlv_failed", h->dlv_failed);
	jw_obj_end(w);
}

static void
rep_json_ips(struct jw *w, const struct rep_ipset *s, size_t top)
{
	const struct rep_ip *best[REP_TOP_MAX];
	size_t n, i;

	n = rep_top_ips(s, top < REP_TOP_MAX ? top : REP_TOP_MAX, best);
	jw_key(w, "top_ips");
	jw_arr_begin(w);
	for (i = 0; i < n; i++) {
		char ip[NETADDR_STRLEN];

		netaddr_format(&best[i]->addr, ip);
		jw_obj_begin(w);
		jw_kcstr(w, "ip", ip);
		jku(w, "logins", best[i]->ok);
		jku(w, "failed", best[i]->fail);
		jku(w, "messages", best[i]->msgs);
		jku(w, "rejects", best[i]->rej);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void
rep_json_svc(struct jw *w, const char *key, const struct rep_acct *a, enum rep_svc k)
{
	jw_key(w, key);
	jw_obj_begin(w);
	jku(w, "ok", a->login_ok[k]);
	jku(w, "failed", a->login_fail[k]);
	jw_obj_end(w);
}

static void
rep_json_acct(struct jw *w, const struct rep_acct *a, const struct rep_out *o)
{
	const struct rep_sum *s = &a->sum;
	char key[LIMIT_ACCOUNT_MAX];
	uint32_t i;

	evt_account_key(a->name, key);
	jw_obj_begin(w);
	jw_kcstr(w, "account", a->name);
	jw_kcstr(w, "key", key);
	jw_kint(w, "score", s->score);
	jktime(w, "first", a->first);
	jktime(w, "last", a->last);

	jw_key(w, "logins");
	jw_obj_begin(w);
	jku(w, "ok", s->logins_ok);
	jku(w, "failed", s->logins_failed);
	rep_json_svc(w, "smtp", a, REP_SVC_SMTP);
	rep_json_svc(w, "mailbox", a, REP_SVC_MAILBOX);
	rep_json_svc(w, "other", a, REP_SVC_OTHER);
	jw_obj_end(w);

	jw_key(w, "ips");
	jw_obj_begin(w);
	jku(w, "distinct", s->ips);
	jw_key(w, "exact");
	jw_bool(w, s->ips_exact);
	jku(w, "ipv4", s->ips_v4);
	jku(w, "ipv6", s->ips_v6);
	jku(w, "once", s->ips_once);
	jw_key(w, "logins_per_ip");
	jw_obj_begin(w);
	for (i = 0; i < REP_DIST_N; i++)
		jku(w, rep_dist_label(i), s->dist[i]);
	jw_obj_end(w);
	jku(w, "peak_new_per_hour", a->peak_new);
	jw_obj_end(w);

	jw_key(w, "networks");
	jw_obj_begin(w);
	jku(w, "ipv4_24", a->nets.count[REP_NET_V4_24]);
	jku(w, "ipv4_16", a->nets.count[REP_NET_V4_16]);
	jku(w, "ipv6_48", a->nets.count[REP_NET_V6_48]);
	jku(w, "used", s->nets_used);
	jw_key(w, "exact");
	jw_bool(w, !a->nets.capped);
	jw_obj_end(w);

	jku(w, "messages", a->messages);
	jku(w, "recipients", s->recipients);
	jw_kcstr(w, "recipients_from", s->rcpt_from_nrcpt ? "nrcpt" : "deliveries");

	jw_key(w, "deliveries");
	jw_obj_begin(w);
	jku(w, "sent", a->sent);
	jku(w, "deferred", a->deferred);
	jku(w, "bounced", a->bounced);
	jw_key(w, "failure_rate");
	jw_double(w, s->fail_rate, 4);
	jw_obj_end(w);

	jku(w, "bounces", a->bounces);
	jku(w, "rejects", a->rejects);
	jku(w, "spam", a->spam);

	jw_key(w, "busiest_hour");
	if (a->busiest.hour != INT32_MIN)
		rep_json_hour(w, &a->busiest);
	else
		jw_null(w);

	rep_json_ips(w, &a->ips, o->top);

	jw_key(w, "timeline_truncated");
	jw_bool(w, a->tl_truncated);
	jw_key(w, "timeline");
	jw_arr_begin(w);
	for (i = 0; i < a->tl_n; i++)
		rep_json_hour(w, &a->tl[i]);
	jw_arr_end(w);
	jw_obj_end(w);
}

void
rep_json(const struct rep *r, const struct rep_out *o, struct buf *b)
{
	const struct rep_totals *t = rep_get_totals(r);
	const struct rep_unattr *u = rep_unattributed(r);
	struct jw w;
	size_t i;
	int k;

	jw_init(&w, b);
	jw_obj_begin(&w);
	jw_kcstr(&w, "report", "mailsentry-report");
	jw_kint(&w, "version", REP_JSON_VERSION);
	jw_key(&w, "span");
	if (t->events > 0) {
		jw_obj_begin(&w);
		jktime(&w, "first", t->first);
		jktime(&w, "last", t->last);
		jw_obj_end(&w);
	} else {
		jw_null(&w);
	}
	jku(&w, "timeline_hours", rep_timeline_hours(r));

	jw_key(&w, "totals");
	jw_obj_begin(&w);
	jku(&w, "events", t->events);
	jku(&w, "accounts", t->accounts);
	jku(&w, "logins_ok", t->logins_ok);
	jku(&w, "logins_failed", t->logins_failed);
	jku(&w, "messages", t->messages);
	jku(&w, "recipients", t->recipients);
	jku(&w, "sent", t->sent);
	jku(&w, "deferred", t->deferred);
	jku(&w, "bounced", t->bounced);
	jku(&w, "bounces", t->bounces);
	jw_obj_end(&w);

	jw_key(&w, "accounts");
	jw_arr_begin(&w);
	for (i = 0; i < rep_count(r); i++) {
		rep_json_acct(&w, rep_get(r, i), o);
		rep_maybe_flush(o, b);
	}
	jw_arr_end(&w);

	jw_key(&w, "unattributed");
	jw_obj_begin(&w);
	for (k = EVT_NONE + 1; k < EVT_PUBLIC_END; k++)
		jku(&w, evt_type_name((enum evt_type)k), u->by_type[k]);
	jku(&w, "auth_failure_attempts", u->auth_fail_attempts);
	jw_key(&w, "ips");
	jw_obj_begin(&w);
	jku(&w, "distinct", rep_ipset_distinct(&u->ips));
	jw_key(&w, "exact");
	jw_bool(&w, !u->ips.capped);
	jw_obj_end(&w);
	rep_json_ips(&w, &u->ips, o->top);
	jw_obj_end(&w);

	jw_obj_end(&w);
	buf_append_char(b, '\n');
	if (o->flush != NULL) {
		o->flush(o->arg, b);
		buf_reset(b);
	}
}
