/* dunno_server.c - the trivial Postfix policy service: always DUNNO
 * SUMMARY  The ceiling of a policy service on this machine, for the
 *          benchmark (bench/bench.py): one thread, one epoll loop,
 *          non-blocking sockets, no parsing beyond finding where each
 *          request ends. A request is a list of "name=value" lines ended
 *          by an empty line; every request gets "action=DUNNO\n\n", in
 *          order. Several requests in one read get one answer each; a
 *          request split across reads (even between its last two newlines)
 *          is answered once, when its empty line arrives. Answers not yet
 *          written are counted, not buffered: while the client does not
 *          read them, the server does not read that connection.
 * USAGE    dunno_server [-q] HOST PORT   (IPv4 HOST, e.g. 127.0.0.1)
 *          SIGTERM or SIGINT stops it (exit 0).
 * ERRORS   Exit 2 on bad usage or when the address cannot be bound. A
 *          connection's read or write error closes that connection only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define ANSWER "action=DUNNO\n\n"
#define ANSWER_LEN (sizeof(ANSWER) - 1)
#define BATCH 256		/* answers written per write() at most */
#define READ_MAX 65536

struct conn {
	int fd;
	bool line_start;	/* the next byte starts a line */
	bool want_out;		/* EPOLLOUT registered */
	uint64_t owed;		/* answers not yet written completely */
	size_t off;		/* bytes of the first owed answer already written */
};

static volatile sig_atomic_t stop;
static char answers[BATCH * ANSWER_LEN];

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static int
set_events(int ep, struct conn *c, bool out)
{
	struct epoll_event ev = { .events = out ? EPOLLOUT : EPOLLIN, .data.ptr = c };

	if (out == c->want_out)
		return 0;
	c->want_out = out;
	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what is owed; 0 when all of it is written, 1 when the socket is
 * full, -1 on an error. */
static int
flush_owed(struct conn *c)
{
	while (c->owed > 0) {
		uint64_t n = c->owed < BATCH ? c->owed : BATCH;
		size_t len = (size_t)n * ANSWER_LEN - c->off;
		ssize_t w = write(c->fd, answers + c->off, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			return -1;
		}
		c->owed -= ((size_t)w + c->off) / ANSWER_LEN;
		c->off = ((size_t)w + c->off) % ANSWER_LEN;
	}
	return 0;
}

/* Count the requests that end in buf: an empty line ends one. */
static uint64_t
count_ends(struct conn *c, const char *buf, size_t len)
{
	uint64_t n = 0;
	const char *p = buf, *end = buf + len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (nl == p && c->line_start)
			n++;
		c->line_start = true;
		p = nl + 1;
	}
	if (p < end)
		c->line_start = false;
	return n;
}

static void
conn_io(int ep, struct conn *c)
{
	static char buf[READ_MAX];
	bool drained = false;
	int r;

	for (;;) {
		ssize_t n;

		r = flush_owed(c);
		if (r < 0)
			goto dead;
		if (r > 0 || drained)
			break;
		n = read(c->fd, buf, sizeof(buf));
		if (n == 0)
			goto dead;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			goto dead;
		}
		c->owed += count_ends(c, buf, (size_t)n);
		/* a short read took all there was (level-triggered epoll
		 * tells again when more comes) */
		drained = (size_t)n < sizeof(buf);
	}
	if (set_events(ep, c, c->owed > 0) < 0)
		goto dead;
	return;
dead:
	conn_close(ep, c);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event evs[256];
	struct sigaction sig = { .sa_handler = on_signal };
	int lfd, ep, one = 1, i, first = 1;
	bool quiet = false;
	char *endp;
	long port;

	if (argc > 1 && strcmp(argv[1], "-q") == 0) {
		quiet = true;
		first = 2;
	}
	if (argc - first != 2 || inet_pton(AF_INET, argv[first], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: dunno_server [-q] HOST PORT\n");
		return 2;
	}
	port = strtol(argv[first + 1], &endp, 10);
	if (*endp != '\0' || port < 1 || port > 65535) {
		fprintf(stderr, "dunno_server: bad port %s\n", argv[first + 1]);
		return 2;
	}
	sa.sin_port = htons((uint16_t)port);
	for (i = 0; i < BATCH; i++)
		memcpy(answers + (size_t)i * ANSWER_LEN, ANSWER, ANSWER_LEN);
	sigaction(SIGTERM, &sig, NULL);
	sigaction(SIGINT, &sig, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0) {
		fprintf(stderr, "dunno_server: %s:%ld: %s\n", argv[first], port, strerror(errno));
		return 2;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
			perror("dunno_server: epoll");
			return 2;
		}
	}
	if (!quiet) {
		printf("dunno_server: listening on %s:%ld\n", argv[first], port);
		fflush(stdout);
	}
	while (!stop) {
		int n = epoll_wait(ep, evs, 256, 500), k;

		for (k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;

			if (c != NULL) {
				conn_io(ep, c);
				continue;
			}
			for (;;) {	/* accept every pending connection */
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				struct epoll_event ev = { .events = EPOLLIN };

				if (fd < 0)
					break;
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				c = calloc(1, sizeof(*c));
				if (c == NULL) {
					close(fd);
					continue;
				}
				c->fd = fd;
				c->line_start = true;
				ev.data.ptr = c;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
					close(fd);
					free(c);
				}
			}
		}
	}
	return 0;
}
