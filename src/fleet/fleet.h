/* fleet.h - several daemons, one view: events, locks and once-only actions
 *           shared through Redis (or Valkey)
 * SUMMARY  Every instance sends the events it sees (from its logs, policy
 *          requests and Dovecot reports) to one Redis stream, and feeds its
 *          detectors from that stream: each instance's detectors see the
 *          whole fleet's events, in one order, so an attack spread over
 *          ten servers is found after the same evidence as on one. The
 *          per-account sets and windows stay in each instance's memory,
 *          bounded as on one server; Redis holds the stream (trimmed to
 *          stream_max entries), the locks (one hash), short-lived claims,
 *          the time of each account's last unlock (a second hash), and a
 *          channel that carries each lock and unlock to every instance at
 *          once.
 *          Nothing waits on Redis: commands are asynchronous on the
 *          daemon's libevent loop (hiredis), a policy answer reads the
 *          instance's own lock table. While Redis is down or slow (no PONG
 *          within timeout), the instance feeds its detectors itself, queues
 *          its events, locks and unlocks, says so once, and reconnects
 *          with backoff; back up, it sends what it queued, applies the
 *          locks and unlocks made elsewhere meanwhile (a lock here that
 *          Redis does not know is sent, unless the account was unlocked
 *          later than it was locked: so neither a wiped Redis nor a
 *          stale instance loses or revives a lock), and reads on from
 *          where the stream left it.
 * LIMITS   FLEET_BACKLOG_MAX events queued while down (older ones are
 *          dropped and counted); FLEET_UNACKED_MAX events sent but not yet
 *          read back; FLEET_ACCOUNT_MAX bytes of an account in a lock
 *          message; FLEET_READ_COUNT entries per stream read.
 * ERRORS   fleet_new refuses a bad redis_url (a host name: no DNS; only
 *          numeric addresses and unix sockets). Run-time trouble is logged
 *          once per outage and counted in struct fleet_stats. */
#ifndef MS_FLEET_H
#define MS_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/evt.h"

#define FLEET_BACKLOG_MAX 100000
#define FLEET_UNACKED_MAX 100000
#define FLEET_ACCOUNT_MAX 320
#define FLEET_READ_COUNT 1000

struct event_base;

struct fleet_conf {
	const char *url;	/* redis://[:PASSWORD@]ADDR[:PORT][/DB] or unix:/PATH[?db=N&password=P] */
	const char *prefix;	/* key prefix, e.g. "mailsentry:" */
	const char *instance;	/* this daemon's name in the fleet */
	int64_t timeout_ms;	/* no answer for this long: Redis counts as down */
	int64_t replay;		/* seconds of the stream read at start (detector windows) */
	int64_t stream_max;	/* entries kept in the stream (approximate trim) */
};

struct fleet_cb {
	void *arg;
	/* An event of the fleet, in stream order; replaying: read at start to
	 * rebuild the windows (hold actions back). */
	void (*event)(void *arg, const struct evt *e, bool replaying);
	/* A lock or unlock made by another instance (or found in Redis at a
	 * reconnect); by is that instance's name. */
	void (*lock)(void *arg, const char *account, const char *by, int64_t since,
		     uint64_t incident, const char *reason);
	void (*unlock)(void *arg, const char *account, const char *by);
	/* Call fn for each account locked here, with the lock's time
	 * (reconciling after an outage). */
	void (*each_lock)(void *arg, void (*fn)(void *fa, const char *account, int64_t since),
			  void *fa);
};

struct fleet_stats {
	bool up;
	uint64_t events_sent, events_read, events_local, backlog_dropped, decode_errors;
	uint64_t locks_sent, locks_received, outages, claims_won, claims_lost;
	size_t backlog, unacked;
};

struct fleet;

/* Parse the URL and start connecting; cb is copied. NULL with err. */
struct fleet *fleet_new(struct event_base *base, const struct fleet_conf *c,
			const struct fleet_cb *cb, char *err, size_t errlen);
/* Disconnect; pending claims are answered "won" (act rather than not). */
void fleet_free(struct fleet **f);

/* An event seen here. true: it went to the stream and comes back through
 * cb->event; false: Redis is down, the caller feeds it to its detectors
 * itself (it is queued for the others). */
bool fleet_event(struct fleet *f, const struct evt *e);

/* A lock or unlock made here (by a detector or the administrator): into
 * the locks hash and to every instance. Queued while down. */
void fleet_lock(struct fleet *f, const char *account, int64_t since, uint64_t incident,
		const char *reason);
void fleet_unlock(struct fleet *f, const char *account);

/* Once-only work (a notification, the lock hook): the first instance to
 * claim key within ttl seconds wins. cb(arg, won) runs later, on the loop;
 * won is true when Redis cannot say (down: better twice than never). */
void fleet_claim(struct fleet *f, const char *key, int64_t ttl,
		 void (*cb)(void *arg, bool won), void *arg);

void fleet_get_stats(const struct fleet *f, struct fleet_stats *st);

/* Exposed for tests: split a redis_url. host is "" for a unix socket. */
struct fleet_addr {
	char host[64];
	int port;
	char path[256];
	char password[256];
	int db;
};
int fleet_parse_url(const char *url, struct fleet_addr *a, char *err, size_t errlen);

#endif
