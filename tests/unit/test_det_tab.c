/* test_det_tab.c - the detectors' account and IP tables (det_tab.c)
 * Random puts and deletes on a detector table and on an htab_new table
 * with the same keys: the same entries in the same slot order (the
 * sweep's order) at every step, records carried along when they move.
 * Then the cold parts: created by the rare events, freed by the sweep
 * once nothing in them matters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "detect/det_int.h"
#include "util/htab.h"
#include "util/strv.h"

#define T0 1374451200	/* 2013-07-22T00:00:00Z */
#define HOUR 3600

static uint32_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

static void
same_order_acct(const struct acct_tab *t, const struct htab *h)
{
	size_t pos = 0, klen, i = 0;
	const char *key;

	assert_int_equal(t->count, htab_count(h));
	while (htab_next(h, &pos, &key, &klen, NULL)) {
		while (t->slot[i] == NULL)
			i++;
		assert_string_equal(t->slot[i]->key, key);
		assert_int_equal(t->slot[i]->first_seen, strlen(key));
		i++;
	}
	for (; i <= t->mask; i++)
		assert_null(t->slot[i]);
}

/* steps puts and deletes over pool keys, growing for the first half;
 * the orders compared every `every` steps */
static void
acct_order(uint32_t pool, int steps, int every)
{
	struct acct_tab t;
	struct htab *h = htab_new();
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	char key[64];
	int step;

	acct_tab_init(&t);
	for (step = 0; step < steps; step++) {
		uint32_t r = rnd(&s);
		size_t klen = (size_t)snprintf(key, sizeof(key), "user%u@example.org", r % pool);
		uint64_t hash = htab_hash(key, klen);
		struct acct *a = acct_tab_get(&t, key, hash);

		if (a == NULL && (step < steps / 2 || r % 4 == 0)) {
			bool created;

			a = calloc(1, sizeof(*a) + klen + 1);
			memcpy(a->key, key, klen);
			a->hash = (uint32_t)hash;
			a->first_seen = (uint32_t)klen;
			acct_tab_add(&t, a);
			assert_ptr_equal(acct_tab_get(&t, key, hash), a);
			assert_non_null(htab_put(h, key, klen, &created));
			assert_true(created);
		} else if (a != NULL && (step >= steps / 2 || r % 3 == 0)) {
			acct_tab_del(&t, a);
			acct_free(a);
			assert_null(acct_tab_get(&t, key, hash));
			assert_null(htab_del(h, key, klen));
		}
		if (step % every == 0)
			same_order_acct(&t, h);
	}
	same_order_acct(&t, h);
	acct_tab_free(&t);
	htab_free(&h, NULL);
}

static void
test_acct_order(void **state)
{
	(void)state;
	acct_order(40, 4000, 1);
	acct_order(4000, 60000, 1000);
}

static void
ip_of(uint32_t n, struct netaddr *a)
{
	memset(a, 0, sizeof(*a));
	if (n % 3 == 0) {
		/* 2001:db8::/32, many with the same last 4 bytes */
		a->family = 6;
		a->bytes[0] = 0x20;
		a->bytes[1] = 0x01;
		a->bytes[2] = 0x0d;
		a->bytes[3] = 0xb8;
		a->bytes[5] = (uint8_t)(n >> 8);
		a->bytes[6] = (uint8_t)n;
		a->bytes[15] = (uint8_t)(n & 7);
	} else {
		a->family = 4;
		a->bytes[0] = 198;
		a->bytes[1] = 18 + (n >> 16 & 1);
		a->bytes[2] = (uint8_t)(n >> 8);
		a->bytes[3] = (uint8_t)n;
	}
}

static void
same_order_ip(const struct ip_tab *t, const struct htab *h)
{
	size_t pos = 0, klen, i = 0;
	const char *key;
	void *val;

	assert_int_equal(t->count, htab_count(h));
	while (htab_next(h, &pos, &key, &klen, &val)) {
		struct netaddr a;

		while (t->slot[i].tag == 0)
			i++;
		ip_addr(&t->slot[i], &a);
		assert_int_equal(klen, a.family == 4 ? 4 : 16);
		assert_memory_equal(a.bytes, key, klen);
		assert_int_equal(t->slot[i].bf_fails, (uint32_t)(uintptr_t)val);
		i++;
	}
	for (; i <= t->mask; i++)
		assert_int_equal(t->slot[i].tag, 0);
}

/* as acct_order; a put of a present key may grow the table too, as
 * htab_put does */
static void
ip_order(uint32_t pool, int steps, int every)
{
	struct ip_tab t;
	struct htab *h = htab_new();
	uint64_t s = 12345;
	int step;

	ip_tab_init(&t);
	for (step = 0; step < steps; step++) {
		uint32_t r = rnd(&s), n = r % pool;
		struct netaddr a;
		size_t klen;
		struct ipst *p;
		void **slot;
		bool created, hcreated;

		ip_of(n, &a);
		klen = a.family == 4 ? 4 : 16;
		if (step < steps / 2 ? r % 5 != 0 : r % 5 == 0) {
			p = ip_tab_put(&t, &a, &created);
			slot = htab_put(h, a.bytes, klen, &hcreated);
			assert_int_equal(created, hcreated);
			if (created) {
				assert_int_equal(p->bf_fails, 0);
				assert_int_equal(ip_cold(p) != NULL, a.family == 6);
				p->bf_fails = n + 1;
				*slot = (void *)(uintptr_t)(n + 1);
			}
			assert_int_equal(p->bf_fails, n + 1);
			if (r % 7 == 0)
				ip_cold_get(p)->accts.n = n;	/* marked; freed empty */
		} else if ((p = ip_tab_get(&t, &a)) != NULL) {
			assert_int_equal(p->bf_fails, n + 1);
			if (ip_cold(p) != NULL && ip_cold(p)->accts.n != 0)
				assert_int_equal(ip_cold(p)->accts.n, n);
			ip_cold_get(p)->accts.n = 0;
			ip_tab_del(&t, p);
			assert_null(ip_tab_get(&t, &a));
			assert_non_null(htab_del(h, a.bytes, klen));
		} else {
			assert_null(htab_get(h, a.bytes, klen));
		}
		if (step % every == 0)
			same_order_ip(&t, h);
	}
	same_order_ip(&t, h);
	{
		size_t i;

		for (i = 0; i <= t.mask; i++)
			if (t.slot[i].tag != 0 && ip_cold(&t.slot[i]) != NULL)
				ip_cold(&t.slot[i])->accts.n = 0;
	}
	ip_tab_free(&t);
	htab_free(&h, NULL);
}

static void
test_ip_order(void **state)
{
	(void)state;
	ip_order(30, 4000, 1);
	ip_order(6000, 80000, 1000);
}

/* ------------------------------------------------------------ cold parts */

static void
feed(struct det *d, enum evt_type type, int64_t t, const char *acct, const char *ip)
{
	struct evt e;

	evt_clear(&e);
	e.type = type;
	e.time = t;
	e.source = "postfix";
	strcpy(e.service, "submission");
	strcpy(e.mech, "PLAIN");
	if (acct != NULL)
		strcpy(e.account, acct);
	if (ip != NULL)
		assert_int_equal(evt_set_ip(&e, strv_cstr(ip)), 0);
	det_feed(d, &e);
}

static struct acct *
acct_of(struct det *d, const char *key)
{
	return acct_tab_get(&d->accts, key, htab_hash(key, strlen(key)));
}

static struct ipst *
ip_at(struct det *d, const char *ip)
{
	struct netaddr a;

	assert_int_equal(netaddr_parse(ip, strlen(ip), &a), 0);
	return ip_tab_get(&d->ips, &a);
}

static void
test_cold(void **state)
{
	struct det_conf c;
	struct det *d;
	struct acct *a;
	struct ipst *s;
	int i;

	(void)state;
	assert_int_equal(conf_defaults(det_conf_defs, det_conf_ndefs, &c), 0);
	free(c.geoip_file);
	c.geoip_file = NULL;
	d = det_new(&c, NULL, NULL);

	/* logins and mail from home: no cold part */
	for (i = 0; i < 5; i++) {
		feed(d, EVT_AUTH_SUCCESS, T0 + i * 60, "home@example.org", "192.0.2.10");
		feed(d, EVT_MESSAGE_ACCEPTED, T0 + i * 60 + 1, "home@example.org", "192.0.2.10");
	}
	a = acct_of(d, "home@example.org");
	assert_non_null(a);
	assert_null(a->cold);
	assert_int_equal(a->nknown, 1);
	assert_int_equal(a->kn_uses[0], 5);

	/* a bounce of its mail: an NDR ring, kept for the ring's span */
	feed(d, EVT_BOUNCE, T0 + 600, "home@example.org", "192.0.2.10");
	assert_non_null(a->cold);
	assert_non_null(a->cold->ndr);
	feed(d, EVT_AUTH_SUCCESS, T0 + 5 * HOUR, "home@example.org", "192.0.2.10");
	assert_non_null(a->cold);

	/* failures from a stranger: the spread brute-force count, and the
	 * IP's set of accounts tried */
	feed(d, EVT_AUTH_FAILURE, T0 + 5 * HOUR + 1, "home@example.org", "203.0.113.9");
	assert_int_equal(a->cold->bf_fails, 1);
	s = ip_at(d, "203.0.113.9");
	assert_non_null(s);
	assert_non_null(ip_cold(s));
	assert_int_equal(ip_cold(s)->accts.n, 1);
	assert_int_equal(ip_cold(s)->existing.n, 1);
	/* a nameless failure: an IPv4 record without one; IPv6 always has one */
	feed(d, EVT_AUTH_FAILURE, T0 + 5 * HOUR + 2, NULL, "203.0.113.10");
	assert_null(ip_cold(ip_at(d, "203.0.113.10")));
	feed(d, EVT_AUTH_FAILURE, T0 + 5 * HOUR + 3, NULL, "2001:db8::1");
	assert_memory_equal(ip_cold(ip_at(d, "2001:db8::1"))->v6,
			    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	assert_int_equal(d->ips.count, 3);

	/* the NDR ring's 6 h and the 6 h brute-force window over: the
	 * hourly sweep frees the cold part; the account stays */
	feed(d, EVT_AUTH_SUCCESS, T0 + 12 * HOUR, "home@example.org", "192.0.2.10");
	assert_non_null(acct_of(d, "home@example.org"));
	assert_null(a->cold);
	/* the IPs' windows are a day long: still there */
	assert_int_equal(d->ips.count, 3);
	feed(d, EVT_AUTH_SUCCESS, T0 + 30 * HOUR, "home@example.org", "192.0.2.10");
	assert_int_equal(d->ips.count, 0);

	det_free(&d);
	conf_free(det_conf_defs, det_conf_ndefs, &c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acct_order),
		cmocka_unit_test(test_ip_order),
		cmocka_unit_test(test_cold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
