/* det_tab.c - the detectors' tables: accounts by key, IPs by address
 * SUMMARY  Open addressing with linear probing and backward-shift deletion,
 *          the scheme of util/htab.c with its hash (htab_hash of the key)
 *          and growth (16 slots, doubled at 3/4 full), so that the slot
 *          order, which the sweep follows, is the one an htab would have.
 *          What differs is what a slot holds: no key copy and no hash.
 *            acct_tab  a pointer to the struct acct, which carries its key
 *                      and the low half of its hash (8 bytes a slot)
 *            ip_tab    the struct ipst itself (32 bytes a slot): an IPv4
 *                      address in the record, an IPv6 one in its cold
 *                      part; the hash is worked out again from the
 *                      address when a record moves (growth, deletion)
 * LIMITS   2^32 slots (the account hash kept is 32 bits). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "detect/det_int.h"
#include "util/mem.h"

#define TAB_FIRST 16

/* struct ipst's tag bits live in the low bits of a malloc'd pointer */
_Static_assert(_Alignof(max_align_t) >= 4, "malloc alignment");

static bool
tab_full(size_t count, size_t mask)
{
	return (count + 1) * 4 > (mask + 1) * 3;	/* load factor 0.75 */
}

/* Backward shift: may the entry at j, whose home is home, move to the
 * hole at i (its home is not cyclically in (i, j])? */
static bool
tab_movable(size_t i, size_t j, size_t home)
{
	return (j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j));
}

/* ------------------------------------------------------------- accounts */

void
acct_tab_init(struct acct_tab *t)
{
	t->mask = TAB_FIRST - 1;
	t->count = 0;
	t->slot = mem_calloc(TAB_FIRST, sizeof(*t->slot));
}

void
acct_tab_free(struct acct_tab *t)
{
	size_t i;

	if (t->slot == NULL)
		return;
	for (i = 0; i <= t->mask; i++)
		if (t->slot[i] != NULL)
			acct_free(t->slot[i]);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

struct acct *
acct_tab_get(const struct acct_tab *t, const char *key, uint64_t hash)
{
	size_t i = hash & t->mask;
	uint32_t h = (uint32_t)hash;
	struct acct *a;

	for (; (a = t->slot[i]) != NULL; i = (i + 1) & t->mask)
		if (a->hash == h && strcmp(a->key, key) == 0)
			return a;
	return NULL;
}

static void
acct_tab_grow(struct acct_tab *t)
{
	struct acct **old = t->slot;
	size_t oldn = t->mask + 1, i, j;

	t->mask = oldn * 2 - 1;
	t->slot = mem_calloc(t->mask + 1, sizeof(*t->slot));
	for (i = 0; i < oldn; i++) {
		if (old[i] == NULL)
			continue;
		for (j = old[i]->hash & t->mask; t->slot[j] != NULL; j = (j + 1) & t->mask)
			;
		t->slot[j] = old[i];
	}
	free(old);
}

void
acct_tab_add(struct acct_tab *t, struct acct *a)
{
	size_t i;

	if (tab_full(t->count, t->mask))
		acct_tab_grow(t);
	for (i = a->hash & t->mask; t->slot[i] != NULL; i = (i + 1) & t->mask)
		;
	t->slot[i] = a;
	t->count++;
}

void
acct_tab_del(struct acct_tab *t, struct acct *a)
{
	size_t i = a->hash & t->mask, j;

	while (t->slot[i] != a)
		i = (i + 1) & t->mask;
	t->slot[i] = NULL;
	t->count--;
	for (j = (i + 1) & t->mask; t->slot[j] != NULL; j = (j + 1) & t->mask)
		if (tab_movable(i, j, t->slot[j]->hash & t->mask)) {
			t->slot[i] = t->slot[j];
			t->slot[j] = NULL;
			i = j;
		}
}

/* ------------------------------------------------------------------ IPs */

static void
ip_cold_free(struct ip_cold *c)
{
	if (c == NULL)
		return;
	idset_free(&c->accts);
	idset_free(&c->existing);
	free(c);
}

static uint64_t
ip_hash(const struct ipst *s)
{
	if (s->tag & IPST_V6)
		return htab_hash(ip_cold(s)->v6, 16);
	return htab_hash(&s->v4, 4);
}

void
ip_tab_init(struct ip_tab *t)
{
	t->mask = TAB_FIRST - 1;
	t->count = 0;
	t->slot = mem_calloc(TAB_FIRST, sizeof(*t->slot));
}

void
ip_tab_free(struct ip_tab *t)
{
	size_t i;

	if (t->slot == NULL)
		return;
	for (i = 0; i <= t->mask; i++)
		if (t->slot[i].tag != 0)
			ip_cold_free(ip_cold(&t->slot[i]));
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* The slot of a, or the empty slot that ends its probe run. An IPv6
 * record keeps the last 4 bytes of its address in v4, to skip the others
 * without reading their cold parts. */
static size_t
ip_find(const struct ip_tab *t, uint64_t hash, const struct netaddr *a, bool *found)
{
	size_t i = hash & t->mask;
	uint32_t w;

	if (a->family == 4) {
		memcpy(&w, a->bytes, 4);
		for (;; i = (i + 1) & t->mask) {
			const struct ipst *s = &t->slot[i];

			if (s->tag == 0 || (s->v4 == w && !(s->tag & IPST_V6)))
				break;
		}
	} else {
		memcpy(&w, a->bytes + 12, 4);
		for (;; i = (i + 1) & t->mask) {
			const struct ipst *s = &t->slot[i];

			if (s->tag == 0 || (s->v4 == w && (s->tag & IPST_V6) &&
					    memcmp(ip_cold(s)->v6, a->bytes, 16) == 0))
				break;
		}
	}
	*found = t->slot[i].tag != 0;
	return i;
}

struct ipst *
ip_tab_get(const struct ip_tab *t, const struct netaddr *a)
{
	bool found;
	size_t i = ip_find(t, htab_hash(a->bytes, a->family == 4 ? 4 : 16), a, &found);

	return found ? &t->slot[i] : NULL;
}

static void
ip_tab_grow(struct ip_tab *t)
{
	struct ipst *old = t->slot;
	size_t oldn = t->mask + 1, i, j;

	t->mask = oldn * 2 - 1;
	t->slot = mem_calloc(t->mask + 1, sizeof(*t->slot));
	for (i = 0; i < oldn; i++) {
		if (old[i].tag == 0)
			continue;
		for (j = ip_hash(&old[i]) & t->mask; t->slot[j].tag != 0; j = (j + 1) & t->mask)
			;
		t->slot[j] = old[i];
	}
	free(old);
}

struct ipst *
ip_tab_put(struct ip_tab *t, const struct netaddr *a, bool *created)
{
	struct ip_cold *c;
	struct ipst *s;
	bool found;
	size_t i;

	if (tab_full(t->count, t->mask))	/* as htab_put: before the look-up */
		ip_tab_grow(t);
	i = ip_find(t, htab_hash(a->bytes, a->family == 4 ? 4 : 16), a, &found);
	s = &t->slot[i];
	*created = !found;
	if (found)
		return s;
	memset(s, 0, sizeof(*s));
	if (a->family == 4) {
		memcpy(&s->v4, a->bytes, 4);
		s->tag = IPST_USED;
	} else {
		c = mem_calloc(1, sizeof(*c) + 16);
		memcpy(c->v6, a->bytes, 16);
		memcpy(&s->v4, a->bytes + 12, 4);
		s->tag = (uintptr_t)c | IPST_V6 | IPST_USED;
	}
	t->count++;
	return s;
}

void
ip_tab_del(struct ip_tab *t, struct ipst *s)
{
	size_t i = (size_t)(s - t->slot), j;

	ip_cold_free(ip_cold(s));
	t->slot[i].tag = 0;
	t->count--;
	for (j = (i + 1) & t->mask; t->slot[j].tag != 0; j = (j + 1) & t->mask)
		if (tab_movable(i, j, ip_hash(&t->slot[j]) & t->mask)) {
			t->slot[i] = t->slot[j];
			t->slot[j].tag = 0;
			i = j;
		}
}

struct ip_cold *
ip_cold_get(struct ipst *s)
{
	struct ip_cold *c = ip_cold(s);

	if (c == NULL) {
		c = mem_calloc(1, sizeof(*c));	/* IPv4: an IPv6 record has one from the start */
		s->tag |= (uintptr_t)c;
	}
	return c;
}

void
ip_addr(const struct ipst *s, struct netaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (s->tag & IPST_V6) {
		out->family = 6;
		memcpy(out->bytes, ip_cold(s)->v6, 16);
	} else {
		out->family = 4;
		memcpy(out->bytes, &s->v4, 4);
	}
}
