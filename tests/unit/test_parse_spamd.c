/* test_parse_spamd.c - parse_spamd: one vector per rule, malformed and
 * hostile lines, and every spamd line of the shared corpus */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <dirent.h>

#include "parse/parse.h"
#include "util/buf.h"
#include "util/netaddr.h"

#define T0 1700000000	/* 2023-11-14T22:13:20Z */

static struct frame
mkframe(const char *prog, const char *msg)
{
	struct frame f;

	memset(&f, 0, sizeof(f));
	f.kind = FRAME_RFC3164;
	f.time = T0;
	f.prog = strv_cstr(prog);
	f.msg = strv_cstr(msg);
	return f;
}

/* All events of a line as JSON, one per line. */
static enum parse_result
run(const char *msg, char *json, size_t size)
{
	struct frame f = mkframe("spamd", msg);
	struct parse_out out;
	enum parse_result r = parse_line(&f, &out);
	struct buf b;
	int i;

	buf_init(&b, 1 << 16);
	for (i = 0; r == PARSE_EVENTS && i < out.n; i++) {
		if (i > 0)
			buf_append(&b, "\n", 1);
		evt_json(&out.ev[i], &b);
	}
	snprintf(json, size, "%.*s", (int)b.len, b.data ? b.data : "");
	buf_release(&b);
	return r;
}

#define J(s) "{\"time\":\"2023-11-14T22:13:20Z\",\"source\":\"spamd\"," s "}"

static const struct {
	const char *msg, *want;
} vectors[] = {
	{ "spamd: result: Y 8 - BAYES_99,URIBL_BLACK scantime=4.2,size=1432,user=u@example.org,uid=98,required_score=5.0,rhost=localhost,raddr=127.0.0.1,rport=45678,mid=<x@example.com>,autolearn=no",
	  J("\"type\":\"spam_check\",\"account\":\"u@example.org\",\"size\":1432,\"status\":\"spam\",\"score\":8.0") },
	{ "result: .  0 - AWL,FORGED_RCVD_HELO scantime=1.6,size=3347,mid=<x@example.com>,autolearn=ham",
	  J("\"type\":\"spam_check\",\"size\":3347,\"status\":\"clean\",\"score\":0.0") },
	{ "spamd: result: . -1 - DKIM_SIGNED,SPF_PASS scantime=3.4,size=120289,user=debian-spamd,uid=119,required_score=5.0,rhost=127.0.0.1,raddr=127.0.0.1,rport=44944,mid=<1@example.org>,autolearn=disabled",
	  J("\"type\":\"spam_check\",\"account\":\"debian-spamd\",\"size\":120289,\"status\":\"clean\",\"score\":-1.0") },
	{ "identified spam (8.1/6.0) for root:98 in 4.2 seconds, 1432 bytes.",
	  J("\"type\":\"spam_check\",\"account\":\"root\",\"size\":1432,\"status\":\"spam\",\"score\":8.1") },
	{ "spamd: clean message (-0.3/5.0) for u@example.org:1001 in 1.6 seconds, 3347 bytes.",
	  J("\"type\":\"spam_check\",\"account\":\"u@example.org\",\"size\":3347,\"status\":\"clean\",\"score\":-0.3") },
};

static const struct {
	const char *msg;
	enum parse_result want;
} others[] = {
	{ "connection from localhost [127.0.0.1] at port 49144", PARSE_NOEVENT },
	{ "spamd: connection from mx.example.org [192.0.2.1]:41234 to port 783, fd 5", PARSE_NOEVENT },
	{ "checking message <x@example.com> for root:98.", PARSE_NOEVENT },
	{ "spamd: processing message <x@example.com> for debian-spamd:119", PARSE_NOEVENT },
	{ "spamd: something else", PARSE_UNMATCHED },
	{ "spamd: result: Z 8 - X scantime=1,size=1", PARSE_MALFORMED },
	{ "spamd: result: Y 8x - X scantime=1,size=1", PARSE_MALFORMED },
	{ "spamd: result: Y 99999999999999999999 - X scantime=1,size=1", PARSE_MALFORMED },
	{ "spamd: result: Y 8 - X scantime=1,size=12k", PARSE_MALFORMED },
	{ "identified spam (8..1/6.0) for root:98 in 4.2 seconds, 1432 bytes.", PARSE_MALFORMED },
};

static void
test_vectors(void **state)
{
	char got[8192];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		enum parse_result r = run(vectors[i].msg, got, sizeof(got));

		if (r != PARSE_EVENTS || strcmp(got, vectors[i].want) != 0)
			fail_msg("vector %zu: %s\n got %d %s\nwant %s", i, vectors[i].msg, (int)r, got,
				 vectors[i].want);
	}
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		enum parse_result r = run(others[i].msg, got, sizeof(got));

		if (r != others[i].want)
			fail_msg("line %zu: %s: got %d want %d", i, others[i].msg, (int)r,
				 (int)others[i].want);
	}
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
test_hostile(void **state)
{
	static const char *const units[] = { "result: ", " ", "user=", ",", "(", "/", " for ",
					     "9" };
	static char msg[LIMIT_LINE_MAX];
	struct parse_out out;
	size_t u, len;

	(void)state;
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		struct frame f;
		double t0;
		size_t ul = strlen(units[u]);

		len = (size_t)snprintf(msg, sizeof(msg), "identified spam (");
		while (len + ul < sizeof(msg) - 1) {
			memcpy(msg + len, units[u], ul);
			len += ul;
		}
		msg[len] = '\0';
		f = mkframe("spamd", msg);
		t0 = now_ms();
		parse_line(&f, &out);
		memcpy(msg, "result: Y ", 10);
		parse_line(&f, &out);
		if (now_ms() - t0 > 200)
			fail_msg("unit \"%s\" took %.0f ms", units[u], now_ms() - t0);
	}
}

/* --- the shared corpus ------------------------------------------------- */

/* The message of a spamd line: after "spamd[pid]: " in a syslog line, or
 * the "message" value of a SEKOIA JSON test (unescaped enough for spamd's
 * text, which holds no escapes). */
static bool
split_spamd(char *line, struct frame *f)
{
	char *p = strstr(line, "spamd["), *q;

	if (p == NULL && (p = strstr(line, "\"message\": \"spamd: ")) != NULL) {
		p += 12;
		if ((q = strrchr(p, '"')) == NULL)
			return false;
		*q = '\0';
		*f = mkframe("spamd", p);
		return true;
	}
	if (p == NULL)
		return false;
	for (q = p + 6; *q >= '0' && *q <= '9'; q++)
		;
	if (q[0] != ']' || q[1] != ':' || q[2] != ' ')
		return false;
	if ((p = strchr(q, '"')) != NULL && strstr(line, "\"message\"") != NULL)
		*p = '\0';	/* JSON-wrapped syslog line */
	*f = mkframe("spamd", q + 3);
	return true;
}

static char *
corpus_path(const char *rel)
{
	const char *dir = getenv("MS_CORPUS");
	static char path[4096];

	if (dir == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

static void
test_corpus(void **state)
{
	unsigned counts[5] = { 0 }, lines = 0, bad = 0, spam = 0, clean = 0;
	char dirpath[4096];
	DIR *d;
	struct dirent *de;
	int pass;

	(void)state;
	if (corpus_path("") == NULL) {
		print_message("skip: MS_CORPUS not set\n");
		skip();
	}
	for (pass = 0; pass < 3; pass++) {
		static const char *const dirs[] = { "ossec-hids/log-entries", "sekoia-intake-formats/postfix",
						    "sekoia-intake-formats/spamassassin" };

		snprintf(dirpath, sizeof(dirpath), "%s", corpus_path(dirs[pass]));
		if ((d = opendir(dirpath)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			char path[8192], line[LIMIT_LINE_MAX + 2];
			FILE *fp;

			if (strstr(de->d_name, "spamd") == NULL && pass != 2)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
			if ((fp = fopen(path, "r")) == NULL)
				continue;
			while (fgets(line, sizeof(line), fp) != NULL) {
				struct parse_out out;
				struct frame f;
				enum parse_result r;

				line[strcspn(line, "\r\n")] = '\0';
				if (!split_spamd(line, &f))
					continue;
				lines++;
				r = parse_line(&f, &out);
				counts[r]++;
				if (r == PARSE_EVENTS && out.ev[0].status == EVT_STATUS_SPAM)
					spam++;
				if (r == PARSE_EVENTS && out.ev[0].status == EVT_STATUS_CLEAN)
					clean++;
				/* a verdict naming a user must be read */
				if ((strstr(line, "user=") != NULL || strstr(line, "result:") != NULL ||
				     strstr(line, "identified spam") != NULL ||
				     strstr(line, "clean message") != NULL) &&
				    r != PARSE_EVENTS) {
					print_message("%s: %d: %s\n", de->d_name, (int)r, line);
					bad++;
				}
				if (getenv("MS_VERBOSE") != NULL && r != PARSE_EVENTS &&
				    r != PARSE_NOEVENT)
					print_message("%d: %s\n", (int)r, line);
			}
			fclose(fp);
		}
		closedir(d);
	}
	if (lines == 0) {
		print_message("skip: no spamd corpus files under MS_CORPUS\n");
		skip();
	}
	print_message("spamd corpus: %u lines: %u events (%u spam, %u clean), %u no-event, "
		      "%u unmatched, %u malformed\n",
		      lines, counts[PARSE_EVENTS], spam, clean, counts[PARSE_NOEVENT],
		      counts[PARSE_UNMATCHED], counts[PARSE_MALFORMED]);
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
