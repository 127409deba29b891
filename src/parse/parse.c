/* parse.c - pick the parser for a framed line, and the rule-table runner */
#include "parse/parse.h"

#include <stdatomic.h>
#include <string.h>

#include "util/mem.h"

/* Program names as they appear in syslog tags. A name matches the tag
 * exactly, or as a prefix followed by '/', '-' or '(' when prefix is set
 * ("postfix/submission/smtpd", "postfix-incoming/smtpd", "auth-worker(123)"). */
#define PP(name, prefix, fn) { name, sizeof(name) - 1, prefix, fn }
static const struct parse_prog {
	const char *name;
	size_t len;
	bool prefix;
	parse_fn *fn;
} parse_progs[] = {
	PP("postfix", true, parse_postfix),
	PP("dovecot", true, parse_dovecot),
	PP("imap-login", false, parse_dovecot),
	PP("pop3-login", false, parse_dovecot),
	PP("submission-login", false, parse_dovecot),
	PP("managesieve-login", false, parse_dovecot),
	PP("lmtp-login", false, parse_dovecot),
	PP("auth", true, parse_dovecot),
	PP("vpopmail", false, parse_vpopmail),
	PP("vchkpw", true, parse_vpopmail),
	PP("qmail", true, parse_qmail),
	PP("tcpserver", false, parse_qmail),
	PP("sslserver", false, parse_qmail),
	PP("rblsmtpd", false, parse_qmail),
	PP("spamdyke", false, parse_qmail),
	PP("simscan", false, parse_qmail),
	PP("courieresmtpd", false, parse_courier),
	PP("courierpop3login", false, parse_courier),
	PP("courierpop3d", false, parse_courier),
	PP("courier-imap", false, parse_courier),
	PP("imapd", true, parse_courier),
	PP("imapd-ssl", false, parse_courier),
	PP("pop3d", true, parse_courier),
	PP("pop3d-ssl", false, parse_courier),
	PP("imaplogin", false, parse_courier),
	/* Cyrus ("cyrus/imaps", "imap", "pop3", "sieve") and UW-IMAP ("ipop3d"):
	 * parse_courier tells them apart by the message. */
	PP("cyrus", true, parse_courier),
	PP("imap", false, parse_courier),
	PP("imaps", false, parse_courier),
	PP("pop3", false, parse_courier),
	PP("pop3s", false, parse_courier),
	PP("sieve", false, parse_courier),
	PP("timsieved", false, parse_courier),
	PP("ipop3d", false, parse_courier),
	/* Dovecot's own log file names mail processes: "imap(user)", "lmtp(123)". */
	PP("imap", true, parse_dovecot),
	PP("pop3", true, parse_dovecot),
	PP("lmtp", true, parse_dovecot),
	PP("lda", true, parse_dovecot),
	PP("submission", true, parse_dovecot),
	PP("managesieve", true, parse_dovecot),
	/* Dovecot 1.x's own log file: "Jun 23 15:04:05 Info: imap-login: ..." */
	PP("Info", false, parse_dovecot),
	PP("Warning", false, parse_dovecot),
	PP("Error", false, parse_dovecot),
	PP("Fatal", false, parse_dovecot),
	PP("sendmail", false, parse_sendmail),
	PP("sm-mta", false, parse_sendmail),
	PP("sm-msp-queue", false, parse_sendmail),
	PP("sm-acceptingconnections", false, parse_sendmail),
	PP("exim", false, parse_exim),
	PP("exim4", false, parse_exim),
	PP("spamd", false, parse_spamd),
};
#undef PP

/* Parsers that understand lines without a program name (multilog). */
static parse_fn *const parse_noprog[] = { parse_qmail, parse_vpopmail, parse_dovecot };

/* Every line passes here; the names carry their lengths, and the first
 * byte is compared before memcmp (qmail is the eleventh name). */
static bool
parse_prog_match(const struct parse_prog *pp, struct strv prog)
{
	size_t n = pp->len;

	if (prog.len < n || prog.p[0] != pp->name[0] || memcmp(prog.p, pp->name, n) != 0)
		return false;
	if (prog.len == n)
		return true;
	return pp->prefix && (prog.p[n] == '/' || prog.p[n] == '-' || prog.p[n] == '(');
}

enum parse_result
parse_line(const struct frame *f, struct parse_out *out)
{
	enum parse_result r, best = PARSE_UNKNOWN_PROG;
	size_t i;

	out->n = 0;
	if (f->kind == FRAME_EXIM)
		return parse_exim(f, out);
	if (f->prog.len == 0) {
		for (i = 0; i < sizeof(parse_noprog) / sizeof(parse_noprog[0]); i++) {
			out->n = 0;
			r = parse_noprog[i](f, out);
			if (r >= PARSE_MALFORMED)
				return r;
			if (r > best)
				best = r;
		}
		out->n = 0;
		return best;
	}
	for (i = 0; i < sizeof(parse_progs) / sizeof(parse_progs[0]); i++)
		if (parse_prog_match(&parse_progs[i], f->prog))
			return parse_progs[i].fn(f, out);
	return PARSE_UNKNOWN_PROG;
}

struct evt *
parse_new_evt(struct parse_out *out, const struct frame *f, const char *source)
{
	struct evt *e;

	if (out->n >= LIMIT_EVENTS_PER_LINE)
		return NULL;
	e = &out->ev[out->n++];
	evt_clear(e);
	e->source = source;
	e->time = f->time;
	e->usec = f->usec;
	if (f->host.len > 0)
		EVT_SET(e, host, f->host);
	return e;
}

void
parse_drop_evt(struct parse_out *out)
{
	if (out->n > 0)
		out->n--;
}

/* What a rule's template demands of a message before the matcher can
 * match it: the first byte, when the template starts with a literal one,
 * or the occurrence of a byte, when it starts with a capture followed by a
 * literal one ("%x: %y from ..."); the matcher fails at once without it.
 * Rules are mostly told apart there, so most are skipped without starting
 * the matcher, and a table of rules needing the same byte shares one
 * memchr. */
struct pm_entry {
	struct pm_prog *prog;	/* compiled template, NULL: walk it */
	uint8_t need;		/* PM_NEED_* */
	unsigned char c;
};
enum { PM_NEED_NONE, PM_NEED_FIRST, PM_NEED_BYTE };

static struct pm_entry
pm_entry_of(const char *t)
{
	struct pm_entry en = { NULL, PM_NEED_NONE, 0 };

	if (t[0] != '%') {
		en.need = PM_NEED_FIRST;
		en.c = (unsigned char)t[0];
	} else if (t[1] != '%' && t[1] != '(' && t[1] != '\0' && t[2] != '\0' && t[2] != '%') {
		en.need = PM_NEED_BYTE;
		en.c = (unsigned char)t[2];
	}
	return en;
}

/* ents: what pm_entry_of says of each rule, with its compiled template,
 * or NULL to work it out here. */
static enum parse_result
pm_run_ents(const struct pm_rule *rules, const struct pm_entry *ents, size_t n,
	    const struct frame *f, struct strv msg, const char *source, const char *service,
	    struct parse_out *out)
{
	struct pm_caps caps;
	struct evt *e;
	size_t i;
	int absent = -1;	/* a byte known not to occur in msg */

	for (i = 0; i < n; i++) {
		struct pm_entry en = ents != NULL ? ents[i] : pm_entry_of(rules[i].tpl);

		if (en.need == PM_NEED_FIRST) {
			if (msg.len == 0 || (unsigned char)msg.p[0] != en.c)
				continue;
		} else if (en.need == PM_NEED_BYTE) {
			if (en.c == absent)
				continue;
			if (msg.len == 0 || memchr(msg.p, en.c, msg.len) == NULL) {
				absent = en.c;
				continue;
			}
		}
		if (en.prog != NULL ? !pm_match_prog(en.prog, msg, &caps)
				    : !pm_match(rules[i].tpl, msg, &caps))
			continue;
		if (rules[i].type == EVT_NONE)
			return PARSE_NOEVENT;
		if ((e = parse_new_evt(out, f, source)) == NULL)
			return PARSE_EVENTS;
		e->type = rules[i].type;
		e->status = rules[i].status;
		if (service != NULL)
			evt_set(e->service, sizeof(e->service), strv_cstr(service));
		if (pm_apply(&caps, e) < 0 ||
		    (rules[i].fix != NULL && rules[i].fix(&caps, e, f) < 0)) {
			parse_drop_evt(out);
			return PARSE_MALFORMED;
		}
		if (e->type == EVT_NONE) {	/* the fix found nothing to report */
			parse_drop_evt(out);
			return PARSE_NOEVENT;
		}
		return PARSE_EVENTS;
	}
	return PARSE_UNMATCHED;
}

enum parse_result
pm_run(const struct pm_rule *rules, size_t n, const struct frame *f, struct strv msg,
       const char *source, const char *service, struct parse_out *out)
{
	return pm_run_ents(rules, NULL, n, f, msg, source, service, out);
}

/* Compile every template of a table, and publish the array unless another
 * thread did first. Never freed: tables live as long as the program. */
static struct pm_entry *
pm_cache_fill(struct pm_cache *c, const struct pm_rule *rules, size_t n)
{
	struct pm_entry *ents = mem_calloc(n ? n : 1, sizeof(*ents)), *none = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		ents[i] = pm_entry_of(rules[i].tpl);
		ents[i].prog = pm_compile(rules[i].tpl);
	}
	if (atomic_compare_exchange_strong_explicit(&c->ents, &none, ents, memory_order_acq_rel,
						    memory_order_acquire))
		return ents;
	for (i = 0; i < n; i++)
		pm_prog_free(&ents[i].prog);
	mem_free(ents);
	return none;
}

enum parse_result
pm_run_cached(struct pm_cache *c, const struct pm_rule *rules, size_t n, const struct frame *f,
	      struct strv msg, const char *source, const char *service, struct parse_out *out)
{
	struct pm_entry *ents = atomic_load_explicit(&c->ents, memory_order_acquire);

	if (ents == NULL)
		ents = pm_cache_fill(c, rules, n);
	return pm_run_ents(rules, ents, n, f, msg, source, service, out);
}

bool
pm_match_cached(struct pm_cache *c, const struct pm_rule *rules, size_t n, size_t i,
		struct strv msg, struct pm_caps *caps)
{
	struct pm_entry *ents = atomic_load_explicit(&c->ents, memory_order_acquire);

	if (ents == NULL)
		ents = pm_cache_fill(c, rules, n);
	return ents[i].prog != NULL ? pm_match_prog(ents[i].prog, msg, caps)
				    : pm_match(rules[i].tpl, msg, caps);
}
