/* det_acct.c - per-account detectors: account_compromise, outbound_burst,
 *              credential_probe, backscatter
 * SUMMARY  Each account remembers the networks it logs in from (IPv4 /16,
 *          IPv6 /32) with their first use and use count. A network is
 *          familiar when it was the account's first, or when it was used
 *          more than once and first used at least familiar_after ago
 *          (a day by default: a one-day trip stays unfamiliar). A login from
 *          an unfamiliar network opens an episode, which gathers what the
 *          account does from unfamiliar networks in the sliding window:
 *          networks, messages, recipients, delivery failures, NDRs, and
 *          sticky signals (new SASL mechanism, new country, two countries
 *          at once). Each signal gives points = weight x value/threshold,
 *          0 under the floor, at most the cap; account_compromise fires
 *          when the sum reaches `score`. Then the networks first used in
 *          the episode are forgotten, and while the compromise is open the
 *          account learns nothing, so the attacker's networks never become
 *          familiar. The episode ends after a quiet window.
 *          Episodes, NDR counts, probe counts and open findings live in the
 *          account's cold part (struct acct_cold), made when first needed.
 * LIMITS   ACCT_KNOWN networks per account (the least used other than the
 *          first is replaced),
 *          EP_NETS_MAX networks per episode (more are counted, not kept). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/det_int.h"
#include "util/mem.h"
#include "util/timeconv.h"

/* ------------------------------------------------------------ history */

static unsigned
mech_bit(const char *m)
{
	if (m[0] == '\0')
		return 0;
	if (strcasecmp(m, "PLAIN") == 0)
		return 0x01;
	if (strcasecmp(m, "LOGIN") == 0)
		return 0x02;
	if (strcasecmp(m, "CRAM-MD5") == 0)
		return 0x04;
	if (strcasecmp(m, "DIGEST-MD5") == 0)
		return 0x08;
	if (strncasecmp(m, "SCRAM-", 6) == 0)
		return 0x10;
	if (strcasecmp(m, "XOAUTH2") == 0 || strcasecmp(m, "OAUTHBEARER") == 0)
		return 0x20;
	if (strcasecmp(m, "APOP") == 0)
		return 0x40;
	return 0x80;
}

/* The index of net among a's networks, or -1. */
static int
known_find(const struct acct *a, uint32_t net)
{
	unsigned i;

	for (i = 0; i < a->nknown; i++)
		if (a->kn_net[i] == net)
			return (int)i;
	return -1;
}

/* The first network (index 0) is familiar at once. */
bool
acct_familiar(const struct det *d, const struct acct *a, uint32_t net)
{
	int i = known_find(a, net);

	return i == 0 ||
	       (i > 0 && a->kn_uses[i] >= 2 &&
		(int64_t)a->kn_first[i] + d->c.familiar_after <= (int64_t)d->now);
}

/* Record a use of net. A new network replaces the least used one (the
 * oldest of equals) other than the first, so one-off networks never push
 * out the home one. */
static void
known_use(struct det *d, struct acct *a, uint32_t net)
{
	int k = known_find(a, net);
	int i;

	if (k >= 0) {
		if (a->kn_uses[k] < UINT16_MAX)
			a->kn_uses[k]++;
		return;
	}
	if (a->nknown < ACCT_KNOWN) {
		k = a->nknown++;
	} else {
		k = 1;
		for (i = 2; i < ACCT_KNOWN; i++)
			if (a->kn_uses[i] < a->kn_uses[k] ||
			    (a->kn_uses[i] == a->kn_uses[k] && a->kn_first[i] < a->kn_first[k]))
				k = i;
	}
	a->kn_net[k] = net;
	a->kn_first[k] = d->now;
	a->kn_uses[k] = 1;
}

/* ------------------------------------------------------------ episodes */

static uint32_t
ep_slot(const struct det *d, uint32_t t)
{
	int64_t w = d->c.window / RING_N;

	return (uint32_t)(t / (w > 0 ? w : 1));
}

static struct episode *
ep_open(struct det *d, struct acct *a)
{
	struct acct_cold *c = acct_cold_get(a);

	if (c->ep == NULL) {
		c->ep = mem_calloc(1, sizeof(*c->ep));
		c->ep->since = d->now;
		c->ep->ring.head = ep_slot(d, d->now);
	}
	c->ep->last = d->now;
	return c->ep;
}

static void
ep_free(struct episode **ep)
{
	if (*ep == NULL)
		return;
	idset_free(&(*ep)->ips);
	free(*ep);
	*ep = NULL;
}

static void
ep_add_net(struct det *d, struct episode *ep, uint32_t net)
{
	uint32_t i;

	for (i = 0; i < ep->nnets; i++)
		if (ep->nets[i].net == net) {
			ep->nets[i].last = d->now;
			return;
		}
	if (ep->nnets == EP_NETS_MAX) {
		/* replace the network seen longest ago */
		uint32_t old = 0;

		for (i = 1; i < ep->nnets; i++)
			if (ep->nets[i].last < ep->nets[old].last)
				old = i;
		i = old;
	} else {
		i = ep->nnets++;
	}
	ep->nets[i].net = net;
	ep->nets[i].first = d->now;
	ep->nets[i].last = d->now;
}

static uint32_t
ep_networks(const struct det *d, const struct episode *ep)
{
	uint32_t i, n = 0;

	for (i = 0; i < ep->nnets; i++)
		if ((int64_t)ep->nets[i].last + d->c.window > (int64_t)d->now)
			n++;
	return n;
}

static bool
sticky(const struct det *d, uint32_t at)
{
	return at != 0 && (int64_t)at + d->c.window > (int64_t)d->now;
}

enum sig {
	SIG_NETWORKS,
	SIG_MESSAGES,
	SIG_RECIPIENTS,
	SIG_FAILURES,
	SIG_MECHANISM,
	SIG_COUNTRY,
	SIG_FAR,
	SIG_MAX
};

static const char *const sig_names[SIG_MAX] = {
	"login_networks", "unfamiliar_messages", "unfamiliar_recipients",
	"failure_rate",	  "new_mechanism",	 "new_country",
	"far_sessions",
};

static double
points(const struct det *d, double value, double threshold, double weight)
{
	double r;

	if (threshold <= 0 || value <= 0)
		return 0;
	r = value / threshold;
	if (r < d->c.floor)
		return 0;
	if (r > d->c.cap)
		r = d->c.cap;
	return weight * r;
}

/* The signals of a's episode now; returns the score. */
static double
signals(struct det *d, struct acct *a, struct signal_val sv[SIG_MAX])
{
	struct episode *ep = acct_ep(a);
	uint32_t slot = ep_slot(d, d->now);
	uint32_t ok = ring_sum(&ep->ring, slot, RF_OK);
	uint32_t fail = ring_sum(&ep->ring, slot, RF_FAIL);
	double total = 0;
	unsigned i;

	sv[SIG_NETWORKS].value = ep_networks(d, ep);
	sv[SIG_NETWORKS].threshold = (double)d->c.networks;
	sv[SIG_NETWORKS].points = points(d, sv[0].value, sv[0].threshold, d->c.w_networks);

	sv[SIG_MESSAGES].value = ring_sum(&ep->ring, slot, RF_MSGS);
	sv[SIG_MESSAGES].threshold = (double)d->c.messages;
	sv[SIG_MESSAGES].points =
		points(d, sv[SIG_MESSAGES].value, sv[SIG_MESSAGES].threshold, d->c.w_messages);

	sv[SIG_RECIPIENTS].value = ring_sum(&ep->ring, slot, RF_RCPTS);
	sv[SIG_RECIPIENTS].threshold = (double)d->c.recipients;
	sv[SIG_RECIPIENTS].points = points(d, sv[SIG_RECIPIENTS].value,
					   sv[SIG_RECIPIENTS].threshold, d->c.w_recipients);

	sv[SIG_FAILURES].value = ok + fail >= d->c.failure_min ? (double)fail / (ok + fail) : 0;
	sv[SIG_FAILURES].threshold = d->c.failure_rate;
	sv[SIG_FAILURES].points = points(d, sv[SIG_FAILURES].value, sv[SIG_FAILURES].threshold,
					 d->c.w_failure_rate);

	sv[SIG_MECHANISM].value = sticky(d, ep->mech_at);
	sv[SIG_COUNTRY].value = sticky(d, ep->country_at);
	sv[SIG_FAR].value = sticky(d, ep->far_at);
	sv[SIG_MECHANISM].points = sv[SIG_MECHANISM].value * d->c.w_mechanism;
	sv[SIG_COUNTRY].points = sv[SIG_COUNTRY].value * d->c.w_country;
	sv[SIG_FAR].points = sv[SIG_FAR].value * d->c.w_far;
	for (i = SIG_MECHANISM; i <= SIG_FAR; i++)
		sv[i].threshold = 1;

	for (i = 0; i < SIG_MAX; i++) {
		sv[i].name = sig_names[i];
		total += sv[i].points;
	}
	return total;
}

static void
compromise_counts(struct finding *f, const struct episode *ep)
{
	f->distinct_ips = ep->ips.n;
	f->networks = ep->nnets;
	f->messages = ep->msgs;
	f->recipients = ep->rcpts;
	f->ndrs = ep->ndrs;
}

/* The compromise is found: networks first used during its episode were
 * the attacker's, even those used twice; forget them so that they never
 * become familiar. */
static void
forget_episode_nets(struct acct *a)
{
	unsigned i, n = 0;

	for (i = 0; i < a->nknown; i++)
		if (i == 0 || a->kn_first[i] < a->cold->ep->since) {
			a->kn_net[n] = a->kn_net[i];
			a->kn_first[n] = a->kn_first[i];
			a->kn_uses[n] = a->kn_uses[i];
			n++;
		}
	a->nknown = (uint8_t)n;
}

/* Judge the episode after an event from an unfamiliar network. */
static void
ep_judge(struct det *d, struct acct *a, const char *key)
{
	struct episode *ep = a->cold->ep;
	struct signal_val sv[SIG_MAX];
	struct finding *f;
	double score;
	unsigned i;

	if (ep->inc != NULL) {
		compromise_counts(ep->inc, ep);
		det_update(d, ep->inc, d->now);
		return;
	}
	score = signals(d, a, sv);
	if (score < d->c.score)
		return;
	f = det_open(d, FK_COMPROMISE, ep->since, d->now);
	snprintf(f->account, sizeof(f->account), "%s", key);
	f->score = score;
	for (i = 0; i < SIG_MAX && f->nsignals < FINDING_SIGNALS_MAX; i++)
		if (sv[i].points > 0)
			f->signals[f->nsignals++] = sv[i];
	compromise_counts(f, ep);
	forget_episode_nets(a);
	ep->inc = f;
	det_fire(d, f);
	a->compromised = true;
}

/* ------------------------------------------------------------ events */

/* hash: htab_hash(key, klen) */
static struct acct *
acct_get(struct det *d, const char *key, size_t klen, uint64_t hash, bool create)
{
	struct acct *a = acct_tab_get(&d->accts, key, hash);

	if (a != NULL || !create)
		return a;
	if ((int64_t)d->accts.count >= d->c.max_accounts) {
		d->st.dropped_accounts++;
		return NULL;
	}
	a = mem_calloc(1, sizeof(*a) + klen + 1);
	memcpy(a->key, key, klen);
	a->hash = (uint32_t)hash;
	a->first_seen = d->now;
	acct_tab_add(&d->accts, a);
	return a;
}

struct acct_cold *
acct_cold_get(struct acct *a)
{
	if (a->cold == NULL)
		a->cold = mem_calloc(1, sizeof(*a->cold));
	return a->cold;
}

static void
acct_cold_free(struct acct *a)
{
	struct acct_cold *c = a->cold;

	if (c == NULL)
		return;
	ep_free(&c->ep);
	idset_free(&c->probe_ips);
	free(c->ndr);
	free(c);
	a->cold = NULL;
}

void
acct_free(struct acct *a)
{
	acct_cold_free(a);
	free(a);
}

static void
remember_ip(struct acct *a, uint32_t iph, uint32_t now)
{
	unsigned i, old = 0;

	for (i = 0; i < ACCT_RECENT_IPS; i++) {
		if (a->recent_ip[i] == iph) {
			a->recent_at[i] = now;
			return;
		}
		if (a->recent_at[i] < a->recent_at[old])
			old = i;
	}
	a->recent_ip[old] = iph;
	a->recent_at[old] = now;
}

static void
login_country(struct det *d, struct acct *a, const struct evt *e, bool learn)
{
	struct episode *ep = acct_ep(a);
	uint16_t cc;
	unsigned i;
	bool seen = false;

	if (d->geo == NULL || (cc = geoip_country(d->geo, &e->addr)) == 0)
		return;
	for (i = 0; i < a->ncountries; i++)
		if (a->countries[i] == cc)
			seen = true;
	if (ep != NULL) {
		if (!seen && a->country_logins >= (uint32_t)d->c.country_min_logins)
			ep->country_at = d->now;
		if (a->last_cc != 0 && a->last_cc != cc &&
		    (int64_t)a->last_cc_at + d->c.far_window >= (int64_t)d->now)
			ep->far_at = d->now;
	}
	if (!seen && learn) {
		a->countries[a->ncountries < ACCT_COUNTRIES ? a->ncountries++
							    : a->country_logins % ACCT_COUNTRIES] = cc;
	}
	a->last_cc = cc;
	a->last_cc_at = d->now;
	if (a->country_logins < UINT32_MAX)
		a->country_logins++;
}

static void
on_login(struct det *d, struct acct *a, const struct evt *e, const char *key)
{
	uint32_t net = det_net(&e->addr);
	uint32_t iph = det_hash32(e->addr.bytes, e->addr.family == 4 ? 4 : 16);
	bool fam = a->nknown == 0 || acct_familiar(d, a, net);
	bool learn;
	unsigned bit = mech_bit(e->mech);
	struct episode *ep = fam ? acct_ep(a) : ep_open(d, a);
	struct acct_cold *c;

	if (ep != NULL) {
		ep_add_net(d, ep, net);
		if (!fam)
			idset_add(&ep->ips, iph);
		if (!fam && bit != 0 && !(a->mechs & bit) &&
		    a->logins >= (uint32_t)d->c.mech_min_logins)
			ep->mech_at = d->now;
	}
	learn = ep == NULL || ep->inc == NULL;
	login_country(d, a, e, learn);
	if (learn) {
		known_use(d, a, net);
		a->mechs |= bit;
	}
	if (a->logins < UINT32_MAX)
		a->logins++;
	remember_ip(a, iph, d->now);
	c = a->cold;
	if (!fam && c->probe == NULL && c->probe_n > 0) {
		/* the attacker still gets in: failures so far were not probing */
		c->probe_n = 0;
		idset_free(&c->probe_ips);
	}
	if (!fam)
		ep_judge(d, a, key);
}

static void
burst_message(struct det *d, struct acct *a, const char *key)
{
	uint32_t hour = d->now / 3600;
	struct episode *ep;
	struct finding *f;

	if (hour != a->hour) {
		if (a->hour_msgs > a->peak_msgs)
			a->peak_msgs = a->hour_msgs;
		a->hour = hour;
		a->hour_msgs = 0;
		a->hour_first = d->now;
	}
	a->hour_msgs++;
	if (a->cold != NULL && a->cold->burst != NULL) {
		f = a->cold->burst;
		f->messages++;
		det_update(d, f, d->now);
		return;
	}
	ep = acct_ep(a);
	if ((int64_t)a->hour_msgs < d->c.burst_messages ||
	    (double)a->hour_msgs <= d->c.burst_factor * a->peak_msgs ||
	    (int64_t)a->first_seen + d->c.burst_baseline > (int64_t)d->now ||
	    (ep != NULL && ep->inc != NULL))
		return;
	f = acct_cold_get(a)->burst = det_open(d, FK_BURST, a->hour_first, d->now);
	snprintf(f->account, sizeof(f->account), "%s", key);
	f->messages = a->hour_msgs;
	f->score = a->peak_msgs ? (double)a->hour_msgs / a->peak_msgs : 0;
	f->signals[0] = (struct signal_val){ "messages_this_hour", a->hour_msgs,
					     (double)d->c.burst_messages, 0 };
	f->signals[1] = (struct signal_val){ "peak_hour_before", a->peak_msgs, 0, 0 };
	f->nsignals = 2;
	det_fire(d, f);
}

/* a's episode when e comes from a network a does not know, else NULL */
static struct episode *
unfamiliar_ip(struct det *d, struct acct *a, const struct evt *e)
{
	struct episode *ep = acct_ep(a);

	if (ep == NULL || e->addr.family == 0 || acct_familiar(d, a, det_net(&e->addr)))
		return NULL;
	return ep;
}

static void
on_message(struct det *d, struct acct *a, const struct evt *e, const char *key)
{
	struct episode *ep;

	burst_message(d, a, key);
	if ((ep = unfamiliar_ip(d, a, e)) == NULL)
		return;
	ep->last = d->now;
	ep->msgs++;
	ring_add(&ep->ring, ep_slot(d, d->now), RF_MSGS, 1);
	if (e->flags & EVT_HAS_NRCPT) {
		ep->rcpts += e->nrcpt;
		ring_add(&ep->ring, ep_slot(d, d->now), RF_RCPTS, e->nrcpt);
	} else {
		ep->rcpts_from_deliveries = true;
	}
	ep_judge(d, a, key);
}

static void
on_delivery(struct det *d, struct acct *a, const struct evt *e, const char *key)
{
	struct episode *ep;
	uint32_t slot;

	if ((ep = unfamiliar_ip(d, a, e)) == NULL)
		return;
	slot = ep_slot(d, d->now);
	ep->last = d->now;
	if (e->status == EVT_STATUS_SENT) {
		ring_add(&ep->ring, slot, RF_OK, 1);
	} else if (e->status == EVT_STATUS_BOUNCED || e->status == EVT_STATUS_DEFERRED) {
		ring_add(&ep->ring, slot, RF_FAIL, 1);
	}
	if (ep->rcpts_from_deliveries &&
	    (e->status == EVT_STATUS_SENT || e->status == EVT_STATUS_BOUNCED)) {
		ep->rcpts++;
		ring_add(&ep->ring, slot, RF_RCPTS, 1);
	}
	ep_judge(d, a, key);
}

/* ------------------------------------------------------------ backscatter */

static bool
local_delivery(const struct evt *e)
{
	static const char *const local[] = { "lmtp", "local", "virtual", "pipe", "maildrop",
					     "dovecot", "deliver" };
	size_t i;

	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (strcmp(e->service, local[i]) == 0)
			return true;
	return false;
}

static uint32_t
ndr_slot(const struct det *d)
{
	return (uint32_t)(d->now / (d->c.backscatter_window / RING_N));
}

static struct ring *
ndr_ring(struct det *d, struct acct_cold *c)
{
	if (c->ndr == NULL) {
		c->ndr = mem_calloc(1, sizeof(*c->ndr));
		c->ndr->head = ndr_slot(d);
	}
	return c->ndr;
}

static void
on_ndr_delivered(struct det *d, const struct evt *e)
{
	char key[LIMIT_ACCOUNT_MAX];
	uint32_t slot = ndr_slot(d);
	uint32_t got, own;
	struct acct_cold *c;
	struct finding *f;
	struct acct *a;
	struct ring *r;
	size_t klen;

	if (e->recipient[0] == '\0' || strlen(e->recipient) >= LIMIT_ACCOUNT_MAX)
		return;
	evt_account_key(e->recipient, key);
	klen = strlen(key);
	if ((a = acct_get(d, key, klen, htab_hash(key, klen), true)) == NULL)
		return;
	c = acct_cold_get(a);
	r = ndr_ring(d, c);
	if (ring_sum(r, slot, RF_MSGS) == 0)
		c->ndr_first = d->now;
	ring_add(r, slot, RF_MSGS, 1);
	if (c->backscatter != NULL) {
		c->backscatter->ndrs++;
		det_update(d, c->backscatter, d->now);
		return;
	}
	got = ring_sum(r, slot, RF_MSGS);
	own = ring_sum(r, slot, RF_NDR);
	if (got < own || (int64_t)(got - own) < d->c.backscatter_ndrs)
		return;
	f = c->backscatter = det_open(d, FK_BACKSCATTER, c->ndr_first, d->now);
	snprintf(f->account, sizeof(f->account), "%s", key);
	f->ndrs = got;
	f->signals[0] =
		(struct signal_val){ "ndrs_in_window", got, (double)d->c.backscatter_ndrs, 0 };
	f->signals[1] = (struct signal_val){ "caused_by_own_mail", own, 0, 0 };
	f->nsignals = 2;
	det_fire(d, f);
}

static void
on_bounce(struct det *d, struct acct *a, const struct evt *e)
{
	struct episode *ep;

	ring_add(ndr_ring(d, acct_cold_get(a)), ndr_slot(d), RF_NDR, 1);
	if ((ep = unfamiliar_ip(d, a, e)) != NULL)
		ep->ndrs++;
}

/* ------------------------------------------------------------ probing */

static void
on_failure(struct det *d, struct acct *a, const struct evt *e, const char *key)
{
	struct acct_cold *c;
	struct finding *f;
	uint32_t iph;

	if (!a->compromised || e->addr.family == 0 || acct_familiar(d, a, det_net(&e->addr)))
		return;
	c = acct_cold_get(a);
	iph = det_hash32(e->addr.bytes, e->addr.family == 4 ? 4 : 16);
	idset_add(&c->probe_ips, iph);
	if (c->probe != NULL) {
		c->probe->attempts++;
		c->probe->distinct_ips = c->probe_ips.n;
		det_update(d, c->probe, d->now);
		return;
	}
	if (c->probe_n == 0)
		c->probe_first = d->now;
	c->probe_n++;
	if ((int64_t)c->probe_n < d->c.probe_failures)
		return;
	f = c->probe = det_open(d, FK_PROBE, c->probe_first, d->now);
	snprintf(f->account, sizeof(f->account), "%s", key);
	f->attempts = c->probe_n;
	f->distinct_ips = c->probe_ips.n;
	f->signals[0] = (struct signal_val){ "failures_after_compromise", c->probe_n,
					     (double)d->c.probe_failures, 0 };
	f->nsignals = 1;
	det_fire(d, f);
}

/* ------------------------------------------------------------ entry */

static void
explain_line(struct det *d, struct acct *a, const struct evt *e)
{
	char t[32], net[NETADDR_STRLEN + 4];
	struct signal_val sv[SIG_MAX];
	struct buf b;
	double score;
	unsigned i;

	timeconv_format_utc(e->time, t);
	net[0] = '\0';
	if (e->addr.family != 0)
		netaddr_format_net(&e->addr, e->addr.family == 4 ? 16 : 32, net);
	fprintf(d->explain_fp, "%s %-16s %-15s %-18s %s", t, evt_type_name(e->type), e->ip, net,
		e->addr.family == 0 ? "" : acct_familiar(d, a, det_net(&e->addr)) ? "familiar"
										 : "UNFAMILIAR");
	if (e->type == EVT_DELIVERY)
		fprintf(d->explain_fp, " %s", evt_status_name(e->status));
	if (e->mech[0] != '\0')
		fprintf(d->explain_fp, " %s", e->mech);
	fputc('\n', d->explain_fp);
	if (acct_ep(a) == NULL)
		return;
	score = signals(d, a, sv);
	buf_init(&b, 0);
	buf_printf(&b, "    score %.2f%s:", score, a->cold->ep->inc ? " (compromise open)" : "");
	for (i = 0; i < SIG_MAX; i++)
		if (sv[i].value > 0)
			buf_printf(&b, " %s=%.4g/%.4g(+%.2f)", sv[i].name, sv[i].value,
				   sv[i].threshold, sv[i].points);
	buf_append(&b, "", 1);
	if (strcmp(b.data, d->explain_last) != 0) {
		fprintf(d->explain_fp, "%s\n", b.data);
		snprintf(d->explain_last, sizeof(d->explain_last), "%s", b.data);
	}
	buf_release(&b);
}

void
acct_event(struct det *d, const struct evt *e, const char *key)
{
	struct acct *a;
	bool create = e->type == EVT_AUTH_SUCCESS || e->type == EVT_MESSAGE_ACCEPTED;
	uint64_t hash = 0;
	size_t klen = 0;

	if (e->type == EVT_DELIVERY && (e->flags & EVT_HAS_SENDER) && e->sender[0] == '\0' &&
	    e->status == EVT_STATUS_SENT && local_delivery(e))
		on_ndr_delivered(d, e);
	if (key != NULL) {
		klen = strlen(key);
		hash = htab_hash(key, klen);
	}
	if (key == NULL || (a = acct_get(d, key, klen, hash, create)) == NULL) {
		ip_event(d, e, key, hash, NULL);
		return;
	}
	a->last_seen = d->now;
	switch (e->type) {
	case EVT_AUTH_SUCCESS:
		if (e->addr.family != 0)
			on_login(d, a, e, key);
		break;
	case EVT_AUTH_FAILURE:
		on_failure(d, a, e, key);
		break;
	case EVT_MESSAGE_ACCEPTED:
		on_message(d, a, e, key);
		break;
	case EVT_DELIVERY:
		on_delivery(d, a, e, key);
		break;
	case EVT_BOUNCE:
		on_bounce(d, a, e);
		break;
	default:
		break;
	}
	ip_event(d, e, key, hash, a);
	if (d->explain_fp != NULL && strcmp(key, d->explain) == 0)
		explain_line(d, a, e);
}

/* Close what has been quiet for incident_idle, end quiet episodes. The
 * cold part goes once all it holds is what a new one would: nothing open,
 * no probe count, the spread brute-force window over (account_brute starts
 * a new one), the NDR ring older than its RING_N slots (ring_add and
 * ring_sum would clear it: ndr_first is set again at the next NDR). */
bool
acct_sweep(struct det *d, struct acct *a, bool all)
{
	struct acct_cold *c = a->cold;
	struct finding **fs[3];
	size_t i;

	if (c == NULL)
		return true;
	fs[0] = &c->burst;
	fs[1] = &c->probe;
	fs[2] = &c->backscatter;
	for (i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if (*fs[i] != NULL &&
		    (all || (int64_t)(*fs[i])->last_evidence + d->c.incident_idle <= d->now)) {
			det_close(d, *fs[i]);
			*fs[i] = NULL;
		}
	if (c->probe == NULL && c->probe_n > 0 &&
	    (int64_t)c->probe_first + d->c.incident_idle <= (int64_t)d->now) {
		c->probe_n = 0;
		idset_free(&c->probe_ips);
	}
	if (c->ep != NULL) {
		if (c->ep->inc != NULL &&
		    (all || (int64_t)c->ep->inc->last_evidence + d->c.incident_idle <= d->now)) {
			det_close(d, c->ep->inc);
			c->ep->inc = NULL;
		}
		if (c->ep->inc == NULL && (int64_t)c->ep->last + d->c.window <= (int64_t)d->now)
			ep_free(&c->ep);
	}
	if (c->ndr != NULL && (uint64_t)ndr_slot(d) >= (uint64_t)c->ndr->head + RING_N) {
		free(c->ndr);
		c->ndr = NULL;
	}
	if (c->ep != NULL || c->burst != NULL || c->probe != NULL || c->backscatter != NULL)
		return false;
	if (c->ndr == NULL && c->probe_n == 0 && c->probe_ips.n == 0 &&
	    (c->bf_fails == 0 ||
	     (int64_t)c->bf_start + d->c.brute_account_window <= (int64_t)d->now))
		acct_cold_free(a);
	return true;
}
