/* fuzz_parse_postfix.c - parse_postfix on arbitrary frames
 * SUMMARY  Input: the syslog tag up to the first newline ("postfix/smtpd"),
 *          then the message; without a newline, the message of
 *          "postfix/smtpd". Runs the parser directly and through
 *          parse_line and checks every invariant of fuzz_parser_check (the
 *          result against the events produced, canonical addresses, JSON). */
#include <stddef.h>
#include <stdint.h>

#include "parse/parse.h"
#include "parsetest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_parser_tagged(data, size, "postfix/smtpd", parse_postfix, 0);
}
