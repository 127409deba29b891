/* cli_util.c - what the commands share */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/msg.h"
#include "util/scan.h"

int
cli_parse_year(const char *arg, int *year)
{
	uint32_t y;

	if (scan_u32(arg, strlen(arg), &y) < 0 || y < 1970 || y > 9999) {
		msg_warn("--year: \"%.20s\" is not a year between 1970 and 9999", arg);
		return -1;
	}
	*year = (int)y;
	return 0;
}

int
cli_parse_jobs(const char *arg, unsigned *jobs)
{
	uint32_t n;

	if (scan_u32(arg, strlen(arg), &n) < 0 || n < 1 || n > 1024) {
		msg_warn("--jobs: \"%.20s\" is not a number of threads from 1 to 1024", arg);
		return -1;
	}
	*jobs = n;
	return 0;
}

int
cli_parse_format(const char *arg, bool *json)
{
	if (strcmp(arg, "json") == 0) {
		*json = true;
	} else if (strcmp(arg, "text") == 0) {
		*json = false;
	} else {
		msg_warn("--format: \"%.20s\" is neither text nor json", arg);
		return -1;
	}
	return 0;
}

void
cli_write(const void *p, size_t len)
{
	if (len > 0 && fwrite(p, 1, len, stdout) != len) {
		if (errno == EPIPE)
			exit(EXIT_NOTHING);
		msg_fatal("write to standard output: %s", strerror(errno));
	}
}
