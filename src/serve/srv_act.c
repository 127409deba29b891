/* srv_act.c - what the daemon does about a finding: the lock hook, kick,
 *             purge, notify, ban (src/act/), each written to the audit trail
 * SUMMARY  Actions run synchronously from the event loop, each bounded by
 *          hook_timeout. In shadow mode each runs as a dry run: the audit
 *          trail records the command it would have run. */
#include <stdio.h>
#include <string.h>

#include "serve/srv_int.h"
#include "util/msg.h"

int
srv_act_setup(struct srv *s)
{
	struct act_conf ac = s->set.act;
	char err[512];

	/* the switches of serve turn whole actions off */
	if (!s->set.srv.purge)
		ac.postqueue_path = "";
	if (!s->set.srv.notify)
		ac.sendmail_path = "";
	if (!s->set.srv.ban_attackers)
		ac.nft_path = "";
	act_free(&s->act);
	if ((s->act = act_new(&ac, err, sizeof(err))) == NULL) {
		msg_error("actions: %s", err);
		return -1;
	}
	return 0;
}

static void
record(struct srv *s, const char *action, const char *subject, const struct act_result *r)
{
	char detail[1200];

	snprintf(detail, sizeof(detail), "%.900s%s%.250s", r->cmd, r->err[0] ? ": " : "", r->err);
	srv_audit(s, "detector", action, subject, detail, r->dry_run, r->ok);
	if (!r->ok)
		s->m.errors++;
}

/* After a detector's lock: the hook, kick, purge, notify. */
void
srv_act_lock(struct srv *s, const struct finding *f, uint64_t incident)
{
	bool dry = s->set.srv.shadow;
	char inc[32], subject[LIMIT_ACCOUNT_MAX + 16];
	struct act_vars v = { 0 };
	struct act_result r;

	snprintf(inc, sizeof(inc), "%llu", (unsigned long long)incident);
	snprintf(subject, sizeof(subject), "account %s", f->account);
	v.account = f->account;
	v.kind = finding_kind_name(f->kind);
	v.incident = inc;
	v.reason = "account_compromise";
	if (act_configured(s->act, ACT_LOCK)) {
		act_lock(s->act, &v, dry, &r);
		record(s, "lock_hook", subject, &r);
	}
	if (act_configured(s->act, ACT_KICK)) {
		act_kick(s->act, f->account, dry, &r);
		record(s, "kick", subject, &r);
	}
	if (act_configured(s->act, ACT_PURGE)) {
		struct act_purge_req q = { 0 };
		struct act_purge_list l;

		q.account = f->account;
		q.backscatter = true;
		q.since = f->first_evidence;
		act_purge(s->act, &q, dry, &r, &l);
		record(s, "purge", subject, &r);
		msg_info("purge %s: %zu message(s) selected, %llu deleted", f->account, l.n,
			 (unsigned long long)l.deleted);
		act_purge_list_free(&l);
	}
	if (act_configured(s->act, ACT_NOTIFY)) {
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
		ai.actions = dry ? "shadow mode: nothing was done" : "the account is locked";
		act_notify(s->act, &ai, dry, &r);
		record(s, "notify", subject, &r);
	}
}

/* After an unlock: the unlock hook. */
void
srv_act_unlock(struct srv *s, const char *account)
{
	char subject[LIMIT_ACCOUNT_MAX + 16];
	struct act_vars v = { 0 };
	struct act_result r;

	if (!act_configured(s->act, ACT_UNLOCK))
		return;
	snprintf(subject, sizeof(subject), "account %s", account);
	v.account = account;
	v.reason = "unlock";
	act_unlock(s->act, &v, s->set.srv.shadow, &r);
	record(s, "unlock_hook", subject, &r);
}

/* A brute-force or spraying IP: ban it when configured. */
void
srv_act_ban(struct srv *s, const struct finding *f)
{
	char subject[NETADDR_STRLEN + 8];
	struct act_result r;

	if (f->ip[0] == '\0' || !act_configured(s->act, ACT_BAN))
		return;
	snprintf(subject, sizeof(subject), "ip %s", f->ip);
	act_ban(s->act, f->ip, s->set.act.ban_time, s->set.srv.shadow, &r);
	record(s, "ban", subject, &r);
}
