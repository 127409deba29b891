/* fuzz_parse_qmail.c - parse_qmail on arbitrary bytes
 * SUMMARY  The first byte picks the program name the line is framed with
 *          (none = multilog, splogger's "qmail", or one of the programs
 *          that share the parser); the rest is the message. Runs the parser
 *          directly and through parse_line; every invariant of
 *          fuzz_parser_check must hold (events printable as JSON among them). */
#include <stddef.h>
#include <stdint.h>

#include "parse/parse.h"
#include "parsetest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const progs[] = {
		"", "qmail", "qmail-smtpd", "qmail-send", "tcpserver",
		"rblsmtpd", "spamdyke", "simscan", "qmail-scanner",
	};

	return FUZZ_PARSER_PICKED(data, size, progs, parse_qmail);
}
