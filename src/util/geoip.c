/* geoip.c - country of an address from Tor's GeoIP files (see geoip.h)
 *
 * Both files are read into a temporary list of ranges (128-bit bounds, so
 * one sweep serves both families), sorted, and flattened into runs: entry i
 * covers [start[i], start[i+1] - 1] with country cc[i] (0 for a gap).
 * Neighbouring runs of the same country are merged. A lookup is a binary
 * search for the last start <= address. IPv4 starts are kept as uint32_t
 * (6 bytes a run), IPv6 starts as two uint64_t (18 bytes a run). */
#include "util/geoip.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/scan.h"

struct geoip_u128 {
	uint64_t hi, lo;
};

struct geoip_raw {
	struct geoip_u128 first, last;
	uint32_t seq;		/* line order, for identical ranges */
	uint16_t cc;
};

struct geoip_rawlist {
	struct geoip_raw *r;
	size_t n, cap;
};

/* Flattened runs of one family while building. */
struct geoip_runs {
	struct geoip_u128 *start;
	uint16_t *cc;
	size_t n, cap;
};

struct geoip {
	uint32_t *start4;
	uint16_t *cc4;
	size_t n4;
	struct geoip_u128 *start6;
	uint16_t *cc6;
	size_t n6;
	size_t ranges, malformed;
};

static int
geoip_cmp128(struct geoip_u128 a, struct geoip_u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static struct geoip_u128
geoip_inc128(struct geoip_u128 a)
{
	if (++a.lo == 0)
		a.hi++;
	return a;
}

static int
geoip_raw_cmp(const void *pa, const void *pb)
{
	const struct geoip_raw *a = pa, *b = pb;
	int c;

	if ((c = geoip_cmp128(a->first, b->first)) != 0)
		return c;
	if ((c = geoip_cmp128(a->last, b->last)) != 0)
		return -c;	/* wider first: the narrower one is pushed later and wins */
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static uint16_t
geoip_parse_cc(const char *p, size_t len, bool *unknown)
{
	unsigned char c0, c1;

	*unknown = false;
	if (len != 2)
		return 0;
	if (p[0] == '?' && p[1] == '?') {
		*unknown = true;
		return 0;
	}
	c0 = (unsigned char)p[0];
	c1 = (unsigned char)p[1];
	if (c0 >= 'a' && c0 <= 'z')
		c0 = (unsigned char)(c0 - 'a' + 'A');
	if (c1 >= 'a' && c1 <= 'z')
		c1 = (unsigned char)(c1 - 'a' + 'A');
	if (c0 < 'A' || c0 > 'Z' || c1 < 'A' || c1 > 'Z')
		return 0;
	return (uint16_t)(c0 << 8 | c1);
}

static int
geoip_parse_addr(int family, const char *p, size_t len, struct geoip_u128 *out)
{
	if (family == 4) {
		uint64_t v;

		if (scan_u64(p, len, &v) < 0 || v > UINT32_MAX)
			return -1;
		out->hi = 0;
		out->lo = v;
		return 0;
	} else {
		char tmp[NETADDR_STRLEN];
		uint8_t b[16];
		int i;

		if (len == 0 || len >= sizeof(tmp))
			return -1;
		memcpy(tmp, p, len);
		tmp[len] = '\0';
		if (inet_pton(AF_INET6, tmp, b) != 1)
			return -1;
		out->hi = out->lo = 0;
		for (i = 0; i < 8; i++) {
			out->hi = out->hi << 8 | b[i];
			out->lo = out->lo << 8 | b[i + 8];
		}
		return 0;
	}
}

/* One line without its newline. Returns 1 for a range, 0 for a line to
 * ignore (blank, comment, "??"), -1 for a malformed one. */
static int
geoip_parse_line(int family, const char *p, size_t len, struct geoip_raw *out)
{
	const char *c1, *c2;
	bool unknown;

	while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	if (len == 0 || *p == '#')
		return 0;
	if ((c1 = memchr(p, ',', len)) == NULL)
		return -1;
	if ((c2 = memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - p))) == NULL)
		return -1;
	if (geoip_parse_addr(family, p, (size_t)(c1 - p), &out->first) < 0 ||
	    geoip_parse_addr(family, c1 + 1, (size_t)(c2 - c1 - 1), &out->last) < 0 ||
	    geoip_cmp128(out->first, out->last) > 0)
		return -1;
	out->cc = geoip_parse_cc(c2 + 1, len - (size_t)(c2 + 1 - p), &unknown);
	if (unknown)
		return 0;
	return out->cc != 0 ? 1 : -1;
}

static void
geoip_add(int family, const char *p, size_t len, bool toolong, struct geoip_rawlist *l,
	  size_t *ranges, size_t *malformed)
{
	struct geoip_raw r;
	int rc = -1;

	if (!toolong && memchr(p, '\0', len) == NULL)
		rc = geoip_parse_line(family, p, len, &r);
	if (rc < 0)
		(*malformed)++;
	if (rc <= 0)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->r = mem_reallocarray(l->r, l->cap, sizeof(*l->r));
	}
	r.seq = (uint32_t)l->n;
	l->r[l->n++] = r;
	(*ranges)++;
}

/* Whole file in chunks; each line is gathered into line[] (bounded). */
static void
geoip_read(FILE *fp, int family, struct geoip_rawlist *l, size_t *ranges, size_t *malformed)
{
	enum { CHUNK = 1 << 16 };
	char *chunk = mem_alloc(CHUNK);
	char line[GEOIP_LINE_MAX];
	size_t n, ll = 0;
	bool toolong = false;

	while ((n = fread(chunk, 1, CHUNK, fp)) > 0) {
		const char *p = chunk, *end = chunk + n;

		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t seg = (size_t)((nl != NULL ? nl : end) - p);

			if (!toolong && seg > sizeof(line) - ll)
				toolong = true;
			if (!toolong) {
				memcpy(line + ll, p, seg);
				ll += seg;
			}
			if (nl == NULL)
				break;
			geoip_add(family, line, ll, toolong, l, ranges, malformed);
			ll = 0;
			toolong = false;
			p = nl + 1;
		}
	}
	if (ll > 0 || toolong)
		geoip_add(family, line, ll, toolong, l, ranges, malformed);
	mem_free(chunk);
}

static void
geoip_emit(struct geoip_runs *o, struct geoip_u128 start, uint16_t cc)
{
	if (o->n == 0 ? cc == 0 : o->cc[o->n - 1] == cc)
		return;		/* before the first run is unknown anyway; merge */
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 4096;
		o->start = mem_reallocarray(o->start, o->cap, sizeof(*o->start));
		o->cc = mem_reallocarray(o->cc, o->cap, sizeof(*o->cc));
	}
	o->start[o->n] = start;
	o->cc[o->n++] = cc;
}

/* Sweep the sorted ranges with a stack of the open ones: the address at
 * pos belongs to the range on top (the latest to start). */
static void
geoip_flatten(struct geoip_rawlist *l, struct geoip_runs *o)
{
	const struct geoip_raw **stack;
	struct geoip_u128 pos = { 0, 0 };
	size_t depth = 0, i;
	bool done = false;

	if (l->n == 0)
		return;
	qsort(l->r, l->n, sizeof(*l->r), geoip_raw_cmp);
	stack = mem_reallocarray(NULL, l->n, sizeof(*stack));
	for (i = 0; i < l->n; i++) {
		const struct geoip_raw *r = &l->r[i];

		while (depth > 0 && geoip_cmp128(stack[depth - 1]->last, r->first) < 0) {
			const struct geoip_raw *t = stack[--depth];

			if (geoip_cmp128(pos, t->last) <= 0) {
				geoip_emit(o, pos, t->cc);
				pos = geoip_inc128(t->last);	/* t->last < r->first: no wrap */
			}
		}
		if (geoip_cmp128(pos, r->first) < 0) {
			geoip_emit(o, pos, depth > 0 ? stack[depth - 1]->cc : 0);
			pos = r->first;
		}
		stack[depth++] = r;
	}
	while (depth > 0 && !done) {
		const struct geoip_raw *t = stack[--depth];

		if (geoip_cmp128(pos, t->last) <= 0) {
			geoip_emit(o, pos, t->cc);
			pos = geoip_inc128(t->last);
			done = t->last.hi == UINT64_MAX && t->last.lo == UINT64_MAX;
		}
	}
	if (!done)
		geoip_emit(o, pos, 0);
	mem_free(stack);
}

static void
geoip_load(struct geoip *g, FILE *fp, int family)
{
	struct geoip_rawlist l = { NULL, 0, 0 };
	struct geoip_runs o = { NULL, NULL, 0, 0 };
	size_t i;

	geoip_read(fp, family, &l, &g->ranges, &g->malformed);
	fclose(fp);
	geoip_flatten(&l, &o);
	mem_free(l.r);
	/* A range ending at 255.255.255.255 leaves a gap run at 2^32: drop it. */
	if (family == 4 && o.n > 0 && o.start[o.n - 1].lo > UINT32_MAX)
		o.n--;
	/* Exact sizes: the arrays grew by doubling. */
	o.cc = mem_reallocarray(o.cc, o.n, sizeof(*o.cc));
	if (family == 4) {
		g->start4 = mem_reallocarray(NULL, o.n, sizeof(*g->start4));
		for (i = 0; i < o.n; i++)
			g->start4[i] = (uint32_t)o.start[i].lo;
		mem_free(o.start);
		g->cc4 = o.cc;
		g->n4 = o.n;
	} else {
		g->start6 = mem_reallocarray(o.start, o.n, sizeof(*o.start));
		g->cc6 = o.cc;
		g->n6 = o.n;
	}
}

struct geoip *
geoip_open(const char *path4, const char *path6)
{
	struct geoip *g;
	FILE *fp4, *fp6;

	if (path4 == NULL)
		path4 = GEOIP_PATH4;
	if (path6 == NULL)
		path6 = GEOIP_PATH6;
	fp4 = fopen(path4, "r");
	fp6 = fopen(path6, "r");
	if (fp4 == NULL && fp6 == NULL)
		return NULL;
	g = mem_calloc(1, sizeof(*g));
	if (fp4 != NULL)
		geoip_load(g, fp4, 4);
	if (fp6 != NULL)
		geoip_load(g, fp6, 6);
	return g;
}

void
geoip_free(struct geoip **gp)
{
	struct geoip *g = *gp;

	if (g == NULL)
		return;
	mem_free(g->start4);
	mem_free(g->cc4);
	mem_free(g->start6);
	mem_free(g->cc6);
	mem_free(g);
	*gp = NULL;
}

uint16_t
geoip_country(const struct geoip *g, const struct netaddr *a)
{
	size_t base = 0, n;

	if (g == NULL)
		return 0;
	if (a->family == 4) {
		uint32_t key = (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 |
			       (uint32_t)a->bytes[2] << 8 | a->bytes[3];

		for (n = g->n4; n > 0;) {	/* base = how many starts are <= key */
			size_t half = n / 2;

			if (g->start4[base + half] <= key) {
				base += half + 1;
				n -= half + 1;
			} else {
				n = half;
			}
		}
		return base > 0 ? g->cc4[base - 1] : 0;
	}
	if (a->family == 6) {
		struct geoip_u128 key = { 0, 0 };
		int i;

		for (i = 0; i < 8; i++) {
			key.hi = key.hi << 8 | a->bytes[i];
			key.lo = key.lo << 8 | a->bytes[i + 8];
		}
		for (n = g->n6; n > 0;) {
			size_t half = n / 2;

			if (geoip_cmp128(g->start6[base + half], key) <= 0) {
				base += half + 1;
				n -= half + 1;
			} else {
				n = half;
			}
		}
		return base > 0 ? g->cc6[base - 1] : 0;
	}
	return 0;
}

void
geoip_code(uint16_t cc, char out[3])
{
	unsigned char c0 = (unsigned char)(cc >> 8), c1 = (unsigned char)(cc & 0xff);

	if (c0 < 'A' || c0 > 'Z' || c1 < 'A' || c1 > 'Z')
		c0 = c1 = '?';
	out[0] = (char)c0;
	out[1] = (char)c1;
	out[2] = '\0';
}

size_t
geoip_ranges(const struct geoip *g)
{
	return g != NULL ? g->ranges : 0;
}

size_t
geoip_malformed(const struct geoip *g)
{
	return g != NULL ? g->malformed : 0;
}
