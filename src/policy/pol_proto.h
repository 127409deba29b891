/* pol_proto.h - Postfix policy delegation protocol: requests in, actions out
 * SUMMARY  Postfix's smtpd sends a request as lines "name=value\n" ended by
 *          an empty line, and reads back "action=TEXT\n\n" (SMTPD_POLICY_
 *          README). pol_parse finds one complete request at the start of a
 *          connection's input buffer and fills a struct pol_req with views
 *          into that buffer; the caller keeps the bytes alive while it uses
 *          the request, then drops *used bytes and calls again (several
 *          requests may sit in one buffer). pol_answer writes a reply;
 *          pol_req_event turns an authenticated, finished message into the
 *          EVT_MESSAGE_ACCEPTED event the detectors see.
 * LIMITS   POL_REQ_MAX bytes of one request, its empty line included;
 *          POL_ATTRS_MAX attributes; POL_NAME_MAX bytes of a name;
 *          POL_ANSWER_MAX bytes of an action text.
 * ERRORS   pol_parse returns POL_TOO_LONG, POL_TOO_MANY or POL_SYNTAX with a
 *          static message in *err. Unless it also reports the bytes used,
 *          the stream is out of step: log it and close the connection
 *          (Postfix logs a warning and retries on a new connection). */
#ifndef MS_POL_PROTO_H
#define MS_POL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/evt.h"
#include "util/buf.h"
#include "util/netaddr.h"
#include "util/strv.h"

#define POL_REQ_MAX 16384	/* bytes of one request; Postfix sends < 2 KiB */
#define POL_ATTRS_MAX 128	/* attributes in one request; Postfix 3.8 sends 31 */
#define POL_NAME_MAX 64		/* bytes of one attribute name; the longest is 24 */
#define POL_ANSWER_MAX 512	/* bytes of an action text (an SMTP reply line) */

struct pol_attr {
	struct strv name, value;
};

struct pol_req {
	/* Every attribute in the order received, duplicates included. */
	struct pol_attr attr[POL_ATTRS_MAX];
	unsigned nattr;
	/* The attributes mailsentry uses; the last one wins when a name comes
	 * twice; len 0 (and p a valid empty string) when absent or empty. */
	struct strv request, protocol_state, protocol_name, helo_name, queue_id, sender,
		recipient, client_address, client_name, reverse_client_name, sasl_method,
		sasl_username, sasl_sender, instance, server_address, server_port;
	/* Numeric attributes; has_* false when absent or empty ("name="). */
	uint32_t recipient_count;
	uint64_t size;
	bool has_recipient_count, has_size;
	/* client_address parsed; family 0 when absent or not one address
	 * (Postfix sends "unknown" when it has none). */
	struct netaddr client;
};

enum pol_status {
	POL_MORE,	/* no complete request yet: read more and call again */
	POL_OK,		/* one request in *r, *used bytes long */
	POL_TOO_LONG,	/* POL_REQ_MAX bytes without the empty line */
	POL_TOO_MANY,	/* more than POL_ATTRS_MAX attributes */
	POL_SYNTAX,	/* a malformed line, or not an smtpd_access_policy request */
};

/* Look for one complete request at the start of buf[0..len). Lines end in
 * "\n" or "\r\n". A name is 1..POL_NAME_MAX bytes of [a-z0-9_]; a value is
 * any bytes but NUL and newline. recipient_count and size must be decimal
 * (or empty). request=smtpd_access_policy is required.
 *
 * POL_OK: *used is the request's length, empty line included. POL_MORE: *used
 * is 0; call again with more bytes (POL_TOO_LONG once len reaches
 * POL_REQ_MAX without the empty line). Errors set *err to a static message
 * (NULL on POL_OK and POL_MORE). A POL_SYNTAX found once the empty line was
 * read (no or another request type, a bad number) sets *used to the
 * request's length: the stream is still in step, and the caller may answer
 * and go on. Any other error leaves *used 0: close the connection. *r holds
 * what was read so far either way. An error in a line is reported as soon as
 * the line is complete. Each call reads the buffer from its start: O(len),
 * at most POL_REQ_MAX bytes. */
enum pol_status pol_parse(const char *buf, size_t len, size_t *used, struct pol_req *r,
			  const char **err);

/* Name of a status for diagnostics: "more", "ok", "too_long", ... */
const char *pol_status_name(enum pol_status s);

/* Append "action=TEXT\n\n" to b, all or nothing. TEXT is action_text made
 * safe for one SMTP reply line: control bytes become spaces, bytes past
 * ASCII become '?', spaces are trimmed at both ends, and it is cut to
 * POL_ANSWER_MAX bytes; NULL or nothing left gives "DUNNO". Returns 0, or -1
 * (b unchanged) when b is at its ceiling. */
int pol_answer(struct buf *b, const char *action_text);

/* The event a request means for the detectors: true and *e filled for a
 * request with a sasl_username at protocol_state END-OF-MESSAGE, or at DATA
 * when at_data is set (a policy service called only from
 * smtpd_data_restrictions; size is then the client's SIZE= estimate).
 * *e: EVT_MESSAGE_ACCEPTED, source "policy", time now, service "smtp" (port
 * 25 or no server_port), "smtps" (465) or "submission" (any other port),
 * account, ip (none for an absent or "unknown" client_address), mech (upper
 * case), sender (EVT_HAS_SENDER; "" is the null sender), nrcpt, size, qid.
 * False for any other request, and when a value does not fit an event field
 * or holds a control byte (evt_set refuses it, as the log parsers do). */
bool pol_req_event(const struct pol_req *r, bool at_data, int64_t now, struct evt *e);

#endif
