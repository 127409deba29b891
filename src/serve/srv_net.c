/* srv_net.c - listening addresses ("inet:HOST:PORT", "unix:/PATH") and the
 *             control client */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "serve/srv.h"
#include "util/scan.h"

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
	l = evconnlistener_new_bind(base, cb, arg, flags, 1024, (struct sockaddr *)&ss, (int)len);
	if (l == NULL) {
		snprintf(err, errlen, "%.200s: cannot listen: %s", spec, strerror(errno));
		return NULL;
	}
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
