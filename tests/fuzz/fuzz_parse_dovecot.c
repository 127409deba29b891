/* fuzz_parse_dovecot.c - parse_dovecot on arbitrary frames
 * SUMMARY  Input: the program name up to the first newline, then the
 *          message. Runs the parser directly and through parse_line, and
 *          checks that every event's address is a canonical one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check(const struct parse_out *out, enum parse_result r)
{
	int i;

	if (r == PARSE_EVENTS && out->n == 0)
		abort();
	if (r != PARSE_EVENTS && out->n != 0)
		abort();
	for (i = 0; i < out->n; i++) {
		struct netaddr a;
		size_t n = strlen(out->ev[i].ip);

		if (n > 0 && netaddr_parse(out->ev[i].ip, n, &a) < 0)
			abort();
		if (!evt_is_public(&out->ev[i]))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nl;
	struct parse_out out;
	struct frame f;
	enum parse_result r;

	if (size > LIMIT_LINE_MAX)
		return 0;
	memset(&f, 0, sizeof(f));
	f.kind = FRAME_RFC3164;
	f.host = STRV_LIT("mx");
	nl = memchr(p, '\n', size);
	if (nl != NULL) {
		f.prog = strv_make(p, (size_t)(nl - p));
		f.msg = strv_make(nl + 1, size - (size_t)(nl - p) - 1);
	} else
		f.msg = strv_make(p, size);
	out.n = 0;
	r = parse_dovecot(&f, &out);
	fuzz_check(&out, r);
	r = parse_line(&f, &out);
	if (r != PARSE_UNKNOWN_PROG)
		fuzz_check(&out, r);
	return 0;
}
