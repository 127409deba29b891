/* rep_acct.h - per-account forensic summary of an event stream
 * SUMMARY  rep_add is fed every public event in log order and keeps, per
 *          account (grouped with evt_account_key), the counts an admin
 *          would otherwise build with grep | sort | uniq -c: logins by
 *          service class and result, distinct client IPs and networks,
 *          messages and recipients, deliveries by status, NDRs, first and
 *          last activity, and an hourly timeline. Events without an
 *          account are counted by type in rep->un ("unattributed"), with
 *          their client IPs. rep_finish derives the summary (struct
 *          rep_sum) and the suspicion score, and sorts the accounts by
 *          score. rep_text.h and rep_json.h print the result.
 *
 *          The score orders the report; it is not a detector and decides
 *          nothing. With N the networks (IPv4 /16 + IPv6 /48) an account
 *          was used from (a successful login or an accepted message), O
 *          its IPs seen with exactly one successful login, P the most new
 *          IPs in one hour, R its delivery failure rate, F its failed
 *          deliveries (deferred + bounced), B its NDRs and A its failed
 *          logins (log2 of 0 taken as 0):
 *            score = 20 log2(max(N,1)) + 10 log2(max(O,1)) + 10 log2(max(P,1))
 *                  + 30 R log2(1+F) + 5 log2(1+B) + 3 log2(1+A)
 *          rounded. One network, one IP and clean deliveries score 0; the
 *          botnet login pattern (hundreds of networks, most IPs once, tens
 *          of new IPs per hour) scores hundreds; failures only count with
 *          volume, so a bulk sender with a low failure rate stays low.
 *
 *          Recipients are the sum of the nrcpt of the account's accepted
 *          messages when the log states it (Postfix, Exim, Sendmail); when
 *          none of its messages did (qmail), the number of final delivery
 *          outcomes (sent + bounced) instead. The failure rate is
 *          (deferred + bounced) / (sent + deferred + bounced) over delivery
 *          attempts attributed to the account: a deferred recipient that
 *          is retried counts each attempt.
 * LIMITS   Per account: LIMIT_REPORT_IPS_PER_ACCOUNT exact IPs (then a
 *          sketch, and "more than"); twice that many networks; a timeline
 *          of at most timeline_hours (<= REP_TIMELINE_HOURS_MAX) hours with
 *          activity, ending at the account's latest event. About 400 bytes
 *          + 48 per IP + 16 per network + 24 per active hour.
 * ERRORS   none; allocation failure is fatal (mem.h). */
#ifndef MS_REP_ACCT_H
#define MS_REP_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/evt.h"
#include "report/rep_ipset.h"

/* Hours of timeline kept per account: 31 days. */
#define REP_TIMELINE_HOURS_MAX 744
/* Default when every account is reported (memory for 100k accounts). */
#define REP_TIMELINE_HOURS_ALL 168

/* Service classes: SMTP AUTH (smtp, submission, smtps) and mailbox access
 * (imap, pop3 and their TLS ports, managesieve); anything else is other. */
enum rep_svc { REP_SVC_SMTP, REP_SVC_MAILBOX, REP_SVC_OTHER, REP_SVC_N };

/* Logins-per-IP distribution: IPs with 0, 1, 2, 3-9, 10-99, 100+
 * successful logins. */
enum { REP_DIST_N = 6 };

struct rep_hour {
	int32_t hour;		/* hours since the epoch */
	uint32_t logins;	/* successful logins */
	uint32_t ips_new;	/* IPs first seen for the account in this hour */
	uint32_t messages;	/* accepted messages */
	uint32_t failures;	/* failed logins (attempts) */
	uint32_t dlv_failed;	/* deliveries deferred or bounced */
};

/* Derived by rep_finish. */
struct rep_sum {
	uint64_t logins_ok, logins_failed;
	uint64_t ips;		/* distinct, or the estimate when !ips_exact */
	bool ips_exact;
	uint32_t ips_v4, ips_v6;	/* among the IPs held exactly */
	uint32_t ips_once;	/* IPs with exactly one successful login */
	uint32_t dist[REP_DIST_N];
	uint32_t nets_used;	/* /16 + /48 with a successful use: N above */
	uint64_t recipients;
	bool rcpt_from_nrcpt;
	uint64_t dlv_total;	/* sent + deferred + bounced */
	double fail_rate;	/* 0 when there were no deliveries */
	int64_t score;
};

struct rep_acct {
	uint64_t login_ok[REP_SVC_N], login_fail[REP_SVC_N];
	uint64_t messages, nrcpt_sum, nrcpt_msgs;
	uint64_t sent, deferred, bounced;
	uint64_t bounces, rejects, spam;
	int64_t first, last;	/* the account's first and last event */
	struct rep_ipset ips;
	struct rep_netset nets;
	struct rep_hour *tl;	/* ascending hours with activity */
	uint32_t tl_n, tl_cap;
	bool tl_truncated;	/* older hours were dropped */
	struct rep_hour busiest;	/* most logins + failures + messages */
	int32_t peak_new_hour;
	uint32_t peak_new;	/* most new IPs in one hour */
	struct rep_sum sum;
	char name[];		/* as first logged */
};

struct rep_opts {
	uint32_t timeline_hours;	/* 0 = REP_TIMELINE_HOURS_ALL */
	uint32_t ip_limit;		/* 0 = LIMIT_REPORT_IPS_PER_ACCOUNT */
	const char *const *accounts;	/* only these (case-insensitive) */
	size_t naccounts;		/* 0 = every account */
};

/* Events that name no account. */
struct rep_unattr {
	uint64_t by_type[EVT_PUBLIC_END];
	uint64_t auth_fail_attempts;
	struct rep_ipset ips;
};

struct rep_totals {
	uint64_t events, accounts;
	uint64_t logins_ok, logins_failed, messages, recipients;
	uint64_t sent, deferred, bounced, bounces;
	int64_t first, last;	/* over every event; meaningless when events == 0 */
};

struct rep;

struct rep *rep_new(const struct rep_opts *o);
void rep_free(struct rep **r);
void rep_add(struct rep *r, const struct evt *e);
/* Compute summaries and scores, sort by score (then activity, then
 * name). Call once, after the last rep_add. */
void rep_finish(struct rep *r);

size_t rep_count(const struct rep *r);
/* i-th account in report order (after rep_finish). */
const struct rep_acct *rep_get(const struct rep *r, size_t i);
/* The account, whatever its case; NULL if it had no event. */
const struct rep_acct *rep_find(const struct rep *r, const char *account);
const struct rep_unattr *rep_unattributed(const struct rep *r);
const struct rep_totals *rep_get_totals(const struct rep *r);
uint32_t rep_timeline_hours(const struct rep *r);
/* Bytes held by one account (tests of the memory bound). */
size_t rep_acct_bytes(const struct rep_acct *a);

/* The k busiest IPs of s (by logins + messages + failures + rejects),
 * into out[k]; returns how many. */
size_t rep_top_ips(const struct rep_ipset *s, size_t k, const struct rep_ip **out);
enum rep_svc rep_svc_class(const char *service);
const char *rep_dist_label(unsigned i);
/* The score of rep_acct.h's formula from its inputs. */
int64_t rep_score(uint32_t nets_used, uint32_t ips_once, uint32_t peak_new,
		  double fail_rate, uint64_t dlv_failed, uint64_t bounces,
		  uint64_t logins_failed);

#endif
