/* srv.c - the daemon's life: set up, the loop, findings into incidents and
 *         locks, followed logs, signals */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>

#include "serve/srv_int.h"
#include "util/mem.h"
#include "util/msg.h"

#define TICK_MS 200
#define SAVE_EVERY 5		/* seconds between saves of the follow positions */
#define INCIDENT_WRITE_EVERY 10	/* seconds between updates of an incident row */

struct srv_inc {
	uint64_t incident;
	int64_t written;
};

void
srv_audit(struct srv *s, const char *actor, const char *action, const char *subject,
	  const char *detail, bool dry_run, bool ok)
{
	struct store_audit a;

	memset(&a, 0, sizeof(a));
	a.time = time(NULL);
	snprintf(a.actor, sizeof(a.actor), "%s", actor);
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.subject, sizeof(a.subject), "%s", subject);
	snprintf(a.detail, sizeof(a.detail), "%s", detail);
	a.dry_run = dry_run;
	a.ok = ok;
	if (store_audit(s->store, &a) < 0) {
		s->m.errors++;
		msg_warn("audit: %s", store_error(s->store));
	}
	msg_info("%s%s %s%s%s%s", dry_run ? "shadow: would " : "", action, subject,
		 ok ? "" : " FAILED", detail[0] ? ": " : "", detail);
}

int
srv_lock(struct srv *s, const char *account, const char *by, const char *reason,
	 uint64_t incident)
{
	char key[LIMIT_ACCOUNT_MAX], subject[LIMIT_ACCOUNT_MAX + 16];
	struct store_lock l;
	struct srv_lockent *e;
	void **slot;
	bool created;

	evt_account_key(account, key);
	snprintf(subject, sizeof(subject), "account %s", key);
	if (s->set.srv.shadow && strcmp(by, "detector") == 0) {
		srv_audit(s, by, "lock", subject, reason, true, true);
		return 0;
	}
	memset(&l, 0, sizeof(l));
	l.subject = SS_ACCOUNT;
	snprintf(l.key, sizeof(l.key), "%s", key);
	l.since = time(NULL);
	snprintf(l.reason, sizeof(l.reason), "%s", reason);
	snprintf(l.by, sizeof(l.by), "%s", by);
	l.incident = incident;
	if (store_lock(s->store, &l) < 0) {
		s->m.errors++;
		srv_audit(s, by, "lock", subject, store_error(s->store), false, false);
		return -1;
	}
	slot = htab_put(s->locks, key, strlen(key), &created);
	if (created)
		*slot = mem_calloc(1, sizeof(struct srv_lockent));
	e = *slot;
	e->since = l.since;
	e->until = 0;
	e->incident = incident;
	s->m.locks++;
	srv_audit(s, by, "lock", subject, reason, false, true);
	if (s->fleet != NULL && strcmp(by, "fleet") != 0)
		fleet_lock(s->fleet, key, l.since, incident, reason);
	return 0;
}

int
srv_unlock(struct srv *s, const char *account, const char *by)
{
	char key[LIMIT_ACCOUNT_MAX], subject[LIMIT_ACCOUNT_MAX + 16];
	int r;

	evt_account_key(account, key);
	snprintf(subject, sizeof(subject), "account %s", key);
	r = store_unlock(s->store, SS_ACCOUNT, key, by, time(NULL));
	if (r < 0) {
		s->m.errors++;
		srv_audit(s, by, "unlock", subject, store_error(s->store), false, false);
		return -1;
	}
	free(htab_del(s->locks, key, strlen(key)));
	htab_del(s->suspects, key, strlen(key));
	if (r == 0) {
		s->m.unlocks++;
		srv_audit(s, by, "unlock", subject, "", false, true);
		if (strcmp(by, "fleet") != 0)
			srv_act_unlock(s, key);	/* the hook runs where the unlock was made */
	}
	if (s->fleet != NULL && strcmp(by, "fleet") != 0)
		fleet_unlock(s->fleet, key);
	return r;
}

struct srv_conn *
srv_conn_new(struct srv *s, struct bufferevent *bev)
{
	struct srv_conn *c = mem_calloc(1, sizeof(*c));

	c->s = s;
	c->bev = bev;
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->nconn++;
	return c;
}

void
srv_conn_close(struct srv_conn *c)
{
	struct srv *s = c->s;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	bufferevent_free(c->bev);
	s->nconn--;
	free(c);
}

static void
incident_fill(struct store_incident *inc, const struct finding *f)
{
	struct buf b;

	snprintf(inc->kind, sizeof(inc->kind), "%s", finding_kind_name(f->kind));
	snprintf(inc->account, sizeof(inc->account), "%s", f->account);
	snprintf(inc->ip, sizeof(inc->ip), "%s", f->ip);
	inc->first_evidence = f->first_evidence;
	inc->detected_at = f->detected_at;
	inc->last_evidence = f->last_evidence;
#define C(x) ((x) == UINT64_MAX ? 0 : (x))
	inc->distinct_ips = C(f->distinct_ips);
	inc->messages = C(f->messages);
	inc->recipients = C(f->recipients);
	inc->attempts = C(f->attempts);
#undef C
	snprintf(inc->state, sizeof(inc->state), "%s", f->closed ? "closed" : "open");
	buf_init(&b, sizeof(inc->detail) - 1);
	finding_json(f, &b);
	buf_append(&b, "", 1);
	snprintf(inc->detail, sizeof(inc->detail), "%s", b.data ? b.data : "");
	buf_release(&b);
}

static void
on_finding(void *arg, const struct finding *f, enum det_moment m)
{
	struct srv *s = arg;
	struct store_incident inc;
	struct srv_inc *si = htab_get(s->incidents, &f->id, sizeof(f->id));
	int64_t now = time(NULL);
	char reason[256];

	memset(&inc, 0, sizeof(inc));
	if (m == DET_OPEN) {
		void **slot;
		bool created;

		if (!s->replaying)
			s->m.findings[f->kind]++;
		incident_fill(&inc, f);
		/* a restart continues the incident it had open; a replay opens
		 * none (what it finds again was recorded the first time) */
		if (store_incident_find_open(s->store, inc.kind, inc.account, inc.ip, &inc) == 0)
			incident_fill(&inc, f);
		else if (s->replaying)
			return;
		if (store_incident_put(s->store, &inc) < 0) {
			s->m.errors++;
			msg_warn("incident: %s", store_error(s->store));
		}
		slot = htab_put(s->incidents, &f->id, sizeof(f->id), &created);
		if (created)
			*slot = mem_calloc(1, sizeof(struct srv_inc));
		si = *slot;
		si->incident = inc.id;
		si->written = now;
		msg_info("finding %s %s%s: incident %llu%s", inc.kind, f->account, f->ip,
			 (unsigned long long)inc.id, s->replaying ? " (replay: no action)" : "");
		if (s->replaying)
			return;
		if (f->kind == FK_COMPROMISE && f->account[0] != '\0') {
			if (s->set.srv.lock_on_compromise && f->score >= s->set.srv.lock_score) {
				snprintf(reason, sizeof(reason),
					 "account_compromise, score %.2f, incident %llu", f->score,
					 (unsigned long long)inc.id);
				if (srv_lock(s, f->account, "detector", reason, inc.id) == 0)
					srv_act_lock(s, f, inc.id);
			} else {
				void **sl = htab_put(s->suspects, f->account, strlen(f->account),
						     &created);

				*sl = (void *)1;
			}
		}
		if (f->kind == FK_BRUTE || f->kind == FK_SPRAY)
			srv_act_ban(s, f);
		srv_authpol_finding(s, f);	/* after the lock: it marks leaked hashes */
		return;
	}
	if (m == DET_UPDATE && !s->replaying)
		srv_authpol_finding(s, f);	/* an attack going on refreshes its refusal */
	if (si == NULL)
		return;
	if (m == DET_UPDATE && now - si->written < INCIDENT_WRITE_EVERY)
		return;
	if (store_incident_get(s->store, si->incident, &inc) != 0)
		return;
	incident_fill(&inc, f);
	if (store_incident_put(s->store, &inc) < 0)
		s->m.errors++;
	si->written = now;
	if (m == DET_CLOSE)
		free(htab_del(s->incidents, &f->id, sizeof(f->id)));
}

/* ------------------------------------------------------------ followed logs */

static void
log_event(void *arg, const struct evt *e)
{
	struct srv *s = arg;

	if (!s->replaying)
		s->m.events_log++;
	srv_feed(s, e);
}

/* In a fleet every event goes through the shared stream, which feeds the
 * detectors (fleet_cb_event); a replay of the local log at a restart, and
 * any event while Redis is down, go to the detectors directly. */
void
srv_feed(struct srv *s, const struct evt *e)
{
	if (s->fleet != NULL && !s->replaying && fleet_event(s->fleet, e))
		return;
	det_feed(s->det, e);
}

static void
follow_line(void *arg, const char *line, size_t len)
{
	struct follower *fl = arg;

	fl->last_line = time(NULL);
	pipe_feed_line(&fl->pf, strv_make(line, len), false);
}

static void
follow_save(struct srv *s)
{
	char key[STORE_KV_KEY_MAX], val[128];
	struct follow_pos p;
	size_t i;

	for (i = 0; i < s->nfl; i++) {
		follow_get_pos(s->fl[i].f, &p);
		snprintf(key, sizeof(key), "follow:%s", s->fl[i].path);
		snprintf(val, sizeof(val), "%llu %llu %llu", (unsigned long long)p.dev,
			 (unsigned long long)p.ino, (unsigned long long)p.offset);
		if (store_kv_set(s->store, key, val) < 0)
			s->m.errors++;
	}
	s->last_save = time(NULL);
}

/* After a restart, the detectors' windows are rebuilt from what the
 * current log file holds before the saved position: its lines go through
 * the detectors again with actions held back (locks and incidents are in
 * the store already; a finding reopened here continues its incident). */
static void
replay(struct srv *s, struct follower *fl, const struct follow_pos *pos)
{
	FILE *fp = fopen(fl->path, "re");
	char *line = NULL;
	size_t cap = 0, lines = 0;
	uint64_t done = 0;
	ssize_t n;
	struct stat st;
	struct pipe_stats counted_apart = { 0 };

	if (fp == NULL)
		return;
	if (fstat(fileno(fp), &st) < 0 || (uint64_t)st.st_dev != pos->dev ||
	    (uint64_t)st.st_ino != pos->ino) {
		fclose(fp);
		return;
	}
	s->replaying = true;
	fl->pf.st = &counted_apart;	/* status and metrics count each line once */
	while (done < pos->offset && (n = getline(&line, &cap, fp)) > 0) {
		done += (uint64_t)n;
		if (done > pos->offset)
			break;	/* a line the follower will read whole */
		if (line[n - 1] == '\n')
			n--;
		pipe_feed_line(&fl->pf, strv_make(line, (size_t)n), n > LIMIT_LINE_MAX);
		lines++;
	}
	s->replaying = false;
	fl->pf.st = &s->pst;
	free(line);
	fclose(fp);
	msg_info("%s: %zu lines before the saved position replayed into the detectors", fl->path,
		 lines);
}

static int
follow_start(struct srv *s)
{
	char *list = mem_strdup(s->set.srv.follow ? s->set.srv.follow : ""), *save = NULL, *p;
	char key[STORE_KV_KEY_MAX], val[STORE_KV_VALUE_MAX];

	for (p = strtok_r(list, " \t,", &save); p != NULL; p = strtok_r(NULL, " \t,", &save)) {
		struct follower *fl;
		struct follow_pos pos;
		unsigned long long dev, ino, off;
		bool have = false;

		snprintf(key, sizeof(key), "follow:%s", p);
		if (store_kv_get(s->store, key, val, sizeof(val)) == 0 &&
		    sscanf(val, "%llu %llu %llu", &dev, &ino, &off) == 3) {
			pos.dev = dev;
			pos.ino = ino;
			pos.offset = off;
			have = true;
		}
		s->fl = mem_reallocarray(s->fl, s->nfl + 1, sizeof(*s->fl));
		fl = &s->fl[s->nfl];
		memset(fl, 0, sizeof(*fl));
		fl->path = mem_strdup(p);
		/* a new follower starts at the end: a daemon does not replay history */
		fl->f = follow_open(fl->path, have ? &pos : NULL, false);
		if (fl->f == NULL) {
			msg_error("follow %.200s: %s", fl->path, strerror(errno));
			free(fl->path);
			free(list);
			return -1;
		}
		pipe_feed_init(&fl->pf, fl->path, &s->popts, time(NULL), s->corr, log_event, s,
			       &s->pst);
		fl->pf.fctx.quiet = true;
		if (have && s->fleet == NULL)	/* a fleet replays its stream instead */
			replay(s, fl, &pos);
		s->nfl++;
		msg_info("following %s%s", fl->path, have ? " from the saved position" : "");
	}
	free(list);
	return 0;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	size_t i;
	long n, read = 0;

	(void)fd;
	(void)what;
	for (i = 0; i < s->nfl; i++) {
		if ((n = follow_poll(s->fl[i].f, follow_line, &s->fl[i])) < 0)
			s->m.errors++;
		else
			read += n;
	}
	/* Save the positions as soon as lines were used, so that a kill -9
	 * repeats at most what one tick read; and now and then anyway. */
	if (s->nfl > 0 && (read > 0 || time(NULL) - s->last_save >= SAVE_EVERY))
		follow_save(s);
}

/* ------------------------------------------------------------ signals */

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;

	(void)what;
	msg_info("signal %d: stopping", (int)sig);
	event_base_loopexit(s->base, NULL);
}

static void
on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;
	struct settings n;

	(void)sig;
	(void)what;
	if (settings_load(&n, s->config, s->opts, s->nopts) < 0) {
		msg_warn("SIGHUP: settings not reloaded (the running ones stay)");
		settings_free(&n);
		return;
	}
	/* Listeners, state and followed files stay as started; the answers,
	 * rates and actions change at once. */
	settings_free(&s->set);
	s->set = n;
	srv_policy_conf(s);
	if (srv_authpol_conf(s) < 0)
		msg_warn("SIGHUP: authpolicy_events stays as it was");
	if (srv_act_setup(s) < 0)
		msg_warn("SIGHUP: the actions are off until the settings are fixed");
	msg_info("SIGHUP: settings reloaded");
}

/* ------------------------------------------------------------ run */

static int
load_lock(void *arg, const struct store_lock *l)
{
	struct srv *s = arg;
	struct srv_lockent *e;
	void **slot;
	bool created;

	if (l->subject != SS_ACCOUNT)
		return 0;
	slot = htab_put(s->locks, l->key, strlen(l->key), &created);
	if (created)
		*slot = mem_calloc(1, sizeof(struct srv_lockent));
	e = *slot;
	e->since = l->since;
	e->until = l->until;
	e->incident = l->incident;
	return 0;
}

/* ------------------------------------------------------------ fleet */

static void
fleet_cb_event(void *arg, const struct evt *e, bool replaying)
{
	struct srv *s = arg;
	bool was = s->replaying;

	if (!replaying)
		s->m.events_fleet++;
	s->replaying = replaying;
	det_feed(s->det, e);
	s->replaying = was;
}

static void
fleet_cb_lock(void *arg, const char *account, const char *by, int64_t since, uint64_t incident,
	      const char *reason)
{
	struct srv *s = arg;
	char key[LIMIT_ACCOUNT_MAX], why[400];

	(void)since;
	(void)incident;	/* incident numbers are each daemon's own */
	evt_account_key(account, key);
	if (htab_get(s->locks, key, strlen(key)) != NULL)
		return;
	snprintf(why, sizeof(why), "%.300s (locked by %.64s)", reason, by);
	srv_lock(s, key, "fleet", why, 0);
}

static void
fleet_cb_unlock(void *arg, const char *account, const char *by)
{
	struct srv *s = arg;
	char key[LIMIT_ACCOUNT_MAX];

	(void)by;
	evt_account_key(account, key);
	if (htab_get(s->locks, key, strlen(key)) != NULL)
		srv_unlock(s, key, "fleet");
}

static void
fleet_cb_each_lock(void *arg, void (*fn)(void *fa, const char *account, int64_t since), void *fa)
{
	struct srv *s = arg;
	const char *k;
	size_t pos = 0, klen;
	void *v;
	char key[LIMIT_ACCOUNT_MAX];

	/* fn may unlock (htab_del): collect first */
	char (*keys)[LIMIT_ACCOUNT_MAX] = mem_reallocarray(NULL, htab_count(s->locks) + 1,
							    sizeof(*keys));
	int64_t *since = mem_reallocarray(NULL, htab_count(s->locks) + 1, sizeof(*since));
	size_t n = 0, i;

	while (htab_next(s->locks, &pos, &k, &klen, &v)) {
		if (klen >= sizeof(key))
			continue;
		memcpy(keys[n], k, klen);
		keys[n][klen] = '\0';
		since[n++] = ((struct srv_lockent *)v)->since;
	}
	for (i = 0; i < n; i++)
		fn(fa, keys[i], since[i]);
	free(keys);
	free(since);
}

static int
fleet_start(struct srv *s)
{
	struct fleet_conf fc;
	struct fleet_cb cb;
	char err[256];

	if (s->set.srv.redis_url == NULL || s->set.srv.redis_url[0] == '\0')
		return 0;
	if (s->set.srv.instance_name[0] != '\0')
		snprintf(s->instance, sizeof(s->instance), "%s", s->set.srv.instance_name);
	else if (gethostname(s->instance, sizeof(s->instance) - 1) < 0)
		snprintf(s->instance, sizeof(s->instance), "mailsentry-%ld", (long)getpid());
	memset(&fc, 0, sizeof(fc));
	fc.url = s->set.srv.redis_url;
	fc.prefix = s->set.srv.redis_prefix;
	fc.instance = s->instance;
	fc.timeout_ms = s->set.srv.redis_timeout * 1000;
	fc.replay = s->set.srv.fleet_replay;
	fc.stream_max = s->set.srv.redis_stream_max;
	memset(&cb, 0, sizeof(cb));
	cb.arg = s;
	cb.event = fleet_cb_event;
	cb.lock = fleet_cb_lock;
	cb.unlock = fleet_cb_unlock;
	cb.each_lock = fleet_cb_each_lock;
	if ((s->fleet = fleet_new(s->base, &fc, &cb, err, sizeof(err))) == NULL) {
		msg_error("%s", err);
		return -1;
	}
	return 0;
}

static int
setup(struct srv *s)
{
	char err[512], path[1024], spec[1100];

	(void)srv_raise_nofile(s->set.srv.max_connections);	/* says itself when short */
	if (mkdir(s->set.srv.state_dir, 0700) < 0 && errno != EEXIST) {
		msg_error("state_dir %.200s: %s", s->set.srv.state_dir, strerror(errno));
		return -1;
	}
	if ((s->store = store_open_sqlite(s->set.srv.state_dir, err, sizeof(err))) == NULL) {
		msg_error("%s", err);
		return -1;
	}
	s->locks = htab_new();
	s->suspects = htab_new();
	s->incidents = htab_new();
	s->allow = htab_new();
	if (store_each_lock(s->store, time(NULL), load_lock, s) < 0) {
		msg_error("loading locks: %s", store_error(s->store));
		return -1;
	}
	if (srv_allow_load(s, s->set.srv.allow_nets_file) < 0 || srv_act_setup(s) < 0)
		return -1;
	srv_policy_conf(s);
	s->rates = pol_rates_new(0);
	s->req = mem_alloc(sizeof(*s->req));
	s->det = det_new(&s->set.det, on_finding, s);
	s->corr = corr_new();
	s->base = event_base_new();
	if (s->base == NULL) {
		msg_error("event_base_new failed");
		return -1;
	}
	if (srv_work_start(s) < 0 || fleet_start(s) < 0 || srv_policy_start(s) < 0)
		return -1;
	if (s->set.srv.policy_listen[0] != '\0' &&
	    (s->policy = srv_listen(s->base, s->set.srv.policy_listen, 0666, srv_policy_accept,
				    s, err, sizeof(err))) == NULL) {
		msg_error("policy_listen: %s", err);
		return -1;
	}
	snprintf(spec, sizeof(spec), "unix:%s",
		 settings_control_socket(&s->set, path, sizeof(path)));
	if ((s->control = srv_listen(s->base, spec, 0600, srv_control_accept, s, err,
				     sizeof(err))) == NULL) {
		msg_error("control_socket: %s", err);
		return -1;
	}
	if (s->set.srv.metrics_listen[0] != '\0') {
		struct evconnlistener *l = srv_listen(s->base, s->set.srv.metrics_listen, 0666,
						      NULL, NULL, err, sizeof(err));

		if (l == NULL || (s->metrics = evhttp_new(s->base)) == NULL ||
		    evhttp_bind_listener(s->metrics, l) == NULL) {
			msg_error("metrics_listen: %s", l == NULL ? err : "evhttp failed");
			if (l != NULL && s->metrics == NULL)
				evconnlistener_free(l);
			return -1;
		}
		evhttp_set_cb(s->metrics, "/metrics", srv_metrics_cb, s);
	}
	if (srv_authpol_setup(s) < 0)
		return -1;
	if (follow_start(s) < 0)
		return -1;
	s->tick = event_new(s->base, -1, EV_PERSIST, on_tick, s);
	s->ev_hup = evsignal_new(s->base, SIGHUP, on_reload, s);
	s->ev_term = evsignal_new(s->base, SIGTERM, on_stop, s);
	s->ev_int = evsignal_new(s->base, SIGINT, on_stop, s);
	{
		struct timeval tv = { 0, TICK_MS * 1000 };

		event_add(s->tick, &tv);
	}
	event_add(s->ev_hup, NULL);
	event_add(s->ev_term, NULL);
	event_add(s->ev_int, NULL);
	return 0;
}

static void
teardown(struct srv *s)
{
	size_t i;

	if (s->nfl > 0 && s->store != NULL)
		follow_save(s);
	fleet_free(&s->fleet);	/* its claims still pending are answered "won" */
	srv_work_stop(s);	/* before the store: finished jobs are audited */
	while (s->conns != NULL)
		srv_conn_close(s->conns);
	srv_policy_stop(s);
	/* Open findings stay open in the store: a restart continues them
	 * (store_incident_find_open) rather than closing them at a stop. */
	for (i = 0; i < s->nfl; i++) {
		follow_close(&s->fl[i].f);
		pipe_feed_free(&s->fl[i].pf);
		free(s->fl[i].path);
	}
	free(s->fl);
	if (s->tick)
		event_free(s->tick);
	if (s->ev_hup)
		event_free(s->ev_hup);
	if (s->ev_term)
		event_free(s->ev_term);
	if (s->ev_int)
		event_free(s->ev_int);
	if (s->metrics)
		evhttp_free(s->metrics);
	srv_authpol_free(s);
	if (s->policy)
		evconnlistener_free(s->policy);
	if (s->control)
		evconnlistener_free(s->control);
	det_free(&s->det);
	corr_free(&s->corr);
	pol_rates_free(&s->rates);
	free(s->req);
	if (s->locks)
		htab_free(&s->locks, free);
	if (s->suspects)
		htab_free(&s->suspects, NULL);
	if (s->incidents)
		htab_free(&s->incidents, free);
	if (s->allow)
		htab_free(&s->allow, free);
	store_close(&s->store);
	srv_act_free(s);
	if (s->base)
		event_base_free(s->base);
	settings_free(&s->set);
}

int
srv_run(const char *config, char *const *opts, size_t nopts)
{
	struct srv *s = mem_calloc(1, sizeof(*s));
	int rc = 2;

	s->config = config;
	s->opts = opts;
	s->nopts = nopts;
	s->started = time(NULL);
	if (settings_load(&s->set, config, opts, nopts) < 0) {
		settings_free(&s->set);
		free(s);
		return 2;
	}
	if (strcmp(s->set.srv.log, "syslog") == 0) {
		msg_set_syslog(true);
	} else if (strcmp(s->set.srv.log, "stderr") != 0) {
		msg_error("log: \"%.40s\" is neither stderr nor syslog", s->set.srv.log);
		settings_free(&s->set);
		free(s);
		return 2;
	}
	if (setup(s) == 0) {
		msg_info("ready: policy %s, authpolicy %s, control %s, %zu followed log(s)%s",
			 s->set.srv.policy_listen[0] ? s->set.srv.policy_listen : "off",
			 s->set.srv.authpolicy_listen[0] ? s->set.srv.authpolicy_listen : "off",
			 s->set.srv.control_socket[0] ? s->set.srv.control_socket : "in state_dir",
			 s->nfl, s->set.srv.shadow ? ", SHADOW mode: no action is taken" : "");
		event_base_dispatch(s->base);
		rc = 0;
	}
	teardown(s);
	free(s);
	return rc;
}
