/* test_report.c - report/: aggregation, score order, caps, text and JSON */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/evt.h"
#include "report/rep_acct.h"
#include "report/rep_ipset.h"
#include "report/rep_out.h"
#include "util/buf.h"
#include "util/timeconv.h"

/* 2013-07-22T00:00:00Z, the day of incident 1. */
#define T0 ((int64_t)1374451200)
#define HOUR 3600

/* Event builders: documentation addresses only. */

static void
ev_base(struct evt *e, enum evt_type type, const char *acct, const char *ip, int64_t t)
{
	evt_clear(e);
	e->type = type;
	e->source = "test";
	e->time = t;
	if (acct != NULL)
		assert_int_equal(EVT_SET(e, account, strv_cstr(acct)), 0);
	if (ip != NULL)
		assert_int_equal(evt_set_ip(e, strv_cstr(ip)), 0);
}

static void
ev_auth(struct rep *r, const char *acct, const char *ip, const char *svc, bool ok, int64_t t)
{
	struct evt e;

	ev_base(&e, ok ? EVT_AUTH_SUCCESS : EVT_AUTH_FAILURE, acct, ip, t);
	assert_int_equal(EVT_SET(&e, service, strv_cstr(svc)), 0);
	rep_add(r, &e);
}

static void
ev_msg(struct rep *r, const char *acct, const char *ip, int nrcpt, int64_t t)
{
	struct evt e;

	ev_base(&e, EVT_MESSAGE_ACCEPTED, acct, ip, t);
	if (nrcpt >= 0) {
		e.nrcpt = (uint32_t)nrcpt;
		e.flags |= EVT_HAS_NRCPT;
	}
	rep_add(r, &e);
}

static void
ev_dlv(struct rep *r, const char *acct, enum evt_status st, int64_t t)
{
	struct evt e;

	ev_base(&e, EVT_DELIVERY, acct, NULL, t);
	e.status = st;
	rep_add(r, &e);
}

static void
ev_simple(struct rep *r, enum evt_type type, const char *acct, const char *ip, int64_t t)
{
	struct evt e;

	ev_base(&e, type, acct, ip, t);
	rep_add(r, &e);
}

/* 2001:db8:N::H: distinct /48 per N, inside the documentation prefix. */
static const char *
ip6(unsigned net, unsigned host, char buf[NETADDR_STRLEN])
{
	snprintf(buf, NETADDR_STRLEN, "2001:db8:%x::%x", net & 0xffff, host & 0xffff);
	return buf;
}

/* One of the 768 IPv4 documentation addresses. */
static const char *
ip4(unsigned i, char buf[NETADDR_STRLEN])
{
	static const char *const nets[] = { "192.0.2", "198.51.100", "203.0.113" };

	snprintf(buf, NETADDR_STRLEN, "%s.%u", nets[(i / 256) % 3], i % 256);
	return buf;
}

static struct rep *
rep_default(void)
{
	struct rep_opts o = { 0 };

	return rep_new(&o);
}

/* A small account whose every figure is known. */
static void
test_counts(void **state)
{
	struct rep *r = rep_default();
	const struct rep_acct *a;
	const struct rep_unattr *u;
	const struct rep_totals *t;

	(void)state;
	ev_auth(r, "Hello@Example.com", "192.0.2.1", "submission", true, T0 + 10);
	ev_auth(r, "hello@example.com", "192.0.2.1", "smtp", true, T0 + 20);
	ev_auth(r, "HELLO@example.com", "192.0.2.2", "imap", true, T0 + 30);
	ev_auth(r, "hello@example.com", "198.51.100.1", "pop3", false, T0 + 40);
	ev_auth(r, "hello@example.com", "2001:db8:1::1", "imap", true, T0 + 50);
	ev_auth(r, "hello@example.com", "2001:db8:1::2", "submission", false, T0 + 60);
	ev_auth(r, "hello@example.com", "2001:db8:2::1", "imap", true, T0 + 2 * HOUR);
	ev_msg(r, "hello@example.com", "192.0.2.1", 3, T0 + 21);
	ev_msg(r, "hello@example.com", "192.0.2.1", 2, T0 + 22);
	ev_dlv(r, "hello@example.com", EVT_STATUS_SENT, T0 + 23);
	ev_dlv(r, "hello@example.com", EVT_STATUS_SENT, T0 + 23);
	ev_dlv(r, "hello@example.com", EVT_STATUS_SENT, T0 + 23);
	ev_dlv(r, "hello@example.com", EVT_STATUS_DEFERRED, T0 + 24);
	ev_dlv(r, "hello@example.com", EVT_STATUS_BOUNCED, T0 + 25);
	ev_simple(r, EVT_BOUNCE, "hello@example.com", NULL, T0 + 25);
	/* Not accounts. */
	ev_simple(r, EVT_AUTH_FAILURE, NULL, "203.0.113.9", T0 + 70);
	ev_simple(r, EVT_REJECT, NULL, "203.0.113.9", T0 + 71);
	ev_simple(r, EVT_REJECT, NULL, "203.0.113.8", T0 + 72);
	ev_simple(r, EVT_MESSAGE_ACCEPTED, NULL, "198.51.100.7", T0 + 73);
	rep_finish(r);

	assert_int_equal(rep_count(r), 1);
	a = rep_get(r, 0);
	assert_ptr_equal(rep_find(r, "HELLO@EXAMPLE.COM"), a);
	assert_string_equal(a->name, "Hello@Example.com");	/* first spelling */
	assert_int_equal(a->sum.logins_ok, 5);
	assert_int_equal(a->sum.logins_failed, 2);
	assert_int_equal(a->login_ok[REP_SVC_SMTP], 2);
	assert_int_equal(a->login_ok[REP_SVC_MAILBOX], 3);
	assert_int_equal(a->login_fail[REP_SVC_SMTP], 1);
	assert_int_equal(a->login_fail[REP_SVC_MAILBOX], 1);
	assert_int_equal(a->sum.ips, 6);
	assert_true(a->sum.ips_exact);
	assert_int_equal(a->sum.ips_v4, 3);
	assert_int_equal(a->sum.ips_v6, 3);
	/* 192.0.2.1 has 2 logins; 192.0.2.2, 2001:db8:1::1, 2001:db8:2::1 one;
	 * 198.51.100.1 and 2001:db8:1::2 only failures. */
	assert_int_equal(a->sum.ips_once, 3);
	assert_int_equal(a->sum.dist[0], 2);
	assert_int_equal(a->sum.dist[2], 1);
	assert_int_equal(a->nets.count[REP_NET_V4_24], 2);
	assert_int_equal(a->nets.count[REP_NET_V4_16], 2);
	assert_int_equal(a->nets.count[REP_NET_V6_48], 2);
	/* Used: 192.0 (/16) and both /48; 198.51 only failed. */
	assert_int_equal(a->sum.nets_used, 3);
	assert_int_equal(a->messages, 2);
	assert_int_equal(a->sum.recipients, 5);
	assert_true(a->sum.rcpt_from_nrcpt);
	assert_int_equal(a->sent, 3);
	assert_int_equal(a->deferred, 1);
	assert_int_equal(a->bounced, 1);
	assert_int_equal(a->sum.dlv_total, 5);
	assert_true(a->sum.fail_rate > 0.3999 && a->sum.fail_rate < 0.4001);
	assert_int_equal(a->bounces, 1);
	assert_true(a->first == T0 + 10);
	assert_true(a->last == T0 + 2 * HOUR);
	/* Timeline: hour 0 and hour 2. */
	assert_int_equal(a->tl_n, 2);
	assert_int_equal(a->tl[0].logins, 4);
	assert_int_equal(a->tl[0].failures, 2);
	assert_int_equal(a->tl[0].ips_new, 5);
	assert_int_equal(a->tl[0].messages, 2);
	assert_int_equal(a->tl[0].dlv_failed, 2);
	assert_int_equal(a->tl[1].logins, 1);
	assert_int_equal(a->tl[1].ips_new, 1);
	assert_true((int64_t)a->tl[1].hour * HOUR == T0 + 2 * HOUR);
	assert_true((int64_t)a->busiest.hour * HOUR == T0);
	assert_int_equal(a->peak_new, 5);

	u = rep_unattributed(r);
	assert_int_equal(u->by_type[EVT_AUTH_FAILURE], 1);
	assert_int_equal(u->by_type[EVT_REJECT], 2);
	assert_int_equal(u->by_type[EVT_MESSAGE_ACCEPTED], 1);
	assert_int_equal(rep_ipset_distinct(&u->ips), 3);
	t = rep_get_totals(r);
	assert_int_equal(t->events, 19);
	assert_int_equal(t->accounts, 1);
	assert_int_equal(t->logins_ok, 5);
	assert_int_equal(t->recipients, 5);
	assert_true(t->first == T0 + 10);
	rep_free(&r);
	assert_null(r);
}

/* qmail logs no nrcpt: recipients come from delivery outcomes. */
static void
test_recipients_from_deliveries(void **state)
{
	struct rep *r = rep_default();
	const struct rep_acct *a;

	(void)state;
	ev_msg(r, "q@example.org", "192.0.2.5", -1, T0);
	ev_dlv(r, "q@example.org", EVT_STATUS_SENT, T0 + 1);
	ev_dlv(r, "q@example.org", EVT_STATUS_DEFERRED, T0 + 2);
	ev_dlv(r, "q@example.org", EVT_STATUS_BOUNCED, T0 + 3);
	rep_finish(r);
	a = rep_find(r, "q@example.org");
	assert_non_null(a);
	assert_false(a->sum.rcpt_from_nrcpt);
	assert_int_equal(a->sum.recipients, 2);
	assert_int_equal(a->sum.fail_rate * 3 + 0.5, 2);
	rep_free(&r);
}

/* Incident 1 and the accounts it must outrank. */
static void
feed_population(struct rep *r)
{
	char ip[NETADDR_STRLEN];
	unsigned i, j;

	/* Hijacked: 880 IPs in 24 h, most once, some 2-3 times; each login
	 * sends spam to 20 remote recipients, half of it bounces. */
	for (i = 0; i < 880; i++) {
		int64_t t = T0 + (int64_t)i * 86400 / 880;
		const char *addr = i < 600 ? ip6(0x100 + i, 1, ip) : ip4(i - 600, ip);
		unsigned times = i % 50 == 0 ? 3 : i % 17 == 0 ? 2 : 1;

		for (j = 0; j < times; j++) {
			ev_auth(r, "hello@example.com", addr, "submission", true, t + j);
			ev_msg(r, "hello@example.com", addr, 20, t + j);
			ev_dlv(r, "hello@example.com", EVT_STATUS_SENT, t + j + 5);
			ev_dlv(r, "hello@example.com", EVT_STATUS_DEFERRED, t + j + 6);
			ev_dlv(r, "hello@example.com", EVT_STATUS_BOUNCED, t + j + 7);
			ev_dlv(r, "hello@example.com", EVT_STATUS_BOUNCED, t + j + 7);
			ev_simple(r, EVT_BOUNCE, "hello@example.com", NULL, t + j + 8);
		}
	}
	/* Probing after the password change. */
	for (i = 0; i < 10; i++)
		ev_auth(r, "hello@example.com", ip6(0x9000 + i, 7, ip), "submission", false,
			T0 + 86400 + 12 * HOUR + i);

	/* Bulk sender: one IP, 3000 messages of 5 recipients, 1.6% failed. */
	for (i = 0; i < 3000; i++) {
		int64_t t = T0 + (int64_t)i * 20;

		ev_auth(r, "news@example.org", "203.0.113.10", "submission", true, t);
		ev_msg(r, "news@example.org", "203.0.113.10", 5, t);
		for (j = 0; j < 5; j++)
			ev_dlv(r, "news@example.org",
			       (i * 5 + j) % 60 == 0 ? EVT_STATUS_BOUNCED : EVT_STATUS_SENT,
			       t + 2);
		if (i % 60 == 0)
			ev_simple(r, EVT_BOUNCE, "news@example.org", NULL, t + 3);
	}

	/* Traveler: 8 IPs over 3 days (hotel, airport, phone), IMAP and a few
	 * messages, all delivered. */
	for (i = 0; i < 8; i++) {
		const char *addr = i < 4 ? ip4(20 + i * 256 + (i / 3), ip) : ip6(0x50 + i, 2, ip);

		for (j = 0; j < 4; j++)
			ev_auth(r, "walker@example.net", addr, "imap", true,
				T0 + (int64_t)i * 9 * HOUR + j * 600);
		ev_auth(r, "walker@example.net", addr, "submission", true,
			T0 + (int64_t)i * 9 * HOUR + 1800);
		ev_msg(r, "walker@example.net", addr, 1, T0 + (int64_t)i * 9 * HOUR + 1800);
		ev_dlv(r, "walker@example.net", EVT_STATUS_SENT, T0 + (int64_t)i * 9 * HOUR + 1801);
	}

	/* Typos: a few failures, then the right password, from home. */
	for (i = 0; i < 3; i++) {
		char acct[64];

		snprintf(acct, sizeof(acct), "user%u@example.com", i);
		for (j = 0; j < 3; j++)
			ev_auth(r, acct, "192.0.2.77", "imap", false, T0 + i * 100 + j);
		for (j = 0; j < 20; j++)
			ev_auth(r, acct, "192.0.2.77", "imap", true, T0 + i * 100 + 10 + j * 300);
	}
}

static void
test_order(void **state)
{
	struct rep *r = rep_default();
	const struct rep_acct *hijacked, *bulk, *traveler;

	(void)state;
	feed_population(r);
	rep_finish(r);
	assert_int_equal(rep_count(r), 6);
	hijacked = rep_get(r, 0);
	assert_string_equal(hijacked->name, "hello@example.com");
	assert_int_equal(hijacked->sum.ips, 880 + 10);
	assert_true(hijacked->sum.ips_once > 800);
	assert_true(hijacked->peak_new >= 30);
	assert_int_equal(hijacked->sum.logins_failed, 10);
	assert_true(hijacked->sum.fail_rate > 0.7);
	bulk = rep_find(r, "news@example.org");
	traveler = rep_find(r, "walker@example.net");
	assert_int_equal(bulk->sum.ips, 1);
	assert_int_equal(bulk->messages, 3000);
	assert_int_equal(bulk->sum.recipients, 15000);
	assert_true(bulk->sum.fail_rate < 0.02);
	assert_int_equal(traveler->sum.ips, 8);
	/* Hijacked far above the others; the score is documented, so pin the
	 * relations rather than exact values. */
	assert_true(hijacked->sum.score > 2 * bulk->sum.score);
	assert_true(hijacked->sum.score > 2 * traveler->sum.score);
	assert_true(bulk->sum.score < 60);
	assert_true(rep_find(r, "user0@example.com")->sum.score < bulk->sum.score);
	assert_true(rep_find(r, "user1@example.com")->sum.score < traveler->sum.score);
	/* Sorted by score, then activity, then name: deterministic. */
	for (size_t i = 1; i < rep_count(r); i++)
		assert_true(rep_get(r, i - 1)->sum.score >= rep_get(r, i)->sum.score);
	rep_free(&r);
}

static void
test_score_formula(void **state)
{
	(void)state;
	/* One network, no once-IPs, one new IP per hour, nothing failed. */
	assert_int_equal(rep_score(1, 0, 1, 0, 0, 0, 0), 0);
	/* 20 log2(4) + 10 log2(4) + 10 log2(8) = 40 + 20 + 30 */
	assert_int_equal(rep_score(4, 4, 8, 0, 0, 0, 0), 90);
	assert_int_equal(rep_score(0, 1, 0, 0, 0, 0, 0), 0);	/* one IP once */
	/* 30 * 0.5 * log2(1024) + 5 log2(8) + 3 log2(2) = 150 + 15 + 3 */
	assert_int_equal(rep_score(0, 0, 0, 0.5, 1023, 7, 1), 168);
}

static void
test_account_filter(void **state)
{
	const char *const sel[] = { "HELLO@example.COM", "nobody@example.com" };
	struct rep_opts o = { .accounts = sel, .naccounts = 2 };
	struct rep *r = rep_new(&o);
	const struct rep_totals *t;

	(void)state;
	feed_population(r);
	ev_simple(r, EVT_REJECT, NULL, "203.0.113.9", T0);
	rep_finish(r);
	assert_int_equal(rep_count(r), 1);
	assert_string_equal(rep_get(r, 0)->name, "hello@example.com");
	assert_null(rep_find(r, "news@example.org"));
	assert_null(rep_find(r, "nobody@example.com"));
	assert_int_equal(rep_unattributed(r)->by_type[EVT_REJECT], 1);
	t = rep_get_totals(r);
	assert_int_equal(t->accounts, 1);
	rep_free(&r);
}

/* LIMIT + 10 distinct IPs: the set stops at the limit, says "more than",
 * and the sketch's estimate is close. */
static void
test_ip_cap(void **state)
{
	struct rep *r = rep_default();
	const struct rep_acct *a;
	const unsigned n = LIMIT_REPORT_IPS_PER_ACCOUNT + 10;
	char ip[NETADDR_STRLEN];
	unsigned i;

	(void)state;
	for (i = 0; i < n; i++)
		ev_auth(r, "wide@example.com", ip6(i / 60000, i % 60000 + 1, ip), "smtp", true,
			T0 + i);
	/* Known IPs still count after the cap. */
	ev_auth(r, "wide@example.com", ip6(0, 1, ip), "smtp", true, T0 + n);
	rep_finish(r);
	a = rep_find(r, "wide@example.com");
	assert_non_null(a);
	assert_false(a->sum.ips_exact);
	assert_true(a->ips.capped);
	assert_int_equal(a->ips.n, LIMIT_REPORT_IPS_PER_ACCOUNT);
	assert_true(a->sum.ips >= LIMIT_REPORT_IPS_PER_ACCOUNT);
	assert_true(a->sum.ips > n * 0.9 && a->sum.ips < n * 1.1);
	assert_int_equal(a->sum.logins_ok, n + 1);
	assert_int_equal(rep_ipset_get(&a->ips, &(struct netaddr){ 0 }) == NULL, 1);
	/* Bounded: the IP table never exceeds twice the limit of entries. */
	assert_true(rep_ipset_bytes(&a->ips) <=
		    2 * (size_t)LIMIT_REPORT_IPS_PER_ACCOUNT * sizeof(struct rep_ip) + 4096);
	assert_true(rep_acct_bytes(a) < 8u << 20);
	/* Both outputs say so. */
	{
		struct rep_out o = { .top = 1 };
		struct buf b;

		buf_init(&b, 0);
		rep_text(r, &o, &b);
		assert_non_null(strstr(b.data, "more than 65536 (about "));
		assert_non_null(strstr(b.data, "+ "));
		buf_reset(&b);
		rep_json(r, &o, &b);
		assert_non_null(strstr(b.data, "\"exact\":false"));
		buf_release(&b);
	}
	rep_free(&r);
}

static void
test_ipset_small_limit(void **state)
{
	struct rep_ipset s;
	struct netaddr a;
	char ip[NETADDR_STRLEN];
	bool created;
	unsigned i;

	(void)state;
	rep_ipset_init(&s, 100);
	for (i = 0; i < 5000; i++) {
		ip6(i, 9, ip);
		assert_int_equal(netaddr_parse(ip, strlen(ip), &a), 0);
		(void)rep_ipset_add(&s, &a, &created);
		(void)rep_ipset_add(&s, &a, &created);	/* duplicates change nothing */
	}
	assert_int_equal(s.n, 100);
	assert_true(s.capped);
	assert_true(rep_ipset_distinct(&s) > 4500 && rep_ipset_distinct(&s) < 5500);
	assert_true(s.cap <= 256);
	rep_ipset_release(&s);

	/* Under the limit: exact, and created only once. */
	rep_ipset_init(&s, 0);
	assert_int_equal(netaddr_parse("192.0.2.1", 9, &a), 0);
	assert_non_null(rep_ipset_add(&s, &a, &created));
	assert_true(created);
	assert_non_null(rep_ipset_add(&s, &a, &created));
	assert_false(created);
	assert_int_equal(rep_ipset_distinct(&s), 1);
	rep_ipset_release(&s);
}

/* A timeline window of 24 hours over 48 hours of events, fed partly out of
 * order (a second host's file read after the first). */
static void
test_timeline(void **state)
{
	struct rep_opts o = { .timeline_hours = 24 };
	struct rep *r = rep_new(&o);
	const struct rep_acct *a;
	char ip[NETADDR_STRLEN];
	uint32_t i;

	(void)state;
	for (i = 0; i < 48; i += 2)
		ev_auth(r, "t@example.com", ip4(i, ip), "imap", true, T0 + i * HOUR);
	for (i = 47; i >= 25; i -= 2)	/* older hours, within the window */
		ev_msg(r, "t@example.com", "192.0.2.1", 1, T0 + i * HOUR + 5);
	ev_msg(r, "t@example.com", "192.0.2.1", 1, T0 + 3 * HOUR);	/* too old */
	rep_finish(r);
	a = rep_find(r, "t@example.com");
	assert_true(a->tl_truncated);
	assert_true(a->tl_n <= 24);
	assert_int_equal(a->tl_n, 24);	/* hours 24..47: 47 is the newest */
	for (i = 1; i < a->tl_n; i++)
		assert_true(a->tl[i - 1].hour < a->tl[i].hour);
	assert_true((int64_t)a->tl[0].hour * HOUR == T0 + 24 * HOUR);
	assert_int_equal(a->messages, 13);	/* counted even when not charted */
	assert_true(a->first == T0);
	rep_free(&r);
}

static void
test_fmt(void **state)
{
	static const struct {
		uint64_t v;
		const char *want;
	} rows[] = {
		{ 0, "0" },	     { 9999, "9999" },	  { 10000, "10k" },
		{ 999499, "999k" },  { 999500, "1.0M" },  { 1234567, "1.2M" },
		{ 12345678, "12M" }, { UINT64_MAX, "18E" },
	};
	char buf[8], span[24];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_string_equal(rep_fmt_count(rows[i].v, buf), rows[i].want);
	assert_string_equal(rep_fmt_span(59, span), "0m59s");
	assert_string_equal(rep_fmt_span(23 * 3600 + 47 * 60, span), "23h47m");
	assert_string_equal(rep_fmt_span(3 * 86400 + 4 * 3600, span), "3d04h");
}

/* A small JSON checker: accepts exactly RFC 8259 values. */
static const char *json_value(const char *p, int depth);

static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *
json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (strchr("0123456789abcdefABCDEF", p[i]) == NULL ||
					    p[i] == '\0')
						return NULL;
				p += 4;
			} else if (strchr("\"\\/bfnrt", *p) == NULL || *p == '\0') {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

static const char *
json_number(const char *p)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p > s ? p : NULL;
}

static const char *
json_value(const char *p, int depth)
{
	p = json_ws(p);
	if (depth > 32)
		return NULL;
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';

		p = json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if ((p = json_string(json_ws(p))) == NULL)
					return NULL;
				p = json_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			if ((p = json_value(p, depth + 1)) == NULL)
				return NULL;
			p = json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return json_string(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	return json_number(p);
}

static bool
json_valid(const char *doc)
{
	const char *end = json_value(doc, 0);

	return end != NULL && *json_ws(end) == '\0';
}

static void
test_json_checker(void **state)
{
	(void)state;
	assert_true(json_valid("{\"a\":[1,2.5,-0,true,null,\"x\\u00e9\"],\"b\":{}}\n"));
	assert_false(json_valid("{\"a\":1,}"));
	assert_false(json_valid("{\"a\" 1}"));
	assert_false(json_valid("[1] x"));
	assert_false(json_valid("\"a\tb\""));
}

static struct rep *
rep_population(void)
{
	struct rep *r = rep_default();

	feed_population(r);
	/* A name an attacker chose: quote, backslash, invalid UTF-8. */
	ev_auth(r, "ev\"il\\\xff@example.com", "192.0.2.66", "smtp", false, T0 + 5);
	ev_simple(r, EVT_REJECT, NULL, "203.0.113.9", T0 + 9);
	rep_finish(r);
	return r;
}

static void
test_json(void **state)
{
	struct rep *r = rep_population();
	struct rep_out o = { .top = 3 };
	const char *hj, *news;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	rep_json(r, &o, &b);
	assert_true(json_valid(b.data));
	assert_non_null(strstr(b.data, "\"report\":\"mailsentry-report\",\"version\":1"));
	hj = strstr(b.data, "\"account\":\"hello@example.com\"");
	news = strstr(b.data, "\"account\":\"news@example.org\"");
	assert_non_null(hj);
	assert_non_null(news);
	assert_true(hj < news);	/* report order */
	assert_non_null(strstr(b.data, "\"first\":\"2013-07-22T00:00:00Z\""));
	assert_non_null(strstr(b.data, "\"timeline\":[{\"hour\":\"2013-07-22T00:00:00Z\""));
	assert_non_null(strstr(b.data, "\"recipients_from\":\"nrcpt\""));
	assert_non_null(strstr(b.data, "ev\\\"il\\\\\\ufffd@example.com"));
	assert_non_null(strstr(b.data, "\"unattributed\":{\"auth_success\":0"));
	assert_int_equal(b.data[b.len - 1], '\n');
	buf_release(&b);
	rep_free(&r);

	/* No events at all: still one valid document. */
	r = rep_default();
	rep_finish(r);
	buf_init(&b, 0);
	rep_json(r, &o, &b);
	assert_true(json_valid(b.data));
	assert_non_null(strstr(b.data, "\"span\":null"));
	assert_non_null(strstr(b.data, "\"accounts\":[]"));
	buf_release(&b);
	rep_free(&r);
}

struct chunks {
	struct buf all;
	unsigned calls;
};

static void
collect(void *arg, struct buf *b)
{
	struct chunks *c = arg;

	buf_append(&c->all, b->data, b->len);
	c->calls++;
}

/* Display columns of a UTF-8 line (every code point is one column here). */
static size_t
cols(const char *p, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		n += ((unsigned char)p[i] & 0xc0) != 0x80;
	return n;
}

static void
assert_fits_80(const char *text)
{
	const char *p = text, *nl;

	while ((nl = strchr(p, '\n')) != NULL) {
		if (cols(p, (size_t)(nl - p)) > 80)
			fail_msg("line over 80 columns: %.*s", (int)(nl - p), p);
		p = nl + 1;
	}
}

static void
test_text(void **state)
{
	struct rep *r = rep_population();
	struct chunks c = { .calls = 0 };
	struct rep_out o = { .top = 5, .limit = 3, .flush = collect, .arg = &c };
	struct buf b;

	(void)state;
	buf_init(&c.all, 0);
	buf_init(&b, 0);
	rep_text(r, &o, &b);
	assert_int_equal(b.len, 0);	/* all handed to flush */
	if (getenv("TEST_REPORT_SHOW") != NULL)
		fputs(c.all.data, stdout);
	assert_true(c.calls >= 1);
	assert_fits_80(c.all.data);
	assert_non_null(strstr(c.all.data, "ACCOUNT"));
	assert_non_null(strstr(c.all.data, "\nhello@example.com "));	/* first row */
	assert_non_null(strstr(c.all.data, "4 more accounts; --limit 0 for all"));
	assert_non_null(strstr(c.all.data, "seen once"));
	assert_non_null(strstr(c.all.data, "events without an account"));
	assert_null(strstr(c.all.data, "\xff"));	/* escaped */
	buf_release(&c.all);
	rep_free(&r);

	/* Focus mode: the timeline, and a long name cut with an ellipsis in
	 * the table. */
	{
		const char *const sel[] = { "hello@example.com" };
		struct rep_opts ro = { .accounts = sel, .naccounts = 1, .timeline_hours = 744 };

		r = rep_new(&ro);
		feed_population(r);
		rep_finish(r);
		o.focus = true;
		o.flush = NULL;
		rep_text(r, &o, &b);
		if (getenv("TEST_REPORT_SHOW") != NULL)
			fputs(b.data, stdout);
		assert_fits_80(b.data);
		assert_non_null(strstr(b.data, "timeline, UTC"));
		assert_non_null(strstr(b.data, "2013-07-22 "));
		assert_non_null(strstr(b.data, "busiest"));
		assert_null(strstr(b.data, "news@example.org"));
		buf_reset(&b);
		rep_free(&r);
	}
	r = rep_default();
	ev_auth(r, "a-very-long-local-part-indeed@subdomain.example.com", "192.0.2.1", "imap",
		true, T0);
	rep_finish(r);
	o.focus = false;
	rep_text(r, &o, &b);
	if (getenv("TEST_REPORT_SHOW") != NULL)
		fputs(b.data, stdout);
	assert_fits_80(b.data);
	assert_non_null(strstr(b.data, "\na-very-long-local-\xe2\x80\xa6 "));
	buf_release(&b);
	rep_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_recipients_from_deliveries),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_score_formula),
		cmocka_unit_test(test_account_filter),
		cmocka_unit_test(test_ip_cap),
		cmocka_unit_test(test_ipset_small_limit),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_json_checker),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
