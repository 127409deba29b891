/* cmd_scan.c - `mailsentry scan FILE...`: run the detectors over mail logs
 * SUMMARY  A replay of live operation: events go through the same
 *          detectors the daemon runs, in log order; the findings are
 *          printed at the end in order of detection, with their counts as
 *          of the end of the logs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "detect/det.h"
#include "serve/settings.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"

static const char scan_synopsis[] =
	"usage: mailsentry scan [--format=text|json] [--config FILE] [-o NAME=VALUE]...\n"
	"                       [--explain ACCOUNT] [--year YYYY] [--jobs N] [--verbose] FILE...\n";

static const char scan_usage[] =
	"Find compromised accounts and abusive clients in mail logs. The detectors run\n"
	"online, as the daemon runs them: each finding carries the time of the log\n"
	"event at which it would have fired live (detected_at) and the time of the\n"
	"first event of the incident (first_evidence). FILE may be plain or\n"
	"compressed (gzip, bzip2, xz, zstd) or - for standard input; rotated files\n"
	"are read oldest first whatever their order.\n"
	"\n"
	"Findings (docs/mailsentry-scan.md):\n"
	"  account_compromise  an account used from networks it does not know: many\n"
	"                      networks in a day, mail and recipients from them, a\n"
	"                      failure spike, a new SASL mechanism or country\n"
	"  outbound_burst      an account sending far above its own busiest hour\n"
	"  credential_probe    failed logins from unknown networks after a compromise\n"
	"  backscatter         a flood of bounces to a local account\n"
	"  brute_force         one IP, many failed logins (typos and stale passwords\n"
	"                      of known users excused)\n"
	"  password_spray      one IP, a few failures on each of many accounts\n"
	"\n"
	"  -f, --format FORMAT  text (default): one block per finding; json: one JSON\n"
	"                       object per line\n"
	"  -c, --config FILE    settings file (name = value lines, as Postfix's\n"
	"                       main.cf); 'mailsentry config --defaults' lists them\n"
	"  -o NAME=VALUE        override one setting (repeatable, after --config)\n"
	"  -e, --explain ACCOUNT  print the account's timeline: each of its events and\n"
	"                       every signal's value and points as they evolve\n"
	"  -y, --year YYYY      year of the first line of logs whose timestamps carry\n"
	"                       none; default: inferred and said on standard error\n"
	"  -j, --jobs N         threads: 1 (default) reads and detects in one; 2 reads,\n"
	"                       parses and correlates in one and detects in another\n"
	"                       (more than 2 is the same as 2); the findings are the\n"
	"                       same\n"
	"  -v, --verbose        show skipped lines and counts at the end\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit status: 0 nothing found, 1 findings, 2 usage, settings or input error.\n";

struct scan_ctx {
	struct det *det;
	char explain[LIMIT_ACCOUNT_MAX];	/* its key; "" = none */
	uint64_t explained;			/* its events */
};

static void
scan_sink(void *arg, const struct evt *e)
{
	struct scan_ctx *sc = arg;
	char key[LIMIT_ACCOUNT_MAX];

	det_feed(sc->det, e);
	if (sc->explain[0] != '\0' && e->account[0] != '\0') {
		evt_account_key(e->account, key);
		if (strcmp(key, sc->explain) == 0)
			sc->explained++;
	}
}

int
cmd_scan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "explain", required_argument, NULL, 'e' },
		{ "year", required_argument, NULL, 'y' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pipe_opts popts = { 0 };
	struct settings conf;
	struct scan_ctx sc;
	struct pipe_thread *pt = NULL;
	unsigned jobs = 1;
	struct pipe_stats st;
	struct det_stats ds;
	struct finding *const *fs;
	const char *config = NULL, *explain = NULL;
	char **opts = NULL;
	size_t nopts = 0, nfs, i, shown = 0;
	bool json = false;
	struct buf b;
	int c, rc;

	while ((c = getopt_long(argc, argv, "f:c:o:e:y:j:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cli_parse_format(optarg, &json) < 0)
				goto usage;
			break;
		case 'c':
			config = optarg;
			break;
		case 'o':
			opts = mem_reallocarray(opts, nopts + 1, sizeof(*opts));
			opts[nopts++] = optarg;
			break;
		case 'e':
			if (optarg[0] == '\0' || strlen(optarg) >= LIMIT_ACCOUNT_MAX) {
				msg_warn("--explain: an account name has 1 to %d bytes",
					 LIMIT_ACCOUNT_MAX - 1);
				goto usage;
			}
			explain = optarg;
			break;
		case 'y':
			if (cli_parse_year(optarg, &popts.year) < 0)
				goto usage;
			break;
		case 'j':
			if (cli_parse_jobs(optarg, &jobs) < 0)
				goto usage;
			break;
		case 'v':
			popts.verbose = true;
			break;
		case 'h':
			fputs(scan_synopsis, stdout);
			fputs("\n", stdout);
			fputs(scan_usage, stdout);
			mem_free(opts);
			return EXIT_NOTHING;
		default:
			goto usage;
		}
	}
	if (optind >= argc) {
		msg_warn("scan: no input file (use - for standard input)");
		goto usage;
	}
	if (settings_load(&conf, config, opts, nopts) < 0) {
		settings_free(&conf);
		mem_free(opts);
		return EXIT_TROUBLE;
	}
	mem_free(opts);

	/* With two threads the logs are read while the detectors start (the
	 * country data takes a tenth of a second to load). */
	if (jobs > 1)
		pt = pipe_start(argv + optind, (size_t)(argc - optind), &popts, &st);
	memset(&sc, 0, sizeof(sc));
	sc.det = det_new(&conf.det, NULL, NULL);
	if (explain != NULL) {
		det_explain(sc.det, explain, stdout);
		evt_account_key(explain, sc.explain);
	}
	if (pt != NULL)
		rc = pipe_drain(&pt, scan_sink, &sc);
	else
		rc = pipe_run(argv + optind, (size_t)(argc - optind), &popts, scan_sink, &sc, &st);
	det_finish(sc.det);
	nfs = det_findings(sc.det, &fs);
	buf_init(&b, 0);
	for (i = 0; i < nfs; i++) {
		if (explain != NULL && strcasecmp(fs[i]->account, explain) != 0)
			continue;
		if (json) {
			finding_json(fs[i], &b);
			buf_append(&b, "\n", 1);
		} else {
			if (shown > 0)
				buf_append(&b, "\n", 1);
			finding_text(fs[i], &b);
		}
		shown++;
		if (b.len > 65536) {
			cli_write(b.data, b.len);
			buf_reset(&b);
		}
	}
	if (!json && shown == 0 && explain == NULL && rc == 0 && !msg_had_error())
		buf_append_str(&b, "no findings\n");
	cli_write(b.data, b.len);
	buf_release(&b);
	if (fflush(stdout) != 0 && errno != EPIPE)
		msg_fatal("write to standard output failed");
	if (explain != NULL && sc.explained == 0) {
		char pr[LIMIT_ACCOUNT_MAX * 4];

		strv_printable(strv_cstr(explain), pr, sizeof(pr));
		msg_warn("scan: no events for account \"%.100s\"", pr);
	}
	if (popts.verbose) {
		pipe_print_stats(&st);
		det_get_stats(sc.det, &ds);
		msg_info("detectors: %llu events, %llu accounts, %llu IPs with failures, "
			 "%llu findings; country data %s",
			 (unsigned long long)ds.events, (unsigned long long)ds.accounts,
			 (unsigned long long)ds.ips, (unsigned long long)ds.findings,
			 ds.geoip ? "loaded" : "absent (install tor-geoipdb)");
		if (ds.dropped_accounts || ds.dropped_ips)
			msg_info("detectors: not tracked past the limits: %llu accounts, %llu IPs",
				 (unsigned long long)ds.dropped_accounts,
				 (unsigned long long)ds.dropped_ips);
	}
	det_free(&sc.det);
	settings_free(&conf);
	if (rc < 0 || msg_had_error())
		return EXIT_TROUBLE;
	return shown > 0 ? EXIT_FINDINGS : EXIT_NOTHING;

usage:
	fputs(scan_synopsis, stderr);
	fputs("Try 'mailsentry scan --help' for more information.\n", stderr);
	mem_free(opts);
	return EXIT_TROUBLE;
}
