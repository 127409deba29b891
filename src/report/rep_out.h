/* rep_out.h - print a finished report as text or JSON
 * SUMMARY  rep_text: an 80-column table of accounts in score order, detail
 *          blocks for the first accounts, and what had no account; in
 *          focus mode (accounts selected) the full detail of each selected
 *          account with its hourly timeline. rep_json: one JSON document,
 *          described field by field in docs/mailsentry-report.md; its
 *          "version" changes only when a field changes meaning or goes.
 *          Both append to a buf and hand it to flush (if set) whenever it
 *          holds REP_OUT_CHUNK bytes, so a report of 100k accounts is not
 *          built in memory at once.
 * LIMITS   Attacker-chosen text (account names) is escaped: \xNN in text,
 *          JSON escapes in JSON; text truncates long names with an ellipsis.
 * ERRORS   none here; flush decides what a write error means. */
#ifndef MS_REP_OUT_H
#define MS_REP_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/rep_acct.h"
#include "util/buf.h"

#define REP_OUT_CHUNK (1 << 16)
/* Accounts that get a detail block under the text table. */
#define REP_TEXT_DETAILS 3
/* Width of the account column of the text table. */
#define REP_TEXT_ACCOUNT_COLS 19
/* Most top IPs one account may show. */
#define REP_TOP_MAX 100

typedef void rep_flush_fn(void *arg, struct buf *b);

struct rep_out {
	size_t top;		/* top IPs shown per account, <= REP_TOP_MAX */
	size_t limit;		/* accounts in the text table, 0 = all */
	bool focus;		/* accounts were selected: full detail */
	rep_flush_fn *flush;	/* NULL: everything stays in the buf */
	void *arg;
};

void rep_text(const struct rep *r, const struct rep_out *o, struct buf *b);
void rep_json(const struct rep *r, const struct rep_out *o, struct buf *b);

/* Helpers shared by both (and tested): */
/* A count in at most 4 columns: 9999, 12k, 1.2M, 35G. */
const char *rep_fmt_count(uint64_t v, char buf[8]);
/* "23h47m", "3d4h", "45m12s"; for a span of seconds. */
const char *rep_fmt_span(int64_t secs, char buf[24]);

#endif
