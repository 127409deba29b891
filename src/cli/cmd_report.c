/* cmd_report.c - `mailsentry report FILE...`: per-account forensic summary */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "report/rep_acct.h"
#include "report/rep_out.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/scan.h"

static const char report_synopsis[] =
	"usage: mailsentry report [--account ACCOUNT]... [--format=text|json]\n"
	"                         [--year YYYY] [--top N] [--limit N]\n"
	"                         [--timeline-hours N] [--jobs N] [--verbose] FILE...\n";

static const char report_usage[] =
	"Summarize mail logs per account: what an admin would otherwise count with\n"
	"grep | awk | sort | uniq -c, for every account at once. Accounts are grouped\n"
	"case-insensitively and sorted by a suspicion score, most suspicious first.\n"
	"FILE may be plain or compressed (gzip, bzip2, xz, zstd) or - for standard\n"
	"input; rotated files may be given in any order and are read oldest first.\n"
	"\n"
	"Per account: successful and failed logins (SMTP AUTH apart from IMAP/POP3),\n"
	"distinct client IPs, IPs seen with exactly one login, networks (IPv4 /16 and\n"
	"/24, IPv6 /48), messages, recipients, deliveries sent/deferred/bounced and\n"
	"the failure rate, NDRs, first and last activity (UTC), the busiest hour, the\n"
	"top client IPs and an hourly timeline. Events that name no account (failed\n"
	"logins without a user name, rejected clients, unauthenticated mail) are\n"
	"counted apart, with their client IPs.\n"
	"\n"
	"  -a, --account ACCOUNT  report only this account (repeatable), in full:\n"
	"                         every figure and the hourly timeline\n"
	"  -f, --format FORMAT    text (default): a table that fits 80 columns and\n"
	"                         details of the first accounts; json: one JSON\n"
	"                         document (docs/mailsentry-report.md)\n"
	"  -y, --year YYYY        year of the first line of logs whose timestamps\n"
	"                         carry none (RFC 3164 syslog); default: inferred\n"
	"                         from the file's modification time\n"
	"  -t, --top N            client IPs shown per account (default 5, at most 100)\n"
	"  -n, --limit N          accounts in the text table (default 20; 0 = all);\n"
	"                         JSON always holds every account\n"
	"      --timeline-hours N hours of timeline kept per account, ending at its\n"
	"                         last event (default 168, or 744 with --account;\n"
	"                         at most 744)\n"
	"  -j, --jobs N           threads: 1 (default) does all in one; 2 reads,\n"
	"                         parses and correlates in one and tallies in\n"
	"                         another (more than 2 is the same as 2); the\n"
	"                         report is the same\n"
	"  -v, --verbose          show the first skipped lines of each kind and the\n"
	"                         counts\n"
	"  -h, --help             this text\n"
	"\n"
	"Text columns: SCORE (below), OK/FAIL successful/failed logins, IPS distinct\n"
	"client IPs (\"+\": more than, past 65536 per account), NETS IPv4 /16 + IPv6\n"
	"/48 networks, MSGS accepted messages, RCPTS recipients, SENT/DEF/BNC\n"
	"delivery attempts, FAIL% = (deferred + bounced) / all delivery attempts.\n"
	"Counts over 9999 read 12k, 1.2M. Recipients are the sum of the messages'\n"
	"nrcpt where the log states it, else (qmail) the sent + bounced deliveries.\n"
	"\n"
	"The score only orders the report; it detects nothing. With N\n"
	"the /16 and /48 networks the account logged in or sent from, O its IPs with\n"
	"exactly one successful login, P the most new IPs in one hour, R the failure\n"
	"rate, F the failed deliveries, B the NDRs and A the failed logins:\n"
	"  score = 20 log2(N) + 10 log2(O) + 10 log2(P) + 30 R log2(1+F)\n"
	"          + 5 log2(1+B) + 3 log2(1+A)          (log2 of 0 counts as 0)\n"
	"A user on one network scores about 0; an account logged into from hundreds\n"
	"of networks, most IPs once, scores hundreds. Failures weigh by rate and\n"
	"volume, so a bulk sender with few failures stays low.\n"
	"\n"
	"Exit status: 0 on success, 2 on a usage error or a file that could not be\n"
	"read (the other files are still read).\n";

enum { OPT_TIMELINE = 256 };

static void
report_flush(void *arg, struct buf *b)
{
	(void)arg;
	cli_write(b->data, b->len);
}

static void
report_sink(void *arg, const struct evt *e)
{
	rep_add(arg, e);
}

static int
report_num(const char *opt, const char *arg, uint32_t min, uint32_t max, uint32_t *out)
{
	uint32_t v;

	if (scan_u32(arg, strlen(arg), &v) < 0 || v < min || v > max) {
		msg_warn("%s: \"%.20s\" is not a number from %u to %u", opt, arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "account", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "year", required_argument, NULL, 'y' },
		{ "top", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'n' },
		{ "timeline-hours", required_argument, NULL, OPT_TIMELINE },
		{ "jobs", required_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pipe_opts popts = { 0 };
	struct rep_opts ropts = { 0 };
	struct rep_out out = { .top = 5, .limit = 20, .flush = report_flush };
	const char **accounts = NULL;
	size_t naccounts = 0, i;
	uint32_t v, tl_hours = 0;
	unsigned jobs = 1;
	bool json = false;
	struct pipe_stats st;
	struct rep *r;
	struct buf b;
	int c, rc;

	while ((c = getopt_long(argc, argv, "a:f:y:t:n:j:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (optarg[0] == '\0' || strlen(optarg) >= LIMIT_ACCOUNT_MAX) {
				msg_warn("--account: an account name has 1 to %d bytes",
					 LIMIT_ACCOUNT_MAX - 1);
				goto usage;
			}
			accounts = mem_reallocarray(accounts, naccounts + 1, sizeof(*accounts));
			accounts[naccounts++] = optarg;
			break;
		case 'f':
			if (cli_parse_format(optarg, &json) < 0)
				goto usage;
			break;
		case 'y':
			if (cli_parse_year(optarg, &popts.year) < 0)
				goto usage;
			break;
		case 't':
			if (report_num("--top", optarg, 0, REP_TOP_MAX, &v) < 0)
				goto usage;
			out.top = v;
			break;
		case 'n':
			if (report_num("--limit", optarg, 0, UINT32_MAX, &v) < 0)
				goto usage;
			out.limit = v;
			break;
		case OPT_TIMELINE:
			if (report_num("--timeline-hours", optarg, 1, REP_TIMELINE_HOURS_MAX,
				       &tl_hours) < 0)
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
			fputs(report_synopsis, stdout);
			fputs("\n", stdout);
			fputs(report_usage, stdout);
			mem_free(accounts);
			return EXIT_NOTHING;
		default:
			goto usage;
		}
	}
	if (optind >= argc) {
		msg_warn("report: no input file (use - for standard input)");
		goto usage;
	}

	ropts.accounts = accounts;
	ropts.naccounts = naccounts;
	ropts.timeline_hours = tl_hours ? tl_hours
			       : naccounts ? REP_TIMELINE_HOURS_MAX
					   : REP_TIMELINE_HOURS_ALL;
	out.focus = naccounts > 0;
	r = rep_new(&ropts);
	rc = pipe_run_jobs(jobs, argv + optind, (size_t)(argc - optind), &popts, report_sink, r,
			   &st);
	rep_finish(r);
	for (i = 0; i < naccounts; i++) {
		if (rep_find(r, accounts[i]) == NULL) {
			char pr[LIMIT_ACCOUNT_MAX * 4];

			strv_printable(strv_cstr(accounts[i]), pr, sizeof(pr));
			msg_warn("report: no events for account \"%.100s\"", pr);
		}
	}
	buf_init(&b, 0);
	if (json)
		rep_json(r, &out, &b);
	else
		rep_text(r, &out, &b);
	buf_release(&b);
	/* A reader that stopped early (head) is not an error. */
	if (fflush(stdout) != 0 && errno != EPIPE)
		msg_fatal("write to standard output failed");
	if (popts.verbose)
		pipe_print_stats(&st);
	rep_free(&r);
	mem_free(accounts);
	return rc < 0 || msg_had_error() ? EXIT_TROUBLE : EXIT_NOTHING;

usage:
	fputs(report_synopsis, stderr);
	fputs("Try 'mailsentry report --help' for more information.\n", stderr);
	mem_free(accounts);
	return EXIT_TROUBLE;
}
