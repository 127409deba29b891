/* det_int.h - state shared by the detector files (not a public interface)
 * SUMMARY  struct det holds the account and IP tables and the findings.
 *          Times are uint32_t seconds since the epoch (good until 2106),
 *          which keeps the per-account and per-IP records small.
 *          ring: counts in RING_N buckets spanning a window, so that "in
 *          the last 24 hours" costs a fixed few hundred bytes however busy
 *          the account is. idset: a set of 32-bit hashes (distinct IPs,
 *          distinct accounts) that grows as needed up to IDSET_MAX. */
#ifndef MS_DET_INT_H
#define MS_DET_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "detect/det.h"
#include "util/geoip.h"
#include "util/htab.h"

/* ----------------------------------------------------------------- ring */

#define RING_N 24

enum ring_field { RF_MSGS, RF_RCPTS, RF_OK, RF_FAIL, RF_NDR, RF_MAX };

struct ring {
	uint32_t head;			/* slot number of the newest bucket */
	uint16_t c[RING_N][RF_MAX];	/* saturating */
};

void ring_add(struct ring *r, uint32_t slot, enum ring_field f, uint32_t n);
uint32_t ring_sum(struct ring *r, uint32_t slot, enum ring_field f);

/* ---------------------------------------------------------------- idset */

#define IDSET_MAX (1u << 20)

struct idset {
	uint32_t *v;	/* 0 = empty slot; the value 0 is stored as 1 */
	uint32_t n, cap;
};

/* true if id was not yet in the set (and is now, unless the set is full). */
bool idset_add(struct idset *s, uint32_t id);
bool idset_del(struct idset *s, uint32_t id);
void idset_free(struct idset *s);

/* ------------------------------------------------------------- accounts */

#define ACCT_KNOWN 6
#define ACCT_COUNTRIES 4
#define EP_NETS_MAX 512

/* A network the account logged in from: IPv4 /16, IPv6 /32. */
struct known_net {
	uint32_t net;
	uint32_t first;
	uint16_t uses;		/* saturating */
	uint16_t flags;
};
#define KN_FIRST 0x1		/* the account's first network: familiar at once */

struct ep_net {
	uint32_t net, first, last;
};

/* An episode: the account's activity from networks it does not know,
 * from the first such login until it has been quiet for a window. */
struct episode {
	uint32_t since, last;
	uint32_t mech_at, country_at, far_at;	/* last time the signal fired (sticky for a window) */
	uint32_t nnets;
	struct ep_net nets[EP_NETS_MAX];	/* at most nnets used */
	struct idset ips;
	struct ring ring;
	uint64_t msgs, rcpts, ndrs;
	bool rcpts_from_deliveries;		/* the log gives no nrcpt (qmail) */
	struct finding *inc;			/* open account_compromise */
};

#define ACCT_RECENT_IPS 2

struct acct {
	uint32_t first_seen, last_seen;
	uint32_t logins;
	uint8_t mechs;			/* bit per mechanism family seen */
	uint8_t nknown;
	uint8_t ncountries;
	uint16_t last_cc;
	uint32_t last_cc_at;
	uint32_t country_logins;	/* logins whose country was known */
	uint16_t countries[ACCT_COUNTRIES];
	struct known_net known[ACCT_KNOWN];
	/* the last addresses it logged in from (hash, time): a failure from
	 * one of them is a stale password on another device, not an attack */
	uint32_t recent_ip[ACCT_RECENT_IPS], recent_at[ACCT_RECENT_IPS];
	/* outbound_burst: messages in the current hour, the peak of past hours */
	uint32_t hour, hour_first, hour_msgs, peak_msgs;
	/* backscatter: NDRs delivered to it (RF_MSGS), NDRs its own mail caused (RF_NDR) */
	struct ring *ndr;
	uint32_t ndr_first;
	/* credential_probe: failures from unknown networks after a compromise */
	uint32_t probe_first, probe_n;
	struct idset probe_ips;
	/* brute_force spread over several IPs: unexcused failures on it */
	uint32_t bf_start, bf_fails;
	struct episode *ep;
	struct finding *burst, *probe, *backscatter;
	bool compromised;		/* an account_compromise was found (ever) */
};

/* ------------------------------------------------------------------ IPs */

struct ipst {
	uint32_t bf_start, bf_fails;		/* brute-force window */
	uint32_t sp_start, sp_fails;		/* spray window */
	uint32_t last;
	struct idset accts;			/* distinct accounts failed in the spray window */
	struct idset existing;			/* ... of them, accounts we know */
	struct finding *brute, *spray;
};

/* A failure not yet excused: (IP, account) pair, so that a success of the
 * same account from the same IP soon after makes it a typo. */
struct pending {
	uint32_t first, at, fails;
};

/* --------------------------------------------------------------- engine */

struct det {
	struct det_conf c;
	det_sink *sink;
	void *arg;
	struct htab *accts;	/* account key -> struct acct */
	struct htab *ips;	/* netaddr bytes -> struct ipst */
	struct htab *pend;	/* ip bytes + account key -> struct pending */
	struct finding **fs;	/* every finding, in order of detection */
	size_t nfs, capfs;
	struct geoip *geo;
	uint32_t now, next_sweep;
	struct det_stats st;
	char explain[LIMIT_ACCOUNT_MAX];
	FILE *explain_fp;
	char explain_last[512];	/* the last score line, printed again only when it changes */
};

/* det.c */
/* A new finding, in the list; the caller fills it in, then calls det_fire
 * to tell the sink. */
struct finding *det_open(struct det *d, enum finding_kind k, uint32_t first, uint32_t at);
void det_fire(struct det *d, struct finding *f);
void det_update(struct det *d, struct finding *f, uint32_t at);
void det_close(struct det *d, struct finding *f);
uint32_t det_net(const struct netaddr *a);
uint32_t det_hash32(const void *p, size_t n);

/* det_acct.c */
void acct_event(struct det *d, const struct evt *e, const char *key);
void acct_sweep(struct det *d, struct acct *a, bool all);
void acct_free(void *p);
bool acct_familiar(const struct det *d, const struct acct *a, uint32_t net);

/* det_ip.c */
void ip_event(struct det *d, const struct evt *e, const char *key, struct acct *a);
bool ip_sweep(struct det *d, struct ipst *s, bool all);
void ip_free(void *p);

#endif
