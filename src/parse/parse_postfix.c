/* parse_postfix.c - postfix log lines (placeholder until the rule table lands) */
#include "parse/parse.h"

enum parse_result
parse_postfix(const struct frame *f, struct parse_out *out)
{
	(void)f;
	(void)out;
	return PARSE_UNMATCHED;
}
