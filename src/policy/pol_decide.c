/* pol_decide.c - the answer to a Postfix policy request */
#include "policy/pol_decide.h"

#include <string.h>

#include "core/evt.h"
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

/* Accounts are found through an open-addressing index of their hashes
 * (linear probing, backward-shift deletion) that points at the accounts
 * themselves, so that a lookup touches the slot and the account, nothing
 * else. The order of use, for eviction, is a ring of account pointers
 * appended to at each use; an account's latest entry is its live one (a
 * bit per entry), older ones are skipped. Unlike a linked list, a use
 * writes no other account's memory: with 100,000 accounts those were
 * cache misses on every request. When the ring is full it grows (while
 * the live entries are more than a quarter of it) or is compacted in
 * place, keeping the order. */

struct pol_acct {
	uint64_t hash;
	int64_t head;			/* bucket number of the newest bucket */
	uint64_t seen;			/* its live entry in the order ring */
	uint32_t klen;
	unsigned msgid_next;
	uint32_t msgs[POL_RATE_BUCKETS], rcpts[POL_RATE_BUCKETS];
	uint64_t msgid[POL_RATE_MSGIDS];	/* recent messages counted at RCPT */
	char key[];
};

struct pol_slot {
	uint64_t hash;
	struct pol_acct *a;		/* NULL: empty */
};

#define POL_INDEX_MIN 16		/* slots at first; at most half are used */
#define POL_RING_MIN 64			/* order ring entries at first */

struct pol_rates {
	struct pol_slot *slot;
	size_t mask, count;
	struct pol_acct **ring;		/* order of use: oldest at rhead */
	uint64_t *live;			/* a bit per ring entry: the account's latest */
	size_t rmask;
	uint64_t rhead, rtail;		/* entries rhead .. rtail - 1, by number */
	uint32_t max;
	int64_t width;		/* seconds per bucket; 0 before the first use */
	int64_t last_eom, last_data;	/* when a request at that stage came */
	bool seen_eom, seen_data;
};

/* 8 bytes a step (account keys are some 20-40 bytes); never 0. */
static uint64_t
pol_hash(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, p, n);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 32;
	return h != 0 ? h : 1;
}

struct pol_rates *
pol_rates_new(uint32_t max_accounts)
{
	struct pol_rates *rt = mem_calloc(1, sizeof(*rt));

	rt->mask = POL_INDEX_MIN - 1;
	rt->slot = mem_calloc(rt->mask + 1, sizeof(*rt->slot));
	rt->rmask = POL_RING_MIN - 1;
	rt->ring = mem_calloc(rt->rmask + 1, sizeof(*rt->ring));
	rt->live = mem_calloc((rt->rmask + 1) / 64, sizeof(*rt->live));
	rt->max = max_accounts != 0 ? max_accounts : POL_RATES_DEFAULT_MAX;
	return rt;
}

void
pol_rates_free(struct pol_rates **rtp)
{
	struct pol_rates *rt = *rtp;
	size_t i;

	if (rt == NULL)
		return;
	for (i = 0; i <= rt->mask; i++)
		mem_free(rt->slot[i].a);
	mem_free(rt->slot);
	mem_free(rt->ring);
	mem_free(rt->live);
	mem_free(rt);
	*rtp = NULL;
}

size_t
pol_rates_accounts(const struct pol_rates *rt)
{
	return rt->count;
}

/* -- the index -- */

static struct pol_acct *
pol_find(const struct pol_rates *rt, uint64_t hash, const char *key, size_t klen)
{
	size_t i = hash & rt->mask;
	const struct pol_slot *e;

	for (; (e = &rt->slot[i])->a != NULL; i = (i + 1) & rt->mask)
		if (e->hash == hash && e->a->klen == klen && memcmp(e->a->key, key, klen) == 0)
			return e->a;
	return NULL;
}

static void
pol_place(struct pol_slot *slot, size_t mask, uint64_t hash, struct pol_acct *a)
{
	size_t i = hash & mask;

	while (slot[i].a != NULL)
		i = (i + 1) & mask;
	slot[i].hash = hash;
	slot[i].a = a;
}

static void
pol_index_add(struct pol_rates *rt, struct pol_acct *a)
{
	if ((rt->count + 1) * 2 > rt->mask + 1) {
		size_t n = (rt->mask + 1) * 2, i;
		struct pol_slot *s = mem_calloc(n, sizeof(*s));

		for (i = 0; i <= rt->mask; i++)
			if (rt->slot[i].a != NULL)
				pol_place(s, n - 1, rt->slot[i].hash, rt->slot[i].a);
		mem_free(rt->slot);
		rt->slot = s;
		rt->mask = n - 1;
	}
	pol_place(rt->slot, rt->mask, a->hash, a);
	rt->count++;
}

/* Backward-shift deletion: no tombstones. */
static void
pol_index_del(struct pol_rates *rt, const struct pol_acct *a)
{
	size_t i = a->hash & rt->mask, j, home;

	while (rt->slot[i].a != a)
		i = (i + 1) & rt->mask;
	for (j = i;;) {
		j = (j + 1) & rt->mask;
		if (rt->slot[j].a == NULL)
			break;
		home = rt->slot[j].hash & rt->mask;
		/* j's entry may move to i when its home is not in (i, j] */
		if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
			rt->slot[i] = rt->slot[j];
			i = j;
		}
	}
	rt->slot[i].a = NULL;
	rt->slot[i].hash = 0;
	rt->count--;
}

/* -- the order of use -- */

static bool
pol_live(const struct pol_rates *rt, uint64_t n)
{
	size_t i = (size_t)n & rt->rmask;

	return (rt->live[i / 64] >> (i % 64)) & 1;
}

static void
pol_live_set(struct pol_rates *rt, uint64_t n, bool on)
{
	size_t i = (size_t)n & rt->rmask;
	uint64_t bit = (uint64_t)1 << (i % 64);

	if (on)
		rt->live[i / 64] |= bit;
	else
		rt->live[i / 64] &= ~bit;
}

/* Room for one more entry in a full ring: dead entries at the head go;
 * then a ring whose live entries (one per account) are more than a
 * quarter of it doubles, entries keeping their numbers; else the live
 * entries move up over the dead ones, in order (each account is told its
 * new number: a quarter of the ring at most, after three quarters of it
 * were appended since the last time). */
static void
pol_ring_room(struct pol_rates *rt)
{
	size_t n = rt->rmask + 1;
	uint64_t q, w;

	while (rt->rhead < rt->rtail && !pol_live(rt, rt->rhead))
		rt->rhead++;
	if (rt->rtail - rt->rhead < n)
		return;
	if (rt->count * 4 > n) {
		size_t m = n * 2;
		struct pol_acct **ring = mem_calloc(m, sizeof(*ring));
		uint64_t *live = mem_calloc(m / 64, sizeof(*live));

		for (q = rt->rhead; q < rt->rtail; q++) {
			size_t i = (size_t)q & (m - 1);

			ring[i] = rt->ring[(size_t)q & rt->rmask];
			if (pol_live(rt, q))
				live[i / 64] |= (uint64_t)1 << (i % 64);
		}
		mem_free(rt->ring);
		mem_free(rt->live);
		rt->ring = ring;
		rt->live = live;
		rt->rmask = m - 1;
		return;
	}
	for (q = w = rt->rhead; q < rt->rtail; q++) {
		struct pol_acct *a;

		if (!pol_live(rt, q))
			continue;
		a = rt->ring[(size_t)q & rt->rmask];
		pol_live_set(rt, q, false);
		rt->ring[(size_t)w & rt->rmask] = a;
		pol_live_set(rt, w, true);
		a->seen = w++;
	}
	rt->rtail = w;
}

/* The account was used: its entry goes to the end of the order. */
static void
pol_touch(struct pol_rates *rt, struct pol_acct *a, bool listed)
{
	if (listed) {
		if (a->seen + 1 == rt->rtail)
			return;	/* the most recent already */
		pol_live_set(rt, a->seen, false);
	}
	if (rt->rtail - rt->rhead > rt->rmask)
		pol_ring_room(rt);
	rt->ring[(size_t)rt->rtail & rt->rmask] = a;
	pol_live_set(rt, rt->rtail, true);
	a->seen = rt->rtail++;
}

/* The least recently used account, out of the order. */
static struct pol_acct *
pol_oldest(struct pol_rates *rt)
{
	struct pol_acct *a;

	while (!pol_live(rt, rt->rhead))
		rt->rhead++;
	a = rt->ring[(size_t)rt->rhead & rt->rmask];
	pol_live_set(rt, rt->rhead, false);
	rt->rhead++;
	return a;
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

/* A new account, evicting the least recently used one at the ceiling. */
static struct pol_acct *
pol_acct_new(struct pol_rates *rt, const char *key, size_t klen, uint64_t hash, int64_t bucket)
{
	struct pol_acct *a;

	while (rt->count >= rt->max && rt->count > 0) {
		struct pol_acct *old = pol_oldest(rt);

		pol_index_del(rt, old);
		mem_free(old);
	}
	a = mem_calloc(1, sizeof(*a) + klen + 1);
	memcpy(a->key, key, klen);
	a->klen = (uint32_t)klen;
	a->hash = hash;
	a->head = bucket;
	pol_index_add(rt, a);
	pol_touch(rt, a, false);
	return a;
}

/* The bucket width for window; counters restart when it changes. */
static void
pol_rates_width(struct pol_rates *rt, int64_t window, int64_t now)
{
	int64_t w = window / POL_RATE_BUCKETS;
	struct pol_acct *a;
	size_t i;

	if (w < 1)
		w = 1;
	if (rt->width == w)
		return;
	for (i = 0; i <= rt->mask; i++) {
		if ((a = rt->slot[i].a) == NULL)
			continue;
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
	size_t klen = strlen(key);
	const struct pol_acct *a = pol_find(rt, pol_hash(key, klen), key, klen);

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
	uint64_t add_m = 1, add_r = 1, m = 0, n = 0, id = 0, hash;
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
	hash = pol_hash(key, klen);
	a = pol_find(rt, hash, key, klen);
	if (a != NULL) {
		pol_acct_advance(a, bucket);
		pol_touch(rt, a, true);
		pol_acct_sum(a, bucket, &m, &n);
	}
	if (st == PS_RCPT && count) {
		/* One message per instance (or queue_id without one); with
		 * neither, each recipient is a message. */
		struct strv v = r->instance.len > 0 ? r->instance : r->queue_id;

		if (v.len > 0) {
			has_id = true;
			id = pol_hash(v.p, v.len);
			if (a != NULL && pol_msgid_seen(a, id))
				add_m = 0;
		}
	}
	if ((c->msg_rate != 0 && m + add_m > c->msg_rate) ||
	    (c->rcpt_rate != 0 && n + add_r > c->rcpt_rate))
		return true;
	if (!count)
		return false;
	if (a == NULL)
		a = pol_acct_new(rt, key, klen, hash, bucket);
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
