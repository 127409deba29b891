/* srv_control.c - the control socket and the metrics endpoint
 * SUMMARY  Control: one request line per connection ("status", "list",
 *          "incidents", "lock ACCOUNT", "unlock ACCOUNT"); the answer is a
 *          status line ("ok" or "error REASON") and text, then the daemon
 *          closes. The socket is mode 0600 in state_dir: who may use it is
 *          decided by file permissions. Metrics: Prometheus text format. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "serve/srv_int.h"
#include "util/timeconv.h"

static void
done_write(struct bufferevent *bev, void *arg)
{
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		srv_conn_close(arg);
}

static void
ctl_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	srv_conn_close(arg);
}

static int
list_lock(void *arg, const struct store_lock *l)
{
	struct evbuffer *out = arg;
	char t[32];

	timeconv_format_utc(l->since, t);
	evbuffer_add_printf(out, "%s %s since %s by %s incident %llu: %s\n",
			    l->subject == SS_ACCOUNT ? "account" : "ip", l->key, t, l->by,
			    (unsigned long long)l->incident, l->reason);
	return 0;
}

static int
list_incident(void *arg, const struct store_incident *i)
{
	struct evbuffer *out = arg;
	char a[32], b[32], c[32];

	timeconv_format_utc(i->first_evidence, a);
	timeconv_format_utc(i->detected_at, b);
	timeconv_format_utc(i->last_evidence, c);
	evbuffer_add_printf(out, "%llu %s %s%s first %s detected %s last %s %s\n",
			    (unsigned long long)i->id, i->kind, i->account, i->ip, a, b, c,
			    i->state);
	return 0;
}

static bool
valid_account(const char *a)
{
	size_t i, n = strlen(a);

	if (n == 0 || n >= LIMIT_ACCOUNT_MAX || a[0] == '-')
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] < 0x21 || a[i] == 0x7f)
			return false;
	return true;
}

static void
ctl_request(struct srv *s, const char *line, struct evbuffer *out)
{
	const char *arg = strchr(line, ' ');
	size_t cmdlen = arg ? (size_t)(arg - line) : strlen(line);

	if (arg != NULL)
		arg++;
#define IS(w) (cmdlen == strlen(w) && strncmp(line, (w), cmdlen) == 0)
	if (IS("status")) {
		evbuffer_add_printf(out,
				    "ok\nuptime %lld s\nshadow %s\nlocks %zu\npolicy requests "
				    "%" PRIu64 "\nconnections %" PRIu64 "\nfollowed logs %zu\n"
				    "log lines %" PRIu64 "\nevents from logs %" PRIu64 "\n",
				    (long long)(time(NULL) - s->started),
				    s->set.srv.shadow ? "yes" : "no", htab_count(s->locks),
				    s->m.requests, s->nconn, s->nfl, s->pst.lines,
				    s->m.events_log);
		if (s->fleet != NULL) {
			struct fleet_stats st;

			fleet_get_stats(s->fleet, &st);
			evbuffer_add_printf(out, "fleet %s as %s\nfleet events read %" PRIu64 "\n",
					    st.up ? "up" : "DOWN", s->instance, st.events_read);
		}
	} else if (IS("list")) {
		evbuffer_add_printf(out, "ok\n");
		if (store_each_lock(s->store, time(NULL), list_lock, out) < 0)
			evbuffer_add_printf(out, "(error: %s)\n", store_error(s->store));
	} else if (IS("incidents")) {
		evbuffer_add_printf(out, "ok\n");
		if (store_each_incident(s->store, 0, list_incident, out) < 0)
			evbuffer_add_printf(out, "(error: %s)\n", store_error(s->store));
	} else if (IS("lock") || IS("unlock")) {
		if (arg == NULL || !valid_account(arg)) {
			evbuffer_add_printf(out, "error %s needs one account name\n",
					    IS("lock") ? "lock" : "unlock");
		} else if (IS("lock")) {
			if (srv_lock(s, arg, "admin", "locked by the administrator", 0) < 0)
				evbuffer_add_printf(out, "error %s\n", store_error(s->store));
			else {
				srv_act_lock_admin(s, arg);
				evbuffer_add_printf(out, "ok\nlocked %s\n", arg);
			}
		} else {
			int r = srv_unlock(s, arg, "admin");

			if (r < 0)
				evbuffer_add_printf(out, "error %s\n", store_error(s->store));
			else if (r == 1)
				evbuffer_add_printf(out, "error %s was not locked\n", arg);
			else
				evbuffer_add_printf(out, "ok\nunlocked %s\n", arg);
		}
	} else {
		evbuffer_add_printf(out, "error unknown request (status, list, incidents, lock "
					 "ACCOUNT, unlock ACCOUNT)\n");
	}
#undef IS
}

static void
ctl_read(struct bufferevent *bev, void *arg)
{
	struct srv_conn *c = arg;
	struct srv *s = c->s;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;
	char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);

	if (line == NULL) {
		if (evbuffer_get_length(in) > SRV_CONTROL_LINE_MAX)
			srv_conn_close(c);
		return;
	}
	bufferevent_disable(bev, EV_READ);
	if (n > SRV_CONTROL_LINE_MAX || memchr(line, '\0', n) != NULL)
		evbuffer_add_printf(bufferevent_get_output(bev), "error request too long\n");
	else
		ctl_request(s, line, bufferevent_get_output(bev));
	free(line);
	bufferevent_setcb(bev, NULL, done_write, ctl_event, c);
}

void
srv_control_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		   int salen, void *arg)
{
	struct srv *s = arg;
	struct bufferevent *bev;
	struct timeval tv = { 10, 0 };

	(void)sa;
	(void)salen;
	bev = bufferevent_socket_new(evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		evutil_closesocket(fd);
		return;
	}
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_setcb(bev, ctl_read, NULL, ctl_event, srv_conn_new(s, bev));
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* A label value: backslash, double quote and newline escaped; other
 * control bytes dropped. */
static void
label(struct evbuffer *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			evbuffer_add_printf(b, "\\%c", *v);
		else if (*v == '\n')
			evbuffer_add(b, "\\n", 2);
		else if ((unsigned char)*v >= 0x20)
			evbuffer_add(b, v, 1);
	}
}

/* How far each followed file is behind: bytes written but not read yet,
 * and seconds since a line was last read. */
static void
follow_metrics(struct srv *s, struct evbuffer *b)
{
	int64_t now = time(NULL);
	size_t i;

	if (s->nfl == 0)
		return;
	evbuffer_add_printf(b, "# HELP mailsentry_follow_lag_bytes Bytes of a followed log not "
			       "read yet.\n# TYPE mailsentry_follow_lag_bytes gauge\n");
	for (i = 0; i < s->nfl; i++) {
		struct follow_pos p;
		struct stat st;
		uint64_t lag = 0;

		follow_get_pos(s->fl[i].f, &p);
		if (stat(s->fl[i].path, &st) == 0) {
			if ((uint64_t)st.st_dev == p.dev && (uint64_t)st.st_ino == p.ino)
				lag = (uint64_t)st.st_size > p.offset ? (uint64_t)st.st_size - p.offset
								     : 0;
			else
				lag = (uint64_t)st.st_size;	/* rotated: the new file is unread */
		}
		evbuffer_add_printf(b, "mailsentry_follow_lag_bytes{file=\"");
		label(b, s->fl[i].path);
		evbuffer_add_printf(b, "\"} %" PRIu64 "\n", lag);
	}
	evbuffer_add_printf(b, "# HELP mailsentry_follow_idle_seconds Seconds since a line of a "
			       "followed log was read.\n# TYPE mailsentry_follow_idle_seconds gauge\n");
	for (i = 0; i < s->nfl; i++) {
		int64_t since = s->fl[i].last_line ? s->fl[i].last_line : s->started;

		evbuffer_add_printf(b, "mailsentry_follow_idle_seconds{file=\"");
		label(b, s->fl[i].path);
		evbuffer_add_printf(b, "\"} %" PRId64 "\n", now > since ? now - since : 0);
	}
}

static void
fleet_metrics(struct srv *s, struct evbuffer *b)
{
	struct fleet_stats st;

	if (s->fleet == NULL)
		return;
	fleet_get_stats(s->fleet, &st);
	evbuffer_add_printf(
		b,
		"# HELP mailsentry_fleet_up 1 while Redis answers.\n"
		"# TYPE mailsentry_fleet_up gauge\nmailsentry_fleet_up %d\n"
		"# TYPE mailsentry_fleet_outages_total counter\nmailsentry_fleet_outages_total %" PRIu64
		"\n# TYPE mailsentry_fleet_events_total counter\n"
		"mailsentry_fleet_events_total{way=\"sent\"} %" PRIu64 "\n"
		"mailsentry_fleet_events_total{way=\"read\"} %" PRIu64 "\n"
		"mailsentry_fleet_events_total{way=\"local\"} %" PRIu64 "\n"
		"mailsentry_fleet_events_total{way=\"dropped\"} %" PRIu64 "\n"
		"# TYPE mailsentry_fleet_backlog gauge\nmailsentry_fleet_backlog %zu\n"
		"# TYPE mailsentry_fleet_lock_messages_total counter\n"
		"mailsentry_fleet_lock_messages_total{way=\"sent\"} %" PRIu64 "\n"
		"mailsentry_fleet_lock_messages_total{way=\"received\"} %" PRIu64 "\n"
		"# TYPE mailsentry_fleet_claims_total counter\n"
		"mailsentry_fleet_claims_total{result=\"won\"} %" PRIu64 "\n"
		"mailsentry_fleet_claims_total{result=\"lost\"} %" PRIu64 "\n",
		st.up ? 1 : 0, st.outages, st.events_sent, st.events_read, st.events_local,
		st.backlog_dropped, st.backlog, st.locks_sent, st.locks_received, st.claims_won,
		st.claims_lost);
}

void
srv_metrics_cb(struct evhttp_request *req, void *arg)
{
	struct srv *s = arg;
	struct evbuffer *b = evbuffer_new();
	unsigned i;

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add_printf(b, "# HELP mailsentry_policy_requests_total Postfix policy requests.\n"
			       "# TYPE mailsentry_policy_requests_total counter\n"
			       "mailsentry_policy_requests_total %" PRIu64 "\n",
			    s->m.requests);
	evbuffer_add_printf(b, "# TYPE mailsentry_policy_bad_requests_total counter\n"
			       "mailsentry_policy_bad_requests_total %" PRIu64 "\n",
			    s->m.bad_requests);
	evbuffer_add_printf(b, "# HELP mailsentry_policy_answers_total Answers by verdict.\n"
			       "# TYPE mailsentry_policy_answers_total counter\n");
	for (i = 0; i < PV_MAX; i++)
		evbuffer_add_printf(b, "mailsentry_policy_answers_total{verdict=\"%s\"} %" PRIu64 "\n",
				    pol_verdict_name(i), s->m.answers[i]);
	evbuffer_add_printf(b, "# HELP mailsentry_shadow_would_total Answers shadow mode "
			       "replaced with the default.\n"
			       "# TYPE mailsentry_shadow_would_total counter\n");
	for (i = 0; i < PV_MAX; i++)
		evbuffer_add_printf(b, "mailsentry_shadow_would_total{verdict=\"%s\"} %" PRIu64 "\n",
				    pol_verdict_name(i), s->m.shadow_would[i]);
	evbuffer_add_printf(b, "# TYPE mailsentry_findings_total counter\n");
	for (i = 0; i < FK_MAX; i++)
		evbuffer_add_printf(b, "mailsentry_findings_total{kind=\"%s\"} %" PRIu64 "\n",
				    finding_kind_name(i), s->m.findings[i]);
	evbuffer_add_printf(b,
			    "# TYPE mailsentry_locks gauge\nmailsentry_locks %zu\n"
			    "# TYPE mailsentry_locks_total counter\nmailsentry_locks_total %" PRIu64
			    "\n# TYPE mailsentry_errors_total counter\nmailsentry_errors_total %" PRIu64
			    "\n# TYPE mailsentry_connections gauge\nmailsentry_connections %" PRIu64
			    "\n# TYPE mailsentry_log_lines_total counter\n"
			    "mailsentry_log_lines_total %" PRIu64 "\n",
			    htab_count(s->locks), s->m.locks, s->m.errors, s->nconn, s->pst.lines);
	evbuffer_add_printf(b, "# HELP mailsentry_connections_refused_total Connections closed "
			       "at once: max_connections were open.\n"
			       "# TYPE mailsentry_connections_refused_total counter\n"
			       "mailsentry_connections_refused_total %" PRIu64 "\n",
			    s->m.refused);
	evbuffer_add_printf(b, "# HELP mailsentry_actions_queued Action jobs waiting for the "
			       "worker.\n# TYPE mailsentry_actions_queued gauge\n"
			       "mailsentry_actions_queued %zu\n",
			    srv_work_queued(s));
	follow_metrics(s, b);
	fleet_metrics(s, b);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	srv_authpol_metrics(s, b);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}
