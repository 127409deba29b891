/* main.c - mailsentry: find and stop compromised mail accounts
 * SUMMARY  Looks up the command and hands it its arguments; nothing else. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/msg.h"

#ifndef MS_VERSION
#define MS_VERSION "0.1.0"
#endif

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "events", cmd_events, "print normalized events from mail logs as JSON lines" },
	{ "report", cmd_report, "per-account forensic summary of mail logs" },
	{ "scan", cmd_scan, "find compromised accounts and abusive clients in mail logs" },
	{ "config", cmd_config, "print the settings with their defaults and meaning" },
	{ "serve", cmd_serve, "run the daemon: Postfix policy service, log follow, locks" },
	{ "status", cmd_control, "ask the running daemon how it is" },
	{ "list", cmd_control, "list the locked accounts" },
	{ "incidents", cmd_control, "list the incidents" },
	{ "lock", cmd_control, "lock an account: its mail is refused" },
	{ "unlock", cmd_control, "unlock an account" },
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: mailsentry COMMAND [OPTION]... [FILE]...\n\n"
		    "Detects compromised mail accounts and abusive clients from the logs of\n"
		    "Postfix, qmail/vpopmail, Dovecot, Courier, Sendmail and Exim.\n\n"
		    "Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\n'mailsentry COMMAND --help' describes a command.\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	signal(SIGPIPE, SIG_IGN);	/* a closed stdout is an EPIPE we handle */
	if (argc < 2) {
		usage(stderr);
		return EXIT_TROUBLE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_NOTHING;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("mailsentry %s\n", MS_VERSION);
		return EXIT_NOTHING;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	msg_warn("unknown command \"%.40s\"", argv[1]);
	usage(stderr);
	return EXIT_TROUBLE;
}
