/* fuzz_parse_spamd.c - parse_spamd on arbitrary bytes, one line per '\n'
 * SUMMARY  Each line is handed to the parser as the message of a "spamd"
 *          frame; every event it returns must hold NUL-terminated fields
 *          and a public or internal type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check(const struct parse_out *out)
{
	int i;

	if (out->n < 0 || out->n > LIMIT_EVENTS_PER_LINE)
		abort();
	for (i = 0; i < out->n; i++) {
		const struct evt *e = &out->ev[i];

		if (e->type == EVT_NONE || memchr(e->account, '\0', sizeof(e->account)) == NULL ||
		    memchr(e->reason, '\0', sizeof(e->reason)) == NULL ||
		    memchr(e->ip, '\0', sizeof(e->ip)) == NULL ||
		    memchr(e->recipient, '\0', sizeof(e->recipient)) == NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		struct frame f;
		struct parse_out out;

		memset(&f, 0, sizeof(f));
		f.kind = FRAME_RFC3164;
		f.prog = STRV_LIT("spamd");
		f.msg = strv_make(p, len < LIMIT_LINE_MAX ? len : LIMIT_LINE_MAX);
		out.n = 0;
		if (parse_spamd(&f, &out) == PARSE_EVENTS)
			fuzz_check(&out);
		p += len + 1;
	}
	return 0;
}
