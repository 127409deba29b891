/* act.h - responses to a verdict: run hooks and tools by argument vector
 * SUMMARY  Three layers, each usable on its own (docs/actions.md):
 *          1. Values: act_check_* validate what a log gave us (an account,
 *             an IP, a queue id, a reason) before it may reach a program.
 *          2. Commands: act_tmpl_* split a hook template from the settings
 *             ("/usr/local/bin/lock-user --account {account}") on blanks at
 *             config load and expand it into an argv of validated values;
 *             act_exec runs an argv -- never a shell -- with a clean
 *             environment, no inherited fds, optional stdin data, bounded
 *             capture of stdout/stderr and a timeout that kills the child's
 *             process group. act_spawn/act_proc_step/act_reap are the same
 *             machinery split for an event loop (watch the pidfd and pipes).
 *          3. Actions: lock, unlock, purge (Postfix queue), ban/unban
 *             (nftables set), notify (mail through sendmail), webhook
 *             (JSON POSTed with libcurl, act_webhook.c), kick (doveadm).
 *             Each fills a struct act_result for the audit trail and has a
 *             dry run that says what it would run and runs nothing.
 *          A struct act is read-only after act_new: actions may run from
 *          several threads at once, each with its own act_result.
 *          Children are waited for by pid: the process must not ignore
 *          SIGCHLD (SIG_IGN reaps them behind our back) nor waitpid(-1).
 * LIMITS   ACT_* below; templates ACT_ARGS_MAX words, ACT_ARG_MAX bytes per
 *          expanded argument; child output ACT_CAPTURE_MAX bytes per stream
 *          kept (the rest is read and dropped); postqueue lines
 *          ACT_PQ_LINE_MAX; ACT_PURGE_MAX messages per purge; a
 *          notification (mail or webhook body) ACT_MAIL_MAX; a webhook
 *          answer: ACT_WEBHOOK_RESPONSE_MAX read, ACT_CAPTURE_MAX kept.
 * ERRORS   Functions return 0 or -1. Refusals and failures are one line in
 *          err / act_result.err naming the value or program and the reason;
 *          text from logs in them is escaped (strv_printable) and cut. */
#ifndef MS_ACT_H
#define MS_ACT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/conf.h"
#include "util/buf.h"
#include "util/netaddr.h"

/* ------------------------------------------------------------- limits */

#define ACT_ARGS_MAX 64		/* words of a template, entries of an argv */
#define ACT_ARG_MAX 1024	/* bytes of one argument after substitution */
#define ACT_ACCOUNT_MAX 255	/* bytes; RFC 5321 path is 256 with brackets */
#define ACT_REASON_MAX 200	/* bytes kept of a reason (cut at a character) */
#define ACT_QID_MAX 32		/* Postfix long ids are 15-17 bytes */
#define ACT_KIND_MAX 32		/* "account_compromise" */
#define ACT_INCIDENT_MAX 64	/* an incident id */
#define ACT_CAPTURE_MAX 4096	/* bytes kept of a child's stdout, and of its stderr */
#define ACT_PQ_LINE_MAX (4u << 20)	/* one postqueue -j line (a message with 30k recipients) */
#define ACT_PURGE_MAX 100000	/* messages deleted by one purge; run it again for more */
#define ACT_KILL_GRACE_MS 1000	/* SIGTERM to SIGKILL of a timed-out process group */
#define ACT_MAIL_MAX 65536	/* a notification mail, headers included */
#define ACT_TIMEOUT_DEFAULT_MS 60000
#define ACT_WEBHOOK_URL_MAX 2048	/* bytes of webhook_url, webhook_proxy */
#define ACT_WEBHOOK_HEADER_MAX 1024	/* bytes of webhook_header */
#define ACT_WEBHOOK_RESPONSE_MAX 65536	/* answer bytes read before the transfer is stopped */

/* The environment of every child. */
#define ACT_ENV_PATH "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define ACT_ENV_LANG "LANG=C"

/* ------------------------------------------------------------- values */

/* Each writes the checked (possibly normalized) value to out, which has
 * outsize bytes, and returns 0; or returns -1 with err saying why (out
 * untouched then).
 * account  1..ACT_ACCOUNT_MAX bytes of valid UTF-8; ASCII limited to what an
 *          unquoted address or login name holds (letters, digits, '@', '.',
 *          and !#$%&'*+-/=?^_`{|}~); no whitespace, control bytes, or
 *          ()<>[]:;,\"; no leading '-'. So "a;rm -rf /" is refused while
 *          "`id`@example.com" passes -- harmless, as no shell ever sees it.
 * ip       one address as util/netaddr parses it; out is its canonical text
 *          (::ffff:192.0.2.1 becomes 192.0.2.1); out has NETADDR_STRLEN bytes.
 * queue_id [A-Za-z0-9]{1,ACT_QID_MAX}.
 * kind     [a-z0-9_]{1,ACT_KIND_MAX}.
 * incident [A-Za-z0-9._:-]{1,ACT_INCIDENT_MAX}, first byte a letter or digit.
 * reason   valid UTF-8 without control bytes (tab included); cut to
 *          ACT_REASON_MAX bytes at a character boundary; may be empty. */
int act_check_account(const char *s, char *out, size_t outsize, char *err, size_t errlen);
int act_check_ip(const char *s, char *out, size_t outsize, char *err, size_t errlen);
int act_check_queue_id(const char *s, char *out, size_t outsize, char *err, size_t errlen);
int act_check_kind(const char *s, char *out, size_t outsize, char *err, size_t errlen);
int act_check_incident(const char *s, char *out, size_t outsize, char *err, size_t errlen);
int act_check_reason(const char *s, char *out, size_t outsize, char *err, size_t errlen);

/* ------------------------------------------------------------- templates */

enum act_var {
	ACT_VAR_ACCOUNT,	/* {account} */
	ACT_VAR_IP,		/* {ip} */
	ACT_VAR_KIND,		/* {kind} */
	ACT_VAR_INCIDENT,	/* {incident} */
	ACT_VAR_REASON,		/* {reason} */
	ACT_VAR_QUEUE_ID,	/* {queue_id} */
	ACT_VAR_MAX
};

/* The values a template may use; NULL = this action has none. */
struct act_vars {
	const char *account, *ip, *kind, *incident, *reason, *queue_id;
};

/* A parsed template: words, each literal text with {name} placeholders. */
struct act_tmpl;

/* Split text on blanks (spaces and tabs) into words. Refused: an empty
 * template; more than ACT_ARGS_MAX words; a first word that is not an
 * absolute path or holds a placeholder; quotes or backslashes (nothing is
 * unquoted: an argument cannot contain a blank -- use a wrapper script);
 * '{' or '}' outside a known placeholder; control bytes. */
int act_tmpl_parse(const char *text, struct act_tmpl **out, char *err, size_t errlen);
void act_tmpl_free(struct act_tmpl **t);
/* Bit (1u << ACT_VAR_x) set for each placeholder the template uses. */
unsigned act_tmpl_uses(const struct act_tmpl *t);
const char *act_var_name(enum act_var v);

/* A NULL-terminated argument vector owned by its struct. */
struct act_argv {
	char *argv[ACT_ARGS_MAX + 1];
	size_t argc;
};

/* Check every value the template uses (a used value that is NULL is an
 * error), then substitute. A placeholder that begins an argument may not
 * give a value that begins with '-'. Each argument is at most ACT_ARG_MAX
 * bytes. On error out is empty. */
int act_tmpl_expand(const struct act_tmpl *t, const struct act_vars *v, struct act_argv *out,
		    char *err, size_t errlen);
/* Copy a fixed vector (argv[argc] = NULL); -1 past ACT_ARGS_MAX. */
int act_argv_set(struct act_argv *out, const char *const *argv, size_t argc);
void act_argv_free(struct act_argv *a);
/* The argv for people: each argument in single quotes (' as '\'',
 * control bytes as \xNN), separated by spaces; cut with "..." to fit.
 * Returns buf. */
char *act_argv_render(const char *const *argv, char *buf, size_t size);

/* ------------------------------------------------------------- exec */

/* What to run. argv[0] is an absolute path; it is executed directly
 * (execve) with the environment PATH and LANG only, in "/", in a new
 * process group, with default signal dispositions and an empty signal
 * mask, and with no fd open but 0, 1 and 2. */
struct act_cmd {
	const char *const *argv;
	const void *in;		/* written to the child's stdin; NULL = /dev/null */
	size_t in_len;		/* must stay valid until act_reap */
	int64_t timeout_ms;	/* <= 0: ACT_TIMEOUT_DEFAULT_MS */
	/* Optional: each line of stdout (without its '\n'), as it arrives;
	 * a line longer than line_max (0 = ACT_PQ_LINE_MAX) is given cut to
	 * line_max with cut = true. A last line without '\n' is given too. */
	void (*on_line)(void *arg, const char *line, size_t len, bool cut);
	void *line_arg;
	size_t line_max;
};

struct act_exec_result {
	int exit_status;	/* exit code; 128 + N if killed by signal N; -1 if not run */
	int signal;		/* the signal that ended it, else 0 */
	bool timed_out;		/* still running at the deadline: group killed */
	bool orphans_killed;	/* exited, but descendants held its output open at the deadline */
	size_t in_written;	/* bytes of stdin data the child took */
	int64_t elapsed_ms;
	char out[ACT_CAPTURE_MAX + 1];	/* first bytes of stdout, NUL-terminated */
	size_t out_len;
	bool out_cut;		/* more was written and dropped */
	char err[ACT_CAPTURE_MAX + 1];	/* first bytes of stderr */
	size_t err_len;
	bool err_cut;
};

/* Run and wait. -1 only when the program could not be started (err says
 * why: "cannot execute /x: No such file or directory"); a program that
 * ran and failed, or timed out, returns 0 with the result telling. */
int act_exec(const struct act_cmd *cmd, struct act_exec_result *res, char *err, size_t errlen);

/* The same, for an event loop. act_spawn starts the program; then, until
 * act_proc_step returns 1, wait for any of the fds act_proc_pollfds names
 * (or act_proc_timeout_ms, whichever comes first) and call act_proc_step,
 * which does all the I/O that does not block, notices the exit, and
 * enforces the deadline. act_reap collects the result and frees the
 * handle; called before step returned 1 it kills the group first. */
struct act_proc;

int act_spawn(const struct act_cmd *cmd, struct act_proc **out, char *err, size_t errlen);
pid_t act_proc_pid(const struct act_proc *p);
/* The fds to watch now (stdin socket for POLLOUT, stdout and stderr pipes
 * for POLLIN, the pidfd for POLLIN while the child runs); fds has room for
 * 4. Returns how many. */
size_t act_proc_pollfds(const struct act_proc *p, struct pollfd *fds);
/* Milliseconds until act_proc_step must run even without I/O (the
 * deadline; a short tick when the kernel gave no pidfd). -1: no limit. */
int act_proc_timeout_ms(const struct act_proc *p);
int act_proc_step(struct act_proc *p);
void act_reap(struct act_proc **p, struct act_exec_result *res);

/* ------------------------------------------------------------- actions */

struct act_conf {
	int64_t timeout;		/* hook_timeout, seconds */
	char *lock_hook;		/* templates; "" = not configured */
	char *unlock_hook;
	char *postqueue_path;		/* "" = purge not configured */
	char *postsuper_path;
	char *postfix_config_dir;	/* "" = Postfix's default; else -c DIR */
	char *nft_path;			/* "" = ban not configured */
	char *nft_family;
	char *nft_table;
	char *nft_set_ipv4;
	char *nft_set_ipv6;		/* "" = IPv6 addresses cannot be banned */
	int64_t ban_time;		/* seconds; 0 = until unban */
	char *sendmail_path;		/* "" = notify not configured */
	char *notify_to;
	char *notify_from;
	char *doveadm_path;		/* "" = kick not configured */
	char *webhook_url;		/* "" = webhook not configured */
	char *webhook_header;		/* "" = none; else one "Name: value" */
	char *webhook_proxy;		/* "" = no proxy, whatever the environment says */
};

extern const struct conf_def act_conf_defs[];
extern const size_t act_conf_ndefs;

enum act_kind {
	ACT_LOCK,
	ACT_UNLOCK,
	ACT_PURGE,
	ACT_BAN,
	ACT_UNBAN,
	ACT_NOTIFY,
	ACT_KICK,
	ACT_WEBHOOK,
	ACT_KIND_COUNT
};

struct act;

/* Check the settings, parse the templates (the config-load errors:
 * "lock_hook: quotes are not interpreted ..."). conf is copied. */
struct act *act_new(const struct act_conf *conf, char *err, size_t errlen);
void act_free(struct act **a);
bool act_configured(const struct act *a, enum act_kind k);
const char *act_kind_name(enum act_kind k);	/* "lock", "purge", ... */

/* For the audit trail. ok: the action did what it should (a dry run is ok
 * when it would run). exit_status: of the (last) program, -1 if none ran.
 * cmd: the argv for people (act_argv_render); two programs joined by " | ";
 *      for webhook "POST URL".
 * out: what the program printed (stdout, then "[stderr] " and stderr), or
 *      for a dry run what would be run and fed; for purge, the summary and
 *      ids; for notify, the mail (dry run); for webhook "HTTP NNN" and the
 *      answer, or the body (dry run). Cut to fit.
 * err: "" when ok, else one line: the refusal, "timed out after 30s",
 *      "exited with status 3: <first stderr line>", ... */
struct act_result {
	bool ok;
	bool dry_run;
	bool timed_out;
	int exit_status;
	char cmd[1024];
	char out[4096];
	char err[256];
};

/* Run the lock_hook / unlock_hook template with these values. */
int act_lock(const struct act *a, const struct act_vars *v, bool dry_run, struct act_result *r);
int act_unlock(const struct act *a, const struct act_vars *v, bool dry_run, struct act_result *r);

/* doveadm kick ACCOUNT: ends the account's IMAP/POP3 sessions. Besides
 * act_check_account, refuses what doveadm would read as a mask ('*', '?')
 * or a network (an address, '/'). Exit 68 ("no users kicked") is ok. */
int act_kick(const struct act *a, const char *account, bool dry_run, struct act_result *r);

/* nft add element FAMILY TABLE SET { IP timeout Ns } (the IPv6 set for
 * IPv6). seconds <= 0: ban_time; a ban_time of 0 gives no timeout. */
int act_ban(const struct act *a, const char *ip, int64_t seconds, bool dry_run,
	    struct act_result *r);
/* nft delete element FAMILY TABLE SET { IP } */
int act_unban(const struct act *a, const char *ip, bool dry_run, struct act_result *r);

/* ------------------------------------------------------------- purge */

/* Postfix only (qmail: docs/actions.md). Lists the queue with postqueue -j
 * and deletes, with postsuper -d - (ids on stdin), every message
 *   - whose envelope sender is the account (ASCII case ignored);
 *   - with backscatter: whose sender is null ("", a bounce) and one of whose
 *     recipients is the account, arrived at or after since (the NDRs of
 *     its spam; older bounces are the user's own business);
 *   - whose queue id is in ids: mail the log ties to the account (a SASL
 *     login that sent with a forged envelope sender) and the NDRs it caused.
 * Nothing is deleted when postqueue fails or times out. */
struct act_purge_req {
	const char *account;
	bool backscatter;
	int64_t since;			/* seconds since the epoch; 0 = no bound */
	const char *const *ids;		/* may be NULL */
	size_t nids;
	bool list_only;			/* run postqueue and select; delete nothing */
};

enum act_purge_why { ACT_PURGE_SENDER, ACT_PURGE_BACKSCATTER, ACT_PURGE_KNOWN_ID };

struct act_purge_msg {
	char queue_id[ACT_QID_MAX + 1];
	char queue_name[16];
	enum act_purge_why why;
	int64_t arrival_time;
	uint64_t message_size;
};

struct act_purge_list {
	struct act_purge_msg *msgs;	/* selected, in queue listing order */
	size_t n, cap;
	uint64_t scanned;		/* messages listed */
	uint64_t malformed;		/* listing lines skipped (not a message we can read) */
	uint64_t over_limit;		/* selected past ACT_PURGE_MAX, left for the next run */
	uint64_t deleted;		/* postsuper's "Deleted: N messages"; else n when it succeeded */
};

/* out is initialized here (free it with act_purge_list_free, even after
 * an error); NULL is allowed. */
int act_purge(const struct act *a, const struct act_purge_req *q, bool dry_run,
	      struct act_result *r, struct act_purge_list *out);
void act_purge_list_free(struct act_purge_list *l);
const char *act_purge_why_name(enum act_purge_why w);

/* One postqueue -j line, strictly (RFC 8259 syntax, UTF-8, no duplicate
 * keys among the fields read). Unknown members are skipped. Required:
 * queue_id (a valid id), sender, recipients (objects with an "address").
 * A sender or address longer than the buffers is kept cut, with
 * sender_cut set, and never matches. rcpt_match: some recipient address
 * equals match (ASCII case ignored; match may be NULL). */
struct act_pq_msg {
	char queue_id[ACT_QID_MAX + 1];
	char queue_name[16];
	char sender[ACT_ACCOUNT_MAX + 1];
	bool sender_cut;
	int64_t arrival_time;
	uint64_t message_size;
	size_t nrcpt;
	bool rcpt_match;
};

int act_pq_parse(const char *p, size_t len, const char *match, struct act_pq_msg *m);

/* ------------------------------------------------------------- notify */

#define ACT_COUNTS_MAX 8

struct act_count {
	const char *name;	/* "distinct_ips" */
	uint64_t value;
};

/* What the notification tells. Only kind is required. */
struct act_incident {
	const char *kind;		/* "account_compromise" */
	const char *account;		/* NULL or "" when about an IP only */
	const char *ip;
	const char *incident;		/* id, or NULL */
	int64_t first_evidence, detected_at;	/* seconds since the epoch; 0 = unknown */
	struct act_count counts[ACT_COUNTS_MAX];
	unsigned ncounts;
	const char *signals;		/* free text, lines end in '\n'; may be NULL */
	const char *actions;		/* what was done, free text; may be NULL */
};

/* The mail, headers and body (LF line ends), at most ACT_MAIL_MAX bytes.
 * Header values are built only from escaped text: a CR, LF or any other
 * control byte in an account can never start a header of its own (it
 * shows as '?' in Subject, escaped as \xNN in the body). Non-ASCII shows
 * as '?' in headers, as is in the body (UTF-8). now: the Date header. */
int act_notify_format(const struct act *a, const struct act_incident *inc, int64_t now,
		      struct buf *mail, char *err, size_t errlen);
/* act_notify_format piped to sendmail_path -t -i. */
int act_notify(const struct act *a, const struct act_incident *inc, bool dry_run,
	       struct act_result *r);

/* ------------------------------------------------------------- webhook */

/* The webhook body: one JSON object (docs/actions.md "Webhook"), at most
 * ACT_MAIL_MAX bytes, always valid JSON and UTF-8 whatever the strings
 * hold (control bytes escaped, invalid bytes U+FFFD, long text cut at a
 * character with " [cut]"). host: the "host" member (NULL: null). Refuses
 * only a missing or malformed kind (ours, not the log's). */
int act_webhook_format(const struct act_incident *inc, const char *host, struct buf *body,
		       char *err, size_t errlen);
/* POST act_webhook_format(inc, gethostname()) to webhook_url with
 * Content-Type: application/json and webhook_header. ok: an HTTP 2xx
 * answer within hook_timeout. Blocks (DNS, connect, TLS, the answer):
 * call it from a worker thread, never from the event loop. Thread-safe.
 * r->cmd: "POST URL" with the URL's user:password, query and fragment
 * left out; the header value is never shown. r->out: "HTTP NNN" and the
 * answer's first bytes (control bytes as \xNN); for a dry run the body,
 * and nothing is sent. r->exit_status stays -1 (no program runs).
 * r->err: "HTTP 500 from URL[: first line of the answer]", "timed out
 * after N ms: POST URL" (timed_out set), "POST URL: <libcurl's error>". */
int act_webhook(const struct act *a, const struct act_incident *inc, bool dry_run,
		struct act_result *r);

#endif
