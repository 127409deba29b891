/* pol_decide.h - the answer to a Postfix policy request
 * SUMMARY  pol_decide judges an authenticated request (sasl_username set)
 *          against the state the daemon holds (locked and suspected
 *          accounts, per-account allowed networks, sender aliases, through
 *          struct pol_state_ops) and per-account send rates it keeps itself
 *          (struct pol_rates), and names the action line to send. Order:
 *          locked > not allowed network > sender mismatch > rate > suspect >
 *          default. Anything unauthenticated gets default_action.
 *
 *          Rates: messages and recipients per account over a sliding
 *          window of POL_RATE_BUCKETS buckets (precision rate_window / 12).
 *          A message is counted once, at the latest stage the policy
 *          service is called from: at END-OF-MESSAGE (recipient_count
 *          recipients); at DATA when no END-OF-MESSAGE request was seen in
 *          the last rate_window; at RCPT (one recipient, and one message per
 *          new instance, or queue_id without one) when neither was. It is
 *          counted only when the answer lets it through (rate or later in
 *          the order). Earlier stages check without counting, as if one
 *          more message with one recipient (at DATA: recipient_count) were
 *          added, so an account over its limit is deferred at MAIL or RCPT.
 * LIMITS   pol_rates holds at most max_accounts accounts, the least
 *          recently seen evicted first; POL_RATE_MSGIDS messages of one
 *          account in flight at once are told apart at RCPT.
 * ERRORS   none: a sasl_username that is not a possible account (longer
 *          than LIMIT_ACCOUNT_MAX - 1 bytes, control bytes) is not judged. */
#ifndef MS_POL_DECIDE_H
#define MS_POL_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/pol_proto.h"
#include "util/netaddr.h"

#define POL_RATE_BUCKETS 12
#define POL_RATE_MSGIDS 8
#define POL_RATES_DEFAULT_MAX 100000	/* accounts, when pol_rates_new(0) */

/* An action text of NULL means its default below; "" means "do not act":
 * that check is skipped (default_action "" sends "DUNNO"). */
struct pol_conf {
	const char *locked_action;	/* "REJECT 5.7.1 account suspended: suspected compromise; contact the postmaster" */
	const char *not_allowed_action;	/* "REJECT 5.7.1 this account may not send mail from this network" */
	const char *suspect_action;	/* "HOLD suspected account compromise" */
	const char *rate_action;	/* "DEFER_IF_PERMIT 4.7.1 too much mail from this account; try again later" */
	const char *mismatch_action;	/* "REJECT 5.7.1 sender address not owned by the authenticated user" */
	const char *default_action;	/* "DUNNO" */
	bool mismatch_check;		/* sender must be sasl_username (any case) or an alias; default off */
	uint32_t msg_rate, rcpt_rate;	/* per account per rate_window; 0 = no limit; 300, 3000 */
	int64_t rate_window;		/* seconds, 3600; <= 0 means 3600 */
};

/* Every field set to its default. */
void pol_conf_defaults(struct pol_conf *c);

/* The daemon's state; the struct, any function, and arg may be NULL (a NULL
 * function answers "no"). account_key is evt_account_key of sasl_username. */
struct pol_state_ops {
	bool (*locked)(void *arg, const char *account_key);
	bool (*suspected)(void *arg, const char *account_key);
	/* Allowed networks of an account (incident 3's allow_nets): true with
	 * *allowed set when the account has a list. client has family 0 when
	 * Postfix sent no usable client_address. */
	bool (*allowed)(void *arg, const char *account_key, const struct netaddr *client,
			bool *allowed);
	/* With mismatch_check: whether sender_key (the envelope sender, lower
	 * case) is an address the account may use besides its own name. */
	bool (*alias)(void *arg, const char *account_key, const char *sender_key);
	void *arg;
};

struct pol_rates;

/* max_accounts 0 means POL_RATES_DEFAULT_MAX. */
struct pol_rates *pol_rates_new(uint32_t max_accounts);
void pol_rates_free(struct pol_rates **rates);
/* Accounts in the table. */
size_t pol_rates_accounts(const struct pol_rates *rates);
/* Messages and recipients counted for account_key in the window ending at
 * now (0 and 0 for an account not in the table). Does not change the
 * account's place in the eviction order. */
void pol_rates_get(const struct pol_rates *rates, const char *account_key, int64_t now,
		   uint64_t *msgs, uint64_t *rcpts);

enum pol_verdict { PV_DUNNO, PV_LOCKED, PV_NOT_ALLOWED, PV_MISMATCH, PV_RATE, PV_SUSPECT, PV_MAX };

/* Decide; *text is the action line to send (a string of c or a static
 * one); pass it to pol_answer. ops and rates may be NULL (no state, no rate
 * limits). No allocation but when an account enters the rate table. */
enum pol_verdict pol_decide(const struct pol_conf *c, const struct pol_state_ops *ops,
			    struct pol_rates *rates, const struct pol_req *r, int64_t now,
			    const char **text);

/* "dunno", "locked", "not_allowed", "mismatch", "rate", "suspect" (metrics). */
const char *pol_verdict_name(enum pol_verdict v);

#endif
