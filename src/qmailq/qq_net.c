/* qq_net.c - one policy request to the daemon, within a deadline */
#include "qmailq/qq_net.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

static int64_t
qq_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events or the deadline passes: 1 ready,
 * 0 deadline, -1 poll failed (errno). */
static int
qq_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - qq_now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r > 0)
			return 1;
		if (r == 0)
			continue;	/* the clock decides */
		if (errno != EINTR)
			return -1;
	}
}

static int
qq_fail(int fd, char *err, size_t errlen, const char *what, const char *why)
{
	if (fd >= 0)
		close(fd);
	snprintf(err, errlen, "%s: %s", what, why);
	return -1;
}

int
qq_ask(const struct qq_addr *addr, const char *req, size_t reqlen, int timeout_ms,
       struct qq_answer *a, char *raw, size_t rawsize, size_t *rawlen, char *err,
       size_t errlen)
{
	int64_t deadline = qq_now_ms() + timeout_ms;
	size_t off = 0, have = 0;
	char tmo[64];
	int fd, r, soerr = 0;
	socklen_t sl = sizeof(soerr);

	*rawlen = 0;
	snprintf(tmo, sizeof(tmo), "no answer within %d ms", timeout_ms);
	fd = socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return qq_fail(-1, err, errlen, "socket", strerror(errno));
	if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0) {
		if (errno != EINPROGRESS)
			return qq_fail(fd, err, errlen, "connect", strerror(errno));
		if ((r = qq_wait(fd, POLLOUT, deadline)) <= 0)
			return qq_fail(fd, err, errlen, "connect",
				       r == 0 ? tmo : strerror(errno));
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr != 0)
			return qq_fail(fd, err, errlen, "connect", strerror(soerr));
	}
	while (off < reqlen) {
		ssize_t n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((r = qq_wait(fd, POLLOUT, deadline)) <= 0)
				return qq_fail(fd, err, errlen, "send",
					       r == 0 ? tmo : strerror(errno));
		} else {
			return qq_fail(fd, err, errlen, "send", strerror(errno));
		}
	}
	if (rawsize > QQ_ANSWER_MAX)
		rawsize = QQ_ANSWER_MAX;
	for (;;) {
		const char *perr = NULL;
		enum qq_status st;
		ssize_t n;

		if (have == rawsize)
			return qq_fail(fd, err, errlen, "bad answer", "too long");
		n = recv(fd, raw + have, rawsize - have, 0);
		if (n > 0) {
			have += (size_t)n;
			*rawlen = have;
			st = qq_answer_parse(raw, have, a, &perr);
			if (st == QQ_OK)
				break;
			if (st == QQ_BAD)
				return qq_fail(fd, err, errlen, "bad answer", perr);
		} else if (n == 0) {
			return qq_fail(fd, err, errlen, "read",
				       "the daemon closed the connection without answering");
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if ((r = qq_wait(fd, POLLIN, deadline)) <= 0)
				return qq_fail(fd, err, errlen, "read",
					       r == 0 ? tmo : strerror(errno));
		} else {
			return qq_fail(fd, err, errlen, "read", strerror(errno));
		}
	}
	close(fd);
	return 0;
}
