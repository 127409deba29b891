/* htab.c - open-addressing hash table with backward-shift deletion */
#include "util/htab.h"

#include <string.h>

#include "util/mem.h"

struct htab_ent {
	uint64_t hash;		/* 0 = empty slot */
	char *key;		/* klen bytes + NUL */
	uint32_t klen;
	void *val;
};

struct htab {
	struct htab_ent *slot;
	size_t mask, count;
	bool words;		/* htab_new_words: hash a word at a time */
};

uint64_t
htab_hash(const void *key, size_t klen)
{
	const unsigned char *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ klen;
	size_t i;

	for (i = 0; i < klen; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return h ? h : 1;
}

/* 8 bytes per step instead of 1: correlation hashes a key of some 25
 * bytes several times per log line. Not htab_hash: its values are part of
 * what callers compute (det's address hashes) and of htab_new's slot
 * order. */
static uint64_t
htab_hash_words(const void *key, size_t klen)
{
	const unsigned char *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ klen, w;

	for (; klen >= 8; p += 8, klen -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (klen > 0) {
		w = 0;
		while (klen-- > 0)
			w = w << 8 | p[klen];
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 32;
	return h ? h : 1;
}

static uint64_t
htab_khash(const struct htab *h, const void *key, size_t klen)
{
	return h->words ? htab_hash_words(key, klen) : htab_hash(key, klen);
}

struct htab *
htab_new_words(void)
{
	struct htab *h = htab_new();

	h->words = true;
	return h;
}

struct htab *
htab_new(void)
{
	struct htab *h = mem_calloc(1, sizeof(*h));

	h->mask = 15;
	h->slot = mem_calloc(h->mask + 1, sizeof(*h->slot));
	return h;
}

void
htab_free(struct htab **hp, void (*free_val)(void *))
{
	struct htab *h = *hp;
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i <= h->mask; i++) {
		if (h->slot[i].hash == 0)
			continue;
		mem_free(h->slot[i].key);
		if (free_val != NULL)
			free_val(h->slot[i].val);
	}
	mem_free(h->slot);
	mem_free(h);
	*hp = NULL;
}

size_t
htab_count(const struct htab *h)
{
	return h->count;
}

static size_t
htab_find(const struct htab *h, uint64_t hash, const void *key, size_t klen, bool *found)
{
	size_t i = hash & h->mask;

	for (;;) {
		const struct htab_ent *e = &h->slot[i];

		if (e->hash == 0) {
			*found = false;
			return i;
		}
		if (e->hash == hash && e->klen == klen && memcmp(e->key, key, klen) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & h->mask;
	}
}

void *
htab_get(const struct htab *h, const void *key, size_t klen)
{
	bool found;
	size_t i = htab_find(h, htab_khash(h, key, klen), key, klen, &found);

	return found ? h->slot[i].val : NULL;
}

static void
htab_grow(struct htab *h)
{
	struct htab_ent *old = h->slot;
	size_t oldn = h->mask + 1, i;

	h->mask = oldn * 2 - 1;
	h->slot = mem_calloc(h->mask + 1, sizeof(*h->slot));
	for (i = 0; i < oldn; i++) {
		size_t j;

		if (old[i].hash == 0)
			continue;
		for (j = old[i].hash & h->mask; h->slot[j].hash != 0; j = (j + 1) & h->mask)
			;
		h->slot[j] = old[i];
	}
	mem_free(old);
}

void **
htab_put(struct htab *h, const void *key, size_t klen, bool *created)
{
	uint64_t hash;
	bool found;
	size_t i;

	if (klen > HTAB_KEY_MAX)
		return NULL;
	if ((h->count + 1) * 4 > (h->mask + 1) * 3)	/* load factor 0.75 */
		htab_grow(h);
	hash = htab_khash(h, key, klen);
	i = htab_find(h, hash, key, klen, &found);
	if (created != NULL)
		*created = !found;
	if (!found) {
		h->slot[i].hash = hash;
		h->slot[i].key = mem_strndup(key, klen);
		h->slot[i].klen = (uint32_t)klen;
		h->slot[i].val = NULL;
		h->count++;
	}
	return &h->slot[i].val;
}

void *
htab_del(struct htab *h, const void *key, size_t klen)
{
	bool found;
	size_t i = htab_find(h, htab_khash(h, key, klen), key, klen, &found), j;
	void *val;

	if (!found)
		return NULL;
	val = h->slot[i].val;
	mem_free(h->slot[i].key);
	h->slot[i].hash = 0;
	h->count--;
	/* Backward shift: pull later members of the probe run into the hole. */
	for (j = (i + 1) & h->mask; h->slot[j].hash != 0; j = (j + 1) & h->mask) {
		size_t home = h->slot[j].hash & h->mask;

		/* Move j to i if its home is not cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			h->slot[i] = h->slot[j];
			h->slot[j].hash = 0;
			i = j;
		}
	}
	return val;
}

bool
htab_next(const struct htab *h, size_t *pos, const char **key, size_t *klen, void **val)
{
	while (*pos <= h->mask) {
		const struct htab_ent *e = &h->slot[(*pos)++];

		if (e->hash == 0)
			continue;
		if (key != NULL)
			*key = e->key;
		if (klen != NULL)
			*klen = e->klen;
		if (val != NULL)
			*val = e->val;
		return true;
	}
	return false;
}
