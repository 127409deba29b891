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
 *          An IP's counts are in its table slot (struct ipst); its sets of
 *          accounts and its open findings in a cold part (struct ip_cold)
 *          made at its first named failure or finding.
 * LIMITS   max_ips IPs with failures; (IP, account) failure pairs live
 *          brute_account_window. */
#include <stdlib.h>
#include <string.h>

#include "detect/det_int.h"
#include "util/mem.h"

#define PEND_KEY_MAX (16 + LIMIT_ACCOUNT_MAX)

static size_t
pend_key(const struct evt *e, const char *acct, char *buf)
{
	size_t n = e->addr.family == 4 ? 4 : 16, l = strlen(acct);

	memcpy(buf, e->addr.bytes, n);
	memcpy(buf + n, acct, l);
	return n + l;
}

/* det_hash32 of the key, from its htab_hash */
static uint32_t
key_hash32(uint64_t keyhash)
{
	return (uint32_t)(keyhash ^ (keyhash >> 32));
}

static uint32_t
n_accts(const struct ipst *s)
{
	const struct ip_cold *c = ip_cold(s);

	return c != NULL ? c->accts.n : 0;
}

static uint32_t
n_existing(const struct ipst *s)
{
	const struct ip_cold *c = ip_cold(s);

	return c != NULL ? c->existing.n : 0;
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
	uint32_t accts = n_accts(s);

	return (int64_t)n_existing(s) >= d->c.spray_accounts && accts > 0 &&
	       (double)s->sp_fails / accts <= d->c.spray_per_account;
}

static void
judge(struct det *d, struct ipst *s, const struct evt *e, const char *key, uint32_t n)
{
	struct ip_cold *c = ip_cold(s);
	uint32_t accts = n_accts(s);
	struct finding *f;

	if (c != NULL && c->spray != NULL) {
		c->spray->attempts = s->sp_fails;
		c->spray->accounts = accts;
		det_update(d, c->spray, d->now);
	} else if (spray_like(d, s)) {
		f = ip_cold_get(s)->spray = det_open(d, FK_SPRAY, s->sp_start, d->now);
		snprintf(f->ip, sizeof(f->ip), "%s", e->ip);
		f->attempts = s->sp_fails;
		f->accounts = accts;
		f->signals[0] = (struct signal_val){ "existing_accounts_failed", n_existing(s),
						     (double)d->c.spray_accounts, 0 };
		f->signals[1] = (struct signal_val){ "attempts_per_account",
						     (double)s->sp_fails / accts,
						     d->c.spray_per_account, 0 };
		f->nsignals = 2;
		det_fire(d, f);
	}
	c = ip_cold(s);
	if (c != NULL && c->brute != NULL) {
		c->brute->attempts += n;
		c->brute->accounts = accts;
		det_update(d, c->brute, d->now);
	} else if ((int64_t)s->bf_fails >= d->c.brute_failures && !spray_like(d, s) &&
		   ((double)s->bf_fails / (accts ? accts : 1) >= d->c.brute_per_account ||
		    (int64_t)n_existing(s) < d->c.spray_accounts)) {
		f = ip_cold_get(s)->brute = det_open(d, FK_BRUTE, s->bf_start, d->now);
		snprintf(f->ip, sizeof(f->ip), "%s", e->ip);
		if (accts == 1 && key != NULL)
			snprintf(f->account, sizeof(f->account), "%s", key);
		f->attempts = s->bf_fails;
		f->accounts = accts;
		f->signals[0] = (struct signal_val){ "failures_in_window", s->bf_fails,
						     (double)d->c.brute_failures, 0 };
		f->signals[1] = (struct signal_val){ "accounts_tried", accts, 0, 0 };
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
	struct acct_cold *ac = acct_cold_get(a);
	struct ip_cold *c = ip_cold(s);
	struct finding *f;

	if (ac->bf_fails == 0 ||
	    (int64_t)ac->bf_start + d->c.brute_account_window <= (int64_t)d->now) {
		ac->bf_start = d->now;
		ac->bf_fails = 0;
	}
	ac->bf_fails += n;
	if ((c != NULL && c->brute != NULL) ||
	    (int64_t)ac->bf_fails < d->c.brute_account_failures ||
	    (int64_t)pair_fails < d->c.brute_account_ip)
		return;
	f = ip_cold_get(s)->brute = det_open(
		d, FK_BRUTE, s->bf_start < ac->bf_start ? ac->bf_start : s->bf_start, d->now);
	snprintf(f->ip, sizeof(f->ip), "%s", e->ip);
	snprintf(f->account, sizeof(f->account), "%s", key);
	f->attempts = pair_fails;
	f->accounts = n_accts(s);
	f->signals[0] = (struct signal_val){ "account_failures_in_window", ac->bf_fails,
					     (double)d->c.brute_account_failures, 0 };
	f->signals[1] = (struct signal_val){ "failures_from_this_ip", pair_fails,
					     (double)d->c.brute_account_ip, 0 };
	f->nsignals = 2;
	det_fire(d, f);
}

static void
on_failure(struct det *d, const struct evt *e, const char *key, uint64_t keyhash,
	   struct acct *a)
{
	uint32_t n = (e->flags & EVT_HAS_ATTEMPTS) && e->attempts > 0 ? e->attempts : 1;
	char k[PEND_KEY_MAX];
	uint32_t pair_fails;
	struct ip_cold *c;
	struct ipst *s;
	void **slot;
	bool created;

	if (excused(d, a, e))
		return;
	s = ip_tab_put(&d->ips, &e->addr, &created);
	if (created && (int64_t)d->ips.count > d->c.max_ips) {
		ip_tab_del(&d->ips, s);
		d->st.dropped_ips++;
		return;
	}
	if (s->bf_fails == 0 || (int64_t)s->bf_start + d->c.brute_window <= (int64_t)d->now) {
		s->bf_start = d->now;
		s->bf_fails = 0;
	}
	if (s->sp_fails == 0 || (int64_t)s->sp_start + d->c.spray_window <= (int64_t)d->now) {
		s->sp_start = d->now;
		s->sp_fails = 0;
		if ((c = ip_cold(s)) != NULL) {
			idset_free(&c->accts);
			idset_free(&c->existing);
		}
	}
	s->bf_fails += n;
	s->sp_fails += n;
	s->last = d->now;
	pair_fails = 0;
	if (key != NULL) {
		struct pending *p;
		uint32_t ah = key_hash32(keyhash);

		c = ip_cold_get(s);
		idset_add(&c->accts, ah);
		if (a != NULL)
			idset_add(&c->existing, ah);
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
on_success(struct det *d, const struct evt *e, const char *key, uint64_t keyhash)
{
	char k[PEND_KEY_MAX];
	size_t klen = pend_key(e, key, k);
	struct pending *p = htab_get(d->pend, k, klen);
	struct ip_cold *c;
	struct ipst *s;
	uint32_t ah;

	if (p == NULL)
		return;
	htab_del(d->pend, k, klen);
	s = ip_tab_get(&d->ips, &e->addr);
	if (s != NULL && (int64_t)p->at + d->c.typo_window > (int64_t)d->now &&
	    (int64_t)p->fails <= d->c.typo_max) {
		s->bf_fails -= p->fails < s->bf_fails ? p->fails : s->bf_fails;
		s->sp_fails -= p->fails < s->sp_fails ? p->fails : s->sp_fails;
		ah = key_hash32(keyhash);
		if ((c = ip_cold(s)) != NULL) {
			idset_del(&c->accts, ah);
			idset_del(&c->existing, ah);
		}
	}
	free(p);
}

void
ip_event(struct det *d, const struct evt *e, const char *key, uint64_t keyhash,
	 struct acct *a)
{
	if (e->addr.family == 0)
		return;
	if (e->type == EVT_AUTH_FAILURE)
		on_failure(d, e, key, keyhash, a);
	else if (e->type == EVT_AUTH_SUCCESS && key != NULL)
		on_success(d, e, key, keyhash);
}

/* Close quiet findings; true when nothing is left worth keeping. */
bool
ip_sweep(struct det *d, struct ipst *s, bool all)
{
	int64_t span = d->c.brute_window > d->c.spray_window ? d->c.brute_window
							     : d->c.spray_window;
	struct ip_cold *c = ip_cold(s);

	if (c != NULL && c->brute != NULL &&
	    (all || (int64_t)c->brute->last_evidence + d->c.incident_idle <= d->now)) {
		det_close(d, c->brute);
		c->brute = NULL;
	}
	if (c != NULL && c->spray != NULL &&
	    (all || (int64_t)c->spray->last_evidence + d->c.incident_idle <= d->now)) {
		det_close(d, c->spray);
		c->spray = NULL;
	}
	return (c == NULL || (c->brute == NULL && c->spray == NULL)) &&
	       (int64_t)s->last + span <= (int64_t)d->now;
}
