/* pmatch.c - template matcher for log messages
 *
 * A small backtracking matcher instead of regex(3): templates read like the
 * log lines they match, captures land in named slots that map onto event
 * fields, and the step budget bounds the work on hostile input. Literal
 * prefixes fail at the first differing byte, so trying a parser's dozens of
 * rules on a line costs little more than a handful of memcmp calls.
 */
#include "parse/pmatch.h"

#include <string.h>

#include "util/mem.h"
#include "util/scan.h"

struct pm_state {
	struct pm_caps *caps;
	unsigned steps;
};

static int
pm_slot(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return 26 + (c - 'A');
	return -1;
}

/* Templates are C strings: their NUL is the end, so matching a rule costs
 * no strlen. Each template byte costs one step (an escape one step), as
 * when the matcher walked them one at a time; literal runs are compared in
 * one tight loop and charged in one go, with the budget tripping exactly
 * where the byte-at-a-time walk would have tripped, so a hostile line
 * fails the same rules as before. */

/* End of the optional group whose body starts at t (just after "%("):
 * returns the position of its "%)", or NULL if unbalanced. */
static const char *
pm_group_end(const char *t)
{
	int depth = 0;

	while (*t != '\0') {
		if (t[0] == '%' && t[1] != '\0') {
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

/* Compare the run of plain literal bytes at t (up to a '%' or the end)
 * with s..se, as the byte walk did: on a mismatch after m equal bytes the
 * walk spent m + 1 steps (or ran out of budget first); on a full match, k
 * steps for the k bytes. Returns true with *kp = k when the whole run
 * matches within the budget. */
static bool
pm_lit(struct pm_state *st, const char *t, const char *s, const char *se, size_t *kp)
{
	size_t avail = (size_t)(se - s), m = 0;

	while (t[m] != '\0' && t[m] != '%') {
		if (m >= avail || s[m] != t[m]) {
			st->steps = st->steps + m + 1 > PM_STEP_MAX ? PM_STEP_MAX + 1
								     : st->steps + (unsigned)m + 1;
			return false;
		}
		m++;
	}
	if (st->steps + m > PM_STEP_MAX) {
		st->steps = PM_STEP_MAX + 1;
		return false;
	}
	st->steps += (unsigned)m;
	*kp = m;
	return true;
}

static bool pm_do(struct pm_state *st, const char *t, const char *s, const char *se, int depth);

/* Match a capture/skip at t (t points after "%X"), lazily. */
static bool
pm_lazy(struct pm_state *st, int slot, const char *t, const char *s, const char *se, int depth)
{
	uint64_t saved = st->caps->set;
	const char *p = s;
	size_t k;

	if (*t == '\0') {	/* capture to the end */
		if (slot >= 0) {
			st->caps->v[slot] = strv_make(s, (size_t)(se - s));
			st->caps->set |= 1ULL << slot;
		}
		return true;
	}
	if (t[0] != '%') {
		/* A literal follows: only positions where its first byte
		 * occurs can match; each is tried right here (the run
		 * compared and charged as pm_do would), and only a full
		 * match of the run goes on to the rest of the template. */
		for (;;) {
			p = memchr(p, t[0], (size_t)(se - p));
			if (p == NULL)
				return false;
			if (slot >= 0) {
				st->caps->v[slot] = strv_make(s, (size_t)(p - s));
				st->caps->set |= 1ULL << slot;
			}
			if (pm_lit(st, t, p, se, &k) && pm_do(st, t + k, p + k, se, depth))
				return true;
			st->caps->set = saved;
			if (p >= se || st->steps > PM_STEP_MAX)
				return false;
			p++;
		}
	}
	for (;;) {
		if (t[0] == '%' && t[1] == '%') {	/* a literal '%' follows */
			p = memchr(p, '%', (size_t)(se - p));
			if (p == NULL)
				return false;
		}
		if (slot >= 0) {
			st->caps->v[slot] = strv_make(s, (size_t)(p - s));
			st->caps->set |= 1ULL << slot;
		}
		if (pm_do(st, t, p, se, depth))
			return true;
		st->caps->set = saved;
		if (p >= se || st->steps > PM_STEP_MAX)
			return false;
		p++;
	}
}

static bool
pm_do(struct pm_state *st, const char *t, const char *s, const char *se, int depth)
{
	while (*t != '\0') {
		if (t[0] != '%') {
			size_t k;

			if (!pm_lit(st, t, s, se, &k))
				return false;
			t += k;
			s += k;
			continue;
		}
		if (++st->steps > PM_STEP_MAX)
			return false;
		if (t[1] == '%') {
			t += 2;
			if (s >= se || *s != '%')
				return false;
			s++;
			continue;
		}
		if (t[1] == '\0')
			return false;	/* dangling '%' in a template: never matches */
		switch (t[1]) {
		case '*':
			return pm_lazy(st, -1, t + 2, s, se, depth);
		case '(': {
			const char *ge = pm_group_end(t + 2);
			uint64_t saved = st->caps->set;
			bool ok;

			if (ge == NULL || depth >= PM_DEPTH_MAX)
				return false;
			/* Try the group followed by the rest, then the rest alone.
			 * The group body and the rest are not contiguous in the
			 * template, so match them as one joined template. */
			{
				size_t gl = (size_t)(ge - (t + 2)), rl = strlen(ge + 2);
				char tmp[512 + 1];

				if (gl + rl > sizeof(tmp) - 1)
					return false;
				memcpy(tmp, t + 2, gl);
				memcpy(tmp + gl, ge + 2, rl);
				tmp[gl + rl] = '\0';
				ok = pm_do(st, tmp, s, se, depth + 1);
			}
			if (ok)
				return true;
			st->caps->set = saved;
			t = ge + 2;
			continue;
		}
		default: {
			int slot = pm_slot(t[1]);

			if (slot < 0)
				return false;
			return pm_lazy(st, slot, t + 2, s, se, depth);
		}
		}
	}
	return s == se;
}

bool
pm_match(const char *tpl, struct strv msg, struct pm_caps *caps)
{
	struct pm_state st = { caps, 0 };

	caps->set = 0;
	return pm_do(&st, tpl, msg.p, msg.p + msg.len, 0);
}

/* ---- compiled templates ----------------------------------------------
 * The rules of a parser's table are compiled once, at their first use, into
 * a list of operations: literal runs with their length (compared a word at a
 * time), captures, optional groups whose body and rest are joined in
 * advance, and failures. Running one gives the very result pm_match gives:
 * every literal byte and every escape costs the same step as in the walk
 * above, and the budget trips at the same place. */

enum pc_kind {
	PC_END,		/* template end: match if the message ends too */
	PC_LIT,		/* len literal bytes at lits + arg */
	PC_CAP,		/* %X or %* (slot -1), lazily, followed by the rest */
	PC_GROUP,	/* %(..%): the joined sequence at ops + arg, else the rest */
	PC_FAIL,	/* a broken escape: one step, then no match */
};

struct pc_op {
	uint8_t kind;
	int8_t slot;
	uint16_t len;
	uint32_t arg;
};

struct pm_prog {
	struct pc_op *ops;
	char *lits;
	size_t nops, capops, nlits, caplits;
};

/* Compiled programs bigger than this are not kept: the walk serves them. */
#define PC_OPS_MAX 4096
#define PC_LITS_MAX 65536

static bool
pc_emit(struct pm_prog *pg, enum pc_kind k, int slot, size_t len, size_t arg)
{
	if (pg->nops >= PC_OPS_MAX)
		return false;
	if (pg->nops == pg->capops) {
		pg->capops = pg->capops ? pg->capops * 2 : 16;
		pg->ops = mem_reallocarray(pg->ops, pg->capops, sizeof(*pg->ops));
	}
	pg->ops[pg->nops++] = (struct pc_op){ (uint8_t)k, (int8_t)slot, (uint16_t)len, (uint32_t)arg };
	return true;
}

static bool
pc_lit_byte(struct pm_prog *pg, bool *open, char c)
{
	struct pc_op *last;

	if (pg->nlits + 8 >= PC_LITS_MAX)
		return false;
	if (pg->nlits + 9 > pg->caplits) {
		pg->caplits = pg->caplits ? pg->caplits * 2 : 64;
		pg->lits = mem_realloc(pg->lits, pg->caplits);
	}
	if (!*open) {
		if (!pc_emit(pg, PC_LIT, -1, 0, pg->nlits))
			return false;
		*open = true;
	}
	last = &pg->ops[pg->nops - 1];
	if (last->len == UINT16_MAX)
		return false;
	pg->lits[pg->nlits++] = c;
	last->len++;
	return true;
}

/* Compile the template t..te (as pm_do would walk it at this group depth)
 * into a sequence ending in PC_END or PC_FAIL; *start gets its first op. */
static bool
pc_seq(struct pm_prog *pg, const char *t, const char *te, int depth, size_t *start)
{
	struct {
		size_t op;
		char *joined;
		size_t len;
	} grp[PC_OPS_MAX / 64];
	size_t ngrp = 0, i;
	bool open = false, ok = true;

	*start = pg->nops;
	while (t < te && ok) {
		if (t[0] != '%' || (t + 1 < te && t[1] == '%')) {
			ok = pc_lit_byte(pg, &open, t[0]);
			t += t[0] == '%' ? 2 : 1;
			continue;
		}
		open = false;
		if (t + 1 >= te) {	/* dangling '%' */
			ok = pc_emit(pg, PC_FAIL, -1, 0, 0);
			goto done;
		}
		if (t[1] == '*' || pm_slot(t[1]) >= 0) {
			ok = pc_emit(pg, PC_CAP, t[1] == '*' ? -1 : pm_slot(t[1]), 0, 0);
			t += 2;
			continue;
		}
		if (t[1] == '(') {
			const char *ge = NULL, *g = t + 2;
			int d = 0;

			while (g < te && ge == NULL) {	/* pm_group_end on t..te */
				if (g[0] == '%' && g + 1 < te) {
					if (g[1] == '(')
						d++;
					else if (g[1] == ')' && d-- == 0)
						ge = g;
					g += 2;
				} else
					g++;
			}
			if (ge == NULL || depth >= PM_DEPTH_MAX ||
			    (size_t)(ge - (t + 2)) + (size_t)(te - (ge + 2)) > 512 ||
			    ngrp == sizeof(grp) / sizeof(grp[0])) {
				ok = ngrp < sizeof(grp) / sizeof(grp[0]) && pc_emit(pg, PC_FAIL, -1, 0, 0);
				goto done;
			}
			grp[ngrp].len = (size_t)(ge - (t + 2)) + (size_t)(te - (ge + 2));
			grp[ngrp].joined = mem_alloc(grp[ngrp].len + 1);
			memcpy(grp[ngrp].joined, t + 2, (size_t)(ge - (t + 2)));
			memcpy(grp[ngrp].joined + (ge - (t + 2)), ge + 2, (size_t)(te - (ge + 2)));
			grp[ngrp].op = pg->nops;
			ngrp++;
			ok = pc_emit(pg, PC_GROUP, -1, 0, 0);
			t = ge + 2;
			continue;
		}
		ok = pc_emit(pg, PC_FAIL, -1, 0, 0);	/* "%)" or an unknown escape */
		goto done;
	}
	if (ok)
		ok = pc_emit(pg, PC_END, -1, 0, 0);
done:
	for (i = 0; i < ngrp; i++) {
		size_t js;

		if (ok && pc_seq(pg, grp[i].joined, grp[i].joined + grp[i].len, depth + 1, &js))
			pg->ops[grp[i].op].arg = (uint32_t)js;
		else
			ok = false;
		mem_free(grp[i].joined);
	}
	return ok;
}

struct pm_prog *
pm_compile(const char *tpl)
{
	struct pm_prog *pg = mem_calloc(1, sizeof(*pg));
	size_t start;

	if (!pc_seq(pg, tpl, tpl + strlen(tpl), 0, &start)) {
		pm_prog_free(&pg);
		return NULL;
	}
	/* Room to read 8 bytes from any literal. */
	pg->lits = mem_realloc(pg->lits, pg->nlits + 8);
	memset(pg->lits + pg->nlits, 0, 8);
	return pg;
}

void
pm_prog_free(struct pm_prog **pp)
{
	if (*pp == NULL)
		return;
	mem_free((*pp)->ops);
	mem_free((*pp)->lits);
	mem_free(*pp);
	*pp = NULL;
}

/* a[0..n) == b[0..n), n >= 1, both readable for n bytes: words, the last
 * one overlapping, instead of a memcmp call for a run of a dozen bytes. */
static inline bool
pc_eq(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	uint32_t u, v;
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		if (u != v)
			return false;
		memcpy(&u, a + n - 4, 4);
		memcpy(&v, b + n - 4, 4);
		return u == v;
	}
	return a[0] == b[0] && (n < 2 || a[1] == b[1]) && (n < 3 || a[2] == b[2]);
}

/* A literal run of k bytes at s, charged as the walk charges it. */
static inline bool
pc_lit(struct pm_state *st, const char *lit, size_t k, const char *s, const char *se)
{
	size_t avail = (size_t)(se - s), lim, m;

	if (avail >= k && pc_eq(s, lit, k)) {
		if (st->steps + k > PM_STEP_MAX) {
			st->steps = PM_STEP_MAX + 1;
			return false;
		}
		st->steps += (unsigned)k;
		return true;
	}
	lim = k < avail ? k : avail;
	for (m = 0; m < lim && s[m] == lit[m]; m++)
		;
	st->steps = st->steps + m + 1 > PM_STEP_MAX ? PM_STEP_MAX + 1 : st->steps + (unsigned)m + 1;
	return false;
}

static bool pc_do(struct pm_state *st, const struct pm_prog *pg, const struct pc_op *op,
		  const char *s, const char *se);

static bool
pc_lazy(struct pm_state *st, const struct pm_prog *pg, int slot, const struct pc_op *next,
	const char *s, const char *se)
{
	uint64_t saved = st->caps->set;
	const char *p = s;

	if (next->kind == PC_END) {	/* capture to the end */
		if (slot >= 0) {
			st->caps->v[slot] = strv_make(s, (size_t)(se - s));
			st->caps->set |= 1ULL << slot;
		}
		return true;
	}
	if (next->kind == PC_LIT) {
		const char *lit = pg->lits + next->arg;
		size_t k = next->len;

		for (;;) {
			p = memchr(p, lit[0], (size_t)(se - p));
			if (p == NULL)
				return false;
			if (slot >= 0) {
				st->caps->v[slot] = strv_make(s, (size_t)(p - s));
				st->caps->set |= 1ULL << slot;
			}
			if (pc_lit(st, lit, k, p, se) && pc_do(st, pg, next + 1, p + k, se))
				return true;
			st->caps->set = saved;
			if (p >= se || st->steps > PM_STEP_MAX)
				return false;
			p++;
		}
	}
	for (;;) {
		if (slot >= 0) {
			st->caps->v[slot] = strv_make(s, (size_t)(p - s));
			st->caps->set |= 1ULL << slot;
		}
		if (pc_do(st, pg, next, p, se))
			return true;
		st->caps->set = saved;
		if (p >= se || st->steps > PM_STEP_MAX)
			return false;
		p++;
	}
}

static bool
pc_do(struct pm_state *st, const struct pm_prog *pg, const struct pc_op *op, const char *s,
      const char *se)
{
	for (;; op++) {
		switch (op->kind) {
		case PC_LIT:
			if (!pc_lit(st, pg->lits + op->arg, op->len, s, se))
				return false;
			s += op->len;
			break;
		case PC_CAP:
			if (++st->steps > PM_STEP_MAX)
				return false;
			return pc_lazy(st, pg, op->slot, op + 1, s, se);
		case PC_GROUP: {
			uint64_t saved = st->caps->set;

			if (++st->steps > PM_STEP_MAX)
				return false;
			if (pc_do(st, pg, pg->ops + op->arg, s, se))
				return true;
			st->caps->set = saved;
			break;
		}
		case PC_FAIL:
			st->steps++;
			return false;
		default:	/* PC_END */
			return s == se;
		}
	}
}

bool
pm_match_prog(const struct pm_prog *pg, struct strv msg, struct pm_caps *caps)
{
	struct pm_state st = { caps, 0 };

	caps->set = 0;
	return pc_do(&st, pg, pg->ops, msg.p, msg.p + msg.len);
}

struct strv
pm_get(const struct pm_caps *caps, char c, bool *found)
{
	int slot = pm_slot(c);
	bool ok = slot >= 0 && (caps->set & (1ULL << slot));

	if (found != NULL)
		*found = ok;
	return ok ? caps->v[slot] : STRV_NULL;
}

bool
pm_has(const struct pm_caps *caps, char c)
{
	bool found;

	pm_get(caps, c, &found);
	return found;
}

/* Envelope addresses appear as "<a@b>" or "a@b". */
static struct strv
pm_unbracket(struct strv v)
{
	if (v.len >= 2 && v.p[0] == '<' && v.p[v.len - 1] == '>')
		return strv_make(v.p + 1, v.len - 2);
	return v;
}

int
pm_apply(const struct pm_caps *caps, struct evt *e)
{
	struct strv v;
	bool f;
	uint64_t n;

	v = pm_get(caps, 'u', &f);
	if (f && EVT_SET(e, account, pm_unbracket(v)) < 0)
		return -1;
	v = pm_get(caps, 'i', &f);
	if (f && evt_set_ip(e, v) < 0)
		return -1;
	v = pm_get(caps, 'q', &f);
	if (f && EVT_SET(e, qid, v) < 0)
		return -1;
	v = pm_get(caps, 'm', &f);
	if (f && EVT_SET(e, mech, v) < 0)
		return -1;
	v = pm_get(caps, 's', &f);
	if (f) {
		if (EVT_SET(e, sender, pm_unbracket(v)) < 0)
			return -1;
		e->flags |= EVT_HAS_SENDER;
	}
	v = pm_get(caps, 'r', &f);
	if (f && EVT_SET(e, recipient, pm_unbracket(v)) < 0)
		return -1;
	v = pm_get(caps, 'R', &f);
	if (f)
		EVT_SET_TEXT(e, reason, v);
	v = pm_get(caps, 'd', &f);
	if (f && EVT_SET(e, dsn, v) < 0)
		return -1;
	v = pm_get(caps, 'S', &f);
	if (f && (e->status = evt_status_parse(v)) == EVT_STATUS_NONE)
		return -1;
	v = pm_get(caps, 'n', &f);
	if (f) {
		if (scan_u64(v.p, v.len, &n) < 0 || n > UINT32_MAX)
			return -1;
		e->nrcpt = (uint32_t)n;
		e->flags |= EVT_HAS_NRCPT;
	}
	v = pm_get(caps, 'z', &f);
	if (f) {
		if (scan_u64(v.p, v.len, &e->size) < 0)
			return -1;
		e->flags |= EVT_HAS_SIZE;
	}
	v = pm_get(caps, 'l', &f);
	if (f)
		EVT_SET_TEXT(e, relay, v);
	v = pm_get(caps, 'v', &f);
	if (f && EVT_SET(e, service, v) < 0)
		return -1;
	v = pm_get(caps, 'D', &f);
	if (f && EVT_SET(e, dlv, v) < 0)
		return -1;
	v = pm_get(caps, 'N', &f);
	if (f && EVT_SET(e, ndr_qid, v) < 0)
		return -1;
	v = pm_get(caps, 'A', &f);
	if (f) {
		if (scan_u64(v.p, v.len, &n) < 0 || n > UINT32_MAX)
			return -1;
		e->attempts = (uint32_t)n;
		e->flags |= EVT_HAS_ATTEMPTS;
	}
	return 0;
}
