/* cmd_config.c - `mailsentry config`: the settings and their meaning
 * SUMMARY  --defaults prints every setting with its default value and a
 *          comment saying what it does (a valid settings file); without it,
 *          the settings as --config and -o make them. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "serve/settings.h"
#include "util/mem.h"
#include "util/msg.h"

static const char config_synopsis[] =
	"usage: mailsentry config [--defaults] [--config FILE] [-o NAME=VALUE]...\n";

static const char config_usage[] =
	"Print every setting as a settings file: name = value, each preceded by a\n"
	"comment saying what it means. The file syntax is Postfix's main.cf: '#'\n"
	"starts a comment line, a line starting with white space continues the\n"
	"previous one, a later assignment wins. Durations take s, m, h, d, w.\n"
	"\n"
	"  -d, --defaults     the defaults (ignores --config and -o)\n"
	"  -c, --config FILE  read FILE, then print the result (checks a file)\n"
	"  -o NAME=VALUE      override one setting (repeatable)\n"
	"  -h, --help         this text\n"
	"\n"
	"Exit status: 0, or 2 when the settings are wrong (the message names the\n"
	"file, line and setting).\n";

int
cmd_config(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "defaults", no_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	char **opts = NULL;
	size_t nopts = 0;
	bool defaults = false;
	struct settings conf;
	const struct conf_def *defs;
	size_t ndefs;
	int c, rc = EXIT_NOTHING;

	while ((c = getopt_long(argc, argv, "dc:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			defaults = true;
			break;
		case 'c':
			config = optarg;
			break;
		case 'o':
			opts = mem_reallocarray(opts, nopts + 1, sizeof(*opts));
			opts[nopts++] = optarg;
			break;
		case 'h':
			fputs(config_synopsis, stdout);
			fputs("\n", stdout);
			fputs(config_usage, stdout);
			mem_free(opts);
			return EXIT_NOTHING;
		default:
			fputs(config_synopsis, stderr);
			mem_free(opts);
			return EXIT_TROUBLE;
		}
	}
	if (optind < argc) {
		msg_warn("config: unexpected argument \"%.60s\"", argv[optind]);
		fputs(config_synopsis, stderr);
		mem_free(opts);
		return EXIT_TROUBLE;
	}
	defs = settings_defs(&ndefs);
	if (settings_load(&conf, defaults ? NULL : config, defaults ? NULL : opts,
			  defaults ? 0 : nopts) < 0)
		rc = EXIT_TROUBLE;
	else
		conf_print(defs, ndefs, &conf, stdout, true);
	settings_free(&conf);
	mem_free(opts);
	return rc;
}
