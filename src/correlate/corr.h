/* corr.h - join the lines of one message into whole events
 * SUMMARY  A message's story is spread over lines of different daemons:
 *          Postfix smtpd "QID: client=...[ip], sasl_username=u", qmgr
 *          "QID: from=<s>, nrcpt=N", smtp "QID: to=<r>, status=bounced";
 *          qmail "info msg M: from <s>", "starting delivery D: msg M to r",
 *          "delivery D: failure". corr_event is fed every event in log order
 *          and fills in what later lines lack: the account, client IP,
 *          mechanism and sender of the message that a message_accepted,
 *          delivery or bounce event belongs to, and the qid and recipient
 *          of a qmail delivery. qmail logs no link between a vchkpw login
 *          and the message that follows it; a qmail message whose sender is
 *          an account that authenticated over SMTP on the same host in the
 *          last CORR_QMAIL_AUTH_WINDOW seconds is attributed to that login.
 *          A failed login may be logged twice: by Dovecot's auth process
 *          (one line per password check, with auth_verbose) and then by the
 *          login process ("auth failed, N attempts") or by Postfix's SASL
 *          warning. The later line is marked EVT_REPEAT when the earlier
 *          lines from the same client and host in CORR_REPEAT_WINDOW seconds
 *          already account for its attempts, and takes their account if it
 *          names none. A message_accepted for a queue id already
 *          accepted (Postfix qmgr logs one per retry of a deferred message)
 *          is marked EVT_REPEAT too.
 * LIMITS   LIMIT_CORR_MESSAGES messages; a message is forgotten when its
 *          end is logged (Postfix "removed", qmail "end msg"), when it is
 *          older than LIMIT_CORR_AGE_SECONDS of log time, or, oldest first,
 *          when the count limit is reached.
 * ERRORS   none: events that match nothing pass through unchanged. */
#ifndef MS_CORR_H
#define MS_CORR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/evt.h"

#define CORR_QMAIL_AUTH_WINDOW 600
#define CORR_REPEAT_WINDOW 300

struct corr;

struct corr_stats {
	uint64_t messages;	/* currently remembered */
	uint64_t evicted;	/* forgotten by the limits before their end */
	uint64_t joined;	/* events that got fields from an earlier line */
};

struct corr *corr_new(void);
void corr_free(struct corr **c);
/* Enrich e in place. Returns true if e is a public event to pass on,
 * false if it was internal (a link) and has been consumed. */
bool corr_event(struct corr *c, struct evt *e);
void corr_get_stats(const struct corr *c, struct corr_stats *st);

#endif
