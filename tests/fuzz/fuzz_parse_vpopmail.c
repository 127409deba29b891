/* fuzz_parse_vpopmail.c - parse_vpopmail on arbitrary bytes
 * SUMMARY  The first byte picks the program name the line is framed with
 *          (none = multilog, "vpopmail", or a vchkpw tag as the program);
 *          the rest is the message. Runs the parser directly and through
 *          parse_line; every invariant of fuzz_parser_check must hold
 *          (events printable as JSON among them). */
#include <stddef.h>
#include <stdint.h>

#include "parse/parse.h"
#include "parsetest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const progs[] = {
		"", "vpopmail", "vchkpw-pop3", "vchkpw",
	};

	return FUZZ_PARSER_PICKED(data, size, progs, parse_vpopmail);
}
