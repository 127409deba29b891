/* srv.h - the daemon: `mailsentry serve`
 * SUMMARY  One libevent loop serves the Postfix policy service, the control
 *          socket and the metrics endpoint, follows the configured logs and
 *          runs the detectors on what they show. A finding becomes an
 *          incident in the store; an account_compromise strong enough locks
 *          the account (its mail then gets locked_action) unless shadow is
 *          on. Locks live in the store and are loaded at start, so a lock
 *          survives kill -9.
 * ERRORS   srv_run returns the exit status: 0 after SIGTERM/SIGINT, 2 when
 *          the settings, a listener or the state cannot be set up (said
 *          with msg_error first). */
#ifndef MS_SRV_H
#define MS_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "serve/settings.h"

#define SRV_CONTROL_LINE_MAX 1024	/* one control request */

int srv_run(const char *config, char *const *opts, size_t nopts);

/* Listen on "inet:HOST:PORT" or "unix:/PATH" (a stale socket file is
 * replaced; mode is applied to it). NULL with the reason in err. */
struct evconnlistener *srv_listen(struct event_base *base, const char *spec, unsigned mode,
				  evconnlistener_cb cb, void *arg, char *err, size_t errlen);
/* Connect to the control socket, send one request line and copy the
 * answer to stdout; returns the answer's exit status (first line "ok" or
 * "error ..."), 2 when the daemon cannot be reached. */
int srv_control_request(const char *path, const char *request);

#endif
