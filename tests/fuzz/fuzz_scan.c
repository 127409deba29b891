/* fuzz_scan.c - arbitrary bytes through `mailsentry scan`'s whole pipeline
 * SUMMARY  The input is split on '\n' and each line goes the way
 *          cli_pipe.c sends it (too long, NUL bytes or empty: skipped; a
 *          trailing '\r' dropped), then frame -> parse -> correlate ->
 *          the detectors with the default settings and no country data;
 *          det_finish, then every finding as JSON and as text, as
 *          `scan --format=json` and `scan` print them. --explain is on for
 *          one account of the seeds (written to /dev/null). Aborts when a
 *          finding's times are out of order (first_evidence <= detected_at
 *          <= last_evidence) at any moment the detectors report it, when
 *          its JSON is not one object on one line, or when its text does
 *          not start with its kind and end with a newline.
 *          Seeds (tests/fuzz/corpus/scan/, each under libFuzzer's 16 KB
 *          max_len of tools/fuzz.sh) are lines picked, in log order, from
 *          build/msgen output (Postfix + Dovecot and qmail + vpopmail;
 *          example domains, documentation and benchmarking addresses):
 *            *_day           a contiguous cut of --scenario=benign
 *                            --users=5 --seed=3: logins, deliveries, a
 *                            bounce and its NDR (no finding)
 *            *_incident1     --scenario=incident1 --users=20: the owner's
 *                            first logins, the attackers' logins from 11
 *                            networks, one spam message with its
 *                            deliveries, bounces and NDR, the first
 *                            probing failures (account_compromise,
 *                            credential_probe)
 *            *_brute, qmail_names  --scenario=brute --users=10: the
 *                            victim's logins and the attacker's first ~24
 *                            failures (brute_force on an account / names)
 *            *_spray         --scenario=spray --users=10: one login of each
 *                            account a sprayer tries, then its attempts
 *                            (password_spray)
 *            *_backscatter   --scenario=backscatter --users=10: the first
 *                            NDRs delivered to the account (too few to
 *                            fire). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "correlate/corr.h"
#include "detect/det.h"
#include "frame/frame.h"
#include "parse/parse.h"
#include "util/buf.h"
#include "util/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MTIME 1375142400	/* 2013-07-30T00:00:00Z: a year-less log is 2013's */
#define FUZZ_EXPLAIN "hello@example.com"

static void
check_times(const struct finding *f)
{
	if (f->first_evidence > f->detected_at || f->detected_at > f->last_evidence)
		abort();
}

static void
sink(void *arg, const struct finding *f, enum det_moment m)
{
	(void)arg;
	(void)m;
	check_times(f);
}

/* The default settings with the country files off, made once. */
static const struct det_conf *
conf(void)
{
	static struct det_conf c;
	static bool done;
	char err[256];

	if (!done) {
		if (conf_defaults(det_conf_defs, det_conf_ndefs, &c) < 0 ||
		    conf_set(det_conf_defs, det_conf_ndefs, &c, "geoip_file=", err, sizeof(err)) < 0 ||
		    conf_set(det_conf_defs, det_conf_ndefs, &c, "geoip6_file=", err, sizeof(err)) < 0)
			abort();
		done = true;
	}
	return &c;
}

static void
check_output(const struct det *d)
{
	struct finding *const *fs;
	struct buf b;
	size_t n, i, k;

	n = det_findings(d, &fs);
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		const char *kind = finding_kind_name(fs[i]->kind);

		check_times(fs[i]);
		if (!fs[i]->closed)
			abort();	/* det_finish closes every finding */
		buf_reset(&b);
		finding_json(fs[i], &b);
		if (b.len < 2 || b.data[0] != '{' || b.data[b.len - 1] != '}')
			abort();
		for (k = 0; k < b.len; k++)
			if ((unsigned char)b.data[k] < 0x20)
				abort();	/* one line, control characters escaped */
		buf_reset(&b);
		finding_text(fs[i], &b);
		if (b.len < strlen(kind) || memcmp(b.data, kind, strlen(kind)) != 0 ||
		    b.data[b.len - 1] != '\n')
			abort();
	}
	buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct parse_out out;
	static FILE *devnull;
	const char *p = (const char *)data, *end = p + size;
	struct frame_ctx ctx;
	struct corr *c;
	struct det *d;

	msg_set_quiet(true);
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	c = corr_new();
	d = det_new(conf(), sink, NULL);
	det_explain(d, FUZZ_EXPLAIN, devnull);
	frame_ctx_init(&ctx, "fuzz", 0, FUZZ_MTIME);
	ctx.quiet = true;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p;
		struct frame f;
		int i;

		p += len + 1;
		if (len > LIMIT_LINE_MAX)
			continue;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0 || memchr(line, '\0', len) != NULL)
			continue;
		if (frame_line(&ctx, line, len, &f) < 0 || parse_line(&f, &out) != PARSE_EVENTS)
			continue;
		if (out.n > 0)
			frame_ctx_anchor(&ctx, &f, out.ev[0].time);
		for (i = 0; i < out.n; i++)
			if (corr_event(c, &out.ev[i]))
				det_feed(d, &out.ev[i]);
	}
	det_finish(d);
	check_output(d);
	det_free(&d);
	corr_free(&c);
	return 0;
}
