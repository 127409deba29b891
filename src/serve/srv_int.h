/* srv_int.h - the daemon's state, shared by the srv_*.c files */
#ifndef MS_SRV_INT_H
#define MS_SRV_INT_H

#include <event2/http.h>

#include "cli/cli_pipe.h"
#include "act/act.h"
#include "correlate/corr.h"
#include "detect/det.h"
#include "fleet/fleet.h"
#include "input/in_follow.h"
#include "policy/pol_decide.h"
#include "policy/pol_proto.h"
#include "serve/srv.h"
#include "store/store.h"
#include "util/htab.h"

struct follower {
	struct follow *f;
	struct pipe_feed pf;
	char *path;
	int64_t last_line;	/* time of the last line read */
};

struct srv_metrics {
	uint64_t requests, bad_requests, answers[PV_MAX], shadow_would[PV_MAX];
	uint64_t findings[FK_MAX], locks, unlocks, errors, connections, refused;
	uint64_t events_policy, events_log, events_fleet;
};

/* An open control connection; all are listed so that a stop frees them.
 * (Policy connections are srv_policy.c's own.) */
struct srv_conn {
	struct srv *s;
	struct bufferevent *bev;
	struct srv_conn *prev, *next;
};

/* The actions in use, shared with the jobs that hold them: a reload makes
 * new ones while queued jobs finish with the old. Counted on the loop's
 * thread only. */
struct srv_actref {
	struct act *a;
	unsigned refs;
};

enum srv_job_state { SRV_JOB_QUEUED, SRV_JOB_RAN, SRV_JOB_REFUSED, SRV_JOB_NOT_RUN };

#define SRV_JOB_RES_MAX 6

/* A lock's actions: those done once for the whole fleet (the lock hook,
 * the notification, the webhook) and those each mail server does for
 * itself (kick its sessions, purge its queue). Alone, a daemon does both. */
#define SRV_LOCK_ONCE 1u
#define SRV_LOCK_HOST 2u

/* One result of a job for the audit trail. */
struct srv_job_res {
	char action[16];		/* "lock_hook", "purge", ... */
	char note[160];			/* for the daemon's log, may be "" */
	struct act_result r;
};

/* A job for the action worker (srv_work.c): run() on the worker thread,
 * then done() on the loop's thread (also when it never ran: see state). */
struct srv_job {
	struct srv_job *next;
	void (*run)(struct srv_job *j);
	void (*done)(struct srv *s, struct srv_job *j);
	enum srv_job_state state;
	int64_t not_before;		/* run no earlier (seconds since the epoch); 0: at once */
	struct srv_actref *ar;
	bool dry, admin;
	unsigned parts;			/* of a lock: SRV_LOCK_ONCE and/or SRV_LOCK_HOST */
	const char *actor;		/* "detector" or "admin" */
	struct finding f;		/* the finding acted on; an unlock fills account */
	uint64_t incident;
	int64_t ban_time;
	char subject[LIMIT_ACCOUNT_MAX + 16];
	unsigned nres;
	struct srv_job_res res[SRV_JOB_RES_MAX];
};

struct srv_work;
struct srv_authpol;
struct srv_pol;

struct srv {
	struct settings set;
	const char *config;
	char *const *opts;
	size_t nopts;
	struct event_base *base;
	struct evconnlistener *policy, *control;
	struct evhttp *metrics;
	struct event *tick, *ev_hup, *ev_term, *ev_int;
	struct store *store;
	struct srv_actref *act;	/* NULL until srv_act_setup */
	struct srv_work *work;
	struct fleet *fleet;	/* NULL: no redis_url, this daemon decides alone */
	char instance[256];	/* its name in the fleet */
	struct srv_authpol *authpol;	/* NULL when authpolicy_listen is empty */
	struct srv_pol *pol;	/* the policy connections (srv_policy.c) */
	struct det *det;
	struct corr *corr;
	struct htab *locks;	/* account key -> struct srv_lockent */
	struct htab *suspects;	/* account key -> (void *)1 */
	struct htab *incidents;	/* finding id -> struct srv_inc */
	struct htab *allow;	/* account key -> struct srv_allow */
	struct pol_conf pc;
	struct pol_rates *rates;
	struct pol_req *req;	/* scratch: one request at a time */
	struct follower *fl;
	size_t nfl;
	struct pipe_opts popts;
	struct pipe_stats pst;
	struct srv_metrics m;
	uint64_t nconn;		/* policy and control connections */
	struct srv_conn *conns;	/* the control connections */
	int64_t started, last_save;
	bool replaying;		/* rebuilding the detectors' windows: no actions */
};

#define SRV_ALLOW_MAX 32

struct srv_allow {
	unsigned n;
	struct {
		struct netaddr net;
		unsigned prefix;
	} nets[SRV_ALLOW_MAX];
};

struct srv_lockent {
	int64_t since, until;
	uint64_t incident;
};

/* srv.c */
/* An event seen here: to the fleet's stream, or straight to the detectors. */
void srv_feed(struct srv *s, const struct evt *e);
int srv_lock(struct srv *s, const char *account, const char *by, const char *reason,
	     uint64_t incident);
int srv_unlock(struct srv *s, const char *account, const char *by);
void srv_audit(struct srv *s, const char *actor, const char *action, const char *subject,
	       const char *detail, bool dry_run, bool ok);
/* srv.c: connections */
struct srv_conn *srv_conn_new(struct srv *s, struct bufferevent *bev);
void srv_conn_close(struct srv_conn *c);
/* srv_work.c */
int srv_work_start(struct srv *s);
void srv_work_submit(struct srv *s, struct srv_job *j);
size_t srv_work_queued(struct srv *s);
void srv_work_stop(struct srv *s);
/* srv_act.c */
int srv_act_setup(struct srv *s);
void srv_act_free(struct srv *s);
void srv_act_lock(struct srv *s, const struct finding *f, uint64_t incident);
void srv_act_lock_admin(struct srv *s, const char *account);
void srv_act_ban(struct srv *s, const struct finding *f);
void srv_act_unlock(struct srv *s, const char *account);
/* srv_net.c */
int srv_raise_nofile(int64_t max_conns);
/* srv_policy.c */
void srv_policy_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		       int salen, void *arg);
void srv_policy_conf(struct srv *s);
int srv_policy_start(struct srv *s);	/* before the listener */
void srv_policy_stop(struct srv *s);	/* closes every policy connection */
int srv_allow_load(struct srv *s, const char *path);
/* srv_authpol.c: the Dovecot auth policy service */
int srv_authpol_setup(struct srv *s);
int srv_authpol_conf(struct srv *s);	/* settings (again at SIGHUP) */
void srv_authpol_finding(struct srv *s, const struct finding *f);	/* at open and update */
void srv_authpol_metrics(struct srv *s, struct evbuffer *b);
void srv_authpol_free(struct srv *s);
/* srv_control.c */
void srv_control_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
			int salen, void *arg);
void srv_metrics_cb(struct evhttp_request *req, void *arg);

#endif
