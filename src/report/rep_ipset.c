/* rep_ipset.c - bounded address and network sets with an overflow sketch */
#include "report/rep_ipset.h"

#include <math.h>
#include <string.h>

#include "core/limits.h"
#include "util/mem.h"

#define REP_HLL_BITS 10
#define REP_HLL_REGS (1u << REP_HLL_BITS)

/* netaddr_hash is FNV-1a: good enough for buckets, weak in its top bits,
 * which the sketch reads. Finish it with splitmix64's mixer. */
static uint64_t
rep_mix(uint64_t z)
{
	z ^= z >> 30;
	z *= 0xbf58476d1ce4e5b9ULL;
	z ^= z >> 27;
	z *= 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z;
}

static void
rep_hll_add(uint8_t *hll, uint64_t h)
{
	uint32_t idx = (uint32_t)(h >> (64 - REP_HLL_BITS));
	uint64_t w = h << REP_HLL_BITS;
	uint8_t rank = w == 0 ? 64 - REP_HLL_BITS + 1 : (uint8_t)(__builtin_clzll(w) + 1);

	if (hll[idx] < rank)
		hll[idx] = rank;
}

static double
rep_hll_estimate(const uint8_t *hll)
{
	const double m = REP_HLL_REGS;
	double sum = 0, e;
	unsigned zeros = 0, i;

	for (i = 0; i < REP_HLL_REGS; i++) {
		sum += ldexp(1.0, -hll[i]);
		zeros += hll[i] == 0;
	}
	e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (e <= 2.5 * m && zeros > 0)	/* small-range correction */
		e = m * log(m / zeros);
	return e;
}

void
rep_ipset_init(struct rep_ipset *s, uint32_t limit)
{
	memset(s, 0, sizeof(*s));
	s->limit = limit ? limit : LIMIT_REPORT_IPS_PER_ACCOUNT;
}

void
rep_ipset_release(struct rep_ipset *s)
{
	mem_free(s->slot);
	mem_free(s->hll);
	memset(s, 0, sizeof(*s));
}

static uint32_t
rep_ipset_find(const struct rep_ip *slot, uint32_t cap, const struct netaddr *a, uint64_t h)
{
	uint32_t i = (uint32_t)h & (cap - 1);

	while (slot[i].addr.family != 0 && !netaddr_equal(&slot[i].addr, a))
		i = (i + 1) & (cap - 1);
	return i;
}

static void
rep_ipset_grow(struct rep_ipset *s)
{
	uint32_t ncap = s->cap ? s->cap * 2 : 4, i;
	struct rep_ip *ns = mem_calloc(ncap, sizeof(*ns));

	for (i = 0; i < s->cap; i++) {
		const struct rep_ip *e = &s->slot[i];

		if (e->addr.family != 0)
			ns[rep_ipset_find(ns, ncap, &e->addr, rep_mix(netaddr_hash(&e->addr)))] = *e;
	}
	mem_free(s->slot);
	s->slot = ns;
	s->cap = ncap;
}

struct rep_ip *
rep_ipset_get(const struct rep_ipset *s, const struct netaddr *a)
{
	uint32_t i;

	if (s->cap == 0 || a->family == 0)
		return NULL;
	i = rep_ipset_find(s->slot, s->cap, a, rep_mix(netaddr_hash(a)));
	return s->slot[i].addr.family != 0 ? &s->slot[i] : NULL;
}

struct rep_ip *
rep_ipset_add(struct rep_ipset *s, const struct netaddr *a, bool *created)
{
	uint64_t h = rep_mix(netaddr_hash(a));
	struct rep_ip *e;
	uint32_t i;

	*created = false;
	if (a->family == 0)
		return NULL;
	if (s->cap > 0) {
		i = rep_ipset_find(s->slot, s->cap, a, h);
		if (s->slot[i].addr.family != 0)
			return &s->slot[i];
	}
	if (s->n >= s->limit) {
		/* Full: from now on the sketch counts what the set cannot
		 * hold. Seed it with everything the set holds. */
		if (s->hll == NULL) {
			uint32_t pos = 0;
			const struct rep_ip *x;

			s->hll = mem_calloc(REP_HLL_REGS, 1);
			while ((x = rep_ipset_next(s, &pos)) != NULL)
				rep_hll_add(s->hll, rep_mix(netaddr_hash(&x->addr)));
		}
		s->capped = true;
		rep_hll_add(s->hll, h);
		return NULL;
	}
	if ((uint64_t)(s->n + 1) * 4 > (uint64_t)s->cap * 3)
		rep_ipset_grow(s);
	i = rep_ipset_find(s->slot, s->cap, a, h);
	e = &s->slot[i];
	e->addr = *a;
	s->n++;
	*created = true;
	return e;
}

uint64_t
rep_ipset_distinct(const struct rep_ipset *s)
{
	double e;

	if (!s->capped || s->hll == NULL)
		return s->n;
	e = rep_hll_estimate(s->hll);
	return e > (double)s->n ? (uint64_t)(e + 0.5) : s->n;
}

const struct rep_ip *
rep_ipset_next(const struct rep_ipset *s, uint32_t *pos)
{
	while (*pos < s->cap) {
		const struct rep_ip *e = &s->slot[(*pos)++];

		if (e->addr.family != 0)
			return e;
	}
	return NULL;
}

size_t
rep_ipset_bytes(const struct rep_ipset *s)
{
	return (size_t)s->cap * sizeof(*s->slot) + (s->hll ? REP_HLL_REGS : 0);
}

/* Network keys: kind in bits 56-57 (+1, so no key is 0), the prefix in
 * the low 48 bits, and bit 62 set once the network was used. */
#define REP_NET_USED (1ULL << 62)

static uint64_t
rep_net_key(const struct netaddr *a, enum rep_net_kind k)
{
	const uint8_t *b = a->bytes;
	uint64_t v = 0;

	switch (k) {
	case REP_NET_V4_24:
		v = (uint64_t)b[0] << 16 | (uint64_t)b[1] << 8 | b[2];
		break;
	case REP_NET_V4_16:
		v = (uint64_t)b[0] << 8 | b[1];
		break;
	default:
		v = (uint64_t)b[0] << 40 | (uint64_t)b[1] << 32 | (uint64_t)b[2] << 24 |
		    (uint64_t)b[3] << 16 | (uint64_t)b[4] << 8 | b[5];
		break;
	}
	return (uint64_t)(k + 1) << 56 | v;
}

void
rep_netset_init(struct rep_netset *s, uint32_t limit)
{
	memset(s, 0, sizeof(*s));
	s->limit = limit ? limit : 2 * LIMIT_REPORT_IPS_PER_ACCOUNT;
}

void
rep_netset_release(struct rep_netset *s)
{
	mem_free(s->slot);
	memset(s, 0, sizeof(*s));
}

static uint32_t
rep_netset_find(const uint64_t *slot, uint32_t cap, uint64_t key)
{
	uint32_t i = (uint32_t)rep_mix(key) & (cap - 1);

	while (slot[i] != 0 && (slot[i] & ~REP_NET_USED) != key)
		i = (i + 1) & (cap - 1);
	return i;
}

static void
rep_netset_grow(struct rep_netset *s)
{
	uint32_t ncap = s->cap ? s->cap * 2 : 4, i;
	uint64_t *ns = mem_calloc(ncap, sizeof(*ns));

	for (i = 0; i < s->cap; i++)
		if (s->slot[i] != 0)
			ns[rep_netset_find(ns, ncap, s->slot[i] & ~REP_NET_USED)] = s->slot[i];
	mem_free(s->slot);
	s->slot = ns;
	s->cap = ncap;
}

static void
rep_netset_add1(struct rep_netset *s, uint64_t key, enum rep_net_kind k, bool used)
{
	uint32_t i;

	if (s->cap > 0) {
		i = rep_netset_find(s->slot, s->cap, key);
		if (s->slot[i] != 0) {
			if (used && !(s->slot[i] & REP_NET_USED)) {
				s->slot[i] |= REP_NET_USED;
				s->used[k]++;
			}
			return;
		}
	}
	if (s->n >= s->limit) {
		s->capped = true;
		return;
	}
	if ((uint64_t)(s->n + 1) * 4 > (uint64_t)s->cap * 3)
		rep_netset_grow(s);
	i = rep_netset_find(s->slot, s->cap, key);
	s->slot[i] = key | (used ? REP_NET_USED : 0);
	s->n++;
	s->count[k]++;
	if (used)
		s->used[k]++;
}

void
rep_netset_add(struct rep_netset *s, const struct netaddr *a, bool used)
{
	if (a->family == 4) {
		rep_netset_add1(s, rep_net_key(a, REP_NET_V4_24), REP_NET_V4_24, used);
		rep_netset_add1(s, rep_net_key(a, REP_NET_V4_16), REP_NET_V4_16, used);
	} else if (a->family == 6) {
		rep_netset_add1(s, rep_net_key(a, REP_NET_V6_48), REP_NET_V6_48, used);
	}
}

size_t
rep_netset_bytes(const struct rep_netset *s)
{
	return (size_t)s->cap * sizeof(*s->slot);
}
