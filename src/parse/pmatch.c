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

/* End of the optional group whose body starts at t (just after "%("):
 * returns the position of its "%)", or NULL if unbalanced. */
static const char *
pm_group_end(const char *t, const char *te)
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
pm_lit_first(const char *t, const char *te, char *c)
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

static bool pm_do(struct pm_state *st, const char *t, const char *te, const char *s,
		  const char *se, int depth);

/* Match a capture/skip at t (t points after "%X"), lazily. */
static bool
pm_lazy(struct pm_state *st, int slot, const char *t, const char *te, const char *s,
	const char *se, int depth)
{
	uint64_t saved = st->caps->set;
	const char *p = s;
	char first;
	bool literal_next = pm_lit_first(t, te, &first);

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
		if (pm_do(st, t, te, p, se, depth))
			return true;
		st->caps->set = saved;
		if (p >= se || st->steps > PM_STEP_MAX)
			return false;
		p++;
	}
}

static bool
pm_do(struct pm_state *st, const char *t, const char *te, const char *s, const char *se,
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
			return pm_lazy(st, -1, t + 2, te, s, se, depth);
		case '(': {
			const char *ge = pm_group_end(t + 2, te);
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
				ok = pm_do(st, joined, joined + gl + rl, s, se, depth + 1);
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
			return pm_lazy(st, slot, t + 2, te, s, se, depth);
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
	return pm_do(&st, tpl, tpl + strlen(tpl), msg.p, msg.p + msg.len, 0);
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
