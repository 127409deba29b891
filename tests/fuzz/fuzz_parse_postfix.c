/* fuzz_parse_postfix.c - parse_postfix on arbitrary frames
 * SUMMARY  Input: the syslog tag up to the first newline ("postfix/smtpd"),
 *          then the message. Runs the parser directly and through
 *          parse_line, checks the result against the events produced, that
 *          every address is a canonical one, and that every event prints
 *          as JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check(const struct parse_out *out, enum parse_result r)
{
	struct buf b;
	int i;

	if ((r == PARSE_EVENTS) != (out->n > 0))
		abort();
	buf_init(&b, 1 << 16);
	for (i = 0; i < out->n; i++) {
		struct netaddr a;
		size_t n = strlen(out->ev[i].ip);

		if (n > 0 && netaddr_parse(out->ev[i].ip, n, &a) < 0)
			abort();
		if (out->ev[i].type == EVT_NONE)
			abort();
		buf_reset(&b);
		evt_json(&out->ev[i], &b);
	}
	buf_release(&b);
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
	f.time = 1374486766;
	f.host = STRV_LIT("mx");
	nl = memchr(p, '\n', size);
	if (nl != NULL) {
		f.prog = strv_make(p, (size_t)(nl - p));
		f.msg = strv_make(nl + 1, size - (size_t)(nl - p) - 1);
	} else {
		f.prog = STRV_LIT("postfix/smtpd");
		f.msg = strv_make(p, size);
	}
	out.n = 0;
	r = parse_postfix(&f, &out);
	fuzz_check(&out, r);
	r = parse_line(&f, &out);
	if (r != PARSE_UNKNOWN_PROG)
		fuzz_check(&out, r);
	return 0;
}
