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

/* The load reads some 660,000 lines at the start of every scan; these two
 * parsers cut it from a billion instructions to a fraction (scan_u64's
 * overflow checks per digit and inet_pton's copy and state machine were
 * most of it). */

/* Decimal IPv4 as Tor writes it; exactly what scan_u64 + "<= UINT32_MAX"
 * accepted: once the value passes 2^32 - 1 no digit can bring it back. */
static int
geoip_dec32(const char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned)(unsigned char)p[i] - '0';

		if (d > 9)
			return -1;
		v = v * 10 + d;
		if (v > UINT32_MAX)
			return -1;
	}
	*out = v;
	return 0;
}

/* Hex digit value + 1, 0 for other bytes: one load per character. */
static const unsigned char geoip_hex1[256] = {
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,	['6'] = 7,
	['7'] = 8,  ['8'] = 9,	['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
	['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
	['F'] = 16,
};

/* The plain RFC 4291 text form: eight groups of 1-4 hex digits, or fewer
 * around one "::", no dotted tail. Returns 1 and the bytes for such text,
 * 0 for anything else, which inet_pton then decides: every C library
 * agrees on this subset, so the result is inet_pton's whatever it is. */
static int
geoip_v6_plain(const char *p, size_t len, uint8_t b[16])
{
	unsigned groups[8];
	size_t i = 0, n = 0, gap = SIZE_MAX;	/* groups before "::", if any */

	if (len >= 2 && p[0] == ':' && p[1] == ':') {
		gap = 0;
		i = 2;
	}
	while (i < len) {
		size_t start = i;
		unsigned v = 0, h;

		while (i < len && (h = geoip_hex1[(unsigned char)p[i]]) != 0) {
			v = v << 4 | (h - 1);
			i++;
		}
		if (i == start || i - start > 4 || n == 8)
			return 0;
		groups[n++] = v;
		if (i == len)
			break;
		if (p[i] != ':' || ++i == len)
			return 0;	/* not a colon, or a single one at the end */
		if (p[i] == ':') {
			if (gap != SIZE_MAX)
				return 0;	/* a second "::" */
			gap = n;
			if (++i == len)
				break;
		}
	}
	if (gap == SIZE_MAX ? n != 8 : n > 7)
		return 0;
	memset(b, 0, 16);
	for (i = 0; i < n; i++) {
		size_t at = i < gap ? i : 8 - (n - i);

		b[2 * at] = (uint8_t)(groups[i] >> 8);
		b[2 * at + 1] = (uint8_t)groups[i];
	}
	return 1;
}

static int
geoip_parse_addr(int family, const char *p, size_t len, struct geoip_u128 *out)
{
	if (family == 4) {
		uint64_t v;

		if (geoip_dec32(p, len, &v) < 0)
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
		if (!geoip_v6_plain(p, len, b)) {
			memcpy(tmp, p, len);
			tmp[len] = '\0';
			if (inet_pton(AF_INET6, tmp, b) != 1)
				return -1;
		}
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

/* The sweep over ranges in sorted order, with a stack of the open ones: the
 * address at pos belongs to the range on top (the latest to start). */
struct geoip_sweep {
	struct geoip_runs *o;
	struct geoip_raw *stack;
	size_t depth, cap;
	struct geoip_u128 pos;
	bool done;
};

static void
geoip_sweep_add(struct geoip_sweep *w, const struct geoip_raw *r)
{
	while (w->depth > 0 && geoip_cmp128(w->stack[w->depth - 1].last, r->first) < 0) {
		const struct geoip_raw *t = &w->stack[--w->depth];

		if (geoip_cmp128(w->pos, t->last) <= 0) {
			geoip_emit(w->o, w->pos, t->cc);
			w->pos = geoip_inc128(t->last);	/* t->last < r->first: no wrap */
		}
	}
	if (geoip_cmp128(w->pos, r->first) < 0) {
		geoip_emit(w->o, w->pos, w->depth > 0 ? w->stack[w->depth - 1].cc : 0);
		w->pos = r->first;
	}
	if (w->depth == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->stack = mem_reallocarray(w->stack, w->cap, sizeof(*w->stack));
	}
	w->stack[w->depth++] = *r;
}

static void
geoip_sweep_end(struct geoip_sweep *w)
{
	while (w->depth > 0 && !w->done) {
		const struct geoip_raw *t = &w->stack[--w->depth];

		if (geoip_cmp128(w->pos, t->last) <= 0) {
			geoip_emit(w->o, w->pos, t->cc);
			w->pos = geoip_inc128(t->last);
			w->done = t->last.hi == UINT64_MAX && t->last.lo == UINT64_MAX;
		}
	}
	if (!w->done)
		geoip_emit(w->o, w->pos, 0);
	mem_free(w->stack);
	w->stack = NULL;
}

/* Where geoip_read puts the ranges: into the sweep directly while they come
 * in sorted order (Tor's files do: no list of 660,000 ranges to allocate,
 * fault in and sort), or into a list for sorting. */
struct geoip_sink {
	struct geoip_rawlist *l;	/* collect, when not NULL */
	struct geoip_sweep *w;		/* else stream */
	struct geoip_raw prev;
	bool unsorted;			/* streaming met a range out of order */
	size_t ranges, malformed;
};

/* nul: the line may hold a NUL byte (it is then malformed). */
static void
geoip_add(int family, const char *p, size_t len, bool toolong, bool nul, struct geoip_sink *k)
{
	struct geoip_raw r;
	int rc = -1;

	if (!toolong && (!nul || memchr(p, '\0', len) == NULL))
		rc = geoip_parse_line(family, p, len, &r);
	if (rc < 0)
		k->malformed++;
	if (rc <= 0)
		return;
	r.seq = (uint32_t)k->ranges++;
	if (k->l == NULL) {
		if (r.seq > 0 && geoip_raw_cmp(&k->prev, &r) >= 0) {
			k->unsorted = true;
			return;
		}
		geoip_sweep_add(k->w, &r);
		k->prev = r;
		return;
	}
	if (k->l->n == k->l->cap) {
		k->l->cap = k->l->cap ? k->l->cap * 2 : 4096;
		k->l->r = mem_reallocarray(k->l->r, k->l->cap, sizeof(*k->l->r));
	}
	k->l->r[k->l->n++] = r;
}

/* Whole file in chunks (until a streaming sink finds it unsorted). A line
 * that lies whole in a chunk is parsed where it is; one cut by the chunk's
 * end is gathered into line[] (bounded). A chunk without NUL bytes spares
 * the check per line. */
static void
geoip_read(FILE *fp, int family, struct geoip_sink *k)
{
	enum { CHUNK = 1 << 16 };
	char *chunk = mem_alloc(CHUNK);
	char line[GEOIP_LINE_MAX];
	size_t n, ll = 0;
	bool toolong = false, held = false;	/* held: line[] has the start of a line */

	while (!k->unsorted && (n = fread(chunk, 1, CHUNK, fp)) > 0) {
		const char *p = chunk, *end = chunk + n;
		bool nul = memchr(chunk, '\0', n) != NULL;

		while (p < end && !k->unsorted) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t seg = (size_t)((nl != NULL ? nl : end) - p);

			if (nl != NULL && !held) {	/* a whole line in the chunk */
				geoip_add(family, p, seg, seg > sizeof(line), nul, k);
				p = nl + 1;
				continue;
			}
			if (!toolong && seg > sizeof(line) - ll)
				toolong = true;
			if (!toolong) {
				memcpy(line + ll, p, seg);
				ll += seg;
			}
			held = true;
			if (nl == NULL)
				break;
			geoip_add(family, line, ll, toolong, true, k);
			ll = 0;
			toolong = false;
			held = false;
			p = nl + 1;
		}
	}
	if (held && !k->unsorted)
		geoip_add(family, line, ll, toolong, true, k);
	mem_free(chunk);
}

static void
geoip_load(struct geoip *g, FILE *fp, int family)
{
	struct geoip_rawlist l = { NULL, 0, 0 };
	struct geoip_runs o = { NULL, NULL, 0, 0 };
	struct geoip_sweep w;
	struct geoip_sink k;
	size_t i;

	memset(&w, 0, sizeof(w));
	memset(&k, 0, sizeof(k));
	w.o = &o;
	k.w = &w;
	/* Stream when the file can be read again from the start should it
	 * turn out unsorted (a pipe cannot: collect at once). */
	if (fseek(fp, 0, SEEK_SET) != 0)
		k.l = &l;
	geoip_read(fp, family, &k);
	if (k.unsorted) {	/* again, collecting, then sorted */
		mem_free(w.stack);
		mem_free(o.start);
		mem_free(o.cc);
		memset(&o, 0, sizeof(o));
		memset(&w, 0, sizeof(w));
		memset(&k, 0, sizeof(k));
		w.o = &o;
		k.l = &l;
		clearerr(fp);
		if (fseek(fp, 0, SEEK_SET) == 0)
			geoip_read(fp, family, &k);
	}
	fclose(fp);
	if (k.l != NULL && l.n > 0) {
		/* The order is total: a sorted list is what qsort would give. */
		for (i = 1; i < l.n && geoip_raw_cmp(&l.r[i - 1], &l.r[i]) < 0; i++)
			;
		if (i < l.n)
			qsort(l.r, l.n, sizeof(*l.r), geoip_raw_cmp);
		for (i = 0; i < l.n; i++)
			geoip_sweep_add(&w, &l.r[i]);
	}
	if (k.ranges > 0 && (k.l == NULL || l.n > 0))
		geoip_sweep_end(&w);
	mem_free(w.stack);
	mem_free(l.r);
	g->ranges += k.ranges;
	g->malformed += k.malformed;
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
