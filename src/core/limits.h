/* limits.h - every ceiling on untrusted input, with its reason
 * SUMMARY  Log lines and protocol requests may be written by an attacker;
 *          each length we accept from them has a name here. */
#ifndef MS_LIMITS_H
#define MS_LIMITS_H

/* One log line. syslog daemons cut at 1-8 KiB (rsyslog's default
 * maxMessageSize is 8 KiB); longer lines are counted and skipped up to the
 * next newline, never split into two lines. */
#define LIMIT_LINE_MAX 8192

/* Decoder memory for one compressed input (xz dictionary, zstd window).
 * xz -9 needs 65 MiB and zstd's own default ceiling is 128 MiB; a header
 * asking for more is refused rather than allocated. */
#define LIMIT_DECOMP_MEMORY (128UL << 20)

/* Event fields. An account or address longer than these is not a real one
 * (RFC 5321: 64-byte local part + 255-byte domain); such lines are counted
 * as malformed. Free-text fields (reason, relay) are cut instead. */
#define LIMIT_ACCOUNT_MAX 320	/* incl. NUL */
#define LIMIT_ADDR_MAX 320	/* envelope sender / recipient, incl. NUL */
#define LIMIT_QID_MAX 40	/* Postfix long ids 15-17, Exim 23, Sendmail 14 */
#define LIMIT_SERVICE_MAX 24
#define LIMIT_MECH_MAX 24
#define LIMIT_RELAY_MAX 160
#define LIMIT_DSN_MAX 12
#define LIMIT_REASON_MAX 200
#define LIMIT_HOST_MAX 64

/* Events one log line may produce (a Sendmail line with several to=). */
#define LIMIT_EVENTS_PER_LINE 4

/* Correlation: messages remembered while waiting for their deliveries.
 * The oldest are forgotten past this count or past the age limit. */
#define LIMIT_CORR_MESSAGES 1000000
#define LIMIT_CORR_AGE_SECONDS (8 * 86400)	/* Postfix maximal_queue_lifetime 5d + slack */

/* Report: exact distinct IPs remembered per account; past it counts go on
 * approximately and the report says "more than". */
#define LIMIT_REPORT_IPS_PER_ACCOUNT 65536

/* Diagnostics: skipped lines shown by --verbose. */
#define LIMIT_VERBOSE_SAMPLES 5

#endif
