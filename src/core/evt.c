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

/* Does p hold a control byte (< 0x20 or 0x7f)? Every identity field of
 * every event passes here, so 8 bytes are checked at once ("has a byte
 * less than" and "has a zero byte" tests, exact as yes/no answers); a
 * string of 8 or more ends with its last 8 bytes, overlapping. */
static bool
evt_has_ctl(const char *p, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t w, x;
	size_t i;

	if (len < 8) {
		for (i = 0; i < len; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
				return true;
		return false;
	}
	for (i = 0;; i += 8) {
		if (i > len - 8)
			i = len - 8;
		memcpy(&w, p + i, 8);
		x = w ^ (ones * 0x7f);
		if ((((w - ones * 0x20) & ~w) | ((x - ones) & ~x)) & high)
			return true;
		if (i == len - 8)
			return false;
	}
}

/* memcpy for the short strings of an event (a host, a queue id, an
 * address): two overlapping loads and stores instead of a call. */
static inline void
evt_copy(char *dst, const char *src, size_t n)
{
	uint64_t a, b;
	uint32_t x, y;

	if (n >= 8 && n <= 16) {
		memcpy(&a, src, 8);
		memcpy(&b, src + n - 8, 8);
		memcpy(dst, &a, 8);
		memcpy(dst + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(&x, src, 4);
		memcpy(&y, src + n - 4, 4);
		memcpy(dst, &x, 4);
		memcpy(dst + n - 4, &y, 4);
	} else if (n > 16) {
		memcpy(dst, src, n);
	} else {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
	}
}

int
evt_set(char *dst, size_t dstsize, struct strv v)
{
	dst[0] = '\0';
	if (v.len >= dstsize || evt_has_ctl(v.p, v.len))
		return -1;
	evt_copy(dst, v.p, v.len);
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

/* ---- JSON ---------------------------------------------------------------
 * evt_json runs once per event of `mailsentry events`, where going through
 * struct jw (separator state, a bounds check and a strlen per key and per
 * piece) cost more than the text itself. So the object is written straight
 * into room reserved once for the longest possible object, with the keys as
 * literals; the strings go through jw_escape_raw, the same escaping as
 * jw_escape. */

/* Every string field escaped at its worst (each is shorter than its array,
 * and struct evt holds more than the arrays), the keys and the numbers. */
#define EVT_JSON_ROOM (JW_ESCAPE_ROOM(sizeof(struct evt)) + 1024)

#define EJ_LIT(o, s) (memcpy((o), (s), sizeof(s) - 1), (o) += sizeof(s) - 1)

/* ,"key":"escaped value" -- kq is the literal ,"key":" */
static char *
ej_kstr(char *o, const char *kq, size_t kqlen, const char *v)
{
	memcpy(o, kq, kqlen);
	o = jw_escape_raw(o + kqlen, v, strlen(v));
	*o++ = '"';
	return o;
}

/* ,"key":"value" for a name of ours that needs no escaping (the type and
 * status names: lower-case letters and '_'). */
static char *
ej_kname(char *o, const char *kq, size_t kqlen, const char *v)
{
	size_t n = strlen(v);

	memcpy(o, kq, kqlen);
	memcpy(o + kqlen, v, n);
	o[kqlen + n] = '"';
	return o + kqlen + n + 1;
}

/* ,"source":"..." -- the source is one of a few static strings: the text
 * of the last one is kept, per thread, by its address. */
static char *
ej_ksource(char *o, const char *src)
{
	static _Thread_local const char *last;
	static _Thread_local char text[160];
	static _Thread_local size_t tlen;

	if (src != last) {
		size_t n = strlen(src);

		if (JW_ESCAPE_ROOM(n) + 16 > sizeof(text))
			return ej_kstr(o, ",\"source\":\"", sizeof(",\"source\":\"") - 1, src);
		memcpy(text, ",\"source\":\"", sizeof(",\"source\":\"") - 1);
		tlen = (size_t)(jw_escape_raw(text + sizeof(",\"source\":\"") - 1, src, n) - text);
		text[tlen++] = '"';
		last = src;
	}
	memcpy(o, text, tlen);
	return o + tlen;
}

/* The same for a field of struct evt: an array of at least 8 bytes. */
static char *
ej_kfield(char *o, const char *kq, size_t kqlen, const char *v)
{
	memcpy(o, kq, kqlen);
	o = jw_escape_raw8(o + kqlen, v, strlen(v));
	*o++ = '"';
	return o;
}

#define EJ_KQ(key) ",\"" key "\":\"", sizeof(",\"" key "\":\"") - 1
#define EJ_KSTR(o, key, v) ((o) = ej_kstr((o), EJ_KQ(key), (v)))
/* A field of struct evt; a string one only when it is set, as evt_json
 * always did. */
#define EJ_KARR(o, key, v)                                                 \
	do {                                                               \
		_Static_assert(sizeof(v) >= 8, "jw_escape_raw8 reads 8 bytes"); \
		(o) = ej_kfield((o), EJ_KQ(key), (v));                    \
	} while (0)
#define EJ_KFIELD(o, key, v)                     \
	do {                                      \
		if ((v)[0] != '\0')               \
			EJ_KARR(o, key, v);        \
	} while (0)

static char *
ej_u64(char *o, uint64_t v)
{
	char tmp[20], *p = tmp + sizeof(tmp);
	size_t n;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(o, p, n);
	return o + n;
}

static char *
ej_write(const struct evt *e, char *o)
{
	EJ_LIT(o, "{\"time\":\"");
	o += timeconv_format_utc(e->time, o);
	*o++ = '"';
	if (e->source != NULL)
		o = ej_ksource(o, e->source);
	EJ_KFIELD(o, "service", e->service);
	o = ej_kname(o, EJ_KQ("type"), evt_type_name(e->type));
	EJ_KFIELD(o, "account", e->account);
	EJ_KFIELD(o, "ip", e->ip);
	EJ_KFIELD(o, "mech", e->mech);
	EJ_KFIELD(o, "qid", e->qid);
	if (e->flags & EVT_HAS_SENDER)
		EJ_KARR(o, "sender", e->sender);
	EJ_KFIELD(o, "recipient", e->recipient);
	if (e->flags & EVT_HAS_NRCPT) {
		EJ_LIT(o, ",\"nrcpt\":");
		o = ej_u64(o, e->nrcpt);
	}
	if (e->flags & EVT_HAS_SIZE) {
		EJ_LIT(o, ",\"size\":");
		o = ej_u64(o, e->size);
	}
	if (e->status != EVT_STATUS_NONE)
		o = ej_kname(o, EJ_KQ("status"), evt_status_name(e->status));
	if (e->flags & EVT_HAS_SCORE) {
		/* Rare (spam_check) and a double: jw_double's own formatting. */
		struct buf nb;
		struct jw w;

		EJ_LIT(o, ",\"score\":");
		buf_init(&nb, 0);
		jw_init(&w, &nb);
		jw_double(&w, e->score, 1);
		memcpy(o, nb.data, nb.len);
		o += nb.len;
		buf_release(&nb);
	}
	EJ_KFIELD(o, "dsn", e->dsn);
	EJ_KFIELD(o, "relay", e->relay);
	EJ_KFIELD(o, "ndr_qid", e->ndr_qid);
	if (e->flags & EVT_HAS_ATTEMPTS) {
		EJ_LIT(o, ",\"attempts\":");
		o = ej_u64(o, e->attempts);
	}
	EJ_KFIELD(o, "reason", e->reason);
	if (e->flags & EVT_REPEAT)
		EJ_LIT(o, ",\"repeat\":true");
	EJ_KFIELD(o, "host", e->host);
	*o++ = '}';
	return o;
}

void
evt_json(const struct evt *e, struct buf *b)
{
	size_t room = EVT_JSON_ROOM + (e->source != NULL ? JW_ESCAPE_ROOM(strlen(e->source)) : 0);
	struct buf tmp;
	char *o;

	if (buf_reserve(b, room) == 0) {
		o = ej_write(e, b->data + b->len);
		b->len = (size_t)(o - b->data);
		b->data[b->len] = '\0';
		return;
	}
	/* b's max leaves no room for the worst case: write apart, then append
	 * the whole object or nothing. */
	buf_init(&tmp, 0);
	if (buf_reserve(&tmp, room) == 0) {
		o = ej_write(e, tmp.data);
		buf_append(b, tmp.data, (size_t)(o - tmp.data));
	}
	buf_release(&tmp);
}
