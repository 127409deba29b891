/* fuzz_qmailq.c - arbitrary bytes through the qmail-queue wrapper's parsers
 * SUMMARY  src/qmailq/qq_proto.c is compiled into this target (it is built
 *          into mailsentry-qmail-queue on its own, linked with libc only).
 *          The input is
 *          - a daemon's answer (qq_answer_parse): QQ_OK gives a known
 *            verdict, a NUL-terminated word of 1..23 bytes without blanks
 *            and a text without NUL or newline; a proper prefix of the
 *            bytes an answer was found in is never QQ_OK with a different
 *            verdict; the custom-error string made of it is "D" or "Z" and
 *            printable ASCII, at most 201 bytes;
 *          - one NUL-terminated setting value (the input up to its first
 *            NUL, at most 400 bytes): qq_addr_parse, qq_duration_parse,
 *            qq_names_parse, qq_ip_canon, qq_printable (output printable,
 *            terminated, within its buffer);
 *          - that value as the account of a request (qq_req_format): when
 *            accepted, the daemon's own pol_parse reads it back as one
 *            complete smtpd_access_policy request with that sasl_username;
 *          - that value as an action text through the daemon's pol_answer,
 *            then qq_answer_parse: a known action word comes back with the
 *            same verdict-bearing word. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/pol_proto.h"
#include "util/buf.h"

#include "qmailq/qq_proto.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_printable(const char *s, size_t size)
{
	size_t i, n = strnlen(s, size);

	if (n == size)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort();
}

static void
fz_answer_ok(const struct qq_answer *a)
{
	size_t w = strnlen(a->word, sizeof(a->word)), t = strnlen(a->text, sizeof(a->text));

	if (w == 0 || w == sizeof(a->word) || t == sizeof(a->text))
		abort();
	if (strpbrk(a->word, " \t\r\n") != NULL || memchr(a->text, '\n', t) != NULL)
		abort();
	if (strcmp(qq_verdict_name(a->verdict), "unknown") == 0)
		abort();
}

static void
fz_custom(const struct qq_answer *a)
{
	char out[256];
	size_t n = qq_custom_error(a->verdict == QQ_REJECT, a, out, sizeof(out));

	if (n < 2 || n > 201 || n != strlen(out) || (out[0] != 'D' && out[0] != 'Z'))
		abort();
	fz_printable(out, sizeof(out));
	if (qq_custom_error(true, a, out, 1) != 0 || out[0] != '\0')
		abort();
}

static void
fz_answer_bytes(const char *p, size_t n)
{
	struct qq_answer a, b;
	const char *err = NULL;
	enum qq_status st;
	size_t k;

	memset(&a, 0, sizeof(a));
	st = qq_answer_parse(p, n, &a, &err);
	if (st == QQ_BAD && (err == NULL || err[0] == '\0'))
		abort();
	if (st != QQ_OK)
		return;
	fz_answer_ok(&a);
	fz_custom(&a);
	/* The answer ends at an empty line; bytes before it are not an answer
	 * of their own (or the same one, when an earlier empty line ends it). */
	for (k = n; k-- > 0 && n - k < 64;) {
		memset(&b, 0, sizeof(b));
		if (qq_answer_parse(p, k, &b, &err) == QQ_OK &&
		    (b.verdict != a.verdict || strcmp(b.word, a.word) != 0))
			abort();
	}
}

static void
fz_request(const char *account)
{
	static struct pol_req r;
	struct qq_req q = {
		.protocol_state = "DATA",
		.client_address = "192.0.2.7",
		.sasl_username = account,
		.sender = "",
	};
	char buf[QQ_REQ_MAX];
	const char *err = NULL;
	size_t used = 0;
	int n = qq_req_format(&q, buf, sizeof(buf), &err);

	if (n < 0) {
		if (qq_value_ok(account, false) || err == NULL)
			abort();
		return;
	}
	if (!qq_value_ok(account, false))
		abort();
	if (pol_parse(buf, (size_t)n, &used, &r, &err) != POL_OK || used != (size_t)n)
		abort();
	if (!strv_eq_cstr(r.sasl_username, account) || !strv_eq_cstr(r.protocol_state, "DATA") ||
	    r.sender.len != 0)
		abort();
}

static void
fz_roundtrip(const char *text)
{
	struct qq_answer a;
	const char *err = NULL;
	struct buf b;
	size_t w = 0;

	buf_init(&b, 0);
	if (pol_answer(&b, text) < 0)
		abort();
	memset(&a, 0, sizeof(a));
	switch (qq_answer_parse(b.data, b.len, &a, &err)) {
	case QQ_OK:
		fz_answer_ok(&a);
		/* The word is the first word of what the daemon sent. */
		while (7 + w < b.len && b.data[7 + w] != ' ' && b.data[7 + w] != '\n')
			w++;
		if (strlen(a.word) != w || memcmp(a.word, b.data + 7, w) != 0)
			abort();
		break;
	case QQ_BAD:
		if (err == NULL || strcmp(err, "unknown action") != 0)
			abort();	/* only the word may be refused */
		break;
	case QQ_MORE:
		abort();
	}
	buf_release(&b);
}

static void
fz_setting(const char *s)
{
	char names[QQ_NAMES_MAX][QQ_NAME_MAX], out[64], show[104];
	struct qq_addr a;
	const char *err = NULL;
	size_t n = 0, i;
	int ms = 0;

	if (qq_addr_parse(s, &a, &err) == 0) {
		if (a.family != AF_INET && a.family != AF_INET6 && a.family != AF_UNIX)
			abort();
		if (a.len == 0 || a.len > sizeof(a.ss))
			abort();
	} else if (err == NULL) {
		abort();
	}
	if (qq_duration_parse(s, &ms, &err) == 0 &&
	    (ms < QQ_TIMEOUT_MIN_MS || ms > QQ_TIMEOUT_MAX_MS))
		abort();
	if (qq_names_parse(s, names, &n, &err) == 0) {
		if (n == 0 || n > QQ_NAMES_MAX)
			abort();
		for (i = 0; i < n; i++)
			if (strnlen(names[i], QQ_NAME_MAX) == 0 ||
			    strnlen(names[i], QQ_NAME_MAX) == QQ_NAME_MAX ||
			    strpbrk(names[i], " \t,") != NULL)
				abort();
	}
	if (qq_ip_canon(s, out, sizeof(out)) == 0)
		fz_printable(out, sizeof(out));
	qq_printable(s, strlen(s), show, sizeof(show));
	fz_printable(show, sizeof(show));
	qq_printable(s, strlen(s), show, 3);
	if (strlen(show) > 2)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[401];
	size_t n = strnlen((const char *)data, size < 400 ? size : 400);

	fz_answer_bytes((const char *)data, size);
	memcpy(s, data, n);
	s[n] = '\0';
	fz_setting(s);
	fz_request(s);
	fz_roundtrip(s);
	return 0;
}
