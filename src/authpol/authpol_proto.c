/* authpol_proto.c - Dovecot auth policy protocol: requests in, answers out */
#include "authpol/authpol_proto.h"

#include <string.h>

#include <jansson.h>

#include "util/jsonw.h"
#include "util/strv.h"

#define AP_PATH_MAX 64		/* "conn/secured": longer key paths are ignored */

/* ------------------------------------------------------------ the command */

enum authpol_cmd
authpol_command(const char *uri, size_t len)
{
	const char *q, *end = uri + len, *p;

	if (uri == NULL || len > AUTHPOL_URI_MAX || (q = memchr(uri, '?', len)) == NULL)
		return AUTHPOL_CMD_NONE;
	for (p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		struct strv param = strv_make(p, (size_t)((amp ? amp : end) - p));

		if (strv_has_prefix(param, "command=")) {
			struct strv v = strv_skip(param, 8);

			if (strv_eq_cstr(v, "allow"))
				return AUTHPOL_CMD_ALLOW;
			if (strv_eq_cstr(v, "report"))
				return AUTHPOL_CMD_REPORT;
			return AUTHPOL_CMD_NONE;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	return AUTHPOL_CMD_NONE;
}

/* ------------------------------------------------------------ the body */

/* Nesting depth of a JSON text, strings skipped, without parsing it: a
 * body deeper than the limit is refused before jansson recurses into it.
 * Unbalanced text is left to jansson to refuse. */
static int
ap_depth(const char *p, size_t len)
{
	size_t i;
	int depth = 0, max = 0;
	bool str = false;

	for (i = 0; i < len; i++) {
		char c = p[i];

		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = false;
			continue;
		}
		if (c == '"') {
			str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
			if (max > AUTHPOL_DEPTH_MAX)
				return max;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return max;
}

/* Copy s into dst if it fits and has no control byte; else dst = "". */
static bool
ap_copy(char *dst, size_t size, const char *s, size_t len)
{
	size_t i;

	dst[0] = '\0';
	if (len >= size)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

static void
ap_set_login(struct authpol_req *r, const char *s, size_t len)
{
	if (len == 0 || !ap_copy(r->login, sizeof(r->login), s, len)) {
		r->login[0] = r->key[0] = '\0';
		return;
	}
	evt_account_key(r->login, r->key);
}

static void
ap_set_hash(struct authpol_req *r, const char *s, size_t len)
{
	size_t i;

	r->pwhash[0] = '\0';
	r->hash_bits = 0;
	if (len == 0 || len > AUTHPOL_HASH_HEX_MAX)
		return;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			r->pwhash[0] = '\0';
			return;
		}
		r->pwhash[i] = c;
	}
	r->pwhash[len] = '\0';
	r->hash_bits = (unsigned)len * 4;
}

static void
ap_set_remote(struct authpol_req *r, const char *s, size_t len)
{
	memset(&r->remote, 0, sizeof(r->remote));
	r->remote_txt[0] = '\0';
	if (len == 0 || netaddr_parse(s, len, &r->remote) < 0) {
		memset(&r->remote, 0, sizeof(r->remote));
		return;
	}
	netaddr_format(&r->remote, r->remote_txt);
}

/* A word of [a-z0-9-] (protocol) or [A-Z0-9-_] (mechanism), case folded. */
static void
ap_set_word(char *dst, size_t size, const char *s, size_t len, bool upper)
{
	size_t i;

	dst[0] = '\0';
	if (len == 0 || len >= size)
		return;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z' && !upper)
			c = (char)(c - 'A' + 'a');
		else if (c >= 'a' && c <= 'z' && upper)
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			dst[0] = '\0';
			return;
		}
		dst[i] = c;
	}
	dst[len] = '\0';
}

/* A value Dovecot sends as a bool, or as text from a template ("secured",
 * "TLS", "" for none). */
static bool
ap_truthy(const json_t *v)
{
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_string(v)) {
		struct strv s = strv_make(json_string_value(v), json_string_length(v));

		return s.len > 0 && !strv_eq_nocase(s, STRV_LIT("no")) &&
		       !strv_eq_nocase(s, STRV_LIT("false")) && !strv_eq_cstr(s, "0");
	}
	return false;
}

struct ap_walk {
	struct authpol_req *r;
	bool has_policy_reject;
	const char *err;
};

/* Check the keys and strings of an object, copying the known ones. path
 * is the key path so far, plen its length: "" and 0 at the top, "conn/"
 * and 5 inside "conn"; SIZE_MAX where no key is a known one (inside an
 * array, or under a path longer than AP_PATH_MAX). */
static int ap_walk_object(struct ap_walk *w, json_t *obj, const char *path, size_t plen);

/* Check the strings of a value that is not a known field. */
static int
ap_walk_value(struct ap_walk *w, json_t *v)
{
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		if (json_string_length(v) > AUTHPOL_STRING_MAX) {
			w->err = "string too long";
			return -1;
		}
		return 0;
	case JSON_OBJECT:
		return ap_walk_object(w, v, "", SIZE_MAX);
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v); i++)
			if (ap_walk_value(w, json_array_get(v, i)) < 0)
				return -1;
		return 0;
	default:
		return 0;
	}
}

/* A known key: copy what it says, or refuse a value of the wrong type. */
static int
ap_known(struct ap_walk *w, const char *name, json_t *v)
{
	struct authpol_req *r = w->r;
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	size_t len = s != NULL ? json_string_length(v) : 0;

#define STRING_ONLY(what)                                    \
	do {                                                 \
		if (s == NULL && !json_is_null(v)) {         \
			w->err = what " is not a string";    \
			return -1;                           \
		}                                            \
	} while (0)
	if (strcmp(name, "login") == 0) {
		STRING_ONLY("login");
		ap_set_login(r, s, len);
	} else if (strcmp(name, "pwhash") == 0) {
		STRING_ONLY("pwhash");
		ap_set_hash(r, s, len);
	} else if (strcmp(name, "remote") == 0) {
		STRING_ONLY("remote");
		ap_set_remote(r, s, len);
	} else if (strcmp(name, "protocol") == 0) {
		STRING_ONLY("protocol");
		ap_set_word(r->protocol, sizeof(r->protocol), s, len, false);
	} else if (strcmp(name, "mech") == 0) {
		STRING_ONLY("mech");
		ap_set_word(r->mech, sizeof(r->mech), s, len, true);
	} else if (strcmp(name, "session_id") == 0) {
		STRING_ONLY("session_id");
		if (s == NULL || !ap_copy(r->session_id, sizeof(r->session_id), s, len))
			r->session_id[0] = '\0';
	} else if (strcmp(name, "success") == 0) {
		if (!json_is_boolean(v)) {
			w->err = "success is not a boolean";
			return -1;
		}
		r->has_success = true;
		r->success = json_is_true(v);
	} else if (strcmp(name, "policy_reject") == 0) {
		if (!json_is_boolean(v)) {
			w->err = "policy_reject is not a boolean";
			return -1;
		}
		w->has_policy_reject = true;
		r->policy_reject = r->policy_reject || json_is_true(v);
	} else if (strcmp(name, "fail_type") == 0) {
		/* newer Dovecot: why a report failed; "policy" is our refusal */
		if (s != NULL && strcmp(s, "policy") == 0)
			r->policy_reject = true;
	} else if (strcmp(name, "tls") == 0 || strcmp(name, "secured") == 0 ||
		   strcmp(name, "conn/secured") == 0) {
		if (ap_truthy(v))
			r->secured = true;
	}
#undef STRING_ONLY
	return 0;
}

static int
ap_walk_object(struct ap_walk *w, json_t *obj, const char *path, size_t plen)
{
	const char *key;
	json_t *v;

	json_object_foreach (obj, key, v) {
		size_t klen = strlen(key);
		char sub[AP_PATH_MAX + 1];
		bool named = plen != SIZE_MAX && plen + klen + 1 <= AP_PATH_MAX;

		if (++w->r->nkeys > AUTHPOL_KEYS_MAX) {
			w->err = "too many keys";
			return -1;
		}
		if (klen > AUTHPOL_STRING_MAX) {
			w->err = "key too long";
			return -1;
		}
		if (named) {
			memcpy(sub, path, plen);
			memcpy(sub + plen, key, klen);
			sub[plen + klen] = '\0';
			if (!json_is_object(v) && ap_known(w, sub, v) < 0)
				return -1;
			sub[plen + klen] = '/';
			sub[plen + klen + 1] = '\0';
		}
		if (json_is_object(v)) {
			if (ap_walk_object(w, v, named ? sub : "", named ? plen + klen + 1 : SIZE_MAX) <
			    0)
				return -1;
		} else if (ap_walk_value(w, v) < 0) {
			return -1;
		}
	}
	return 0;
}

static void
ap_req_reset(struct authpol_req *r, enum authpol_cmd cmd)
{
	memset(r, 0, sizeof(*r));
	r->cmd = cmd;
}

int
authpol_parse(const char *body, size_t len, enum authpol_cmd cmd, struct authpol_req *r,
	      const char **err)
{
	json_error_t je;
	json_t *root;
	struct ap_walk w = { r, false, NULL };
	int rc = 0;

	ap_req_reset(r, cmd);
	*err = NULL;
	if (len > AUTHPOL_BODY_MAX) {
		*err = "body too large";
		return -1;
	}
	if (ap_depth(body, len) > AUTHPOL_DEPTH_MAX) {
		*err = "nesting too deep";
		return -1;
	}
	/* No JSON_ALLOW_NUL: a "\u0000" inside a string is an error. */
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		*err = "not JSON";
		return -1;
	}
	if (!json_is_object(root)) {
		*err = "not a JSON object";
		rc = -1;
	} else if (ap_walk_object(&w, root, "", 0) < 0) {
		*err = w.err;
		rc = -1;
	} else if (cmd == AUTHPOL_CMD_REPORT && !r->has_success) {
		*err = "report without success";
		rc = -1;
	}
	json_decref(root);
	return rc;
}

/* ------------------------------------------------------------ the answer */

int
authpol_answer(struct buf *b, int status, const char *msg)
{
	struct buf tmp;
	size_t mlen = msg != NULL ? strnlen(msg, AUTHPOL_MSG_MAX + 1) : 0;
	int rc;

	if (mlen > AUTHPOL_MSG_MAX) {
		mlen = AUTHPOL_MSG_MAX;
		while (mlen > 0 && ((unsigned char)msg[mlen] & 0xc0) == 0x80)
			mlen--;	/* not in the middle of a UTF-8 sequence */
	}
	/* Built apart, then appended whole: all or nothing. */
	buf_init(&tmp, 0);
	buf_printf(&tmp, "{\"status\":%d,\"msg\":\"", status);
	jw_escape(&tmp, msg != NULL ? msg : "", mlen);
	buf_append(&tmp, "\"}", 2);
	rc = buf_append(b, tmp.data, tmp.len);
	buf_release(&tmp);
	return rc;
}

/* ------------------------------------------------------------ the event */

bool
authpol_req_event(const struct authpol_req *r, enum evt_type type, const char *reason,
		  int64_t now, struct evt *e)
{
	if (r->login[0] == '\0' && r->remote.family == 0)
		return false;
	evt_clear(e);
	e->type = type;
	e->source = "authpolicy";
	e->time = now;
	/* The fields were checked when parsed: these copies fit. */
	evt_set(e->service, sizeof(e->service), strv_cstr(r->protocol));
	evt_set(e->account, sizeof(e->account), strv_cstr(r->login));
	evt_set(e->mech, sizeof(e->mech), strv_cstr(r->mech));
	if (r->remote.family != 0) {
		e->addr = r->remote;
		memcpy(e->ip, r->remote_txt, sizeof(e->ip));
	}
	if (reason != NULL)
		EVT_SET_TEXT(e, reason, strv_cstr(reason));
	return true;
}
