/* act_webhook.c - the notification as a JSON object POSTed over HTTP(S)
 * SUMMARY  act_webhook_format writes struct act_incident as one JSON
 *          object (docs/actions.md "Webhook"); act_webhook POSTs it to
 *          webhook_url with libcurl, one easy handle per call, and counts
 *          an HTTP 2xx answer as success. It blocks for up to hook_timeout:
 *          worker threads only, never the event loop.
 *          What libcurl would otherwise take from the environment or from
 *          the server is fixed here: no proxy unless webhook_proxy says so
 *          (http_proxy, HTTPS_PROXY, ALL_PROXY, NO_PROXY are ignored), no
 *          redirects, http and https only (redirects included), TLS peer
 *          and host name verified against the system CAs, no signals
 *          (CURLOPT_NOSIGNAL: we are in a thread), no .netrc, no cookies.
 *          libcurl is opened and curl_global_init run once per process
 *          (act_curl.c), from act_new, before any thread can reach curl;
 *          curl_global_cleanup is never called (the process keeps libcurl
 *          until it exits).
 *          Secrets: the URL is shown (r->cmd, errors) without its
 *          user:password, query and fragment, which may carry tokens; the
 *          webhook_header value is never shown, not even in a settings
 *          error.
 * LIMITS   webhook_url and webhook_proxy ACT_WEBHOOK_URL_MAX bytes,
 *          webhook_header ACT_WEBHOOK_HEADER_MAX. The body is at most
 *          ACT_MAIL_MAX bytes: every string from a log or a caller has a
 *          budget of escaped bytes (WH_*_BUDGET) and is cut at a character
 *          with " [cut]" past it. Of the answer ACT_CAPTURE_MAX bytes are
 *          kept; after ACT_WEBHOOK_RESPONSE_MAX the transfer is stopped
 *          (the status already received still counts). hook_timeout bounds
 *          the whole exchange (DNS, connect, TLS, answer); with libcurl's
 *          synchronous resolver and no signals, DNS alone could overrun it
 *          (Debian's libcurl uses the threaded resolver, which does not).
 * ERRORS   0 or -1, r->err one line: "HTTP 500 from URL: first answer
 *          line", "timed out after 30000 ms: POST URL", "POST URL: Failed
 *          to connect to ...". Settings: "webhook_url: \"ftp://h/x\" is
 *          not an http:// or https:// URL". */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "act/act_curl.h"
#include "act/act_int.h"
#include "util/jsonw.h"
#include "util/mem.h"
#include "util/timeconv.h"
#include "util/utf8.h"

#if LIBCURL_VERSION_NUM < 0x075500
#error "the webhook needs libcurl 7.85 or later (CURLOPT_PROTOCOLS_STR)"
#endif

/* Escaped bytes each string may take in the body. Their sum with the
 * fixed members (about 400 bytes) stays under ACT_MAIL_MAX. */
#define WH_KIND_BUDGET (ACT_KIND_MAX + 2)
#define WH_ACCOUNT_BUDGET 1024	/* an account is at most 255 bytes when valid */
#define WH_IP_BUDGET 128
#define WH_INCIDENT_BUDGET 256
#define WH_COUNT_NAME_BUDGET 128
#define WH_HOST_BUDGET 512
#define WH_SIGNALS_BUDGET 32768
#define WH_ACTIONS_BUDGET 8192
#define WH_FIXED_MAX 2048	/* keys, punctuation, times, numbers */
#define WH_CUT " [cut]"

_Static_assert(WH_KIND_BUDGET + WH_ACCOUNT_BUDGET + WH_IP_BUDGET + WH_INCIDENT_BUDGET +
			       ACT_COUNTS_MAX * WH_COUNT_NAME_BUDGET + WH_HOST_BUDGET +
			       WH_SIGNALS_BUDGET + WH_ACTIONS_BUDGET + WH_FIXED_MAX <=
		       ACT_MAIL_MAX,
	       "webhook budgets exceed ACT_MAIL_MAX");

/* libcurl's functions, loaded by act_curl_load */
#define CF act_curl_fn

#define WH_TIME_MAX 253402300799	/* 9999-12-31T23:59:59Z, timeconv's last */
#define WH_ANSWER_LINE_MAX 100	/* bytes of the answer quoted in r->err */

/* ------------------------------------------------------------- settings */

/* The URL for people: scheme://host[:port]/path, without user:password
 * (up to the last '@' of the authority), query or fragment. The
 * authority ends at the first '/', '?' or '#' (RFC 3986, as libcurl
 * parses it), so nothing of a query can pass for a host. Caller frees. */
static char *
url_shown(const char *url)
{
	const char *p = strstr(url, "://"), *auth, *aend, *at = NULL, *q;
	struct buf b;

	buf_init(&b, 0);
	auth = p != NULL ? p + 3 : url;
	buf_append(&b, url, (size_t)(auth - url));
	aend = auth + strcspn(auth, "/?#");
	for (q = auth; q < aend; q++)
		if (*q == '@')
			at = q;
	if (at != NULL)
		auth = at + 1;
	buf_append(&b, auth, strcspn(auth, "?#"));
	return b.data;	/* allocated by the first append, even of 0 bytes */
}

static bool
url_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' &&
	       c != '`';
}

static bool
has_scheme(const char *url, const char *const *schemes)
{
	size_t n;

	for (; *schemes != NULL; schemes++) {
		n = strlen(*schemes);
		if (strncasecmp(url, *schemes, n) == 0 && strncmp(url + n, "://", 3) == 0)
			return true;
	}
	return false;
}

/* name's value: "" or NULL (none), or a URL of one of schemes that libcurl
 * parses and that names a host. curl_flags: CURLU_NON_SUPPORT_SCHEME for
 * a proxy (socks5h is no URL scheme of libcurl's transfers). Errors show
 * the URL as url_shown. */
static int
check_url(const char *name, const char *url, const char *const *schemes, const char *schemes_text,
	  unsigned curl_flags, char *err, size_t errlen)
{
	char q[80], e[256], *shown, *host = NULL;
	const char *s;
	CURLUcode uc;
	CURLU *u;
	int rc = -1;

	if (url == NULL || url[0] == '\0')
		return 0;
	shown = url_shown(url);
	act_quote(shown, q, sizeof(q));
	if (strlen(url) > ACT_WEBHOOK_URL_MAX) {
		snprintf(err, errlen, "%s: \"%s\" is longer than %d bytes", name, q,
			 ACT_WEBHOOK_URL_MAX);
		goto out;
	}
	for (s = url; *s != '\0'; s++) {
		if (!url_char((unsigned char)*s)) {
			snprintf(err, errlen,
				 "%s: \"%s\" holds a blank, a control or non-ASCII byte, or one of "
				 "\" \\ < > ` (percent-encode it)",
				 name, q);
			goto out;
		}
	}
	if (!has_scheme(url, schemes)) {
		snprintf(err, errlen, "%s: \"%s\" is not %s URL", name, q, schemes_text);
		goto out;
	}
	if (act_curl_load(e, sizeof(e)) != 0) {
		snprintf(err, errlen, "%s: %s", name, e);
		goto out;
	}
	if ((u = CF.url()) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto out;
	}
	if ((uc = CF.url_set(u, CURLUPART_URL, url, curl_flags)) != CURLUE_OK)
		snprintf(err, errlen, "%s: \"%s\" is not a valid URL: %s", name, q,
			 CF.url_strerror(uc));
	else if (CF.url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host == NULL ||
		 host[0] == '\0')
		snprintf(err, errlen, "%s: \"%s\" names no host", name, q);
	else
		rc = 0;
	CF.free(host);
	CF.url_cleanup(u);
out:
	mem_free(shown);
	return rc;
}

static bool
token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* One "Name: value" line of printable ASCII; the value is a secret, so
 * no message repeats any of it. */
static int
check_header(const char *h, char *err, size_t errlen)
{
	/* Framing and routing are ours: a second Content-Length or Host would
	 * make the request mean something else to each hop. */
	static const char *const ours[] = { "Host",	       "Content-Type", "Content-Length",
					    "Transfer-Encoding", "Expect",	 "Connection" };
	size_t i, nlen;
	const char *s, *colon;

	if (h == NULL || h[0] == '\0')
		return 0;
	if (strlen(h) > ACT_WEBHOOK_HEADER_MAX) {
		snprintf(err, errlen, "webhook_header: longer than %d bytes",
			 ACT_WEBHOOK_HEADER_MAX);
		return -1;
	}
	for (s = h; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f) {
			snprintf(err, errlen,
				 "webhook_header: holds a CR, LF, tab or other control byte, or "
				 "a non-ASCII byte: one header line of printable ASCII only");
			return -1;
		}
	}
	if ((colon = strchr(h, ':')) == NULL) {
		snprintf(err, errlen, "webhook_header: not \"Name: value\" (no ':')");
		return -1;
	}
	nlen = (size_t)(colon - h);
	for (s = h; s < colon; s++)
		if (!token_char((unsigned char)*s))
			break;
	if (nlen == 0 || s < colon) {
		snprintf(err, errlen,
			 "webhook_header: not \"Name: value\" (the name before ':' must be "
			 "letters, digits and !#$%%&'*+-.^_`|~ only)");
		return -1;
	}
	for (s = colon + 1; *s == ' '; s++)
		;
	if (*s == '\0') {
		snprintf(err, errlen, "webhook_header: the value after ':' is empty");
		return -1;
	}
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		if (strlen(ours[i]) == nlen && strncasecmp(h, ours[i], nlen) == 0) {
			snprintf(err, errlen,
				 "webhook_header: %s is set by mailsentry and may not be replaced",
				 ours[i]);
			return -1;
		}
	}
	return 0;
}

int
act_webhook_setup(struct act *a, const struct act_conf *c, char *err, size_t errlen)
{
	static const char *const http[] = { "http", "https", NULL };
	static const char *const proxies[] = { "http", "https", "socks5", "socks5h", NULL };

	if (check_url("webhook_url", c->webhook_url, http, "an http:// or https://", 0, err,
		      errlen) != 0 ||
	    check_header(c->webhook_header, err, errlen) != 0 ||
	    check_url("webhook_proxy", c->webhook_proxy, proxies,
		      "an http://, https://, socks5:// or socks5h://", CURLU_NON_SUPPORT_SCHEME,
		      err, errlen) != 0)
		return -1;
	if (c->webhook_url == NULL || c->webhook_url[0] == '\0')
		return 0;	/* header and proxy checked, but without a URL unused */
	a->webhook_url = mem_strdup(c->webhook_url);
	a->webhook_url_shown = url_shown(c->webhook_url);
	if (c->webhook_header != NULL && c->webhook_header[0] != '\0')
		a->webhook_header = mem_strdup(c->webhook_header);
	if (c->webhook_proxy != NULL && c->webhook_proxy[0] != '\0')
		a->webhook_proxy = mem_strdup(c->webhook_proxy);
	return 0;
}

/* ------------------------------------------------------------- the body */

/* How many bytes of p[0..len) fit in budget bytes once escaped: the cost
 * jw_escape pays per byte or character, so a cut never splits a UTF-8
 * character or an escape. */
static size_t
json_fit(const char *p, size_t len, size_t budget)
{
	size_t i = 0, used = 0, n, cost;

	while (i < len) {
		unsigned char c = (unsigned char)p[i];

		n = 1;
		if (c >= 0x80) {
			n = utf8_valid_len(p + i, len - i);
			cost = n > 0 ? n : 6;	/* invalid: \ufffd */
			if (n == 0)
				n = 1;
		} else if (c == '"' || c == '\\' || c == '\n' || c == '\t' || c == '\r') {
			cost = 2;
		} else if (c < 0x20) {
			cost = 6;	/* \u00XX */
		} else {
			cost = 1;
		}
		if (used + cost > budget)
			break;
		used += cost;
		i += n;
	}
	return i;
}

/* key: the string s, escaped, cut to budget with WH_CUT; null when s is
 * NULL or empty. */
static void
put_text(struct jw *w, const char *key, const char *s, size_t budget)
{
	size_t len, fit;
	struct buf t;

	jw_key(w, key);
	if (s == NULL || s[0] == '\0') {
		jw_null(w);
		return;
	}
	len = strlen(s);
	if (json_fit(s, len, budget) == len) {
		jw_str(w, s, len);
		return;
	}
	fit = json_fit(s, len, budget - (sizeof(WH_CUT) - 1));
	buf_init(&t, 0);
	buf_append(&t, s, fit);
	buf_append(&t, WH_CUT, sizeof(WH_CUT) - 1);
	jw_str(w, t.data, t.len);
	buf_release(&t);
}

/* key: RFC 3339 UTC text, key_epoch: seconds; both null when unknown. */
static void
put_time(struct jw *w, const char *key, const char *key_epoch, int64_t t)
{
	char text[TIMECONV_RFC3339_LEN];
	bool known = t > 0 && t <= WH_TIME_MAX;

	jw_key(w, key);
	if (known) {
		timeconv_format_utc(t, text);
		jw_cstr(w, text);
	} else {
		jw_null(w);
	}
	jw_key(w, key_epoch);
	if (known)
		jw_int(w, t);
	else
		jw_null(w);
}

/* counts: {"name": value, ...}; names escaped and cut, empty names and
 * repeated names (the first wins) left out: JSON objects should not
 * repeat a key. */
static void
put_counts(struct jw *w, const struct act_incident *inc)
{
	char names[ACT_COUNTS_MAX][WH_COUNT_NAME_BUDGET + 1];
	unsigned i, j, n = 0;
	struct buf k;

	jw_key(w, "counts");
	jw_obj_begin(w);
	buf_init(&k, 0);
	for (i = 0; i < inc->ncounts && i < ACT_COUNTS_MAX; i++) {
		const char *name = inc->counts[i].name;
		size_t len;

		if (name == NULL || name[0] == '\0')
			continue;
		len = strlen(name);
		buf_reset(&k);
		jw_escape(&k, name, json_fit(name, len, WH_COUNT_NAME_BUDGET));
		if (k.len == 0 || k.len > WH_COUNT_NAME_BUDGET)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(names[j], k.data) == 0)
				break;
		if (j < n)
			continue;
		memcpy(names[n++], k.data, k.len + 1);
		jw_key(w, k.data);	/* escaped above */
		jw_uint(w, inc->counts[i].value);
	}
	buf_release(&k);
	jw_obj_end(w);
}

int
act_webhook_format(const struct act_incident *inc, const char *host, struct buf *body,
		   char *err, size_t errlen)
{
	char kind[ACT_KIND_MAX + 1];
	struct buf b;
	struct jw w;
	int rc = 0;

	/* The kind is ours, not the log's: a bad one is a bug upstream. */
	if (inc->kind == NULL) {
		snprintf(err, errlen, "webhook: no kind");
		return -1;
	}
	if (act_check_kind(inc->kind, kind, sizeof(kind), err, errlen) != 0)
		return -1;
	buf_init(&b, 0);
	jw_init(&w, &b);
	jw_obj_begin(&w);
	jw_kcstr(&w, "kind", kind);
	put_text(&w, "account", inc->account, WH_ACCOUNT_BUDGET);
	put_text(&w, "ip", inc->ip, WH_IP_BUDGET);
	put_text(&w, "incident", inc->incident, WH_INCIDENT_BUDGET);
	put_time(&w, "first_evidence", "first_evidence_epoch", inc->first_evidence);
	put_time(&w, "detected_at", "detected_at_epoch", inc->detected_at);
	put_counts(&w, inc);
	put_text(&w, "signals", inc->signals, WH_SIGNALS_BUDGET);
	put_text(&w, "actions", inc->actions, WH_ACTIONS_BUDGET);
	put_text(&w, "host", host, WH_HOST_BUDGET);
	jw_obj_end(&w);
	/* The budgets make this impossible; a bug must not send half an object. */
	if (w.depth != 0 || b.len > ACT_MAIL_MAX) {
		snprintf(err, errlen, "webhook: body of %zu bytes is over %d (a bug)", b.len,
			 ACT_MAIL_MAX);
		rc = -1;
	} else if (buf_append(body, b.data, b.len) != 0) {
		snprintf(err, errlen, "webhook: no room for a body of %zu bytes", b.len);
		rc = -1;
	}
	buf_release(&b);
	return rc;
}

/* ------------------------------------------------------------- the POST */

struct wh_answer {
	char kept[ACT_CAPTURE_MAX + 1];
	size_t kept_len;
	size_t total;
	bool stopped;	/* past ACT_WEBHOOK_RESPONSE_MAX: transfer stopped by us */
};

static size_t
wh_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct wh_answer *ans = arg;
	size_t len = size * nmemb, room = ACT_CAPTURE_MAX - ans->kept_len;

	if (len > ACT_WEBHOOK_RESPONSE_MAX - ans->total) {
		ans->stopped = true;
		return 0;	/* != len: libcurl ends the transfer (CURLE_WRITE_ERROR) */
	}
	if (room > len)
		room = len;
	memcpy(ans->kept + ans->kept_len, p, room);
	ans->kept_len += room;
	ans->kept[ans->kept_len] = '\0';
	ans->total += len;
	return len;
}

/* The first line of the answer, escaped, for r->err. */
static const char *
answer_line(const struct wh_answer *ans, char *dst, size_t size)
{
	char tmp[WH_ANSWER_LINE_MAX + 1];
	size_t n = strcspn(ans->kept, "\r\n");

	if (n > WH_ANSWER_LINE_MAX)
		n = WH_ANSWER_LINE_MAX;
	memcpy(tmp, ans->kept, n);
	tmp[n] = '\0';
	return act_quote(tmp, dst, size);
}

/* Append a header line; -1 when out of memory (*l is kept, to be freed). */
static int
hdr_add(struct curl_slist **l, const char *line)
{
	struct curl_slist *t = CF.slist_append(*l, line);

	if (t == NULL)
		return -1;
	*l = t;
	return 0;
}

#define WH_SET(h, opt, val)                                                                    \
	do {                                                                                   \
		if ((cc = CF.easy_setopt((h), (opt), (val))) != CURLE_OK)                     \
			goto setopt_failed;                                                    \
	} while (0)

static int
wh_post(const struct act *a, const struct buf *body, struct act_result *r)
{
	const char *shown = a->webhook_url_shown;
	char cerr[CURL_ERROR_SIZE], line[WH_ANSWER_LINE_MAX * 4 + 8], head[32];
	struct curl_slist *hdrs = NULL;
	struct wh_answer *ans;
	long status = 0;
	CURLcode cc;
	CURL *h;
	int rc = -1;

	if (act_curl_load(cerr, sizeof(cerr)) != 0)
		return act_res_fail(r, "POST %s: %s", shown, cerr);
	if ((h = CF.easy_init()) == NULL)
		return act_res_fail(r, "POST %s: libcurl could not make a handle", shown);
	ans = mem_calloc(1, sizeof(*ans));
	cerr[0] = '\0';
	/* "Expect:" (empty) drops libcurl's Expect: 100-continue: one round
	 * trip, and no wait on servers that never send 100. */
	if (hdr_add(&hdrs, "Content-Type: application/json") != 0 ||
	    hdr_add(&hdrs, "Expect:") != 0 ||
	    (a->webhook_header != NULL && hdr_add(&hdrs, a->webhook_header) != 0)) {
		act_res_fail(r, "POST %s: out of memory", shown);
		goto out;
	}
	WH_SET(h, CURLOPT_URL, a->webhook_url);
	WH_SET(h, CURLOPT_PROTOCOLS_STR, "http,https");
	WH_SET(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	WH_SET(h, CURLOPT_FOLLOWLOCATION, 0L);
	WH_SET(h, CURLOPT_NOSIGNAL, 1L);
	/* "" disables the proxy, environment included; NOPROXY "" makes a
	 * configured one apply to every host, whatever NO_PROXY says. */
	WH_SET(h, CURLOPT_PROXY, a->webhook_proxy != NULL ? a->webhook_proxy : "");
	WH_SET(h, CURLOPT_NOPROXY, "");
	WH_SET(h, CURLOPT_SSL_VERIFYPEER, 1L);
	WH_SET(h, CURLOPT_SSL_VERIFYHOST, 2L);
	WH_SET(h, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	WH_SET(h, CURLOPT_TIMEOUT_MS, (long)a->timeout_ms);
	WH_SET(h, CURLOPT_CONNECTTIMEOUT_MS, (long)a->timeout_ms);
	WH_SET(h, CURLOPT_USERAGENT, "mailsentry");
	WH_SET(h, CURLOPT_HTTPHEADER, hdrs);
	WH_SET(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	WH_SET(h, CURLOPT_POSTFIELDS, body->data);
	WH_SET(h, CURLOPT_WRITEFUNCTION, wh_write);
	WH_SET(h, CURLOPT_WRITEDATA, ans);
	WH_SET(h, CURLOPT_ERRORBUFFER, cerr);

	cc = CF.easy_perform(h);
	if (CF.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = 0;
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		r->timed_out = true;
		act_res_fail(r, "timed out after %" PRId64 " ms: POST %s", a->timeout_ms, shown);
		goto out;
	}
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && ans->stopped && status != 0)) {
		act_res_fail(r, "POST %s: %s", shown,
			     act_quote(cerr[0] != '\0' ? cerr : CF.easy_strerror(cc), line,
				       sizeof(line)));
		goto out;
	}
	snprintf(head, sizeof(head), "HTTP %ld\n", status);
	act_res_out(r, head, strlen(head));
	act_res_out_escaped(r, ans->kept, ans->kept_len);
	if (ans->stopped)
		ACT_RES_LIT(r, " [cut: the answer was longer than 64 KiB; transfer stopped]");
	else if (ans->total > ans->kept_len)
		ACT_RES_LIT(r, " [cut]");
	if (status < 200 || status > 299) {
		act_res_fail(r, "HTTP %ld from %s%s%s", status, shown, ans->kept_len ? ": " : "",
			     ans->kept_len ? answer_line(ans, line, sizeof(line)) : "");
		goto out;
	}
	r->ok = true;
	rc = 0;
	goto out;
setopt_failed:
	act_res_fail(r, "POST %s: libcurl refused an option: %s", shown, CF.easy_strerror(cc));
out:
	CF.easy_cleanup(h);
	CF.slist_free_all(hdrs);
	mem_free(ans);
	return rc;
}

int
act_webhook(const struct act *a, const struct act_incident *inc, bool dry_run,
	    struct act_result *r)
{
	char host[256], e[sizeof(r->err)];
	struct buf body;
	int rc;

	act_res_init(r, dry_run);
	if (a->webhook_url == NULL)
		return act_res_fail(r, "webhook_url is not set: no webhook");
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	buf_init(&body, ACT_MAIL_MAX);
	if (act_webhook_format(inc, host, &body, e, sizeof(e)) != 0) {
		buf_release(&body);
		return act_res_fail(r, "%s", e);
	}
	snprintf(r->cmd, sizeof(r->cmd), "POST %s", a->webhook_url_shown);
	if (dry_run) {
		r->ok = true;
		act_res_out(r, body.data, body.len);
		buf_release(&body);
		return 0;
	}
	rc = wh_post(a, &body, r);
	buf_release(&body);
	return rc;
}
