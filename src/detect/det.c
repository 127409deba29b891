/* det.c - the detector engine: dispatch, findings, expiry
 * SUMMARY  det_feed keys each public event by account (evt_account_key)
 *          and hands it to the account detectors (det_acct.c), which hand
 *          it on to the IP detectors (det_ip.c). Log time drives
 *          everything: once an hour of log time the tables are swept, so
 *          quiet findings close, quiet episodes and IPs are dropped, the
 *          cold parts of accounts that no longer need them are freed and
 *          accounts unseen for forget_after are forgotten. */
#include <stdlib.h>
#include <string.h>

#include "detect/det_int.h"
#include "util/mem.h"
#include "util/msg.h"

#define SWEEP_EVERY 3600

uint32_t
det_hash32(const void *p, size_t n)
{
	uint64_t h = htab_hash(p, n);

	return (uint32_t)(h ^ (h >> 32));
}

/* IPv4 /16 as 0xffffXXXX (ff00::/8 is multicast, never a client), IPv6 /32
 * as its first four bytes. */
uint32_t
det_net(const struct netaddr *a)
{
	if (a->family == 4)
		return 0xffff0000u | (uint32_t)a->bytes[0] << 8 | a->bytes[1];
	return (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 |
	       (uint32_t)a->bytes[2] << 8 | a->bytes[3];
}

struct det *
det_new(const struct det_conf *conf, det_sink *sink, void *arg)
{
	struct det *d = mem_calloc(1, sizeof(*d));

	d->c = *conf;
	d->sink = sink;
	d->arg = arg;
	acct_tab_init(&d->accts);
	ip_tab_init(&d->ips);
	d->pend = htab_new();
	if ((conf->geoip_file != NULL && conf->geoip_file[0] != '\0') ||
	    (conf->geoip6_file != NULL && conf->geoip6_file[0] != '\0'))
		d->geo = geoip_open(conf->geoip_file ? conf->geoip_file : "",
				    conf->geoip6_file ? conf->geoip6_file : "");
	d->st.geoip = d->geo != NULL;
	return d;
}

void
det_free(struct det **dp)
{
	struct det *d = *dp;
	size_t i;

	if (d == NULL)
		return;
	acct_tab_free(&d->accts);
	ip_tab_free(&d->ips);
	htab_free(&d->pend, free);
	for (i = 0; i < d->nfs; i++)
		free(d->fs[i]);
	free(d->fs);
	geoip_free(&d->geo);
	free(d);
	*dp = NULL;
}

struct finding *
det_open(struct det *d, enum finding_kind k, uint32_t first, uint32_t at)
{
	struct finding *f = mem_calloc(1, sizeof(*f));

	f->kind = k;
	f->first_evidence = first;
	f->detected_at = at;
	f->last_evidence = at;
	f->distinct_ips = f->networks = f->messages = f->recipients = UINT64_MAX;
	f->attempts = f->accounts = f->ndrs = UINT64_MAX;
	if (d->nfs == d->capfs) {
		d->capfs = d->capfs ? d->capfs * 2 : 64;
		d->fs = mem_reallocarray(d->fs, d->capfs, sizeof(*d->fs));
	}
	d->fs[d->nfs++] = f;
	f->id = d->nfs;
	d->st.findings++;
	return f;
}

void
det_fire(struct det *d, struct finding *f)
{
	if (d->sink != NULL)
		d->sink(d->arg, f, DET_OPEN);
}

void
det_update(struct det *d, struct finding *f, uint32_t at)
{
	f->last_evidence = at;
	if (d->sink != NULL)
		d->sink(d->arg, f, DET_UPDATE);
}

void
det_close(struct det *d, struct finding *f)
{
	f->closed = true;
	if (d->sink != NULL)
		d->sink(d->arg, f, DET_CLOSE);
}

/* Keys to delete after an iteration (htab iteration forbids deletion). */
struct keylist {
	char **k;
	size_t *len;
	size_t n, cap;
};

static void
keylist_push(struct keylist *l, const char *key, size_t klen)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->k = mem_reallocarray(l->k, l->cap, sizeof(*l->k));
		l->len = mem_reallocarray(l->len, l->cap, sizeof(*l->len));
	}
	l->k[l->n] = mem_alloc(klen);
	memcpy(l->k[l->n], key, klen);
	l->len[l->n++] = klen;
}

static void
keylist_delete(struct keylist *l, struct htab *h, void (*free_val)(void *))
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free_val(htab_del(h, l->k[i], l->len[i]));
		free(l->k[i]);
	}
	l->n = 0;
}

/* Accounts and IPs to delete after an iteration, in slot order, deleted in
 * that order (the order decides where the rest move to). */
struct deadlist {
	void *v;
	size_t n, cap;
};

static void *
deadlist_push(struct deadlist *l, size_t size)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = mem_reallocarray(l->v, l->cap, size);
	}
	return (char *)l->v + l->n++ * size;
}

static void
sweep(struct det *d, bool all)
{
	struct keylist dead = { 0 };
	struct deadlist da = { 0 }, di = { 0 };
	size_t pos = 0, klen, i;
	const char *key;
	void *val;

	for (i = 0; i <= d->accts.mask; i++) {
		struct acct *a = d->accts.slot[i];

		if (a == NULL)
			continue;
		if (acct_sweep(d, a, all) && !all &&
		    (int64_t)a->last_seen + d->c.forget_after <= (int64_t)d->now)
			*(struct acct **)deadlist_push(&da, sizeof(a)) = a;
	}
	for (i = 0; i < da.n; i++) {
		struct acct *a = ((struct acct **)da.v)[i];

		acct_tab_del(&d->accts, a);
		acct_free(a);
	}
	for (i = 0; i <= d->ips.mask; i++) {
		struct ipst *s = &d->ips.slot[i];

		if (s->tag != 0 && ip_sweep(d, s, all) && !all)
			ip_addr(s, deadlist_push(&di, sizeof(struct netaddr)));
	}
	for (i = 0; i < di.n; i++)
		ip_tab_del(&d->ips, ip_tab_get(&d->ips, (struct netaddr *)di.v + i));
	free(da.v);
	free(di.v);
	while (htab_next(d->pend, &pos, &key, &klen, &val))
		if ((int64_t)((struct pending *)val)->at + d->c.brute_account_window <= (int64_t)d->now)
			keylist_push(&dead, key, klen);
	keylist_delete(&dead, d->pend, free);
	free(dead.k);
	free(dead.len);
}

void
det_feed(struct det *d, const struct evt *e)
{
	char key[LIMIT_ACCOUNT_MAX];
	uint32_t t;

	if (!evt_is_public(e) || (e->flags & EVT_REPEAT))
		return;
	t = e->time < 0 ? 0 : e->time > UINT32_MAX ? UINT32_MAX : (uint32_t)e->time;
	if (t > d->now)
		d->now = t;	/* a line slightly out of order counts at the latest time */
	if (d->next_sweep == 0)
		d->next_sweep = d->now + SWEEP_EVERY;
	if (d->now >= d->next_sweep) {
		sweep(d, false);
		d->next_sweep = d->now + SWEEP_EVERY;
	}
	d->st.events++;
	if (e->account[0] != '\0') {
		evt_account_key(e->account, key);
		acct_event(d, e, key);
	} else {
		acct_event(d, e, NULL);
	}
}

void
det_finish(struct det *d)
{
	sweep(d, true);
}

void
det_get_stats(const struct det *d, struct det_stats *st)
{
	*st = d->st;
	st->accounts = d->accts.count;
	st->ips = d->ips.count;
}

size_t
det_findings(const struct det *d, struct finding *const **out)
{
	*out = d->fs;
	return d->nfs;
}

void
det_explain(struct det *d, const char *account, FILE *fp)
{
	evt_account_key(account, d->explain);
	d->explain_fp = fp;
}
