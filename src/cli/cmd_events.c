/* cmd_events.c - `mailsentry events FILE...`: normalized events as JSON lines */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "util/buf.h"
#include "util/msg.h"

static const char events_usage[] =
	"usage: mailsentry events [--year YYYY] [--jobs N] [--verbose] FILE...\n"
	"\n"
	"Print every event found in mail logs as one JSON object per line, in log\n"
	"order. FILE may be plain or compressed (gzip, bzip2, xz, zstd: detected by\n"
	"content) or - for standard input; rotated files may be given in any order\n"
	"and are read oldest first.\n"
	"\n"
	"  --year YYYY   year of the first line of logs whose timestamps carry none\n"
	"                (RFC 3164 syslog); default: inferred from the file's\n"
	"                modification time, and said on standard error\n"
	"  -j, --jobs N  threads: 1 (default) does all in one; 2 reads, parses and\n"
	"                correlates in one and writes JSON in another (more than 2\n"
	"                is the same as 2); the output is the same\n"
	"  -v, --verbose show the first skipped lines of each kind and the counts\n"
	"  -h, --help    this text\n"
	"\n"
	"Exit status: 0 on success, 2 on a usage error or a file that could not be\n"
	"read (the other files are still read).\n";

struct events_out {
	struct buf b;
};

static void
events_sink(void *arg, const struct evt *e)
{
	struct events_out *o = arg;

	evt_json(e, &o->b);
	buf_append_char(&o->b, '\n');
	if (o->b.len >= 1 << 16) {
		cli_write(o->b.data, o->b.len);
		buf_reset(&o->b);
	}
}

int
cmd_events(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "year", required_argument, NULL, 'y' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pipe_opts opts = { 0 };
	struct pipe_stats st;
	struct events_out out;
	unsigned jobs = 1;
	int c, rc;

	while ((c = getopt_long(argc, argv, "y:j:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'y':
			if (cli_parse_year(optarg, &opts.year) < 0)
				return EXIT_TROUBLE;
			break;
		case 'j':
			if (cli_parse_jobs(optarg, &jobs) < 0)
				return EXIT_TROUBLE;
			break;
		case 'v':
			opts.verbose = true;
			break;
		case 'h':
			fputs(events_usage, stdout);
			return EXIT_NOTHING;
		default:
			fputs(events_usage, stderr);
			return EXIT_TROUBLE;
		}
	}
	if (optind >= argc) {
		msg_warn("events: no input file (use - for standard input)");
		fputs(events_usage, stderr);
		return EXIT_TROUBLE;
	}
	buf_init(&out.b, 0);
	rc = pipe_run_jobs(jobs, argv + optind, (size_t)(argc - optind), &opts, events_sink,
		      &out, &st);
	cli_write(out.b.data, out.b.len);
	buf_release(&out.b);
	if (fflush(stdout) != 0)
		msg_fatal("write to standard output failed");
	if (opts.verbose)
		pipe_print_stats(&st);
	return rc < 0 || msg_had_error() ? EXIT_TROUBLE : EXIT_NOTHING;
}
