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
