/* test_fastgeo.c - util/geoip's fast load (hand-written number and IPv6
 * parsers, files streamed into the sweep while sorted, lines parsed in
 * place) against the loader as it was, kept here as the reference: the
 * installed Tor database, random files of every text form, files bigger
 * than the read chunk, and a FIFO (which cannot be read twice). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testdir.h"
#include "util/geoip.h"
#include "util/mem.h"
#include "util/netaddr.h"
#include "util/scan.h"

/* ---- the reference: src/util/geoip.c before the fast load; only the
 * names changed. ---- */

struct ref_geoip_u128 {
	uint64_t hi, lo;
};

struct ref_geoip_raw {
	struct ref_geoip_u128 first, last;
	uint32_t seq;		/* line order, for identical ranges */
	uint16_t cc;
};

struct ref_geoip_rawlist {
	struct ref_geoip_raw *r;
	size_t n, cap;
};

/* Flattened runs of one family while building. */
struct ref_geoip_runs {
	struct ref_geoip_u128 *start;
	uint16_t *cc;
	size_t n, cap;
};

struct ref_geoip {
	uint32_t *start4;
	uint16_t *cc4;
	size_t n4;
	struct ref_geoip_u128 *start6;
	uint16_t *cc6;
	size_t n6;
	size_t ranges, malformed;
};

static int
ref_geoip_cmp128(struct ref_geoip_u128 a, struct ref_geoip_u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static struct ref_geoip_u128
ref_geoip_inc128(struct ref_geoip_u128 a)
{
	if (++a.lo == 0)
		a.hi++;
	return a;
}

static int
ref_geoip_raw_cmp(const void *pa, const void *pb)
{
	const struct ref_geoip_raw *a = pa, *b = pb;
	int c;

	if ((c = ref_geoip_cmp128(a->first, b->first)) != 0)
		return c;
	if ((c = ref_geoip_cmp128(a->last, b->last)) != 0)
		return -c;	/* wider first: the narrower one is pushed later and wins */
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static uint16_t
ref_geoip_parse_cc(const char *p, size_t len, bool *unknown)
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
ref_geoip_parse_addr(int family, const char *p, size_t len, struct ref_geoip_u128 *out)
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
ref_geoip_parse_line(int family, const char *p, size_t len, struct ref_geoip_raw *out)
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
	if (ref_geoip_parse_addr(family, p, (size_t)(c1 - p), &out->first) < 0 ||
	    ref_geoip_parse_addr(family, c1 + 1, (size_t)(c2 - c1 - 1), &out->last) < 0 ||
	    ref_geoip_cmp128(out->first, out->last) > 0)
		return -1;
	out->cc = ref_geoip_parse_cc(c2 + 1, len - (size_t)(c2 + 1 - p), &unknown);
	if (unknown)
		return 0;
	return out->cc != 0 ? 1 : -1;
}

static void
ref_geoip_add(int family, const char *p, size_t len, bool toolong, struct ref_geoip_rawlist *l,
	  size_t *ranges, size_t *malformed)
{
	struct ref_geoip_raw r;
	int rc = -1;

	if (!toolong && memchr(p, '\0', len) == NULL)
		rc = ref_geoip_parse_line(family, p, len, &r);
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
ref_geoip_read(FILE *fp, int family, struct ref_geoip_rawlist *l, size_t *ranges, size_t *malformed)
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
			ref_geoip_add(family, line, ll, toolong, l, ranges, malformed);
			ll = 0;
			toolong = false;
			p = nl + 1;
		}
	}
	if (ll > 0 || toolong)
		ref_geoip_add(family, line, ll, toolong, l, ranges, malformed);
	mem_free(chunk);
}

static void
ref_geoip_emit(struct ref_geoip_runs *o, struct ref_geoip_u128 start, uint16_t cc)
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
ref_geoip_flatten(struct ref_geoip_rawlist *l, struct ref_geoip_runs *o)
{
	const struct ref_geoip_raw **stack;
	struct ref_geoip_u128 pos = { 0, 0 };
	size_t depth = 0, i;
	bool done = false;

	if (l->n == 0)
		return;
	qsort(l->r, l->n, sizeof(*l->r), ref_geoip_raw_cmp);
	stack = mem_reallocarray(NULL, l->n, sizeof(*stack));
	for (i = 0; i < l->n; i++) {
		const struct ref_geoip_raw *r = &l->r[i];

		while (depth > 0 && ref_geoip_cmp128(stack[depth - 1]->last, r->first) < 0) {
			const struct ref_geoip_raw *t = stack[--depth];

			if (ref_geoip_cmp128(pos, t->last) <= 0) {
				ref_geoip_emit(o, pos, t->cc);
				pos = ref_geoip_inc128(t->last);	/* t->last < r->first: no wrap */
			}
		}
		if (ref_geoip_cmp128(pos, r->first) < 0) {
			ref_geoip_emit(o, pos, depth > 0 ? stack[depth - 1]->cc : 0);
			pos = r->first;
		}
		stack[depth++] = r;
	}
	while (depth > 0 && !done) {
		const struct ref_geoip_raw *t = stack[--depth];

		if (ref_geoip_cmp128(pos, t->last) <= 0) {
			ref_geoip_emit(o, pos, t->cc);
			pos = ref_geoip_inc128(t->last);
			done = t->last.hi == UINT64_MAX && t->last.lo == UINT64_MAX;
		}
	}
	if (!done)
		ref_geoip_emit(o, pos, 0);
	mem_free(stack);
}

static void
ref_geoip_load(struct ref_geoip *g, FILE *fp, int family)
{
	struct ref_geoip_rawlist l = { NULL, 0, 0 };
	struct ref_geoip_runs o = { NULL, NULL, 0, 0 };
	size_t i;

	ref_geoip_read(fp, family, &l, &g->ranges, &g->malformed);
	fclose(fp);
	ref_geoip_flatten(&l, &o);
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

static struct ref_geoip *
ref_geoip_open(const char *path4, const char *path6)
{
	struct ref_geoip *g;
	FILE *fp4, *fp6;

	if (path4 == NULL)
		path4 = "/nonexistent";
	if (path6 == NULL)
		path6 = "/nonexistent";
	fp4 = fopen(path4, "r");
	fp6 = fopen(path6, "r");
	if (fp4 == NULL && fp6 == NULL)
		return NULL;
	g = mem_calloc(1, sizeof(*g));
	if (fp4 != NULL)
		ref_geoip_load(g, fp4, 4);
	if (fp6 != NULL)
		ref_geoip_load(g, fp6, 6);
	return g;
}

static void
ref_geoip_free(struct ref_geoip **gp)
{
	struct ref_geoip *g = *gp;

	if (g == NULL)
		return;
	mem_free(g->start4);
	mem_free(g->cc4);
	mem_free(g->start6);
	mem_free(g->cc6);
	mem_free(g);
	*gp = NULL;
}

static uint16_t
ref_geoip_country(const struct ref_geoip *g, const struct netaddr *a)
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
		struct ref_geoip_u128 key = { 0, 0 };
		int i;

		for (i = 0; i < 8; i++) {
			key.hi = key.hi << 8 | a->bytes[i];
			key.lo = key.lo << 8 | a->bytes[i + 8];
		}
		for (n = g->n6; n > 0;) {
			size_t half = n / 2;

			if (ref_geoip_cmp128(g->start6[base + half], key) <= 0) {
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

static size_t
ref_geoip_ranges(const struct ref_geoip *g)
{
	return g != NULL ? g->ranges : 0;
}

static size_t
ref_geoip_malformed(const struct ref_geoip *g)
{
	return g != NULL ? g->malformed : 0;
}

/* ---- the comparison ---- */

static char test_dir[] = "/tmp/test_fastgeo_XXXXXX";

static int
fg_setup(void **state)
{
	(void)state;
	return testdir_create(test_dir);
}

static int
fg_teardown(void **state)
{
	(void)state;
	return testdir_remove(test_dir);
}

static uint64_t
fg_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static const char *
fg_file(const char *name, const char *text, size_t len)
{
	static char paths[4][256];
	static int slot;
	char *path = paths[slot++ % 4];
	FILE *fp;

	snprintf(path, sizeof(paths[0]), "%s/%s", test_dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static void
fg_same_at(const struct geoip *g, const struct ref_geoip *r, const struct netaddr *a)
{
	uint16_t x = geoip_country(g, a), y = ref_geoip_country(r, a);

	if (x != y) {
		char t[NETADDR_STRLEN];

		netaddr_format(a, t);
		print_error("%s: %04x, want %04x\n", t, x, y);
		fail();
	}
}

/* Same counts, and the same country at every start of the reference's runs,
 * the address before each, and random addresses. */
static void
fg_same(const struct geoip *g, const struct ref_geoip *r, uint64_t *seed)
{
	struct netaddr a;
	size_t i;

	assert_int_equal(geoip_ranges(g), ref_geoip_ranges(r));
	assert_int_equal(geoip_malformed(g), ref_geoip_malformed(r));
	memset(&a, 0, sizeof(a));
	a.family = 4;
	for (i = 0; r != NULL && i < r->n4; i++) {
		for (int d = 0; d < 2; d++) {
			uint32_t v = r->start4[i] - (uint32_t)d;

			a.bytes[0] = (uint8_t)(v >> 24);
			a.bytes[1] = (uint8_t)(v >> 16);
			a.bytes[2] = (uint8_t)(v >> 8);
			a.bytes[3] = (uint8_t)v;
			fg_same_at(g, r, &a);
		}
	}
	a.family = 6;
	for (i = 0; r != NULL && i < r->n6; i++) {
		for (int d = 0; d < 2; d++) {
			uint64_t hi = r->start6[i].hi, lo = r->start6[i].lo;

			if (d && lo-- == 0)
				hi--;
			for (int k = 0; k < 8; k++) {
				a.bytes[k] = (uint8_t)(hi >> (56 - 8 * k));
				a.bytes[8 + k] = (uint8_t)(lo >> (56 - 8 * k));
			}
			fg_same_at(g, r, &a);
		}
	}
	for (i = 0; i < 20000; i++) {
		a.family = i % 2 ? 4 : 6;
		for (int k = 0; k < 16; k++)
			a.bytes[k] = (uint8_t)fg_rand(seed);
		if (a.family == 6 && i % 4 == 0)
			memcpy(a.bytes, "\x20\x01\x0d\xb8", 4);
		fg_same_at(g, r, &a);
	}
}

static void
fg_compare_paths(const char *p4, const char *p6, uint64_t *seed)
{
	struct geoip *g = geoip_open(p4, p6);
	struct ref_geoip *r = ref_geoip_open(p4, p6);

	assert_true((g == NULL) == (r == NULL));
	if (g != NULL)
		fg_same(g, r, seed);
	geoip_free(&g);
	ref_geoip_free(&r);
}

static void
test_installed_same(void **state)
{
	uint64_t seed = 1;

	(void)state;
	if (access(GEOIP_PATH4, R_OK) != 0 && access(GEOIP_PATH6, R_OK) != 0) {
		printf("# skip: %s and %s absent\n", GEOIP_PATH4, GEOIP_PATH6);
		skip();
	}
	fg_compare_paths(GEOIP_PATH4, GEOIP_PATH6, &seed);
}

/* One address of 16 bytes written in one of many text forms, valid or not. */
static size_t
fg_v6_text(uint64_t *seed, const uint8_t b[16], char *out, size_t max)
{
	unsigned w[8];
	size_t n = 0;
	int form = (int)(fg_rand(seed) % 9), zs = -1, ze = -1;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	if (form == 0)		/* inet_ntop's own */
		return inet_ntop(AF_INET6, b, out, (socklen_t)max) ? strlen(out) : 0;
	if (form <= 3) {	/* compress a random run of groups, zero or not */
		zs = (int)(fg_rand(seed) % 8);
		ze = zs + 1 + (int)(fg_rand(seed) % (size_t)(8 - zs));
		for (int i = zs; i < ze && form != 3; i++)
			w[i] = 0;
	}
	for (int i = 0; i < 8; i++) {
		if (i == zs) {
			n += (size_t)snprintf(out + n, max - n, i == 0 ? "::" : ":");
			i = ze - 1;
			continue;
		}
		if (i > 0 && !(i == ze && zs >= 0))
			out[n++] = ':';
		if (form == 4 && i == 6) {	/* a dotted tail */
			n += (size_t)snprintf(out + n, max - n, "%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
			break;
		}
		n += (size_t)snprintf(out + n, max - n, form == 5 ? "%04X" : form == 6 ? "%05x" : "%x",
				      w[i]);
	}
	if (form == 7 && n > 0)
		n--;		/* cut */
	if (form == 8 && n + 2 < max) {
		out[n++] = ':';		/* a trailing colon or a ":::" */
		if (fg_rand(seed) % 2)
			out[n++] = ':';
	}
	out[n] = '\0';
	return n;
}

static void
test_random_files(void **state)
{
	static const char *const codes[] = { "AA", "bb", "CC", "??", "C", "DDD", "E1" };
	uint64_t seed = 7;
	size_t cap = 200000;
	char *t4 = malloc(cap), *t6 = malloc(cap);

	(void)state;
	assert_non_null(t4);
	assert_non_null(t6);
	for (int round = 0; round < 120; round++) {
		size_t n = fg_rand(&seed) % (round % 10 == 0 ? 4000 : 40), l4 = 0, l6 = 0;
		bool sorted = fg_rand(&seed) % 2;
		uint64_t base = 3221225984u;

		for (size_t i = 0; i < n && l4 + 300 < cap && l6 + 300 < cap; i++) {
			uint64_t a = sorted ? base + i * 16 : base + fg_rand(&seed) % 4096;
			uint64_t b = a + (sorted ? fg_rand(&seed) % 16 : fg_rand(&seed) % 300);
			const char *cc = codes[fg_rand(&seed) % 7];
			uint8_t x[16], y[16];
			unsigned kind = (unsigned)(fg_rand(&seed) % 40);

			if (kind == 0)
				l4 += (size_t)snprintf(t4 + l4, cap - l4, "000%llu,%llu,%s\n",
						       (unsigned long long)a, (unsigned long long)b, cc);
			else if (kind == 1)
				l4 += (size_t)snprintf(t4 + l4, cap - l4, "%llu,%llu%s\r\n",
						       (unsigned long long)a, 4294967295ULL + fg_rand(&seed) % 3,
						       ",AU");
			else if (kind == 2)
				l4 += (size_t)snprintf(t4 + l4, cap - l4, " %llu, %llu,%s \n",
						       (unsigned long long)a, (unsigned long long)b, cc);
			else if (kind == 3)
				l4 += (size_t)snprintf(t4 + l4, cap - l4, "# c\n\n99999999999999999999999,1,AU\n");
			else
				l4 += (size_t)snprintf(t4 + l4, cap - l4, "%llu,%llu,%s\n",
						       (unsigned long long)a, (unsigned long long)b, cc);
			memset(x, 0, 16);
			memcpy(x, "\x20\x01\x0d\xb8", 4);
			memcpy(y, x, 16);
			for (int k = 4; k < 16; k++)
				x[k] = (uint8_t)(fg_rand(&seed) % 3 ? 0 : fg_rand(&seed));
			memcpy(y, x, 16);
			y[15] = (uint8_t)(y[15] | (uint8_t)fg_rand(&seed));
			l6 += fg_v6_text(&seed, x, t6 + l6, cap - l6 - 200);
			t6[l6++] = ',';
			l6 += fg_v6_text(&seed, y, t6 + l6, cap - l6 - 100);
			l6 += (size_t)snprintf(t6 + l6, cap - l6, ",%s\n", cc);
			if (kind == 4 && l6 + 1 < cap)
				t6[l6 - 3] = '\0';	/* a NUL byte */
		}
		if (round % 3 == 0 && l4 > 0)
			l4--;	/* no final newline */
		fg_compare_paths(fg_file("r4", t4, l4), fg_file("r6", t6, l6), &seed);
	}
	free(t4);
	free(t6);
}

/* Files bigger than the 64 KiB read chunk, lines cut by its edge, too-long
 * lines, NUL bytes in some chunks: sorted (streamed) and not. */
static void
test_big_files(void **state)
{
	uint64_t seed = 13;
	size_t cap = 600000, len;
	char *t = malloc(cap);

	(void)state;
	assert_non_null(t);
	for (int round = 0; round < 8; round++) {
		len = 0;
		for (uint64_t i = 0; len + 600 < cap; i++) {
			uint64_t a = round % 2 ? i * 1000 : fg_rand(&seed) % 100000000;

			if (fg_rand(&seed) % 500 == 0) {	/* too long */
				memset(t + len, '7', 300);
				len += 300;
				t[len++] = '\n';
				continue;
			}
			len += (size_t)snprintf(t + len, cap - len, "%llu,%llu,%s\n",
						(unsigned long long)a, (unsigned long long)(a + 500),
						fg_rand(&seed) % 3 ? "AU" : "NZ");
			if (round >= 4 && fg_rand(&seed) % 3000 == 0)
				t[len - 2] = '\0';
		}
		fg_compare_paths(fg_file("b4", t, len), fg_file("b6", "", 0), &seed);
	}
	free(t);
}

/* A FIFO cannot be read twice: an unsorted one is collected at once. */
static void
test_fifo(void **state)
{
	static const char text[] = "3221225984,3221226239,DE\n"
				   "3221225472,3221225727,FR\n"	/* out of order */
				   "3221225984,3221225990,IT\n"
				   "bad line\n"
				   "3221226240,3221226495,NL";
	char path[300];
	uint64_t seed = 3;

	(void)state;
	for (int sorted = 0; sorted < 2; sorted++) {
		const char *t = sorted ? "3221225472,3221225727,FR\n3221225984,3221226239,DE\n" : text;
		struct geoip *g;
		struct ref_geoip *r;
		pid_t pid;
		int st;

		snprintf(path, sizeof(path), "%s/fifo%d", test_dir, sorted);
		assert_int_equal(mkfifo(path, 0600), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			FILE *fp = fopen(path, "w");

			if (fp == NULL || fputs(t, fp) == EOF || fclose(fp) != 0)
				_exit(1);
			_exit(0);
		}
		g = geoip_open(path, "");
		assert_non_null(g);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		r = ref_geoip_open(fg_file("fifo.txt", t, strlen(t)), "");
		fg_same(g, r, &seed);
		geoip_free(&g);
		ref_geoip_free(&r);
		unlink(path);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_installed_same), cmocka_unit_test(test_random_files),
		cmocka_unit_test(test_big_files),	cmocka_unit_test(test_fifo),
	};

	return cmocka_run_group_tests(tests, fg_setup, fg_teardown);
}
