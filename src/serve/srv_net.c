/* srv_net.c - listening addresses ("inet:HOST:PORT", "unix:/PATH"), the
 *             descriptor limit, and the control client
 * SUMMARY  A listener that cannot accept (no descriptor left: EMFILE,
 *          ENFILE; or no memory) stops listening for ACCEPT_PAUSE_MS and
 *          tries again, instead of being woken at once for the same pending
 *          connection (libevent's listener is level-triggered: without an
 *          error callback it would spin at 100% CPU, logging each time).
 *          The connections wait in the kernel's backlog meanwhile.
 *          srv_raise_nofile, called once at start, lifts the soft descriptor
 *          limit so that max_connections fit, and says so when the hard
 *          limit does not allow it. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "serve/srv_int.h"
#include "util/msg.h"
#include "util/scan.h"

#define LISTEN_BACKLOG 4096	/* the kernel caps it at net.core.somaxconn */
#define ACCEPT_PAUSE_MS 250	/* a listener that cannot accept rests this long */
#define ACCEPT_LOG_EVERY 60	/* seconds between two logs of accept failures */
/* Descriptors beside the policy and control connections: listeners, the
 * store, followed logs, hooks' pipes, metrics requests. */
#define NOFILE_SPARE 256

/* Raise the soft RLIMIT_NOFILE so that max_conns connections fit, up to
 * the hard limit (above it too when the daemon may: root). Says once when
 * the hard limit is too low. Returns 0 when they fit, -1 when not. */
int
srv_raise_nofile(int64_t max_conns)
{
	struct rlimit rl, want;
	rlim_t need = (rlim_t)(max_conns > 0 ? max_conns : 0) + NOFILE_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		msg_warn("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	want = rl;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
		want.rlim_cur = need;
	} else {
		/* above the hard limit: only with CAP_SYS_RESOURCE */
		want.rlim_cur = want.rlim_max = need;
		if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
			msg_info("file descriptors: limit raised to %" PRIu64 " for max_connections "
				 "%" PRId64, (uint64_t)need, max_conns);
			return 0;
		}
		want = rl;
		want.rlim_cur = rl.rlim_max;
	}
	if (setrlimit(RLIMIT_NOFILE, &want) < 0) {
		msg_warn("setrlimit(RLIMIT_NOFILE, %" PRIu64 "): %s", (uint64_t)want.rlim_cur,
			 strerror(errno));
		return -1;
	}
	if (want.rlim_cur < need) {
		msg_warn("file descriptors: max_connections %" PRId64 " needs about %" PRIu64
			 " but the hard limit (RLIMIT_NOFILE) is %" PRIu64 ": fewer connections "
			 "will be served (raise the limit: ulimit -Hn, LimitNOFILE= in systemd; or "
			 "lower max_connections)",
			 max_conns, (uint64_t)need, (uint64_t)want.rlim_cur);
		return -1;
	}
	return 0;
}

static void
listen_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(arg);
}

static void
listen_name(evutil_socket_t fd, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char a[INET6_ADDRSTRLEN];

	snprintf(out, size, "a listener");
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a)) != NULL)
		snprintf(out, size, "inet:%s:%u", a,
			 (unsigned)ntohs(((struct sockaddr_in *)&ss)->sin_port));
	else if (ss.ss_family == AF_INET6 &&
		 inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a)) != NULL)
		snprintf(out, size, "inet:[%s]:%u", a,
			 (unsigned)ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	else if (ss.ss_family == AF_UNIX)
		snprintf(out, size, "unix:%.200s", ((struct sockaddr_un *)&ss)->sun_path);
}

/* accept() failed with an error that retrying at once will not cure (the
 * listener's event is level-triggered: the pending connection wakes it
 * again at once). Rest the listener a moment; log now and then. */
static void
listen_error(struct evconnlistener *l, void *arg)
{
	static int64_t logged;
	static uint64_t pauses;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 0, ACCEPT_PAUSE_MS * 1000 };
	int64_t now = time(NULL);
	char name[256];

	(void)arg;
	pauses++;
	if (logged == 0 || now - logged >= ACCEPT_LOG_EVERY) {
		struct rlimit rl;

		listen_name(evconnlistener_get_fd(l), name, sizeof(name));
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = 0;
		msg_warn("%s: accept: %s (descriptor limit %" PRIu64 "): new connections wait "
			 "in the backlog, retried every %d ms (%" PRIu64 " pause(s) so far; said "
			 "at most once a minute)",
			 name, strerror(err), (uint64_t)rl.rlim_cur, ACCEPT_PAUSE_MS, pauses);
		logged = now;
	}
	evconnlistener_disable(l);
	/* a once-event is freed by libevent when it fires or with the base */
	if (event_base_once(evconnlistener_get_base(l), -1, EV_TIMEOUT, listen_resume, l, &tv) < 0)
		evconnlistener_enable(l);
}

static int
parse_inet(const char *hp, struct sockaddr_storage *ss, socklen_t *len, char *err,
	   size_t errlen)
{
	const char *colon = strrchr(hp, ':');
	char host[64];
	uint32_t port;
	size_t hl;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	if (colon == NULL || (hl = (size_t)(colon - hp)) == 0 || hl >= sizeof(host) ||
	    scan_u32(colon + 1, strlen(colon + 1), &port) < 0 || port == 0 || port > 65535) {
		snprintf(err, errlen, "\"inet:%.60s\": want inet:HOST:PORT", hp);
		return -1;
	}
	memcpy(host, hp, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
	} else {
		/* no name lookups: a daemon must not depend on DNS to start */
		snprintf(err, errlen, "\"%.60s\": not an IP address (names are not looked up)", host);
		return -1;
	}
	return 0;
}

struct evconnlistener *
srv_listen(struct event_base *base, const char *spec, unsigned mode, evconnlistener_cb cb,
	   void *arg, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_un *su = (struct sockaddr_un *)&ss;
	socklen_t len;
	struct evconnlistener *l;
	const char *path = NULL;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE;

	if (strncmp(spec, "inet:", 5) == 0) {
		if (parse_inet(spec + 5, &ss, &len, err, errlen) < 0)
			return NULL;
	} else if (strncmp(spec, "unix:", 5) == 0) {
		path = spec + 5;
		if (path[0] == '\0' || strlen(path) >= sizeof(su->sun_path)) {
			snprintf(err, errlen, "\"%.80s\": a unix socket path has 1 to %zu bytes", spec,
				 sizeof(su->sun_path) - 1);
			return NULL;
		}
		memset(su, 0, sizeof(*su));
		su->sun_family = AF_UNIX;
		memcpy(su->sun_path, path, strlen(path));
		len = sizeof(*su);
		if (unlink(path) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "%.200s: cannot replace: %s", path, strerror(errno));
			return NULL;
		}
	} else {
		snprintf(err, errlen, "\"%.80s\": want inet:HOST:PORT or unix:/PATH", spec);
		return NULL;
	}
	l = evconnlistener_new_bind(base, cb, arg, flags, LISTEN_BACKLOG, (struct sockaddr *)&ss,
				    (int)len);
	if (l == NULL) {
		snprintf(err, errlen, "%.200s: cannot listen: %s", spec, strerror(errno));
		return NULL;
	}
	evconnlistener_set_error_cb(l, listen_error);
	if (path != NULL && chmod(path, mode) < 0) {
		snprintf(err, errlen, "%.200s: chmod: %s", path, strerror(errno));
		evconnlistener_free(l);
		return NULL;
	}
	return l;
}

int
srv_control_request(const char *path, const char *request)
{
	struct sockaddr_un su;
	char buf[4096];
	ssize_t n;
	size_t off = 0;
	int fd, status = 2;
	bool first = true;
	char firstline[64];
	size_t fl = 0;

	if (strlen(path) >= sizeof(su.sun_path)) {
		fprintf(stderr, "mailsentry: %.200s: socket path too long\n", path);
		return 2;
	}
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	memcpy(su.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&su, sizeof(su)) < 0) {
		fprintf(stderr,
			"mailsentry: cannot reach the daemon at %.200s: %s (is `mailsentry serve` "
			"running with the same state_dir/control_socket?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 2;
	}
	snprintf(buf, sizeof(buf), "%s\n", request);
	while (off < strlen(buf)) {
		n = write(fd, buf + off, strlen(buf) - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "mailsentry: %.200s: write: %s\n", path, strerror(errno));
			close(fd);
			return 2;
		}
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (first) {
			ssize_t i;

			for (i = 0; i < n && buf[i] != '\n'; i++)
				if (fl + 1 < sizeof(firstline))
					firstline[fl++] = buf[i];
			if (i < n) {
				firstline[fl] = '\0';
				first = false;
				status = strcmp(firstline, "ok") == 0 ? 0 : 1;
				/* the status line is for us, the rest for the user */
				if (status == 0) {
					fwrite(buf + i + 1, 1, (size_t)(n - i - 1), stdout);
					continue;
				}
			}
		}
		fwrite(buf, 1, (size_t)n, first || status == 0 ? stdout : stderr);
	}
	close(fd);
	if (first) {
		fprintf(stderr, "mailsentry: %.200s: no answer from the daemon\n", path);
		return 2;
	}
	return status;
}
