/* fleet.c - the Redis side of fleet mode (fleet.h): three asynchronous
 *           connections on the daemon's loop, the event stream, locks,
 *           claims, and what happens while Redis is away
 * SUMMARY  cmd  XADD of events (pipelined, never awaited by the caller),
 *               locks (HSET/HDEL + PUBLISH), claims (SET NX EX), PING;
 *          sub  SUBSCRIBE to the lock channel;
 *          rd   XREAD BLOCK over the stream, feeding cb->event.
 *          Own events come back through the stream like everyone's; an
 *          entry carries this run's nonce and a sequence number, so the
 *          events this instance fed its detectors itself during an outage
 *          are not fed twice. Locks are reconciled at each (re)connect:
 *          queued changes first, then the locks hash is the truth, except
 *          for local locks newer than the last sync (made while away),
 *          which are sent. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "fleet/fleet.h"
#include "fleet/fleet_codec.h"
#include "util/buf.h"
#include "util/htab.h"
#include "util/mem.h"
#include "util/msg.h"

#define TICK_MS 250
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define BLOCK_MS "1000"
#define ID_MAX 48

struct fl_msg {
	char *json;
	size_t len;
	uint64_t seq;
	int64_t sent_ms;
	bool written;		/* XADD answered */
};

/* A bounded FIFO of messages. */
struct fl_q {
	struct fl_msg *v;
	size_t head, n, cap, max;
};

struct fl_op {
	struct fl_op *next;
	bool lock;
	char account[FLEET_ACCOUNT_MAX];
	int64_t since;
	uint64_t incident;
	char reason[256];
};

enum { CTX_CMD, CTX_SUB, CTX_RD, CTX_N };

struct fleet {
	struct event_base *base;
	struct fleet_conf c;
	struct fleet_addr a;
	struct fleet_cb cb;
	redisAsyncContext *ctx[CTX_N];
	unsigned connected;	/* contexts whose connect callback said OK */
	bool connecting, up, syncing, reading, started, replaying, said_down, closing;
	char nonce[24];
	char stream[160], locks[160], unlocked[160], chan[160], claim[160];
	struct htab *remote;	/* during a sync: accounts locked in Redis */
	char last_id[ID_MAX], target_id[ID_MAX];
	uint64_t seq, local_fed_seq;
	struct fl_q backlog, unacked;
	struct fl_op *ops, **ops_tail;
	struct event *timer, *ev_down;
	int64_t backoff_ms, next_try_ms, connect_ms, ping_sent_ms, down_since_ms;
	bool ping_out;
	char down_why[160];
	struct fleet_stats st;
};

static int64_t
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ------------------------------------------------------------ queues */

static void
q_init(struct fl_q *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	q->max = max;
}

static struct fl_msg *
q_at(struct fl_q *q, size_t i)
{
	return &q->v[(q->head + i) % q->cap];
}

/* Append; when full, the oldest is dropped (returned true). */
static bool
q_push(struct fl_q *q, struct fl_msg m)
{
	bool dropped = false;

	if (q->n == q->max) {
		free(q_at(q, 0)->json);
		q->head = (q->head + 1) % q->cap;
		q->n--;
		dropped = true;
	}
	if (q->n == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 64, i;
		struct fl_msg *nv = mem_reallocarray(NULL, ncap, sizeof(*nv));

		for (i = 0; i < q->n; i++)
			nv[i] = *q_at(q, i);
		free(q->v);
		q->v = nv;
		q->cap = ncap;
		q->head = 0;
	}
	*q_at(q, q->n++) = m;
	return dropped;
}

static struct fl_msg
q_pop(struct fl_q *q)
{
	struct fl_msg m = *q_at(q, 0);

	q->head = (q->head + 1) % q->cap;
	q->n--;
	return m;
}

static void
q_free(struct fl_q *q)
{
	while (q->n > 0)
		free(q_pop(q).json);
	free(q->v);
	q->v = NULL;
	q->cap = 0;
}

/* ------------------------------------------------------------ helpers */

/* Stream ids "MS-SEQ": -1, 0, 1 as a < b. */
static int
id_cmp(const char *a, const char *b)
{
	unsigned long long a1 = 0, a2 = 0, b1 = 0, b2 = 0;

	sscanf(a, "%llu-%llu", &a1, &a2);
	sscanf(b, "%llu-%llu", &b1, &b2);
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	return a2 < b2 ? -1 : a2 > b2;
}

static bool
clean_field(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || n >= max)
			return false;
	return true;
}

static void go_down(struct fleet *f, const char *why);

static bool
reply_ok(struct fleet *f, redisAsyncContext *ac, const redisReply *r, const char *what)
{
	(void)ac;
	if (r == NULL)
		return false;	/* disconnected or freed */
	if (r->type == REDIS_REPLY_ERROR) {
		char why[160];

		snprintf(why, sizeof(why), "%s: %.100s", what, r->str);
		go_down(f, why);
		return false;
	}
	return true;
}

static int
cmd(struct fleet *f, int which, redisCallbackFn *fn, void *priv, int argc, const char **argv,
    const size_t *lens)
{
	if (f->ctx[which] == NULL)
		return -1;
	return redisAsyncCommandArgv(f->ctx[which], fn, priv, argc, argv, lens) == REDIS_OK ? 0 : -1;
}

/* ------------------------------------------------------------ down and up */

static void
on_down(evutil_socket_t fd, short what, void *arg)
{
	struct fleet *f = arg;
	bool was = f->up || f->connecting || f->syncing;
	int i;

	(void)fd;
	(void)what;
	f->up = f->connecting = f->syncing = f->reading = false;
	f->ping_out = false;
	for (i = 0; i < CTX_N; i++) {
		redisAsyncContext *ac = f->ctx[i];

		f->ctx[i] = NULL;
		if (ac != NULL)
			redisAsyncFree(ac);
	}
	f->connected = 0;
	if (!was)
		return;	/* a late callback of an outage already handled */
	if (!f->said_down) {
		f->st.outages++;
		msg_warn("redis: %s; deciding alone meanwhile, and queuing events and lock changes "
			 "for the fleet",
			 f->down_why);
		f->said_down = true;
		f->down_since_ms = now_ms();
	}
	/* Sent but not read back: feed them here now, and send again those
	 * Redis never confirmed. */
	while (f->unacked.n > 0) {
		struct fl_msg m = q_pop(&f->unacked);
		struct evt e;
		char err[128];

		if (fleet_evt_decode(m.json, m.len, &e, err, sizeof(err)) == 0) {
			f->cb.event(f->cb.arg, &e, false);
			f->st.events_local++;
		}
		if (m.seq > f->local_fed_seq)
			f->local_fed_seq = m.seq;
		if (m.written)
			free(m.json);
		else if (q_push(&f->backlog, m))
			f->st.backlog_dropped++;
	}
	f->next_try_ms = now_ms() + f->backoff_ms;
	f->backoff_ms = f->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : f->backoff_ms * 2;
}

/* Leave the connections; the work is done outside hiredis's callbacks. */
static void
go_down(struct fleet *f, const char *why)
{
	if (f->closing)
		return;
	if (why != NULL && f->down_why[0] == '\0')
		snprintf(f->down_why, sizeof(f->down_why), "%s", why);
	event_active(f->ev_down, 0, 0);
}

static void connect_all(struct fleet *f);

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct fleet *f = ac->data;
	int i;

	if (f == NULL)
		return;
	if (status != REDIS_OK) {
		for (i = 0; i < CTX_N; i++)
			if (f->ctx[i] == ac)
				f->ctx[i] = NULL;	/* hiredis frees it */
		go_down(f, ac->errstr[0] ? ac->errstr : "cannot connect");
		return;
	}
	f->connected++;
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct fleet *f = ac->data;
	int i;

	(void)status;
	if (f == NULL)
		return;
	for (i = 0; i < CTX_N; i++)
		if (f->ctx[i] == ac)
			f->ctx[i] = NULL;
	go_down(f, ac->errstr[0] ? ac->errstr : "connection closed");
}

/* ------------------------------------------------------------ the stream */

static void read_more(struct fleet *f);

static void
feed_entry(struct fleet *f, const redisReply *ent)
{
	const redisReply *kv;
	const char *run = NULL, *json = NULL;
	size_t jlen = 0, i;
	uint64_t seq = 0;
	struct evt e;
	char err[128];

	if (ent->type != REDIS_REPLY_ARRAY || ent->elements != 2 ||
	    ent->element[0]->type != REDIS_REPLY_STRING ||
	    ent->element[1]->type != REDIS_REPLY_ARRAY)
		return;
	snprintf(f->last_id, sizeof(f->last_id), "%.*s", (int)ent->element[0]->len,
		 ent->element[0]->str);
	if (f->replaying && id_cmp(f->last_id, f->target_id) > 0) {
		f->replaying = false;
		msg_info("redis: the fleet's recent events are replayed; now live");
	}
	kv = ent->element[1];
	for (i = 0; i + 1 < kv->elements; i += 2) {
		const redisReply *k = kv->element[i], *v = kv->element[i + 1];

		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(k->str, "r") == 0)
			run = v->str;
		else if (strcmp(k->str, "s") == 0)
			seq = strtoull(v->str, NULL, 10);
		else if (strcmp(k->str, "e") == 0) {
			json = v->str;
			jlen = v->len;
		}
	}
	if (json == NULL)
		return;
	if (run != NULL && strcmp(run, f->nonce) == 0) {
		/* one of ours: read back; skip it if we fed it ourselves */
		while (f->unacked.n > 0 && q_at(&f->unacked, 0)->seq <= seq)
			free(q_pop(&f->unacked).json);
		if (seq <= f->local_fed_seq)
			return;
	}
	if (fleet_evt_decode(json, jlen, &e, err, sizeof(err)) < 0) {
		if (f->st.decode_errors++ == 0)
			msg_warn("redis: a stream entry is not an event (%s); skipped", err);
		return;
	}
	f->st.events_read++;
	f->cb.event(f->cb.arg, &e, f->replaying);
}

static void
on_read(redisAsyncContext *ac, void *reply, void *priv)
{
	struct fleet *f = priv;
	const redisReply *r = reply;
	size_t i, j;

	if (!reply_ok(f, ac, r, "XREAD"))
		return;
	if (r->type == REDIS_REPLY_ARRAY) {
		for (i = 0; i < r->elements; i++) {
			const redisReply *s = r->element[i];

			if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
			    s->element[1]->type != REDIS_REPLY_ARRAY)
				continue;
			for (j = 0; j < s->element[1]->elements; j++)
				feed_entry(f, s->element[1]->element[j]);
		}
	}
	if (f->replaying && r->type == REDIS_REPLY_NIL) {
		f->replaying = false;	/* nothing newer came: caught up */
		msg_info("redis: the fleet's recent events are replayed; now live");
	}
	read_more(f);
}

static void
read_more(struct fleet *f)
{
	const char *argv[] = { "XREAD", "COUNT", "1000", "BLOCK", BLOCK_MS, "STREAMS", f->stream,
			       f->last_id };

	f->reading = cmd(f, CTX_RD, on_read, f, 8, argv, NULL) == 0;
}

static void
on_xadd(redisAsyncContext *ac, void *reply, void *priv)
{
	struct fleet *f = ac->data;
	uint64_t seq = (uint64_t)(uintptr_t)priv;
	size_t i;

	if (f == NULL || reply == NULL)
		return;
	if (!reply_ok(f, ac, reply, "XADD"))
		return;
	for (i = 0; i < f->unacked.n; i++)
		if (q_at(&f->unacked, i)->seq == seq) {
			q_at(&f->unacked, i)->written = true;
			break;
		}
}

/* XADD one message; it waits in unacked until read back. false: it could
 * not be sent and waits in the backlog. */
static bool
send_msg(struct fleet *f, struct fl_msg m)
{
	char seqs[24], maxs[24];
	const char *argv[] = { "XADD", f->stream, "MAXLEN", "~", maxs, "*", "r", f->nonce,
			       "s", seqs, "e", m.json };
	size_t lens[12];
	int i;

	snprintf(seqs, sizeof(seqs), "%" PRIu64, m.seq);
	snprintf(maxs, sizeof(maxs), "%" PRId64, f->c.stream_max);
	for (i = 0; i < 11; i++)
		lens[i] = strlen(argv[i]);
	lens[11] = m.len;
	m.sent_ms = now_ms();
	m.written = false;
	if (cmd(f, CTX_CMD, on_xadd, (void *)(uintptr_t)m.seq, 12, argv, lens) < 0) {
		if (q_push(&f->backlog, m))
			f->st.backlog_dropped++;
		return false;
	}
	f->st.events_sent++;
	if (q_push(&f->unacked, m))
		f->st.backlog_dropped++;
	return true;
}

bool
fleet_event(struct fleet *f, const struct evt *e)
{
	struct buf b;
	struct fl_msg m;

	buf_init(&b, 64 * 1024);
	if (fleet_evt_encode(e, &b) < 0 || b.len == 0) {
		buf_release(&b);
		return false;
	}
	memset(&m, 0, sizeof(m));
	m.len = b.len;
	m.json = mem_alloc(b.len + 1);
	memcpy(m.json, b.data, b.len);
	m.json[b.len] = '\0';
	buf_release(&b);
	m.seq = ++f->seq;
	if (!f->up) {
		/* fed here by the caller; the others get it when Redis is back */
		f->local_fed_seq = m.seq;
		f->st.events_local++;
		if (q_push(&f->backlog, m))
			f->st.backlog_dropped++;
		return false;
	}
	if (send_msg(f, m))
		return true;
	/* the connection just went: the caller feeds it after all */
	f->local_fed_seq = m.seq;
	f->st.events_local++;
	return false;
}

/* ------------------------------------------------------------ locks */

static void
on_sub(redisAsyncContext *ac, void *reply, void *priv)
{
	struct fleet *f = priv;
	const redisReply *r = reply;
	char buf[1024], *fld[6], *p, *save = NULL;
	int n = 0;

	if (!reply_ok(f, ac, r, "SUBSCRIBE") || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "message") != 0 ||
	    r->element[2]->type != REDIS_REPLY_STRING || r->element[2]->len >= sizeof(buf))
		return;
	memcpy(buf, r->element[2]->str, r->element[2]->len);
	buf[r->element[2]->len] = '\0';
	for (p = strtok_r(buf, "\t", &save); p != NULL && n < 6; p = strtok_r(NULL, "\t", &save))
		fld[n++] = p;
	/* L account by since incident reason | U account by */
	if (n < 3 || strcmp(fld[2], f->c.instance) == 0 ||
	    !clean_field(fld[1], FLEET_ACCOUNT_MAX - 1))
		return;
	if (strcmp(fld[0], "L") == 0 && n == 6) {
		f->st.locks_received++;
		f->cb.lock(f->cb.arg, fld[1], fld[2], strtoll(fld[3], NULL, 10),
			   strtoull(fld[4], NULL, 10), fld[5]);
	} else if (strcmp(fld[0], "U") == 0) {
		f->st.locks_received++;
		f->cb.unlock(f->cb.arg, fld[1], fld[2]);
	}
}

static void
on_ignore(redisAsyncContext *ac, void *reply, void *priv)
{
	struct fleet *f = ac->data;

	if (f != NULL)
		reply_ok(f, ac, reply, priv);
}

static void
send_op(struct fleet *f, const struct fl_op *o)
{
	char val[600], msg[FLEET_ACCOUNT_MAX + 620], since[24], inc[24];

	snprintf(since, sizeof(since), "%" PRId64, o->since);
	snprintf(inc, sizeof(inc), "%" PRIu64, o->incident);
	if (o->lock) {
		const char *hset[] = { "HSET", f->locks, o->account, val };
		const char *pub[] = { "PUBLISH", f->chan, msg };

		snprintf(val, sizeof(val), "%s\t%s\t%s\t%s", f->c.instance, since, inc, o->reason);
		snprintf(msg, sizeof(msg), "L\t%s\t%s", o->account, val);
		cmd(f, CTX_CMD, on_ignore, "HSET", 4, hset, NULL);
		cmd(f, CTX_CMD, on_ignore, "PUBLISH", 3, pub, NULL);
	} else {
		const char *hdel[] = { "HDEL", f->locks, o->account };
		const char *hset[] = { "HSET", f->unlocked, o->account, since };
		const char *pub[] = { "PUBLISH", f->chan, msg };

		snprintf(msg, sizeof(msg), "U\t%s\t%s", o->account, f->c.instance);
		cmd(f, CTX_CMD, on_ignore, "HDEL", 3, hdel, NULL);
		cmd(f, CTX_CMD, on_ignore, "HSET", 4, hset, NULL);
		cmd(f, CTX_CMD, on_ignore, "PUBLISH", 3, pub, NULL);
	}
	f->st.locks_sent++;
}

static void
lock_op(struct fleet *f, bool lock, const char *account, int64_t since, uint64_t incident,
	const char *reason)
{
	struct fl_op o;
	char *p;

	memset(&o, 0, sizeof(o));
	o.lock = lock;
	if (!clean_field(account, sizeof(o.account) - 1))
		return;
	snprintf(o.account, sizeof(o.account), "%s", account);
	o.since = since;
	o.incident = incident;
	snprintf(o.reason, sizeof(o.reason), "%s", reason ? reason : "");
	for (p = o.reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (f->up) {
		send_op(f, &o);
		return;
	}
	{
		struct fl_op *q = mem_alloc(sizeof(*q));

		*q = o;
		q->next = NULL;
		*f->ops_tail = q;
		f->ops_tail = &q->next;
	}
}

void
fleet_lock(struct fleet *f, const char *account, int64_t since, uint64_t incident,
	   const char *reason)
{
	lock_op(f, true, account, since, incident, reason);
}

void
fleet_unlock(struct fleet *f, const char *account)
{
	lock_op(f, false, account, time(NULL), 0, NULL);
}

/* ------------------------------------------------------------ reconcile */

/* A lock here that Redis does not have was made here while Redis was away
 * (or Redis lost it), or was unlocked elsewhere after it was made. Redis
 * decides, atomically against a concurrent unlock: the lock is sent
 * unless the account's last unlock is as new as the lock. */
static const char recon_lua[] =
	"local t = redis.call('HGET', KEYS[2], ARGV[1]) "
	"if t and tonumber(t) >= tonumber(ARGV[2]) then return 0 end "
	"redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) "
	"redis.call('PUBLISH', KEYS[3], ARGV[4]) "
	"return 1";

struct recon_one {
	struct fleet *f;
	char account[FLEET_ACCOUNT_MAX];
};

static void
on_recon(redisAsyncContext *ac, void *reply, void *priv)
{
	struct recon_one *o = priv;
	const redisReply *r = reply;

	if (reply_ok(o->f, ac, r, "EVAL") && r->type == REDIS_REPLY_INTEGER) {
		if (r->integer == 0)
			o->f->cb.unlock(o->f->cb.arg, o->account, "fleet");
		else
			o->f->st.locks_sent++;
	}
	free(o);
}

static void
recon_local(void *arg, const char *account, int64_t since)
{
	struct fleet *f = arg;
	struct recon_one *o;
	char val[600], msg[FLEET_ACCOUNT_MAX + 620], t[24];
	const char *argv[] = { "EVAL", recon_lua, "3", f->locks, f->unlocked, f->chan,
			       account, t, val, msg };

	if (htab_get(f->remote, account, strlen(account)) != NULL ||
	    !clean_field(account, FLEET_ACCOUNT_MAX - 1))
		return;
	snprintf(t, sizeof(t), "%" PRId64, since);
	snprintf(val, sizeof(val), "%s\t%s\t0\tlocked while Redis was away", f->c.instance, t);
	snprintf(msg, sizeof(msg), "L\t%s\t%s", account, val);
	o = mem_alloc(sizeof(*o));
	o->f = f;
	snprintf(o->account, sizeof(o->account), "%s", account);
	if (cmd(f, CTX_CMD, on_recon, o, 10, argv, NULL) < 0)
		free(o);
}

/* The locks in Redis are applied here; the locks here that Redis lacks
 * are settled by recon_lua; then the sync is done. */
static void
on_locks(redisAsyncContext *ac, void *reply, void *priv)
{
	struct fleet *f = priv;
	const redisReply *r = reply;
	size_t i;

	if (!reply_ok(f, ac, r, "HGETALL") || r->type != REDIS_REPLY_ARRAY)
		return;
	htab_free(&f->remote, NULL);
	f->remote = htab_new();
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		char val[600], *fld[4], *p, *save = NULL;
		int n = 0;
		bool created;

		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
		    !clean_field(k->str, FLEET_ACCOUNT_MAX - 1) || v->len >= sizeof(val))
			continue;
		*htab_put(f->remote, k->str, k->len, &created) = (void *)1;
		memcpy(val, v->str, v->len);
		val[v->len] = '\0';
		for (p = strtok_r(val, "\t", &save); p != NULL && n < 4;
		     p = strtok_r(NULL, "\t", &save))
			fld[n++] = p;
		if (n == 4)
			f->cb.lock(f->cb.arg, k->str, fld[0], strtoll(fld[1], NULL, 10),
				   strtoull(fld[2], NULL, 10), fld[3]);
	}
	f->cb.each_lock(f->cb.arg, recon_local, f);
	f->syncing = false;
	f->up = true;
	while (f->backlog.n > 0 && send_msg(f, q_pop(&f->backlog)))
		;	/* queued while the sync ran */
	f->backoff_ms = BACKOFF_MIN_MS;
	if (f->said_down)
		msg_info("redis: back after %.1f s; queued events and lock changes sent; %zu "
			 "lock(s) in the fleet",
			 (double)(now_ms() - f->down_since_ms) / 1000.0, htab_count(f->remote));
	else
		msg_info("redis: connected; %zu lock(s) in the fleet", htab_count(f->remote));
	htab_free(&f->remote, NULL);
	f->said_down = false;
	f->down_why[0] = '\0';
}

/* The stream's last id at the first connect: replay up to it. */
static void
on_last(redisAsyncContext *ac, void *reply, void *priv)
{
	struct fleet *f = priv;
	const redisReply *r = reply;
	int64_t from;

	if (!reply_ok(f, ac, r, "XREVRANGE"))
		return;
	snprintf(f->target_id, sizeof(f->target_id), "0-0");
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2 &&
	    r->element[0]->element[0]->type == REDIS_REPLY_STRING)
		snprintf(f->target_id, sizeof(f->target_id), "%s", r->element[0]->element[0]->str);
	from = now_ms() - f->c.replay * 1000;
	snprintf(f->last_id, sizeof(f->last_id), "%" PRId64 "-0", from > 0 ? from : 0);
	f->replaying = id_cmp(f->target_id, "0-0") > 0 && id_cmp(f->last_id, f->target_id) <= 0;
	f->started = true;
	read_more(f);
}

/* All three connected: authenticate, subscribe, send what waited,
 * reconcile the locks, read the stream. */
static void
sync_fleet(struct fleet *f)
{
	const char *sub[] = { "SUBSCRIBE", f->chan };
	const char *hget[] = { "HGETALL", f->locks };
	struct fl_op *o, *next;

	f->connecting = false;
	f->syncing = true;
	cmd(f, CTX_SUB, on_sub, f, 2, sub, NULL);
	while (f->backlog.n > 0 && send_msg(f, q_pop(&f->backlog)))
		;
	for (o = f->ops; o != NULL; o = next) {
		next = o->next;
		send_op(f, o);
		free(o);
	}
	f->ops = NULL;
	f->ops_tail = &f->ops;
	cmd(f, CTX_CMD, on_locks, f, 2, hget, NULL);
	if (!f->started) {
		const char *last[] = { "XREVRANGE", f->stream, "+", "-", "COUNT", "1" };

		cmd(f, CTX_CMD, on_last, f, 6, last, NULL);
	} else {
		read_more(f);
	}
}

static redisAsyncContext *
open_ctx(struct fleet *f)
{
	redisAsyncContext *ac;
	char db[16];

	ac = f->a.host[0] != '\0' ? redisAsyncConnect(f->a.host, f->a.port)
				  : redisAsyncConnectUnix(f->a.path);
	if (ac == NULL)
		return NULL;
	if (ac->err) {
		go_down(f, ac->errstr);
		redisAsyncFree(ac);
		return NULL;
	}
	ac->data = f;
	redisLibeventAttach(ac, f->base);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	if (f->a.password[0] != '\0') {
		const char *auth[] = { "AUTH", f->a.password };

		redisAsyncCommandArgv(ac, on_ignore, "AUTH", 2, auth, NULL);
	}
	if (f->a.db != 0) {
		const char *sel[] = { "SELECT", db };

		snprintf(db, sizeof(db), "%d", f->a.db);
		redisAsyncCommandArgv(ac, on_ignore, "SELECT", 2, sel, NULL);
	}
	return ac;
}

static void
connect_all(struct fleet *f)
{
	int i;

	f->connecting = true;
	f->connected = 0;
	f->connect_ms = now_ms();
	f->down_why[0] = '\0';
	for (i = 0; i < CTX_N; i++)
		if ((f->ctx[i] = open_ctx(f)) == NULL) {
			go_down(f, "cannot create a connection");
			return;
		}
}

static void
on_pong(redisAsyncContext *ac, void *reply, void *priv)
{
	struct fleet *f = priv;

	(void)ac;
	if (reply != NULL)
		f->ping_out = false;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fleet *f = arg;
	int64_t now = now_ms();

	(void)fd;
	(void)what;
	if (!f->up && !f->connecting && !f->syncing) {
		if (now >= f->next_try_ms)
			connect_all(f);
		return;
	}
	if (f->connecting && f->connected == CTX_N) {
		sync_fleet(f);
		return;
	}
	if (f->connecting || f->syncing) {
		if (now - f->connect_ms > f->c.timeout_ms + BACKOFF_MAX_MS)
			go_down(f, "no answer while connecting");
		return;
	}
	if (f->ping_out && now - f->ping_sent_ms > f->c.timeout_ms) {
		go_down(f, "no answer to PING in time");
		return;
	}
	if (f->unacked.n > 0 && now - q_at(&f->unacked, 0)->sent_ms > f->c.timeout_ms + 1000) {
		go_down(f, "events sent are not read back in time");
		return;
	}
	if (!f->ping_out) {
		const char *ping[] = { "PING" };

		f->ping_out = true;
		f->ping_sent_ms = now;
		cmd(f, CTX_CMD, on_pong, f, 1, ping, NULL);
	}
}

/* ------------------------------------------------------------ claims */

struct claim {
	void (*cb)(void *arg, bool won);
	void *arg;
	struct fleet *f;
};

static void
on_claim(redisAsyncContext *ac, void *reply, void *priv)
{
	struct claim *c = priv;
	const redisReply *r = reply;
	bool won = r == NULL || r->type != REDIS_REPLY_NIL;

	(void)ac;
	if (won)
		c->f->st.claims_won++;
	else
		c->f->st.claims_lost++;
	c->cb(c->arg, won);
	free(c);
}

void
fleet_claim(struct fleet *f, const char *key, int64_t ttl, void (*cb)(void *arg, bool won),
	    void *arg)
{
	struct claim *c;
	char k[512], t[24];
	const char *argv[] = { "SET", k, f->c.instance, "NX", "EX", t };

	if (!f->up) {
		f->st.claims_won++;
		cb(arg, true);
		return;
	}
	c = mem_alloc(sizeof(*c));
	c->cb = cb;
	c->arg = arg;
	c->f = f;
	snprintf(k, sizeof(k), "%s%s", f->claim, key);
	snprintf(t, sizeof(t), "%" PRId64, ttl > 0 ? ttl : 1);
	if (cmd(f, CTX_CMD, on_claim, c, 6, argv, NULL) < 0) {
		free(c);
		f->st.claims_won++;
		cb(arg, true);
	}
}

/* ------------------------------------------------------------ life */

int
fleet_parse_url(const char *url, struct fleet_addr *a, char *err, size_t errlen)
{
	const char *p, *hp, *end;
	char hostport[sizeof(((struct fleet_addr *)0)->host)];
	struct in_addr v4;
	struct in6_addr v6;

	memset(a, 0, sizeof(*a));
	a->port = 6379;
	if (strncmp(url, "unix:", 5) == 0) {
		const char *q = strchr(url + 5, '?');
		size_t n = q ? (size_t)(q - url - 5) : strlen(url + 5);

		if (n == 0 || n >= sizeof(a->path) || url[5] != '/') {
			snprintf(err, errlen, "redis_url: unix: needs an absolute path");
			return -1;
		}
		memcpy(a->path, url + 5, n);
		for (; q != NULL && *q != '\0'; q = strchr(q + 1, '&')) {
			if (strncmp(q + 1, "db=", 3) == 0)
				a->db = atoi(q + 4);
			else if (strncmp(q + 1, "password=", 9) == 0)
				snprintf(a->password, sizeof(a->password), "%.*s",
					 (int)strcspn(q + 10, "&"), q + 10);
		}
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0) {
		snprintf(err, errlen, "redis_url: \"%.60s\" is neither redis://... nor unix:/...",
			 url);
		return -1;
	}
	p = url + 8;
	end = p + strcspn(p, "/");
	if ((hp = memchr(p, '@', (size_t)(end - p))) != NULL) {
		const char *colon = memchr(p, ':', (size_t)(hp - p));
		const char *pw = colon ? colon + 1 : p;

		if ((size_t)(hp - pw) >= sizeof(a->password)) {
			snprintf(err, errlen, "redis_url: the password is too long");
			return -1;
		}
		memcpy(a->password, pw, (size_t)(hp - pw));
		p = hp + 1;
	}
	if ((size_t)(end - p) >= sizeof(hostport) || end == p) {
		snprintf(err, errlen, "redis_url: no address");
		return -1;
	}
	memcpy(hostport, p, (size_t)(end - p));
	hostport[end - p] = '\0';
	if (hostport[0] == '[') {
		char *rb = strchr(hostport, ']');

		if (rb == NULL) {
			snprintf(err, errlen, "redis_url: unclosed [");
			return -1;
		}
		*rb = '\0';
		snprintf(a->host, sizeof(a->host), "%s", hostport + 1);
		if (rb[1] == ':')
			a->port = atoi(rb + 2);
	} else {
		char *colon = strrchr(hostport, ':');

		if (colon != NULL) {
			*colon = '\0';
			a->port = atoi(colon + 1);
		}
		if (strlen(hostport) >= sizeof(a->host)) {
			snprintf(err, errlen, "redis_url: the address is too long");
			return -1;
		}
		memcpy(a->host, hostport, strlen(hostport) + 1);
	}
	if (inet_pton(AF_INET, a->host, &v4) != 1 && inet_pton(AF_INET6, a->host, &v6) != 1) {
		snprintf(err, errlen,
			 "redis_url: \"%.60s\" is not a numeric address (no name is looked up)",
			 a->host);
		return -1;
	}
	if (a->port <= 0 || a->port > 65535) {
		snprintf(err, errlen, "redis_url: bad port");
		return -1;
	}
	if (*end == '/' && end[1] != '\0')
		a->db = atoi(end + 1);
	return 0;
}

struct fleet *
fleet_new(struct event_base *base, const struct fleet_conf *c, const struct fleet_cb *cb,
	  char *err, size_t errlen)
{
	struct fleet *f = mem_calloc(1, sizeof(*f));
	struct timeval tv = { 0, TICK_MS * 1000 };

	if (fleet_parse_url(c->url, &f->a, err, errlen) < 0) {
		free(f);
		return NULL;
	}
	f->base = base;
	f->c = *c;
	f->cb = *cb;
	snprintf(f->stream, sizeof(f->stream), "%sevents", c->prefix);
	snprintf(f->locks, sizeof(f->locks), "%slocks", c->prefix);
	snprintf(f->unlocked, sizeof(f->unlocked), "%sunlocked", c->prefix);
	snprintf(f->chan, sizeof(f->chan), "%schan", c->prefix);
	snprintf(f->claim, sizeof(f->claim), "%sclaim:", c->prefix);
	snprintf(f->nonce, sizeof(f->nonce), "%08lx%08lx", (unsigned long)time(NULL),
		 (unsigned long)random());
	q_init(&f->backlog, FLEET_BACKLOG_MAX);
	q_init(&f->unacked, FLEET_UNACKED_MAX);
	f->ops_tail = &f->ops;
	f->backoff_ms = BACKOFF_MIN_MS;
	snprintf(f->down_why, sizeof(f->down_why), "not connected yet");
	f->ev_down = event_new(base, -1, 0, on_down, f);
	f->timer = event_new(base, -1, EV_PERSIST, on_tick, f);
	event_add(f->timer, &tv);
	connect_all(f);
	return f;
}

void
fleet_free(struct fleet **fp)
{
	struct fleet *f = *fp;
	struct fl_op *o, *next;
	int i;

	if (f == NULL)
		return;
	f->closing = true;
	for (i = 0; i < CTX_N; i++) {
		redisAsyncContext *ac = f->ctx[i];

		f->ctx[i] = NULL;
		if (ac != NULL)
			redisAsyncFree(ac);
	}
	event_free(f->timer);
	event_free(f->ev_down);
	htab_free(&f->remote, NULL);
	q_free(&f->backlog);
	q_free(&f->unacked);
	for (o = f->ops; o != NULL; o = next) {
		next = o->next;
		free(o);
	}
	free(f);
	*fp = NULL;
}

void
fleet_get_stats(const struct fleet *f, struct fleet_stats *st)
{
	*st = f->st;
	st->up = f->up;
	st->backlog = f->backlog.n;
	st->unacked = f->unacked.n;
}
