/* srv_act.c - what the daemon does about a finding: the lock hook, kick,
 *             purge, notify, ban (src/act/), each written to the audit trail
 * SUMMARY  The loop builds a job (srv_work.c) with a copy of the finding
 *          and the actions in use; the worker runs the programs, each
 *          bounded by hook_timeout; back on the loop, each result is one
 *          audit record. In shadow mode each runs as a dry run: the audit
 *          trail records the command it would have run. A job the worker
 *          could not take (queue full, daemon stopping) is audited as not
 *          run, never dropped silently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/srv_int.h"
#include "util/mem.h"
#include "util/msg.h"

#define SRV_PURGE_AGAIN 10	/* seconds from a lock's purge to the second one */

static void
actref_release(struct srv_actref **ar)
{
	if (*ar != NULL && --(*ar)->refs == 0) {
		act_free(&(*ar)->a);
		free(*ar);
	}
	*ar = NULL;
}

void
srv_act_free(struct srv *s)
{
	actref_release(&s->act);
}

int
srv_act_setup(struct srv *s)
{
	struct act_conf ac = s->set.act;
	struct act *a;
	char err[512];

	/* the switches of serve turn whole actions off */
	if (!s->set.srv.purge)
		ac.postqueue_path = "";
	if (!s->set.srv.notify)
		ac.sendmail_path = "";
	if (!s->set.srv.ban_attackers)
		ac.nft_path = "";
	srv_act_free(s);
	if ((a = act_new(&ac, err, sizeof(err))) == NULL) {
		msg_error("actions: %s", err);
		return -1;
	}
	s->act = mem_calloc(1, sizeof(*s->act));
	s->act->a = a;
	s->act->refs = 1;
	return 0;
}

/* ------------------------------------------------------------ worker side */

static struct act_result *
res_add(struct srv_job *j, const char *action)
{
	struct srv_job_res *x = &j->res[j->nres++];

	snprintf(x->action, sizeof(x->action), "%s", action);
	return &x->r;
}

/* The account's queued mail since the first evidence, and the NDRs it
 * earned. */
static void
run_purge(struct srv_job *j)
{
	struct act_purge_req q = { 0 };
	struct act_purge_list l;
	struct srv_job_res *x = &j->res[j->nres];

	q.account = j->f.account;
	q.backscatter = true;
	q.since = j->f.first_evidence;
	act_purge(j->ar->a, &q, j->dry, res_add(j, "purge"), &l);
	snprintf(x->note, sizeof(x->note), "%zu message(s) selected, %llu deleted", l.n,
		 (unsigned long long)l.deleted);
	act_purge_list_free(&l);
}

/* After a lock: the hook and kick; after a detector's lock also purge,
 * notify and the webhook (an administrator's lock is the administrator's
 * own business). Of these, j->parts says which: in a fleet the once-only
 * ones run on the daemon that claimed them, the others on each. */
static void
run_lock(struct srv_job *j)
{
	const struct act *a = j->ar->a;
	const struct finding *f = &j->f;
	char inc[32];
	struct act_vars v = { 0 };

	snprintf(inc, sizeof(inc), "%llu", (unsigned long long)j->incident);
	v.account = f->account;
	v.kind = j->admin ? "admin" : finding_kind_name(f->kind);
	v.incident = j->incident != 0 ? inc : "none";
	v.reason = j->admin ? "locked by the administrator" : "account_compromise";
	if ((j->parts & SRV_LOCK_ONCE) && act_configured(a, ACT_LOCK))
		act_lock(a, &v, j->dry, res_add(j, "lock_hook"));
	if ((j->parts & SRV_LOCK_HOST) && act_configured(a, ACT_KICK))
		act_kick(a, f->account, j->dry, res_add(j, "kick"));
	if (j->admin)
		return;
	if ((j->parts & SRV_LOCK_HOST) && act_configured(a, ACT_PURGE))
		run_purge(j);
	if ((j->parts & SRV_LOCK_ONCE) &&
	    (act_configured(a, ACT_NOTIFY) || act_configured(a, ACT_WEBHOOK))) {
		struct act_incident ai = { 0 };

		ai.kind = v.kind;
		ai.account = f->account;
		ai.incident = inc;
		ai.first_evidence = f->first_evidence;
		ai.detected_at = f->detected_at;
		ai.counts[0] = (struct act_count){ "distinct_ips", f->distinct_ips };
		ai.counts[1] = (struct act_count){ "messages", f->messages };
		ai.counts[2] = (struct act_count){ "recipients", f->recipients };
		ai.ncounts = 3;
		ai.actions = j->dry ? "shadow mode: nothing was done" : "the account is locked";
		if (act_configured(a, ACT_NOTIFY))
			act_notify(a, &ai, j->dry, res_add(j, "notify"));
		if (act_configured(a, ACT_WEBHOOK))
			act_webhook(a, &ai, j->dry, res_add(j, "webhook"));
	}
}

static void
run_unlock(struct srv_job *j)
{
	struct act_vars v = { 0 };

	v.account = j->f.account;
	v.reason = "unlock";
	act_unlock(j->ar->a, &v, j->dry, res_add(j, "unlock_hook"));
}

static void
run_ban(struct srv_job *j)
{
	act_ban(j->ar->a, j->f.ip, j->ban_time, j->dry, res_add(j, "ban"));
}

/* ------------------------------------------------------------ loop side */

static void
job_done(struct srv *s, struct srv_job *j)
{
	char detail[1200];
	unsigned i;

	if (j->state != SRV_JOB_RAN) {
		const char *why = j->state == SRV_JOB_REFUSED
					  ? "not run: the action queue is full or stopping"
					  : "not run: the daemon stopped first";

		srv_audit(s, j->actor, "actions", j->subject, why, j->dry, false);
		s->m.errors++;
	}
	for (i = 0; i < j->nres; i++) {
		const struct srv_job_res *x = &j->res[i];

		snprintf(detail, sizeof(detail), "%.800s%s%.250s%s%.140s", x->r.cmd,
			 x->r.err[0] ? ": " : "", x->r.err, x->note[0] ? ": " : "", x->note);
		srv_audit(s, j->actor, x->action, j->subject, detail, x->r.dry_run, x->r.ok);
		if (!x->r.ok)
			s->m.errors++;
	}
	actref_release(&j->ar);
	free(j);
}

/* f: the finding acted on, or NULL for an administrator's request about
 * account (which shadow mode does not hold back). */
static void
submit(struct srv *s, void (*run)(struct srv_job *), const struct finding *f,
       const char *account, uint64_t incident, int64_t not_before, unsigned parts)
{
	struct srv_job *j = mem_calloc(1, sizeof(*j));

	j->not_before = not_before;
	j->parts = parts;
	j->run = run;
	j->done = job_done;
	j->ar = s->act;
	s->act->refs++;
	j->admin = f == NULL;
	j->actor = j->admin ? "admin" : "detector";
	j->dry = s->set.srv.shadow && !j->admin;
	j->ban_time = s->set.act.ban_time;
	j->incident = incident;
	if (f != NULL)
		j->f = *f;
	else
		snprintf(j->f.account, sizeof(j->f.account), "%s", account);
	if (j->f.account[0] != '\0')
		snprintf(j->subject, sizeof(j->subject), "account %s", j->f.account);
	else
		snprintf(j->subject, sizeof(j->subject), "ip %s", j->f.ip);
	srv_work_submit(s, j);
}

static bool
any(const struct srv *s, const enum act_kind *k, size_t n)
{
	size_t i;

	for (i = 0; s->act != NULL && i < n; i++)
		if (act_configured(s->act->a, k[i]))
			return true;
	return false;
}

/* A fleet: the first daemon to claim the lock's once-only actions runs
 * them (every daemon's detectors find the same compromise). */
struct claim {
	struct srv *s;
	struct finding f;
	uint64_t incident;
};

static void
claimed(void *arg, bool won)
{
	struct claim *c = arg;
	static const enum act_kind k[] = { ACT_LOCK, ACT_NOTIFY, ACT_WEBHOOK };

	if (won && any(c->s, k, sizeof(k) / sizeof(k[0])))
		submit(c->s, run_lock, &c->f, NULL, c->incident, 0, SRV_LOCK_ONCE);
	else if (!won)
		msg_info("lock %s: its hook and notification ran on another daemon of the fleet",
			 c->f.account);
	free(c);
}

void
srv_act_lock(struct srv *s, const struct finding *f, uint64_t incident)
{
	static const enum act_kind once[] = { ACT_LOCK, ACT_NOTIFY, ACT_WEBHOOK };
	static const enum act_kind host[] = { ACT_KICK, ACT_PURGE };
	bool o = any(s, once, sizeof(once) / sizeof(once[0]));
	bool h = any(s, host, sizeof(host) / sizeof(host[0]));

	if (s->fleet == NULL && (o || h))
		submit(s, run_lock, f, NULL, incident, 0, SRV_LOCK_ONCE | SRV_LOCK_HOST);
	if (s->fleet != NULL && h)
		submit(s, run_lock, f, NULL, incident, 0, SRV_LOCK_HOST);
	if (s->fleet != NULL && o) {
		struct claim *c = mem_alloc(sizeof(*c));
		char key[LIMIT_ACCOUNT_MAX + 64];

		c->s = s;
		c->f = *f;
		c->incident = incident;
		snprintf(key, sizeof(key), "lock:%s:%lld", f->account, (long long)f->first_evidence);
		fleet_claim(s->fleet, key, 86400, claimed, c);
	}
	/* Mail accepted just before the lock can reach the queue after the
	 * purge listed it (a session still in DATA, an NDR made a moment
	 * later): a second purge catches those stragglers. */
	if (s->act != NULL && act_configured(s->act->a, ACT_PURGE))
		submit(s, run_purge, f, NULL, incident, time(NULL) + SRV_PURGE_AGAIN, 0);
}

void
srv_act_lock_admin(struct srv *s, const char *account)
{
	static const enum act_kind k[] = { ACT_LOCK, ACT_KICK };

	if (any(s, k, sizeof(k) / sizeof(k[0])))
		submit(s, run_lock, NULL, account, 0, 0, SRV_LOCK_ONCE | SRV_LOCK_HOST);
}

void
srv_act_unlock(struct srv *s, const char *account)
{
	static const enum act_kind k[] = { ACT_UNLOCK };

	if (any(s, k, 1))
		submit(s, run_unlock, NULL, account, 0, 0, 0);
}

/* A brute-force or spraying IP: ban it when configured. */
void
srv_act_ban(struct srv *s, const struct finding *f)
{
	static const enum act_kind k[] = { ACT_BAN };

	if (f->ip[0] != '\0' && any(s, k, 1))
		submit(s, run_ban, f, NULL, 0, 0, 0);
}
