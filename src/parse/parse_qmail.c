/* parse_qmail.c - qmail log lines (placeholder until the rule table lands) */
#include "parse/parse.h"

enum parse_result
parse_qmail(const struct frame *f, struct parse_out *out)
{
	(void)f;
	(void)out;
	return PARSE_UNMATCHED;
}
