/* det_util.c - the small containers of the detectors: ring and idset
 * SUMMARY  ring: counters in RING_N buckets; a slot number is time divided
 *          by the bucket width, so the ring always holds the last RING_N
 *          slots. idset: open addressing over 32-bit hashes with linear
 *          probing, doubling at 3/4 full, up to IDSET_MAX entries. */
#include <stdlib.h>
#include <string.h>

#include "detect/det_int.h"
#include "util/mem.h"

static void
ring_advance(struct ring *r, uint32_t slot)
{
	uint32_t s;

	if (slot <= r->head)
		return;
	if (slot - r->head >= RING_N) {
		memset(r->c, 0, sizeof(r->c));
	} else {
		for (s = r->head + 1; s <= slot; s++)
			memset(r->c[s % RING_N], 0, sizeof(r->c[0]));
	}
	r->head = slot;
}

void
ring_add(struct ring *r, uint32_t slot, enum ring_field f, uint32_t n)
{
	uint16_t *c;

	ring_advance(r, slot);
	if (slot + RING_N <= r->head)
		return;		/* older than the ring */
	c = &r->c[slot % RING_N][f];
	*c = (uint32_t)*c + n > UINT16_MAX ? UINT16_MAX : (uint16_t)(*c + n);
}

uint32_t
ring_sum(struct ring *r, uint32_t slot, enum ring_field f)
{
	uint32_t sum = 0;
	unsigned i;

	ring_advance(r, slot);
	for (i = 0; i < RING_N; i++)
		sum += r->c[i][f];
	return sum;
}

static bool
idset_put(uint32_t *v, uint32_t cap, uint32_t id)
{
	uint32_t i = (id * 0x9e3779b1u) & (cap - 1);

	while (v[i] != 0) {
		if (v[i] == id)
			return false;
		i = (i + 1) & (cap - 1);
	}
	v[i] = id;
	return true;
}

bool
idset_add(struct idset *s, uint32_t id)
{
	uint32_t i;

	if (id == 0)
		id = 1;
	if ((s->n + 1) * 4 > s->cap * 3) {
		uint32_t ncap = s->cap ? s->cap * 2 : 8;
		uint32_t *nv;

		if (s->n >= IDSET_MAX)
			return false;
		nv = mem_calloc(ncap, sizeof(*nv));
		for (i = 0; i < s->cap; i++)
			if (s->v[i] != 0)
				idset_put(nv, ncap, s->v[i]);
		free(s->v);
		s->v = nv;
		s->cap = ncap;
	}
	if (!idset_put(s->v, s->cap, id))
		return false;
	s->n++;
	return true;
}

bool
idset_del(struct idset *s, uint32_t id)
{
	uint32_t i, j, k, mask;

	if (id == 0)
		id = 1;
	if (s->cap == 0)
		return false;
	mask = s->cap - 1;
	i = (id * 0x9e3779b1u) & mask;
	while (s->v[i] != id) {
		if (s->v[i] == 0)
			return false;
		i = (i + 1) & mask;
	}
	/* Backward-shift deletion: move later members of the cluster into
	 * the hole when their home slot does not lie between hole and them. */
	j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (s->v[j] == 0)
			break;
		k = (s->v[j] * 0x9e3779b1u) & mask;
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			s->v[i] = s->v[j];
			i = j;
		}
	}
	s->v[i] = 0;
	s->n--;
	return true;
}

void
idset_free(struct idset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}
