/* fuzz_policy.c - arbitrary bytes as a Postfix policy connection's input
 * SUMMARY  Requests are taken off the front of the input as the daemon
 *          does (pol_parse; after a request-type error it goes on). Each
 *          one checks: *used within the input and POL_REQ_MAX; every view
 *          inside the request's bytes; the request one byte short is
 *          POL_MORE; an error has a printable message. Each request then
 *          goes through pol_req_event (both stages: a filled event has
 *          NUL-terminated fields without control bytes), pol_decide with a
 *          small rate table (eviction) and state callbacks that check their
 *          keys, and pol_answer (with the decision's text and with the
 *          request's own values: always one "action=" line of printable
 *          ASCII and an empty line). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/evt.h"
#include "policy/pol_decide.h"
#include "policy/pol_proto.h"
#include "util/buf.h"
#include "util/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A key the callbacks get: NUL-terminated, lower case, no control byte. */
static void
fz_check_key(const char *key, size_t max)
{
	size_t i, n = strnlen(key, max);

	if (n == 0 || n >= max)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f ||
		    (key[i] >= 'A' && key[i] <= 'Z'))
			abort();
}

/* State answers from the key's first byte, so inputs can steer them. */
static bool
fz_locked(void *arg, const char *key)
{
	(void)arg;
	fz_check_key(key, LIMIT_ACCOUNT_MAX);
	return key[0] == 'l';
}

static bool
fz_suspected(void *arg, const char *key)
{
	(void)arg;
	fz_check_key(key, LIMIT_ACCOUNT_MAX);
	return key[0] == 's';
}

static bool
fz_allowed(void *arg, const char *key, const struct netaddr *client, bool *allowed)
{
	(void)arg;
	fz_check_key(key, LIMIT_ACCOUNT_MAX);
	if (client->family != 0 && client->family != 4 && client->family != 6)
		abort();
	if (key[0] != 'n')
		return false;
	*allowed = client->family == 4 && client->bytes[0] == 192;
	return true;
}

static bool
fz_alias(void *arg, const char *key, const char *sender)
{
	(void)arg;
	fz_check_key(key, LIMIT_ACCOUNT_MAX);
	fz_check_key(sender, LIMIT_ADDR_MAX);
	return sender[0] == 'a';
}

static bool
fz_within(struct strv v, const char *lo, const char *hi)
{
	return v.p != NULL && (v.len == 0 || (v.p >= lo && v.p + v.len <= hi));
}

static void
fz_check_field(const char *f, size_t size)
{
	size_t i, n = strnlen(f, size);

	if (n == size)
		abort();	/* not terminated */
	for (i = 0; i < n; i++)
		if ((unsigned char)f[i] < 0x20 || f[i] == 0x7f)
			abort();
}

static void
fz_check_event(const struct evt *e)
{
	if (e->type != EVT_MESSAGE_ACCEPTED || e->source == NULL ||
	    strcmp(e->source, "policy") != 0 || e->account[0] == '\0')
		abort();
	fz_check_field(e->service, sizeof(e->service));
	fz_check_field(e->account, sizeof(e->account));
	fz_check_field(e->ip, sizeof(e->ip));
	fz_check_field(e->mech, sizeof(e->mech));
	fz_check_field(e->sender, sizeof(e->sender));
	fz_check_field(e->qid, sizeof(e->qid));
	if ((e->ip[0] == '\0') != (e->addr.family == 0))
		abort();
}

/* pol_answer's output: "action=", printable ASCII, "\n\n". */
static void
fz_answer(const char *text)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	if (pol_answer(&b, text) < 0)
		abort();
	if (b.len < 7 + 1 + 2 || b.len > 7 + POL_ANSWER_MAX + 2 ||
	    memcmp(b.data, "action=", 7) != 0 || b.data[7] == ' ' ||
	    b.data[b.len - 3] == ' ' || b.data[b.len - 2] != '\n' || b.data[b.len - 1] != '\n')
		abort();
	for (i = 0; i < b.len - 2; i++)
		if ((unsigned char)b.data[i] < 0x20 || (unsigned char)b.data[i] > 0x7e)
			abort();
	buf_release(&b);
}

static void
fz_request(const struct pol_req *r, const char *p, size_t used, struct pol_rates *rt,
	   int64_t now)
{
	static const struct pol_state_ops ops = { fz_locked, fz_suspected, fz_allowed, fz_alias,
						  NULL };
	const struct strv *named[] = {
		&r->request,	     &r->protocol_state, &r->protocol_name, &r->helo_name,
		&r->queue_id,	     &r->sender,	 &r->recipient,	    &r->client_address,
		&r->client_name,     &r->reverse_client_name, &r->sasl_method,
		&r->sasl_username,   &r->sasl_sender,	 &r->instance,	    &r->server_address,
		&r->server_port,
	};
	struct pol_conf c;
	const char *text = NULL;
	enum pol_verdict v;
	struct evt e;
	unsigned i;
	char *copy;

	if (r->nattr == 0 || r->nattr > POL_ATTRS_MAX)
		abort();
	for (i = 0; i < r->nattr; i++)
		if (!fz_within(r->attr[i].name, p, p + used) || r->attr[i].name.len == 0 ||
		    r->attr[i].name.len > POL_NAME_MAX ||
		    !fz_within(r->attr[i].value, p, p + used) ||
		    memchr(r->attr[i].value.p, '\0', r->attr[i].value.len) != NULL)
			abort();
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (!fz_within(*named[i], p, p + used))
			abort();
	if (!strv_eq_cstr(r->request, "smtpd_access_policy"))
		abort();

	/* One byte short, in a buffer of its own: not a request yet. */
	copy = malloc(used - 1 ? used - 1 : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, p, used - 1);
	{
		static struct pol_req r2;
		size_t u2;
		const char *err2;

		if (pol_parse(copy, used - 1, &u2, &r2, &err2) != POL_MORE || u2 != 0)
			abort();
	}
	free(copy);

	if (pol_req_event(r, false, now, &e))
		fz_check_event(&e);
	if (pol_req_event(r, true, now, &e))
		fz_check_event(&e);

	pol_conf_defaults(&c);
	c.mismatch_check = (used & 1) != 0;
	c.msg_rate = 3;
	c.rcpt_rate = 7;
	c.rate_window = 60 + (int64_t)(used % 3) * 3540;
	v = pol_decide(&c, &ops, rt, r, now, &text);
	if ((unsigned)v >= PV_MAX || text == NULL || text[0] == '\0' ||
	    strcmp(pol_verdict_name(v), "unknown") == 0)
		abort();
	if (r->sasl_username.len == 0 && v != PV_DUNNO)
		abort();
	fz_answer(text);

	/* Attacker text as an action: sanitized all the same. */
	for (i = 0; i < r->nattr && i < 4; i++) {
		char t[POL_REQ_MAX + 1];

		memcpy(t, r->attr[i].value.p, r->attr[i].value.len);
		t[r->attr[i].value.len] = '\0';
		fz_answer(t);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pol_req r;
	struct pol_rates *rt;
	const char *p = (const char *)data;
	size_t off = 0;
	int64_t now = 1374487200;
	unsigned i;

	msg_set_quiet(true);
	/* Times from the input: forward, back, and the extremes. */
	for (i = 0; i < size && i < 8; i++)
		now += (int64_t)data[i] * 13 - 1600;
	if (size % 16 == 15)
		now = INT64_MAX - 5;
	else if (size % 16 == 14)
		now = INT64_MIN + 5;
	rt = pol_rates_new(4);
	for (;;) {
		size_t len = size - off, used = 12345;
		const char *err = (const char *)1;
		enum pol_status st = pol_parse(p + off, len, &used, &r, &err);

		switch (st) {
		case POL_OK:
			if (err != NULL || used == 0 || used > len || used > POL_REQ_MAX)
				abort();
			fz_request(&r, p + off, used, rt, now);
			off += used;
			if (now > INT64_MIN + 100 && now < INT64_MAX - 100)
				now += (int64_t)(used % 97) - 16;
			continue;
		case POL_MORE:
			if (err != NULL || used != 0 || len >= POL_REQ_MAX)
				abort();
			break;
		case POL_TOO_LONG:
		case POL_TOO_MANY:
		case POL_SYNTAX:
			if (err == NULL || err[0] == '\0')
				abort();
			for (i = 0; err[i] != '\0'; i++)
				if (err[i] < 0x20 || err[i] > 0x7e)
					abort();
			if (used > len || used > POL_REQ_MAX || (used != 0 && st != POL_SYNTAX))
				abort();
			if (st == POL_TOO_LONG && len < POL_REQ_MAX)
				abort();
			if (used != 0) {	/* a request of another type: go on */
				off += used;
				continue;
			}
			break;
		default:
			abort();
		}
		break;
	}
	pol_rates_free(&rt);
	return 0;
}
