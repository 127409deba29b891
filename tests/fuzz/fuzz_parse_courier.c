/* fuzz_parse_courier.c - parse_courier on arbitrary frames
 * SUMMARY  Input: the program name up to the first newline, then the
 *          message. Runs the parser directly and through parse_line, and
 *          checks every invariant of fuzz_parser_check, every event's type
 *          a public one. */
#include <stddef.h>
#include <stdint.h>

#include "parse/parse.h"
#include "parsetest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_parser_tagged(data, size, "", parse_courier, FUZZ_PUBLIC);
}
