/* act.c - the settings of the actions; lock, unlock, kick, ban, unban
 * SUMMARY  act_conf_defs is the settings table (docs/actions.md explains
 *          each); act_new checks it once, at config load, so an action
 *          never meets a bad template or path at the moment it is needed.
 *          The act_res_* helpers turn a run into a struct act_result for
 *          the audit trail. purge is act_purge.c, notify act_notify.c,
 *          webhook act_webhook.c (which also checks its own settings). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "act/act_int.h"
#include "util/mem.h"

#define A(field) offsetof(struct act_conf, field)

const struct conf_def act_conf_defs[] = {
	{ "hook_timeout", CONF_DURATION, "30s", A(timeout), 1, 3600,
	  "Longest time any action program may run; then its process group gets SIGTERM, "
	  "and SIGKILL a second later." },
	{ "lock_hook", CONF_STR, "", A(lock_hook), 0, 0,
	  "Program and arguments that lock an account, split on blanks, run without a shell. "
	  "Placeholders: {account} {ip} {kind} {incident} {reason}. Empty: no lock hook "
	  "(the policy service still refuses the account's mail)." },
	{ "unlock_hook", CONF_STR, "", A(unlock_hook), 0, 0,
	  "The same for unlock; it should undo lock_hook." },
	{ "postqueue_path", CONF_STR, "/usr/sbin/postqueue", A(postqueue_path), 0, 0,
	  "Postfix postqueue, run as postqueue -j to list the queue for a purge. "
	  "Empty: no purge." },
	{ "postsuper_path", CONF_STR, "/usr/sbin/postsuper", A(postsuper_path), 0, 0,
	  "Postfix postsuper, run as postsuper -d - to delete the purged messages "
	  "(needs root)." },
	{ "postfix_config_dir", CONF_STR, "", A(postfix_config_dir), 0, 0,
	  "Passed as -c DIR to postqueue and postsuper when not empty (a second Postfix "
	  "instance)." },
	{ "nft_path", CONF_STR, "", A(nft_path), 0, 0,
	  "nftables' nft, used to ban and unban addresses. Empty: no bans." },
	{ "nft_family", CONF_STR, "inet", A(nft_family), 0, 0,
	  "Family of the nftables table holding the ban sets." },
	{ "nft_table", CONF_STR, "mailsentry", A(nft_table), 0, 0,
	  "nftables table holding the ban sets." },
	{ "nft_set_ipv4", CONF_STR, "banned", A(nft_set_ipv4), 0, 0,
	  "nftables set (type ipv4_addr, flags timeout) of banned IPv4 addresses. Empty: "
	  "IPv4 addresses are not banned." },
	{ "nft_set_ipv6", CONF_STR, "banned6", A(nft_set_ipv6), 0, 0,
	  "nftables set (type ipv6_addr, flags timeout) of banned IPv6 addresses. Empty: "
	  "IPv6 addresses are not banned." },
	{ "ban_time", CONF_DURATION, "1h", A(ban_time), 0, 365 * 86400.0,
	  "How long a ban lasts unless the caller says; 0 = until unbanned." },
	{ "sendmail_path", CONF_STR, "/usr/sbin/sendmail", A(sendmail_path), 0, 0,
	  "sendmail-compatible program the notification is piped to, as sendmail -t -i. "
	  "Empty: no notification mail." },
	{ "notify_to", CONF_STR, "postmaster", A(notify_to), 0, 0,
	  "To: of the notification mail." },
	{ "notify_from", CONF_STR, "mailsentry", A(notify_from), 0, 0,
	  "From: of the notification mail." },
	{ "doveadm_path", CONF_STR, "", A(doveadm_path), 0, 0,
	  "Dovecot's doveadm (e.g. /usr/bin/doveadm), run as doveadm kick ACCOUNT to end a "
	  "locked account's sessions. Empty (the default): no kick." },
	{ "webhook_url", CONF_STR, "", A(webhook_url), 0, 0,
	  "http:// or https:// URL the notification is POSTed to as a JSON object; a 2xx "
	  "answer is success. Redirects are not followed. Empty: no webhook." },
	{ "webhook_header", CONF_STR, "", A(webhook_header), 0, 0,
	  "One extra header line sent with the webhook, as \"Name: value\" (e.g. "
	  "\"Authorization: Bearer TOKEN\"); its value is never logged. Empty: none." },
	{ "webhook_proxy", CONF_STR, "", A(webhook_proxy), 0, 0,
	  "Proxy for the webhook (http://, https://, socks5:// or socks5h://HOST:PORT). "
	  "Empty: no proxy; the http_proxy and similar environment variables are ignored." },
};

const size_t act_conf_ndefs = sizeof(act_conf_defs) / sizeof(act_conf_defs[0]);

static const char *const kind_names[ACT_KIND_COUNT] = {
	"lock", "unlock", "purge", "ban", "unban", "notify", "kick", "webhook",
};

const char *
act_kind_name(enum act_kind k)
{
	return (unsigned)k < ACT_KIND_COUNT ? kind_names[k] : "unknown";
}

/* ------------------------------------------------------------- settings */

static int
conf_fail(char *err, size_t errlen, const char *name, const char *val, const char *why)
{
	char q[80];

	snprintf(err, errlen, "%s: \"%s\" %s", name, act_quote(val ? val : "", q, sizeof(q)),
		 why);
	return -1;
}

static bool
all_in(const char *s, bool (*ok)(unsigned char))
{
	for (; *s != '\0'; s++)
		if (!ok((unsigned char)*s))
			return false;
	return true;
}

static bool
path_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '\\';
}

static bool
name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool
header_char(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/* "" (not configured, when may_be_empty) or an absolute path without
 * blanks, quotes or control bytes. */
static int
check_path(const char *name, const char *v, bool may_be_empty, char *err, size_t errlen)
{
	if (v == NULL || v[0] == '\0')
		return may_be_empty ? 0 : conf_fail(err, errlen, name, v, "may not be empty");
	if (v[0] != '/')
		return conf_fail(err, errlen, name, v, "is not an absolute path");
	if (!all_in(v, path_char) || strlen(v) > 1024)
		return conf_fail(err, errlen, name, v,
				 "holds a blank, quote, backslash or control byte");
	return 0;
}

static int
check_name(const char *name, const char *v, bool may_be_empty, char *err, size_t errlen)
{
	if (v == NULL || v[0] == '\0')
		return may_be_empty ? 0 : conf_fail(err, errlen, name, v, "may not be empty");
	if (!(v[0] >= 'a' && v[0] <= 'z') && !(v[0] >= 'A' && v[0] <= 'Z'))
		return conf_fail(err, errlen, name, v, "does not begin with a letter");
	if (!all_in(v, name_char) || strlen(v) > 64)
		return conf_fail(err, errlen, name, v,
				 "is not a name (letters, digits, '_'; at most 64)");
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? mem_strdup(s) : NULL;
}

static int
parse_tmpl(const char *name, const char *text, struct act_tmpl **out, char *err, size_t errlen)
{
	char e[200];

	*out = NULL;
	if (text == NULL || text[0] == '\0')
		return 0;
	if (act_tmpl_parse(text, out, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "%s: %s", name, e);
		return -1;
	}
	if (act_tmpl_uses(*out) & (1u << ACT_VAR_QUEUE_ID)) {
		snprintf(err, errlen, "%s: {queue_id} has no value for this action", name);
		act_tmpl_free(out);
		return -1;
	}
	return 0;
}

struct act *
act_new(const struct act_conf *c, char *err, size_t errlen)
{
	static const char *const families[] = { "ip", "ip6", "inet", "bridge", "netdev" };
	struct act *a;
	size_t i;

	if (c->timeout < 1 || c->timeout > 3600) {
		snprintf(err, errlen, "hook_timeout: %" PRId64 "s is out of range (1s..1h)",
			 c->timeout);
		return NULL;
	}
	if (c->ban_time < 0 || c->ban_time > 365 * 86400) {
		snprintf(err, errlen, "ban_time: %" PRId64 "s is out of range (0..365d)",
			 c->ban_time);
		return NULL;
	}
	if (check_path("postqueue_path", c->postqueue_path, true, err, errlen) ||
	    check_path("postsuper_path", c->postsuper_path, true, err, errlen) ||
	    check_path("postfix_config_dir", c->postfix_config_dir, true, err,
		       errlen) ||
	    check_path("nft_path", c->nft_path, true, err, errlen) ||
	    check_path("sendmail_path", c->sendmail_path, true, err, errlen) ||
	    check_path("doveadm_path", c->doveadm_path, true, err, errlen))
		return NULL;
	if (c->postqueue_path != NULL && c->postqueue_path[0] != '\0' &&
	    check_path("postsuper_path", c->postsuper_path, false, err, errlen))
		return NULL;
	if (c->nft_path != NULL && c->nft_path[0] != '\0') {
		bool fam = false;

		for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
			fam |= c->nft_family != NULL && strcmp(c->nft_family, families[i]) == 0;
		if (!fam) {
			conf_fail(err, errlen, "nft_family", c->nft_family,
				  "is not ip, ip6, inet, bridge or netdev");
			return NULL;
		}
		if (check_name("nft_table", c->nft_table, false, err, errlen) ||
		    check_name("nft_set_ipv4", c->nft_set_ipv4, true, err, errlen) ||
		    check_name("nft_set_ipv6", c->nft_set_ipv6, true, err, errlen))
			return NULL;
		if ((c->nft_set_ipv4 == NULL || c->nft_set_ipv4[0] == '\0') &&
		    (c->nft_set_ipv6 == NULL || c->nft_set_ipv6[0] == '\0')) {
			snprintf(err, errlen, "nft_set_ipv4, nft_set_ipv6: both empty, with "
					      "nft_path set");
			return NULL;
		}
	}
	if (c->sendmail_path != NULL && c->sendmail_path[0] != '\0') {
		if (c->notify_to == NULL || c->notify_to[0] == '\0' ||
		    !all_in(c->notify_to, header_char) || strlen(c->notify_to) > 900) {
			conf_fail(err, errlen, "notify_to", c->notify_to,
				  "is empty, too long, or holds a control byte");
			return NULL;
		}
		if (c->notify_from == NULL || c->notify_from[0] == '\0' ||
		    !all_in(c->notify_from, header_char) || strlen(c->notify_from) > 900) {
			conf_fail(err, errlen, "notify_from", c->notify_from,
				  "is empty, too long, or holds a control byte");
			return NULL;
		}
	}

	a = mem_calloc(1, sizeof(*a));
	if (parse_tmpl("lock_hook", c->lock_hook, &a->lock, err, errlen) ||
	    parse_tmpl("unlock_hook", c->unlock_hook, &a->unlock, err, errlen)) {
		act_free(&a);
		return NULL;
	}
	a->timeout_ms = c->timeout * 1000;
	a->postqueue = dup_or_null(c->postqueue_path);
	a->postsuper = dup_or_null(c->postsuper_path);
	a->pfx_confdir = dup_or_null(c->postfix_config_dir);
	a->nft = dup_or_null(c->nft_path);
	a->nft_family = dup_or_null(c->nft_family);
	a->nft_table = dup_or_null(c->nft_table);
	a->nft_set4 = dup_or_null(c->nft_set_ipv4);
	a->nft_set6 = dup_or_null(c->nft_set_ipv6);
	a->ban_time = c->ban_time;
	a->sendmail = dup_or_null(c->sendmail_path);
	a->notify_to = dup_or_null(c->notify_to);
	a->notify_from = dup_or_null(c->notify_from);
	a->doveadm = dup_or_null(c->doveadm_path);
	if (act_webhook_setup(a, c, err, errlen) != 0) {
		act_free(&a);
		return NULL;
	}
	return a;
}

void
act_free(struct act **ap)
{
	struct act *a = *ap;

	if (a == NULL)
		return;
	act_tmpl_free(&a->lock);
	act_tmpl_free(&a->unlock);
	mem_free(a->postqueue);
	mem_free(a->postsuper);
	mem_free(a->pfx_confdir);
	mem_free(a->nft);
	mem_free(a->nft_family);
	mem_free(a->nft_table);
	mem_free(a->nft_set4);
	mem_free(a->nft_set6);
	mem_free(a->sendmail);
	mem_free(a->notify_to);
	mem_free(a->notify_from);
	mem_free(a->doveadm);
	mem_free(a->webhook_url);
	mem_free(a->webhook_url_shown);
	mem_free(a->webhook_header);
	mem_free(a->webhook_proxy);
	mem_free(a);
	*ap = NULL;
}

bool
act_configured(const struct act *a, enum act_kind k)
{
	switch (k) {
	case ACT_LOCK:
		return a->lock != NULL;
	case ACT_UNLOCK:
		return a->unlock != NULL;
	case ACT_PURGE:
		return a->postqueue != NULL && a->postsuper != NULL;
	case ACT_BAN:
	case ACT_UNBAN:
		return a->nft != NULL;
	case ACT_NOTIFY:
		return a->sendmail != NULL;
	case ACT_KICK:
		return a->doveadm != NULL;
	case ACT_WEBHOOK:
		return a->webhook_url != NULL;
	default:
		return false;
	}
}

/* ------------------------------------------------------------- results */

void
act_res_init(struct act_result *r, bool dry_run)
{
	memset(r, 0, sizeof(*r));
	r->dry_run = dry_run;
	r->exit_status = -1;
}

int
act_res_fail(struct act_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	r->ok = false;
	return -1;
}

void
act_res_cmd(struct act_result *r, const char *const *argv)
{
	size_t o = strlen(r->cmd);

	if (o > 0 && o + 3 < sizeof(r->cmd)) {
		memcpy(r->cmd + o, " | ", 4);
		o += 3;
	}
	act_argv_render(argv, r->cmd + o, sizeof(r->cmd) - o);
}

void
act_res_out(struct act_result *r, const char *p, size_t len)
{
	size_t o = strlen(r->out), room = sizeof(r->out) - 1 - o;

	if (len <= room) {
		memcpy(r->out + o, p, len);
		r->out[o + len] = '\0';
		return;
	}
	if (room < 3)
		return;	/* already cut */
	memcpy(r->out + o, p, room - 3);
	o += room - 3;
	/* Not half a UTF-8 character before the marker. */
	while (o > 0 && ((unsigned char)r->out[o - 1] & 0xc0) == 0x80)
		o--;
	if (o > 0 && (unsigned char)r->out[o - 1] >= 0xc0)
		o--;
	memcpy(r->out + o, "...", 4);
}

/* Child output for the audit trail: control bytes other than newline and
 * tab escaped, so a hook cannot write terminal escapes into `status`. */
void
act_res_out_escaped(struct act_result *r, const char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		char e[4];

		if (c >= 0x20 || c == '\n' || c == '\t')
			continue;
		act_res_out(r, p + start, i - start);
		e[0] = '\\';
		e[1] = 'x';
		e[2] = hex[c >> 4];
		e[3] = hex[c & 15];
		act_res_out(r, e, 4);
		start = i + 1;
	}
	act_res_out(r, p + start, len - start);
}

/* First line of s, printable, for an error message. */
static const char *
first_line(const char *s, char *dst, size_t size)
{
	char tmp[160];
	size_t n = strcspn(s, "\n");

	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return act_quote(tmp, dst, size);
}

int
act_res_run(struct act_result *r, const struct act_cmd *cmd, const int *ok_codes, size_t nok,
	    struct act_exec_result *xr)
{
	struct act_exec_result *x = xr ? xr : mem_alloc(sizeof(*x));
	char e[200], line[120];
	bool ok = false;
	size_t i;
	int rc = -1;

	if (act_exec(cmd, x, e, sizeof(e)) != 0) {
		act_res_fail(r, "%s", e);
		goto out;
	}
	r->exit_status = x->exit_status;
	r->timed_out = x->timed_out;
	act_res_out_escaped(r, x->out, x->out_len);
	if (x->out_cut)
		ACT_RES_LIT(r, " [cut]");
	if (x->err_len > 0) {
		if (r->out[0] != '\0' && r->out[strlen(r->out) - 1] != '\n')
			act_res_out(r, "\n", 1);
		ACT_RES_LIT(r, "[stderr] ");
		act_res_out_escaped(r, x->err, x->err_len);
		if (x->err_cut)
			ACT_RES_LIT(r, " [cut]");
	}
	if (x->timed_out) {
		act_res_fail(r, "timed out after %" PRId64 " ms: process group killed",
			     cmd->timeout_ms > 0 ? cmd->timeout_ms : ACT_TIMEOUT_DEFAULT_MS);
		goto out;
	}
	if (x->signal != 0) {
		act_res_fail(r, "killed by signal %d", x->signal);
		goto out;
	}
	if (x->exit_status < 0) {
		act_res_fail(r, "exit status lost (reaped elsewhere: is SIGCHLD ignored?)");
		goto out;
	}
	ok = x->exit_status == 0;
	for (i = 0; i < nok && !ok; i++)
		ok = x->exit_status == ok_codes[i];
	if (!ok) {
		const char *why = x->err_len ? x->err : x->out;

		act_res_fail(r, "exited with status %d%s%s", x->exit_status, why[0] ? ": " : "",
			     why[0] ? first_line(why, line, sizeof(line)) : "");
		goto out;
	}
	if (x->orphans_killed)
		ACT_RES_LIT(r, "\n[note] processes it left holding its output were killed");
	r->ok = true;
	rc = 0;
out:
	if (xr == NULL)
		mem_free(x);
	return rc;
}

/* The argv built, in r->cmd: a dry run stops here. */
static int
res_dry(struct act_result *r)
{
	r->ok = true;
	ACT_RES_LIT(r, "dry run: nothing was run");
	return 0;
}

/* ------------------------------------------------------------- lock, unlock */

static int
run_tmpl(const struct act *a, const struct act_tmpl *t, const char *setting,
	 const struct act_vars *v, bool dry_run, struct act_result *r)
{
	struct act_argv av;
	struct act_cmd cmd;
	char e[sizeof(r->err)];
	int rc;

	act_res_init(r, dry_run);
	if (t == NULL)
		return act_res_fail(r, "%s is not set: nothing to run", setting);
	if (act_tmpl_expand(t, v, &av, e, sizeof(e)) != 0)
		return act_res_fail(r, "%s", e);
	act_res_cmd(r, (const char *const *)av.argv);
	if (dry_run) {
		act_argv_free(&av);
		return res_dry(r);
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = (const char *const *)av.argv;
	cmd.timeout_ms = a->timeout_ms;
	rc = act_res_run(r, &cmd, NULL, 0, NULL);
	act_argv_free(&av);
	return rc;
}

int
act_lock(const struct act *a, const struct act_vars *v, bool dry_run, struct act_result *r)
{
	return run_tmpl(a, a->lock, "lock_hook", v, dry_run, r);
}

int
act_unlock(const struct act *a, const struct act_vars *v, bool dry_run, struct act_result *r)
{
	return run_tmpl(a, a->unlock, "unlock_hook", v, dry_run, r);
}

/* ------------------------------------------------------------- kick */

/* Run a fixed argv (already in r->cmd unless dry). */
static int
run_argv(const struct act *a, const char *const *argv, bool dry_run, struct act_result *r,
	 const int *ok_codes, size_t nok)
{
	struct act_cmd cmd;

	act_res_cmd(r, argv);
	if (dry_run)
		return res_dry(r);
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.timeout_ms = a->timeout_ms;
	return act_res_run(r, &cmd, ok_codes, nok, NULL);
}

int
act_kick(const struct act *a, const char *account, bool dry_run, struct act_result *r)
{
	static const int no_users = 68;	/* doveadm: "no users kicked" (EX_NOUSER) */
	char acc[ACT_ACCOUNT_MAX + 1], e[sizeof(r->err)], q[80];
	struct netaddr na;
	const char *argv[4];

	act_res_init(r, dry_run);
	if (a->doveadm == NULL)
		return act_res_fail(r, "doveadm_path is not set: nothing to run");
	if (account == NULL)
		return act_res_fail(r, "kick: no account");
	if (act_check_account(account, acc, sizeof(acc), e, sizeof(e)) != 0)
		return act_res_fail(r, "%s", e);
	/* doveadm kick takes a user mask or ip[/bits]: either would end other
	 * people's sessions. */
	if (strpbrk(acc, "*?/") != NULL || netaddr_parse(acc, strlen(acc), &na) == 0)
		return act_res_fail(r,
				    "account \"%s\" refused: doveadm kick would read it as a "
				    "mask or a network",
				    act_quote(acc, q, sizeof(q)));
	argv[0] = a->doveadm;
	argv[1] = "kick";
	argv[2] = acc;
	argv[3] = NULL;
	return run_argv(a, argv, dry_run, r, &no_users, 1);
}

/* ------------------------------------------------------------- ban, unban */

/* The canonical address and the set it belongs in. */
static const char *
ban_target(const struct act *a, const char *ip, char addr[NETADDR_STRLEN], struct act_result *r)
{
	char e[sizeof(r->err)];
	const char *set;

	if (a->nft == NULL) {
		act_res_fail(r, "nft_path is not set: nothing to run");
		return NULL;
	}
	if (ip == NULL) {
		act_res_fail(r, "ban: no address");
		return NULL;
	}
	if (act_check_ip(ip, addr, NETADDR_STRLEN, e, sizeof(e)) != 0) {
		act_res_fail(r, "%s", e);
		return NULL;
	}
	set = strchr(addr, ':') ? a->nft_set6 : a->nft_set4;
	if (set == NULL) {
		act_res_fail(r, "%s is empty: %s addresses are not banned",
			     strchr(addr, ':') ? "nft_set_ipv6" : "nft_set_ipv4",
			     strchr(addr, ':') ? "IPv6" : "IPv4");
		return NULL;
	}
	return set;
}

int
act_ban(const struct act *a, const char *ip, int64_t seconds, bool dry_run, struct act_result *r)
{
	char addr[NETADDR_STRLEN], dur[32];
	const char *argv[12], *set;
	size_t n = 0;

	act_res_init(r, dry_run);
	if ((set = ban_target(a, ip, addr, r)) == NULL)
		return -1;
	if (seconds <= 0)
		seconds = a->ban_time;
	if (seconds > 365 * 86400)
		return act_res_fail(r, "ban of %" PRId64 "s: longer than 365 days", seconds);
	argv[n++] = a->nft;
	argv[n++] = "add";
	argv[n++] = "element";
	argv[n++] = a->nft_family;
	argv[n++] = a->nft_table;
	argv[n++] = set;
	argv[n++] = "{";
	argv[n++] = addr;
	if (seconds > 0) {
		snprintf(dur, sizeof(dur), "%" PRId64 "s", seconds);
		argv[n++] = "timeout";
		argv[n++] = dur;
	}
	argv[n++] = "}";
	argv[n] = NULL;
	return run_argv(a, argv, dry_run, r, NULL, 0);
}

int
act_unban(const struct act *a, const char *ip, bool dry_run, struct act_result *r)
{
	char addr[NETADDR_STRLEN];
	const char *argv[10], *set;

	act_res_init(r, dry_run);
	if ((set = ban_target(a, ip, addr, r)) == NULL)
		return -1;
	argv[0] = a->nft;
	argv[1] = "delete";
	argv[2] = "element";
	argv[3] = a->nft_family;
	argv[4] = a->nft_table;
	argv[5] = set;
	argv[6] = "{";
	argv[7] = addr;
	argv[8] = "}";
	argv[9] = NULL;
	return run_argv(a, argv, dry_run, r, NULL, 0);
}
