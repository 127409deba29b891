/* fleet_codec.c - one event as text between mailsentry instances */
#include "fleet/fleet_codec.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "util/jsonw.h"
#include "util/strv.h"
#include "util/timeconv.h"
#include "util/utf8.h"

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years evt_json writes
 * as they are (it writes 0000 for every year out of range). */
#define FLEET_TIME_MIN INT64_C(-62167219200)
#define FLEET_TIME_MAX INT64_C(253402300799)

static const enum evt_type fleet_types[] = {
	EVT_NONE,	  EVT_AUTH_SUCCESS, EVT_AUTH_FAILURE,  EVT_MESSAGE_ACCEPTED,
	EVT_DELIVERY,	  EVT_BOUNCE,	    EVT_REJECT,	       EVT_SPAM_CHECK,
	EVT_LINK_DELIVERY, EVT_MSG_DONE,    EVT_MSG_CLIENT,
};

static const enum evt_status fleet_statuses[] = {
	EVT_STATUS_SENT, EVT_STATUS_DEFERRED, EVT_STATUS_BOUNCED, EVT_STATUS_SPAM,
	EVT_STATUS_CLEAN,
};

/* Every source a parser, the policy service or the auth policy service
 * sets; any other name decodes as "fleet". */
static const char *const fleet_sources[] = {
	"postfix", "dovecot", "qmail",	 "vpopmail", "courier",	   "cyrus",
	"uwimap",  "sendmail", "exim",	 "spamd",    "policy",	   "authpolicy",
};
#define FLEET_SOURCE_OTHER "fleet"

/* The flags the codec carries: all that evt.h defines. */
#define FLEET_FLAGS                                                                    \
	(EVT_HAS_SENDER | EVT_HAS_NRCPT | EVT_HAS_SIZE | EVT_HAS_ATTEMPTS | EVT_HAS_SCORE | \
	 EVT_REPEAT)

/* The string fields, in evt_json's order; dlv is ours (inside "fleet"). */
struct fleet_field {
	const char *key;
	size_t off, size;
	bool text;	/* free text: cut to fit, not refused */
};

#define FF(name, text) { #name, offsetof(struct evt, name), sizeof(((struct evt *)0)->name), text }
static const struct fleet_field fleet_fields[] = {
	FF(service, false), FF(account, false),	  FF(mech, false),   FF(qid, false),
	FF(sender, false),  FF(recipient, false), FF(dsn, false),    FF(relay, true),
	FF(ndr_qid, false), FF(reason, true),	  FF(host, false),   FF(dlv, false),
};
#undef FF
#define FLEET_NFIELDS (sizeof(fleet_fields) / sizeof(fleet_fields[0]))
#define FLEET_DLV (FLEET_NFIELDS - 1)

static bool
fleet_type_known(enum evt_type t)
{
	size_t i;

	for (i = 0; i < sizeof(fleet_types) / sizeof(fleet_types[0]); i++)
		if (fleet_types[i] == t)
			return true;
	return false;
}

static bool
fleet_status_known(enum evt_status s)
{
	size_t i;

	if (s == EVT_STATUS_NONE)
		return true;
	for (i = 0; i < sizeof(fleet_statuses) / sizeof(fleet_statuses[0]); i++)
		if (fleet_statuses[i] == s)
			return true;
	return false;
}

static const char *
fleet_field_str(const struct evt *e, size_t i)
{
	return (const char *)e + fleet_fields[i].off;
}

/* Is field i written by evt_json (or by us, for dlv)? */
static bool
fleet_field_written(const struct evt *e, size_t i)
{
	if (strcmp(fleet_fields[i].key, "sender") == 0)
		return (e->flags & EVT_HAS_SENDER) != 0;	/* as evt_json: "" included */
	return fleet_field_str(e, i)[0] != '\0';
}

/* ---- encode ------------------------------------------------------------- */

/* Can evt_json write this score? It writes "%.1f" through a 64-byte buffer:
 * null for a non-finite one, and for one of 60 digits or more text that is
 * not a JSON number. Those go in "fleet" only. */
static bool
fleet_score_plain(double v)
{
	return isfinite(v) && fabs(v) < 1e50;
}

static void
fleet_put_key(struct buf *x, const char *key)
{
	buf_append_char(x, x->len > 0 ? ',' : '{');
	buf_append_char(x, '"');
	buf_append_str(x, key);
	buf_append(x, "\":", 2);
}

static void
fleet_put_str(struct buf *x, const char *key, const char *s, size_t len)
{
	fleet_put_key(x, key);
	buf_append_char(x, '"');
	jw_escape(x, s, len);
	buf_append_char(x, '"');
}

/* The "fleet" object's members into x ("{..." without the closing brace,
 * or nothing); *w becomes the event evt_json is to write: e itself or,
 * when a top-level member must be left out, a copy in *copy. */
static void
fleet_extras(const struct evt *e, struct evt *copy, const struct evt **w, struct buf *x)
{
	static const char hex[] = "0123456789abcdef";
	char num[64];
	size_t i, j, nraw = 0;
	int n;

	*w = e;
	if (e->usec != 0) {
		n = snprintf(num, sizeof(num), "%" PRIu32, e->usec);
		fleet_put_key(x, "usec");
		buf_append(x, num, (size_t)n);
	}
	if (e->dlv[0] != '\0')
		fleet_put_str(x, "dlv", e->dlv, strlen(e->dlv));
	if (e->flags & EVT_HAS_SCORE) {
		fleet_put_key(x, "score");
		if (isfinite(e->score)) {
			n = snprintf(num, sizeof(num), "%.17g", e->score);
			buf_append(x, num, (size_t)n);
			/* "-0" or "5" would come back as the integer 0 or 5:
			 * make it a real so -0.0 keeps its sign. */
			if (strpbrk(num, ".e") == NULL)
				buf_append(x, ".0", 2);
		} else {
			buf_append_str(x, isnan(e->score) ? "\"nan\""
					  : e->score > 0  ? "\"inf\""
							  : "\"-inf\"");
		}
	}
	if ((e->flags & EVT_HAS_SIZE) && e->size > (uint64_t)INT64_MAX) {
		n = snprintf(num, sizeof(num), "\"%" PRIu64 "\"", e->size);
		fleet_put_key(x, "size");
		buf_append(x, num, (size_t)n);
	}
	for (i = 0; i < FLEET_NFIELDS; i++) {
		const char *s = fleet_field_str(e, i);
		size_t len = strlen(s);

		if (!fleet_field_written(e, i) || utf8_valid(s, len))
			continue;
		if (nraw++ == 0) {
			fleet_put_key(x, "raw");
			buf_append_char(x, '{');
		} else {
			buf_append_char(x, ',');
		}
		buf_append_char(x, '"');
		buf_append_str(x, fleet_fields[i].key);
		buf_append(x, "\":\"", 3);
		for (j = 0; j < len; j++) {
			unsigned char c = (unsigned char)s[j];
			char h[2] = { hex[c >> 4], hex[c & 15] };

			buf_append(x, h, 2);
		}
		buf_append_char(x, '"');
	}
	if (nraw > 0)
		buf_append_char(x, '}');
	/* What the top-level members cannot say goes in "fleet" alone. */
	if (((e->flags & EVT_HAS_SCORE) && !fleet_score_plain(e->score)) ||
	    ((e->flags & EVT_HAS_SIZE) && e->size > (uint64_t)INT64_MAX)) {
		*copy = *e;
		if (!fleet_score_plain(e->score))
			copy->flags &= ~(uint32_t)EVT_HAS_SCORE;
		if (e->size > (uint64_t)INT64_MAX)
			copy->flags &= ~(uint32_t)EVT_HAS_SIZE;
		*w = copy;
	}
}

int
fleet_evt_encode(const struct evt *e, struct buf *b)
{
	size_t len0 = b->len;
	const struct evt *w;
	struct evt copy;
	struct buf x;
	int rc = -1;

	if (!fleet_type_known(e->type) || !fleet_status_known(e->status) ||
	    e->time < FLEET_TIME_MIN || e->time > FLEET_TIME_MAX || e->usec > 999999)
		return -1;
	buf_init(&x, 0);
	fleet_extras(e, &copy, &w, &x);
	evt_json(w, b);
	if (b->len <= len0 || b->data[b->len - 1] != '}')
		goto out;
	if (x.len > 0) {
		b->len--;	/* reopen the object */
		if (buf_append(b, ",\"fleet\":", 9) < 0 || buf_append(b, x.data, x.len) < 0 ||
		    buf_append(b, "}}", 2) < 0)
			goto out;
	}
	if (b->len - len0 > FLEET_EVT_MAX)
		goto out;
	rc = 0;
out:
	if (rc < 0 && b->data != NULL) {
		b->len = len0;
		b->data[len0] = '\0';
	}
	buf_release(&x);
	return rc;
}

/* ---- decode ------------------------------------------------------------- */

static int
fleet_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fleet_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
fleet_digits(const char *p, size_t n, unsigned *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(p[i] - '0');
	}
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" as evt_json writes it, or with a fraction of 1 to
 * 6 digits before the Z (*frac -1 when there is none). */
static int
fleet_parse_time(const char *s, size_t len, int64_t *t, long *frac)
{
	unsigned y, mo, d, h, mi, se, f = 0;
	size_t nf = 0;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[len - 1] != 'Z')
		return -1;
	if (fleet_digits(s, 4, &y) < 0 || fleet_digits(s + 5, 2, &mo) < 0 ||
	    fleet_digits(s + 8, 2, &d) < 0 || fleet_digits(s + 11, 2, &h) < 0 ||
	    fleet_digits(s + 14, 2, &mi) < 0 || fleet_digits(s + 17, 2, &se) < 0)
		return -1;
	if (len > 20) {
		nf = len - 21;
		if (s[19] != '.' || nf < 1 || nf > 6 || fleet_digits(s + 20, nf, &f) < 0)
			return -1;
		for (; nf < 6; nf++)
			f *= 10;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > timeconv_mdays((int)y, mo) || h > 23 || mi > 59 ||
	    se > 59)
		return -1;
	*t = timeconv_utc((int)y, mo, d, h, mi, se);
	*frac = len > 20 ? (long)f : -1;
	return 0;
}

static const char *
fleet_source(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(fleet_sources) / sizeof(fleet_sources[0]); i++)
		if (strcmp(s, fleet_sources[i]) == 0)
			return fleet_sources[i];
	return FLEET_SOURCE_OTHER;
}

static int
fleet_set_field(struct evt *e, size_t i, const char *p, size_t len)
{
	char *dst = (char *)e + fleet_fields[i].off;

	if (fleet_fields[i].text) {
		if (memchr(p, '\0', len) != NULL)
			return -1;
		evt_set_text(dst, fleet_fields[i].size, strv_make(p, len));
		return 0;
	}
	return evt_set(dst, fleet_fields[i].size, strv_make(p, len));
}

/* An integer member in 0..max; -1 if v is not one. */
static int
fleet_uint(json_t *v, uint64_t max, uint64_t *out)
{
	json_int_t n;

	if (!json_is_integer(v) || (n = json_integer_value(v)) < 0 || (uint64_t)n > max)
		return -1;
	*out = (uint64_t)n;
	return 0;
}

static int
fleet_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
fleet_decode_fleet(json_t *fl, json_t *root, struct evt *e, char *err, size_t errlen)
{
	json_t *v, *raw;
	uint64_t u;
	size_t i;

	if (!json_is_object(fl))
		return fleet_err(err, errlen, "fleet: not an object");
	if ((v = json_object_get(fl, "usec")) != NULL) {
		if (fleet_uint(v, 999999, &u) < 0)
			return fleet_err(err, errlen, "fleet.usec: not an integer in 0..999999");
		if (e->usec != 0 && e->usec != (uint32_t)u)
			return fleet_err(err, errlen, "fleet.usec: disagrees with time");
		e->usec = (uint32_t)u;
	}
	raw = json_object_get(fl, "raw");
	if ((v = json_object_get(fl, "dlv")) != NULL) {
		if (!json_is_string(v))
			return fleet_err(err, errlen, "fleet.dlv: not a string");
		if (!(json_is_object(raw) && json_object_get(raw, "dlv") != NULL) &&
		    fleet_set_field(e, FLEET_DLV, json_string_value(v), json_string_length(v)) < 0)
			return fleet_err(err, errlen, "fleet.dlv: too long or a control byte");
	}
	if ((v = json_object_get(fl, "score")) != NULL) {
		if (json_is_number(v)) {
			e->score = json_number_value(v);
		} else if (json_is_string(v) && strcmp(json_string_value(v), "nan") == 0) {
			e->score = NAN;
		} else if (json_is_string(v) && strcmp(json_string_value(v), "inf") == 0) {
			e->score = INFINITY;
		} else if (json_is_string(v) && strcmp(json_string_value(v), "-inf") == 0) {
			e->score = -INFINITY;
		} else {
			return fleet_err(err, errlen, "fleet.score: not a number, \"nan\" or \"inf\"");
		}
		e->flags |= EVT_HAS_SCORE;
	}
	if ((v = json_object_get(fl, "size")) != NULL) {
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		size_t n = json_is_string(v) ? json_string_length(v) : 0;

		u = 0;
		for (i = 0; i < n; i++) {
			if (s[i] < '0' || s[i] > '9' || u > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
				break;
			u = u * 10 + (uint64_t)(s[i] - '0');
		}
		if (n == 0 || i < n || n > 20)
			return fleet_err(err, errlen, "fleet.size: not a decimal string of a 64-bit size");
		e->size = u;
		e->flags |= EVT_HAS_SIZE;
	}
	if (raw == NULL)
		return 0;
	if (!json_is_object(raw))
		return fleet_err(err, errlen, "fleet.raw: not an object");
	for (i = 0; i < FLEET_NFIELDS; i++) {
		const char *key = fleet_fields[i].key, *s;
		char bytes[LIMIT_ADDR_MAX];
		size_t n, j;

		if ((v = json_object_get(raw, key)) == NULL)
			continue;
		if (!(i == FLEET_DLV ? json_object_get(fl, key) : json_object_get(root, key)))
			return fleet_err(err, errlen, "fleet.raw.%s: without %s", key, key);
		if (!json_is_string(v))
			return fleet_err(err, errlen, "fleet.raw.%s: not a string", key);
		s = json_string_value(v);
		n = json_string_length(v);
		if (n % 2 != 0 || n / 2 > sizeof(bytes))
			return fleet_err(err, errlen, "fleet.raw.%s: not hex of at most %zu bytes", key,
					 sizeof(bytes));
		for (j = 0; j < n / 2; j++) {
			int hi = fleet_hexval(s[2 * j]), lo = fleet_hexval(s[2 * j + 1]);

			if (hi < 0 || lo < 0)
				return fleet_err(err, errlen, "fleet.raw.%s: not lowercase hex", key);
			bytes[j] = (char)(hi << 4 | lo);
		}
		if (fleet_set_field(e, i, bytes, n / 2) < 0)
			return fleet_err(err, errlen, "fleet.raw.%s: too long or a control byte", key);
	}
	return 0;
}

static int
fleet_decode_root(json_t *root, struct evt *e, char *err, size_t errlen)
{
	json_t *v, *fl, *raw;
	uint64_t u;
	int64_t t;
	long frac;
	size_t i;

	if (!json_is_object(root))
		return fleet_err(err, errlen, "json: not an object");

	v = json_object_get(root, "time");
	if (!json_is_string(v) ||
	    fleet_parse_time(json_string_value(v), json_string_length(v), &t, &frac) < 0)
		return fleet_err(err, errlen, "time: %s", v == NULL ? "missing"
							   : "not an RFC 3339 UTC time");
	e->time = t;
	e->usec = frac < 0 ? 0 : (uint32_t)frac;

	v = json_object_get(root, "type");
	if (!json_is_string(v))
		return fleet_err(err, errlen, "type: %s", v == NULL ? "missing" : "not a string");
	for (i = 0; i < sizeof(fleet_types) / sizeof(fleet_types[0]); i++)
		if (strcmp(json_string_value(v), evt_type_name(fleet_types[i])) == 0)
			break;
	if (i == sizeof(fleet_types) / sizeof(fleet_types[0]))
		return fleet_err(err, errlen, "type: unknown");
	e->type = fleet_types[i];

	if ((v = json_object_get(root, "source")) != NULL) {
		if (!json_is_string(v))
			return fleet_err(err, errlen, "source: not a string");
		e->source = fleet_source(json_string_value(v));
	}

	if ((v = json_object_get(root, "status")) != NULL) {
		if (!json_is_string(v))
			return fleet_err(err, errlen, "status: not a string");
		for (i = 0; i < sizeof(fleet_statuses) / sizeof(fleet_statuses[0]); i++)
			if (strcmp(json_string_value(v), evt_status_name(fleet_statuses[i])) == 0)
				break;
		if (i == sizeof(fleet_statuses) / sizeof(fleet_statuses[0]))
			return fleet_err(err, errlen, "status: unknown");
		e->status = fleet_statuses[i];
	}

	fl = json_object_get(root, "fleet");
	raw = json_is_object(fl) ? json_object_get(fl, "raw") : NULL;
	for (i = 0; i < FLEET_DLV; i++) {
		const char *key = fleet_fields[i].key;

		if ((v = json_object_get(root, key)) == NULL)
			continue;
		if (!json_is_string(v))
			return fleet_err(err, errlen, "%s: not a string", key);
		/* With raw bytes in "fleet", this is their U+FFFD form. */
		if (!(json_is_object(raw) && json_object_get(raw, key) != NULL) &&
		    fleet_set_field(e, i, json_string_value(v), json_string_length(v)) < 0)
			return fleet_err(err, errlen, "%s: too long or a control byte", key);
		if (strcmp(key, "sender") == 0)
			e->flags |= EVT_HAS_SENDER;
	}

	if ((v = json_object_get(root, "ip")) != NULL) {
		if (!json_is_string(v))
			return fleet_err(err, errlen, "ip: not a string");
		if (json_string_length(v) > 0 &&
		    evt_set_ip(e, strv_make(json_string_value(v), json_string_length(v))) < 0)
			return fleet_err(err, errlen, "ip: not an address");
	}

	if ((v = json_object_get(root, "nrcpt")) != NULL) {
		if (fleet_uint(v, UINT32_MAX, &u) < 0)
			return fleet_err(err, errlen, "nrcpt: not an integer in 0..%" PRIu32, UINT32_MAX);
		e->nrcpt = (uint32_t)u;
		e->flags |= EVT_HAS_NRCPT;
	}
	if ((v = json_object_get(root, "attempts")) != NULL) {
		if (fleet_uint(v, UINT32_MAX, &u) < 0)
			return fleet_err(err, errlen, "attempts: not an integer in 0..%" PRIu32,
					 UINT32_MAX);
		e->attempts = (uint32_t)u;
		e->flags |= EVT_HAS_ATTEMPTS;
	}
	if ((v = json_object_get(root, "size")) != NULL) {
		if (fleet_uint(v, (uint64_t)INT64_MAX, &u) < 0)
			return fleet_err(err, errlen, "size: not a non-negative integer");
		e->size = u;
		e->flags |= EVT_HAS_SIZE;
	}
	if ((v = json_object_get(root, "score")) != NULL) {
		/* null: evt_json's non-finite score; "fleet" must then say it. */
		if (!json_is_number(v) &&
		    !(json_is_null(v) && json_is_object(fl) && json_object_get(fl, "score")))
			return fleet_err(err, errlen, "score: not a number");
		if (json_is_number(v))
			e->score = json_number_value(v);
		e->flags |= EVT_HAS_SCORE;
	}
	if ((v = json_object_get(root, "repeat")) != NULL) {
		if (!json_is_boolean(v))
			return fleet_err(err, errlen, "repeat: not a boolean");
		if (json_is_true(v))
			e->flags |= EVT_REPEAT;
	}
	if (fl != NULL && fleet_decode_fleet(fl, root, e, err, errlen) < 0)
		return -1;
	return 0;
}

int
fleet_evt_decode(const char *json, size_t len, struct evt *e, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	evt_clear(e);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > FLEET_EVT_MAX)
		return fleet_err(err, errlen, "json: over %d bytes", FLEET_EVT_MAX);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return fleet_err(err, errlen, "json: %s at byte %d", jerr.text, jerr.position);
	rc = fleet_decode_root(root, e, err, errlen);
	json_decref(root);
	if (rc < 0)
		evt_clear(e);
	return rc;
}

/* ---- comparison --------------------------------------------------------- */

bool
fleet_evt_same(const struct evt *a, const struct evt *b)
{
	size_t i, n;

	if (a->type != b->type || a->status != b->status || a->time != b->time ||
	    a->usec != b->usec || (a->flags & FLEET_FLAGS) != (b->flags & FLEET_FLAGS))
		return false;
	if ((a->source == NULL) != (b->source == NULL) ||
	    (a->source != NULL && strcmp(a->source, b->source) != 0))
		return false;
	if (((a->flags & EVT_HAS_NRCPT) && a->nrcpt != b->nrcpt) ||
	    ((a->flags & EVT_HAS_ATTEMPTS) && a->attempts != b->attempts) ||
	    ((a->flags & EVT_HAS_SIZE) && a->size != b->size))
		return false;
	if ((a->flags & EVT_HAS_SCORE) &&
	    !(isnan(a->score) ? isnan(b->score)
			      : a->score == b->score && signbit(a->score) == signbit(b->score)))
		return false;
	if (strcmp(a->ip, b->ip) != 0 || a->addr.family != b->addr.family)
		return false;
	n = a->addr.family == 4 ? 4 : a->addr.family == 6 ? 16 : 0;
	if (memcmp(a->addr.bytes, b->addr.bytes, n) != 0)
		return false;
	for (i = 0; i < FLEET_NFIELDS; i++) {
		if (strcmp(fleet_fields[i].key, "sender") == 0 && !(a->flags & EVT_HAS_SENDER))
			continue;
		if (strcmp(fleet_field_str(a, i), fleet_field_str(b, i)) != 0)
			return false;
	}
	return true;
}
