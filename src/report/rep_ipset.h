/* rep_ipset.h - bounded sets of client addresses and networks for reports
 * SUMMARY  rep_ipset: the distinct client IPs of one account (or of the
 *          events without one), each with its counts of successful and
 *          failed logins, messages and rejects. Open addressing on a flat
 *          array of 36-byte entries: an account seen from one IP costs
 *          144 bytes, not a hash table of its own. Past its limit the set
 *          stops growing and counts the further distinct addresses with a
 *          HyperLogLog sketch (1 KiB, about 3% error), so "distinct" becomes
 *          "more than limit, about N".
 *          rep_netset: distinct networks (IPv4 /24 and /16, IPv6 /48) as
 *          64-bit keys, with a flag per network once it was used
 *          successfully (a login or a message), for the same accounts.
 * LIMITS   limit entries per set (LIMIT_REPORT_IPS_PER_ACCOUNT in use);
 *          memory at most 2 * limit entries (load factor kept <= 3/4).
 * ERRORS   none: allocation failure is fatal (mem.h); a full set answers
 *          NULL / false and sets its capped flag. */
#ifndef MS_REP_IPSET_H
#define MS_REP_IPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/netaddr.h"

struct rep_ip {
	struct netaddr addr;	/* family 0 = empty slot */
	uint32_t ok, fail, msgs, rej;	/* saturating counts */
};

struct rep_ipset {
	struct rep_ip *slot;
	uint32_t cap, n, limit;
	bool capped;		/* an address was refused: counts are lower bounds */
	uint8_t *hll;		/* allocated when capped */
};

/* limit 0 means LIMIT_REPORT_IPS_PER_ACCOUNT. */
void rep_ipset_init(struct rep_ipset *s, uint32_t limit);
void rep_ipset_release(struct rep_ipset *s);
/* The entry for a, created (all counts 0, *created true) if absent. NULL
 * when the set is full and a is not in it (the sketch still counts a). */
struct rep_ip *rep_ipset_add(struct rep_ipset *s, const struct netaddr *a, bool *created);
struct rep_ip *rep_ipset_get(const struct rep_ipset *s, const struct netaddr *a);
/* Distinct addresses: exact when !capped, else the sketch's estimate (never
 * below n). */
uint64_t rep_ipset_distinct(const struct rep_ipset *s);
/* Iterate: *pos = 0 first; NULL at the end. */
const struct rep_ip *rep_ipset_next(const struct rep_ipset *s, uint32_t *pos);
/* Bytes held (for tests of the memory bound). */
size_t rep_ipset_bytes(const struct rep_ipset *s);

/* Add one to a counter without wrapping. */
static inline void
rep_sat_add(uint32_t *c, uint32_t n)
{
	*c = *c > UINT32_MAX - n ? UINT32_MAX : *c + n;
}

enum rep_net_kind { REP_NET_V4_24, REP_NET_V4_16, REP_NET_V6_48, REP_NET_KINDS };

struct rep_netset {
	uint64_t *slot;		/* 0 = empty */
	uint32_t cap, n, limit;
	bool capped;
	uint32_t count[REP_NET_KINDS];	/* distinct networks of each kind */
	uint32_t used[REP_NET_KINDS];	/* ... of which used successfully */
};

void rep_netset_init(struct rep_netset *s, uint32_t limit);
void rep_netset_release(struct rep_netset *s);
/* Note the networks of a (/24 and /16, or /48); used marks them as having
 * carried a successful login or a message. */
void rep_netset_add(struct rep_netset *s, const struct netaddr *a, bool used);
size_t rep_netset_bytes(const struct rep_netset *s);

#endif
