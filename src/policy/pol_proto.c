/* pol_proto.c - Postfix policy delegation protocol: requests in, actions out */
#include "policy/pol_proto.h"

#include <string.h>

#include "util/scan.h"

#define POL_STR_(x) #x
#define POL_STR(x) POL_STR_(x)

/* Bytes looked at for a NUL beyond the line being read: Postfix's requests
 * are some 500 bytes, several may follow in one buffer. */
#define POL_NUL_AHEAD 512

/* A valid empty string for absent attributes: no NULL views escape. */
static const char pol_empty[] = "";

/* The attributes kept as named views, by offset in struct pol_req. */
static const struct {
	const char *name;
	size_t len, off;
} pol_fields[] = {
#define F(n) { #n, sizeof(#n) - 1, offsetof(struct pol_req, n) }
	F(request),	    F(protocol_state), F(protocol_name),
	F(helo_name),	    F(queue_id),       F(sender),
	F(recipient),	    F(client_address), F(client_name),
	F(reverse_client_name), F(sasl_method), F(sasl_username),
	F(sasl_sender),	    F(instance),       F(server_address),
	F(server_port),
#undef F
};
#define POL_NFIELDS (sizeof(pol_fields) / sizeof(pol_fields[0]))

/* What a name is: the offset of its field in struct pol_req, or one of
 * these. Compared with literals of known length, which compilers turn
 * into a few word compares. */
#define POL_NAME_OTHER (-1)
#define POL_NAME_RCOUNT (-2)
#define POL_NAME_SIZE (-3)
#define POL_IS(n, name, what)                                                  \
	do {                                                                   \
		_Static_assert(sizeof(#name) - 1 == (n), #name);               \
		if (memcmp(p, #name, (n)) == 0)                                \
			return (what);                                         \
	} while (0)
#define POL_F(n, name) POL_IS(n, name, (int)offsetof(struct pol_req, name))

static int
pol_name_kind(struct strv nm)
{
	const char *p = nm.p;

	switch (nm.len) {
	case 4: POL_IS(4, size, POL_NAME_SIZE); break;
	case 6: POL_F(6, sender); break;
	case 7: POL_F(7, request); break;
	case 8: POL_F(8, instance); POL_F(8, queue_id); break;
	case 9: POL_F(9, recipient); POL_F(9, helo_name); break;
	case 11:
		POL_F(11, sasl_method); POL_F(11, client_name); POL_F(11, sasl_sender);
		POL_F(11, server_port);
		break;
	case 13: POL_F(13, sasl_username); POL_F(13, protocol_name); break;
	case 14: POL_F(14, protocol_state); POL_F(14, client_address); POL_F(14, server_address); break;
	case 15: POL_IS(15, recipient_count, POL_NAME_RCOUNT); break;
	case 19: POL_F(19, reverse_client_name); break;
	default: break;
	}
	return POL_NAME_OTHER;
}
#undef POL_F
#undef POL_IS

/* 1 for the bytes of a name ([a-z0-9_]), 2 for '=', 0 for any other. */
static const unsigned char pol_name_tab[256] = {
	['='] = 2, ['_'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
	['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

/* The numeric attributes, read once the request is complete. */
struct pol_nums {
	struct strv recipient_count, size;
	bool has_recipient_count, has_size;
};

static struct strv *
pol_field(struct pol_req *r, size_t i)
{
	return (struct strv *)(void *)((char *)r + pol_fields[i].off);
}

static void
pol_req_reset(struct pol_req *r)
{
	size_t i;

	r->nattr = 0;
	for (i = 0; i < POL_NFIELDS; i++)
		*pol_field(r, i) = strv_make(pol_empty, 0);
	r->recipient_count = 0;
	r->size = 0;
	r->has_recipient_count = r->has_size = false;
	memset(&r->client, 0, sizeof(r->client));
}

/* One "name=value" line (n bytes, newline and CR removed). nul: the line
 * may hold a NUL byte (the caller looked for one once for all its lines). */
static enum pol_status
pol_line(struct pol_req *r, struct pol_nums *nums, const char *line, size_t n, bool nul,
	 const char **err)
{
	const char *eq;
	struct strv name, value;
	size_t i;
	int k;

	/* The name's bytes up to '=': valid ones on the way (the common case,
	 * one pass); anything else is looked at again as it comes. */
	for (i = 0; i < n && pol_name_tab[(unsigned char)line[i]] == 1; i++)
		;
	if (i < n && line[i] == '=') {
		eq = line + i;
	} else {
		eq = memchr(line, '=', n);
		if (eq == NULL) {
			*err = "attribute line without '='";
			return POL_SYNTAX;
		}
	}
	name = strv_make(line, (size_t)(eq - line));
	value = strv_make(eq + 1, n - name.len - 1);
	if (name.len == 0) {
		*err = "empty attribute name";
		return POL_SYNTAX;
	}
	if (name.len > POL_NAME_MAX) {
		*err = "attribute name longer than " POL_STR(POL_NAME_MAX) " bytes";
		return POL_SYNTAX;
	}
	if (i < name.len) {	/* a byte the scan stopped at before '=' */
		*err = "attribute name has a byte other than [a-z0-9_]";
		return POL_SYNTAX;
	}
	if (nul && value.len > 0 && memchr(value.p, '\0', value.len) != NULL) {
		*err = "attribute value holds a NUL byte";
		return POL_SYNTAX;
	}
	if (r->nattr >= POL_ATTRS_MAX) {
		*err = "more than " POL_STR(POL_ATTRS_MAX) " attributes in one request";
		return POL_TOO_MANY;
	}
	r->attr[r->nattr].name = name;
	r->attr[r->nattr].value = value;
	r->nattr++;

	/* Known names: the later value wins. */
	if ((k = pol_name_kind(name)) >= 0) {
		*(struct strv *)(void *)((char *)r + k) = value;
	} else if (k == POL_NAME_RCOUNT) {
		nums->recipient_count = value;
		nums->has_recipient_count = value.len > 0;
	} else if (k == POL_NAME_SIZE) {
		nums->size = value;
		nums->has_size = value.len > 0;
	}
	return POL_OK;
}

/* The empty line was read: the whole request is there. */
static enum pol_status
pol_finish(struct pol_req *r, const struct pol_nums *nums, const char **err)
{
	if (r->request.len == 0) {
		*err = "no request attribute";
		return POL_SYNTAX;
	}
	if (!strv_eq_cstr(r->request, "smtpd_access_policy")) {
		*err = "request type is not smtpd_access_policy";
		return POL_SYNTAX;
	}
	if (nums->has_recipient_count) {
		if (scan_u32(nums->recipient_count.p, nums->recipient_count.len,
			     &r->recipient_count) < 0) {
			*err = "recipient_count is not a decimal number";
			return POL_SYNTAX;
		}
		r->has_recipient_count = true;
	}
	if (nums->has_size) {
		if (scan_u64(nums->size.p, nums->size.len, &r->size) < 0) {
			*err = "size is not a decimal number";
			return POL_SYNTAX;
		}
		r->has_size = true;
	}
	if (r->client_address.len > 0 &&
	    netaddr_parse(r->client_address.p, r->client_address.len, &r->client) < 0)
		memset(&r->client, 0, sizeof(r->client));	/* "unknown" */
	return POL_OK;
}

enum pol_status
pol_parse(const char *buf, size_t len, size_t *used, struct pol_req *r, const char **err)
{
	size_t lim = len < POL_REQ_MAX ? len : POL_REQ_MAX;
	size_t pos = 0;
	struct pol_nums nums = { STRV_NULL, STRV_NULL, false, false };
	enum pol_status st;
	/* The first NUL byte in buf[0..checked), looked for some lines ahead
	 * at a time: the lines before it need no look of their own. */
	const char *nul = NULL, *checked = buf;

	*used = 0;
	*err = NULL;
	pol_req_reset(r);
	while (pos < lim) {
		const char *line = buf + pos;
		const char *nl = memchr(line, '\n', lim - pos);
		size_t n, next;

		if (nl == NULL)
			break;
		n = (size_t)(nl - line);
		next = pos + n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0) {
			/* The stream is in step whatever pol_finish says. */
			*used = next;
			st = pol_finish(r, &nums, err);
			return st;
		}
		if (nul == NULL && checked <= nl) {
			size_t ahead = (size_t)(nl + 1 - checked) + POL_NUL_AHEAD;

			if (ahead > (size_t)(buf + lim - checked))
				ahead = (size_t)(buf + lim - checked);
			nul = memchr(checked, '\0', ahead);
			checked += ahead;
		}
		st = pol_line(r, &nums, line, n, nul != NULL && nul < nl, err);
		if (st != POL_OK)
			return st;
		pos = next;
	}
	if (len >= POL_REQ_MAX) {
		*err = "no empty line within " POL_STR(POL_REQ_MAX) " bytes";
		return POL_TOO_LONG;
	}
	return POL_MORE;
}

const char *
pol_status_name(enum pol_status s)
{
	switch (s) {
	case POL_MORE: return "more";
	case POL_OK: return "ok";
	case POL_TOO_LONG: return "too_long";
	case POL_TOO_MANY: return "too_many";
	case POL_SYNTAX: return "syntax";
	default: return "unknown";
	}
}

int
pol_answer(struct buf *b, const char *action_text)
{
	static const char pre[] = "action=";
	char out[sizeof(pre) - 1 + POL_ANSWER_MAX + 2];
	const unsigned char *s = (const unsigned char *)(action_text != NULL ? action_text : "");
	size_t n = sizeof(pre) - 1, start = n;

	memcpy(out, pre, n);
	/* Leading spaces and control bytes (which would become spaces). */
	while (*s != '\0' && (*s <= 0x20 || *s == 0x7f))
		s++;
	for (; *s != '\0' && n - start < POL_ANSWER_MAX; s++) {
		unsigned char c = *s;

		if (c < 0x20 || c == 0x7f)
			c = ' ';
		else if (c >= 0x80)
			c = '?';	/* an SMTP reply is ASCII */
		out[n++] = (char)c;
	}
	while (n > start && out[n - 1] == ' ')
		n--;
	if (n == start) {
		memcpy(out + n, "DUNNO", 5);
		n += 5;
	}
	out[n++] = '\n';
	out[n++] = '\n';
	return buf_append(b, out, n);
}

/* "smtp" for port 25 or none, "smtps" for 465, else "submission". */
static const char *
pol_service(struct strv port)
{
	uint32_t n;

	if (port.len == 0 || scan_u32(port.p, port.len, &n) < 0 || n == 25)
		return "smtp";
	return n == 465 ? "smtps" : "submission";
}

bool
pol_req_event(const struct pol_req *r, bool at_data, int64_t now, struct evt *e)
{
	struct strv state = at_data ? STRV_LIT("DATA") : STRV_LIT("END-OF-MESSAGE");
	size_t i;

	if (r->sasl_username.len == 0 || !strv_eq_nocase(r->protocol_state, state))
		return false;
	evt_clear(e);
	e->type = EVT_MESSAGE_ACCEPTED;
	e->source = "policy";
	e->time = now;
	if (EVT_SET(e, service, strv_cstr(pol_service(r->server_port))) < 0 ||
	    EVT_SET(e, account, r->sasl_username) < 0)
		goto bad;
	if (r->client_address.len > 0 && !strv_eq_nocase(r->client_address, STRV_LIT("unknown")) &&
	    evt_set_ip(e, r->client_address) < 0)
		goto bad;
	if (EVT_SET(e, mech, r->sasl_method) < 0)
		goto bad;
	for (i = 0; e->mech[i] != '\0'; i++)
		if (e->mech[i] >= 'a' && e->mech[i] <= 'z')
			e->mech[i] = (char)(e->mech[i] - 'a' + 'A');
	if (EVT_SET(e, sender, r->sender) < 0)
		goto bad;
	e->flags |= EVT_HAS_SENDER;
	if (EVT_SET(e, qid, r->queue_id) < 0)
		goto bad;
	if (r->has_recipient_count) {
		e->nrcpt = r->recipient_count;
		e->flags |= EVT_HAS_NRCPT;
	}
	if (r->has_size) {
		e->size = r->size;
		e->flags |= EVT_HAS_SIZE;
	}
	return true;
bad:
	evt_clear(e);
	return false;
}
