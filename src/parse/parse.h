/* parse.h - framed log line -> normalized events
 * SUMMARY  parse_line picks the daemon's parser by the syslog program name
 *          (postfix/..., dovecot, imap-login, vpopmail, qmail, courier*,
 *          imapd, pop3d, sendmail, sm-mta, exim, spamd, ...) or, for framings
 *          without one (multilog), by trying the parsers that log that way.
 *          Parsers are pure: bytes in, events out; no I/O, clock or globals.
 * LIMITS   LIMIT_EVENTS_PER_LINE events per line.
 * ERRORS   The result tells the caller what to count: UNKNOWN_PROG (no parser
 *          for this program), UNMATCHED (a known program, a line shape we do
 *          not know), MALFORMED (a known shape with an invalid field),
 *          NOEVENT (known, carries no event), EVENTS (out->n > 0). */
#ifndef MS_PARSE_H
#define MS_PARSE_H

#include "core/evt.h"
#include "frame/frame.h"
#include "parse/pmatch.h"

enum parse_result {
	PARSE_UNKNOWN_PROG = 0,
	PARSE_UNMATCHED,
	PARSE_MALFORMED,
	PARSE_NOEVENT,
	PARSE_EVENTS,
};

struct parse_out {
	int n;
	struct evt ev[LIMIT_EVENTS_PER_LINE];
};

typedef enum parse_result parse_fn(const struct frame *f, struct parse_out *out);

enum parse_result parse_line(const struct frame *f, struct parse_out *out);

/* For parsers: a cleared event stamped with the frame's time and host and
 * the given source, appended to out; NULL when out is full. */
struct evt *parse_new_evt(struct parse_out *out, const struct frame *f, const char *source);
/* For parsers: drop the last event of out (a rule that turned out malformed). */
void parse_drop_evt(struct parse_out *out);
/* For parsers: try rules[0..n) on msg in order; on the first match, create
 * the event (unless the rule's type is EVT_NONE), apply the captures and the
 * rule's fix. service may be NULL. */
enum parse_result pm_run(const struct pm_rule *rules, size_t n, const struct frame *f,
			 struct strv msg, const char *source, const char *service,
			 struct parse_out *out);
/* A parser's rule table and the cache of its compiled templates (see
 * pm_compile): declare tables as PM_TABLE(name) = { ... }; and run them
 * with PM_RUN, which compiles a table at its first use (once, whichever
 * thread gets there first) and then matches like pm_run. */
struct pm_entry;
struct pm_cache {
	_Atomic(struct pm_entry *) ents;
};
#define PM_TABLE(name)                                               \
	static struct pm_cache name##_pmc __attribute__((unused));  \
	static const struct pm_rule name[]
enum parse_result pm_run_cached(struct pm_cache *c, const struct pm_rule *rules, size_t n,
				const struct frame *f, struct strv msg, const char *source,
				const char *service, struct parse_out *out);
/* pm_match with rule i of a PM_TABLE, compiled: for parsers that read the
 * captures themselves. */
bool pm_match_cached(struct pm_cache *c, const struct pm_rule *rules, size_t n, size_t i,
		     struct strv msg, struct pm_caps *caps);
#define PM_MATCH(rules, i, msg, caps) \
	pm_match_cached(&rules##_pmc, (rules), sizeof(rules) / sizeof((rules)[0]), (i), (msg), (caps))
#define PM_RUN(rules, f, msg, source, service, out)                                       \
	pm_run_cached(&rules##_pmc, (rules), sizeof(rules) / sizeof((rules)[0]), (f), (msg), \
		      (source), (service), (out))

/* The parsers (parse_<daemon>.c). */
parse_fn parse_postfix;
parse_fn parse_dovecot;
parse_fn parse_qmail;
parse_fn parse_vpopmail;
parse_fn parse_courier;
parse_fn parse_sendmail;
parse_fn parse_exim;
parse_fn parse_spamd;

#endif
