/* det.h - the detectors: events in, findings out
 * SUMMARY  det_feed takes the public events of one log stream in time order
 *          and keeps, per account and per client IP, what the detectors
 *          need over their time windows. A finding (struct finding) opens
 *          at the event at which a detector fires (detected_at) and is
 *          updated by later evidence until it has been quiet for
 *          incident_idle; the sink is told at each of the three moments.
 *          A batch scan is a replay: the same calls the daemon makes live.
 *          Detectors (docs/mailsentry-scan.md):
 *            account_compromise  an account used from networks it does not
 *                                know, judged against its own history
 *            outbound_burst      an account sending far above its baseline
 *            credential_probe    failed logins from unknown networks on an
 *                                account after its compromise
 *            backscatter         a flood of non-delivery reports to a local
 *                                account, not caused by its own mail
 *            brute_force         one IP, many failed logins
 *            password_spray      one IP, a few failures on each of many
 *                                existing accounts
 * LIMITS   max_accounts and max_ips entries of state (settings); state
 *          outside every window is dropped. New entries past a limit are
 *          not tracked (counted in det_stats).
 * ERRORS   none at run time; det_new fails only on bad settings. */
#ifndef MS_DET_H
#define MS_DET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/conf.h"
#include "core/evt.h"
#include "util/buf.h"

/* ------------------------------------------------------------- settings */

struct det_conf {
	/* account_compromise */
	int64_t window;			/* sliding window of the signals */
	double score;			/* points at which it fires */
	int64_t familiar_after;		/* a network used again this long after its first use is familiar */
	double floor, cap;		/* signal value/threshold below floor gives 0 points; above cap counts as cap */
	int64_t networks;		double w_networks;
	int64_t messages;		double w_messages;
	int64_t recipients;		double w_recipients;
	double failure_rate;		double w_failure_rate;
	int64_t failure_min;
	int64_t mech_min_logins;	double w_mechanism;
	int64_t country_min_logins;	double w_country;
	int64_t far_window;		double w_far;
	/* outbound_burst */
	int64_t burst_messages;
	double burst_factor;
	int64_t burst_baseline;
	/* credential_probe */
	int64_t probe_failures;
	/* backscatter */
	int64_t backscatter_window;
	int64_t backscatter_ndrs;
	/* brute_force / password_spray */
	int64_t brute_window;
	int64_t brute_failures;
	double brute_per_account;
	int64_t brute_account_window;
	int64_t brute_account_failures;
	int64_t brute_account_ip;
	int64_t spray_window;
	int64_t spray_accounts;
	double spray_per_account;
	int64_t typo_window;
	int64_t typo_max;
	/* everything */
	int64_t incident_idle;
	int64_t forget_after;
	int64_t max_accounts;
	int64_t max_ips;
	char *geoip_file;
	char *geoip6_file;
};

extern const struct conf_def det_conf_defs[];
extern const size_t det_conf_ndefs;

/* ------------------------------------------------------------- findings */

enum finding_kind {
	FK_COMPROMISE,
	FK_BURST,
	FK_PROBE,
	FK_BACKSCATTER,
	FK_BRUTE,
	FK_SPRAY,
	FK_MAX
};

/* One signal of a score, as it stood when the finding fired. */
struct signal_val {
	const char *name;	/* static */
	double value, threshold, points;
};

#define FINDING_SIGNALS_MAX 8

struct finding {
	enum finding_kind kind;
	uint64_t id;		/* 1, 2, ... in order of detection */
	char account[LIMIT_ACCOUNT_MAX];
	char ip[NETADDR_STRLEN];
	int64_t first_evidence, detected_at, last_evidence;
	double score;
	unsigned nsignals;
	struct signal_val signals[FINDING_SIGNALS_MAX];
	/* counts since first_evidence; UINT64_MAX = not applicable */
	uint64_t distinct_ips, networks, messages, recipients, attempts, accounts, ndrs;
	bool closed;
};

const char *finding_kind_name(enum finding_kind k);
/* The JSON line of `scan --format=json` (no newline). */
void finding_json(const struct finding *f, struct buf *b);
/* A block of text for people (ends with a newline). */
void finding_text(const struct finding *f, struct buf *b);

/* ------------------------------------------------------------- engine */

enum det_moment { DET_OPEN, DET_UPDATE, DET_CLOSE };

typedef void det_sink(void *arg, const struct finding *f, enum det_moment m);

struct det;

struct det_stats {
	uint64_t events, accounts, ips, dropped_accounts, dropped_ips, findings;
	bool geoip;
};

/* conf is copied (its strings are not: keep them alive). sink may be NULL. */
struct det *det_new(const struct det_conf *conf, det_sink *sink, void *arg);
void det_free(struct det **d);
void det_feed(struct det *d, const struct evt *e);
/* Close every open finding (end of a batch scan). */
void det_finish(struct det *d);
void det_get_stats(const struct det *d, struct det_stats *st);
/* Every finding so far, in order of detection; valid until det_free. */
size_t det_findings(const struct det *d, struct finding *const **out);
/* Print a timeline line to fp for every event of this account (--explain). */
void det_explain(struct det *d, const char *account, FILE *fp);

#endif
