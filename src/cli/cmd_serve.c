/* cmd_serve.c - `mailsentry serve` and the control commands that talk to it
 * SUMMARY  serve runs the daemon in the foreground (systemd Type=simple);
 *          status, list, incidents, lock and unlock connect to its control
 *          socket, found from the same --config and -o settings. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "serve/srv.h"
#include "util/mem.h"
#include "util/msg.h"

static const char serve_usage[] =
	"usage: mailsentry serve [--config FILE] [-o NAME=VALUE]...\n"
	"\n"
	"Run the daemon in the foreground: the Postfix policy service (policy_listen),\n"
	"the followed logs (follow), the detectors, locks and incidents in state_dir,\n"
	"the control socket and the metrics endpoint. It runs with no settings file\n"
	"at all; 'mailsentry config --defaults' lists every setting. SIGHUP reloads\n"
	"the settings file (answers, rates, actions), SIGTERM stops cleanly.\n"
	"\n"
	"  -c, --config FILE   settings file (Postfix main.cf syntax)\n"
	"  -o NAME=VALUE       override one setting (repeatable)\n"
	"  -h, --help          this text\n"
	"\n"
	"Control commands, talking to the running daemon over control_socket:\n"
	"  mailsentry status | list | incidents [--config FILE] [-o NAME=VALUE]...\n"
	"  mailsentry lock ACCOUNT | unlock ACCOUNT [--config FILE] [-o ...]\n"
	"\n"
	"Exit status: serve 0 after SIGTERM, 2 when it cannot start (the reason is\n"
	"said); control commands 0 done, 1 refused (e.g. not locked), 2 no daemon.\n";

/* --config and -o, shared by serve and the control commands; the first
 * non-option argument (if any) is left at argv[optind]. */
static int
settings_args(int argc, char **argv, const char **config, char ***opts, size_t *nopts)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'o':
			*opts = mem_reallocarray(*opts, *nopts + 1, sizeof(**opts));
			(*opts)[(*nopts)++] = optarg;
			break;
		case 'h':
			fputs(serve_usage, stdout);
			return 1;
		default:
			fputs(serve_usage, stderr);
			return -1;
		}
	}
	return 0;
}

int
cmd_serve(int argc, char **argv)
{
	const char *config = NULL;
	char **opts = NULL;
	size_t nopts = 0;
	int r = settings_args(argc, argv, &config, &opts, &nopts);

	if (r == 0 && optind < argc) {
		msg_warn("serve: unexpected argument \"%.60s\"", argv[optind]);
		r = -1;
	}
	if (r == 0)
		r = srv_run(config, opts, nopts);
	else
		r = r > 0 ? EXIT_NOTHING : EXIT_TROUBLE;
	mem_free(opts);
	return r;
}

/* status, list, incidents, lock ACCOUNT, unlock ACCOUNT */
int
cmd_control(int argc, char **argv)
{
	const char *config = NULL;
	char **opts = NULL, path[1024], req[1024];
	size_t nopts = 0;
	struct settings s;
	bool takes_account = strcmp(argv[0], "lock") == 0 || strcmp(argv[0], "unlock") == 0;
	int r = settings_args(argc, argv, &config, &opts, &nopts);

	if (r == 0 && takes_account != (optind + 1 == argc)) {
		msg_warn("%s: %s", argv[0], takes_account ? "one account name expected"
							  : "no argument expected");
		r = -1;
	}
	if (r != 0) {
		mem_free(opts);
		return r > 0 ? EXIT_NOTHING : EXIT_TROUBLE;
	}
	if (settings_load(&s, config, opts, nopts) < 0) {
		settings_free(&s);
		mem_free(opts);
		return EXIT_TROUBLE;
	}
	settings_control_socket(&s, path, sizeof(path));
	if (takes_account && strpbrk(argv[optind], "\r\n") != NULL) {
		msg_warn("%s: an account name has no line breaks", argv[0]);
		r = EXIT_TROUBLE;
	} else {
		snprintf(req, sizeof(req), "%s%s%s", argv[0], takes_account ? " " : "",
			 takes_account ? argv[optind] : "");
		r = srv_control_request(path, req);
	}
	settings_free(&s);
	mem_free(opts);
	return r;
}
