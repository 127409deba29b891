/* test_det.c - the detectors on small hand-made event streams
 * Each test builds the events one incident or one benign habit produces and
 * checks what fires, when, and what does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect/det.h"

#define T0 1374451200	/* 2013-07-22T00:00:00Z */
#define HOUR 3600
#define DAY 86400

struct run {
	struct det_conf c;
	struct det *d;
	unsigned opened[FK_MAX];
};

static void
sink(void *arg, const struct finding *f, enum det_moment m)
{
	struct run *r = arg;

	if (m == DET_OPEN)
		r->opened[f->kind]++;
}

static void
start(struct run *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(conf_defaults(det_conf_defs, det_conf_ndefs, &r->c), 0);
	/* no country data: the tests must not depend on the machine */
	free(r->c.geoip_file);
	r->c.geoip_file = NULL;
	r->d = det_new(&r->c, sink, r);
}

static void
stop(struct run *r)
{
	det_free(&r->d);
	conf_free(det_conf_defs, det_conf_ndefs, &r->c);
}

static const struct finding *
find(struct run *r, enum finding_kind k, const char *who)
{
	struct finding *const *fs;
	size_t n = det_findings(r->d, &fs), i;

	for (i = 0; i < n; i++)
		if (fs[i]->kind == k && (strcmp(fs[i]->account, who) == 0 || strcmp(fs[i]->ip, who) == 0))
			return fs[i];
	return NULL;
}

static void
ev(struct run *r, enum evt_type t, int64_t time, const char *acct, const char *ip)
{
	struct evt e;

	evt_clear(&e);
	e.type = t;
	e.time = time;
	e.source = "postfix";
	strcpy(e.service, "submission");
	strcpy(e.mech, "PLAIN");
	if (acct != NULL)
		strcpy(e.account, acct);
	if (ip != NULL)
		assert_int_equal(evt_set_ip(&e, strv_cstr(ip)), 0);
	det_feed(r->d, &e);
}

static void
login(struct run *r, int64_t t, const char *acct, const char *ip, const char *mech)
{
	struct evt e;

	evt_clear(&e);
	e.type = EVT_AUTH_SUCCESS;
	e.time = t;
	e.source = "postfix";
	strcpy(e.service, "submission");
	strcpy(e.mech, mech);
	strcpy(e.account, acct);
	assert_int_equal(evt_set_ip(&e, strv_cstr(ip)), 0);
	det_feed(r->d, &e);
}

/* A message with nrcpt recipients, and a delivery per recipient, `failing`
 * of them bounced. */
static void
send_mail(struct run *r, int64_t t, const char *acct, const char *ip, unsigned nrcpt,
	  unsigned failing)
{
	struct evt e;
	unsigned i;

	evt_clear(&e);
	e.type = EVT_MESSAGE_ACCEPTED;
	e.time = t;
	e.source = "postfix";
	strcpy(e.account, acct);
	assert_int_equal(evt_set_ip(&e, strv_cstr(ip)), 0);
	e.nrcpt = nrcpt;
	e.flags = EVT_HAS_NRCPT;
	det_feed(r->d, &e);
	for (i = 0; i < nrcpt; i++) {
		e.type = EVT_DELIVERY;
		strcpy(e.service, "smtp");
		e.status = i < failing ? EVT_STATUS_BOUNCED : EVT_STATUS_SENT;
		det_feed(r->d, &e);
	}
}

/* A week of history: logins from home and mail every day. */
static void
history(struct run *r, const char *acct, const char *home)
{
	int day, k;

	for (day = 0; day < 7; day++)
		for (k = 0; k < 6; k++) {
			login(r, T0 + day * DAY + 8 * HOUR + k * HOUR, acct, home, "PLAIN");
			if (k % 2 == 0)
				send_mail(r, T0 + day * DAY + 8 * HOUR + k * HOUR + 60, acct, home, 2, 0);
		}
}

/* Incident 1: one login per fresh address, one spam each. Found within the
 * first twenty, first_evidence at the botnet's first login. */
static void
test_botnet(void **state)
{
	struct run r;
	const struct finding *f;
	int64_t t = T0 + 8 * DAY;
	char ip[32];
	int i;

	(void)state;
	start(&r);
	history(&r, "hello@example.com", "198.18.7.9");
	for (i = 0; i < 200; i++) {
		snprintf(ip, sizeof(ip), "100.%d.%d.%d", 64 + i % 50, i / 50 + 1, 7 + i % 200);
		login(&r, t + i * 90, "hello@example.com", ip, "PLAIN");
		send_mail(&r, t + i * 90 + 2, "hello@example.com", ip, 15, 9);
	}
	det_finish(r.d);
	f = find(&r, FK_COMPROMISE, "hello@example.com");
	assert_non_null(f);
	assert_int_equal(f->first_evidence, t);
	assert_true(f->detected_at <= t + 19 * 90 + 2);
	assert_int_equal(f->distinct_ips, 200);
	assert_int_equal(f->messages, 200);
	assert_int_equal(f->recipients, 200 * 15);
	assert_true(f->nsignals >= 1);
	assert_int_equal(r.opened[FK_COMPROMISE], 1);
	stop(&r);
}

/* Incident 3: CRAM-MD5 from one new network, steady spam. */
static void
test_phished(void **state)
{
	struct run r;
	const struct finding *f;
	int64_t t = T0 + 8 * DAY + 3 * HOUR;
	int i;

	(void)state;
	start(&r);
	history(&r, "ana@example.org", "198.19.4.4");
	login(&r, t, "ana@example.org", "203.0.113.42", "CRAM-MD5");
	for (i = 0; i < 100; i++)
		send_mail(&r, t + 5 + i * 40, "ana@example.org", "203.0.113.42", 30, 12);
	det_finish(r.d);
	f = find(&r, FK_COMPROMISE, "ana@example.org");
	assert_non_null(f);
	assert_true(f->detected_at < t + 5 + 50 * 40);
	assert_int_equal(f->distinct_ips, 1);
	stop(&r);
}

/* A traveller: a new network a day, a few messages; a newsletter: thousands
 * of messages a day from its usual address. Neither is a compromise. */
static void
test_benign_senders(void **state)
{
	struct run r;
	char ip[32];
	int day, i;

	(void)state;
	start(&r);
	history(&r, "walker@example.com", "198.18.1.1");
	for (day = 0; day < 8; day++) {
		snprintf(ip, sizeof(ip), "100.%d.3.4", 120 + day);
		login(&r, T0 + (7 + day) * DAY + 9 * HOUR, "walker@example.com", ip, "PLAIN");
		for (i = 0; i < 4; i++)
			send_mail(&r, T0 + (7 + day) * DAY + 9 * HOUR + i * 600, "walker@example.com",
				  ip, 3, 0);
		login(&r, T0 + (7 + day) * DAY + 20 * HOUR, "walker@example.com", "100.70.1.1",
		      "PLAIN");
	}
	for (day = 0; day < 4; day++)
		for (i = 0; i < 3000; i++) {
			if (i % 100 == 0)
				login(&r, T0 + day * DAY + 10 * HOUR + i, "news@example.org",
				      "198.18.100.20", "PLAIN");
			send_mail(&r, T0 + day * DAY + 10 * HOUR + i, "news@example.org",
				  "198.18.100.20", 1, i % 40 == 0);
		}
	det_finish(r.d);
	assert_null(find(&r, FK_COMPROMISE, "walker@example.com"));
	assert_null(find(&r, FK_COMPROMISE, "news@example.org"));
	assert_int_equal(r.opened[FK_COMPROMISE], 0);
	assert_int_equal(r.opened[FK_BRUTE] + r.opened[FK_SPRAY], 0);
	stop(&r);
}

/* An office: 30 users behind one NAT address, each with a typo now and
 * then; one phone with a stale password failing every 5 minutes all day
 * while its owner's desktop logs in fine from the same address. */
static void
test_office_nat(void **state)
{
	struct run r;
	char acct[64];
	int u, day, k;

	(void)state;
	start(&r);
	for (day = 0; day < 3; day++) {
		for (u = 0; u < 30; u++) {
			int64_t t = T0 + day * DAY + 8 * HOUR + u * 37;

			snprintf(acct, sizeof(acct), "user%d@example.com", u);
			if ((u + day) % 3 == 0)
				ev(&r, EVT_AUTH_FAILURE, t, acct, "198.19.200.1");
			login(&r, t + 20, acct, "198.19.200.1", "PLAIN");
		}
		for (k = 0; k < 120; k++) {
			if (k % 2 == 0)
				login(&r, T0 + day * DAY + 8 * HOUR + k * 300 + 1, "user3@example.com",
				      "198.19.200.1", "PLAIN");
			ev(&r, EVT_AUTH_FAILURE, T0 + day * DAY + 8 * HOUR + k * 300 + 2,
			   "user3@example.com", "198.19.200.1");
		}
	}
	det_finish(r.d);
	assert_int_equal(r.opened[FK_BRUTE], 0);
	assert_int_equal(r.opened[FK_SPRAY], 0);
	stop(&r);
}

/* One IP hammering one account; another trying one password on each of
 * many real accounts. */
static void
test_brute_and_spray(void **state)
{
	struct run r;
	const struct finding *f;
	char acct[64];
	int i;

	(void)state;
	start(&r);
	for (i = 0; i < 10; i++) {
		snprintf(acct, sizeof(acct), "u%d@example.com", i);
		login(&r, T0 + i, acct, "198.18.9.9", "PLAIN");
	}
	for (i = 0; i < 50; i++)
		ev(&r, EVT_AUTH_FAILURE, T0 + HOUR + i * 30, "u1@example.com", "198.51.100.150");
	for (i = 0; i < 10; i++) {
		snprintf(acct, sizeof(acct), "u%d@example.com", i);
		ev(&r, EVT_AUTH_FAILURE, T0 + 3 * HOUR + i * 60, acct, "198.51.100.170");
	}
	det_finish(r.d);
	f = find(&r, FK_BRUTE, "198.51.100.150");
	assert_non_null(f);
	assert_int_equal(f->detected_at, T0 + HOUR + 19 * 30);
	assert_int_equal(f->attempts, 50);
	assert_string_equal(f->account, "u1@example.com");
	f = find(&r, FK_SPRAY, "198.51.100.170");
	assert_non_null(f);
	assert_int_equal(f->detected_at, T0 + 3 * HOUR + 3 * 60);
	assert_int_equal(f->accounts, 10);
	assert_null(find(&r, FK_BRUTE, "198.51.100.170"));
	assert_null(find(&r, FK_SPRAY, "198.51.100.150"));
	stop(&r);
}

/* After the compromise is found, failures from unknown networks are the
 * botnet probing the changed password; the owner's own failures are not. */
static void
test_probe(void **state)
{
	struct run r;
	const struct finding *f;
	int64_t t = T0 + 8 * DAY;
	char ip[32];
	int i;

	(void)state;
	start(&r);
	history(&r, "hello@example.com", "198.18.7.9");
	for (i = 0; i < 40; i++) {
		snprintf(ip, sizeof(ip), "100.%d.1.%d", 64 + i, 10 + i);
		login(&r, t + i * 60, "hello@example.com", ip, "PLAIN");
		send_mail(&r, t + i * 60 + 1, "hello@example.com", ip, 10, 5);
	}
	ev(&r, EVT_AUTH_FAILURE, t + 2 * HOUR, "hello@example.com", "198.18.7.9");
	for (i = 0; i < 10; i++) {
		snprintf(ip, sizeof(ip), "100.%d.9.%d", 110 + i, 10 + i);
		ev(&r, EVT_AUTH_FAILURE, t + 12 * HOUR + i * 500, "hello@example.com", ip);
	}
	det_finish(r.d);
	f = find(&r, FK_PROBE, "hello@example.com");
	assert_non_null(f);
	assert_int_equal(f->first_evidence, t + 12 * HOUR);
	assert_int_equal(f->detected_at, t + 12 * HOUR + 2 * 500);
	assert_int_equal(f->attempts, 10);
	assert_int_equal(f->distinct_ips, 10);
	stop(&r);
}

static void
ndr(struct run *r, int64_t t, const char *rcpt)
{
	struct evt e;

	evt_clear(&e);
	e.type = EVT_DELIVERY;
	e.time = t;
	e.source = "postfix";
	strcpy(e.service, "lmtp");
	e.flags = EVT_HAS_SENDER;
	strcpy(e.recipient, rcpt);
	e.status = EVT_STATUS_SENT;
	det_feed(r->d, &e);
}

/* A joe-job: hundreds of bounces for mail the account never sent. A few
 * bounces of its own mail are not backscatter. */
static void
test_backscatter(void **state)
{
	struct run r;
	const struct finding *f;
	int i;

	(void)state;
	start(&r);
	for (i = 0; i < 300; i++)
		ndr(&r, T0 + i * 30, "Joe@Example.com");
	for (i = 0; i < 20; i++)
		ndr(&r, T0 + i * 30, "quiet@example.com");
	det_finish(r.d);
	f = find(&r, FK_BACKSCATTER, "joe@example.com");
	assert_non_null(f);
	assert_int_equal(f->first_evidence, T0);
	assert_int_equal(f->detected_at, T0 + 99 * 30);
	assert_int_equal(f->ndrs, 300);
	assert_null(find(&r, FK_BACKSCATTER, "quiet@example.com"));
	stop(&r);
}

/* A sender far above its busiest hour, from its usual address. */
static void
test_burst(void **state)
{
	struct run r;
	const struct finding *f;
	int i;

	(void)state;
	start(&r);
	history(&r, "shop@example.com", "198.18.50.5");
	for (i = 0; i < 400; i++)
		send_mail(&r, T0 + 8 * DAY + 10 * HOUR + i * 5, "shop@example.com", "198.18.50.5",
			  1, 0);
	det_finish(r.d);
	f = find(&r, FK_BURST, "shop@example.com");
	assert_non_null(f);
	assert_int_equal(f->detected_at, T0 + 8 * DAY + 10 * HOUR + 199 * 5);
	assert_int_equal(f->messages, 400);
	assert_null(find(&r, FK_COMPROMISE, "shop@example.com"));
	stop(&r);
}

/* With country data: a login from a country the account never used, at
 * the same time as its owner at home, and with a mechanism it never used.
 * Those three alone reach the score; each is listed with its points. */
static void
test_country(void **state)
{
	struct run r;
	const struct finding *f;
	char path[] = "/tmp/test_det_geoipXXXXXX";
	int fd = mkstemp(path), i;
	FILE *fp = fdopen(fd, "w");
	int64_t t = T0 + 8 * DAY + 10 * HOUR;
	bool mech = false, country = false, far = false;

	(void)state;
	assert_non_null(fp);
	fputs("# test data\n3323068416,3323199487,DE\n3405803776,3405804031,BR\n", fp);
	assert_int_equal(fclose(fp), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(conf_defaults(det_conf_defs, det_conf_ndefs, &r.c), 0);
	free(r.c.geoip_file);
	free(r.c.geoip6_file);
	r.c.geoip_file = strdup(path);
	r.c.geoip6_file = NULL;
	r.c.w_mechanism = r.c.w_country = 0.4;	/* 3 x 0.4 >= 1: no mail needed */
	r.d = det_new(&r.c, sink, &r);
	history(&r, "ana@example.org", "198.19.4.4");
	login(&r, t, "ana@example.org", "198.19.4.4", "PLAIN");
	login(&r, t + 60, "ana@example.org", "203.0.113.42", "CRAM-MD5");
	det_finish(r.d);
	f = find(&r, FK_COMPROMISE, "ana@example.org");
	assert_non_null(f);
	assert_int_equal(f->detected_at, t + 60);
	for (i = 0; i < (int)f->nsignals; i++) {
		mech |= strcmp(f->signals[i].name, "new_mechanism") == 0;
		country |= strcmp(f->signals[i].name, "new_country") == 0;
		far |= strcmp(f->signals[i].name, "far_sessions") == 0;
	}
	assert_true(mech && country && far);
	stop(&r);
	unlink(path);
}

/* The JSON line carries the contract's keys. */
static void
test_json(void **state)
{
	struct finding f;
	struct buf b;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.kind = FK_COMPROMISE;
	strcpy(f.account, "hello@example.com");
	f.first_evidence = T0;
	f.detected_at = T0 + 60;
	f.last_evidence = T0 + DAY;
	f.score = 1.25;
	f.distinct_ips = 880;
	f.networks = 52;
	f.messages = 946;
	f.recipients = 17892;
	f.attempts = f.accounts = f.ndrs = UINT64_MAX;
	f.signals[0] = (struct signal_val){ "login_networks", 10, 10, 1 };
	f.nsignals = 1;
	buf_init(&b, 0);
	finding_json(&f, &b);
	buf_append(&b, "", 1);
	assert_string_equal(
		b.data,
		"{\"kind\":\"account_compromise\",\"account\":\"hello@example.com\","
		"\"first_evidence\":\"2013-07-22T00:00:00Z\",\"detected_at\":\"2013-07-22T00:01:00Z\","
		"\"last_evidence\":\"2013-07-23T00:00:00Z\",\"score\":1.25,\"distinct_ips\":880,"
		"\"networks\":52,\"messages\":946,\"recipients\":17892,\"signals\":[{\"name\":"
		"\"login_networks\",\"value\":10,\"threshold\":10,\"points\":1}]}");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_botnet),	     cmocka_unit_test(test_phished),
		cmocka_unit_test(test_benign_senders), cmocka_unit_test(test_office_nat),
		cmocka_unit_test(test_brute_and_spray), cmocka_unit_test(test_probe),
		cmocka_unit_test(test_backscatter),  cmocka_unit_test(test_burst),
		cmocka_unit_test(test_country),	     cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
