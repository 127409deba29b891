/* authpol_proto.h - Dovecot auth policy protocol: requests in, answers out
 * SUMMARY  Dovecot's auth process (auth_policy_server_url) POSTs a JSON
 *          object to URL?command=allow before a login is checked (and once
 *          more after a successful passdb lookup when
 *          auth_policy_check_after_auth = yes), and to URL?command=report
 *          after it (auth_policy_report_after_auth = yes), with "success"
 *          and "policy_reject" added. The object holds what
 *          auth_policy_request_attributes names; a key with '/' in the
 *          template ("conn/secured") becomes a nested object. The answer to
 *          an allow is {"status":N,"msg":"..."}: N < 0 refuses the login
 *          before the password is checked (msg is shown to the client),
 *          0 allows it, N > 0 delays it N seconds. A report's answer is
 *          not read; any 2xx will do.
 *
 *          authpol_command reads the command from the request URI,
 *          authpol_parse reads the body into a struct authpol_req (fixed
 *          fields, copied: nothing points into the body afterwards),
 *          authpol_answer writes the answer, authpol_req_event makes the
 *          login event the detectors see.
 *
 *          pwhash is what Dovecot sends instead of the password: the hex
 *          of hash(nonce + user + NUL + password) cut to
 *          auth_policy_hash_truncate bits (12 by default) and sent as whole
 *          bytes. mailsentry never sees a password; the hash's strength is
 *          taken as 4 bits per hex digit (12 bits arrive as 4 digits: 16).
 * LIMITS   AUTHPOL_BODY_MAX bytes of a body; AUTHPOL_DEPTH_MAX levels of
 *          nesting; AUTHPOL_KEYS_MAX keys in all; AUTHPOL_STRING_MAX bytes
 *          of any key or string value; AUTHPOL_URI_MAX bytes of a URI.
 *          Known fields that do not fit their field (a login of
 *          LIMIT_ACCOUNT_MAX bytes or more, a remote that is not one
 *          address, a pwhash that is not hex or longer than
 *          AUTHPOL_HASH_HEX_MAX) are treated as absent, not as errors: a
 *          client may type any user name.
 * ERRORS   authpol_parse returns -1 with a static message in *err for a
 *          body that is not a JSON object within the limits, or whose
 *          known keys have the wrong JSON type; the caller answers 400. */
#ifndef MS_AUTHPOL_PROTO_H
#define MS_AUTHPOL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/evt.h"
#include "core/limits.h"
#include "util/buf.h"
#include "util/netaddr.h"

#define AUTHPOL_BODY_MAX 16384		/* bytes of a body; Dovecot sends ~200-400 */
#define AUTHPOL_DEPTH_MAX 4		/* nested objects/arrays; "conn/secured" is 2 */
#define AUTHPOL_KEYS_MAX 64		/* keys in all objects; 14 with every attribute */
#define AUTHPOL_STRING_MAX 1024		/* bytes of one key or string value */
#define AUTHPOL_URI_MAX 2048		/* bytes of the request URI */
#define AUTHPOL_HASH_HEX_MAX 128	/* hex digits of pwhash: sha512 uncut */
#define AUTHPOL_SESSION_MAX 64		/* session_id kept (Dovecot's are 16-22) */
#define AUTHPOL_MSG_MAX 200		/* bytes of an answer's msg */

enum authpol_cmd { AUTHPOL_CMD_NONE, AUTHPOL_CMD_ALLOW, AUTHPOL_CMD_REPORT };

struct authpol_req {
	enum authpol_cmd cmd;
	/* login as sent and its evt_account_key; both "" when absent or not a
	 * possible account (too long, control bytes). */
	char login[LIMIT_ACCOUNT_MAX];
	char key[LIMIT_ACCOUNT_MAX];
	/* pwhash in lower case, "" when absent, empty or not hex; hash_bits
	 * = 4 * its digits. */
	char pwhash[AUTHPOL_HASH_HEX_MAX + 1];
	unsigned hash_bits;
	/* remote (the client, rip); family 0 when absent or not one address. */
	struct netaddr remote;
	char remote_txt[NETADDR_STRLEN];
	/* protocol ("imap", "pop3", "smtp", "submission", ...) in lower case,
	 * "" when absent or not [a-z0-9-]; mech ("PLAIN", ...) in upper case,
	 * "" when absent or not a mechanism name. */
	char protocol[LIMIT_SERVICE_MAX];
	char mech[LIMIT_MECH_MAX];
	char session_id[AUTHPOL_SESSION_MAX];
	/* report only: the outcome. has_success false in an allow. */
	bool has_success, success, policy_reject;
	/* "tls" true, or "conn/secured" (or "secured") non-empty. */
	bool secured;
	unsigned nkeys;		/* keys seen, nested ones included */
};

/* The command of a request URI ("/policy?command=allow", also
 * "/p?x=1&command=report"): the value of the first "command" parameter.
 * AUTHPOL_CMD_NONE when there is none, it is another word, or the URI is
 * over AUTHPOL_URI_MAX bytes. */
enum authpol_cmd authpol_command(const char *uri, size_t len);

/* Parse a body of len bytes (need not be NUL-terminated) for command
 * cmd into *r (every field reset first). 0, or -1 with *err a static
 * message: "body too large", "nesting too deep", "not JSON: ...", "not a
 * JSON object", "too many keys", "string too long", "login is not a
 * string", ..., "report without success". r is filled as far as it got. */
int authpol_parse(const char *body, size_t len, enum authpol_cmd cmd, struct authpol_req *r,
		  const char **err);

/* Append {"status":N,"msg":"MSG"} to b, all or nothing. msg (NULL = "")
 * is cut to AUTHPOL_MSG_MAX bytes and escaped. 0, or -1 with b unchanged
 * at its ceiling. */
int authpol_answer(struct buf *b, int status, const char *msg);

/* The login event of a request for the detectors: type (EVT_AUTH_SUCCESS
 * or EVT_AUTH_FAILURE), source "authpolicy", time now, service = protocol,
 * account = login, ip = remote, mech, reason (may be NULL). False when the
 * request names neither a login nor a remote. */
bool authpol_req_event(const struct authpol_req *r, enum evt_type type, const char *reason,
		       int64_t now, struct evt *e);

#endif
