/* pol_decide.c - the answer to a Postfix policy request */
#include "policy/pol_decide.h"

#include <string.h>

#include "core/evt.h"
#include "util/htab.h"
#include "util/mem.h"

static const char pol_def_locked[] =
	"REJECT 5.7.1 account suspended: suspected compromise; contact the postmaster";
static const char pol_def_not_allowed[] =
	"REJECT 5.7.1 this account may not send mail from this network";
static const char pol_def_suspect[] = "HOLD suspected account compromise";
static const char pol_def_rate[] =
	"DEFER_IF_PERMIT 4.7.1 too much mail from this account; try again later";
static const char pol_def_mismatch[] =
	"REJECT 5.7.1 sender address not owned by the authenticated user";
static const char pol_def_default[] = "DUNNO";

#define POL_DEF_MSG_RATE 300
#define POL_DEF_RCPT_RATE 3000
#define POL_DEF_WINDOW 3600

void
pol_conf_defaults(struct pol_conf *c)
{
	c->locked_action = pol_def_locked;
	c->not_allowed_action = pol_def_not_allowed;
	c->suspect_action = pol_def_suspect;
	c->rate_action = pol_def_rate;
	c->mismatch_action = pol_def_mismatch;
	c->default_action = pol_def_default;
	c->mismatch_check = false;
	c->msg_rate = POL_DEF_MSG_RATE;
	c->rcpt_rate = POL_DEF_RCPT_RATE;
	c->rate_window = POL_DEF_WINDOW;
}

/* A configured action: NULL is the default, "" is "do not act" (NULL). */
static const char *
pol_action(const char *configured, const char *def)
{
	if (configured == NULL)
		return def;
	return configured[0] != '\0' ? configured : NULL;
}

const char *
pol_verdict_name(enum pol_verdict v)
{
	switch (v) {
	case PV_DUNNO: return "dunno";
	case PV_LOCKED: return "locked";
	case PV_NOT_ALLOWED: return "not_allowed";
	case PV_MISMATCH: return "mismatch";
	case PV_RATE: return "rate";
	case PV_SUSPECT: return "suspect";
	default: return "unknown";
	}
}

/* ---- protocol stages ---- */

enum pol_stage { PS_OTHER, PS_MAIL, PS_RCPT, PS_DATA, PS_EOM };

static enum pol_stage
pol_stage(struct strv state)
{
	if (strv_eq_nocase(state, STRV_LIT("RCPT")))
		return PS_RCPT;
	if (strv_eq_nocase(state, STRV_LIT("END-OF-MESSAGE")))
		return PS_EOM;
	if (strv_eq_nocase(state, STRV_LIT("DATA")))
		return PS_DATA;
	if (strv_eq_nocase(state, STRV_LIT("MAIL")))
		return PS_MAIL;
	return PS_OTHER;
}

/* ---- the rate table ---- */

struct pol_acct {
	struct pol_acct *prev, *next;	/* eviction order, most recently seen first */
	int64_t head;			/* bucket number of the newest bucket */
	uint32_t msgs[POL_RATE_BUCKETS], rcpts[POL_RATE_BUCKETS];
	uint64_t msgid[POL_RATE_MSGIDS];	/* recent messages counted at RCPT */
	unsigned msgid_next;
	size_t klen;
	char key[];
};

struct pol_rates {
	struct htab *h;
	struct pol_acct *first, *last;
	uint32_t max;
	int64_t width;		/* seconds per bucket; 0 before the first use */
	int64_t last_eom, last_data;	/* when a request at that stage came */
	bool seen_eom, seen_data;
};

struct pol_rates *
pol_rates_new(uint32_t max_accounts)
{
	struct pol_rates *rt = mem_calloc(1, sizeof(*rt));

	rt->h = htab_new_words();	/* never iterated: the faster hash */
	rt->max = max_accounts != 0 ? max_accounts : POL_RATES_DEFAULT_MAX;
	return rt;
}

void
pol_rates_free(struct pol_rates **rtp)
{
	struct pol_rates *rt = *rtp;

	if (rt == NULL)
		return;
	htab_free(&rt->h, mem_free);
	mem_free(rt);
	*rtp = NULL;
}

size_t
pol_rates_accounts(const struct pol_rates *rt)
{
	return htab_count(rt->h);
}

/* Bucket number of t: floor(t / w), w > 0. */
static int64_t
pol_bucket(int64_t t, int64_t w)
{
	int64_t q = t / w;

	return (t % w < 0) ? q - 1 : q;
}

static unsigned
pol_slot(int64_t bucket)
{
	int64_t s = bucket % POL_RATE_BUCKETS;

	return (unsigned)(s < 0 ? s + POL_RATE_BUCKETS : s);
}

/* b - a for b >= a, without signed overflow. */
static uint64_t
pol_diff(int64_t b, int64_t a)
{
	return (uint64_t)b - (uint64_t)a;
}

/* Whether a request at a stage came less than window seconds before now. */
static bool
pol_recent(bool seen, int64_t then, int64_t now, int64_t window)
{
	return seen && (now <= then || pol_diff(now, then) < (uint64_t)window);
}

/* Move the account's newest bucket to bucket, clearing the ones passed. A
 * bucket before the newest (the clock went back) counts as the newest. */
static void
pol_acct_advance(struct pol_acct *a, int64_t bucket)
{
	uint64_t d;
	unsigned i;

	if (bucket <= a->head)
		return;
	d = pol_diff(bucket, a->head);
	if (d >= POL_RATE_BUCKETS) {
		memset(a->msgs, 0, sizeof(a->msgs));
		memset(a->rcpts, 0, sizeof(a->rcpts));
	} else {
		for (i = 1; i <= d; i++) {
			unsigned s = pol_slot(a->head + (int64_t)i);

			a->msgs[s] = a->rcpts[s] = 0;
		}
	}
	a->head = bucket;
}

/* Counts of the window ending in bucket, without changing a. */
static void
pol_acct_sum(const struct pol_acct *a, int64_t bucket, uint64_t *msgs, uint64_t *rcpts)
{
	uint64_t m = 0, n = 0, ahead = bucket > a->head ? pol_diff(bucket, a->head) : 0;
	unsigned d, head = pol_slot(a->head);

	for (d = 0; d < POL_RATE_BUCKETS; d++) {
		unsigned s = (head + POL_RATE_BUCKETS - d) % POL_RATE_BUCKETS;

		if (ahead >= POL_RATE_BUCKETS - d)
			break;	/* bucket head - d and older have left the window */
		m += a->msgs[s];
		n += a->rcpts[s];
	}
	*msgs = m;
	*rcpts = n;
}

static void
pol_unlink(struct pol_rates *rt, struct pol_acct *a)
{
	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		rt->first = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	else
		rt->last = a->prev;
	a->prev = a->next = NULL;
}

static void
pol_push_front(struct pol_rates *rt, struct pol_acct *a)
{
	a->prev = NULL;
	a->next = rt->first;
	if (rt->first != NULL)
		rt->first->prev = a;
	rt->first = a;
	if (rt->last == NULL)
		rt->last = a;
}

static void
pol_touch(struct pol_rates *rt, struct pol_acct *a)
{
	if (rt->first != a) {
		pol_unlink(rt, a);
		pol_push_front(rt, a);
	}
}

/* A new account, evicting the least recently seen one at the ceiling. */
static struct pol_acct *
pol_acct_new(struct pol_rates *rt, const char *key, size_t klen, int64_t bucket)
{
	struct pol_acct *a;
	void **slot;
	bool created;

	while (htab_count(rt->h) >= rt->max && rt->last != NULL) {
		struct pol_acct *old = rt->last;

		pol_unlink(rt, old);
		htab_del(rt->h, old->key, old->klen);
		mem_free(old);
	}
	a = mem_calloc(1, sizeof(*a) + klen + 1);
	memcpy(a->key, key, klen);
	a->klen = klen;
	a->head = bucket;
	slot = htab_put(rt->h, key, klen, &created);
	if (slot == NULL) {
		mem_free(a);
		return NULL;
	}
	*slot = a;
	pol_push_front(rt, a);
	return a;
}

/* The bucket width for window; counters restart when it changes. */
static void
pol_rates_width(struct pol_rates *rt, int64_t window, int64_t now)
{
	int64_t w = window / POL_RATE_BUCKETS;
	struct pol_acct *a;

	if (w < 1)
		w = 1;
	if (rt->width == w)
		return;
	for (a = rt->first; a != NULL; a = a->next) {
		memset(a->msgs, 0, sizeof(a->msgs));
		memset(a->rcpts, 0, sizeof(a->rcpts));
		a->head = pol_bucket(now, w);
	}
	rt->width = w;
}

void
pol_rates_get(const struct pol_rates *rt, const char *key, int64_t now, uint64_t *msgs,
	      uint64_t *rcpts)
{
	const struct pol_acct *a = htab_get(rt->h, key, strlen(key));

	*msgs = *rcpts = 0;
	if (a != NULL && rt->width > 0)
		pol_acct_sum(a, pol_bucket(now, rt->width), msgs, rcpts);
}

static bool
pol_msgid_seen(const struct pol_acct *a, uint64_t id)
{
	unsigned i;

	for (i = 0; i < POL_RATE_MSGIDS; i++)
		if (a->msgid[i] == id)
			return true;
	return false;
}

static uint32_t
pol_add32(uint32_t a, uint64_t b)
{
	return b >= UINT32_MAX - a ? UINT32_MAX : (uint32_t)(a + b);
}

/* Check the account's rates with this request added, and count it when it
 * is the counting stage and within the limits. True: over a limit. */
static bool
pol_rate(const struct pol_conf *c, struct pol_rates *rt, const struct pol_req *r,
	 enum pol_stage st, const char *key, int64_t now, int64_t window)
{
	size_t klen = strlen(key);
	bool eom = pol_recent(rt->seen_eom, rt->last_eom, now, window);
	bool data = pol_recent(rt->seen_data, rt->last_data, now, window);
	uint64_t rc = r->has_recipient_count && r->recipient_count > 0 ? r->recipient_count : 1;
	uint64_t add_m = 1, add_r = 1, m = 0, n = 0, id = 0;
	bool count, has_id = false;
	struct pol_acct *a;
	int64_t bucket;
	unsigned s;

	switch (st) {
	case PS_EOM:
		add_r = rc;
		count = true;
		break;
	case PS_DATA:
		add_r = rc;
		count = !eom;
		break;
	case PS_RCPT:
		count = !eom && !data;
		break;
	case PS_MAIL:
		count = false;
		break;
	default:
		return false;
	}
	pol_rates_width(rt, window, now);
	bucket = pol_bucket(now, rt->width);
	a = htab_get(rt->h, key, klen);
	if (a != NULL) {
		pol_acct_advance(a, bucket);
		pol_touch(rt, a);
		pol_acct_sum(a, bucket, &m, &n);
	}
	if (st == PS_RCPT && count) {
		/* One message per instance (or queue_id without one); with
		 * neither, each recipient is a message. */
		struct strv v = r->instance.len > 0 ? r->instance : r->queue_id;

		if (v.len > 0) {
			has_id = true;
			id = htab_hash(v.p, v.len);
			if (a != NULL && pol_msgid_seen(a, id))
				add_m = 0;
		}
	}
	if ((c->msg_rate != 0 && m + add_m > c->msg_rate) ||
	    (c->rcpt_rate != 0 && n + add_r > c->rcpt_rate))
		return true;
	if (!count)
		return false;
	if (a == NULL && (a = pol_acct_new(rt, key, klen, bucket)) == NULL)
		return false;
	s = pol_slot(a->head);
	a->msgs[s] = pol_add32(a->msgs[s], add_m);
	a->rcpts[s] = pol_add32(a->rcpts[s], add_r);
	if (has_id && add_m != 0) {
		a->msgid[a->msgid_next] = id;
		a->msgid_next = (a->msgid_next + 1) % POL_RATE_MSGIDS;
	}
	return false;
}

/* ---- the decision ---- */

/* Whether the envelope sender is neither the account nor an alias of it.
 * The null sender and a request before MAIL (no sender) pass. */
static bool
pol_mismatch(const struct pol_state_ops *ops, const char *key, const struct pol_req *r)
{
	char s[LIMIT_ADDR_MAX];
	size_t i;

	if (r->sender.len == 0 || strv_eq_nocase(r->sender, r->sasl_username))
		return false;
	if (ops == NULL || ops->alias == NULL || evt_set(s, sizeof(s), r->sender) < 0)
		return true;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	return !ops->alias(ops->arg, key, s);
}

enum pol_verdict
pol_decide(const struct pol_conf *c, const struct pol_state_ops *ops, struct pol_rates *rates,
	   const struct pol_req *r, int64_t now, const char **text)
{
	enum pol_stage st = pol_stage(r->protocol_state);
	int64_t window = c->rate_window > 0 ? c->rate_window : POL_DEF_WINDOW;
	char account[LIMIT_ACCOUNT_MAX], key[LIMIT_ACCOUNT_MAX];
	const char *act;

	act = pol_action(c->default_action, pol_def_default);
	*text = act != NULL ? act : pol_def_default;

	/* Which stages the service is called from, authenticated or not. */
	if (rates != NULL && st == PS_EOM) {
		rates->seen_eom = true;
		rates->last_eom = now;
	} else if (rates != NULL && st == PS_DATA) {
		rates->seen_data = true;
		rates->last_data = now;
	}

	if (r->sasl_username.len == 0 ||
	    evt_set(account, sizeof(account), r->sasl_username) < 0)
		return PV_DUNNO;
	evt_account_key(account, key);

	if ((act = pol_action(c->locked_action, pol_def_locked)) != NULL && ops != NULL &&
	    ops->locked != NULL && ops->locked(ops->arg, key)) {
		*text = act;
		return PV_LOCKED;
	}
	if ((act = pol_action(c->not_allowed_action, pol_def_not_allowed)) != NULL &&
	    ops != NULL && ops->allowed != NULL) {
		bool allowed = true;

		if (ops->allowed(ops->arg, key, &r->client, &allowed) && !allowed) {
			*text = act;
			return PV_NOT_ALLOWED;
		}
	}
	if (c->mismatch_check && (act = pol_action(c->mismatch_action, pol_def_mismatch)) != NULL &&
	    pol_mismatch(ops, key, r)) {
		*text = act;
		return PV_MISMATCH;
	}
	if (rates != NULL && (c->msg_rate != 0 || c->rcpt_rate != 0) &&
	    (act = pol_action(c->rate_action, pol_def_rate)) != NULL &&
	    pol_rate(c, rates, r, st, key, now, window)) {
		*text = act;
		return PV_RATE;
	}
	if ((act = pol_action(c->suspect_action, pol_def_suspect)) != NULL && ops != NULL &&
	    ops->suspected != NULL && ops->suspected(ops->arg, key)) {
		*text = act;
		return PV_SUSPECT;
	}
	return PV_DUNNO;
}
