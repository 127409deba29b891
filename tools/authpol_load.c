/* authpol_load.c - load generator for Dovecot auth policy services
 * SUMMARY  Opens N keep-alive HTTP/1.1 connections to an auth policy
 *          service and keeps one request in flight on each (as Dovecot's
 *          auth process does, up to 100 connections), for a number of
 *          seconds; prints requests per second and the p50/p99/max
 *          latency. Requests are the JSON Dovecot 2.3 sends with its default
 *          attributes, from a spread of accounts and client addresses in
 *          documentation ranges: allow requests, and with -r a share of
 *          reports (half of them failures). Answers other than 200 are
 *          counted and make the exit status 1.
 * USAGE    authpol_load [-c CONNS] [-t SECONDS] [-a ACCOUNTS] [-r PERCENT]
 *                       [-k 'Header: value'] HOST PORT
 * LIMITS   at most 4096 connections; IPv4 HOST only; an answer of at most
 *          16 KiB. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNS_MAX 4096
#define REQ_MAX 2048
#define ANS_MAX 16384

struct conn {
	int fd;
	uint64_t sent_ns;
	char req[REQ_MAX];
	size_t reqlen;
	char ans[ANS_MAX];
	size_t anslen;
	unsigned n;
};

struct opts {
	unsigned accounts, report_pct;
	const char *host, *port, *header;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
make_req(struct conn *c, unsigned id, const struct opts *o)
{
	unsigned a = (id * 2654435761u) % o->accounts;
	bool report = (id % 100) < o->report_pct;
	char body[512];
	int blen, n;

	blen = snprintf(body, sizeof(body),
			"{\"device_id\":\"\",\"login\":\"user%u@example.org\",%s\"protocol\":\"imap\","
			"\"pwhash\":\"%08x\",\"remote\":\"198.51.100.%u\",\"session_id\":\"s%x\",%s"
			"\"tls\":false}",
			a, report ? "\"policy_reject\":false," : "", a * 7919u, a % 250 + 1, id,
			report ? (id & 1 ? "\"success\":true," : "\"success\":false,") : "");
	n = snprintf(c->req, sizeof(c->req),
		     "POST /policy?command=%s HTTP/1.1\r\nHost: %s:%s\r\n"
		     "User-Agent: dovecot/auth-policy-client\r\nConnection: Keep-Alive\r\n"
		     "Content-Type: application/json\r\n%s%sContent-Length: %d\r\n\r\n%s",
		     report ? "report" : "allow", o->host, o->port, o->header ? o->header : "",
		     o->header ? "\r\n" : "", blen, body);
	c->reqlen = (size_t)n;
}

static int
send_req(struct conn *c, const struct opts *o)
{
	size_t off = 0;
	ssize_t w;

	make_req(c, (unsigned)(c->fd * 7919u + c->n), o);
	c->anslen = 0;
	c->sent_ns = now_ns();
	while (off < c->reqlen) {
		w = write(c->fd, c->req + off, c->reqlen - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* The end of the headers ("\r\n\r\n") in p[0..n), or NULL. */
static const char *
headers_end(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (p[i] == '\r' && memcmp(p + i, "\r\n\r\n", 4) == 0)
			return p + i;
	return NULL;
}

/* 1 when c->ans holds one whole answer (*code set), 0 when more is
 * needed, -1 when it cannot be one. */
static int
answer_done(const struct conn *c, int *code)
{
	const char *end, *p;
	size_t hlen, clen = 0;

	if (c->anslen < 4)
		return 0;
	end = headers_end(c->ans, c->anslen);
	if (end == NULL)
		return c->anslen >= ANS_MAX ? -1 : 0;
	hlen = (size_t)(end - c->ans) + 4;
	if (c->anslen < 12 || sscanf(c->ans, "HTTP/1.%*d %d", code) != 1)
		return -1;
	for (p = c->ans; p < end; p++)
		if ((p == c->ans || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0) {
			clen = strtoul(p + 15, NULL, 10);
			break;
		}
	if (hlen + clen > ANS_MAX)
		return -1;
	return c->anslen >= hlen + clen ? 1 : 0;
}

int
main(int argc, char **argv)
{
	unsigned conns = 8, seconds = 5, i;
	struct opts o = { 10000, 0, NULL, NULL, NULL };
	struct sockaddr_in sa;
	struct conn *cs;
	struct epoll_event ev, evs[256];
	uint64_t *lat = NULL, nlat = 0, caplat = 0, start, end, bad = 0;
	int ep, opt;

	while ((opt = getopt(argc, argv, "c:t:a:r:k:")) != -1) {
		switch (opt) {
		case 'c':
			conns = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			seconds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'a':
			o.accounts = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			o.report_pct = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'k':
			o.header = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2 || conns == 0 || conns > CONNS_MAX || seconds == 0 ||
	    o.accounts == 0 || o.report_pct > 100 || (o.header && strlen(o.header) > 512))
		goto usage;
	o.host = argv[optind];
	o.port = argv[optind + 1];
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)strtoul(o.port, NULL, 10));
	if (inet_pton(AF_INET, o.host, &sa.sin_addr) != 1)
		goto usage;
	cs = calloc(conns, sizeof(*cs));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (cs == NULL || ep < 0) {
		perror("authpol_load");
		return 2;
	}
	for (i = 0; i < conns; i++) {
		int one = 1;

		cs[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (cs[i].fd < 0 || connect(cs[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "authpol_load: connect %s:%s: %s\n", o.host, o.port,
				strerror(errno));
			return 2;
		}
		setsockopt(cs[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev.events = EPOLLIN;
		ev.data.ptr = &cs[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	start = now_ns();
	end = start + (uint64_t)seconds * 1000000000u;
	for (i = 0; i < conns; i++)
		if (send_req(&cs[i], &o) < 0) {
			perror("authpol_load: write");
			return 2;
		}
	for (;;) {
		int n = epoll_wait(ep, evs, 256, 1000), k;
		uint64_t t = now_ns();

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("authpol_load: epoll_wait");
			return 2;
		}
		for (k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			ssize_t r = read(c->fd, c->ans + c->anslen, ANS_MAX - c->anslen);
			int code = 0, done;

			if (r <= 0) {
				fprintf(stderr, "authpol_load: the server closed a connection\n");
				return 2;
			}
			c->anslen += (size_t)r;
			if ((done = answer_done(c, &code)) == 0)
				continue;
			if (done < 0) {
				fprintf(stderr, "authpol_load: not an HTTP answer\n");
				return 2;
			}
			if (code != 200)
				bad++;
			if (nlat == caplat) {
				caplat = caplat ? caplat * 2 : 1 << 16;
				lat = realloc(lat, caplat * sizeof(*lat));
				if (lat == NULL) {
					perror("authpol_load");
					return 2;
				}
			}
			lat[nlat++] = t - c->sent_ns;
			c->n++;
			if (t < end && send_req(c, &o) < 0) {
				perror("authpol_load: write");
				return 2;
			}
		}
		if (t >= end)
			break;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	printf("connections %u  seconds %u  requests %llu  req/s %.0f  p50 %.1f us  p99 %.1f us  "
	       "max %.1f us  not-200 %llu\n",
	       conns, seconds, (unsigned long long)nlat, nlat / ((double)(now_ns() - start) / 1e9),
	       nlat ? lat[nlat / 2] / 1e3 : 0, nlat ? lat[nlat * 99 / 100] / 1e3 : 0,
	       nlat ? lat[nlat - 1] / 1e3 : 0, (unsigned long long)bad);
	return bad ? 1 : 0;
usage:
	fprintf(stderr, "usage: authpol_load [-c CONNS] [-t SECONDS] [-a ACCOUNTS] [-r PERCENT] "
			"[-k 'Header: value'] HOST PORT\n");
	return 2;
}
