/* det_int.h - state shared by the detector files (not a public interface)
 * SUMMARY  struct det holds the account and IP tables and the findings.
 *          Times are uint32_t seconds since the epoch (good until 2106),
 *          which keeps the per-account and per-IP records small.
 *          ring: counts in RING_N buckets spanning a window, so that "in
 *          the last 24 hours" costs a fixed few hundred bytes however busy
 *          the account is. idset: a set of 32-bit hashes (distinct IPs,
 *          distinct accounts) that grows as needed up to IDSET_MAX.
 *          An account or IP record holds what every one needs; what few
 *          need (episodes, NDR counts, probe and spray sets, open
 *          findings) is in a cold part allocated on first need (acct_cold,
 *          ip_cold). The account record carries its key; the IP records
 *          live in their table's slots (det_tab.c). */
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

/* What few accounts need, allocated when first needed and freed by the
 * sweep once it holds nothing a fresh one would not (every window over,
 * nothing open). */
struct acct_cold {
	struct episode *ep;
	struct finding *burst, *probe, *backscatter;
	/* backscatter: NDRs delivered to it (RF_MSGS), NDRs its own mail caused (RF_NDR) */
	struct ring *ndr;
	uint32_t ndr_first;
	/* credential_probe: failures from unknown networks after a compromise */
	uint32_t probe_first, probe_n;
	/* brute_force spread over several IPs: unexcused failures on it */
	uint32_t bf_start, bf_fails;
	struct idset probe_ips;
};

#define ACCT_RECENT_IPS 2

/* An account: what every account needs, its key after it (one allocation).
 * The networks it logged in from (IPv4 /16, IPv6 /32: kn_net) with their
 * first use and use count (saturating) are kept as parallel arrays;
 * kn_net[0] is the account's first network, familiar at once. */
struct acct {
	struct acct_cold *cold;		/* NULL: none (reads as all zero) */
	uint32_t hash;			/* htab_hash of the key (its low half) */
	uint32_t first_seen, last_seen;
	uint32_t logins;
	uint32_t last_cc_at;
	uint32_t country_logins;	/* logins whose country was known */
	/* the last addresses it logged in from (hash, time): a failure from
	 * one of them is a stale password on another device, not an attack */
	uint32_t recent_ip[ACCT_RECENT_IPS], recent_at[ACCT_RECENT_IPS];
	/* outbound_burst: messages in the current hour, the peak of past hours */
	uint32_t hour, hour_first, hour_msgs, peak_msgs;
	uint32_t kn_net[ACCT_KNOWN], kn_first[ACCT_KNOWN];
	uint16_t kn_uses[ACCT_KNOWN];
	uint16_t last_cc;
	uint16_t countries[ACCT_COUNTRIES];
	uint8_t mechs;			/* bit per mechanism family seen */
	uint8_t nknown;
	uint8_t ncountries;
	bool compromised;		/* an account_compromise was found (ever) */
	char key[];			/* NUL-terminated */
};

static inline struct episode *
acct_ep(const struct acct *a)
{
	return a->cold != NULL ? a->cold->ep : NULL;
}

/* The accounts by key: open addressing with linear probing over pointers,
 * slot = hash & mask, grown at 3/4 full, backward-shift deletion: the
 * slot order of an htab_new table holding the same keys. */
struct acct_tab {
	struct acct **slot;	/* NULL = empty */
	size_t mask, count;
};

/* ------------------------------------------------------------------ IPs */

/* What few IPs need: the spray sets and the open findings; an IPv6
 * address keeps its bytes here. */
struct ip_cold {
	struct idset accts;			/* distinct accounts failed in the spray window */
	struct idset existing;			/* ... of them, accounts we know */
	struct finding *brute, *spray;
	uint8_t v6[];				/* 16 bytes, IPv6 only */
};

#define IPST_USED ((uintptr_t)1)
#define IPST_V6 ((uintptr_t)2)

/* An IP, 32 bytes, kept in its table's slot. */
struct ipst {
	uintptr_t tag;				/* struct ip_cold * | IPST_V6 | IPST_USED; 0 = empty slot */
	uint32_t v4;				/* IPv4: the address bytes */
	uint32_t bf_start, bf_fails;		/* brute-force window */
	uint32_t sp_start, sp_fails;		/* spray window */
	uint32_t last;
};

static inline struct ip_cold *
ip_cold(const struct ipst *s)
{
	return (struct ip_cold *)(s->tag & ~(IPST_USED | IPST_V6));
}

/* The IPs by address: as struct acct_tab, the records themselves in the
 * slots; the hash (htab_hash of the 4 or 16 address bytes) is worked out
 * again when a record moves. Pointers to records are valid until the next
 * ip_tab_put or ip_tab_del. */
struct ip_tab {
	struct ipst *slot;
	size_t mask, count;
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
	struct acct_tab accts;	/* account key -> struct acct */
	struct ip_tab ips;	/* client address -> struct ipst */
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
/* Close quiet findings, end a quiet episode, free what is no longer needed;
 * true when the account has nothing open (it may be forgotten). */
bool acct_sweep(struct det *d, struct acct *a, bool all);
void acct_free(struct acct *a);
bool acct_familiar(const struct det *d, const struct acct *a, uint32_t net);
struct acct_cold *acct_cold_get(struct acct *a);

/* det_ip.c */
/* keyhash: htab_hash of key (when key is not NULL) */
void ip_event(struct det *d, const struct evt *e, const char *key, uint64_t keyhash,
	      struct acct *a);
bool ip_sweep(struct det *d, struct ipst *s, bool all);

/* det_tab.c */
void acct_tab_init(struct acct_tab *t);
/* Free the table and every account in it. */
void acct_tab_free(struct acct_tab *t);
/* hash: htab_hash of the key */
struct acct *acct_tab_get(const struct acct_tab *t, const char *key, uint64_t hash);
/* Add a (its key not in the table, a->hash set). */
void acct_tab_add(struct acct_tab *t, struct acct *a);
/* Remove a (in the table); the caller frees it. */
void acct_tab_del(struct acct_tab *t, struct acct *a);
void ip_tab_init(struct ip_tab *t);
/* Free the table and every record's cold part. */
void ip_tab_free(struct ip_tab *t);
struct ipst *ip_tab_get(const struct ip_tab *t, const struct netaddr *a);
/* The record of a (family 4 or 6), created zeroed (*created) if absent. */
struct ipst *ip_tab_put(struct ip_tab *t, const struct netaddr *a, bool *created);
/* Remove s (a record of the table) and free its cold part. */
void ip_tab_del(struct ip_tab *t, struct ipst *s);
/* The cold part of s, created if absent (the slot's tag is updated). */
struct ip_cold *ip_cold_get(struct ipst *s);
/* s's address. */
void ip_addr(const struct ipst *s, struct netaddr *out);

#endif
