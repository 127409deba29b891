/* parse_courier.c - courier log lines (placeholder until the rule table lands) */
#include "parse/parse.h"

enum parse_result
parse_courier(const struct frame *f, struct parse_out *out)
{
	(void)f;
	(void)out;
	return PARSE_UNMATCHED;
}
