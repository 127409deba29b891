/* policy_load.c - load generator for Postfix policy services
 * SUMMARY  Opens N persistent connections to a policy service and keeps
 *          one request in flight on each (as Postfix's smtpd processes do),
 *          for a number of seconds; prints requests per second and the
 *          p50/p99/max latency. Requests are RCPT-stage, authenticated, from
 *          a spread of accounts and client addresses in documentation
 *          ranges. The answers are read, not judged.
 * USAGE    policy_load [-c CONNS] [-t SECONDS] [-a ACCOUNTS] HOST PORT
 * LIMITS   at most 4096 connections; IPv4 HOST only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNS_MAX 4096
#define REQ_MAX 1024

struct conn {
	int fd;
	uint64_t sent_ns;
	char req[REQ_MAX];
	size_t reqlen;
	unsigned n;
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
make_req(struct conn *c, unsigned id, unsigned accounts)
{
	unsigned a = (id * 2654435761u) % accounts;
	int n = snprintf(c->req, sizeof(c->req),
			 "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
			 "client_address=198.51.100.%u\nclient_name=unknown\n"
			 "reverse_client_name=unknown\nhelo_name=client.example.net\n"
			 "sender=user%u@example.org\nrecipient=rcpt%u@example.net\n"
			 "recipient_count=0\nqueue_id=\ninstance=%x.%x\nsize=0\n"
			 "sasl_method=PLAIN\nsasl_username=user%u@example.org\nsasl_sender=\n"
			 "server_address=192.0.2.25\nserver_port=587\n\n",
			 a % 250 + 1, a, id, id, c->n, a);

	c->reqlen = (size_t)n;
}

static int
send_req(struct conn *c, unsigned accounts)
{
	size_t off = 0;
	ssize_t w;

	make_req(c, (unsigned)(c->fd * 7919u + c->n), accounts);
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

int
main(int argc, char **argv)
{
	unsigned conns = 8, seconds = 5, accounts = 10000, i;
	struct sockaddr_in sa;
	struct conn *cs;
	struct epoll_event ev, evs[256];
	uint64_t *lat = NULL, nlat = 0, caplat = 0, start, end;
	int ep, opt;

	while ((opt = getopt(argc, argv, "c:t:a:")) != -1) {
		switch (opt) {
		case 'c':
			conns = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			seconds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'a':
			accounts = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2 || conns == 0 || conns > CONNS_MAX || seconds == 0 || accounts == 0)
		goto usage;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)strtoul(argv[optind + 1], NULL, 10));
	if (inet_pton(AF_INET, argv[optind], &sa.sin_addr) != 1)
		goto usage;
	cs = calloc(conns, sizeof(*cs));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (cs == NULL || ep < 0) {
		perror("policy_load");
		return 2;
	}
	for (i = 0; i < conns; i++) {
		int one = 1;

		cs[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (cs[i].fd < 0 || connect(cs[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "policy_load: connect %s:%s: %s\n", argv[optind],
				argv[optind + 1], strerror(errno));
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
		if (send_req(&cs[i], accounts) < 0) {
			perror("policy_load: write");
			return 2;
		}
	for (;;) {
		int n = epoll_wait(ep, evs, 256, 1000), k;
		uint64_t t = now_ns();

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("policy_load: epoll_wait");
			return 2;
		}
		for (k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			char buf[4096];
			ssize_t r = read(c->fd, buf, sizeof(buf));

			if (r <= 0) {
				fprintf(stderr, "policy_load: the server closed a connection\n");
				return 2;
			}
			/* an answer ends with an empty line; one request in flight,
			 * so the end of this read is the end of the answer */
			if (r < 2 || buf[r - 1] != '\n' || buf[r - 2] != '\n')
				continue;
			if (nlat == caplat) {
				caplat = caplat ? caplat * 2 : 1 << 16;
				lat = realloc(lat, caplat * sizeof(*lat));
				if (lat == NULL) {
					perror("policy_load");
					return 2;
				}
			}
			lat[nlat++] = t - c->sent_ns;
			c->n++;
			if (t < end && send_req(c, accounts) < 0) {
				perror("policy_load: write");
				return 2;
			}
		}
		if (t >= end)
			break;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	printf("connections %u  seconds %u  requests %llu  req/s %.0f  p50 %.1f us  p99 %.1f us  "
	       "max %.1f us\n",
	       conns, seconds, (unsigned long long)nlat, nlat / ((double)(now_ns() - start) / 1e9),
	       nlat ? lat[nlat / 2] / 1e3 : 0, nlat ? lat[nlat * 99 / 100] / 1e3 : 0,
	       nlat ? lat[nlat - 1] / 1e3 : 0);
	return 0;
usage:
	fprintf(stderr, "usage: policy_load [-c CONNS] [-t SECONDS] [-a ACCOUNTS] HOST PORT\n");
	return 2;
}
