/* rep_acct.c - per-account aggregation, summary and suspicion score */
#include "report/rep_acct.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/htab.h"
#include "util/mem.h"

struct rep {
	struct rep_opts o;
	struct htab *accts;	/* evt_account_key -> struct rep_acct */
	struct htab *filter;	/* keys of --account, or NULL */
	struct rep_unattr un;
	struct rep_totals tot;
	struct rep_acct **order;	/* after rep_finish */
	size_t norder;
	bool finished;
};

enum rep_svc
rep_svc_class(const char *s)
{
	static const char *const smtp[] = { "smtp", "submission", "smtps", "esmtp",
					    "esmtpa", "esmtpsa", NULL };
	static const char *const mbox[] = { "imap", "imaps", "pop3", "pop3s", "pop",
					    "managesieve", "sieve", NULL };
	size_t i;

	for (i = 0; smtp[i] != NULL; i++)
		if (strcmp(s, smtp[i]) == 0)
			return REP_SVC_SMTP;
	for (i = 0; mbox[i] != NULL; i++)
		if (strcmp(s, mbox[i]) == 0)
			return REP_SVC_MAILBOX;
	return REP_SVC_OTHER;
}

const char *
rep_dist_label(unsigned i)
{
	static const char *const labels[REP_DIST_N] = { "0", "1", "2", "3-9", "10-99", "100+" };

	return i < REP_DIST_N ? labels[i] : "?";
}

static unsigned
rep_dist_bucket(uint32_t ok)
{
	return ok == 0 ? 0 : ok == 1 ? 1 : ok == 2 ? 2 : ok < 10 ? 3 : ok < 100 ? 4 : 5;
}

struct rep *
rep_new(const struct rep_opts *o)
{
	struct rep *r = mem_calloc(1, sizeof(*r));
	size_t i;

	r->o = *o;
	if (r->o.timeline_hours == 0)
		r->o.timeline_hours = REP_TIMELINE_HOURS_ALL;
	if (r->o.timeline_hours > REP_TIMELINE_HOURS_MAX)
		r->o.timeline_hours = REP_TIMELINE_HOURS_MAX;
	r->accts = htab_new();
	if (o->naccounts > 0) {
		r->filter = htab_new();
		for (i = 0; i < o->naccounts; i++) {
			char key[LIMIT_ACCOUNT_MAX];
			void **slot;

			evt_account_key(o->accounts[i], key);
			if ((slot = htab_put(r->filter, key, strlen(key), NULL)) != NULL)
				*slot = r;	/* any non-NULL marker */
		}
	}
	rep_ipset_init(&r->un.ips, o->ip_limit);
	r->tot.first = INT64_MAX;
	r->tot.last = INT64_MIN;
	return r;
}

static void
rep_acct_free(void *p)
{
	struct rep_acct *a = p;

	rep_ipset_release(&a->ips);
	rep_netset_release(&a->nets);
	mem_free(a->tl);
	mem_free(a);
}

void
rep_free(struct rep **rp)
{
	struct rep *r = *rp;

	if (r == NULL)
		return;
	htab_free(&r->accts, rep_acct_free);
	htab_free(&r->filter, NULL);
	rep_ipset_release(&r->un.ips);
	mem_free(r->order);
	mem_free(r);
	*rp = NULL;
}

static struct rep_acct *
rep_acct_get(struct rep *r, const char *account)
{
	char key[LIMIT_ACCOUNT_MAX];
	size_t klen, nlen;
	struct rep_acct *a;
	void **slot;

	evt_account_key(account, key);
	klen = strlen(key);
	if (r->filter != NULL && htab_get(r->filter, key, klen) == NULL)
		return NULL;
	if ((slot = htab_put(r->accts, key, klen, NULL)) == NULL)
		return NULL;
	if ((a = *slot) != NULL)
		return a;
	nlen = strlen(account);
	a = mem_calloc(1, sizeof(*a) + nlen + 1);
	memcpy(a->name, account, nlen + 1);
	rep_ipset_init(&a->ips, r->o.ip_limit);
	rep_netset_init(&a->nets, r->o.ip_limit ? 2 * r->o.ip_limit : 0);
	a->busiest.hour = a->peak_new_hour = INT32_MIN;
	a->first = INT64_MAX;
	a->last = INT64_MIN;
	*slot = a;
	return a;
}

static int32_t
rep_hour_of(int64_t t)
{
	int64_t h = t >= 0 ? t / 3600 : (t - 3599) / 3600;

	return h > INT32_MAX ? INT32_MAX : h < INT32_MIN + 1 ? INT32_MIN + 1 : (int32_t)h;
}

/* The timeline bucket of hour h, created if needed; NULL if h is older
 * than the window that ends at the account's newest hour. Events are in
 * log order, so the common case is the last bucket or a new one after
 * it; files of several hosts read one after the other bring older hours,
 * which are inserted in place. */
static struct rep_hour *
rep_tl_bucket(struct rep_acct *a, int32_t h, uint32_t window)
{
	uint32_t lo = 0, hi = a->tl_n, drop = 0;
	int64_t newest = a->tl_n ? a->tl[a->tl_n - 1].hour : h;

	if (a->tl_n > 0 && a->tl[a->tl_n - 1].hour == h)
		return &a->tl[a->tl_n - 1];
	if (h > newest)
		newest = h;
	if ((int64_t)h <= newest - window) {
		a->tl_truncated = true;
		return NULL;
	}
	/* Drop hours that fall out of the window. */
	while (drop < a->tl_n && (int64_t)a->tl[drop].hour <= newest - window)
		drop++;
	if (drop > 0) {
		memmove(a->tl, a->tl + drop, (a->tl_n - drop) * sizeof(*a->tl));
		a->tl_n -= drop;
		a->tl_truncated = true;
	}
	lo = 0;
	hi = a->tl_n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (a->tl[mid].hour < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < a->tl_n && a->tl[lo].hour == h)
		return &a->tl[lo];
	if (a->tl_n == a->tl_cap) {
		uint32_t ncap = a->tl_cap ? a->tl_cap * 2 : 4;

		if (ncap > window)
			ncap = window;
		if (ncap <= a->tl_n)	/* cannot happen: the window holds them all */
			return NULL;
		a->tl = mem_reallocarray(a->tl, ncap, sizeof(*a->tl));
		a->tl_cap = ncap;
	}
	memmove(a->tl + lo + 1, a->tl + lo, (a->tl_n - lo) * sizeof(*a->tl));
	memset(&a->tl[lo], 0, sizeof(a->tl[lo]));
	a->tl[lo].hour = h;
	a->tl_n++;
	return &a->tl[lo];
}

static void
rep_tl_note(struct rep_acct *a, struct rep_hour *b)
{
	uint64_t act = (uint64_t)b->logins + b->failures + b->messages;
	uint64_t best = (uint64_t)a->busiest.logins + a->busiest.failures + a->busiest.messages;

	if (b->hour == a->busiest.hour || act > best ||
	    (act == best && act > 0 && b->hour < a->busiest.hour))
		a->busiest = *b;
	if (b->ips_new > a->peak_new) {
		a->peak_new = b->ips_new;
		a->peak_new_hour = b->hour;
	}
}

static void
rep_acct_add(struct rep *r, struct rep_acct *a, const struct evt *e)
{
	struct rep_hour *b = rep_tl_bucket(a, rep_hour_of(e->time), r->o.timeline_hours);
	struct rep_hour scratch;
	struct rep_ip *ip = NULL;
	uint32_t n = e->attempts > 0 ? e->attempts : 1;
	bool created = false, used = false, takes_ip = false;

	if (b == NULL) {	/* too old for the timeline: count, do not chart */
		memset(&scratch, 0, sizeof(scratch));
		scratch.hour = INT32_MIN;
		b = &scratch;
	}
	if (e->time < a->first)
		a->first = e->time;
	if (e->time > a->last)
		a->last = e->time;

	switch (e->type) {
	case EVT_AUTH_SUCCESS:
	case EVT_AUTH_FAILURE:
	case EVT_MESSAGE_ACCEPTED:
	case EVT_REJECT:
		takes_ip = e->addr.family != 0;
		if (takes_ip)
			ip = rep_ipset_add(&a->ips, &e->addr, &created);
		break;
	default:
		break;
	}
	switch (e->type) {
	case EVT_AUTH_SUCCESS:
		a->login_ok[rep_svc_class(e->service)]++;
		rep_sat_add(&b->logins, 1);
		if (ip != NULL)
			rep_sat_add(&ip->ok, 1);
		used = true;
		break;
	case EVT_AUTH_FAILURE:
		a->login_fail[rep_svc_class(e->service)] += n;
		rep_sat_add(&b->failures, n);
		if (ip != NULL)
			rep_sat_add(&ip->fail, n);
		break;
	case EVT_MESSAGE_ACCEPTED:
		a->messages++;
		if (e->flags & EVT_HAS_NRCPT) {
			a->nrcpt_sum += e->nrcpt;
			a->nrcpt_msgs++;
		}
		rep_sat_add(&b->messages, 1);
		if (ip != NULL)
			rep_sat_add(&ip->msgs, 1);
		used = true;
		break;
	case EVT_DELIVERY:
		if (e->status == EVT_STATUS_SENT) {
			a->sent++;
		} else if (e->status == EVT_STATUS_DEFERRED) {
			a->deferred++;
			rep_sat_add(&b->dlv_failed, 1);
		} else if (e->status == EVT_STATUS_BOUNCED) {
			a->bounced++;
			rep_sat_add(&b->dlv_failed, 1);
		}
		break;
	case EVT_BOUNCE:
		a->bounces++;
		break;
	case EVT_REJECT:
		a->rejects++;
		if (ip != NULL)
			rep_sat_add(&ip->rej, 1);
		break;
	case EVT_SPAM_CHECK:
		if (e->status == EVT_STATUS_SPAM)
			a->spam++;
		break;
	default:
		break;
	}
	if (created)
		rep_sat_add(&b->ips_new, 1);
	if (takes_ip)
		rep_netset_add(&a->nets, &e->addr, used);
	if (b != &scratch)
		rep_tl_note(a, b);
}

static void
rep_unattr_add(struct rep *r, const struct evt *e)
{
	struct rep_ip *ip = NULL;
	bool created;

	r->un.by_type[e->type]++;
	if (e->addr.family != 0 && e->type != EVT_DELIVERY && e->type != EVT_BOUNCE)
		ip = rep_ipset_add(&r->un.ips, &e->addr, &created);
	if (ip == NULL)
		return;
	switch (e->type) {
	case EVT_AUTH_SUCCESS:
		rep_sat_add(&ip->ok, 1);
		break;
	case EVT_AUTH_FAILURE:
		rep_sat_add(&ip->fail, e->attempts > 0 ? e->attempts : 1);
		break;
	case EVT_MESSAGE_ACCEPTED:
		rep_sat_add(&ip->msgs, 1);
		break;
	case EVT_REJECT:
		rep_sat_add(&ip->rej, 1);
		break;
	default:
		break;
	}
}

void
rep_add(struct rep *r, const struct evt *e)
{
	struct rep_acct *a;

	if (!evt_is_public(e))
		return;
	if (e->flags & EVT_REPEAT)	/* its attempts were counted already */
		return;
	r->tot.events++;
	if (e->time < r->tot.first)
		r->tot.first = e->time;
	if (e->time > r->tot.last)
		r->tot.last = e->time;
	if (e->account[0] == '\0') {
		if (e->type == EVT_AUTH_FAILURE)
			r->un.auth_fail_attempts += e->attempts > 0 ? e->attempts : 1;
		rep_unattr_add(r, e);
		return;
	}
	if ((a = rep_acct_get(r, e->account)) != NULL)
		rep_acct_add(r, a, e);
}

static double
rep_log2(double x)
{
	return x > 1 ? log2(x) : 0;
}

int64_t
rep_score(uint32_t nets_used, uint32_t ips_once, uint32_t peak_new, double fail_rate,
	  uint64_t dlv_failed, uint64_t bounces, uint64_t logins_failed)
{
	double s = 20 * rep_log2(nets_used) + 10 * rep_log2(ips_once) +
		   10 * rep_log2(peak_new) + 30 * fail_rate * rep_log2(1.0 + (double)dlv_failed) +
		   5 * rep_log2(1.0 + (double)bounces) + 3 * rep_log2(1.0 + (double)logins_failed);

	return (int64_t)(s + 0.5);
}

static void
rep_summarize(struct rep_acct *a)
{
	struct rep_sum *s = &a->sum;
	const struct rep_ip *ip;
	uint32_t pos = 0;
	int k;

	memset(s, 0, sizeof(*s));
	for (k = 0; k < REP_SVC_N; k++) {
		s->logins_ok += a->login_ok[k];
		s->logins_failed += a->login_fail[k];
	}
	s->ips = rep_ipset_distinct(&a->ips);
	s->ips_exact = !a->ips.capped;
	while ((ip = rep_ipset_next(&a->ips, &pos)) != NULL) {
		if (ip->addr.family == 4)
			s->ips_v4++;
		else
			s->ips_v6++;
		s->dist[rep_dist_bucket(ip->ok)]++;
	}
	s->ips_once = s->dist[1];
	s->nets_used = a->nets.used[REP_NET_V4_16] + a->nets.used[REP_NET_V6_48];
	s->rcpt_from_nrcpt = a->nrcpt_msgs > 0;
	s->recipients = s->rcpt_from_nrcpt ? a->nrcpt_sum : a->sent + a->bounced;
	s->dlv_total = a->sent + a->deferred + a->bounced;
	s->fail_rate = s->dlv_total ? (double)(a->deferred + a->bounced) / (double)s->dlv_total : 0;
	s->score = rep_score(s->nets_used, s->ips_once, a->peak_new, s->fail_rate,
			     a->deferred + a->bounced, a->bounces, s->logins_failed);
}

static int
rep_cmp(const void *x, const void *y)
{
	const struct rep_acct *a = *(const struct rep_acct *const *)x;
	const struct rep_acct *b = *(const struct rep_acct *const *)y;
	uint64_t acta = a->sum.logins_ok + a->sum.logins_failed + a->messages;
	uint64_t actb = b->sum.logins_ok + b->sum.logins_failed + b->messages;

	if (a->sum.score != b->sum.score)
		return a->sum.score > b->sum.score ? -1 : 1;
	if (acta != actb)
		return acta > actb ? -1 : 1;
	return strcmp(a->name, b->name);
}

void
rep_finish(struct rep *r)
{
	size_t pos = 0, klen;
	const char *key;
	void *val;

	if (r->finished)
		return;
	r->finished = true;
	r->order = mem_calloc(htab_count(r->accts) + 1, sizeof(*r->order));
	while (htab_next(r->accts, &pos, &key, &klen, &val)) {
		struct rep_acct *a = val;

		rep_summarize(a);
		r->order[r->norder++] = a;
		r->tot.logins_ok += a->sum.logins_ok;
		r->tot.logins_failed += a->sum.logins_failed;
		r->tot.messages += a->messages;
		r->tot.recipients += a->sum.recipients;
		r->tot.sent += a->sent;
		r->tot.deferred += a->deferred;
		r->tot.bounced += a->bounced;
		r->tot.bounces += a->bounces;
	}
	r->tot.accounts = r->norder;
	qsort(r->order, r->norder, sizeof(*r->order), rep_cmp);
}

size_t
rep_count(const struct rep *r)
{
	return r->norder;
}

const struct rep_acct *
rep_get(const struct rep *r, size_t i)
{
	return i < r->norder ? r->order[i] : NULL;
}

const struct rep_acct *
rep_find(const struct rep *r, const char *account)
{
	char key[LIMIT_ACCOUNT_MAX];

	evt_account_key(account, key);
	return htab_get(r->accts, key, strlen(key));
}

const struct rep_unattr *
rep_unattributed(const struct rep *r)
{
	return &r->un;
}

const struct rep_totals *
rep_get_totals(const struct rep *r)
{
	return &r->tot;
}

uint32_t
rep_timeline_hours(const struct rep *r)
{
	return r->o.timeline_hours;
}

size_t
rep_acct_bytes(const struct rep_acct *a)
{
	return sizeof(*a) + strlen(a->name) + 1 + rep_ipset_bytes(&a->ips) +
	       rep_netset_bytes(&a->nets) + (size_t)a->tl_cap * sizeof(*a->tl);
}

static bool
rep_ip_before(const struct rep_ip *a, const struct rep_ip *b)
{
	uint64_t na = (uint64_t)a->ok + a->msgs + a->fail + a->rej;
	uint64_t nb = (uint64_t)b->ok + b->msgs + b->fail + b->rej;

	if (na != nb)
		return na > nb;
	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family;
	return memcmp(a->addr.bytes, b->addr.bytes, sizeof(a->addr.bytes)) < 0;
}

size_t
rep_top_ips(const struct rep_ipset *s, size_t k, const struct rep_ip **out)
{
	const struct rep_ip *ip;
	uint32_t pos = 0;
	size_t n = 0, j;

	if (k == 0)
		return 0;
	while ((ip = rep_ipset_next(s, &pos)) != NULL) {
		if (n == k && !rep_ip_before(ip, out[n - 1]))
			continue;
		j = n < k ? n++ : n - 1;
		while (j > 0 && rep_ip_before(ip, out[j - 1])) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = ip;
	}
	return n;
}
