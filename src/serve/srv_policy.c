/* srv_policy.c - the Postfix policy service
 * SUMMARY  Each connection reads requests (pol_parse), answers each one
 *          (pol_decide against the locks, suspects, allowed networks and
 *          rates) and, when no log is followed, hands the finished message
 *          to the detectors as an event. A malformed request closes the
 *          connection (answering would desynchronize Postfix, which then
 *          applies its default_action); a connection idle for idle_timeout
 *          is closed; a connection over max_connections is accepted and
 *          closed at once (counted, logged at most once a minute). In shadow
 *          mode every answer is default_action and what would have been
 *          answered is counted. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "serve/srv_int.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/scan.h"

#define POL_READ_MAX 65536	/* bytes read at once into the loop's buffer */
#define POL_FLUSH_AT 65536	/* answers sent before reading on */
#define POL_SWEEP_MS 250	/* between two looks for idle connections */

struct pconn {
	struct srv *s;
	struct event *ev;
	evutil_socket_t fd;
	bool writing;			/* waiting for the socket to take out */
	int64_t active;			/* monotonic ms of the last bytes read or written */
	struct pconn *prev, *next;	/* the most recently active first */
	char *in;			/* a request's start (POL_REQ_MAX bytes) or NULL */
	size_t inlen;
	char *out;			/* answers not taken by the socket yet, or NULL */
	size_t outlen, outoff;
};

struct srv_pol {
	struct pconn *first, *last;
	struct event *sweep;
	int64_t now;			/* wall-clock seconds of the callback running */
	struct buf batch;		/* the answers of one read */
	const char *ans_for;		/* the action text ans was made from */
	char ans[POL_ANSWER_MAX + 16];
	size_t anslen;
	char rbuf[POL_READ_MAX];
};

static bool
ops_suspected(void *arg, const char *key)
{
	struct srv *s = arg;

	/* an empty table (nearly always) is not worth hashing the key for */
	return htab_count(s->suspects) > 0 && htab_get(s->suspects, key, strlen(key)) != NULL;
}

static bool
ops_allowed(void *arg, const char *key, const struct netaddr *client, bool *allowed)
{
	struct srv *s = arg;
	struct srv_allow *a;
	unsigned i;

	if (htab_count(s->allow) == 0 || (a = htab_get(s->allow, key, strlen(key))) == NULL)
		return false;
	*allowed = false;
	for (i = 0; i < a->n && client->family != 0; i++) {
		struct netaddr m = netaddr_mask(client, a->nets[i].prefix);

		if (a->nets[i].net.family == client->family && netaddr_equal(&m, &a->nets[i].net))
			*allowed = true;
	}
	return true;
}

/* allow_nets_file: "account net net ..." per line, '#' comments. */
int
srv_allow_load(struct srv *s, const char *path)
{
	FILE *fp;
	char line[4096], key[LIMIT_ACCOUNT_MAX];
	unsigned lineno = 0;
	int rc = 0;

	if (path == NULL || path[0] == '\0')
		return 0;
	if ((fp = fopen(path, "re")) == NULL) {
		msg_error("allow_nets_file %.200s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);
		struct srv_allow *a;
		void **slot;
		bool created;

		lineno++;
		if (tok == NULL || tok[0] == '#')
			continue;
		if (strlen(tok) >= LIMIT_ACCOUNT_MAX) {
			msg_error("%.200s:%u: account name too long", path, lineno);
			rc = -1;
			break;
		}
		evt_account_key(tok, key);
		slot = htab_put(s->allow, key, strlen(key), &created);
		if (created)
			*slot = mem_calloc(1, sizeof(struct srv_allow));
		a = *slot;
		while ((tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			char *slash = strchr(tok, '/');
			uint32_t prefix;
			struct netaddr n;

			if (slash != NULL)
				*slash = '\0';
			if (netaddr_parse(tok, strlen(tok), &n) < 0 ||
			    (slash != NULL &&
			     (scan_u32(slash + 1, strlen(slash + 1), &prefix) < 0 ||
			      prefix > (n.family == 4 ? 32u : 128u)))) {
				msg_error("%.200s:%u: \"%.60s\" is not a network (ADDRESS/PREFIX)", path,
					  lineno, tok);
				rc = -1;
				break;
			}
			if (slash == NULL)
				prefix = n.family == 4 ? 32 : 128;
			if (a->n == SRV_ALLOW_MAX) {
				msg_error("%.200s:%u: more than %d networks", path, lineno, SRV_ALLOW_MAX);
				rc = -1;
				break;
			}
			a->nets[a->n].net = netaddr_mask(&n, prefix);
			a->nets[a->n].prefix = prefix;
			a->n++;
		}
		if (rc < 0)
			break;
	}
	fclose(fp);
	return rc;
}

void
srv_policy_conf(struct srv *s)
{
	const struct srv_conf *c = &s->set.srv;

	pol_conf_defaults(&s->pc);
	s->pc.locked_action = c->locked_action;
	s->pc.suspect_action = c->suspect_action;
	s->pc.rate_action = c->rate_action;
	s->pc.mismatch_action = c->mismatch_action;
	s->pc.default_action = c->default_action;
	s->pc.mismatch_check = c->mismatch_check;
	s->pc.msg_rate = (uint32_t)c->msg_rate;
	s->pc.rcpt_rate = (uint32_t)c->rcpt_rate;
	s->pc.rate_window = c->rate_window;
	if (s->pol != NULL)
		s->pol->ans_for = NULL;	/* the texts may be new strings at old addresses */
}


/* ------------------------------------------------------------ connections */

/* Each policy connection is one persistent read event on its socket: the
 * callback reads what is there, answers every complete request in it and
 * writes all the answers with one send. No per-connection buffers while a
 * connection is between requests: the bytes are read into one buffer of
 * the loop's; only the start of a request whose end has not come yet is
 * copied aside (c->in, at most POL_REQ_MAX bytes), and only answers the
 * socket did not take (c->out). While answers wait for the socket, the
 * connection is not read: a client that does not read its answers cannot
 * make the daemon hold more than the answers to one read. Idle connections
 * are found by a sweep over a list in order of last activity, not by one
 * timer per connection. */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
ops_locked(void *arg, const char *key)
{
	struct srv *s = arg;
	struct srv_lockent *l;

	if (htab_count(s->locks) == 0 || (l = htab_get(s->locks, key, strlen(key))) == NULL)
		return false;
	return l->until == 0 || l->until > s->pol->now;
}

/* The answer line of an action text, kept for the last text used (the
 * default action, nearly always). */
static int
answer_text(struct srv_pol *p, struct buf *b, const char *text)
{
	if (text != p->ans_for || text == NULL) {
		struct buf a;

		buf_init(&a, sizeof(p->ans) - 1);
		if (pol_answer(&a, text) < 0 || a.len >= sizeof(p->ans)) {
			buf_release(&a);
			return -1;
		}
		memcpy(p->ans, a.data, a.len);
		p->anslen = a.len;
		p->ans_for = text;
		buf_release(&a);
	}
	return buf_append(b, p->ans, p->anslen);
}

static void
answer(struct srv *s, const struct pol_req *r)
{
	static const struct pol_state_ops ops_template = { ops_locked, ops_suspected, ops_allowed,
							   NULL, NULL };
	struct pol_state_ops ops = ops_template;
	struct srv_pol *p = s->pol;
	int64_t now = p->now;
	enum pol_verdict v;
	const char *text;
	struct evt e;

	ops.arg = s;
	v = pol_decide(&s->pc, &ops, s->rates, r, now, &text);
	if ((unsigned)v >= PV_MAX) {
		s->m.errors++;
		v = PV_DUNNO;
		text = s->pc.default_action;
	}
	if (s->set.srv.shadow && v != PV_DUNNO) {
		s->m.shadow_would[v]++;
		text = s->pc.default_action;
		v = PV_DUNNO;
	}
	s->m.answers[v]++;
	if (answer_text(p, &p->batch, text) < 0) {
		s->m.errors++;
		answer_text(p, &p->batch, "DUNNO");
	}
	/* The log shows logins and messages better; a policy request is the
	 * detectors' only source when no log is followed. */
	if (s->nfl == 0 && pol_req_event(r, false, now, &e)) {
		s->m.events_policy++;
		srv_feed(s, &e);
	}
}

/* Answer every complete request at the start of buf[0..len) into the
 * batch. Returns the bytes they took, or -1 after a malformed request (the
 * answers before it are in the batch). */
static ssize_t
requests(struct srv *s, const char *buf, size_t len)
{
	struct pol_req *r = s->req;
	size_t off = 0;

	while (off < len) {
		size_t used = 0;
		const char *err = "";
		enum pol_status st = pol_parse(buf + off, len - off, &used, r, &err);

		if (st == POL_MORE)
			break;
		if (st != POL_OK) {
			s->m.bad_requests++;
			msg_warn("policy: closing a connection: %s (%s)", pol_status_name(st), err);
			return -1;
		}
		s->m.requests++;
		answer(s, r);
		off += used;
	}
	return (ssize_t)off;
}

/* Most recently active first. */
static void
pconn_touch(struct srv_pol *p, struct pconn *c, int64_t now_ms)
{
	c->active = now_ms;
	if (p->first == c)
		return;
	c->prev->next = c->next;	/* not first: it has a prev */
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		p->last = c->prev;
	c->prev = NULL;
	c->next = p->first;
	p->first->prev = c;
	p->first = c;
}

static void
pconn_close(struct pconn *c)
{
	struct srv *s = c->s;
	struct srv_pol *p = s->pol;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		p->first = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		p->last = c->prev;
	event_free(c->ev);
	evutil_closesocket(c->fd);
	free(c->in);
	free(c->out);
	s->nconn--;
	free(c);
}

/* Send data[0..len); *sent is how much the socket took. Returns 0 (all
 * of it, or the socket is full), -1 on an error. */
static int
send_some(evutil_socket_t fd, const char *data, size_t len, size_t *sent)
{
	*sent = 0;
	while (*sent < len) {
		ssize_t w = send(fd, data + *sent, len - *sent, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		*sent += (size_t)w;
	}
	return 0;
}

static void pconn_cb(evutil_socket_t fd, short what, void *arg);

/* Read or write: the connection's one event waits for one of them. */
static int
pconn_mode(struct pconn *c, bool writing)
{
	c->writing = writing;
	event_del(c->ev);
	if (event_assign(c->ev, event_get_base(c->ev), c->fd,
			 (short)((writing ? EV_WRITE : EV_READ) | EV_PERSIST), pconn_cb, c) < 0)
		return -1;
	return event_add(c->ev, NULL);
}

/* Send the batch; what the socket does not take waits in c->out and the
 * connection waits to write. Returns 0 when all of it went, 1 when some
 * waits, -1 on an error. The batch is empty after. */
static int
pconn_flush(struct pconn *c, int64_t now_ms)
{
	struct srv_pol *p = c->s->pol;
	size_t sent;

	if (p->batch.len == 0)
		return 0;
	if (send_some(c->fd, p->batch.data, p->batch.len, &sent) < 0) {
		buf_reset(&p->batch);
		return -1;
	}
	if (sent > 0)
		pconn_touch(p, c, now_ms);
	if (sent == p->batch.len) {
		buf_reset(&p->batch);
		return 0;
	}
	c->outlen = p->batch.len - sent;
	c->outoff = 0;
	c->out = mem_alloc(c->outlen);
	memcpy(c->out, p->batch.data + sent, c->outlen);
	buf_reset(&p->batch);
	return pconn_mode(c, true) < 0 ? -1 : 1;
}

static void
pconn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pconn *c = arg;
	struct srv *s = c->s;
	struct srv_pol *p = s->pol;
	int64_t now_ms = mono_ms();
	int r;

	(void)what;
	p->now = time(NULL);
	if (c->writing) {
		size_t sent;

		if (send_some(fd, c->out + c->outoff, c->outlen - c->outoff, &sent) < 0)
			goto close;
		if (sent > 0)
			pconn_touch(p, c, now_ms);
		c->outoff += sent;
		if (c->outoff < c->outlen)
			return;
		free(c->out);
		c->out = NULL;
		c->outlen = c->outoff = 0;
		if (pconn_mode(c, false) < 0)
			goto close;
		return;	/* reading again: the event says when there is something */
	}
	for (;;) {
		char *buf = c->inlen > 0 ? c->in : p->rbuf;
		size_t have = c->inlen, room = c->inlen > 0 ? POL_REQ_MAX - have : POL_READ_MAX;
		ssize_t n = recv(fd, buf + have, room, 0), used;
		size_t left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			goto close;
		}
		if (n == 0)
			goto flush_close;	/* the answers so far still go */
		pconn_touch(p, c, now_ms);
		have += (size_t)n;
		if ((used = requests(s, buf, have)) < 0)
			goto flush_close;
		left = have - (size_t)used;
		if (left > 0) {	/* a request's start: < POL_REQ_MAX bytes (pol_parse) */
			if (c->in == NULL)
				c->in = mem_alloc(POL_REQ_MAX);
			if (used > 0 || buf != c->in)
				memmove(c->in, buf + used, left);
		} else {
			free(c->in);
			c->in = NULL;
		}
		c->inlen = left;
		if ((size_t)n < room)
			break;	/* all there was (the event says when more comes) */
		if (p->batch.len >= POL_FLUSH_AT && (r = pconn_flush(c, now_ms)) != 0) {
			if (r < 0)
				goto close;
			return;
		}
	}
	if (pconn_flush(c, now_ms) < 0)
		goto close;
	return;
flush_close:
	(void)pconn_flush(c, now_ms);
close:
	buf_reset(&p->batch);
	pconn_close(c);
}

/* Close the connections idle for idle_timeout: the list's tail. */
static void
sweep(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	struct srv_pol *p = s->pol;
	int64_t limit = s->set.srv.idle_timeout * 1000, now_ms = mono_ms();

	(void)fd;
	(void)what;
	while (p->last != NULL && now_ms - p->last->active >= limit)
		pconn_close(p->last);
}

#define REFUSED_LOG_EVERY 60	/* seconds between two logs of refusals */

/* Over max_connections: closed at once (Postfix applies its default_action
 * or retries), counted, and said now and then. */
static void
refuse(struct srv *s, evutil_socket_t fd)
{
	static int64_t logged;
	int64_t now = time(NULL);

	s->m.refused++;
	evutil_closesocket(fd);
	if (logged != 0 && now - logged < REFUSED_LOG_EVERY)
		return;
	logged = now;
	msg_warn("policy: max_connections (%" PRId64 ") reached: a new connection is closed at "
		 "once (%" PRIu64 " so far; said at most once a minute)",
		 s->set.srv.max_connections, s->m.refused);
}

void
srv_policy_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
		  void *arg)
{
	struct srv *s = arg;
	struct srv_pol *p = s->pol;
	struct pconn *c;
	int one = 1;

	(void)salen;
	if ((int64_t)s->nconn >= s->set.srv.max_connections) {
		refuse(s, fd);
		return;
	}
	c = mem_calloc(1, sizeof(*c));
	c->s = s;
	c->fd = fd;
	c->ev = event_new(evconnlistener_get_base(l), fd, EV_READ | EV_PERSIST, pconn_cb, c);
	if (c->ev == NULL || event_add(c->ev, NULL) < 0) {
		s->m.errors++;
		if (c->ev != NULL)
			event_free(c->ev);
		free(c);
		evutil_closesocket(fd);
		return;
	}
	/* answers go at once: one send per batch, nothing to gather */
	if (sa != NULL && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->m.connections++;
	s->nconn++;
	c->active = mono_ms();
	c->next = p->first;
	if (p->first != NULL)
		p->first->prev = c;
	else
		p->last = c;
	p->first = c;
}

int
srv_policy_start(struct srv *s)
{
	struct srv_pol *p = mem_calloc(1, sizeof(*p));
	struct timeval tv = { 0, POL_SWEEP_MS * 1000 };

	s->pol = p;
	buf_init(&p->batch, 0);
	p->sweep = event_new(s->base, -1, EV_PERSIST, sweep, s);
	if (p->sweep == NULL || event_add(p->sweep, &tv) < 0) {
		msg_error("policy: cannot set up the idle sweep");
		return -1;
	}
	return 0;
}

void
srv_policy_stop(struct srv *s)
{
	struct srv_pol *p = s->pol;

	if (p == NULL)
		return;
	while (p->first != NULL)
		pconn_close(p->first);
	if (p->sweep != NULL)
		event_free(p->sweep);
	buf_release(&p->batch);
	free(p);
	s->pol = NULL;
}
