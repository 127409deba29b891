/* test_act_webhook.c - act_webhook: settings, the JSON body, the POST
 * A tiny HTTP/1.1 listener runs in a thread on 127.0.0.1, port 0 (the
 * kernel picks one): it records every request (method, target, headers,
 * body) and answers as the test asks: 200, 500 with a hostile body, a
 * redirect, an answer larger than the webhook reads, or nothing at all.
 * Every URL the tests send to is 127.0.0.1: no DNS, no other address.
 * Settings that are only refused (act_new) may name example.org: act_new
 * never resolves or connects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "act/act.h"
#include "util/buf.h"
#include "util/msg.h"

/* ------------------------------------------------------------- the listener */

enum srv_mode {
	SRV_200,	/* 200, body "ok" */
	SRV_500,	/* 500, a body with a terminal escape and two lines */
	SRV_302,	/* a redirect to another path of the same listener */
	SRV_BIG,	/* 200 with a 200 KiB body */
	SRV_HANG,	/* read the request, answer nothing, wait for the client to go */
};

#define SRV_REQ_MAX (256 * 1024)
#define SRV_BIG_LEN (200 * 1024)

struct srv {
	int lfd;
	unsigned port;
	enum srv_mode mode;
	int first_wait_ms;	/* for the first connection */
	int linger_ms;		/* for each further one */
	unsigned max_conn;	/* stop after this many (0: no limit) */
	pthread_t th;
	/* what came, the last request */
	unsigned nconn;
	char method[16];
	char target[4096];
	char headers[16384];	/* "Name: value\r\n" lines as received */
	char *body;		/* NUL-terminated (the body itself may hold none) */
	size_t body_len;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait up to ms for fd to be readable; 1 readable, 0 not. */
static int
wait_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int rc;

	do
		rc = poll(&p, 1, ms);
	while (rc < 0 && errno == EINTR);
	return rc > 0;
}

static void
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;	/* the client went: fine for SRV_BIG */
		p += n;
		len -= (size_t)n;
	}
}

/* Header value of the last request (case-insensitive name), or NULL. */
static const char *
srv_header(const struct srv *s, const char *name, char *dst, size_t size)
{
	size_t n = strlen(name);
	const char *p = s->headers;

	while (*p != '\0') {
		const char *eol = strstr(p, "\r\n");

		if (eol == NULL)
			break;
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;

			while (*v == ' ')
				v++;
			snprintf(dst, size, "%.*s", (int)(eol - v), v);
			return dst;
		}
		p = eol + 2;
	}
	return NULL;
}

/* Read one request into s; -1 when the client sent something else. */
static int
srv_read(struct srv *s, int fd)
{
	char *buf = malloc(SRV_REQ_MAX + 1), *end, *sp, *sp2, cl[32];
	size_t len = 0, need = 0, hlen;
	ssize_t n;
	int rc = -1;

	for (;;) {
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL) {
			hlen = (size_t)(end - buf) + 4;
			if (need == 0) {
				char *eol = strstr(buf, "\r\n");

				sp = memchr(buf, ' ', (size_t)(eol - buf));
				sp2 = sp ? memchr(sp + 1, ' ', (size_t)(eol - sp - 1)) : NULL;
				if (sp == NULL || sp2 == NULL)
					break;
				snprintf(s->method, sizeof(s->method), "%.*s", (int)(sp - buf), buf);
				snprintf(s->target, sizeof(s->target), "%.*s",
					 (int)(sp2 - sp - 1), sp + 1);
				snprintf(s->headers, sizeof(s->headers), "%.*s",
					 (int)(end + 2 - eol - 2), eol + 2);
				need = hlen + (srv_header(s, "Content-Length", cl, sizeof(cl))
						       ? strtoul(cl, NULL, 10)
						       : 0);
			}
			if (len >= need) {
				free(s->body);
				s->body_len = need - hlen;
				s->body = malloc(s->body_len + 1);
				memcpy(s->body, buf + hlen, s->body_len);
				s->body[s->body_len] = '\0';
				rc = 0;
				break;
			}
		}
		if (len == SRV_REQ_MAX || !wait_in(fd, 5000))
			break;
		if ((n = recv(fd, buf + len, SRV_REQ_MAX - len, 0)) <= 0)
			break;
		len += (size_t)n;
	}
	free(buf);
	return rc;
}

static void
srv_answer(struct srv *s, int fd)
{
	char head[512];
	char *big;

	switch (s->mode) {
	case SRV_200: {
		static const char ok[] =
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

		send_all(fd, ok, sizeof(ok) - 1);
		break;
	}
	case SRV_500: {
		static const char body[] = "database down\033[2J\nsecond line\n";

		snprintf(head, sizeof(head),
			 "HTTP/1.1 500 Internal Server Error\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 sizeof(body) - 1);
		send_all(fd, head, strlen(head));
		send_all(fd, body, sizeof(body) - 1);
		break;
	}
	case SRV_302:
		snprintf(head, sizeof(head),
			 "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%u/elsewhere\r\n"
			 "Content-Length: 0\r\nConnection: close\r\n\r\n",
			 s->port);
		send_all(fd, head, strlen(head));
		break;
	case SRV_BIG:
		snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
			 SRV_BIG_LEN);
		send_all(fd, head, strlen(head));
		big = malloc(SRV_BIG_LEN);
		memset(big, 'y', SRV_BIG_LEN);
		send_all(fd, big, SRV_BIG_LEN);
		free(big);
		break;
	case SRV_HANG: {
		char b[512];

		/* until the client gives up (EOF) or 10 s */
		while (wait_in(fd, 10000) && recv(fd, b, sizeof(b), 0) > 0)
			;
		break;
	}
	}
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	int wait = s->first_wait_ms, fd;

	while (wait_in(s->lfd, wait)) {
		if ((fd = accept(s->lfd, NULL, NULL)) < 0)
			break;
		s->nconn++;
		if (srv_read(s, fd) == 0)
			srv_answer(s, fd);
		close(fd);
		wait = s->linger_ms;
		if (s->max_conn != 0 && s->nconn == s->max_conn)
			break;
	}
	return NULL;
}

/* Listen and serve in a thread: wait first_wait_ms for the first
 * connection, then 300 ms (or 5 s with max_conn) for each next one. */
static void
srv_start_n(struct srv *s, enum srv_mode mode, int first_wait_ms, unsigned max_conn)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->first_wait_ms = first_wait_ms;
	s->linger_ms = max_conn != 0 ? 5000 : 300;
	s->max_conn = max_conn;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 16), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &sl), 0);
	s->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void
srv_start(struct srv *s, enum srv_mode mode, int first_wait_ms)
{
	srv_start_n(s, mode, first_wait_ms, 0);
}

static void
srv_stop(struct srv *s)
{
	assert_int_equal(pthread_join(s->th, NULL), 0);
	close(s->lfd);
}

static void
srv_free(struct srv *s)
{
	free(s->body);
	s->body = NULL;
}

/* ------------------------------------------------------------- settings */

static void
set_str(char **field, const char *v)
{
	free(*field);
	*field = strdup(v);
}

/* Settings from the defaults plus "name=value" lines; "@P@" = port. */
static struct act *
make_act(struct act_conf *c, unsigned port, ...)
{
	char err[256], line[1024], *at;
	struct act *a;
	const char *o;
	va_list ap;

	assert_int_equal(conf_defaults(act_conf_defs, act_conf_ndefs, c), 0);
	va_start(ap, port);
	while ((o = va_arg(ap, const char *)) != NULL) {
		snprintf(line, sizeof(line), "%s", o);
		if ((at = strstr(line, "@P@")) != NULL) {
			char rest[1024];

			snprintf(rest, sizeof(rest), "%s", at + 3);
			snprintf(at, sizeof(line) - (size_t)(at - line), "%u%s", port, rest);
		}
		if (conf_set(act_conf_defs, act_conf_ndefs, c, line, err, sizeof(err)) != 0)
			fail_msg("conf_set %s: %s", line, err);
	}
	va_end(ap);
	a = act_new(c, err, sizeof(err));
	if (a == NULL)
		fail_msg("act_new: %s", err);
	return a;
}

static void
drop_act(struct act **a, struct act_conf *c)
{
	act_free(a);
	conf_free(act_conf_defs, act_conf_ndefs, c);
}

static const struct act_incident hostile = {
	.kind = "account_compromise",
	/* quotes, backslash, newline, and bytes that are not UTF-8 */
	.account = "a\"b\\c\nd\xff\xfe@example.com",
	.ip = "192.0.2.7",
	.incident = "17",
	.first_evidence = 1374486777,
	.detected_at = 1374490377,
	.counts = { { "distinct_ips", 880 }, { "messages", 1234 }, { "messages", 1 },
		    { "we\"ird", 5 } },
	.ncounts = 4,
	.signals = "login_networks 14 (threshold 10)\r\n\033[2J\n",
	.actions = "the account is locked",
};

#define SECRET "Bearer s3cr3t-t0ken"

/* ------------------------------------------------------------- tests */

static void
test_conf(void **state)
{
	static const struct {
		const char *url, *header, *proxy, *want;
	} bad[] = {
		{ "ftp://example.org/x", "", "", "webhook_url: \"ftp://example.org/x\" is not an "
						 "http:// or https:// URL" },
		{ "file:///etc/passwd", "", "", "is not an http:// or https:// URL" },
		{ "example.org/hook", "", "", "is not an http:// or https:// URL" },
		{ "https://example.org/a b", "", "", "holds a blank" },
		{ "https://example.org/\x01", "", "", "holds a blank" },
		{ "https://example.org/\xc3\xa9", "", "", "holds a blank" },
		{ "https://", "", "", "webhook_url: \"https://\" is not a valid URL" },
		{ "https://example.org:99999/", "", "", "is not a valid URL" },
		/* the query and user:password are not repeated in the error */
		{ "gopher://u:pw@example.org/x?token=TOKEN", "", "",
		  "webhook_url: \"gopher://example.org/x\" is not" },
		{ "https://example.org/h", "X-Token: a\r\nX-Evil: 1", "", "control byte" },
		{ "https://example.org/h", "X-Token: a\nb", "", "control byte" },
		{ "https://example.org/h", "X-Token:\tabc", "", "control byte" },
		{ "https://example.org/h", "X-Token: \xc3\xa9", "", "control byte" },
		{ "https://example.org/h", SECRET, "", "webhook_header: not \"Name: value\" (no ':')" },
		{ "https://example.org/h", ": " SECRET, "", "the name before ':'" },
		{ "https://example.org/h", "Author ization: " SECRET, "", "the name before ':'" },
		{ "https://example.org/h", "Authorization:   ", "", "the value after ':' is empty" },
		{ "https://example.org/h", "content-length: 5", "",
		  "webhook_header: Content-Length is set by mailsentry" },
		{ "https://example.org/h", "Host: example.net", "", "Host is set by mailsentry" },
		{ "https://example.org/h", "Transfer-Encoding: chunked", "", "Transfer-Encoding" },
		{ "https://example.org/h", "", "ftp://127.0.0.1:1", "webhook_proxy: " },
		{ "https://example.org/h", "", "127.0.0.1:3128", "webhook_proxy: " },
		/* checked even without a URL: a typo must not wait for the day
		 * somebody sets webhook_url */
		{ "", "no colon", "", "webhook_header: not" },
	};
	struct act_conf c;
	struct act *a;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(conf_defaults(act_conf_defs, act_conf_ndefs, &c), 0);
		set_str(&c.webhook_url, bad[i].url);
		set_str(&c.webhook_header, bad[i].header);
		set_str(&c.webhook_proxy, bad[i].proxy);
		err[0] = '\0';
		a = act_new(&c, err, sizeof(err));
		if (a != NULL || strstr(err, bad[i].want) == NULL)
			fail_msg("row %zu: want \"%s\", got %s \"%s\"", i, bad[i].want,
				 a ? "accepted" : "refused:", err);
		/* no secret ever in a settings error */
		assert_null(strstr(err, "s3cr3t"));
		assert_null(strstr(err, "TOKEN"));
		assert_null(strstr(err, "pw"));
		assert_null(strstr(err, "X-Evil"));
		assert_null(strchr(err, '\n'));
		conf_free(act_conf_defs, act_conf_ndefs, &c);
	}

	/* accepted; not configured without a URL */
	a = make_act(&c, 0, NULL);
	assert_false(act_configured(a, ACT_WEBHOOK));
	{
		struct act_result r;

		assert_int_equal(act_webhook(a, &hostile, false, &r), -1);
		assert_string_equal(r.err, "webhook_url is not set: no webhook");
	}
	drop_act(&a, &c);
	a = make_act(&c, 0, "webhook_url = HTTPS://example.org:8443/hook?x=1",
		     "webhook_header = Authorization: " SECRET,
		     "webhook_proxy = socks5h://127.0.0.1:1080", NULL);
	assert_true(act_configured(a, ACT_WEBHOOK));
	drop_act(&a, &c);
	assert_string_equal(act_kind_name(ACT_WEBHOOK), "webhook");
}

static void
test_post(void **state)
{
	struct act_conf c;
	struct act *a;
	struct act_result r;
	struct srv s;
	char v[256], host[256];
	json_t *j, *counts;
	json_error_t jerr;

	(void)state;
	srv_start(&s, SRV_200, 5000);
	a = make_act(&c, s.port, "webhook_url = http://user:pw@127.0.0.1:@P@/hook/x?token=TOKEN#frag",
		     "webhook_header = Authorization: " SECRET, NULL);
	assert_int_equal(act_webhook(a, &hostile, false, &r), 0);
	srv_stop(&s);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_false(r.dry_run);
	assert_false(r.timed_out);
	assert_int_equal(r.exit_status, -1);
	assert_string_equal(r.err, "");
	assert_string_equal(r.out, "HTTP 200\nok");
	snprintf(v, sizeof(v), "POST http://127.0.0.1:%u/hook/x", s.port);
	assert_string_equal(r.cmd, v);

	/* the request */
	assert_int_equal(s.nconn, 1);
	assert_string_equal(s.method, "POST");
	assert_string_equal(s.target, "/hook/x?token=TOKEN");
	assert_non_null(srv_header(&s, "Content-Type", v, sizeof(v)));
	assert_string_equal(v, "application/json");
	assert_non_null(srv_header(&s, "Authorization", v, sizeof(v)));
	assert_string_equal(v, SECRET);	/* ours replaces the URL's user:pw */
	assert_null(srv_header(&s, "Expect", v, sizeof(v)));
	assert_non_null(srv_header(&s, "User-Agent", v, sizeof(v)));
	assert_string_equal(v, "mailsentry");
	snprintf(v, sizeof(v), "%zu", s.body_len);
	{
		char cl[32];

		assert_non_null(srv_header(&s, "Content-Length", cl, sizeof(cl)));
		assert_string_equal(cl, v);
	}

	/* the body: strict JSON, UTF-8 (jansson checks both) */
	j = json_loadb(s.body, s.body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		fail_msg("body is not JSON: %s: %s", jerr.text, s.body);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "account_compromise");
	assert_string_equal(json_string_value(json_object_get(j, "account")),
			    "a\"b\\c\nd\xef\xbf\xbd\xef\xbf\xbd@example.com");
	assert_string_equal(json_string_value(json_object_get(j, "ip")), "192.0.2.7");
	assert_string_equal(json_string_value(json_object_get(j, "incident")), "17");
	assert_string_equal(json_string_value(json_object_get(j, "first_evidence")),
			    "2013-07-22T09:52:57Z");
	assert_int_equal(json_integer_value(json_object_get(j, "first_evidence_epoch")),
			 1374486777);
	assert_string_equal(json_string_value(json_object_get(j, "detected_at")),
			    "2013-07-22T10:52:57Z");
	assert_int_equal(json_integer_value(json_object_get(j, "detected_at_epoch")),
			 1374490377);
	counts = json_object_get(j, "counts");
	assert_true(json_is_object(counts));
	assert_int_equal(json_object_size(counts), 3);	/* the repeated name dropped */
	assert_int_equal(json_integer_value(json_object_get(counts, "distinct_ips")), 880);
	assert_int_equal(json_integer_value(json_object_get(counts, "messages")), 1234);
	assert_int_equal(json_integer_value(json_object_get(counts, "we\"ird")), 5);
	assert_string_equal(json_string_value(json_object_get(j, "signals")),
			    "login_networks 14 (threshold 10)\r\n\033[2J\n");
	assert_string_equal(json_string_value(json_object_get(j, "actions")),
			    "the account is locked");
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(json_string_value(json_object_get(j, "host")), host);
	assert_int_equal(json_object_size(j), 12);
	json_decref(j);
	/* the raw body escapes what JSON requires and nothing reaches it raw */
	assert_null(memchr(s.body, '\n', s.body_len));
	assert_null(memchr(s.body, '\033', s.body_len));
	assert_non_null(strstr(s.body, "\"a\\\"b\\\\c\\nd\\ufffd\\ufffd@example.com\""));

	/* no secret in the audit trail */
	assert_null(strstr(r.cmd, "s3cr3t"));
	assert_null(strstr(r.cmd, "TOKEN"));
	assert_null(strstr(r.cmd, "pw"));
	assert_null(strstr(r.cmd, "frag"));
	assert_null(strstr(r.out, "s3cr3t"));
	srv_free(&s);
	drop_act(&a, &c);

	/* an incident about an IP only: absent members are null */
	{
		struct act_incident ipinc = { .kind = "brute_force", .ip = "198.51.100.4" };

		srv_start(&s, SRV_200, 5000);
		a = make_act(&c, s.port, "webhook_url = http://127.0.0.1:@P@/ip", NULL);
		assert_int_equal(act_webhook(a, &ipinc, false, &r), 0);
		srv_stop(&s);
		j = json_loadb(s.body, s.body_len, JSON_REJECT_DUPLICATES, &jerr);
		assert_non_null(j);
		assert_true(json_is_null(json_object_get(j, "account")));
		assert_true(json_is_null(json_object_get(j, "incident")));
		assert_true(json_is_null(json_object_get(j, "first_evidence")));
		assert_true(json_is_null(json_object_get(j, "first_evidence_epoch")));
		assert_true(json_is_null(json_object_get(j, "signals")));
		assert_int_equal(json_object_size(json_object_get(j, "counts")), 0);
		json_decref(j);
		srv_free(&s);
		drop_act(&a, &c);
	}

	/* a bad kind is refused before anything is sent */
	{
		struct act_incident bad = { .kind = "Bad\nKind", .account = "a@example.com" };

		srv_start(&s, SRV_200, 300);
		a = make_act(&c, s.port, "webhook_url = http://127.0.0.1:@P@/bad", NULL);
		assert_int_equal(act_webhook(a, &bad, false, &r), -1);
		srv_stop(&s);
		assert_false(r.ok);
		assert_int_equal(s.nconn, 0);
		assert_string_equal(r.cmd, "");
	}
	drop_act(&a, &c);
}

static void
test_failures(void **state)
{
	struct act_conf c;
	struct act *a;
	struct act_result r;
	struct srv s;
	char want[256];
	int64_t t0;

	(void)state;
	/* 500: not ok, the status, the URL and the answer's first line, escaped */
	srv_start(&s, SRV_500, 5000);
	a = make_act(&c, s.port, "webhook_url = http://127.0.0.1:@P@/hook?token=TOKEN", NULL);
	assert_int_equal(act_webhook(a, &hostile, false, &r), -1);
	srv_stop(&s);
	assert_false(r.ok);
	assert_false(r.timed_out);
	snprintf(want, sizeof(want), "HTTP 500 from http://127.0.0.1:%u/hook: database down\\x1b[2J",
		 s.port);
	assert_string_equal(r.err, want);
	assert_string_equal(r.out, "HTTP 500\ndatabase down\\x1b[2J\nsecond line\n");
	srv_free(&s);
	drop_act(&a, &c);

	/* a redirect is an answer, not followed */
	srv_start(&s, SRV_302, 5000);
	a = make_act(&c, s.port, "webhook_url = http://127.0.0.1:@P@/hook?token=TOKEN", NULL);
	assert_int_equal(act_webhook(a, &hostile, false, &r), -1);
	srv_stop(&s);
	snprintf(want, sizeof(want), "HTTP 302 from http://127.0.0.1:%u/hook", s.port);
	assert_string_equal(r.err, want);
	assert_int_equal(s.nconn, 1);
	assert_string_equal(s.target, "/hook?token=TOKEN");
	srv_free(&s);
	drop_act(&a, &c);

	/* a huge 2xx answer: kept cut, the transfer stopped, still ok */
	srv_start(&s, SRV_BIG, 5000);
	a = make_act(&c, s.port, "webhook_url = http://127.0.0.1:@P@/hook", NULL);
	assert_int_equal(act_webhook(a, &hostile, false, &r), 0);
	srv_stop(&s);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_true(strncmp(r.out, "HTTP 200\nyyyy", 13) == 0);
	assert_true(strlen(r.out) < sizeof(r.out));
	assert_non_null(strstr(r.out, "..."));
	srv_free(&s);
	drop_act(&a, &c);

	/* no answer: hook_timeout (1 s) */
	srv_start(&s, SRV_HANG, 5000);
	a = make_act(&c, s.port, "webhook_url = http://127.0.0.1:@P@/slow", "hook_timeout = 1s",
		     NULL);
	t0 = now_ms();
	assert_int_equal(act_webhook(a, &hostile, false, &r), -1);
	assert_true(now_ms() - t0 < 4000);
	srv_stop(&s);
	assert_true(r.timed_out);
	snprintf(want, sizeof(want), "timed out after 1000 ms: POST http://127.0.0.1:%u/slow",
		 s.port);
	assert_string_equal(r.err, want);
	assert_int_equal(s.nconn, 1);
	srv_free(&s);
	drop_act(&a, &c);

	/* nobody listening: libcurl's error. Take a port, then close it. */
	srv_start(&s, SRV_200, 0);
	srv_stop(&s);
	a = make_act(&c, s.port, "webhook_url = http://127.0.0.1:@P@/gone", NULL);
	assert_int_equal(act_webhook(a, &hostile, false, &r), -1);
	snprintf(want, sizeof(want), "POST http://127.0.0.1:%u/gone: ", s.port);
	assert_true(strncmp(r.err, want, strlen(want)) == 0);
	assert_false(r.timed_out);
	drop_act(&a, &c);
}

static void
test_dry_run(void **state)
{
	struct act_conf c;
	struct act *a;
	struct act_result r;
	struct srv s;
	char want[256];
	json_t *j;

	(void)state;
	srv_start(&s, SRV_200, 500);
	a = make_act(&c, s.port, "webhook_url = http://127.0.0.1:@P@/hook?token=TOKEN",
		     "webhook_header = X-Api-Key: s3cr3t", NULL);
	assert_int_equal(act_webhook(a, &hostile, true, &r), 0);
	srv_stop(&s);
	assert_int_equal(s.nconn, 0);	/* nothing sent */
	assert_true(r.ok);
	assert_true(r.dry_run);
	assert_int_equal(r.exit_status, -1);
	snprintf(want, sizeof(want), "POST http://127.0.0.1:%u/hook", s.port);
	assert_string_equal(r.cmd, want);
	j = json_loads(r.out, 0, NULL);	/* the body, whole here */
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "account_compromise");
	json_decref(j);
	assert_null(strstr(r.out, "s3cr3t"));
	assert_null(strstr(r.cmd, "s3cr3t"));
	drop_act(&a, &c);
}

/* The proxy comes from webhook_proxy only, never from the environment. */
static void
test_proxy(void **state)
{
	struct act_conf c;
	struct act *a;
	struct act_result r;
	struct srv s;
	char want[256];

	(void)state;
	/* a proxy in the environment that would refuse every connection */
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
	setenv("all_proxy", "http://127.0.0.1:1", 1);
	srv_start(&s, SRV_200, 5000);
	a = make_act(&c, s.port, "webhook_url = http://127.0.0.1:@P@/direct", NULL);
	assert_int_equal(act_webhook(a, &hostile, false, &r), 0);
	srv_stop(&s);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_string_equal(s.target, "/direct");
	srv_free(&s);
	drop_act(&a, &c);

	/* webhook_proxy: the listener plays the proxy and gets the absolute URL */
	srv_start(&s, SRV_200, 5000);
	setenv("no_proxy", "127.0.0.1", 1);
	setenv("NO_PROXY", "127.0.0.1", 1);
	a = make_act(&c, s.port, "webhook_url = http://127.0.0.1:1/via?token=TOKEN",
		     "webhook_proxy = http://127.0.0.1:@P@", NULL);
	assert_int_equal(act_webhook(a, &hostile, false, &r), 0);
	srv_stop(&s);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_string_equal(s.target, "http://127.0.0.1:1/via?token=TOKEN");
	snprintf(want, sizeof(want), "POST http://127.0.0.1:1/via");
	assert_string_equal(r.cmd, want);
	srv_free(&s);
	drop_act(&a, &c);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
}

/* Hostile sizes: the body stays under ACT_MAIL_MAX and valid JSON. */
static void
test_big_body(void **state)
{
	struct act_incident big = { .kind = "outbound_burst" };
	struct act_conf c;
	struct act *a;
	struct act_result r;
	struct srv s;
	char *sig = malloc(200001), *acts = malloc(100001), *acc = malloc(5001);
	const char *got;
	json_t *j;
	json_error_t jerr;

	(void)state;
	memset(sig, 'x', 200000);
	sig[200000] = '\0';
	memset(acts, '\001', 100000);	/* 6 bytes each once escaped */
	acts[100000] = '\0';
	for (size_t i = 0; i < 5000; i += 2)	/* "é" 2500 times */
		memcpy(acc + i, "\xc3\xa9", 2);
	acc[5000] = '\0';
	big.signals = sig;
	big.actions = acts;
	big.account = acc;
	srv_start(&s, SRV_200, 5000);
	a = make_act(&c, s.port, "webhook_url = http://127.0.0.1:@P@/big", NULL);
	assert_int_equal(act_webhook(a, &big, false, &r), 0);
	srv_stop(&s);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_true(s.body_len <= ACT_MAIL_MAX);
	j = json_loadb(s.body, s.body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		fail_msg("body is not JSON: %s", jerr.text);
	got = json_string_value(json_object_get(j, "signals"));
	assert_non_null(got);
	assert_true(strlen(got) > 30000 && strlen(got) <= 32768);
	assert_string_equal(got + strlen(got) - 6, " [cut]");
	got = json_string_value(json_object_get(j, "actions"));
	assert_true(strlen(got) > 1000 && strlen(got) <= 8192 / 6 + 6);
	assert_string_equal(got + strlen(got) - 6, " [cut]");
	got = json_string_value(json_object_get(j, "account"));
	assert_true(strlen(got) <= 1024);
	assert_string_equal(got + strlen(got) - 8, "\xc3\xa9 [cut]");	/* whole characters */
	json_decref(j);
	srv_free(&s);
	drop_act(&a, &c);
	free(sig);
	free(acts);
	free(acc);
}

/* One struct act, several threads at once, each with its own result. */
#define NTHREADS 4

struct worker {
	const struct act *a;
	struct act_result r;
	int rc;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	w->rc = act_webhook(w->a, &hostile, false, &w->r);
	return NULL;
}

static void
test_threads(void **state)
{
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct act_conf c;
	struct act *a;
	struct srv s;
	int i;

	(void)state;
	srv_start_n(&s, SRV_200, 5000, NTHREADS);
	a = make_act(&c, s.port, "webhook_url = http://127.0.0.1:@P@/t",
		     "webhook_header = X-Api-Key: s3cr3t", NULL);
	for (i = 0; i < NTHREADS; i++) {
		w[i].a = a;
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (w[i].rc != 0)
			fail_msg("thread %d: %s", i, w[i].r.err);
	}
	srv_stop(&s);
	assert_int_equal(s.nconn, NTHREADS);
	srv_free(&s);
	drop_act(&a, &c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),	  cmocka_unit_test(test_post),
		cmocka_unit_test(test_failures),  cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_proxy),	  cmocka_unit_test(test_big_body),
		cmocka_unit_test(test_threads),
	};

	msg_set_quiet(true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
