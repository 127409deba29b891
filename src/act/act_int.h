/* act_int.h - what the act_*.c files share; not for other modules
 * SUMMARY  The settings as act_new checked them, and the helpers that fill
 *          a struct act_result (refuse, dry run, run a command). */
#ifndef MS_ACT_INT_H
#define MS_ACT_INT_H

#include "act/act.h"
#include "util/msg.h"

struct act {
	int64_t timeout_ms;
	struct act_tmpl *lock, *unlock;	/* NULL = not configured */
	char *postqueue, *postsuper, *pfx_confdir;
	char *nft, *nft_family, *nft_table, *nft_set4, *nft_set6;
	int64_t ban_time;
	char *sendmail, *notify_to, *notify_from;
	char *doveadm;
	/* webhook: NULL = not configured. url_shown is the URL without
	 * user:password, query and fragment; header is the whole line. */
	char *webhook_url, *webhook_url_shown, *webhook_header, *webhook_proxy;
};

/* Escape s for an error message (strv_printable), at most size-1 bytes,
 * ending in "..." when cut. Returns dst. */
char *act_quote(const char *s, char *dst, size_t size);

/* act_webhook.c: check webhook_url, webhook_header and webhook_proxy,
 * fill a's webhook fields, and (once per process) initialize libcurl.
 * 0, or -1 with err naming the setting (never echoing the header value). */
int act_webhook_setup(struct act *a, const struct act_conf *c, char *err, size_t errlen);

/* Start a result: everything empty, exit_status -1. */
void act_res_init(struct act_result *r, bool dry_run);
/* r->ok = false, r->err = the message; returns -1. */
int act_res_fail(struct act_result *r, const char *fmt, ...) MSG_FMT(2, 3);
/* Render argv into r->cmd (after what is there, joined by " | "). */
void act_res_cmd(struct act_result *r, const char *const *argv);
/* Append text to r->out, cut with "..." when full. */
void act_res_out(struct act_result *r, const char *p, size_t len);
#define ACT_RES_LIT(r, s) act_res_out((r), (s), sizeof(s) - 1)
/* act_res_out with control bytes other than newline and tab as \xNN:
 * text from a program or a server cannot write terminal escapes. */
void act_res_out_escaped(struct act_result *r, const char *p, size_t len);
/* Run cmd (rendered into r->cmd already) and fill r from the outcome:
 * ok when the exit status is 0 or one of ok_codes (nok of them). The
 * exec result goes to *xr when xr is not NULL. Returns 0 if ok, else -1. */
int act_res_run(struct act_result *r, const struct act_cmd *cmd, const int *ok_codes, size_t nok,
		struct act_exec_result *xr);

#endif
