/* corr.c - join the lines of one message into whole events */
#include "correlate/corr.h"

#include <stdio.h>
#include <string.h>

#include "util/htab.h"
#include "util/mem.h"

/* What we remember of a message until its end is logged. Strings are
 * allocated to size: a million queued messages must not cost a gigabyte. */
struct corr_msg {
	size_t klen;
	int64_t time;		/* first seen */
	char *account, *ip, *mech, *sender;
	struct netaddr addr;
	bool accepted;		/* its message_accepted has been passed on */
	struct corr_msg *prev, *next;	/* age list, oldest first */
	char key[];		/* copy of the table key, for eviction */
};

/* A qmail delivery attempt, until its outcome is logged. */
struct corr_dlv {
	char qid[LIMIT_QID_MAX];
	char recipient[LIMIT_ADDR_MAX];
	char service[LIMIT_SERVICE_MAX];	/* qmail channel: "local" or "remote" */
	int64_t time;
};

/* The last SMTP login of an account, for qmail attribution. */
struct corr_auth {
	int64_t time;
	char ip[NETADDR_STRLEN];
	struct netaddr addr;
	char mech[LIMIT_MECH_MAX];
};

/* Failed password checks logged by an authentication back end (Dovecot's
 * auth process), not yet repeated by the front end that served the client. */
struct corr_pend {
	int64_t time;
	uint32_t n;
	char account[LIMIT_ACCOUNT_MAX];
};

struct corr {
	struct htab *msgs, *dlvs, *auths, *pend;
	struct corr_msg *oldest, *newest;
	struct corr_stats st;
	int64_t last_sweep;
};

struct corr *
corr_new(void)
{
	struct corr *c = mem_calloc(1, sizeof(*c));

	/* Nobody walks these tables in an order that shows: the faster hash. */
	c->msgs = htab_new_words();
	c->dlvs = htab_new_words();
	c->auths = htab_new_words();
	c->pend = htab_new_words();
	return c;
}

static void
corr_msg_free(void *p)
{
	struct corr_msg *m = p;

	if (m == NULL)
		return;
	mem_free(m->account);
	mem_free(m->ip);
	mem_free(m->mech);
	mem_free(m->sender);
	mem_free(m);
}

void
corr_free(struct corr **cp)
{
	struct corr *c = *cp;

	if (c == NULL)
		return;
	htab_free(&c->msgs, corr_msg_free);
	htab_free(&c->dlvs, mem_free);
	htab_free(&c->auths, mem_free);
	htab_free(&c->pend, mem_free);
	mem_free(c);
	*cp = NULL;
}

void
corr_get_stats(const struct corr *c, struct corr_stats *st)
{
	*st = c->st;
	st->messages = htab_count(c->msgs);
}

/* Table key: source, host and id, so two servers' queue ids never meet. */
static size_t
corr_key(const struct evt *e, char tag, const char *id, char *key, size_t keysize)
{
	const char *part[3] = { e->source ? e->source : "", e->host, id };
	size_t n = 1, i, l;

	key[0] = tag;
	for (i = 0; i < 3; i++) {	/* tag source|host|id, built per event: no printf */
		l = strlen(part[i]);
		if (n + l + 2 > keysize)
			return 0;
		memcpy(key + n, part[i], l);
		n += l;
		key[n++] = i < 2 ? '|' : '\0';
	}
	return n - 1;
}

static void
corr_unlink(struct corr *c, struct corr_msg *m)
{
	if (m->prev != NULL)
		m->prev->next = m->next;
	else
		c->oldest = m->next;
	if (m->next != NULL)
		m->next->prev = m->prev;
	else
		c->newest = m->prev;
	m->prev = m->next = NULL;
}

static void
corr_forget(struct corr *c, struct corr_msg *m)
{
	corr_unlink(c, m);
	htab_del(c->msgs, m->key, m->klen);
	corr_msg_free(m);
}

static void
corr_evict(struct corr *c, int64_t now)
{
	while (c->oldest != NULL &&
	       (htab_count(c->msgs) > LIMIT_CORR_MESSAGES ||
		c->oldest->time < now - LIMIT_CORR_AGE_SECONDS)) {
		corr_forget(c, c->oldest);
		c->st.evicted++;
	}
	/* Delivery links and logins age out with the same clock, swept rarely. */
	if (now - c->last_sweep > 3600) {
		size_t pos = 0;
		const char *k;
		size_t kl;
		void *v;

		c->last_sweep = now;
		while (htab_next(c->dlvs, &pos, &k, &kl, &v)) {
			if (((struct corr_dlv *)v)->time < now - LIMIT_CORR_AGE_SECONDS) {
				mem_free(htab_del(c->dlvs, k, kl));
				pos = 0;	/* deletion reorders slots: rescan */
			}
		}
		pos = 0;
		while (htab_next(c->auths, &pos, &k, &kl, &v)) {
			if (((struct corr_auth *)v)->time < now - CORR_QMAIL_AUTH_WINDOW) {
				mem_free(htab_del(c->auths, k, kl));
				pos = 0;
			}
		}
		pos = 0;
		while (htab_next(c->pend, &pos, &k, &kl, &v)) {
			if (((struct corr_pend *)v)->time < now - CORR_REPEAT_WINDOW) {
				mem_free(htab_del(c->pend, k, kl));
				pos = 0;
			}
		}
	}
}

static struct corr_msg *
corr_msg_get(struct corr *c, const struct evt *e, const char *qid, bool create)
{
	char key[LIMIT_QID_MAX + LIMIT_HOST_MAX + 40];
	size_t klen = corr_key(e, 'm', qid, key, sizeof(key));
	struct corr_msg *m;
	bool created;
	void **slot;

	if (klen == 0)
		return NULL;
	if (!create)
		return htab_get(c->msgs, key, klen);
	if ((slot = htab_put(c->msgs, key, klen, &created)) == NULL)
		return NULL;
	if (!created)
		return *slot;
	m = mem_calloc(1, sizeof(*m) + klen + 1);	/* one allocation with its key */
	memcpy(m->key, key, klen);
	m->klen = klen;
	m->time = e->time;
	*slot = m;
	m->prev = c->newest;
	if (c->newest != NULL)
		c->newest->next = m;
	else
		c->oldest = m;
	c->newest = m;
	return m;
}

static void
corr_set_str(char **dst, const char *src)
{
	if (src[0] == '\0')
		return;
	/* The same value again (qmgr's line repeats what the message
	 * already knows): keep the copy. */
	if (*dst != NULL && strcmp(*dst, src) == 0)
		return;
	mem_free(*dst);
	*dst = mem_strdup(src);
}

/* Remember what e tells about its message. */
static void
corr_learn(struct corr_msg *m, const struct evt *e)
{
	corr_set_str(&m->account, e->account);
	if (e->ip[0] != '\0') {
		corr_set_str(&m->ip, e->ip);
		m->addr = e->addr;
	}
	corr_set_str(&m->mech, e->mech);
	if ((e->flags & EVT_HAS_SENDER) && (m->sender == NULL || strcmp(m->sender, e->sender) != 0)) {
		mem_free(m->sender);
		m->sender = mem_strdup(e->sender);
	}
}

/* Fill what e lacks from its message; true if anything was added. */
static bool
corr_fill(const struct corr_msg *m, struct evt *e)
{
	bool added = false;

	if (e->account[0] == '\0' && m->account != NULL) {
		evt_set(e->account, sizeof(e->account), strv_cstr(m->account));
		added = true;
	}
	if (e->ip[0] == '\0' && m->ip != NULL) {
		evt_set(e->ip, sizeof(e->ip), strv_cstr(m->ip));
		e->addr = m->addr;
		added = true;
	}
	if (e->mech[0] == '\0' && m->mech != NULL)
		evt_set(e->mech, sizeof(e->mech), strv_cstr(m->mech));
	if (!(e->flags & EVT_HAS_SENDER) && m->sender != NULL) {
		evt_set(e->sender, sizeof(e->sender), strv_cstr(m->sender));
		e->flags |= EVT_HAS_SENDER;
		added = true;
	}
	return added;
}

static bool
corr_smtp_service(const char *service)
{
	if (service[0] != 's')	/* imap, pop3, ... */
		return false;
	return strcmp(service, "smtp") == 0 || strcmp(service, "submission") == 0 ||
	       strcmp(service, "smtps") == 0;
}

static void
corr_note_auth(struct corr *c, const struct evt *e)
{
	char key[LIMIT_ACCOUNT_MAX + LIMIT_HOST_MAX + 4], acct[LIMIT_ACCOUNT_MAX];
	struct corr_auth *a;
	size_t klen;
	void **slot;

	evt_account_key(e->account, acct);
	klen = corr_key(e, 'a', acct, key, sizeof(key));
	if (klen == 0 || (slot = htab_put(c->auths, key, klen, NULL)) == NULL)
		return;
	if ((a = *slot) == NULL)
		a = *slot = mem_calloc(1, sizeof(*a));
	a->time = e->time;
	memcpy(a->ip, e->ip, sizeof(a->ip));
	a->addr = e->addr;
	memcpy(a->mech, e->mech, sizeof(a->mech));
}

/* qmail: attribute a message to the account that just logged in with its
 * envelope sender. The login's "source" is vpopmail, so look it up under
 * that name. */
static void
corr_qmail_attribute(struct corr *c, struct evt *e)
{
	char key[LIMIT_ACCOUNT_MAX + LIMIT_HOST_MAX + 4], acct[LIMIT_ACCOUNT_MAX];
	struct evt probe;
	struct corr_auth *a;
	size_t klen;

	if (e->account[0] != '\0' || !(e->flags & EVT_HAS_SENDER) || e->sender[0] == '\0')
		return;
	evt_account_key(e->sender, acct);
	probe.source = "vpopmail";
	memcpy(probe.host, e->host, sizeof(probe.host));
	klen = corr_key(&probe, 'a', acct, key, sizeof(key));
	if (klen == 0 || (a = htab_get(c->auths, key, klen)) == NULL)
		return;
	if (e->time < a->time || e->time - a->time > CORR_QMAIL_AUTH_WINDOW)
		return;
	evt_set(e->account, sizeof(e->account), strv_cstr(e->sender));
	if (e->ip[0] == '\0') {
		memcpy(e->ip, a->ip, sizeof(e->ip));
		e->addr = a->addr;
	}
	if (e->mech[0] == '\0')
		memcpy(e->mech, a->mech, sizeof(e->mech));
}

static void
corr_link_delivery(struct corr *c, const struct evt *e)
{
	char key[LIMIT_QID_MAX + LIMIT_HOST_MAX + 40];
	size_t klen = corr_key(e, 'd', e->dlv, key, sizeof(key));
	struct corr_dlv *d;
	void **slot;

	if (klen == 0 || (slot = htab_put(c->dlvs, key, klen, NULL)) == NULL)
		return;
	if ((d = *slot) == NULL)
		d = *slot = mem_calloc(1, sizeof(*d));
	memcpy(d->qid, e->qid, sizeof(d->qid));
	memcpy(d->recipient, e->recipient, sizeof(d->recipient));
	memcpy(d->service, e->service, sizeof(d->service));
	d->time = e->time;
}

/* A qmail delivery outcome names only its delivery number. */
static void
corr_resolve_delivery(struct corr *c, struct evt *e)
{
	char key[LIMIT_QID_MAX + LIMIT_HOST_MAX + 40];
	size_t klen = corr_key(e, 'd', e->dlv, key, sizeof(key));
	struct corr_dlv *d;

	if (klen == 0 || (d = htab_get(c->dlvs, key, klen)) == NULL)
		return;
	if (e->qid[0] == '\0')
		memcpy(e->qid, d->qid, sizeof(e->qid));
	if (e->recipient[0] == '\0')
		memcpy(e->recipient, d->recipient, sizeof(e->recipient));
	if (e->service[0] == '\0')
		memcpy(e->service, d->service, sizeof(e->service));
	/* Each qmail delivery number is one attempt: its outcome ends it. */
	mem_free(htab_del(c->dlvs, key, klen));
}

/* Dovecot's auth process answers for every front end (its own login
 * processes, Postfix SASL); its lines carry no service. */
static bool
corr_auth_backend(const struct evt *e)
{
	return e->source != NULL && strcmp(e->source, "dovecot") == 0 && e->service[0] == '\0';
}

static void
corr_auth_failure(struct corr *c, struct evt *e)
{
	char key[NETADDR_STRLEN + LIMIT_HOST_MAX + 8], acct[LIMIT_ACCOUNT_MAX],
		pacct[LIMIT_ACCOUNT_MAX];
	struct evt probe;
	struct corr_pend *p;
	uint32_t n;
	size_t klen;
	void **slot;

	if (e->ip[0] == '\0')
		return;
	/* Key on host and client only: the front end's line may name no user. */
	probe.source = "";
	memcpy(probe.host, e->host, sizeof(probe.host));
	if ((klen = corr_key(&probe, 'p', e->ip, key, sizeof(key))) == 0)
		return;
	evt_account_key(e->account, acct);
	if (corr_auth_backend(e)) {
		if ((slot = htab_put(c->pend, key, klen, NULL)) == NULL)
			return;
		if ((p = *slot) == NULL)
			p = *slot = mem_calloc(1, sizeof(*p));
		evt_account_key(p->account, pacct);
		if (e->time - p->time > CORR_REPEAT_WINDOW || strcmp(pacct, acct) != 0)
			p->n = 0;
		p->time = e->time;
		memcpy(p->account, e->account, sizeof(p->account));
		if (p->n < UINT32_MAX)
			p->n++;
		return;
	}
	if ((p = htab_get(c->pend, key, klen)) == NULL)
		return;
	n = (e->flags & EVT_HAS_ATTEMPTS) && e->attempts > 0 ? e->attempts : 1;
	evt_account_key(p->account, pacct);
	if (e->time - p->time > CORR_REPEAT_WINDOW ||
	    (acct[0] != '\0' && strcmp(pacct, acct) != 0) || p->n < n) {
		mem_free(htab_del(c->pend, key, klen));
		return;
	}
	e->flags |= EVT_REPEAT;
	if (e->account[0] == '\0')
		evt_set(e->account, sizeof(e->account), strv_cstr(p->account));
	p->n -= n;
	c->st.joined++;
}

bool
corr_event(struct corr *c, struct evt *e)
{
	struct corr_msg *m;

	corr_evict(c, e->time);
	switch (e->type) {
	case EVT_LINK_DELIVERY:
		corr_link_delivery(c, e);
		return false;
	case EVT_MSG_DONE:
		if (e->qid[0] != '\0' && (m = corr_msg_get(c, e, e->qid, false)) != NULL)
			corr_forget(c, m);
		return false;
	case EVT_MSG_CLIENT:
		if (e->qid[0] != '\0' && (m = corr_msg_get(c, e, e->qid, true)) != NULL)
			corr_learn(m, e);
		return false;
	case EVT_AUTH_SUCCESS:
		if (e->account[0] != '\0' && corr_smtp_service(e->service))
			corr_note_auth(c, e);
		if (e->qid[0] != '\0' && (m = corr_msg_get(c, e, e->qid, true)) != NULL)
			corr_learn(m, e);
		return true;
	case EVT_AUTH_FAILURE:
		corr_auth_failure(c, e);
		return true;
	case EVT_MESSAGE_ACCEPTED:
		if (e->source != NULL && strcmp(e->source, "qmail") == 0)
			corr_qmail_attribute(c, e);
		if (e->qid[0] == '\0')
			return true;
		if ((m = corr_msg_get(c, e, e->qid, true)) != NULL) {
			if (corr_fill(m, e))
				c->st.joined++;
			corr_learn(m, e);
			/* Postfix's qmgr logs "from=..., nrcpt=N (queue active)"
			 * again each time a deferred message is retried. */
			if (m->accepted)
				e->flags |= EVT_REPEAT;
			m->accepted = true;
		}
		return true;
	case EVT_DELIVERY:
	case EVT_BOUNCE:
		if (e->dlv[0] != '\0')
			corr_resolve_delivery(c, e);
		if (e->qid[0] != '\0' && (m = corr_msg_get(c, e, e->qid, false)) != NULL &&
		    corr_fill(m, e))
			c->st.joined++;
		return true;
	default:
		return evt_is_public(e);
	}
}
