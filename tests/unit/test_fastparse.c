/* test_fastparse.c - the parsing fast paths against their definitions:
 * pm_match (literal runs compared and charged in one go, NUL-ended
 * templates) against the matcher as it was, kept here as the reference;
 * pm_run's first-byte and absent-byte skips against trying every rule;
 * strv_last_word (memrchr), evt_set's 8-byte control check, utf8_valid's
 * 32-byte stride and the frame date cache against plain loops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/evt.h"
#include "frame/frame.h"
#include "parse/parse.h"
#include "parse/pmatch.h"
#include "util/buf.h"
#include "util/htab.h"
#include "util/strv.h"
#include "util/timeconv.h"
#include "util/utf8.h"

static uint64_t
fp_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* ---- the reference matcher: src/parse/pmatch.c before the fast paths,
 * one template byte per loop turn; only the names changed. ---- */

struct ref_state {
	struct pm_caps *caps;
	unsigned steps;
};

static int
ref_pm_slot(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return 26 + (c - 'A');
	return -1;
}

/* End of the optional group whose body starts at t (just after "%("):
 * returns the position of its "%)", or NULL if unbalanced. */
static const char *
ref_pm_group_end(const char *t, const char *te)
{
	int depth = 0;

	while (t < te) {
		if (t[0] == '%' && t + 1 < te) {
			if (t[1] == '(')
				depth++;
			else if (t[1] == ')' && depth-- == 0)
				return t;
			t += 2;
		} else
			t++;
	}
	return NULL;
}

/* Length of the literal run at t (stops at an escape other than %%). The
 * literal bytes themselves may contain "%%", so callers compare with
 * pm_lit_eq. */
static bool
ref_pm_lit_first(const char *t, const char *te, char *c)
{
	if (t >= te)
		return false;
	if (t[0] != '%') {
		*c = t[0];
		return true;
	}
	if (t + 1 < te && t[1] == '%') {
		*c = '%';
		return true;
	}
	return false;
}

static bool ref_pm_do(struct ref_state *st, const char *t, const char *te, const char *s,
		  const char *se, int depth);

/* Match a capture/skip at t (t points after "%X"), lazily. */
static bool
ref_pm_lazy(struct ref_state *st, int slot, const char *t, const char *te, const char *s,
	const char *se, int depth)
{
	uint64_t saved = st->caps->set;
	const char *p = s;
	char first;
	bool literal_next = ref_pm_lit_first(t, te, &first);

	if (t == te) {		/* capture to the end */
		if (slot >= 0) {
			st->caps->v[slot] = strv_make(s, (size_t)(se - s));
			st->caps->set |= 1ULL << slot;
		}
		return true;
	}
	for (;;) {
		if (literal_next) {
			p = memchr(p, first, (size_t)(se - p));
			if (p == NULL)
				return false;
		}
		if (slot >= 0) {
			st->caps->v[slot] = strv_make(s, (size_t)(p - s));
			st->caps->set |= 1ULL << slot;
		}
		if (ref_pm_do(st, t, te, p, se, depth))
			return true;
		st->caps->set = saved;
		if (p >= se || st->steps > PM_STEP_MAX)
			return false;
		p++;
	}
}

static bool
ref_pm_do(struct ref_state *st, const char *t, const char *te, const char *s, const char *se,
      int depth)
{
	while (t < te) {
		if (++st->steps > PM_STEP_MAX)
			return false;
		if (t[0] != '%' || (t + 1 < te && t[1] == '%')) {
			char c = t[0];

			t += (c == '%') ? 2 : 1;
			if (s >= se || *s != c)
				return false;
			s++;
			continue;
		}
		if (t + 1 >= te)
			return false;	/* dangling '%' in a template: never matches */
		switch (t[1]) {
		case '*':
			return ref_pm_lazy(st, -1, t + 2, te, s, se, depth);
		case '(': {
			const char *ge = ref_pm_group_end(t + 2, te);
			uint64_t saved = st->caps->set;
			char *joined;
			bool ok;

			if (ge == NULL || depth >= PM_DEPTH_MAX)
				return false;
			/* Try the group followed by the rest, then the rest alone.
			 * The group body and the rest are not contiguous in the
			 * template, so match them as one joined template. */
			{
				size_t gl = (size_t)(ge - (t + 2)), rl = (size_t)(te - (ge + 2));
				char tmp[512];

				if (gl + rl > sizeof(tmp))
					return false;
				memcpy(tmp, t + 2, gl);
				memcpy(tmp + gl, ge + 2, rl);
				joined = tmp;
				ok = ref_pm_do(st, joined, joined + gl + rl, s, se, depth + 1);
			}
			if (ok)
				return true;
			st->caps->set = saved;
			t = ge + 2;
			continue;
		}
		default: {
			int slot = ref_pm_slot(t[1]);

			if (slot < 0)
				return false;
			return ref_pm_lazy(st, slot, t + 2, te, s, se, depth);
		}
		}
	}
	return s == se;
}

static bool
ref_pm_match(const char *tpl, struct strv msg, struct pm_caps *caps)
{
	struct ref_state st = { caps, 0 };

	caps->set = 0;
	return ref_pm_do(&st, tpl, tpl + strlen(tpl), msg.p, msg.p + msg.len, 0);
}


/* ---- pm_match against the reference ---- */

static void
fp_same_caps(const char *how, const char *tpl, const char *msg, size_t mlen, bool ra,
	     const struct pm_caps *a, bool rb, const struct pm_caps *b)
{
	if (ra != rb || (ra && a->set != b->set)) {
		print_error("%s: template \"%s\" message \"%.*s\": %d, want %d\n", how, tpl,
			    (int)mlen, msg, ra, rb);
		fail();
	}
	if (!ra)
		return;
	for (int i = 0; i < PM_SLOTS; i++) {
		if (!(a->set & (1ULL << i)))
			continue;
		if (a->v[i].p != b->v[i].p || a->v[i].len != b->v[i].len) {
			print_error("%s: template \"%s\" message \"%.*s\": slot %d differs\n", how,
				    tpl, (int)mlen, msg, i);
			fail();
		}
	}
}

/* pm_match and the compiled template against the reference. */
static void
fp_same_match(const char *tpl, const char *msg, size_t mlen)
{
	struct pm_caps a, b, c;
	struct strv m = strv_make(msg, mlen);
	struct pm_prog *pg = pm_compile(tpl);
	bool ra, rb;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	rb = ref_pm_match(tpl, m, &b);
	ra = pm_match(tpl, m, &a);
	fp_same_caps("pm_match", tpl, msg, mlen, ra, &a, rb, &b);
	assert_non_null(pg);	/* every template of these tests compiles */
	memset(&c, 0, sizeof(c));
	ra = pm_match_prog(pg, m, &c);
	fp_same_caps("pm_match_prog", tpl, msg, mlen, ra, &c, rb, &b);
	pm_prog_free(&pg);
	assert_null(pg);
}

/* A random template: literal runs over a small alphabet, captures,
 * skips, optional groups (sometimes nested or unbalanced), "%%", and now
 * and then a dangling '%' or an unknown escape. */
static size_t
fp_gen_tpl(uint64_t *seed, char *t, size_t max, int depth)
{
	static const char lit[] = "ab :,[]<>=x";
	static const char slots[] = "abxyRi*";
	size_t n = 0, items = 1 + fp_rand(seed) % 6;

	for (size_t k = 0; k < items && n + 16 < max; k++) {
		switch (fp_rand(seed) % 10) {
		case 0: case 1: case 2: case 3: {
			size_t run = 1 + fp_rand(seed) % 4;

			for (size_t i = 0; i < run; i++)
				t[n++] = lit[fp_rand(seed) % (sizeof(lit) - 1)];
			break;
		}
		case 4: case 5: case 6:
			t[n++] = '%';
			t[n++] = slots[fp_rand(seed) % (sizeof(slots) - 1)];
			break;
		case 7:
			if (depth < 3 && n + 40 < max) {
				t[n++] = '%';
				t[n++] = '(';
				n += fp_gen_tpl(seed, t + n, max - n - 4, depth + 1);
				if (fp_rand(seed) % 16 != 0) {
					t[n++] = '%';
					t[n++] = ')';
				}
			}
			break;
		case 8:
			t[n++] = '%';
			t[n++] = '%';
			break;
		default:
			if (fp_rand(seed) % 8 == 0) {
				t[n++] = '%';
				t[n++] = fp_rand(seed) % 2 ? '!' : ')';
			} else
				t[n++] = lit[fp_rand(seed) % (sizeof(lit) - 1)];
		}
	}
	if (depth == 0 && fp_rand(seed) % 50 == 0)
		t[n++] = '%';		/* dangling */
	t[n] = '\0';
	return n;
}

static void
test_pm_random(void **state)
{
	static const char alpha[] = "ab :,[]<>=x%";
	uint64_t seed = 11;
	char tpl[256], msg[256];

	(void)state;
	for (int k = 0; k < 300000; k++) {
		/* long messages too: the budget trips on some */
		size_t mlen = fp_rand(&seed) % (k % 4 == 0 ? sizeof(msg) : 40);

		fp_gen_tpl(&seed, tpl, sizeof(tpl), 0);
		for (size_t i = 0; i < mlen; i++)
			msg[i] = alpha[fp_rand(&seed) % (sizeof(alpha) - 1)];
		fp_same_match(tpl, msg, mlen);
	}
}

/* Lines that run the step budget out, at every length around where it
 * trips: the same rules must fail. */
/* A lazy capture before a literal run, on a message that matches only at
 * its very end: every earlier candidate costs a few steps, so the step
 * count at the match grows with the length, one or two at a time. Near
 * the length where the budget starts to refuse the match, it runs out at
 * every byte of the last run: the same lengths must match. */
static void
fp_edge_msg(char *msg, size_t len, const char *fill, const char *tail)
{
	size_t tl = strlen(tail), fl = strlen(fill);

	for (size_t i = 0; i + tl < len; i++)
		msg[i] = fill[i % fl];
	memcpy(msg + len - tl, tail, tl);
}

static void
test_pm_budget_edge(void **state)
{
	static const struct {
		const char *tpl, *fill, *tail;
	} rows[] = {
		{ "%axy", "x", "xy" },
		{ "%axxy", "x", "xxy" },
		{ "%axxxxxxxxxxy", "x", "xxxxxxxxxxy" },
		{ "%a xyz", "x ", " xyz" },
		{ "%a, z", "a, ", ", z" },
		{ "q%axyz", "xy", "xyz" },
		{ "%*xyzw", "xyz", "xyzw" },
		{ "%a%%y", "%", "%y" },
		{ "%(z%)%axy", "x", "xy" },
	};
	size_t max = 3 * PM_STEP_MAX;
	char *msg = malloc(max);
	struct pm_caps pc;

	(void)state;
	assert_non_null(msg);
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		size_t lo = strlen(rows[r].tail) + 1, hi = max, edge;

		/* q%a...: the message starts with 'q' */
		fp_edge_msg(msg, hi, rows[r].fill, rows[r].tail);
		if (rows[r].tpl[0] == 'q')
			msg[0] = 'q';
		if (ref_pm_match(rows[r].tpl, strv_make(msg, hi), &pc)) {
			print_error("row %zu: matches within the budget at %zu bytes\n", r, hi);
			fail();
		}
		while (lo < hi) {	/* the shortest length the budget refuses */
			size_t mid = lo + (hi - lo) / 2;

			fp_edge_msg(msg, mid, rows[r].fill, rows[r].tail);
			if (rows[r].tpl[0] == 'q')
				msg[0] = 'q';
			if (ref_pm_match(rows[r].tpl, strv_make(msg, mid), &pc))
				lo = mid + 1;
			else
				hi = mid;
		}
		edge = lo;
		for (size_t len = edge - 24; len < edge + 24; len++) {
			fp_edge_msg(msg, len, rows[r].fill, rows[r].tail);
			if (rows[r].tpl[0] == 'q')
				msg[0] = 'q';
			fp_same_match(rows[r].tpl, msg, len);
		}
	}
	free(msg);
}

/* Literal runs of every length up to 40, differing from the message at
 * every position (the compiled form compares them a word at a time), and
 * groups whose joined template is just under, at and over its limit. */
static void
test_pm_literals(void **state)
{
	char tpl[700], msg[700], lit[48];
	uint64_t seed = 41;

	(void)state;
	for (size_t n = 1; n <= 40; n++) {
		for (size_t i = 0; i < n; i++)
			lit[i] = "abcdefgh"[fp_rand(&seed) % 8];
		for (size_t j = 0; j <= n; j++) {	/* j == n: no difference */
			int tl = snprintf(tpl, sizeof(tpl), "%%a%.*s%%b", (int)n, lit);
			size_t ml;

			(void)tl;
			memcpy(msg, "zz", 2);
			memcpy(msg + 2, lit, n);
			if (j < n)
				msg[2 + j] = 'Z';
			memcpy(msg + 2 + n, "yy", 2);
			ml = n + 4;
			fp_same_match(tpl, msg, ml);
			fp_same_match(tpl + 2, msg + 2, ml - 2);	/* the literal first */
			fp_same_match(tpl + 2, msg + 2, n - (j < n ? 1 : 0));	/* cut short */
		}
	}
	for (size_t len = 500; len <= 520; len++) {
		size_t body = 8, rest = len - body, n = 0;

		tpl[n++] = '%';
		tpl[n++] = '(';
		memset(tpl + n, 'a', body);
		n += body;
		tpl[n++] = '%';
		tpl[n++] = ')';
		memset(tpl + n, 'b', rest);
		n += rest;
		tpl[n] = '\0';
		memset(msg, 'a', body);
		memset(msg + body, 'b', rest);
		fp_same_match(tpl, msg, body + rest);
		fp_same_match(tpl, msg + body, rest);
	}
}

static void
test_pm_budget(void **state)
{
	static const char *const tpls[] = {
		"%a %b %c %d %e z",	"%a,%b,%c:%d!",	    "%* %* %* %*x",	"%a%b%c%d%e%f q",
		"%(%a %)%(%b %)%c %d z", "x%a x%b x%c x%d xz", "%a  %b  %c  %dzz", "%a%(,%b%)%(,%c%),%d.",
		"%a ab%b ab%c ab%d abz",
	};
	char msg[4096];
	uint64_t seed = 5;

	(void)state;
	for (size_t t = 0; t < sizeof(tpls) / sizeof(tpls[0]); t++) {
		for (size_t len = 0; len < sizeof(msg); len += 1 + len / 16) {
			for (size_t i = 0; i < len; i++)
				msg[i] = "x ,ab:"[fp_rand(&seed) % 6];
			fp_same_match(tpls[t], msg, len);
			memset(msg, ' ', len);
			fp_same_match(tpls[t], msg, len);
			for (size_t i = 0; i < len; i++)
				msg[i] = i % 2 ? ' ' : 'x';
			fp_same_match(tpls[t], msg, len);
			for (size_t i = 0; i < len; i++)
				msg[i] = i % 3 ? 'a' : 'b';
			fp_same_match(tpls[t], msg, len);
		}
	}
}

/* ---- pm_run against trying every rule ---- */

static enum parse_result
ref_run(const struct pm_rule *rules, size_t n, const struct frame *f, struct strv msg,
	struct parse_out *out)
{
	struct pm_caps caps;
	struct evt *e;

	for (size_t i = 0; i < n; i++) {
		if (!pm_match(rules[i].tpl, msg, &caps))
			continue;
		if (rules[i].type == EVT_NONE)
			return PARSE_NOEVENT;
		if ((e = parse_new_evt(out, f, "test")) == NULL)
			return PARSE_EVENTS;
		e->type = rules[i].type;
		if (pm_apply(&caps, e) < 0) {
			parse_drop_evt(out);
			return PARSE_MALFORMED;
		}
		return PARSE_EVENTS;
	}
	return PARSE_UNMATCHED;
}

static void
test_pm_run_skips(void **state)
{
	static const char alpha[] = "ab :,[]<>=x%";
	static struct parse_out o1, o2;
	struct pm_rule rules[8];
	char tpls[8][128], msg[64];
	struct frame f;
	struct buf b1, b2;
	uint64_t seed = 17;

	(void)state;
	memset(&f, 0, sizeof(f));
	buf_init(&b1, 0);
	buf_init(&b2, 0);
	for (int k = 0; k < 100000; k++) {
		size_t n = 1 + fp_rand(&seed) % 8, mlen = fp_rand(&seed) % 30;

		for (size_t i = 0; i < n; i++) {
			fp_gen_tpl(&seed, tpls[i], sizeof(tpls[i]), 0);
			/* templates that start with a capture and a literal byte */
			if (fp_rand(&seed) % 3 == 0 && strlen(tpls[i]) + 3 < sizeof(tpls[i])) {
				memmove(tpls[i] + 3, tpls[i], strlen(tpls[i]) + 1);
				memcpy(tpls[i], fp_rand(&seed) % 2 ? "%x:" : "%*,", 3);
			}
			rules[i] = (struct pm_rule){ tpls[i], fp_rand(&seed) % 4 ? EVT_REJECT : EVT_NONE,
						     0, NULL };
		}
		for (size_t i = 0; i < mlen; i++)
			msg[i] = alpha[fp_rand(&seed) % (sizeof(alpha) - 1)];
		o1.n = o2.n = 0;
		assert_int_equal(pm_run(rules, n, &f, strv_make(msg, mlen), "test", NULL, &o1),
				 ref_run(rules, n, &f, strv_make(msg, mlen), &o2));
		assert_int_equal(o1.n, o2.n);
		for (int i = 0; i < o1.n; i++) {
			buf_reset(&b1);
			buf_reset(&b2);
			evt_json(&o1.ev[i], &b1);
			evt_json(&o2.ev[i], &b2);
			assert_string_equal(b1.data, b2.data);
		}
	}
	/* an empty message, a NULL view */
	rules[0] = (struct pm_rule){ "%x:%y", EVT_REJECT, 0, NULL };
	rules[1] = (struct pm_rule){ "a", EVT_REJECT, 0, NULL };
	rules[2] = (struct pm_rule){ "%*", EVT_NONE, 0, NULL };
	o1.n = 0;
	assert_int_equal(pm_run(rules, 3, &f, STRV_NULL, "test", NULL, &o1), PARSE_NOEVENT);
	assert_int_equal(pm_run(rules, 2, &f, STRV_NULL, "test", NULL, &o1), PARSE_UNMATCHED);
	buf_release(&b1);
	buf_release(&b2);
}

/* A table as parsers declare them, run compiled (PM_RUN) and walked. */
PM_TABLE(fp_table) = {
	{ "client=%h[%i]%(:%*%), sasl_method=%m, sasl_username=%u, %*", EVT_AUTH_SUCCESS, 0, NULL },
	{ "client=%h[%i]%(:%*%), sasl_method=%m, sasl_username=%u", EVT_AUTH_SUCCESS, 0, NULL },
	{ "client=%*, orig_client=%h[%i]%*", EVT_MSG_CLIENT, 0, NULL },
	{ "client=%h[%i]%*", EVT_MSG_CLIENT, 0, NULL },
	{ "%x: %y from %h[%i]: %R; from=<%s> to=<%r> proto=%*", EVT_REJECT, 0, NULL },
	{ "to=%r, relay=%l, %*dsn=%d, status=%S (%R)", EVT_DELIVERY, 0, NULL },
	{ "from=<%s>, size=%z, nrcpt=%n (queue active)", EVT_MESSAGE_ACCEPTED, 0, NULL },
	{ "%*(auth failed, %A attempts%*): %x", EVT_AUTH_FAILURE, 0, NULL },
	{ "100%% %x", EVT_NONE, 0, NULL },
	{ "%(%(a%)b%)%(c%)d%x", EVT_REJECT, 0, NULL },
	{ "broken %(", EVT_REJECT, 0, NULL },
	{ "%*", EVT_NONE, 0, NULL },
};

static void
test_pm_table(void **state)
{
	static const char *const lines[] = {
		"client=unknown[2001:db8::15c8], sasl_method=PLAIN, sasl_username=u@example.org",
		"client=unknown[192.0.2.1]:4711, sasl_method=LOGIN, sasl_username=a, b, c",
		"client=localhost[127.0.0.1], orig_client=mx.example.net[192.0.2.87]",
		"client=mx.example.com[192.0.2.30]",
		"client=mx.example.com[not an ip]",
		"reject: RCPT from unknown[192.0.2.116]: 554 5.7.1 x; from=<s@example.com> to=<r@example.com> proto=ESMTP helo=<h>",
		"to=<a@example.com>, relay=mx.example.com[192.0.2.34]:25, delay=6.3, delays=0.04/0.01/6/0.19, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
		"to=<a@example.com>, relay=x, dsn=2.0.0, status=weird (250 Ok)",
		"from=<list-admin@example.com>, size=5356, nrcpt=1 (queue active)",
		"from=<>, size=99999999999999999999, nrcpt=1 (queue active)",
		"Disconnected (auth failed, 2 attempts in 3 secs): user=<u>, rip=192.0.2.8",
		"100% sure",
		"abcdx", "bcdx", "dx", "abd", "broken ", "",
	};
	static struct parse_out o1, o2;
	struct frame f;
	struct buf b1, b2;

	(void)state;
	memset(&f, 0, sizeof(f));
	buf_init(&b1, 0);
	buf_init(&b2, 0);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct strv m = strv_cstr(lines[i]);

		for (size_t r = 0; r < sizeof(fp_table) / sizeof(fp_table[0]); r++) {
			struct pm_caps a, b;
			bool ra, rb;

			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			ra = PM_MATCH(fp_table, r, m, &a);
			rb = ref_pm_match(fp_table[r].tpl, m, &b);
			fp_same_caps("PM_MATCH", fp_table[r].tpl, m.p, m.len, ra, &a, rb, &b);
		}
		for (int twice = 0; twice < 2; twice++) {	/* compiled at the first */
			o1.n = o2.n = 0;
			assert_int_equal(PM_RUN(fp_table, &f, m, "test", "smtp", &o1),
					 pm_run(fp_table, sizeof(fp_table) / sizeof(fp_table[0]), &f, m,
						"test", "smtp", &o2));
			assert_int_equal(o1.n, o2.n);
			for (int k = 0; k < o1.n; k++) {
				buf_reset(&b1);
				buf_reset(&b2);
				evt_json(&o1.ev[k], &b1);
				evt_json(&o2.ev[k], &b2);
				assert_string_equal(b1.data, b2.data);
			}
		}
	}
	buf_release(&b1);
	buf_release(&b2);
}

/* ---- strv_last_word, evt_set, utf8_valid ---- */

static long
ref_last_word(struct strv s, const char *key)
{
	size_t kl = strlen(key), i;

	if (s.len < kl)
		return -1;
	for (i = s.len - kl + 1; i-- > 0;)
		if (memcmp(s.p + i, key, kl) == 0 && (i == 0 || s.p[i - 1] == ' '))
			return (long)i;
	return -1;
}

static void
test_last_word(void **state)
{
	static const char *const keys[] = { "rip=", "method=", "r", " ", "", "rip=rip=", "=" };
	static const char alpha[] = "rip= mthod,x";
	uint64_t seed = 23;
	char s[80];

	(void)state;
	for (int k = 0; k < 200000; k++) {
		size_t len = fp_rand(&seed) % sizeof(s);
		const char *key = keys[fp_rand(&seed) % (sizeof(keys) / sizeof(keys[0]))];

		for (size_t i = 0; i < len; i++)
			s[i] = alpha[fp_rand(&seed) % (sizeof(alpha) - 1)];
		assert_int_equal(strv_last_word(strv_make(s, len), key),
				 ref_last_word(strv_make(s, len), key));
	}
	assert_int_equal(strv_last_word(STRV_LIT("user=<rip=1>, rip=192.0.2.1, lip=x"), "rip="), 14);
	assert_int_equal(strv_last_word(STRV_LIT("rip=192.0.2.1"), "rip="), 0);
	assert_int_equal(strv_last_word(STRV_LIT("xrip=192.0.2.1"), "rip="), -1);
	assert_int_equal(strv_last_word(STRV_LIT("rip"), "rip="), -1);
}

static void
test_evt_set_ctl(void **state)
{
	char s[40], dst[LIMIT_ACCOUNT_MAX];
	uint64_t seed = 29;

	(void)state;
	for (size_t len = 0; len < sizeof(s); len++) {
		for (size_t pos = 0; pos <= len; pos++) {
			static const unsigned char bad[] = { 0x00, 0x01, 0x0a, 0x1f, 0x7f };
			static const unsigned char good[] = { 0x20, 0x7e, 0x80, 0xff, 0xc3, 0x9f };

			memset(s, 'a', sizeof(s));
			assert_int_equal(evt_set(dst, sizeof(dst), strv_make(s, len)), 0);
			assert_int_equal(strlen(dst), len);
			if (pos == len)
				continue;
			for (size_t b = 0; b < sizeof(bad); b++) {
				s[pos] = (char)bad[b];
				assert_int_equal(evt_set(dst, sizeof(dst), strv_make(s, len)), -1);
				assert_int_equal(dst[0], '\0');
			}
			for (size_t g = 0; g < sizeof(good); g++) {
				s[pos] = (char)good[g];
				assert_int_equal(evt_set(dst, sizeof(dst), strv_make(s, len)), 0);
				assert_memory_equal(dst, s, len);
			}
		}
	}
	/* random bytes against the byte loop */
	for (int k = 0; k < 100000; k++) {
		size_t len = fp_rand(&seed) % sizeof(s);
		bool want = true;

		for (size_t i = 0; i < len; i++) {
			s[i] = (char)(fp_rand(&seed) % 4 ? 0x20 + fp_rand(&seed) % 0x60
						     : fp_rand(&seed) & 0xff);
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				want = false;
		}
		assert_int_equal(evt_set(dst, sizeof(dst), strv_make(s, len)), want ? 0 : -1);
	}
	/* too long: refused before any byte is looked at */
	memset(s, 'a', sizeof(s));
	assert_int_equal(evt_set(dst, 8, strv_make(s, 8)), -1);
	assert_int_equal(evt_set(dst, 8, strv_make(s, 7)), 0);
}

static bool
ref_utf8_valid(const char *p, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_valid_len(p + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

static void
test_utf8_stride(void **state)
{
	static const char *const seqs[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x8d", "\xff",
					    "\xc3", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\x80" };
	char s[100];
	uint64_t seed = 31;

	(void)state;
	for (size_t len = 0; len < sizeof(s); len++) {
		for (size_t pos = 0; pos < len; pos++) {
			for (size_t k = 0; k < sizeof(seqs) / sizeof(seqs[0]); k++) {
				size_t sl = strlen(seqs[k]);

				if (pos + sl > len)
					continue;
				memset(s, 'a', sizeof(s));
				memcpy(s + pos, seqs[k], sl);
				assert_int_equal(utf8_valid(s, len), ref_utf8_valid(s, len));
			}
		}
	}
	for (int k = 0; k < 100000; k++) {
		size_t len = fp_rand(&seed) % sizeof(s);

		for (size_t i = 0; i < len; i++)
			s[i] = (char)(fp_rand(&seed) % 16 ? 'a' : 0x80 + fp_rand(&seed) % 0x80);
		assert_int_equal(utf8_valid(s, len), ref_utf8_valid(s, len));
	}
}

/* utf8_check_line against memchr + utf8_valid, at every length around the
 * 8- and 16-byte strides, with a NUL or a non-ASCII byte anywhere. */
static void
test_utf8_check_line(void **state)
{
	static const char *const ins[] = { "\xc3\xa9", "\xff", "\xe2\x82", "\x80", "", "\x7f" };
	char s[80];
	uint64_t seed = 47;

	(void)state;
	for (size_t len = 0; len < sizeof(s); len++) {
		for (size_t pos = 0; pos < len; pos++) {
			for (size_t k = 0; k < sizeof(ins) / sizeof(ins[0]); k++) {
				size_t sl = strlen(ins[k]) ? strlen(ins[k]) : 1;	/* "": a NUL */
				enum utf8_line want;

				if (pos + sl > len)
					continue;
				memset(s, 'a', sizeof(s));
				memcpy(s + pos, ins[k], sl);
				if (k == 1 && pos + 2 < len)
					s[pos + 2] = '\0';	/* a NUL after a bad byte: NUL wins */
				want = memchr(s, '\0', len) != NULL ? UTF8_LINE_NUL
				       : utf8_valid(s, len)	      ? UTF8_LINE_OK
									      : UTF8_LINE_BAD;
				assert_int_equal(utf8_check_line(s, len), want);
			}
		}
	}
	for (int k = 0; k < 100000; k++) {
		size_t len = fp_rand(&seed) % sizeof(s);
		enum utf8_line want;

		for (size_t i = 0; i < len; i++)
			s[i] = (char)(fp_rand(&seed) % 20 ? 'a' + fp_rand(&seed) % 26 : fp_rand(&seed) & 0xff);
		want = memchr(s, '\0', len) != NULL ? UTF8_LINE_NUL
		       : utf8_valid(s, len)	      ? UTF8_LINE_OK
							      : UTF8_LINE_BAD;
		assert_int_equal(utf8_check_line(s, len), want);
	}
}

/* htab_new_words behaves as htab_new but for the slot order. */
static void
test_htab_words(void **state)
{
	struct htab *a = htab_new(), *b = htab_new_words();
	uint64_t seed = 53;
	char key[40];

	(void)state;
	for (int k = 0; k < 200000; k++) {
		size_t kl = fp_rand(&seed) % 30;
		int op = (int)(fp_rand(&seed) % 3);
		bool ca, cb;

		for (size_t i = 0; i < kl; i++)
			key[i] = (char)('a' + fp_rand(&seed) % 3);
		if (op == 0) {
			void **sa = htab_put(a, key, kl, &ca), **sb = htab_put(b, key, kl, &cb);

			assert_int_equal(ca, cb);
			*sa = *sb = (void *)(uintptr_t)(k + 1);
		} else if (op == 1) {
			assert_ptr_equal(htab_get(a, key, kl), htab_get(b, key, kl));
		} else {
			assert_ptr_equal(htab_del(a, key, kl), htab_del(b, key, kl));
		}
		assert_int_equal(htab_count(a), htab_count(b));
	}
	{
		size_t pos = 0, n = 0, kl;
		const char *k;
		void *v;

		while (htab_next(b, &pos, &k, &kl, &v)) {
			assert_ptr_equal(htab_get(a, k, kl), v);
			n++;
		}
		assert_int_equal(n, htab_count(a));
	}
	htab_free(&a, NULL);
	htab_free(&b, NULL);
}

/* ---- the frame date cache ---- */

/* Lines of random dates and times (ISO and RFC 3164, --year given) framed
 * through one context give the times a fresh context gives. */
static void
test_frame_date_cache(void **state)
{
	struct frame_ctx shared, fresh;
	struct frame a, b;
	uint64_t seed = 37;
	char line[128];

	(void)state;
	frame_ctx_init(&shared, "t", 2024, 0);
	shared.quiet = true;
	for (int k = 0; k < 20000; k++) {
		static const char *const mon = "JanFebMarAprMayJunJulAugSepOctNovDec";
		unsigned m = 1 + fp_rand(&seed) % 12, d = 1 + fp_rand(&seed) % 28;
		unsigned h = fp_rand(&seed) % 24, mi = fp_rand(&seed) % 60, s = fp_rand(&seed) % 60;
		int y = 1999 + (int)(fp_rand(&seed) % 3);
		int n;

		if (k % 2)
			n = snprintf(line, sizeof(line), "%.3s %2u %02u:%02u:%02u mx1 postfix/smtpd[1]: x",
				     mon + 3 * (m - 1), d, h, mi, s);
		else
			n = snprintf(line, sizeof(line),
				     "%04d-%02u-%02uT%02u:%02u:%02u+00:00 mx1 postfix/smtpd[1]: x", y, m, d,
				     h, mi, s);
		frame_ctx_init(&fresh, "t", shared.year ? shared.year : 2024, 0);
		fresh.quiet = true;
		fresh.year = shared.year;
		fresh.last_month = shared.last_month;
		assert_int_equal(frame_line(&shared, line, (size_t)n, &a), 0);
		assert_int_equal(frame_line(&fresh, line, (size_t)n, &b), 0);
		assert_true(a.time == b.time);
	}
}

/* The repeated-header cache of RFC 3164 lines is invisible: a context
 * whose cache is wiped before every line frames a random sequence (repeated
 * seconds, fractions, padded days, month and year changes, Feb 29, lines
 * whose tag does not parse, year anchors) the same way. */
static void
test_frame_hdr_cache(void **state)
{
	static const char *const tails[] = {
		"mx1 postfix/smtpd[1]: connect from x", "mx1 dovecot: imap-login: Login: user=<u>",
		"mx1 last message repeated 3 times", "mx1", "mx1 ", "prog: no host", "x y: z",
	};
	static const char *const fracs[] = { "", "", "", ".5", ".123456", ".123456789",
					     ".1234567891", "." };
	struct frame_ctx a, b;
	struct frame fa, fb;
	uint64_t seed = 43;
	char line[160], prev[160] = "";
	int plen = 0;

	(void)state;
	for (int run = 0; run < 40; run++) {
		frame_ctx_init(&a, "t", run % 2 ? 2023 : 0, 1700000000 + run * 86400 * 40);
		frame_ctx_init(&b, "t", run % 2 ? 2023 : 0, 1700000000 + run * 86400 * 40);
		a.quiet = b.quiet = true;
		for (int k = 0; k < 3000; k++) {
			static const char *const mon = "JanFebMarAprMayJunJulAugSepOctNovDec";
			int n, ra, rb;

			if (k > 0 && fp_rand(&seed) % 4 != 0) {
				/* the previous header again, another tail */
				const char *sp = strchr(prev + 7, ' ');
				int hl = (int)(sp - prev) + 1;

				n = snprintf(line, sizeof(line), "%.*s%s", hl, prev,
					     tails[fp_rand(&seed) % (sizeof(tails) / sizeof(tails[0]))]);
			} else {
				unsigned m = 1 + fp_rand(&seed) % 12, d = 1 + fp_rand(&seed) % 31;

				if (fp_rand(&seed) % 3)	/* mostly forward in time */
					m = 1 + (unsigned)(k / 300 + run) % 12;
				n = snprintf(line, sizeof(line), "%.3s %*u %02u:%02u:%02u%s %s",
					     mon + 3 * (m - 1), fp_rand(&seed) % 2 ? 2 : 1, d,
					     (unsigned)(fp_rand(&seed) % 24), (unsigned)(fp_rand(&seed) % 60),
					     (unsigned)(fp_rand(&seed) % 61),
					     fracs[fp_rand(&seed) % (sizeof(fracs) / sizeof(fracs[0]))],
					     tails[fp_rand(&seed) % (sizeof(tails) / sizeof(tails[0]))]);
			}
			b.hdr_len = 0;
			memset(&fa, 0x5a, sizeof(fa));
			memset(&fb, 0x5a, sizeof(fb));
			ra = frame_line(&a, line, (size_t)n, &fa);
			rb = frame_line(&b, line, (size_t)n, &fb);
			assert_int_equal(ra, rb);
			assert_int_equal(a.year, b.year);
			assert_int_equal(a.last_month, b.last_month);
			if (ra == 0) {
				assert_true(fa.time == fb.time);
				assert_int_equal(fa.usec, fb.usec);
				assert_int_equal(fa.kind, fb.kind);
				assert_true(strv_eq(fa.host, fb.host) && fa.host.p == fb.host.p);
				assert_true(strv_eq(fa.prog, fb.prog) && fa.prog.p == fb.prog.p);
				assert_true(strv_eq(fa.msg, fb.msg) && fa.msg.p == fb.msg.p);
				assert_int_equal(fa.pid, fb.pid);
				memcpy(prev, line, (size_t)n + 1);
				plen = n;
				if (fp_rand(&seed) % 50 == 0) {	/* a message's own time moves the year */
					int64_t t = fa.time + (int64_t)(fp_rand(&seed) % 3 + 1) * 366 * 86400;

					assert_int_equal(frame_ctx_anchor(&a, &fa, t),
							 frame_ctx_anchor(&b, &fb, t));
					assert_int_equal(a.year, b.year);
				}
			} else if (plen == 0) {
				memcpy(prev, "Jan  1 00:00:00 ", 17);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pm_random),	 cmocka_unit_test(test_pm_budget),
		cmocka_unit_test(test_pm_budget_edge),	 cmocka_unit_test(test_pm_literals),
		cmocka_unit_test(test_pm_run_skips),	 cmocka_unit_test(test_pm_table),
		cmocka_unit_test(test_last_word),
		cmocka_unit_test(test_evt_set_ctl),	 cmocka_unit_test(test_utf8_stride),
		cmocka_unit_test(test_utf8_check_line),	 cmocka_unit_test(test_htab_words),
		cmocka_unit_test(test_frame_date_cache), cmocka_unit_test(test_frame_hdr_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
