/* qq_net.h - one policy request to the daemon, within a deadline
 * SUMMARY  qq_ask connects to the policy service (TCP or a Unix socket,
 *          non-blocking, close-on-exec), sends one request, and reads until
 *          the answer's empty line, all within timeout_ms of the call; the
 *          socket is closed before it returns, whatever happened. A daemon
 *          that accepts and never answers costs timeout_ms, no more.
 * LIMITS   QQ_ANSWER_MAX bytes are read at most.
 * ERRORS   -1 with one line in err: what failed and how ("connect:
 *          Connection refused", "no answer within 2000 ms", "closed the
 *          connection without answering", "bad answer: unknown action"). */
#ifndef MS_QQ_NET_H
#define MS_QQ_NET_H

#include <stddef.h>

#include "qmailq/qq_proto.h"

/* raw (rawsize >= QQ_ANSWER_MAX) receives the answer's bytes, *rawlen
 * their count, even on error (for --check). */
int qq_ask(const struct qq_addr *addr, const char *req, size_t reqlen, int timeout_ms,
	   struct qq_answer *a, char *raw, size_t rawsize, size_t *rawlen, char *err,
	   size_t errlen);

#endif
