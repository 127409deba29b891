/* authpol_decide.c - the answer to a Dovecot auth policy request, and the
 *                    state it needs */
#include "authpol/authpol_decide.h"

#include <stdio.h>
#include <string.h>

#include "util/htab.h"
#include "util/mem.h"

#define AP_DEFAULT_MAX 100000

/* ------------------------------------------------------------ tables */

/* A bounded table whose entries are in a list, most recently touched
 * first; past max the last one goes. An entry is this header, then the
 * table's payload (psize bytes), then the key. */
struct ap_ent {
	struct ap_ent *prev, *next;
	size_t klen;
};

struct ap_tab {
	struct htab *h;
	struct ap_ent *first, *last;
	size_t psize, max;
	uint64_t evicted;
};

static void *
ap_payload(struct ap_ent *e)
{
	return e + 1;
}

static const void *
ap_cpayload(const struct ap_ent *e)
{
	return e + 1;
}

static const char *
ap_key(const struct ap_tab *t, const struct ap_ent *e)
{
	return (const char *)(e + 1) + t->psize;
}

static void
ap_tab_init(struct ap_tab *t, size_t psize, size_t max)
{
	t->h = htab_new();
	t->first = t->last = NULL;
	t->psize = psize;	/* a multiple of 8: the payload's alignment is the header's */
	t->max = max;
	t->evicted = 0;
}

static void
ap_tab_free(struct ap_tab *t)
{
	if (t->h != NULL)
		htab_free(&t->h, mem_free);
	t->first = t->last = NULL;
}

static void
ap_unlink(struct ap_tab *t, struct ap_ent *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		t->first = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		t->last = e->prev;
	e->prev = e->next = NULL;
}

static void
ap_push_front(struct ap_tab *t, struct ap_ent *e)
{
	e->prev = NULL;
	e->next = t->first;
	if (t->first != NULL)
		t->first->prev = e;
	t->first = e;
	if (t->last == NULL)
		t->last = e;
}

static void
ap_del(struct ap_tab *t, struct ap_ent *e)
{
	ap_unlink(t, e);
	htab_del(t->h, ap_key(t, e), e->klen);
	mem_free(e);
}

/* Evict from the end until at most n entries are left. */
static void
ap_shrink(struct ap_tab *t, size_t n)
{
	while (htab_count(t->h) > n && t->last != NULL) {
		ap_del(t, t->last);
		t->evicted++;
	}
}

static struct ap_ent *
ap_get(const struct ap_tab *t, const void *key, size_t klen)
{
	return htab_get(t->h, key, klen);
}

/* The entry of key, moved to the front; created (payload zeroed) when
 * absent, the last one evicted first if the table is full. */
static struct ap_ent *
ap_touch(struct ap_tab *t, const void *key, size_t klen)
{
	struct ap_ent *e = htab_get(t->h, key, klen);
	void **slot;
	bool created;

	if (e != NULL) {
		if (t->first != e) {
			ap_unlink(t, e);
			ap_push_front(t, e);
		}
		return e;
	}
	if (t->max > 0)
		ap_shrink(t, t->max - 1);
	e = mem_calloc(1, sizeof(*e) + t->psize + klen);
	e->klen = klen;
	memcpy((char *)(e + 1) + t->psize, key, klen);
	slot = htab_put(t->h, ap_key(t, e), klen, &created);
	*slot = e;
	ap_push_front(t, e);
	return e;
}

/* ------------------------------------------------------------ payloads */

struct ap_hash {
	char hex[AUTHPOL_HASH_KEEP];	/* not terminated; the first min(len, KEEP) count */
	uint8_t len;			/* hex digits as sent; 0 = unused slot */
	int64_t t;			/* last successful login, or when marked leaked */
};

struct ap_recent {
	struct ap_hash h[AUTHPOL_RECENT];
};

struct ap_leaked {
	struct ap_hash h[AUTHPOL_LEAKED];
};

struct ap_ip {
	int64_t until;		/* refused before this time; 0 = not refused */
	const char *why;	/* static */
	uint32_t fails;		/* failed logins since fail_start */
	int64_t fail_start;
};

struct authpol {
	struct authpol_conf c;
	struct ap_tab recent, leaked, ips;
};

static void
ap_hash_set(struct ap_hash *h, const char *hex, int64_t t)
{
	size_t n = strlen(hex);

	memset(h->hex, 0, sizeof(h->hex));
	memcpy(h->hex, hex, n < AUTHPOL_HASH_KEEP ? n : AUTHPOL_HASH_KEEP);
	h->len = (uint8_t)n;
	h->t = t;
}

static bool
ap_hash_eq(const struct ap_hash *h, const char *hex, size_t n)
{
	return h->len != 0 && h->len == n &&
	       memcmp(h->hex, hex, n < AUTHPOL_HASH_KEEP ? n : AUTHPOL_HASH_KEEP) == 0;
}

/* The slot holding hex, else an empty one, else the oldest; *found says
 * whether it holds hex. */
static struct ap_hash *
ap_hash_slot(struct ap_hash *hs, unsigned n, const char *hex, bool *found)
{
	size_t len = strlen(hex);
	struct ap_hash *free_slot = NULL, *oldest = &hs[0];
	unsigned i;

	for (i = 0; i < n; i++) {
		if (ap_hash_eq(&hs[i], hex, len)) {
			*found = true;
			return &hs[i];
		}
		if (hs[i].len == 0 && free_slot == NULL)
			free_slot = &hs[i];
		if (hs[i].t < oldest->t)
			oldest = &hs[i];
	}
	*found = false;
	return free_slot != NULL ? free_slot : oldest;
}

static bool
ap_expired(int64_t since, int64_t ttl, int64_t now)
{
	return ttl > 0 && since <= now - ttl;
}

/* ------------------------------------------------------------ life */

static size_t
ap_max(uint32_t n)
{
	return n != 0 ? n : AP_DEFAULT_MAX;
}

struct authpol *
authpol_new(const struct authpol_conf *c)
{
	struct authpol *ap = mem_calloc(1, sizeof(*ap));

	ap->c = *c;
	ap_tab_init(&ap->recent, sizeof(struct ap_recent), ap_max(c->max_accounts));
	ap_tab_init(&ap->leaked, sizeof(struct ap_leaked), AUTHPOL_LEAKED_ACCOUNTS);
	ap_tab_init(&ap->ips, sizeof(struct ap_ip), ap_max(c->max_ips));
	return ap;
}

void
authpol_free(struct authpol **app)
{
	struct authpol *ap = *app;

	if (ap == NULL)
		return;
	ap_tab_free(&ap->recent);
	ap_tab_free(&ap->leaked);
	ap_tab_free(&ap->ips);
	mem_free(ap);
	*app = NULL;
}

void
authpol_set_conf(struct authpol *ap, const struct authpol_conf *c)
{
	ap->c = *c;
	ap->recent.max = ap_max(c->max_accounts);
	ap->ips.max = ap_max(c->max_ips);
	ap_shrink(&ap->recent, ap->recent.max);
	ap_shrink(&ap->ips, ap->ips.max);
}

const char *
authpol_verdict_name(enum authpol_verdict v)
{
	switch (v) {
	case APV_ALLOW: return "allow";
	case APV_LEAKED: return "leaked";
	case APV_LOCKED: return "locked";
	case APV_IP: return "ip";
	case APV_DELAY: return "delay";
	default: return "unknown";
	}
}

/* ------------------------------------------------------------ IPs */

static size_t
ap_ip_key(const struct netaddr *ip, unsigned char *key)
{
	size_t n = ip->family == 4 ? 4 : 16;

	key[0] = ip->family;
	memcpy(key + 1, ip->bytes, n);
	return n + 1;
}

int
authpol_refuse_ip(struct authpol *ap, const struct netaddr *ip, const char *why, int64_t now)
{
	unsigned char key[17];
	size_t klen;
	struct ap_ip *p;
	int64_t until;

	if (ip->family != 4 && ip->family != 6)
		return -1;
	klen = ap_ip_key(ip, key);
	p = ap_payload(ap_touch(&ap->ips, key, klen));
	until = ap->c.ban_time > 0 && now < INT64_MAX - ap->c.ban_time ? now + ap->c.ban_time
								       : INT64_MAX;
	if (until > p->until || p->until <= now) {
		p->until = until;
		p->why = why;
	}
	return 0;
}

bool
authpol_ip_refused(const struct authpol *ap, const struct netaddr *ip, int64_t now,
		   const char **why)
{
	unsigned char key[17];
	const struct ap_ent *e;
	const struct ap_ip *p;

	if (ip->family != 4 && ip->family != 6)
		return false;
	if ((e = ap_get(&ap->ips, key, ap_ip_key(ip, key))) == NULL)
		return false;
	p = ap_cpayload(e);
	if (p->until <= now)
		return false;
	if (why != NULL)
		*why = p->why;
	return true;
}

static bool
ap_ip_slow(const struct authpol *ap, const struct netaddr *ip, int64_t now)
{
	unsigned char key[17];
	const struct ap_ent *e;
	const struct ap_ip *p;

	if (ap->c.delay == 0 || ap->c.delay_failures == 0 ||
	    (e = ap_get(&ap->ips, key, ap_ip_key(ip, key))) == NULL)
		return false;
	p = ap_cpayload(e);
	return p->fails >= ap->c.delay_failures && !ap_expired(p->fail_start, ap->c.fail_window, now);
}

/* ------------------------------------------------------------ decide */

static bool
ap_is_leaked(struct authpol *ap, const char *key, const char *hex, int64_t now)
{
	struct ap_ent *e = ap_get(&ap->leaked, key, strlen(key));
	struct ap_leaked *l;
	size_t n = strlen(hex);
	unsigned i;

	if (e == NULL)
		return false;
	l = ap_payload(e);
	for (i = 0; i < AUTHPOL_LEAKED; i++) {
		if (!ap_hash_eq(&l->h[i], hex, n))
			continue;
		if (ap_expired(l->h[i].t, ap->c.leaked_time, now)) {
			l->h[i].len = 0;	/* refused long enough */
			return false;
		}
		return true;
	}
	return false;
}

enum authpol_verdict
authpol_decide(struct authpol *ap, const struct authpol_req *r, bool locked, int64_t now,
	       struct authpol_answer *out)
{
	const char *why = NULL;

	memset(out, 0, sizeof(*out));
	out->msg = "";
	if (r->key[0] != '\0' && r->pwhash[0] != '\0' && ap_is_leaked(ap, r->key, r->pwhash, now)) {
		out->leaked_seen = true;
		if (r->hash_bits >= ap->c.min_hash_bits) {
			out->verdict = APV_LEAKED;
			out->status = -1;
			out->msg = AUTHPOL_MSG_LEAKED;
			return out->verdict;
		}
	}
	if (r->key[0] != '\0' && locked) {
		out->verdict = APV_LOCKED;
		out->status = -1;
		out->msg = AUTHPOL_MSG_LOCKED;
	} else if (authpol_ip_refused(ap, &r->remote, now, &why)) {
		out->verdict = APV_IP;
		out->status = -1;
		out->msg = AUTHPOL_MSG_BLOCKED;
		out->ip_why = why;
	} else if (r->remote.family != 0 && ap_ip_slow(ap, &r->remote, now)) {
		out->verdict = APV_DELAY;
		out->status = (int)ap->c.delay;
	}
	return out->verdict;
}

/* ------------------------------------------------------------ learn */

void
authpol_report(struct authpol *ap, const struct authpol_req *r, int64_t now)
{
	if (r->success && r->key[0] != '\0' && r->pwhash[0] != '\0') {
		struct ap_recent *rc = ap_payload(ap_touch(&ap->recent, r->key, strlen(r->key)));
		bool found;
		struct ap_hash *h = ap_hash_slot(rc->h, AUTHPOL_RECENT, r->pwhash, &found);

		if (found)
			h->t = now;
		else
			ap_hash_set(h, r->pwhash, now);
		return;
	}
	if (!r->success && !r->policy_reject && r->remote.family != 0 && ap->c.delay > 0 &&
	    ap->c.delay_failures > 0) {
		unsigned char key[17];
		struct ap_ip *p =
			ap_payload(ap_touch(&ap->ips, key, ap_ip_key(&r->remote, key)));

		if (p->fails == 0 || ap_expired(p->fail_start, ap->c.fail_window, now)) {
			p->fails = 0;
			p->fail_start = now;
		}
		if (p->fails < UINT32_MAX)
			p->fails++;
	}
}

/* Put h (as kept) among key's leaked hashes, marked at t; 1 if it was not
 * there yet. */
static unsigned
ap_leak(struct authpol *ap, const char *key, const struct ap_hash *h, int64_t t)
{
	struct ap_leaked *l = ap_payload(ap_touch(&ap->leaked, key, strlen(key)));
	struct ap_hash *slot = NULL, *oldest = &l->h[0];
	size_t kept = h->len < AUTHPOL_HASH_KEEP ? h->len : AUTHPOL_HASH_KEEP;
	unsigned i;

	for (i = 0; i < AUTHPOL_LEAKED; i++) {
		if (l->h[i].len == h->len && memcmp(l->h[i].hex, h->hex, kept) == 0) {
			if (t > l->h[i].t)
				l->h[i].t = t;
			return 0;
		}
		if (l->h[i].len == 0 && slot == NULL)
			slot = &l->h[i];
		if (l->h[i].t < oldest->t)
			oldest = &l->h[i];
	}
	if (slot == NULL)
		slot = oldest;
	*slot = *h;
	slot->t = t;
	return 1;
}

unsigned
authpol_mark_leaked(struct authpol *ap, const char *key, int64_t now)
{
	struct ap_ent *e = ap_get(&ap->recent, key, strlen(key));
	struct ap_recent rc;
	unsigned i, n = 0;

	if (e == NULL)
		return 0;
	rc = *(struct ap_recent *)ap_payload(e);	/* a copy: ap_leak touches tables */
	for (i = 0; i < AUTHPOL_RECENT; i++)
		if (rc.h[i].len != 0)
			n += ap_leak(ap, key, &rc.h[i], now);
	return n;
}

/* "T DIGITS HEX": a hash marked leaked at T, DIGITS hex digits long as
 * sent, its first min(DIGITS, AUTHPOL_HASH_KEEP) digits HEX. */
unsigned
authpol_leaked_text(const struct authpol *ap, const char *key, char *out, size_t size)
{
	const struct ap_ent *e = ap_get(&ap->leaked, key, strlen(key));
	const struct ap_leaked *l;
	size_t used = 0;
	unsigned i, n = 0;

	if (size > 0)
		out[0] = '\0';
	if (e == NULL || size == 0)
		return 0;
	l = ap_cpayload(e);
	for (i = 0; i < AUTHPOL_LEAKED; i++) {
		char one[80];
		int k;
		unsigned kept = l->h[i].len < AUTHPOL_HASH_KEEP ? l->h[i].len : AUTHPOL_HASH_KEEP;

		if (l->h[i].len == 0)
			continue;
		k = snprintf(one, sizeof(one), "%s%lld %u %.*s", n ? "," : "",
			     (long long)l->h[i].t, (unsigned)l->h[i].len, (int)kept, l->h[i].hex);
		if (k < 0 || (size_t)k >= size - used)
			break;
		memcpy(out + used, one, (size_t)k + 1);
		used += (size_t)k;
		n++;
	}
	return n;
}

/* One decimal number of at most 18 digits at *p (no overflow), advanced
 * past it. */
static bool
ap_num(const char **p, int64_t *out)
{
	int64_t v = 0;
	int n = 0;

	while (**p >= '0' && **p <= '9' && n < 18) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n > 0 && !(**p >= '0' && **p <= '9');
}

int
authpol_leaked_load(struct authpol *ap, const char *key, const char *text, int64_t now)
{
	const char *p = text;
	int loaded = 0;

	if (key[0] == '\0' || strlen(key) >= LIMIT_ACCOUNT_MAX)
		return -1;
	while (*p != '\0') {
		struct ap_hash h;
		int64_t t, len;
		size_t i, kept;

		memset(&h, 0, sizeof(h));
		if (!ap_num(&p, &t) || *p++ != ' ' || !ap_num(&p, &len) || *p++ != ' ' ||
		    len < 1 || len > AUTHPOL_HASH_HEX_MAX)
			return -1;
		kept = (size_t)len < AUTHPOL_HASH_KEEP ? (size_t)len : AUTHPOL_HASH_KEEP;
		for (i = 0; i < kept; i++, p++) {
			if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
				return -1;
			h.hex[i] = *p;
		}
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -1;
		h.len = (uint8_t)len;
		if (ap_expired(t, ap->c.leaked_time, now))
			continue;
		ap_leak(ap, key, &h, t);
		loaded++;
	}
	return loaded;
}

void
authpol_get_stats(const struct authpol *ap, int64_t now, struct authpol_stats *st)
{
	const struct ap_ent *e;

	memset(st, 0, sizeof(*st));
	st->accounts = htab_count(ap->recent.h);
	st->leaked_accounts = htab_count(ap->leaked.h);
	st->ips = htab_count(ap->ips.h);
	st->evicted_accounts = ap->recent.evicted;
	st->evicted_ips = ap->ips.evicted;
	for (e = ap->ips.first; e != NULL; e = e->next)
		if (((const struct ap_ip *)ap_cpayload(e))->until > now)
			st->refused_ips++;
}
