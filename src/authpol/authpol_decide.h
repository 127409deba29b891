/* authpol_decide.h - the answer to a Dovecot auth policy request, and the
 *                    state it needs
 * SUMMARY  struct authpol keeps, in bounded tables:
 *            - per account, the password hashes (pwhash) of its most recent
 *              successful logins, as reports show them;
 *            - per account, the hashes marked leaked when the account was
 *              locked as compromised (authpol_mark_leaked): the password
 *              the attackers used;
 *            - per client IP, a refusal until a time (an IP of a
 *              brute_force or password_spray finding, authpol_refuse_ip)
 *              and, with a delay configured, its failed logins in a window.
 *          authpol_decide answers an allow request, in this order:
 *            leaked  the account's pwhash is one marked leaked and has at
 *                    least min_hash_bits bits: status -1 (the botnet
 *                    retrying the old password, incident 1), locked or not;
 *            locked  the caller says the account is locked: status -1;
 *            ip      the client IP is refused: status -1;
 *            delay   the IP's failed logins in the window reached
 *                    delay_failures: status = delay (seconds);
 *            allow   status 0.
 *          A leaked hash shorter than min_hash_bits is only reported
 *          (leaked_seen): with 12 bits, 1 password in 4096 has the hash of
 *          the old one, and refusing would lock that user out.
 *          authpol_report learns from a report: the hash of a successful
 *          login, a failure of an IP. Nothing here is a password.
 * LIMITS   max_accounts accounts with recent hashes (least recently seen
 *          evicted), AUTHPOL_RECENT hashes each; AUTHPOL_LEAKED_ACCOUNTS
 *          accounts with leaked hashes (oldest marked evicted),
 *          AUTHPOL_LEAKED hashes each; max_ips IPs (least recently touched
 *          evicted). A hash is compared on its length and its first
 *          AUTHPOL_HASH_KEEP hex digits (64 bits).
 * ERRORS   none: anything that is not a possible account or address is
 *          not judged (status 0). */
#ifndef MS_AUTHPOL_DECIDE_H
#define MS_AUTHPOL_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authpol/authpol_proto.h"
#include "util/netaddr.h"

#define AUTHPOL_RECENT 4		/* distinct hashes of recent logins per account */
#define AUTHPOL_LEAKED 8		/* leaked hashes per account */
#define AUTHPOL_LEAKED_ACCOUNTS 100000	/* accounts with leaked hashes */
#define AUTHPOL_HASH_KEEP 16		/* hex digits of a hash kept and compared (64 bits) */

#define AUTHPOL_MSG_LOCKED "account locked"
#define AUTHPOL_MSG_BLOCKED "address blocked"
#define AUTHPOL_MSG_LEAKED "password no longer valid"

struct authpol_conf {
	unsigned min_hash_bits;		/* refuse on a leaked hash from this many bits; 32 */
	int64_t ban_time;		/* seconds an attacking IP is refused; 0 = until evicted */
	int64_t leaked_time;		/* seconds a leaked hash is refused; 0 = until evicted */
	uint32_t delay;			/* seconds of delay near the threshold; 0 = none */
	uint32_t delay_failures;	/* failures of an IP in the window that bring the delay */
	int64_t fail_window;		/* seconds; the window of that count */
	uint32_t max_accounts, max_ips;	/* 0 = 100000 */
};

enum authpol_verdict {
	APV_ALLOW,
	APV_LEAKED,
	APV_LOCKED,
	APV_IP,
	APV_DELAY,
	APV_MAX
};

struct authpol_answer {
	enum authpol_verdict verdict;
	int status;		/* what to send: -1, 0 or the delay */
	const char *msg;	/* static */
	/* The pwhash is one marked leaked for this account, whatever its
	 * length (verdict APV_LEAKED when it is long enough). */
	bool leaked_seen;
	/* Why the IP is refused (APV_IP): "brute_force", "password_spray". */
	const char *ip_why;
};

struct authpol;

struct authpol *authpol_new(const struct authpol_conf *c);
void authpol_free(struct authpol **ap);
/* New settings (SIGHUP); tables over the new sizes shrink at once. */
void authpol_set_conf(struct authpol *ap, const struct authpol_conf *c);

/* Answer an allow request. locked: whether the caller holds a lock on
 * r->key. No allocation. */
enum authpol_verdict authpol_decide(struct authpol *ap, const struct authpol_req *r,
				    bool locked, int64_t now, struct authpol_answer *out);

/* Learn from a report: a successful login's pwhash is remembered for its
 * account; a failure (not a policy refusal) counts for its IP when a delay
 * is configured. */
void authpol_report(struct authpol *ap, const struct authpol_req *r, int64_t now);

/* Refuse an IP until now + ban_time (never shortened); why is static.
 * 0, or -1 for an address of family 0. */
int authpol_refuse_ip(struct authpol *ap, const struct netaddr *ip, const char *why,
		      int64_t now);
/* Whether ip is refused at now, and why (static) when it is. */
bool authpol_ip_refused(const struct authpol *ap, const struct netaddr *ip, int64_t now,
			const char **why);

/* Mark every remembered hash of key's recent logins leaked at now; the
 * number of hashes newly marked. */
unsigned authpol_mark_leaked(struct authpol *ap, const char *key, int64_t now);
/* The leaked hashes of key as text for the durable state, in out (size
 * bytes; cut at an entry if short): entries "MARKED_AT DIGITS HEX"
 * separated by ',', HEX the first min(DIGITS, AUTHPOL_HASH_KEEP) digits.
 * Returns the number of entries written. */
unsigned authpol_leaked_text(const struct authpol *ap, const char *key, char *out, size_t size);
/* Read such a text back into key's leaked hashes; entries past
 * leaked_time are skipped. The number loaded, or -1 for a text that is
 * not one (entries before the fault are kept). */
int authpol_leaked_load(struct authpol *ap, const char *key, const char *text, int64_t now);

struct authpol_stats {
	size_t accounts, leaked_accounts, ips, refused_ips;
	uint64_t evicted_accounts, evicted_ips;
};

void authpol_get_stats(const struct authpol *ap, int64_t now, struct authpol_stats *st);

/* "allow", "leaked", "locked", "ip", "delay" (metrics). */
const char *authpol_verdict_name(enum authpol_verdict v);

#endif
