/* test_evt_pack.c - evt_pack/evt_unpack give back the event every reader
 * saw: the same scalars, the same strings up to their NUL, the same JSON.
 * Over events filled to every limit, empty ones, a stream of them back to
 * back, and every event the parsers make of the shared corpus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/evt.h"
#include "core/evt_pack.h"
#include "corpus.h"
#include "parse/parse.h"
#include "util/buf.h"

/* a and b are the same event for every reader. */
static void
assert_same(const struct evt *a, const struct evt *b)
{
	struct buf ja, jb;

	assert_memory_equal(a, b, offsetof(struct evt, service));
#define SAME(f) assert_string_equal(a->f, b->f);
	SAME(service) SAME(account) SAME(ip) SAME(mech) SAME(qid) SAME(dlv) SAME(ndr_qid)
	SAME(sender) SAME(recipient) SAME(relay) SAME(dsn) SAME(reason) SAME(host)
#undef SAME
	buf_init(&ja, 0);
	buf_init(&jb, 0);
	evt_json(a, &ja);
	evt_json(b, &jb);
	assert_int_equal(ja.len, jb.len);
	assert_memory_equal(ja.data, jb.data, ja.len);
	buf_release(&ja);
	buf_release(&jb);
}

/* Pack e, unpack it over garbage, compare. */
static size_t
round_trip(const struct evt *e)
{
	static uint8_t packed[EVT_PACK_MAX];
	static struct evt back;
	size_t n, m;

	n = evt_pack(e, packed);
	assert_true(n <= EVT_PACK_MAX);
	memset(&back, 0xa5, sizeof(back));
	m = evt_unpack(packed, &back);
	assert_int_equal(n, m);
	assert_same(e, &back);
	return n;
}

static void
fill(char *dst, size_t size, char c)
{
	memset(dst, c, size - 1);
	dst[size - 1] = '\0';
}

static void
full_event(struct evt *e, unsigned seed)
{
	memset(e, 0, sizeof(*e));
	e->type = EVT_DELIVERY;
	e->status = EVT_STATUS_BOUNCED;
	e->source = "postfix";
	e->time = 1767225600 + seed;
	e->usec = 999999;
	e->flags = EVT_HAS_SENDER | EVT_HAS_NRCPT | EVT_HAS_SIZE | EVT_HAS_SCORE;
	e->nrcpt = 4000000000u;
	e->attempts = seed;
	e->size = UINT64_MAX;
	e->score = -1e300;
	assert_int_equal(evt_set_ip(e, strv_cstr("2001:db8:ffff:ffff:ffff:ffff:ffff:fffe")), 0);
	/* every string at its longest: size - 1 bytes */
	fill(e->service, sizeof(e->service), 's');
	fill(e->account, sizeof(e->account), (char)('a' + seed % 26));
	fill(e->mech, sizeof(e->mech), 'M');
	fill(e->qid, sizeof(e->qid), 'Q');
	fill(e->dlv, sizeof(e->dlv), '7');
	fill(e->ndr_qid, sizeof(e->ndr_qid), 'N');
	fill(e->sender, sizeof(e->sender), 'f');
	fill(e->recipient, sizeof(e->recipient), 'r');
	fill(e->relay, sizeof(e->relay), 'x');
	fill(e->dsn, sizeof(e->dsn), '5');
	fill(e->reason, sizeof(e->reason), 'w');
	fill(e->host, sizeof(e->host), 'h');
}

static void
test_full(void **state)
{
	struct evt *e = calloc(1, sizeof(*e));

	(void)state;
	full_event(e, 3);
	assert_true(round_trip(e) > sizeof(struct evt) / 2);
	free(e);
}

static void
test_empty(void **state)
{
	struct evt *e = calloc(1, sizeof(*e));

	(void)state;
	evt_clear(e);
	e->type = EVT_AUTH_FAILURE;
	e->source = "dovecot";
	/* an empty event is small: the scalars and thirteen lengths */
	assert_int_equal(round_trip(e), offsetof(struct evt, service) + 13 * 2);
	free(e);
}

/* Events back to back, then read back in order: each unpack ends where
 * the next event starts, and a short string after a long one does not
 * keep the long one's tail. */
static void
test_stream(void **state)
{
	static uint8_t buf[64 * EVT_PACK_MAX];
	struct evt *in = calloc(64, sizeof(*in)), *out = calloc(1, sizeof(*out));
	size_t off = 0, i;

	(void)state;
	for (i = 0; i < 64; i++) {
		full_event(&in[i], (unsigned)i);
		in[i].account[i * 5] = '\0';
		in[i].reason[i % 3] = '\0';
		off += evt_pack(&in[i], buf + off);
	}
	memset(out, 0xa5, sizeof(*out));
	for (i = 0, off = 0; i < 64; i++) {
		off += evt_unpack(buf + off, out);
		assert_same(&in[i], out);
	}
	free(in);
	free(out);
}

struct corpus_run {
	struct frame_ctx ctx;
	unsigned events;
};

static int
corpus_line(const struct corpus_line *l, void *arg)
{
	struct corpus_run *c = arg;
	static struct parse_out out;
	struct frame f;
	int i;

	if (corpus_frame(&c->ctx, 0, (int64_t)time(NULL), l, &f) == CORPUS_UNFRAMED)
		return 0;
	out.n = 0;
	if (parse_line(&f, &out) != PARSE_EVENTS)
		return 0;
	for (i = 0; i < out.n; i++) {
		round_trip(&out.ev[i]);
		c->events++;
	}
	return 0;
}

static void
test_corpus(void **state)
{
	static struct corpus_run c;

	(void)state;
	if (corpus_dir() == NULL) {
		printf("# SKIP corpus: MS_CORPUS is not set or not a directory\n");
		skip();
	}
	static const char *const globs[] = {
		"fail2ban/*", "crowdsec-hub/*", "mailgraph/*", "maillogsentinel/*", "modoboa/*",
		"ossec-hids/log-entries/*", "qmail-grafical-stats/*", "parse-syslog-mail/t/*.log",
		"parse-syslog-mail/t/logs/*", "pixelpark-postfix-logsums/test/*",
		"exim-testsuite/test/log/*",
	};

	assert_true(CORPUS_EACH_OF(globs, corpus_line, &c) > 0);
	printf("# %u corpus events packed and unpacked\n", c.events);
	assert_true(c.events > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
