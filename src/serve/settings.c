/* settings.c - the daemon's settings table, merged with the detectors' */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/settings.h"
#include "util/mem.h"
#include "util/msg.h"

#define S(field) (offsetof(struct settings, srv) + offsetof(struct srv_conf, field))

static const struct conf_def srv_defs[] = {
	/* where it listens and keeps its state */
	{ "policy_listen", CONF_STR, "inet:127.0.0.1:10040", S(policy_listen), 0, 0,
	  "Postfix policy service: inet:HOST:PORT or unix:/PATH (main.cf: check_policy_service "
	  "with the same address). Empty: no policy service." },
	{ "authpolicy_listen", CONF_STR, "inet:127.0.0.1:10041", S(authpolicy_listen), 0, 0,
	  "Dovecot auth policy service (HTTP): inet:HOST:PORT or unix:/PATH. Empty: off." },
	{ "metrics_listen", CONF_STR, "inet:127.0.0.1:10042", S(metrics_listen), 0, 0,
	  "Prometheus metrics (HTTP GET /metrics): inet:HOST:PORT. Empty: off." },
	{ "state_dir", CONF_STR, "/var/lib/mailsentry", S(state_dir), 0, 0,
	  "Durable state: locks, incidents, the audit trail, log positions (SQLite)." },
	{ "control_socket", CONF_STR, "", S(control_socket), 0, 0,
	  "Unix socket of the control commands (status, lock, unlock, list, incidents); empty: "
	  "$state_dir/control.sock. Mode 0600: only its owner may use it." },
	{ "follow", CONF_STR, "", S(follow), 0, 0,
	  "Log files to follow live (space-separated), e.g. /var/log/mail.log: they show what "
	  "policy requests do not (failed logins, deliveries, bounces). Rotation is handled and "
	  "the position kept across restarts." },
	{ "redis_url", CONF_STR, "", S(redis_url), 0, 0,
	  "Fleet mode: the Redis (or Valkey) server the daemons share, redis://[:PASSWORD@]"
	  "ADDRESS[:PORT][/DB] or unix:/PATH[?db=N&password=P]; a numeric address, no name is "
	  "looked up. Empty: this daemon decides alone (embedded state only)." },
	{ "redis_prefix", CONF_STR, "mailsentry:", S(redis_prefix), 0, 0,
	  "Prefix of every Redis key and channel of this fleet (several fleets may share a "
	  "server)." },
	{ "instance_name", CONF_STR, "", S(instance_name), 0, 0,
	  "This daemon's name in the fleet; empty: the host name. Must differ between the "
	  "daemons of a fleet." },
	{ "redis_timeout", CONF_DURATION, "2s", S(redis_timeout), 1, 60,
	  "No answer from Redis for this long: it counts as down, and the daemon decides alone "
	  "until it is back (policy answers never wait for Redis)." },
	{ "fleet_replay", CONF_DURATION, "1d", S(fleet_replay), 0, 30 * 86400.0,
	  "At start, this much of the fleet's event stream is read again to rebuild the "
	  "detectors' windows (actions held back)." },
	{ "redis_stream_max", CONF_INT, "2000000", S(redis_stream_max), 1000, 1000000000,
	  "Events kept in the fleet's stream (Redis trims the oldest); at about 400 bytes each, "
	  "the default is under 1 GB: keep fleet_replay's worth." },
	{ "shadow", CONF_BOOL, "no", S(shadow), 0, 0,
	  "yes: decide and record everything, act on nothing (policy answers DUNNO; the audit "
	  "trail says what would have been done)." },
	{ "log", CONF_STR, "stderr", S(log), 0, 0, "Where the daemon logs: stderr or syslog." },
	{ "max_connections", CONF_INT, "10000", S(max_connections), 1, 1000000,
	  "Concurrent policy and control connections at most; more are refused." },
	{ "idle_timeout", CONF_DURATION, "5m", S(idle_timeout), 1, 86400,
	  "A connection idle this long is closed (Postfix reconnects when it needs to)." },
	/* policy answers */
	{ "locked_action", CONF_STR,
	  "REJECT 5.7.1 account suspended: suspected compromise; contact the postmaster",
	  S(locked_action), 0, 0, "Answer to mail from a locked account." },
	{ "suspect_action", CONF_STR, "", S(suspect_action), 0, 0,
	  "Answer to mail from an account with an open finding that did not lock it (e.g. HOLD "
	  "to keep it in the queue for review); empty: no special answer." },
	{ "rate_action", CONF_STR, "DEFER_IF_PERMIT 4.7.1 too much mail from this account; try "
	  "again later", S(rate_action), 0, 0, "Answer when an account exceeds its rate." },
	{ "mismatch_action", CONF_STR,
	  "REJECT 5.7.1 sender address not owned by the authenticated user", S(mismatch_action),
	  0, 0, "Answer when mismatch_check is on and the sender is not the login." },
	{ "default_action", CONF_STR, "DUNNO", S(default_action), 0, 0,
	  "Answer otherwise, and on any internal error: a fault of mailsentry never stops mail." },
	{ "mismatch_check", CONF_BOOL, "no", S(mismatch_check), 0, 0,
	  "yes: the envelope sender of authenticated mail must be the login name." },
	{ "msg_rate", CONF_INT, "300", S(msg_rate), 0, 100000000,
	  "Messages per account per rate_window; 0: no limit." },
	{ "rcpt_rate", CONF_INT, "3000", S(rcpt_rate), 0, 1000000000,
	  "Recipients per account per rate_window; 0: no limit." },
	{ "rate_window", CONF_DURATION, "1h", S(rate_window), 60, 7 * 86400.0,
	  "Window of msg_rate and rcpt_rate." },
	{ "allow_nets_file", CONF_STR, "", S(allow_nets_file), 0, 0,
	  "Per-account allowed networks (incident 3's allow_nets): lines 'account net...', e.g. "
	  "'ana@example.org 198.51.100.0/24 2001:db8::/32'; mail of a listed account from "
	  "elsewhere is refused." },
	/* Dovecot auth policy (docs/mailsentry-serve.md, "Dovecot auth policy") */
	{ "authpolicy_api_header", CONF_STR, "", S(authpolicy_api_header), 0, 0,
	  "The header Dovecot must send (its auth_policy_server_api_header, same syntax), e.g. "
	  "'Authorization: Bearer SECRET'; without a colon, the value of X-API-Key. Requests "
	  "without it get 401, with another value 403. Empty: no check." },
	{ "authpolicy_events", CONF_STR, "auto", S(authpolicy_events), 0, 0,
	  "Whether Dovecot's login reports go to the detectors as login events: yes, no, or auto "
	  "(only when no log is followed, since a followed Dovecot log shows the same logins and "
	  "they would count twice)." },
	{ "authpolicy_min_hash_bits", CONF_INT, "32", S(authpolicy_min_hash_bits), 1, 512,
	  "A login with a password hash marked leaked is refused only if the hash has this many "
	  "bits (4 per hex digit Dovecot sends); shorter hashes match other passwords too and "
	  "are only recorded. Set Dovecot's auth_policy_hash_truncate to 32 or more." },
	{ "authpolicy_leaked_time", CONF_DURATION, "30d", S(authpolicy_leaked_time), 0,
	  3650 * 86400.0,
	  "How long the password hashes of a compromised account's recent logins are refused "
	  "(the old password the attackers keep trying); 0: as long as they are remembered." },
	{ "authpolicy_delay", CONF_DURATION, "0", S(authpolicy_delay), 0, 60,
	  "Delay (Dovecot's tarpit) for logins from an IP with authpolicy_delay_failures failed "
	  "logins within brute_force_window; 0: none." },
	{ "authpolicy_delay_failures", CONF_INT, "10", S(authpolicy_delay_failures), 1,
	  100000000, "Failed logins of an IP, as Dovecot reports them, that bring authpolicy_delay." },
	{ "authpolicy_max_accounts", CONF_INT, "100000", S(authpolicy_max_accounts), 1, 100000000,
	  "Accounts whose recent password hashes are remembered (about 200 bytes each); the least "
	  "recently seen is forgotten first." },
	{ "authpolicy_max_ips", CONF_INT, "100000", S(authpolicy_max_ips), 1, 100000000,
	  "Client IPs remembered as refused or failing; the least recently seen is forgotten "
	  "first." },
	/* when to act */
	{ "lock_on_compromise", CONF_BOOL, "yes", S(lock_on_compromise), 0, 0,
	  "Lock an account when account_compromise fires with at least lock_score points: its "
	  "mail is refused (locked_action) until `mailsentry unlock`, and lock_hook, kick, "
	  "purge and notify run." },
	{ "lock_score", CONF_DOUBLE, "1.0", S(lock_score), 0, 100,
	  "Points of an account_compromise at which the account is locked." },
	{ "purge", CONF_BOOL, "yes", S(purge), 0, 0,
	  "On a lock, delete the account's queued mail and the NDRs it caused (Postfix: postqueue "
	  "-j, postsuper -d)." },
	{ "notify", CONF_BOOL, "yes", S(notify), 0, 0,
	  "On a lock, mail notify_to (one mail per incident)." },
	{ "ban_attackers", CONF_BOOL, "no", S(ban_attackers), 0, 0,
	  "yes: ban the IPs of brute_force and password_spray findings for ban_time in the "
	  "nftables sets (docs/actions.md shows how to create them)." },
};

#define NSRV (sizeof(srv_defs) / sizeof(srv_defs[0]))

const struct conf_def *
settings_defs(size_t *n)
{
	static struct conf_def all[256];
	static size_t nall;
	size_t i;

	if (nall == 0) {
		if (det_conf_ndefs + NSRV + act_conf_ndefs > sizeof(all) / sizeof(all[0]))
			msg_panic("settings table too small");
		/* det is the first member of struct settings: its offsets hold. */
		memcpy(all, det_conf_defs, det_conf_ndefs * sizeof(all[0]));
		memcpy(all + det_conf_ndefs, srv_defs, sizeof(srv_defs));
		nall = det_conf_ndefs + NSRV;
		for (i = 0; i < act_conf_ndefs; i++) {
			all[nall] = act_conf_defs[i];
			all[nall++].offset += offsetof(struct settings, act);
		}
	}
	*n = nall;
	return all;
}

int
settings_load(struct settings *s, const char *file, char *const *opts, size_t nopts)
{
	size_t n, i;
	const struct conf_def *defs = settings_defs(&n);
	char err[512];

	if (conf_defaults(defs, n, s) < 0)
		msg_panic("invalid setting defaults");
	if (file != NULL && conf_load_file(defs, n, s, file, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		return -1;
	}
	for (i = 0; i < nopts; i++)
		if (conf_set(defs, n, s, opts[i], err, sizeof(err)) < 0) {
			msg_error("%s", err);
			return -1;
		}
	return 0;
}

void
settings_free(struct settings *s)
{
	size_t n;
	const struct conf_def *defs = settings_defs(&n);

	conf_free(defs, n, s);
}

const char *
settings_control_socket(const struct settings *s, char *buf, size_t size)
{
	if (s->srv.control_socket != NULL && s->srv.control_socket[0] != '\0')
		snprintf(buf, size, "%s", s->srv.control_socket);
	else
		snprintf(buf, size, "%s/control.sock", s->srv.state_dir ? s->srv.state_dir : ".");
	return buf;
}
