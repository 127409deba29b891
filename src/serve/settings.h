/* settings.h - every setting of mailsentry: the detectors' and the daemon's
 * SUMMARY  One settings file serves `scan`, `serve` and the control
 *          commands. struct settings holds the detector settings first (so
 *          det_conf_defs' offsets hold for it) and the daemon's after;
 *          settings_defs() is the merged table that conf.h reads, and that
 *          `mailsentry config --defaults` prints. Names other tools rely
 *          on (DESIGN.md): policy_listen, authpolicy_listen,
 *          metrics_listen, state_dir, control_socket, follow, redis_url,
 *          shadow.
 * ERRORS   settings_load says what is wrong (FILE:LINE, -o NAME=VALUE). */
#ifndef MS_SETTINGS_H
#define MS_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "act/act.h"
#include "core/conf.h"
#include "detect/det.h"

struct srv_conf {
	/* listeners */
	char *policy_listen;
	char *authpolicy_listen;
	char *metrics_listen;
	char *control_socket;
	char *state_dir;
	char *follow;
	char *redis_url;
	char *redis_prefix;
	char *instance_name;
	int64_t redis_timeout;
	int64_t fleet_replay;
	int64_t redis_stream_max;
	bool shadow;
	char *log;			/* stderr | syslog */
	int64_t max_connections;
	int64_t idle_timeout;
	/* policy answers */
	char *locked_action;
	char *suspect_action;
	char *rate_action;
	char *mismatch_action;
	char *default_action;
	bool mismatch_check;
	int64_t msg_rate;
	int64_t rcpt_rate;
	int64_t rate_window;
	char *allow_nets_file;
	/* Dovecot auth policy */
	char *authpolicy_api_header;
	char *authpolicy_events;	/* auto | yes | no */
	int64_t authpolicy_min_hash_bits;
	int64_t authpolicy_leaked_time;
	int64_t authpolicy_delay;
	int64_t authpolicy_delay_failures;
	int64_t authpolicy_max_accounts;
	int64_t authpolicy_max_ips;
	/* when to act (the actions' own settings are in struct act_conf) */
	bool lock_on_compromise;
	double lock_score;
	bool purge;
	bool notify;
	bool ban_attackers;
};

struct settings {
	struct det_conf det;	/* first: det_conf_defs' offsets are valid here */
	struct srv_conf srv;
	struct act_conf act;	/* act_conf_defs, shifted by offsetof(struct settings, act) */
};

const struct conf_def *settings_defs(size_t *n);
/* Defaults, then file (may be NULL), then each "name=value" of opts;
 * -1 after msg_error says what is wrong. */
int settings_load(struct settings *s, const char *file, char *const *opts, size_t nopts);
void settings_free(struct settings *s);
/* control_socket, or $state_dir/control.sock when it is empty; in buf. */
const char *settings_control_socket(const struct settings *s, char *buf, size_t size);

#endif
