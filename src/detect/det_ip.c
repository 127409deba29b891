/* det_ip.c - per-IP detectors: brute_force and password_spray
 * SUMMARY  A failed login counts against its client IP unless it is
 *          excused: the account logged in from that network before
 *          (familiar) or from that very address within the window (a
 *          phone with a stale password behind the office NAT), or the
 *          same account logs in from the same address within typo_window
 *          after at most typo_max failures (a typo, excused after the
 *          fact). What is left is counted in two windows per IP, each
 *          starting at the first failure, and in one per account:
 *            brute_force     brute_failures in brute_window, with at least
 *                            brute_per_account attempts per account tried
 *                            (or too few known accounts to be a spray)
 *            password_spray  spray_accounts distinct existing accounts in
 *                            spray_window, at most spray_per_account
 *                            attempts per account on average.
 *            brute_force     also: an account with brute_account_failures
 *                            in brute_account_window from several IPs;
 *                            each IP with brute_account_ip of them
 *          "Existing" means an account that has logged in or sent mail:
 *          guessing names that do not exist is not spraying.
 * LIMITS   max_ips IPs with failures; (IP, account) failure pairs live
 *          brute_account_window. */
#include <stdlib.h>
#include <string.h>

#include "detect/det_int.h"
#include "util/mem.h"

#define PEND_KEY_MAX (16 + LIMIT_ACCOUNT_MAX)

static size_t
ip_key(const struct evt *e, char *buf)
{
	size_t n = e->addr.family == 4 ? 4 : 16;

	memcpy(buf, e->addr.bytes, n);
	return n;
}

static size_t
pend_key(const struct evt *e, const char *acct, char *buf)
{
	size_t n = ip_key(e, buf), l = strlen(acct);

	memcpy(buf + n, acct, l);
	return n + l;
}

static bool
excused(const struct det *d, const struct acct *a, const struct evt *e)
{
	uint32_t iph;
	unsigned i;

	if (a == NULL)
		return false;
	if (a->nknown > 0 && acct_familiar(d, a, det_net(&e->addr)))
		return true;
	iph = det_hash32(e->addr.bytes, e->addr.family == 4 ? 4 : 16);
	for (i = 0; i < ACCT_RECENT_IPS; i++)
		if (a->recent_ip[i] == iph && a->recent_at[i] != 0 &&
		    (int64_t)a->recent_at[i] + d->c.window > (int64_t)d->now)
			return true;
	return false;
}

static bool
spray_like(const struct det *d, const struct ipst *s)
{
	return (int64_t)s->existing.n >= d->c.spray_accounts && s->accts.n > 0 &&
	       (double)s->sp_fails / s->accts.n <= d->c.spray_per_account;
}

static void
judge(struct det *d, struct ipst *s, const struct evt *e, const char *key, uint32_t n)
{
	struct finding *f;

	if (s->spray != NULL) {
		s->spray->attempts = s->sp_fails;
		s->spray->accounts = s->accts.n;
		det_update(d, s->spray, d->now);
	} else if (spray_like(d, s)) {
		f = s->spray = det_open(d, FK_SPRAY, s->sp_start, d->now);
		snprintf(f->ip, sizeof(f->ip), "%s", e->ip);
		f->attempts = s->sp_fails;
		f->accounts = s->accts.n;
		f->signals[0] = (struct signal_val){ "existing_accounts_failed", s->existing.n,
						     (double)d->c.spray_accounts, 0 };
		f->signals[1] = (struct signal_val){ "attempts_per_account",
						     (double)s->sp_fails / s->accts.n,
						     d->c.spray_per_account, 0 };
		f->nsignals = 2;
		det_fire(d, f);
	}
	if (s->brute != NULL) {
		s->brute->attempts += n;
		s->brute->accounts = s->accts.n;
		det_update(d, s->brute, d->now);
	} else if ((int64_t)s->bf_fails >= d->c.brute_failures && !spray_like(d, s) &&
		   ((double)s->bf_fails / (s->accts.n ? s->accts.n : 1) >= d->c.brute_per_account ||
		    (int64_t)s->existing.n < d->c.spray_accounts)) {
		f = s->brute = det_open(d, FK_BRUTE, s->bf_start, d->now);
		snprintf(f->ip, sizeof(f->ip), "%s", e->ip);
		if (s->accts.n == 1 && key != NULL)
			snprintf(f->account, sizeof(f->account), "%s", key);
		f->attempts = s->bf_fails;
		f->accounts = s->accts.n;
		f->signals[0] = (struct signal_val){ "failures_in_window", s->bf_fails,
						     (double)d->c.brute_failures, 0 };
		f->signals[1] = (struct signal_val){ "accounts_tried", s->accts.n, 0, 0 };
		f->nsignals = 2;
		det_fire(d, f);
	}
}

/* A brute force on one account spread over several IPs, each too slow to
 * stand out: once the account has brute_account_failures in its window,
 * every IP with brute_account_ip failures on it is reported. */
static void
account_brute(struct det *d, struct ipst *s, const struct evt *e, const char *key,
	      struct acct *a, uint32_t n, uint32_t pair_fails)
{
	struct finding *f;

	if (a->bf_fails == 0 || (int64_t)a->bf_start + d->c.brute_account_window <= (int64_t)d->now) {
		a->bf_start = d->now;
		a->bf_fails = 0;
	}
	a->bf_fails += n;
	if (s->brute != NULL || (int64_t)a->bf_fails < d->c.brute_account_failures ||
	    (int64_t)pair_fails < d->c.brute_account_ip)
		return;
	f = s->brute = det_open(d, FK_BRUTE, s->bf_start < a->bf_start ? a->bf_start : s->bf_start,
				d->now);
	snprintf(f->ip, sizeof(f->ip), "%s", e->ip);
	snprintf(f->account, sizeof(f->account), "%s", key);
	f->attempts = pair_fails;
	f->accounts = s->accts.n;
	f->signals[0] = (struct signal_val){ "account_failures_in_window", a->bf_fails,
					     (double)d->c.brute_account_failures, 0 };
	f->signals[1] = (struct signal_val){ "failures_from_this_ip", pair_fails,
					     (double)d->c.brute_account_ip, 0 };
	f->nsignals = 2;
	det_fire(d, f);
}

static void
on_failure(struct det *d, const struct evt *e, const char *key, struct acct *a)
{
	uint32_t n = (e->flags & EVT_HAS_ATTEMPTS) && e->attempts > 0 ? e->attempts : 1;
	char k[PEND_KEY_MAX];
	uint32_t pair_fails;
	struct ipst *s;
	void **slot;
	bool created;

	if (excused(d, a, e))
		return;
	slot = htab_put(d->ips, k, ip_key(e, k), &created);
	if (created) {
		if ((int64_t)htab_count(d->ips) > d->c.max_ips) {
			htab_del(d->ips, k, ip_key(e, k));
			d->st.dropped_ips++;
			return;
		}
		*slot = mem_calloc(1, sizeof(struct ipst));
	}
	s = *slot;
	if (s->bf_fails == 0 || (int64_t)s->bf_start + d->c.brute_window <= (int64_t)d->now) {
		s->bf_start = d->now;
		s->bf_fails = 0;
	}
	if (s->sp_fails == 0 || (int64_t)s->sp_start + d->c.spray_window <= (int64_t)d->now) {
		s->sp_start = d->now;
		s->sp_fails = 0;
		idset_free(&s->accts);
		idset_free(&s->existing);
	}
	s->bf_fails += n;
	s->sp_fails += n;
	s->last = d->now;
	pair_fails = 0;
	if (key != NULL) {
		struct pending *p;
		uint32_t ah = det_hash32(key, strlen(key));

		idset_add(&s->accts, ah);
		if (a != NULL)
			idset_add(&s->existing, ah);
		slot = htab_put(d->pend, k, pend_key(e, key, k), &created);
		if (slot != NULL) {
			if (created) {
				*slot = mem_calloc(1, sizeof(struct pending));
				((struct pending *)*slot)->first = d->now;
			}
			p = *slot;
			if ((int64_t)p->first + d->c.brute_account_window <= (int64_t)d->now) {
				p->first = d->now;
				p->fails = 0;
			}
			p->at = d->now;
			p->fails += n;
			pair_fails = p->fails;
		}
	}
	judge(d, s, e, key, n);
	if (a != NULL)
		account_brute(d, s, e, key, a, n, pair_fails);
}

/* A login: failures of the same account from the same address in the
 * last typo_window were typos. */
static void
on_success(struct det *d, const struct evt *e, const char *key)
{
	char k[PEND_KEY_MAX];
	size_t klen = pend_key(e, key, k);
	struct pending *p = htab_get(d->pend, k, klen);
	struct ipst *s;
	uint32_t ah;

	if (p == NULL)
		return;
	htab_del(d->pend, k, klen);
	s = htab_get(d->ips, k, ip_key(e, k));
	if (s != NULL && (int64_t)p->at + d->c.typo_window > (int64_t)d->now &&
	    (int64_t)p->fails <= d->c.typo_max) {
		s->bf_fails -= p->fails < s->bf_fails ? p->fails : s->bf_fails;
		s->sp_fails -= p->fails < s->sp_fails ? p->fails : s->sp_fails;
		ah = det_hash32(key, strlen(key));
		idset_del(&s->accts, ah);
		idset_del(&s->existing, ah);
	}
	free(p);
}

void
ip_event(struct det *d, const struct evt *e, const char *key, struct acct *a)
{
	if (e->addr.family == 0)
		return;
	if (e->type == EVT_AUTH_FAILURE)
		on_failure(d, e, key, a);
	else if (e->type == EVT_AUTH_SUCCESS && key != NULL)
		on_success(d, e, key);
}

void
ip_free(void *p)
{
	struct ipst *s = p;

	idset_free(&s->accts);
	idset_free(&s->existing);
	free(s);
}

/* Close quiet findings; true when nothing is left worth keeping. */
bool
ip_sweep(struct det *d, struct ipst *s, bool all)
{
	int64_t span = d->c.brute_window > d->c.spray_window ? d->c.brute_window
							     : d->c.spray_window;

	if (s->brute != NULL &&
	    (all || (int64_t)s->brute->last_evidence + d->c.incident_idle <= d->now)) {
		det_close(d, s->brute);
		s->brute = NULL;
	}
	if (s->spray != NULL &&
	    (all || (int64_t)s->spray->last_evidence + d->c.incident_idle <= d->now)) {
		det_close(d, s->spray);
		s->spray = NULL;
	}
	return s->brute == NULL && s->spray == NULL && (int64_t)s->last + span <= (int64_t)d->now;
}
