/* qq_proto.h - the qmail-queue wrapper's pure parts: settings values, the
 *              policy request, the policy answer
 * SUMMARY  Everything mailsentry-qmail-queue decides that needs no I/O, so
 *          that tests/fuzz/fuzz_qmailq.c can include qq_proto.c and run it
 *          on arbitrary bytes: the policy service address ("inet:HOST:PORT",
 *          "unix:/PATH", numeric hosts only: no DNS), durations ("2s",
 *          "500ms"), the list of environment variable names that may hold
 *          the authenticated user, one Postfix policy request (the same
 *          protocol as Postfix's check_policy_service, SMTPD_POLICY_README),
 *          the daemon's answer ("action=TEXT\n\n") and what an action means
 *          to qmail-smtpd (qmail-queue exit codes, qmail-queue(8)).
 * LIMITS   QQ_VALUE_MAX bytes of a value taken from the environment;
 *          QQ_REQ_MAX bytes of a request; QQ_ANSWER_MAX bytes of an answer,
 *          empty line included; QQ_NAMES_MAX variable names of
 *          QQ_NAME_MAX bytes; QQ_TEXT_MAX bytes of an action text kept.
 * ERRORS   Functions return 0 or -1 (or a status) and put a static or
 *          caller-buffered message in *err; they never print. */
#ifndef MS_QQ_PROTO_H
#define MS_QQ_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#define QQ_VALUE_MAX 320	/* incl. NUL: an account or address (core/limits.h LIMIT_ACCOUNT_MAX) */
#define QQ_REQ_MAX 2048		/* bytes of the request we send; it needs ~600 at most */
#define QQ_ANSWER_MAX 1024	/* bytes of an answer: "action=" + 512 (POL_ANSWER_MAX) + slack */
#define QQ_TEXT_MAX 512		/* bytes of an action text kept (POL_ANSWER_MAX) */
#define QQ_NAMES_MAX 8		/* variable names in MAILSENTRY_AUTH_VARS */
#define QQ_NAME_MAX 64		/* incl. NUL: one variable name */
#define QQ_PATH_MAX 108		/* incl. NUL: sizeof(sun_path) on Linux */
#define QQ_TIMEOUT_MIN_MS 1
#define QQ_TIMEOUT_MAX_MS 60000

/* qmail-queue(8) exit codes that qmail-smtpd turns into replies (qmail.c). */
#define QQ_EXIT_PERM 31		/* "554 mail server permanently rejected message (#5.3.0)" */
#define QQ_EXIT_CONF 55		/* "451 qq unable to read configuration (#4.3.0)" */
#define QQ_EXIT_TEMP 71		/* "451 mail server temporarily rejected message (#4.3.0)" */
#define QQ_EXIT_CUSTOM 82	/* custom-error patches: the reply is read from a descriptor */
#define QQ_EXIT_NOEXEC 120	/* "451 unable to exec qq (#4.3.0)" */

/* Where the policy service listens. */
struct qq_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;			/* AF_INET, AF_INET6 or AF_UNIX */
};

/* "inet:HOST:PORT" (HOST an IPv4 address, or an IPv6 one in brackets) or
 * "unix:/PATH" (absolute, shorter than QQ_PATH_MAX). 0, or -1 with *err. */
int qq_addr_parse(const char *s, struct qq_addr *a, const char **err);

/* "2s", "500ms", "2" (seconds) into milliseconds within
 * QQ_TIMEOUT_MIN_MS..QQ_TIMEOUT_MAX_MS. 0, or -1 with *err. */
int qq_duration_parse(const char *s, int *ms, const char **err);

/* Variable names separated by blanks or commas: 1..QQ_NAMES_MAX names of
 * [A-Za-z0-9_], 1..QQ_NAME_MAX-1 bytes, not starting with a digit. 0 with
 * *n set, or -1 with *err (names and *n then unspecified). */
int qq_names_parse(const char *s, char names[QQ_NAMES_MAX][QQ_NAME_MAX], size_t *n,
		   const char **err);

/* A value that may go into a request: at most QQ_VALUE_MAX - 1 bytes, no
 * control byte (below 0x20, or 0x7f); empty only when empty_ok. */
bool qq_value_ok(const char *s, bool empty_ok);

/* An IPv4 or IPv6 address in s, written back canonical (inet_ntop; an
 * IPv4-mapped IPv6 address as plain IPv4) into out. 0 or -1. */
int qq_ip_canon(const char *s, char *out, size_t outsize);

/* What goes into the request. NULL fields are left out; every non-NULL one
 * must pass qq_value_ok (sender may be "": the null sender). */
struct qq_req {
	const char *protocol_state;	/* "DATA" */
	const char *client_address;	/* "unknown" when none */
	const char *sasl_username;
	const char *sender;
	const char *server_address;
	const char *server_port;
};

/* Write the request (attribute lines, then the empty line) into buf.
 * Returns its length, or -1 when a value is not acceptable or it does not
 * fit (*err says which). */
int qq_req_format(const struct qq_req *r, char *buf, size_t size, const char **err);

/* What an action means for qmail. */
enum qq_verdict {
	QQ_DUNNO,	/* OK, DUNNO, DEFER_IF_REJECT: queue it */
	QQ_REJECT,	/* REJECT, 5NN: exit 31 */
	QQ_DEFER,	/* DEFER, DEFER_IF_PERMIT, 4NN: exit 71 */
	QQ_HOLD,	/* HOLD: qmail has no hold queue (MAILSENTRY_HOLD) */
	QQ_DISCARD,	/* DISCARD: read the message, queue nothing, exit 0 */
	QQ_IGNORED,	/* PREPEND, WARN, INFO, FILTER, REDIRECT, BCC: queue it, say so */
};

struct qq_answer {
	enum qq_verdict verdict;
	char word[24];			/* the action word as sent, for the log */
	char text[QQ_TEXT_MAX];		/* what follows the word, trimmed; for 4NN/5NN the whole action */
};

enum qq_status {
	QQ_MORE,	/* no empty line yet: read more and call again */
	QQ_OK,		/* *a filled */
	QQ_BAD,		/* not an answer: *err says why */
};

/* Look for a complete answer at the start of buf[0..len): lines
 * "name=value\n" ("\r\n" too) ended by an empty line, exactly one named
 * "action" (others are ignored; names are [a-z0-9_]+), at most
 * QQ_ANSWER_MAX bytes. QQ_MORE until the empty line is there (QQ_BAD once
 * len reaches QQ_ANSWER_MAX without it); a line is checked as soon as it is
 * complete. The action word is matched without regard to case (as Postfix
 * does); an unknown word is QQ_BAD. */
enum qq_status qq_answer_parse(const char *buf, size_t len, struct qq_answer *a,
			       const char **err);

/* "dunno", "reject", "defer", "hold", "discard", "ignored". */
const char *qq_verdict_name(enum qq_verdict v);

/* s made fit for one log line: bytes outside printable ASCII as \xNN, cut
 * (with "...") to fit out; out always NUL-terminated (outsize > 0). */
void qq_printable(const char *s, size_t len, char *out, size_t outsize);

/* The custom-error string for qmail-smtpd ("D" permanent or "Z" temporary,
 * then the text): printable ASCII only (other bytes become '?'), at most
 * outsize - 1 bytes and never more than 200 (notqmail reads 255). Returns
 * its length. */
size_t qq_custom_error(bool permanent, const struct qq_answer *a, char *out, size_t outsize);

#endif
