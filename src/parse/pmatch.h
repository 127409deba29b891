/* pmatch.h - match a log message against a template and capture its fields
 * SUMMARY  Parsers are tables of templates (struct pm_rule). A template is
 *          literal text with these escapes:
 *            %X    capture into slot X (a letter) lazily: the shortest text
 *                  after which the rest of the template matches; a capture
 *                  that ends the template takes the rest of the message.
 *                  Captures may be empty.
 *            %*    skip lazily, capture nothing
 *            %(..%) optional group: matched if it can be, else skipped
 *            %%    a literal '%'
 *          Slot letters with a fixed meaning, applied to the event by
 *          pm_apply (so most rules need no code at all):
 *            u account   i client IP     q queue id     m SASL mechanism
 *            s sender    r recipient     R reason text  d DSN code
 *            S status word (sent/deferred/bounced/success/failure/...)
 *            n nrcpt     z size          l relay        v service
 *            D delivery number           N NDR queue id A attempts
 *          Other letters (h for host names, x y for scratch) are only
 *          captured, for a rule's fix function.
 * LIMITS   PM_STEP_MAX matching steps per template and message: a
 *          pathological line fails to match instead of taking quadratic
 *          time. Templates nest optional groups at most PM_DEPTH_MAX deep.
 * ERRORS   pm_match returns false on no match. pm_apply returns -1 when a
 *          captured value is invalid for its field (not an IP address, an
 *          account too long, a non-number size): the line is malformed. */
#ifndef MS_PMATCH_H
#define MS_PMATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/evt.h"
#include "util/strv.h"

#define PM_STEP_MAX 20000
#define PM_DEPTH_MAX 8
#define PM_SLOTS 52

struct pm_caps {
	uint64_t set;		/* bit per slot */
	struct strv v[PM_SLOTS];
};

bool pm_match(const char *tpl, struct strv msg, struct pm_caps *caps);
/* A template compiled once (literal runs with their lengths, groups joined
 * in advance) for the rule tables, which try it on every line;
 * pm_match_prog gives exactly pm_match's result. pm_compile returns NULL
 * for a template too big to compile (pm_match still serves it). */
struct pm_prog;
struct pm_prog *pm_compile(const char *tpl);
void pm_prog_free(struct pm_prog **p);
bool pm_match_prog(const struct pm_prog *p, struct strv msg, struct pm_caps *caps);
/* The capture of slot letter c, or STRV_NULL with *found false. */
struct strv pm_get(const struct pm_caps *caps, char c, bool *found);
bool pm_has(const struct pm_caps *caps, char c);
/* Fill the event's fields from the fixed-meaning slots. */
int pm_apply(const struct pm_caps *caps, struct evt *e);

struct frame;
/* One rule of a parser's table. type EVT_NONE marks a known line that
 * carries no event (it is recognized, not an error). fix, if set, runs
 * after pm_apply and may adjust the event; it returns -1 for malformed,
 * or sets e->type to EVT_NONE when the line turns out to carry no event. */
struct pm_rule {
	const char *tpl;
	enum evt_type type;
	enum evt_status status;	/* fixed status, or NONE */
	int (*fix)(const struct pm_caps *caps, struct evt *e, const struct frame *f);
};

#endif
