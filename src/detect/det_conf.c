/* det_conf.c - every threshold and window of the detectors, with its default
 * SUMMARY  The table `mailsentry config --defaults` and `scan --config`
 *          read. Defaults were chosen against the populations of msgen and
 *          the incidents of DESIGN.md; docs/mailsentry-scan.md explains
 *          each and how to tune it. */
#include <stddef.h>

#include "detect/det.h"

#define D(field) offsetof(struct det_conf, field)

const struct conf_def det_conf_defs[] = {
	/* account_compromise */
	{ "compromise_window", CONF_DURATION, "24h", D(window), 600, 30 * 86400.0,
	  "Sliding window over which the account_compromise signals are counted." },
	{ "compromise_score", CONF_DOUBLE, "1.0", D(score), 0.01, 100,
	  "Points at which account_compromise fires. Each signal gives weight x value/threshold "
	  "points (nothing under signal_floor, at most signal_cap)." },
	{ "familiar_after", CONF_DURATION, "24h", D(familiar_after), 0, 365 * 86400.0,
	  "A network (IPv4 /16, IPv6 /32) the account logged in from more than once becomes "
	  "familiar this long after its first use; the account's first network is familiar at "
	  "once. Activity from networks that are not familiar is what the signals count." },
	{ "signal_floor", CONF_DOUBLE, "0.5", D(floor), 0, 1,
	  "A signal whose value is under this fraction of its threshold gives no points." },
	{ "signal_cap", CONF_DOUBLE, "1.5", D(cap), 1, 10,
	  "A signal gives at most this many times its weight." },
	{ "compromise_networks", CONF_INT, "10", D(networks), 2, 100000,
	  "login_networks: distinct networks the account logged in from in the window." },
	{ "compromise_networks_weight", CONF_DOUBLE, "1.0", D(w_networks), 0, 10,
	  "Weight of login_networks." },
	{ "compromise_messages", CONF_INT, "20", D(messages), 1, 1000000,
	  "unfamiliar_messages: messages submitted from unfamiliar networks in the window." },
	{ "compromise_messages_weight", CONF_DOUBLE, "0.6", D(w_messages), 0, 10,
	  "Weight of unfamiliar_messages." },
	{ "compromise_recipients", CONF_INT, "100", D(recipients), 1, 10000000,
	  "unfamiliar_recipients: recipients of those messages." },
	{ "compromise_recipients_weight", CONF_DOUBLE, "0.4", D(w_recipients), 0, 10,
	  "Weight of unfamiliar_recipients." },
	{ "compromise_failure_rate", CONF_DOUBLE, "0.3", D(failure_rate), 0.01, 1,
	  "failure_rate: share of deferred or bounced deliveries of mail submitted from "
	  "unfamiliar networks in the window." },
	{ "compromise_failure_rate_weight", CONF_DOUBLE, "0.5", D(w_failure_rate), 0, 10,
	  "Weight of failure_rate." },
	{ "compromise_failure_min", CONF_INT, "20", D(failure_min), 1, 1000000,
	  "failure_rate counts only from this many deliveries on." },
	{ "compromise_mechanism_logins", CONF_INT, "10", D(mech_min_logins), 1, 1000000,
	  "new_mechanism: a SASL mechanism the account never used, from an unfamiliar network, "
	  "once the account has this many logins of history." },
	{ "compromise_mechanism_weight", CONF_DOUBLE, "0.3", D(w_mechanism), 0, 10,
	  "Weight of new_mechanism." },
	{ "compromise_country_logins", CONF_INT, "10", D(country_min_logins), 1, 1000000,
	  "new_country: a country the account never logged in from, once it has this many "
	  "logins with a known country (needs the tor-geoipdb package)." },
	{ "compromise_country_weight", CONF_DOUBLE, "0.3", D(w_country), 0, 10,
	  "Weight of new_country." },
	{ "compromise_far_window", CONF_DURATION, "30m", D(far_window), 0, 86400,
	  "far_sessions: logins from two countries within this time." },
	{ "compromise_far_weight", CONF_DOUBLE, "0.2", D(w_far), 0, 10,
	  "Weight of far_sessions." },
	/* outbound_burst */
	{ "burst_messages", CONF_INT, "200", D(burst_messages), 1, 100000000,
	  "outbound_burst: at least this many messages from one account in one clock hour..." },
	{ "burst_factor", CONF_DOUBLE, "5", D(burst_factor), 1, 1000,
	  "...and more than this many times its busiest earlier hour..." },
	{ "burst_baseline", CONF_DURATION, "24h", D(burst_baseline), 0, 365 * 86400.0,
	  "...once the account has been seen this long." },
	/* credential_probe */
	{ "probe_failures", CONF_INT, "3", D(probe_failures), 1, 1000000,
	  "credential_probe: failed logins from unfamiliar networks on an account after its "
	  "compromise was found." },
	/* backscatter */
	{ "backscatter_window", CONF_DURATION, "6h", D(backscatter_window), 3600,
	  30 * 86400.0, "Window of the backscatter count." },
	{ "backscatter_ndrs", CONF_INT, "100", D(backscatter_ndrs), 1, 100000000,
	  "backscatter: non-delivery reports delivered to one local account in the window, not "
	  "counting those its own mail caused." },
	/* brute_force / password_spray */
	{ "brute_force_window", CONF_DURATION, "1h", D(brute_window), 60, 30 * 86400.0,
	  "Window of the brute_force count, from the first failure of an IP." },
	{ "brute_force_failures", CONF_INT, "20", D(brute_failures), 2, 100000000,
	  "brute_force: failed logins from one IP in the window (typos and stale passwords "
	  "excused)..." },
	{ "brute_force_per_account", CONF_DOUBLE, "3", D(brute_per_account), 1, 1000000,
	  "...with at least this many attempts per account tried (unless it tried too few "
	  "existing accounts to be a spray)." },
	{ "brute_force_account_window", CONF_DURATION, "6h", D(brute_account_window), 60,
	  30 * 86400.0,
	  "Window of the per-account count of a brute force spread over several IPs, from the "
	  "account's first counted failure." },
	{ "brute_force_account_failures", CONF_INT, "30", D(brute_account_failures), 2,
	  100000000,
	  "An account with this many failed logins in that window (excused ones apart) is under "
	  "brute force..." },
	{ "brute_force_account_ip", CONF_INT, "5", D(brute_account_ip), 1, 100000000,
	  "...and each IP with at least this many of them is reported as brute_force." },
	{ "spray_window", CONF_DURATION, "24h", D(spray_window), 60, 30 * 86400.0,
	  "Window of the password_spray count, from the first failure of an IP." },
	{ "spray_accounts", CONF_INT, "4", D(spray_accounts), 2, 1000000,
	  "password_spray: distinct existing accounts (accounts that logged in or sent mail) "
	  "that one IP failed on in the window..." },
	{ "spray_per_account", CONF_DOUBLE, "3", D(spray_per_account), 1, 1000000,
	  "...with at most this many attempts per account on average." },
	{ "typo_window", CONF_DURATION, "10m", D(typo_window), 0, 86400,
	  "A failed login followed within this time by a login of the same account from the "
	  "same address was a typo, and is not counted." },
	{ "typo_max", CONF_INT, "3", D(typo_max), 0, 1000,
	  "At most this many failures before a login count as typos; more are guessing that "
	  "succeeded." },
	/* everything */
	{ "incident_idle", CONF_DURATION, "24h", D(incident_idle), 60, 365 * 86400.0,
	  "A finding without new evidence for this long is closed; later evidence opens a new "
	  "one." },
	{ "forget_after", CONF_DURATION, "30d", D(forget_after), 86400, 3650 * 86400.0,
	  "An account not seen for this long is forgotten (its familiar networks with it)." },
	{ "max_accounts", CONF_INT, "4000000", D(max_accounts), 1, 1e9,
	  "Accounts tracked at most; more are not tracked, and counted." },
	{ "max_ips", CONF_INT, "10000000", D(max_ips), 1, 1e9,
	  "Client IPs with failed logins tracked at most." },
	{ "geoip_file", CONF_STR, "/usr/share/tor/geoip", D(geoip_file), 0, 0,
	  "IPv4 country database (Debian package tor-geoipdb); empty or missing: the country "
	  "signals are off." },
	{ "geoip6_file", CONF_STR, "/usr/share/tor/geoip6", D(geoip6_file), 0, 0,
	  "IPv6 country database (tor-geoipdb)." },
};

const size_t det_conf_ndefs = sizeof(det_conf_defs) / sizeof(det_conf_defs[0]);
