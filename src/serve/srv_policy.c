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

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "serve/srv_int.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/scan.h"

static bool
ops_locked(void *arg, const char *key)
{
	struct srv *s = arg;
	struct srv_lockent *l = htab_get(s->locks, key, strlen(key));

	return l != NULL && (l->until == 0 || l->until > (int64_t)time(NULL));
}

static bool
ops_suspected(void *arg, const char *key)
{
	struct srv *s = arg;

	return htab_get(s->suspects, key, strlen(key)) != NULL;
}

static bool
ops_allowed(void *arg, const char *key, const struct netaddr *client, bool *allowed)
{
	struct srv *s = arg;
	struct srv_allow *a = htab_get(s->allow, key, strlen(key));
	unsigned i;

	if (a == NULL)
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
}

static void
answer(struct srv *s, struct bufferevent *bev, const struct pol_req *r)
{
	static const struct pol_state_ops ops_template = { ops_locked, ops_suspected, ops_allowed,
							   NULL, NULL };
	struct pol_state_ops ops = ops_template;
	int64_t now = time(NULL);
	enum pol_verdict v;
	const char *text;
	struct buf b;
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
	buf_init(&b, 0);
	if (pol_answer(&b, text) < 0) {
		s->m.errors++;
		buf_reset(&b);
		pol_answer(&b, "DUNNO");
	}
	bufferevent_write(bev, b.data, b.len);
	buf_release(&b);
	/* The log shows logins and messages better; a policy request is the
	 * detectors' only source when no log is followed. */
	if (s->nfl == 0 && pol_req_event(r, false, now, &e)) {
		s->m.events_policy++;
		srv_feed(s, &e);
	}
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct srv_conn *c = arg;
	struct srv *s = c->s;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct pol_req *r = s->req;

	for (;;) {
		size_t len = evbuffer_get_length(in), used = 0;
		const char *data, *err = "";
		enum pol_status st;

		if (len == 0)
			break;
		data = (const char *)evbuffer_pullup(in, -1);
		st = pol_parse(data, len, &used, r, &err);
		if (st == POL_MORE)
			break;
		if (st != POL_OK) {
			s->m.bad_requests++;
			msg_warn("policy: closing a connection: %s (%s)", pol_status_name(st), err);
			srv_conn_close(c);
			return;
		}
		s->m.requests++;
		answer(s, bev, r);
		evbuffer_drain(in, used);
	}
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	srv_conn_close(arg);
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
	struct bufferevent *bev;
	struct timeval tv;

	(void)sa;
	(void)salen;
	if ((int64_t)s->nconn >= s->set.srv.max_connections) {
		refuse(s, fd);
		return;
	}
	bev = bufferevent_socket_new(evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		s->m.errors++;
		evutil_closesocket(fd);
		return;
	}
	s->m.connections++;
	tv.tv_sec = s->set.srv.idle_timeout;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(bev, &tv, NULL);
	bufferevent_setwatermark(bev, EV_READ, 0, POL_REQ_MAX * 2);
	bufferevent_setcb(bev, conn_read, NULL, conn_event, srv_conn_new(s, bev));
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}
