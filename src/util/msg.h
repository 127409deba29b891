/* msg.h - diagnostics in four classes
 * SUMMARY  msg_warn (report, go on), msg_error (report, remember exit 2),
 *          msg_fatal (exit 2), msg_panic (broken invariant: abort).
 *          Lines read "mailsentry: warning: ...". Attacker-supplied text must
 *          be passed through strv_printable() and printed with %.100s.
 * ERRORS   msg_fatal and msg_panic do not return. */
#ifndef MS_MSG_H
#define MS_MSG_H

#include <stdbool.h>

#define MSG_FMT(a, b) __attribute__((format(printf, a, b)))

void msg_set_progname(const char *name);
/* Send diagnostics to syslog (facility mail) instead of standard error. */
void msg_set_syslog(bool on);
void msg_info(const char *fmt, ...) MSG_FMT(1, 2);
void msg_warn(const char *fmt, ...) MSG_FMT(1, 2);
void msg_error(const char *fmt, ...) MSG_FMT(1, 2);
_Noreturn void msg_fatal(const char *fmt, ...) MSG_FMT(1, 2);
_Noreturn void msg_panic(const char *fmt, ...) MSG_FMT(1, 2);
/* True once msg_error has been called: the command should exit 2. */
bool msg_had_error(void);
/* Silence msg_info/msg_warn (tests, fuzzers). Errors still print. */
void msg_set_quiet(bool quiet);

#endif
