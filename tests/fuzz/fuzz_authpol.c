/* fuzz_authpol.c - arbitrary bytes as a series of Dovecot auth policy
 *                  requests against one state
 * SUMMARY  The input is split at lines "=====" into requests; a request's
 *          first line is its URI, the rest its body. Each goes through
 *          authpol_command and authpol_parse (under its command, allow when
 *          it has none). Checks: an error has a printable message, success
 *          none; every field of a parsed request is terminated and holds
 *          what its contract says (key = lower-case login, pwhash lower hex
 *          of hash_bits / 4 digits, remote_txt the canonical remote,
 *          protocol/mech words). Then an allow goes through authpol_decide
 *          (the verdict's status and message agree, a leaked refusal has
 *          enough bits, the answer is JSON with an integer status and a
 *          string msg), a report through authpol_report and
 *          authpol_req_event. Login names steer the state: 'm...' marks the
 *          account's hashes leaked, 'r...' refuses the remote; the leaked
 *          text of each account is read back into a second state and must
 *          write the same. The body is also read as saved leaked text.
 *          Tables are tiny, so eviction runs. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "authpol/authpol_decide.h"
#include "authpol/authpol_proto.h"
#include "util/buf.h"
#include "util/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_field(const char *f, size_t size, bool word)
{
	size_t i, n = strnlen(f, size);

	if (n == size)
		abort();	/* not terminated */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)f[i];

		if (c < 0x20 || c == 0x7f)
			abort();
		if (word && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			abort();
	}
}

static void
fz_check_req(const struct authpol_req *r)
{
	char key[LIMIT_ACCOUNT_MAX], txt[NETADDR_STRLEN];
	size_t i, n;

	fz_field(r->login, sizeof(r->login), false);
	fz_field(r->key, sizeof(r->key), false);
	fz_field(r->protocol, sizeof(r->protocol), true);
	fz_field(r->mech, sizeof(r->mech), true);
	fz_field(r->session_id, sizeof(r->session_id), false);
	evt_account_key(r->login, key);
	if (strcmp(key, r->key) != 0)
		abort();
	n = strnlen(r->pwhash, sizeof(r->pwhash));
	if (n == sizeof(r->pwhash) || r->hash_bits != n * 4)
		abort();
	for (i = 0; i < n; i++)
		if (!((r->pwhash[i] >= '0' && r->pwhash[i] <= '9') ||
		      (r->pwhash[i] >= 'a' && r->pwhash[i] <= 'f')))
			abort();
	for (i = 0; r->protocol[i] != '\0'; i++)
		if (r->protocol[i] >= 'A' && r->protocol[i] <= 'Z')
			abort();
	for (i = 0; r->mech[i] != '\0'; i++)
		if (r->mech[i] >= 'a' && r->mech[i] <= 'z')
			abort();
	if (r->remote.family == 0) {
		if (r->remote_txt[0] != '\0')
			abort();
	} else {
		if (r->remote.family != 4 && r->remote.family != 6)
			abort();
		netaddr_format(&r->remote, txt);
		if (strcmp(txt, r->remote_txt) != 0)
			abort();
	}
	if (r->cmd == AUTHPOL_CMD_REPORT && !r->has_success)
		abort();
	if (r->nkeys > AUTHPOL_KEYS_MAX)
		abort();
}

/* The answer is JSON: {"status": int, "msg": string}. */
static void
fz_answer(int status, const char *msg)
{
	struct buf b;
	json_t *j;
	json_error_t je;

	buf_init(&b, 0);
	if (authpol_answer(&b, status, msg) < 0)
		abort();
	j = json_loadb(b.data, b.len, 0, &je);
	if (j == NULL || !json_is_integer(json_object_get(j, "status")) ||
	    json_integer_value(json_object_get(j, "status")) != status ||
	    !json_is_string(json_object_get(j, "msg")) || json_object_size(j) != 2 ||
	    json_string_length(json_object_get(j, "msg")) > AUTHPOL_MSG_MAX * 3)
		abort();
	json_decref(j);
	buf_release(&b);
}

static void
fz_event(const struct authpol_req *r, enum evt_type t, int64_t now)
{
	struct evt e;

	if (!authpol_req_event(r, t, "fuzz", now, &e)) {
		if (r->login[0] != '\0' || r->remote.family != 0)
			abort();
		return;
	}
	if (e.type != t || strcmp(e.source, "authpolicy") != 0 || e.time != now ||
	    strcmp(e.account, r->login) != 0 || strcmp(e.ip, r->remote_txt) != 0 ||
	    e.addr.family != r->remote.family)
		abort();
	fz_field(e.service, sizeof(e.service), false);
	fz_field(e.account, sizeof(e.account), false);
	fz_field(e.mech, sizeof(e.mech), false);
}

static void
fz_decide(struct authpol *ap, const struct authpol_conf *c, const struct authpol_req *r,
	  int64_t now)
{
	struct authpol_answer a;
	enum authpol_verdict v = authpol_decide(ap, r, r->key[0] == 'l', now, &a);

	if ((unsigned)v >= APV_MAX || v != a.verdict || a.msg == NULL ||
	    strcmp(authpol_verdict_name(v), "unknown") == 0)
		abort();
	switch (v) {
	case APV_ALLOW:
		if (a.status != 0 || a.msg[0] != '\0')
			abort();
		break;
	case APV_LEAKED:
		if (a.status != -1 || !a.leaked_seen || r->hash_bits < c->min_hash_bits ||
		    r->key[0] == '\0')
			abort();
		break;
	case APV_LOCKED:
		if (a.status != -1 || r->key[0] != 'l')
			abort();
		break;
	case APV_IP:
		if (a.status != -1 || a.ip_why == NULL || r->remote.family == 0 ||
		    !authpol_ip_refused(ap, &r->remote, now, NULL))
			abort();
		break;
	case APV_DELAY:
		if (a.status != (int)c->delay || a.status <= 0)
			abort();
		break;
	default:
		abort();
	}
	if (a.leaked_seen && (r->key[0] == '\0' || r->pwhash[0] == '\0'))
		abort();
	fz_answer(a.status, a.msg);
}

/* The leaked text of key, read into a fresh state, writes the same. */
static void
fz_roundtrip(const struct authpol *ap, const struct authpol_conf *c, const char *key,
	     int64_t now)
{
	char t1[1024], t2[1024];
	struct authpol *ap2;
	unsigned n = authpol_leaked_text(ap, key, t1, sizeof(t1));

	if (n > AUTHPOL_LEAKED)
		abort();
	if (n == 0)
		return;
	ap2 = authpol_new(c);
	/* marks are at most now, and within leaked_time of now (the
	 * decisions drop older ones only when they meet them) */
	if (authpol_leaked_load(ap2, key, t1, now) < 0)
		abort();
	authpol_leaked_text(ap2, key, t2, sizeof(t2));
	if (strlen(t2) > strlen(t1))
		abort();
	authpol_free(&ap2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct authpol_req r;
	const char *p = (const char *)data, *end = p + size;
	struct authpol_conf c;
	struct authpol *ap;
	int64_t now = 1374487200;
	char *copy;
	unsigned i;

	msg_set_quiet(true);
	memset(&c, 0, sizeof(c));
	c.min_hash_bits = size % 3 == 0 ? 16 : 32;
	c.ban_time = size % 5 == 0 ? 0 : 600;
	c.leaked_time = size % 7 == 0 ? 0 : 86400;
	c.delay = 1 + (unsigned)(size % 2);
	c.delay_failures = 2;
	c.fail_window = 60;
	c.max_accounts = 4;
	c.max_ips = 4;
	ap = authpol_new(&c);

	/* The whole input as saved leaked text: refused or loaded, never a crash. */
	copy = malloc(size + 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	(void)authpol_leaked_load(ap, "saved@example.org", copy, now);
	free(copy);

	for (i = 0; p < end && i < 64; i++) {
		const char *sep = NULL, *q, *nl, *body;
		size_t blen;
		enum authpol_cmd cmd;
		const char *err = (const char *)1;
		int rc;

		for (q = p; q + 7 <= end; q++)
			if (memcmp(q, "\n=====\n", 7) == 0) {
				sep = q;
				break;
			}
		if (sep == NULL)
			sep = end;
		nl = memchr(p, '\n', (size_t)(sep - p));
		body = nl != NULL ? nl + 1 : sep;
		blen = (size_t)(sep - body);
		cmd = authpol_command(p, (size_t)((nl != NULL ? nl : sep) - p));
		if (cmd != AUTHPOL_CMD_NONE && cmd != AUTHPOL_CMD_ALLOW && cmd != AUTHPOL_CMD_REPORT)
			abort();

		/* the body alone, in a buffer of its exact size */
		copy = malloc(blen ? blen : 1);
		if (copy == NULL)
			abort();
		memcpy(copy, body, blen);
		rc = authpol_parse(copy, blen, cmd == AUTHPOL_CMD_NONE ? AUTHPOL_CMD_ALLOW : cmd, &r,
				   &err);
		free(copy);
		if (rc == 0) {
			if (err != NULL)
				abort();
			fz_check_req(&r);
			if (r.cmd == AUTHPOL_CMD_REPORT) {
				authpol_report(ap, &r, now);
				fz_event(&r, r.success ? EVT_AUTH_SUCCESS : EVT_AUTH_FAILURE, now);
			} else {
				fz_decide(ap, &c, &r, now);
			}
			if (r.key[0] == 'm') {
				authpol_mark_leaked(ap, r.key, now);
				fz_roundtrip(ap, &c, r.key, now);
			}
			if (r.key[0] == 'r')
				authpol_refuse_ip(ap, &r.remote, "brute_force", now);
		} else {
			size_t k;

			if (rc != -1 || err == NULL || err == (const char *)1 || err[0] == '\0')
				abort();
			for (k = 0; err[k] != '\0'; k++)
				if (err[k] < 0x20 || err[k] > 0x7e)
					abort();
		}
		now += (int64_t)(blen % 50);
		p = sep < end ? sep + 7 : end;
	}
	{
		struct authpol_stats st;

		authpol_get_stats(ap, now, &st);
		if (st.accounts > 4 || st.ips > 4 || st.refused_ips > st.ips)
			abort();
	}
	authpol_free(&ap);
	return 0;
}
