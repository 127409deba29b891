/* cli.h - the commands, and what they share
 * SUMMARY  main() only looks up argv[1] in the command table and calls
 *          cmd_<verb>(argc - 1, argv + 1); each command parses its own
 *          options. Exit codes (DESIGN.md): 0 nothing found, 1 findings,
 *          2 usage or input error. */
#ifndef MS_CLI_H
#define MS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli_pipe.h"

#define EXIT_NOTHING 0
#define EXIT_FINDINGS 1
#define EXIT_TROUBLE 2

int cmd_events(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_control(int argc, char **argv);


/* Common options of the log-reading commands. Returns 0, or -1 after
 * printing a usage error. */
int cli_parse_year(const char *arg, int *year);
/* --jobs N: 1 to 1024 (2 and more run the same two threads), or -1
 * after a usage message. */
int cli_parse_jobs(const char *arg, unsigned *jobs);
/* --format text|json: *json set, or -1 after a usage message. */
int cli_parse_format(const char *arg, bool *json);
/* Write all of p to stdout; a closed pipe (head) ends the program quietly. */
void cli_write(const void *p, size_t len);

#endif
