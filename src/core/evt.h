/* evt.h - the normalized event: the only type that crosses from parsers to
 *         the rest of mailsentry
 * SUMMARY  A fixed-size record filled by a parser from one log line (or by
 *          the policy service from one request). Correlation then fills in
 *          account and client of delivery-side events. evt_json writes the
 *          JSON line of `mailsentry events` (DESIGN.md).
 * LIMITS   Field sizes come from core/limits.h. evt_set refuses values that
 *          do not fit identity fields (account, ip, qid, addresses) and cuts
 *          free text (reason, relay).
 * ERRORS   evt_set returns -1 when a value does not fit or holds a NUL or
 *          control byte in an identity field; the field is left empty. */
#ifndef MS_EVT_H
#define MS_EVT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/limits.h"
#include "util/buf.h"
#include "util/netaddr.h"
#include "util/strv.h"

enum evt_type {
	EVT_NONE = 0,
	/* Public: printed by `mailsentry events`. */
	EVT_AUTH_SUCCESS,	/* a login or SMTP AUTH succeeded */
	EVT_AUTH_FAILURE,	/* a login or SMTP AUTH failed */
	EVT_MESSAGE_ACCEPTED,	/* a message entered the queue (qid, sender, nrcpt, size) */
	EVT_DELIVERY,		/* a delivery attempt with status sent|deferred|bounced */
	EVT_BOUNCE,		/* a non-delivery notification was generated */
	EVT_REJECT,		/* a client command refused / protocol violation */
	EVT_SPAM_CHECK,		/* a content scanner's verdict (status spam|clean) */
	EVT_PUBLIC_END,
	/* Internal: consumed by correlation, never printed. */
	EVT_LINK_DELIVERY = 100,	/* qmail "starting delivery D: msg M to R" */
	EVT_MSG_DONE,			/* Postfix "removed", qmail "end msg" */
	EVT_MSG_CLIENT,			/* Postfix "QID: client=host[ip]" without SASL */
};

enum evt_status {
	EVT_STATUS_NONE = 0,
	EVT_STATUS_SENT,
	EVT_STATUS_DEFERRED,
	EVT_STATUS_BOUNCED,
	EVT_STATUS_SPAM,
	EVT_STATUS_CLEAN,
};

/* Which optional scalar fields are set. */
#define EVT_HAS_SENDER	 0x01	/* sender is set, possibly "" for the null sender <> */
#define EVT_HAS_NRCPT	 0x02
#define EVT_HAS_SIZE	 0x04
#define EVT_HAS_ATTEMPTS 0x08
#define EVT_HAS_SCORE	 0x10
/* An event that an earlier line already reported, set by correlation:
 * an auth_failure whose attempts Dovecot's auth process logged before the
 * login process or Postfix logged them again, or a message_accepted that
 * Postfix's qmgr logs anew at each retry. Counters skip such events, and
 * JSON says "repeat":true. */
#define EVT_REPEAT	 0x20

struct evt {
	enum evt_type type;
	enum evt_status status;
	const char *source;	/* static: "postfix", "dovecot", "qmail", ... */
	int64_t time;		/* seconds since the epoch, UTC */
	uint32_t usec;
	uint32_t flags;		/* EVT_HAS_* */
	uint32_t nrcpt;
	uint32_t attempts;	/* failed attempts summarized by one line */
	uint64_t size;
	double score;		/* spam score */
	struct netaddr addr;	/* parsed form of ip[] */
	char service[LIMIT_SERVICE_MAX];	/* smtp, submission, imap, pop3, ... */
	char account[LIMIT_ACCOUNT_MAX];
	char ip[NETADDR_STRLEN];	/* canonical text of addr */
	char mech[LIMIT_MECH_MAX];
	char qid[LIMIT_QID_MAX];	/* queue id / message number */
	char dlv[LIMIT_QID_MAX];	/* qmail delivery number */
	char ndr_qid[LIMIT_QID_MAX];	/* queue id of the NDR a bounce created */
	char sender[LIMIT_ADDR_MAX];
	char recipient[LIMIT_ADDR_MAX];
	char relay[LIMIT_RELAY_MAX];
	char dsn[LIMIT_DSN_MAX];
	char reason[LIMIT_REASON_MAX];
	char host[LIMIT_HOST_MAX];	/* the log's host name */
};

/* Reset every field. */
void evt_clear(struct evt *e);
/* Copy an identity value (account, qid, addresses, service, mech, dsn):
 * -1 if it does not fit in dstsize or holds a control byte. */
int evt_set(char *dst, size_t dstsize, struct strv v);
#define EVT_SET(e, field, v) evt_set((e)->field, sizeof((e)->field), (v))
/* Copy free text, cut to fit (at a UTF-8 boundary). */
void evt_set_text(char *dst, size_t dstsize, struct strv v);
#define EVT_SET_TEXT(e, field, v) evt_set_text((e)->field, sizeof((e)->field), (v))
/* Set e->reason to prefix + text, cut to fit (at a UTF-8 boundary). */
void evt_set_reason2(struct evt *e, const char *prefix, struct strv text);
/* Parse and set the client address; -1 if v is not one address. */
int evt_set_ip(struct evt *e, struct strv v);
/* Lower-case ASCII copy of account for grouping (dst has LIMIT_ACCOUNT_MAX). */
void evt_account_key(const char *account, char *dst);

const char *evt_type_name(enum evt_type t);
const char *evt_status_name(enum evt_status s);
/* "sent"/"delivered"/"success" -> SENT, "deferred"/"deferral" -> DEFERRED,
 * "bounced"/"failure"/"expired"/"undeliverable" -> BOUNCED, else NONE. */
enum evt_status evt_status_parse(struct strv word);
bool evt_is_public(const struct evt *e);

/* Append the event's JSON object (no newline) to b; when b's max leaves
 * no room for the longest object an event can give, it is written apart
 * and appended whole or not at all. */
void evt_json(const struct evt *e, struct buf *b);

#endif
