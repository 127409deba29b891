/* fuzz_parse_qmail.c - parse_qmail on arbitrary bytes
 * SUMMARY  The first byte picks the program name the line is framed with
 *          (none = multilog, splogger's "qmail", or one of the programs
 *          that share the parser); the rest is the message. Every event
 *          produced must be printable as JSON. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parse/parse.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const progs[] = {
		"", "qmail", "qmail-smtpd", "qmail-send", "tcpserver",
		"rblsmtpd", "spamdyke", "simscan", "qmail-scanner",
	};
	struct parse_out out;
	struct frame f;
	struct buf b;
	int i;

	if (size == 0 || size > LIMIT_LINE_MAX)
		return 0;
	memset(&f, 0, sizeof(f));
	f.time = 1374486766;
	f.prog = strv_cstr(progs[data[0] % (sizeof(progs) / sizeof(progs[0]))]);
	f.msg = strv_make((const char *)data + 1, size - 1);
	out.n = 0;
	(void)parse_qmail(&f, &out);
	buf_init(&b, 1 << 16);
	for (i = 0; i < out.n; i++) {
		buf_reset(&b);
		evt_json(&out.ev[i], &b);
	}
	buf_release(&b);
	return 0;
}
