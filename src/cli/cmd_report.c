/* cmd_report.c - placeholder */
#include "cli/cli.h"

int
cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return EXIT_TROUBLE;
}
