/* fuzz_parse_spamd.c - parse_spamd on arbitrary bytes, one line per '\n'
 * SUMMARY  Each line is handed to the parser as the message of a "spamd"
 *          frame, directly and through parse_line; every invariant of
 *          fuzz_parser_check must hold. */
#include <stddef.h>
#include <stdint.h>

#include "parse/parse.h"
#include "parsetest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_parser_lines(data, size, FRAME_RFC3164, "spamd", parse_spamd);
}
