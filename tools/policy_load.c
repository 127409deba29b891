/* policy_load.c - load generator for Postfix policy services
 * SUMMARY  Opens N persistent connections to a policy service and keeps
 *          one request in flight on each (as Postfix's smtpd processes do),
 *          for a number of seconds; prints requests per second and the
 *          p50/p99/max latency. Requests are RCPT-stage (-s: another
 *          protocol_state, e.g. END-OF-MESSAGE, where mailsentry turns each
 *          request into an event for its detectors), authenticated, from
 *          a spread of accounts and client addresses in documentation
 *          ranges. The answers are read, not judged (unless -e).
 *          -n: each connection sends that many requests and the run ends
 *          when all are answered (-t is then the time limit); every
 *          connection is open before the first request is sent, so CONNS
 *          connections are open at once.
 *          -i: IDLE more connections are opened first and held open, silent,
 *          during the run; after it each sends one request and must get its
 *          answer within SECONDS (none must have been closed).
 *          -e: every answer must be "action=ACTION" (ACTION in any case,
 *          followed by a space or the end of the line, as Postfix reads it).
 *          -S, -A: requests of exactly BYTES bytes (an x_pad attribute), and
 *          with ATTRS more attributes (a request has 18 + ATTRS, + 1 with
 *          -S), to try a service's limits.
 * USAGE    policy_load [-c CONNS] [-t SECONDS] [-a ACCOUNTS] [-n REQUESTS]
 *                      [-i IDLE] [-e ACTION] [-S BYTES] [-A ATTRS] [-s STATE]
 *                      HOST PORT
 * OUTPUT   One line: connections, seconds, requests, req/s, p50, p99, max
 *          (of the active connections' requests). With -n, -i, -e, -S or -A
 *          a second line: answered, unexpected (answers other than -e's),
 *          unanswered (-n: requests without an answer at the time limit),
 *          closed (active connections the server closed), idle, idle
 *          answered, idle closed.
 * ERRORS   Exit 0; 1 when a connection was closed by the server, an answer
 *          was unexpected, or (with -n or -i) a request went unanswered;
 *          2 on bad usage or when connecting fails.
 * LIMITS   at most 65536 connections, active and idle; IPv4 HOST only. The
 *          soft descriptor limit is raised toward the hard one as needed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNS_MAX 65536
#define BYTES_MAX (1 << 20)	/* -S */
#define ATTRS_MAX 100000	/* -A */
#define ANSWER_KEEP 600		/* bytes of an answer kept to judge it */
#define SEND_TIMEOUT 10		/* seconds a blocked write may wait */

struct conn {
	int fd;
	bool idle, closed, waiting;
	char last;		/* the answer's last byte so far */
	unsigned n;		/* answers read */
	unsigned anslen;
	uint64_t sent_ns;
	char ans[ANSWER_KEEP];
};

struct run {
	unsigned accounts, extra_attrs, bytes;
	const char *state;	/* protocol_state */
	const char *expect;
	char *req;
	size_t reqcap;
	uint64_t answered, unexpected, closed, idle_answered, idle_closed;
	uint64_t *lat, nlat, caplat;
	bool record;		/* latencies of the active run only */
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

static size_t
make_req(struct run *r, const struct conn *c, unsigned id)
{
	unsigned a = (id * 2654435761u) % r->accounts, i;
	size_t len;
	int n = snprintf(r->req, r->reqcap,
			 "request=smtpd_access_policy\nprotocol_state=%s\nprotocol_name=ESMTP\n"
			 "client_address=198.51.100.%u\nclient_name=unknown\n"
			 "reverse_client_name=unknown\nhelo_name=client.example.net\n"
			 "sender=user%u@example.org\nrecipient=rcpt%u@example.net\n"
			 "recipient_count=0\nqueue_id=\ninstance=%x.%x\nsize=0\n"
			 "sasl_method=PLAIN\nsasl_username=user%u@example.org\nsasl_sender=\n"
			 "server_address=192.0.2.25\nserver_port=587\n",
			 r->state, a % 250 + 1, a, id, id, c->n, a);

	len = (size_t)n;
	for (i = 0; i < r->extra_attrs; i++)
		len += (size_t)snprintf(r->req + len, r->reqcap - len, "x_a%u=1\n", i);
	/* "x_pad=" + fill + "\n", then the empty line: exactly r->bytes */
	if (r->bytes > len + 8) {
		size_t fill = r->bytes - len - 8;

		memcpy(r->req + len, "x_pad=", 6);
		memset(r->req + len + 6, 'x', fill);
		len += 6 + fill;
		r->req[len++] = '\n';
	}
	r->req[len++] = '\n';
	return len;
}

static void
mark_closed(struct run *r, struct conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	c->waiting = false;
	close(c->fd);	/* also leaves the epoll set */
	if (c->idle)
		r->idle_closed++;
	else
		r->closed++;
}

static int
send_req(struct run *r, struct conn *c)
{
	size_t off = 0, len = make_req(r, c, (unsigned)(c->fd * 7919u + c->n));
	ssize_t w;

	c->sent_ns = now_ns();
	c->waiting = true;
	c->anslen = 0;
	c->last = 0;
	while (off < len) {
		w = send(c->fd, r->req + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			mark_closed(r, c);
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* Is the connection still open? (nothing must have come on it) */
static bool
still_open(int fd)
{
	char b;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static void
answer_done(struct run *r, struct conn *c, uint64_t t)
{
	c->waiting = false;
	c->n++;
	if (c->idle)
		r->idle_answered++;
	else
		r->answered++;
	if (r->expect != NULL) {
		size_t el = strlen(r->expect);

		if (c->anslen < 7 + el + 1 || memcmp(c->ans, "action=", 7) != 0 ||
		    strncasecmp(c->ans + 7, r->expect, el) != 0 ||
		    (c->ans[7 + el] != ' ' && c->ans[7 + el] != '\n'))
			r->unexpected++;
	}
	if (!r->record || c->idle)
		return;
	if (r->nlat == r->caplat) {
		r->caplat = r->caplat ? r->caplat * 2 : 1 << 16;
		r->lat = realloc(r->lat, r->caplat * sizeof(*r->lat));
		if (r->lat == NULL) {
			perror("policy_load");
			exit(2);
		}
	}
	r->lat[r->nlat++] = t - c->sent_ns;
}

/* Read what came on c; true when an answer is complete. */
static bool
conn_input(struct run *r, struct conn *c, uint64_t t)
{
	char buf[4096];
	ssize_t n = read(c->fd, buf, sizeof(buf)), i;
	bool done = false;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return false;
	if (n <= 0) {
		mark_closed(r, c);
		return false;
	}
	if (!c->waiting)	/* nothing asked: ignore it */
		return false;
	/* an answer ends with an empty line; one request in flight */
	for (i = 0; i < n; i++) {
		if (c->anslen < sizeof(c->ans))
			c->ans[c->anslen++] = buf[i];
		if (buf[i] == '\n' && c->last == '\n') {
			answer_done(r, c, t);
			done = true;
			break;
		}
		c->last = buf[i];
	}
	return done;
}

static int
raise_nofile(unsigned conns)
{
	struct rlimit rl;
	unsigned need = conns + 16;	/* stdio, epoll */

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		fprintf(stderr,
			"policy_load: %u connections need %u file descriptors; the limit is %llu "
			"(ulimit -n)\n",
			conns, need, (unsigned long long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

static unsigned
num(const char *s, unsigned max, bool *bad)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > max)
		*bad = true;
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	unsigned conns = 8, seconds = 5, idle = 0, reqs = 0, i, done = 0, total;
	struct sockaddr_in sa;
	struct conn *cs;
	struct run r;
	struct epoll_event ev, evs[256];
	uint64_t start, end, t;
	int ep, opt;
	bool bad = false, tset = false, extended = false;

	memset(&r, 0, sizeof(r));
	r.accounts = 10000;
	r.state = "RCPT";
	while ((opt = getopt(argc, argv, "c:t:a:n:i:e:S:A:s:")) != -1) {
		switch (opt) {
		case 'c':
			conns = num(optarg, CONNS_MAX, &bad);
			break;
		case 't':
			seconds = num(optarg, 86400, &bad);
			tset = true;
			break;
		case 'a':
			r.accounts = num(optarg, UINT32_MAX, &bad);
			break;
		case 'n':
			reqs = num(optarg, 1000000000, &bad);
			bad |= reqs == 0;
			extended = true;
			break;
		case 'i':
			idle = num(optarg, CONNS_MAX, &bad);
			extended = true;
			break;
		case 'e':
			r.expect = optarg;
			extended = true;
			break;
		case 'S':
			r.bytes = num(optarg, BYTES_MAX, &bad);
			extended = true;
			break;
		case 'A':
			r.extra_attrs = num(optarg, ATTRS_MAX, &bad);
			extended = true;
			break;
		case 's':
			r.state = optarg;
			if (strlen(optarg) > 32 || strchr(optarg, '\n') != NULL)
				bad = true;
			break;
		default:
			goto usage;
		}
	}
	if (bad || argc - optind != 2 || conns == 0 || conns + idle > CONNS_MAX || seconds == 0 ||
	    r.accounts == 0)
		goto usage;
	if (reqs > 0 && !tset)
		seconds = 60;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)strtoul(argv[optind + 1], NULL, 10));
	if (inet_pton(AF_INET, argv[optind], &sa.sin_addr) != 1)
		goto usage;
	r.reqcap = 1024 + (size_t)r.extra_attrs * 16 + r.bytes;
	r.req = malloc(r.reqcap);
	total = conns + idle;
	cs = calloc(total, sizeof(*cs));
	if (cs == NULL || r.req == NULL) {
		perror("policy_load");
		return 2;
	}
	if (raise_nofile(total) < 0)
		return 2;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("policy_load: epoll_create1");
		return 2;
	}
	/* idle ones first: they are the oldest, as a server sees them */
	for (i = 0; i < total; i++) {
		struct conn *c = &cs[(i + conns) % total];
		struct timeval stv = { SEND_TIMEOUT, 0 };
		int one = 1;

		c->idle = i < idle;
		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "policy_load: connect %s:%s (connection %u): %s\n",
				argv[optind], argv[optind + 1], i + 1, strerror(errno));
			return 2;
		}
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof(stv));
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
			perror("policy_load: epoll_ctl");
			return 2;
		}
	}
	r.record = true;
	start = now_ns();
	end = start + (uint64_t)seconds * 1000000000u;
	for (i = 0; i < conns; i++)
		if (send_req(&r, &cs[i]) < 0)
			done++;
	for (;;) {
		int n = epoll_wait(ep, evs, 256, 100), k;

		t = now_ns();
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("policy_load: epoll_wait");
			return 2;
		}
		for (k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			bool was_open = !c->closed;

			if (c->closed)
				continue;
			if (conn_input(&r, c, t) && !c->idle) {
				if (reqs > 0 && c->n >= reqs)
					done++;
				else if (t < end && send_req(&r, c) < 0)
					done++;
			} else if (was_open && c->closed && !c->idle) {
				done++;
			}
		}
		if (t >= end || (reqs > 0 && done >= conns))
			break;
	}
	r.record = false;
	t = now_ns();
	{
		uint64_t nlat = r.nlat, unanswered = 0;
		double secs = (double)(t - start) / 1e9;

		if (reqs > 0)
			for (i = 0; i < conns; i++)
				if (!cs[i].closed && cs[i].n < reqs)
					unanswered += reqs - cs[i].n;
		if (nlat > 0)
			qsort(r.lat, nlat, sizeof(*r.lat), cmp_u64);
		/* -n: the run's length, whole seconds up */
		if (reqs > 0)
			seconds = (unsigned)((t - start + 999999999u) / 1000000000u);
		printf("connections %u  seconds %u  requests %llu  req/s %.0f  p50 %.1f us  p99 %.1f "
		       "us  max %.1f us\n",
		       conns, seconds, (unsigned long long)nlat, nlat / secs,
		       nlat ? r.lat[nlat / 2] / 1e3 : 0, nlat ? r.lat[nlat * 99 / 100] / 1e3 : 0,
		       nlat ? r.lat[nlat - 1] / 1e3 : 0);
		/* the idle connections: still open? then each asks once */
		if (idle > 0) {
			unsigned waiting = 0;
			uint64_t iend = t + (uint64_t)seconds * 1000000000u;

			for (i = conns; i < total; i++) {
				struct conn *c = &cs[i];

				if (!c->closed && !still_open(c->fd))
					mark_closed(&r, c);
				if (!c->closed && send_req(&r, c) == 0)
					waiting++;
			}
			while (waiting > 0 && now_ns() < iend) {
				int n = epoll_wait(ep, evs, 256, 100), k;

				for (k = 0; k < n; k++) {
					struct conn *c = evs[k].data.ptr;
					bool was_waiting = c->waiting;

					if (c->closed)
						continue;
					conn_input(&r, c, now_ns());
					if (was_waiting && c->idle && !c->waiting)
						waiting--;
				}
			}
		}
		if (extended)
			printf("answered %llu  unexpected %llu  unanswered %llu  closed %llu  idle %u  "
			       "idle answered %llu  idle closed %llu\n",
			       (unsigned long long)r.answered, (unsigned long long)r.unexpected,
			       (unsigned long long)unanswered, (unsigned long long)r.closed, idle,
			       (unsigned long long)r.idle_answered,
			       (unsigned long long)r.idle_closed);
		if (r.closed > 0)
			fprintf(stderr, "policy_load: the server closed %llu connection(s)\n",
				(unsigned long long)r.closed);
		fflush(stdout);
		for (i = 0; i < total; i++)
			if (!cs[i].closed)
				close(cs[i].fd);
		close(ep);
		free(cs);
		free(r.req);
		free(r.lat);
		if (r.closed > 0 || r.unexpected > 0 || unanswered > 0 || r.idle_answered < idle)
			return 1;
		return 0;
	}
usage:
	fprintf(stderr, "usage: policy_load [-c CONNS] [-t SECONDS] [-a ACCOUNTS] [-n REQUESTS] "
			"[-i IDLE] [-e ACTION] [-S BYTES] [-A ATTRS] [-s STATE] HOST PORT\n");
	return 2;
}
