/* evt.c - the normalized event */
#include "core/evt.h"

#include <string.h>

#include "util/jsonw.h"
#include "util/timeconv.h"
#include "util/utf8.h"

void
evt_clear(struct evt *e)
{
	/* Only the scalars and the first byte of each string need resetting;
	 * clearing 2 KiB per log line would cost more than parsing it. */
	e->type = EVT_NONE;
	e->status = EVT_STATUS_NONE;
	e->source = NULL;
	e->time = 0;
	e->usec = 0;
	e->flags = 0;
	e->nrcpt = e->attempts = 0;
	e->size = 0;
	e->score = 0;
	memset(&e->addr, 0, sizeof(e->addr));
	e->service[0] = e->account[0] = e->ip[0] = e->mech[0] = '\0';
	e->qid[0] = e->dlv[0] = e->ndr_qid[0] = '\0';
	e->sender[0] = e->recipient[0] = e->relay[0] = '\0';
	e->dsn[0] = e->reason[0] = e->host[0] = '\0';
}

int
evt_set(char *dst, size_t dstsize, struct strv v)
{
	size_t i;

	dst[0] = '\0';
	if (v.len >= dstsize)
		return -1;
	for (i = 0; i < v.len; i++)
		if ((unsigned char)v.p[i] < 0x20 || v.p[i] == 0x7f)
			return -1;
	memcpy(dst, v.p, v.len);
	dst[v.len] = '\0';
	return 0;
}

void
evt_set_text(char *dst, size_t dstsize, struct strv v)
{
	size_t n = v.len;

	if (n >= dstsize) {
		n = dstsize - 1;
		/* Do not cut a UTF-8 sequence in half. */
		while (n > 0 && ((unsigned char)v.p[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, v.p, n);
	dst[n] = '\0';
}

void
evt_set_reason2(struct evt *e, const char *prefix, struct strv text)
{
	size_t pl = strlen(prefix);

	if (pl >= sizeof(e->reason))
		pl = sizeof(e->reason) - 1;
	memcpy(e->reason, prefix, pl);
	evt_set_text(e->reason + pl, sizeof(e->reason) - pl,
		     text.p != NULL ? text : STRV_LIT(""));
}

int
evt_set_ip(struct evt *e, struct strv v)
{
	struct netaddr a;

	if (netaddr_parse(v.p, v.len, &a) < 0)
		return -1;
	e->addr = a;
	netaddr_format(&a, e->ip);
	return 0;
}

void
evt_account_key(const char *account, char *dst)
{
	size_t i;

	for (i = 0; account[i] != '\0' && i < LIMIT_ACCOUNT_MAX - 1; i++) {
		char c = account[i];

		dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 'a' - 'A') : c;
	}
	dst[i] = '\0';
}

const char *
evt_type_name(enum evt_type t)
{
	switch (t) {
	case EVT_AUTH_SUCCESS: return "auth_success";
	case EVT_AUTH_FAILURE: return "auth_failure";
	case EVT_MESSAGE_ACCEPTED: return "message_accepted";
	case EVT_DELIVERY: return "delivery";
	case EVT_BOUNCE: return "bounce";
	case EVT_REJECT: return "reject";
	case EVT_SPAM_CHECK: return "spam_check";
	case EVT_LINK_DELIVERY: return "link_delivery";
	case EVT_MSG_DONE: return "msg_done";
	case EVT_MSG_CLIENT: return "msg_client";
	default: return "none";
	}
}

const char *
evt_status_name(enum evt_status s)
{
	switch (s) {
	case EVT_STATUS_SENT: return "sent";
	case EVT_STATUS_DEFERRED: return "deferred";
	case EVT_STATUS_BOUNCED: return "bounced";
	case EVT_STATUS_SPAM: return "spam";
	case EVT_STATUS_CLEAN: return "clean";
	default: return "";
	}
}

enum evt_status
evt_status_parse(struct strv w)
{
	static const struct {
		const char *word;
		enum evt_status st;
	} map[] = {
		{ "sent", EVT_STATUS_SENT },	     { "delivered", EVT_STATUS_SENT },
		{ "success", EVT_STATUS_SENT },	     { "deferred", EVT_STATUS_DEFERRED },
		{ "deferral", EVT_STATUS_DEFERRED }, { "bounced", EVT_STATUS_BOUNCED },
		{ "failure", EVT_STATUS_BOUNCED },   { "expired", EVT_STATUS_BOUNCED },
		{ "undeliverable", EVT_STATUS_BOUNCED },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strv_eq_cstr(w, map[i].word))
			return map[i].st;
	return EVT_STATUS_NONE;
}

bool
evt_is_public(const struct evt *e)
{
	return e->type > EVT_NONE && e->type < EVT_PUBLIC_END;
}

static void
evt_kfield(struct jw *w, const char *key, const char *val)
{
	if (val[0] != '\0')
		jw_kcstr(w, key, val);
}

void
evt_json(const struct evt *e, struct buf *b)
{
	char ts[TIMECONV_RFC3339_LEN];
	struct jw w;

	jw_init(&w, b);
	jw_obj_begin(&w);
	timeconv_format_utc(e->time, ts);
	jw_kstr(&w, "time", ts, 20);
	if (e->source != NULL)
		jw_kcstr(&w, "source", e->source);
	evt_kfield(&w, "service", e->service);
	jw_kcstr(&w, "type", evt_type_name(e->type));
	evt_kfield(&w, "account", e->account);
	evt_kfield(&w, "ip", e->ip);
	evt_kfield(&w, "mech", e->mech);
	evt_kfield(&w, "qid", e->qid);
	if (e->flags & EVT_HAS_SENDER)
		jw_kcstr(&w, "sender", e->sender);
	evt_kfield(&w, "recipient", e->recipient);
	if (e->flags & EVT_HAS_NRCPT)
		jw_kint(&w, "nrcpt", e->nrcpt);
	if (e->flags & EVT_HAS_SIZE) {
		jw_key(&w, "size");
		jw_uint(&w, e->size);
	}
	if (e->status != EVT_STATUS_NONE)
		jw_kcstr(&w, "status", evt_status_name(e->status));
	if (e->flags & EVT_HAS_SCORE) {
		jw_key(&w, "score");
		jw_double(&w, e->score, 1);
	}
	evt_kfield(&w, "dsn", e->dsn);
	evt_kfield(&w, "relay", e->relay);
	evt_kfield(&w, "ndr_qid", e->ndr_qid);
	if (e->flags & EVT_HAS_ATTEMPTS)
		jw_kint(&w, "attempts", e->attempts);
	evt_kfield(&w, "reason", e->reason);
	if (e->flags & EVT_REPEAT) {
		jw_key(&w, "repeat");
		jw_bool(&w, true);
	}
	evt_kfield(&w, "host", e->host);
	jw_obj_end(&w);
}
