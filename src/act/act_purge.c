/* act_purge.c - delete an account's queued spam and its backscatter (Postfix)
 * SUMMARY  postqueue -j, read line by line as it arrives (act_pq_parse);
 *          the selection (act.h) decided per message; then postsuper -d -
 *          with the selected ids on stdin, one per line. The ids written
 *          are only ones postqueue listed and act_pq_parse checked
 *          ([A-Za-z0-9]{1,32}), never ids handed in by the caller: those
 *          only select. Memory: the selected ids (ACT_PURGE_MAX at most)
 *          and one listing line (ACT_PQ_LINE_MAX). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "act/act_int.h"
#include "util/htab.h"
#include "util/mem.h"
#include "util/scan.h"
#include "util/strv.h"
#include "util/timeconv.h"

struct sel {
	const struct act_purge_req *q;
	const char *account;
	struct htab *known;	/* ids from the caller, or NULL */
	struct htab *seen;	/* selected ids, against a message listed twice */
	struct act_purge_list *l;
};

static const char *const why_names[] = { "sender", "backscatter", "known_id" };

const char *
act_purge_why_name(enum act_purge_why w)
{
	return (unsigned)w < sizeof(why_names) / sizeof(why_names[0]) ? why_names[w] : "?";
}

void
act_purge_list_free(struct act_purge_list *l)
{
	if (l == NULL)
		return;
	mem_free(l->msgs);
	memset(l, 0, sizeof(*l));
}

/* The null sender (a bounce) as `postqueue -j` lists it: showq writes
 * Postfix's empty_address_recipient, "MAILER-DAEMON" unless changed, in
 * place of "". The bare word is no real sender: cleanup qualifies every
 * envelope sender (@$myorigin). "" is taken too. */
static bool
null_sender(const struct act_pq_msg *m)
{
	return !m->sender_cut && (m->sender[0] == '\0' ||
				  strv_eq_nocase(strv_cstr(m->sender), STRV_LIT("MAILER-DAEMON")));
}

static void
on_line(void *arg, const char *line, size_t len, bool cut)
{
	struct sel *s = arg;
	struct act_purge_list *l = s->l;
	struct act_pq_msg m;
	enum act_purge_why why;
	bool created;

	if (len == 0 && !cut)
		return;
	if (cut || act_pq_parse(line, len, s->account, &m) != 0) {
		l->malformed++;
		return;
	}
	l->scanned++;
	if (!m.sender_cut && strv_eq_nocase(strv_cstr(m.sender), strv_cstr(s->account)))
		why = ACT_PURGE_SENDER;
	else if (s->q->backscatter && null_sender(&m) && m.rcpt_match &&
		 (s->q->since <= 0 || m.arrival_time >= s->q->since))
		why = ACT_PURGE_BACKSCATTER;
	else if (s->known != NULL && htab_get(s->known, m.queue_id, strlen(m.queue_id)) != NULL)
		why = ACT_PURGE_KNOWN_ID;
	else
		return;
	if (htab_get(s->seen, m.queue_id, strlen(m.queue_id)) != NULL)
		return;
	if (l->n >= ACT_PURGE_MAX) {
		l->over_limit++;
		return;
	}
	*htab_put(s->seen, m.queue_id, strlen(m.queue_id), &created) = s;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->msgs = mem_reallocarray(l->msgs, l->cap, sizeof(*l->msgs));
	}
	memset(&l->msgs[l->n], 0, sizeof(l->msgs[l->n]));
	memcpy(l->msgs[l->n].queue_id, m.queue_id, sizeof(m.queue_id));
	memcpy(l->msgs[l->n].queue_name, m.queue_name, sizeof(m.queue_name));
	l->msgs[l->n].why = why;
	l->msgs[l->n].arrival_time = m.arrival_time;
	l->msgs[l->n].message_size = m.message_size;
	l->n++;
}

/* "postsuper: Deleted: 12 messages" */
static bool
deleted_count(const char *s, uint64_t *n)
{
	const char *p = strstr(s, "Deleted: ");
	uint64_t v;

	if (p == NULL || scan_u64_prefix(p + 9, strlen(p + 9), &v) == 0)
		return false;
	*n = v;
	return true;
}

/* [postqueue|postsuper] [-c DIR] args... */
static void
tool_argv(const struct act *a, const char *tool, const char *const *args, const char **argv)
{
	size_t n = 0;

	argv[n++] = tool;
	if (a->pfx_confdir != NULL) {
		argv[n++] = "-c";
		argv[n++] = a->pfx_confdir;
	}
	for (; *args != NULL; args++)
		argv[n++] = *args;
	argv[n] = NULL;
}

static void
summary(struct act_result *r, const struct act_purge_list *l, const char *outcome)
{
	char line[256];
	size_t i;

	snprintf(line, sizeof(line),
		 "selected %zu of %" PRIu64 " listed (%" PRIu64 " malformed lines skipped%s); %s",
		 l->n, l->scanned, l->malformed,
		 l->over_limit ? ", more left for another run" : "", outcome);
	act_res_out(r, line, strlen(line));
	for (i = 0; i < l->n; i++) {
		snprintf(line, sizeof(line), "%s%s %s", i ? " " : ": ", l->msgs[i].queue_id,
			 act_purge_why_name(l->msgs[i].why));
		act_res_out(r, line, strlen(line));
	}
	ACT_RES_LIT(r, "\n");
}

int
act_purge(const struct act *a, const struct act_purge_req *q, bool dry_run,
	  struct act_result *r, struct act_purge_list *out)
{
	static const char *const list_args[] = { "-j", NULL };
	static const char *const del_args[] = { "-d", "-", NULL };
	const char *pq_argv[8], *ps_argv[8];
	char acc[ACT_ACCOUNT_MAX + 1], e[sizeof(r->err)], line[160];
	struct act_purge_list local;
	struct act_exec_result *x = NULL;
	struct act_cmd cmd;
	struct buf in;
	struct sel s;
	size_t i;
	int rc = -1;

	act_res_init(r, dry_run);
	if (out == NULL)
		out = &local;
	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	buf_init(&in, 0);
	if (a->postqueue == NULL || a->postsuper == NULL)
		return act_res_fail(r, "postqueue_path or postsuper_path is not set: no purge");
	if (q->account == NULL)
		return act_res_fail(r, "purge: no account");
	if (act_check_account(q->account, acc, sizeof(acc), e, sizeof(e)) != 0)
		return act_res_fail(r, "%s", e);
	tool_argv(a, a->postqueue, list_args, pq_argv);
	tool_argv(a, a->postsuper, del_args, ps_argv);
	act_res_cmd(r, pq_argv);
	if (!q->list_only)
		act_res_cmd(r, ps_argv);
	if (dry_run) {
		char when[TIMECONV_RFC3339_LEN];

		r->ok = true;
		snprintf(line, sizeof(line), "dry run: nothing was run; would %s queued mail from ",
			 q->list_only ? "list" : "delete");
		act_res_out(r, line, strlen(line));
		act_res_out(r, acc, strlen(acc));
		if (q->backscatter) {
			ACT_RES_LIT(r, ", and bounces to it");
			if (q->since > 0) {
				timeconv_format_utc(q->since, when);
				snprintf(line, sizeof(line), " arrived since %s", when);
				act_res_out(r, line, strlen(line));
			}
		}
		if (q->nids > 0) {
			snprintf(line, sizeof(line), ", and %zu queue ids from the log", q->nids);
			act_res_out(r, line, strlen(line));
		}
		if (out == &local)
			act_purge_list_free(out);
		return 0;
	}

	s.q = q;
	s.account = acc;
	s.l = out;
	s.seen = htab_new();
	if (q->nids > 0) {
		bool created;

		s.known = htab_new();
		for (i = 0; i < q->nids; i++)
			if (q->ids[i] != NULL && q->ids[i][0] != '\0' &&
			    strlen(q->ids[i]) <= ACT_QID_MAX)
				*htab_put(s.known, q->ids[i], strlen(q->ids[i]), &created) = &s;
	}
	x = mem_alloc(sizeof(*x));
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = pq_argv;
	cmd.timeout_ms = a->timeout_ms;
	cmd.on_line = on_line;
	cmd.line_arg = &s;
	cmd.line_max = ACT_PQ_LINE_MAX;
	if (act_exec(&cmd, x, e, sizeof(e)) != 0) {
		act_res_fail(r, "%s", e);
		goto done;
	}
	r->exit_status = x->exit_status;
	r->timed_out = x->timed_out;
	if (x->timed_out || x->exit_status != 0) {
		const char *why = x->err_len ? x->err : "";
		size_t n = strcspn(why, "\n");
		char q1[120], tmp[120];

		if (n >= sizeof(tmp))
			n = sizeof(tmp) - 1;
		memcpy(tmp, why, n);
		tmp[n] = '\0';
		if (x->timed_out)
			act_res_fail(r, "postqueue timed out: nothing deleted");
		else
			act_res_fail(r, "postqueue exited with status %d%s%s: nothing deleted",
				     x->exit_status, tmp[0] ? ": " : "",
				     act_quote(tmp, q1, sizeof(q1)));
		act_purge_list_free(out);
		goto done;
	}
	if (q->list_only || out->n == 0) {
		r->ok = true;
		summary(r, out, q->list_only ? "list only, nothing deleted" : "nothing to delete");
		rc = 0;
		goto done;
	}

	for (i = 0; i < out->n; i++) {
		buf_append_str(&in, out->msgs[i].queue_id);
		buf_append_char(&in, '\n');
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = ps_argv;
	cmd.in = in.data;
	cmd.in_len = in.len;
	cmd.timeout_ms = a->timeout_ms;
	{
		struct act_result ps;
		uint64_t n;

		/* Run into a scratch result, then: summary first, postsuper's
		 * own words after it. */
		act_res_init(&ps, false);
		rc = act_res_run(&ps, &cmd, NULL, 0, x);
		r->exit_status = ps.exit_status;
		r->timed_out = ps.timed_out;
		if (deleted_count(x->err, &n) || deleted_count(x->out, &n))
			out->deleted = n;
		else
			out->deleted = rc == 0 ? out->n : 0;
		snprintf(line, sizeof(line), "deleted %" PRIu64, out->deleted);
		summary(r, out, line);
		act_res_out(r, ps.out, strlen(ps.out));
		r->ok = ps.ok;
		memcpy(r->err, ps.err, sizeof(r->err));
		if (rc != 0 && r->err[0] != '\0') {
			/* Say which of the two programs failed. */
			char tmp[sizeof(r->err)];

			snprintf(tmp, sizeof(tmp), "postsuper %.*s", (int)sizeof(tmp) - 11, ps.err);
			memcpy(r->err, tmp, sizeof(r->err));
		}
	}
done:
	mem_free(x);
	buf_release(&in);
	htab_free(&s.known, NULL);
	htab_free(&s.seen, NULL);
	if (out == &local)
		act_purge_list_free(out);
	return rc;
}
