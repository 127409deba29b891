/* qq_main.c - mailsentry-qmail-queue: a QMAILQUEUE wrapper for qmail-smtpd
 * SUMMARY  qmail-smtpd runs $QMAILQUEUE at the DATA command, before it
 *          answers 354, with the message coming on descriptor 0 and the
 *          envelope on descriptor 1 (qmail-queue(8)). This program decides
 *          from the environment alone - the authenticated user as the SMTP
 *          AUTH patches leave it, the client address tcpserver sets - with
 *          one Postfix policy request (protocol_state=DATA) to mailsentry
 *          serve, and then either execs the real qmail-queue with every
 *          descriptor untouched, or exits with qmail-queue's code for a
 *          refusal (31 permanent, 71 temporary) without reading a byte.
 *
 *          It reads neither descriptor before deciding because qmail-smtpd
 *          writes the envelope only after the whole message and after
 *          closing the message pipe: whoever reads the envelope must first
 *          take in the message (qmail-queue writes it to the queue), or
 *          qmail-smtpd blocks on a full pipe. Exec'ing keeps the message's
 *          path exactly qmail's own, and the pid qmail-smtpd reports as
 *          "qp" is the real qmail-queue's.
 *
 *          Unauthenticated mail is passed on without asking (unless
 *          MAILSENTRY_ASK=always): the daemon has no verdict for it. If the
 *          daemon cannot be asked (down, slow, garbage), the mail is passed
 *          on (MAILSENTRY_FAIL=open, the default) or refused for now (71).
 *          One line on stderr (qmail-smtpd's log) per refusal or failure.
 * LIMITS   see qq_proto.h; the daemon is given MAILSENTRY_TIMEOUT (2 s).
 * ERRORS   exit codes: see usage(). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "qmailq/qq_net.h"
#include "qmailq/qq_proto.h"

#define QQ_PROG "mailsentry-qmail-queue"
#define QQ_DEF_POLICY "inet:127.0.0.1:10040"
#define QQ_DEF_TIMEOUT_MS 2000
#define QQ_DEF_QMAILQUEUE "/var/qmail/bin/qmail-queue"
#define QQ_DEF_AUTH_VARS "SMTPAUTHUSER SMTP_AUTH_USER TCPREMOTEINFO TCP6REMOTEINFO"
#define QQ_LOG_MAX 1024		/* one log line */
#define QQ_SHOW_MAX 104		/* an untrusted value in a log line: 100 bytes + "..." */

static const char qq_usage[] =
	"usage: " QQ_PROG "\n"
	"       " QQ_PROG " --check\n"
	"       " QQ_PROG " --help\n"
	"\n"
	"A QMAILQUEUE program for qmail-smtpd: refuses the mail of accounts that\n"
	"mailsentry has locked, or that exceed their sending rate, before it is\n"
	"queued; passes everything else to the real qmail-queue.\n"
	"\n"
	"DESCRIPTION\n"
	"  qmail-smtpd runs $QMAILQUEUE (instead of bin/qmail-queue) when a client\n"
	"  sends DATA, with the message on descriptor 0 and the envelope on\n"
	"  descriptor 1. This program reads neither. It takes the authenticated\n"
	"  user from the environment (the first non-empty variable of\n"
	"  MAILSENTRY_AUTH_VARS) and the client address from TCPREMOTEIP (or\n"
	"  TCP6REMOTEIP), asks the mailsentry daemon with one Postfix policy\n"
	"  request (request=smtpd_access_policy, protocol_state=DATA,\n"
	"  client_address, sasl_username; sender from SMTPMAILFROM when qmail-spp\n"
	"  set it; server_address and server_port from TCPLOCALIP, TCPLOCALPORT),\n"
	"  and acts on the answer:\n"
	"    OK, DUNNO, DEFER_IF_REJECT  exec the real qmail-queue, descriptors\n"
	"                                untouched (same process: qmail-smtpd's\n"
	"                                \"qp\" is the real qmail-queue's pid)\n"
	"    REJECT, 5NN                 exit 31: \"554 mail server permanently\n"
	"                                rejected message (#5.3.0)\"\n"
	"    DEFER, DEFER_IF_PERMIT, 4NN exit 71: \"451 mail server temporarily\n"
	"                                rejected message (#4.3.0)\"\n"
	"    HOLD                        qmail has no hold queue: queue it and log\n"
	"                                it (MAILSENTRY_HOLD=defer: exit 71)\n"
	"    DISCARD                     read the message and the envelope, queue\n"
	"                                nothing, exit 0 (the client sees 250)\n"
	"    PREPEND WARN INFO FILTER REDIRECT BCC\n"
	"                                cannot be done here: queue it and log it\n"
	"  Mail without an authenticated user is passed on without asking (the\n"
	"  daemon has no verdict for it), unless MAILSENTRY_ASK=always.\n"
	"  If the daemon cannot be asked (refused, no answer within the timeout,\n"
	"  a malformed answer, a bad setting), the mail is passed on\n"
	"  (MAILSENTRY_FAIL=open) or refused for now (MAILSENTRY_FAIL=closed: 71).\n"
	"  Each refusal and each failure is one line on standard error, which\n"
	"  qmail-smtpd's run script sends to its log:\n"
	"    " QQ_PROG ": qp 4711: refused (exit 31): account a@example.com\n"
	"    client 192.0.2.7: REJECT 5.7.1 account suspended: ...\n"
	"\n"
	"ENVIRONMENT\n"
	"  MAILSENTRY_POLICY      the daemon's policy service: inet:HOST:PORT\n"
	"                         (numeric; IPv6 as inet:[::1]:PORT) or unix:/PATH\n"
	"                         (default " QQ_DEF_POLICY ")\n"
	"  MAILSENTRY_TIMEOUT     connect, send and answer within this time: 2s,\n"
	"                         500ms, 2 (seconds); 1ms..60s (default 2s)\n"
	"  MAILSENTRY_FAIL        open: queue the mail when the daemon cannot be\n"
	"                         asked; closed: exit 71 (default open)\n"
	"  MAILSENTRY_QMAILQUEUE  the program to exec to queue the mail (default\n"
	"                         " QQ_DEF_QMAILQUEUE "); another QMAILQUEUE\n"
	"                         filter (simscan, qmail-qfilter) chains here\n"
	"  MAILSENTRY_AUTH_VARS   where the authenticated user is, first non-empty\n"
	"                         wins (default: " QQ_DEF_AUTH_VARS ")\n"
	"                         Caution: TCPREMOTEINFO is also set by\n"
	"                         tcpserver's ident lookup (run it with -R) and by\n"
	"                         some AUTH patches from MAIL FROM's AUTH=\n"
	"                         parameter; see docs/qmail.md\n"
	"  MAILSENTRY_ASK         auth: ask only for authenticated mail;\n"
	"                         always: ask for all mail (default auth)\n"
	"  MAILSENTRY_HOLD        accept or defer: what HOLD does (default accept)\n"
	"  MAILSENTRY_ERRFD       a descriptor on which qmail-smtpd reads a custom\n"
	"                         error with exit 82 (qmail-queue custom-error\n"
	"                         patch: 4; notqmail: 6); the daemon's text then\n"
	"                         reaches the client. Empty: off (default)\n"
	"  Read, never changed: TCPREMOTEIP, TCP6REMOTEIP, TCPLOCALIP,\n"
	"  TCP6LOCALIP, TCPLOCALPORT, TCP6LOCALPORT (tcpserver), SMTPMAILFROM\n"
	"  (qmail-spp), and the variables of MAILSENTRY_AUTH_VARS.\n"
	"\n"
	"OPTIONS (by hand only; qmail-smtpd passes none)\n"
	"  --check   ask the daemon as for a message in this environment and say\n"
	"            what would be done; descriptors 0 and 1 are not read and\n"
	"            nothing is queued (the request counts toward the account's\n"
	"            rate like a message). Exit 0 answered (or nothing to ask),\n"
	"            1 the daemon could not be asked, 2 a bad setting.\n"
	"  --help    this text.\n"
	"\n"
	"EXIT CODES\n"
	"  That of the real qmail-queue when it is exec'd; 0 after DISCARD;\n"
	"  31 refused; 71 deferred, or failed closed; 82 refused or deferred with\n"
	"  a custom error written on MAILSENTRY_ERRFD; 55 MAILSENTRY_QMAILQUEUE is\n"
	"  this program itself; 120 the real qmail-queue could not be exec'd.\n"
	"\n"
	"EXAMPLE\n"
	"  /etc/tcp.smtp (tcprules), for all clients:\n"
	"    :allow,QMAILQUEUE=\"/usr/local/bin/" QQ_PROG "\"\n"
	"  See docs/qmail.md for run scripts, vpopmail hooks and log following.\n";

struct qq_conf {
	const char *policy;		/* as given, for messages */
	struct qq_addr addr;
	int timeout_ms;
	bool fail_closed;
	const char *qmailqueue;
	char names[QQ_NAMES_MAX][QQ_NAME_MAX];
	size_t nnames;
	bool ask_always;
	bool hold_defer;
	int errfd;			/* -1: off */
	char bad[256];			/* the first bad setting, "" if none */
};

static void qq_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, written at once (multilog sees whole lines). */
static void
qq_log(const char *fmt, ...)
{
	char line[QQ_LOG_MAX];
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof(line), "%s: qp %ld: ", QQ_PROG, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	while (write(2, line, (size_t)n) < 0 && errno == EINTR)
		;
}

static void qq_bad(struct qq_conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Remember the first bad setting. */
static void
qq_bad(struct qq_conf *c, const char *fmt, ...)
{
	va_list ap;

	if (c->bad[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(c->bad, sizeof(c->bad), fmt, ap);
	va_end(ap);
}

/* getenv, with an empty value meaning unset. */
static const char *
qq_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static void
qq_conf_load(struct qq_conf *c)
{
	const char *v, *err = NULL;
	char show[QQ_SHOW_MAX];

	memset(c, 0, sizeof(*c));
	c->policy = QQ_DEF_POLICY;
	c->timeout_ms = QQ_DEF_TIMEOUT_MS;
	c->qmailqueue = QQ_DEF_QMAILQUEUE;
	c->errfd = -1;
	qq_names_parse(QQ_DEF_AUTH_VARS, c->names, &c->nnames, &err);
	qq_addr_parse(QQ_DEF_POLICY, &c->addr, &err);

	if ((v = qq_env("MAILSENTRY_POLICY")) != NULL) {
		if (qq_addr_parse(v, &c->addr, &err) == 0) {
			c->policy = v;
		} else {
			qq_printable(v, strlen(v), show, sizeof(show));
			qq_bad(c, "MAILSENTRY_POLICY \"%s\": %s", show, err);
		}
	}
	if ((v = qq_env("MAILSENTRY_TIMEOUT")) != NULL &&
	    qq_duration_parse(v, &c->timeout_ms, &err) < 0) {
		qq_printable(v, strlen(v), show, sizeof(show));
		qq_bad(c, "MAILSENTRY_TIMEOUT \"%s\": %s", show, err);
	}
	if ((v = qq_env("MAILSENTRY_FAIL")) != NULL) {
		if (strcmp(v, "closed") == 0) {
			c->fail_closed = true;
		} else if (strcmp(v, "open") != 0) {
			qq_printable(v, strlen(v), show, sizeof(show));
			qq_bad(c, "MAILSENTRY_FAIL \"%s\": want open or closed", show);
		}
	}
	if ((v = qq_env("MAILSENTRY_QMAILQUEUE")) != NULL)
		c->qmailqueue = v;
	if ((v = qq_env("MAILSENTRY_AUTH_VARS")) != NULL &&
	    qq_names_parse(v, c->names, &c->nnames, &err) < 0) {
		qq_printable(v, strlen(v), show, sizeof(show));
		qq_bad(c, "MAILSENTRY_AUTH_VARS \"%s\": %s", show, err);
		qq_names_parse(QQ_DEF_AUTH_VARS, c->names, &c->nnames, &err);
	}
	if ((v = qq_env("MAILSENTRY_ASK")) != NULL) {
		if (strcmp(v, "always") == 0) {
			c->ask_always = true;
		} else if (strcmp(v, "auth") != 0) {
			qq_printable(v, strlen(v), show, sizeof(show));
			qq_bad(c, "MAILSENTRY_ASK \"%s\": want auth or always", show);
		}
	}
	if ((v = qq_env("MAILSENTRY_HOLD")) != NULL) {
		if (strcmp(v, "defer") == 0) {
			c->hold_defer = true;
		} else if (strcmp(v, "accept") != 0) {
			qq_printable(v, strlen(v), show, sizeof(show));
			qq_bad(c, "MAILSENTRY_HOLD \"%s\": want accept or defer", show);
		}
	}
	if ((v = qq_env("MAILSENTRY_ERRFD")) != NULL) {
		if (v[0] >= '3' && v[0] <= '9' && v[1] == '\0') {
			c->errfd = v[0] - '0';
		} else {
			qq_printable(v, strlen(v), show, sizeof(show));
			qq_bad(c, "MAILSENTRY_ERRFD \"%s\": want one descriptor, 3-9", show);
		}
	}
}

/* The authenticated user: the first non-empty variable of the list. */
static const char *
qq_account(const struct qq_conf *c, const char **from)
{
	size_t i;

	for (i = 0; i < c->nnames; i++) {
		const char *v = qq_env(c->names[i]);

		if (v != NULL) {
			*from = c->names[i];
			return v;
		}
	}
	*from = NULL;
	return NULL;
}

/* TCPREMOTEIP or TCP6REMOTEIP (ucspi-tcp6, s/qmail) made canonical. */
static const char *
qq_ip(const char *v4name, const char *v6name, char *buf, size_t size)
{
	const char *v = qq_env(v4name);

	if (v == NULL)
		v = qq_env(v6name);
	if (v == NULL || qq_ip_canon(v, buf, size) < 0)
		return NULL;
	return buf;
}

static const char *
qq_port(void)
{
	const char *v = qq_env("TCPLOCALPORT");
	size_t i;

	if (v == NULL)
		v = qq_env("TCP6LOCALPORT");
	if (v == NULL || strnlen(v, 6) > 5)
		return NULL;
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] < '0' || v[i] > '9')
			return NULL;
	return v;
}

/* exec the real qmail-queue with every descriptor and the environment as
 * they are; returns only to exit when it cannot. */
static void
qq_exec(const struct qq_conf *c)
{
	char *const args[] = { (char *)(uintptr_t)c->qmailqueue, NULL };
	struct stat self, target;
	char show[QQ_SHOW_MAX];
	int e;

	/* A wrapper exec'ing itself would do so forever. */
	if (stat(c->qmailqueue, &target) == 0 && stat("/proc/self/exe", &self) == 0 &&
	    target.st_dev == self.st_dev && target.st_ino == self.st_ino) {
		qq_printable(c->qmailqueue, strlen(c->qmailqueue), show, sizeof(show));
		qq_log("MAILSENTRY_QMAILQUEUE \"%s\" is this program itself: set it to the "
		       "real qmail-queue (exit 55)",
		       show);
		_exit(QQ_EXIT_CONF);
	}
	execv(c->qmailqueue, args);
	e = errno;
	qq_printable(c->qmailqueue, strlen(c->qmailqueue), show, sizeof(show));
	qq_log("cannot exec \"%s\": %s (exit 120)", show, strerror(e));
	_exit(QQ_EXIT_NOEXEC);
}

/* Refuse: exit 31 or 71, or 82 with the daemon's text on the custom-error
 * descriptor when MAILSENTRY_ERRFD names a pipe. */
static void
qq_refuse(const struct qq_conf *c, bool permanent, const struct qq_answer *a)
{
	char msg[256];
	struct stat st;
	size_t n;
	ssize_t w;

	if (c->errfd >= 0 && fstat(c->errfd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		n = qq_custom_error(permanent, a, msg, sizeof(msg));
		/* Our end of the pipe is ours alone: never block on it. */
		(void)fcntl(c->errfd, F_SETFL, fcntl(c->errfd, F_GETFL) | O_NONBLOCK);
		do
			w = write(c->errfd, msg, n);
		while (w < 0 && errno == EINTR);
		if (w == (ssize_t)n)
			_exit(QQ_EXIT_CUSTOM);
	}
	_exit(permanent ? QQ_EXIT_PERM : QQ_EXIT_TEMP);
}

/* Read a descriptor to its end, keeping nothing. */
static void
qq_drain(int fd)
{
	char buf[65536];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
}

/* The daemon could not be asked: pass the mail on, or refuse it for now. */
static void
qq_failure(const struct qq_conf *c, const char *who, const char *why)
{
	char show[QQ_SHOW_MAX];

	qq_printable(c->policy, strlen(c->policy), show, sizeof(show));
	if (c->fail_closed) {
		qq_log("%s: policy service %s: %s; failing closed (exit 71)", who, show, why);
		_exit(QQ_EXIT_TEMP);
	}
	qq_log("%s: policy service %s: %s; failing open (queued)", who, show, why);
	qq_exec(c);
}

/* Everything but the exec or the exit: what to ask and the answer. With
 * check set, print each step on stdout instead of acting. */
struct qq_run {
	const char *account, *from;
	char who[2 * QQ_SHOW_MAX + 32];	/* "account X client Y" for log lines */
	char req[QQ_REQ_MAX];
	int reqlen;
	char raw[QQ_ANSWER_MAX];
	size_t rawlen;
	struct qq_answer ans;
	char err[256];
};

/* Build the request and ask. 0 answered; -1 with r->err. */
static int
qq_query(const struct qq_conf *c, struct qq_run *r)
{
	char ip[64], lip[64], sa[QQ_SHOW_MAX], sc[QQ_SHOW_MAX];
	const char *client = qq_ip("TCPREMOTEIP", "TCP6REMOTEIP", ip, sizeof(ip));
	const char *sender = getenv("SMTPMAILFROM"), *err = NULL;
	struct qq_req q = {
		.protocol_state = "DATA",
		.client_address = client != NULL ? client : "unknown",
		.sasl_username = r->account,
		.server_address = qq_ip("TCPLOCALIP", "TCP6LOCALIP", lip, sizeof(lip)),
		.server_port = qq_port(),
	};

	if (sender != NULL && qq_value_ok(sender, true))
		q.sender = sender;
	if (r->account != NULL)
		qq_printable(r->account, strlen(r->account), sa, sizeof(sa));
	else
		snprintf(sa, sizeof(sa), "(none)");
	qq_printable(q.client_address, strlen(q.client_address), sc, sizeof(sc));
	snprintf(r->who, sizeof(r->who), "account %s client %s", sa, sc);
	if (c->bad[0] != '\0') {
		snprintf(r->err, sizeof(r->err), "%s", c->bad);
		return -1;
	}
	if (r->account != NULL && !qq_value_ok(r->account, false)) {
		snprintf(r->err, sizeof(r->err),
			 "$%s is not an account name (a control byte, or over %d bytes)", r->from,
			 QQ_VALUE_MAX - 1);
		return -1;
	}
	if ((r->reqlen = qq_req_format(&q, r->req, sizeof(r->req), &err)) < 0) {
		snprintf(r->err, sizeof(r->err), "request: %s", err);
		return -1;
	}
	return qq_ask(&c->addr, r->req, (size_t)r->reqlen, c->timeout_ms, &r->ans, r->raw,
		      sizeof(r->raw), &r->rawlen, r->err, sizeof(r->err));
}

static void
qq_act(const struct qq_conf *c, struct qq_run *r)
{
	char text[QQ_SHOW_MAX * 2], word[48];
	const struct qq_answer *a = &r->ans;

	qq_printable(a->word, strlen(a->word), word, sizeof(word));
	qq_printable(a->text, strlen(a->text), text, sizeof(text));
	switch (a->verdict) {
	case QQ_DUNNO:
		break;
	case QQ_REJECT:
		qq_log("%s: refused (exit 31): %s %s", r->who, word, text);
		qq_refuse(c, true, a);
		break;
	case QQ_DEFER:
		qq_log("%s: deferred (exit 71): %s %s", r->who, word, text);
		qq_refuse(c, false, a);
		break;
	case QQ_HOLD:
		if (c->hold_defer) {
			qq_log("%s: held, as a deferral (MAILSENTRY_HOLD=defer, exit 71): %s %s",
			       r->who, word, text);
			qq_refuse(c, false, a);
		}
		qq_log("%s: qmail has no hold queue: queued anyway: %s %s", r->who, word, text);
		break;
	case QQ_DISCARD:
		qq_log("%s: discarded (exit 0, nothing queued): %s %s", r->who, word, text);
		qq_drain(0);
		qq_drain(1);
		_exit(0);
	case QQ_IGNORED:
		qq_log("%s: %s cannot be done by a QMAILQUEUE program: queued: %s", r->who, word,
		       text);
		break;
	}
	qq_exec(c);
}

static int
qq_check(void)
{
	struct qq_conf c;
	struct qq_run r;
	char show[QQ_SHOW_MAX * 2];
	size_t i;
	int rc;

	qq_conf_load(&c);
	memset(&r, 0, sizeof(r));
	r.account = qq_account(&c, &r.from);
	printf("policy service  %s\n", c.policy);
	printf("timeout         %d ms\n", c.timeout_ms);
	printf("on failure      %s\n", c.fail_closed ? "closed (exit 71)" : "open (queue the mail)");
	printf("qmail-queue     %s\n", c.qmailqueue);
	printf("auth variables ");
	for (i = 0; i < c.nnames; i++)
		printf(" %s", c.names[i]);
	printf("\nask             %s\n", c.ask_always ? "always" : "auth (authenticated mail only)");
	if (c.bad[0] != '\0') {
		printf("bad setting     %s\n", c.bad);
		return 2;
	}
	if (r.account == NULL && !c.ask_always) {
		printf("account         none: no authenticated user in the environment\n");
		printf("outcome         queue (exec %s) without asking\n", c.qmailqueue);
		return 0;
	}
	if (r.account != NULL) {
		qq_printable(r.account, strlen(r.account), show, sizeof(show));
		printf("account         %s (from $%s)\n", show, r.from);
	}
	rc = qq_query(&c, &r);
	if (r.reqlen > 0) {
		printf("request:\n");
		fwrite(r.req, 1, (size_t)r.reqlen, stdout);
	}
	if (r.rawlen > 0) {
		qq_printable(r.raw, r.rawlen, show, sizeof(show));
		printf("answer          %s\n", show);
	}
	if (rc < 0) {
		printf("failure         %s\n", r.err);
		printf("outcome         %s\n",
		       c.fail_closed ? "exit 71 (fail closed)" : "queue (fail open)");
		return 1;
	}
	switch (r.ans.verdict) {
	case QQ_DUNNO:
	case QQ_IGNORED:
		printf("outcome         queue (exec %s)\n", c.qmailqueue);
		break;
	case QQ_REJECT:
		printf("outcome         refuse (exit 31)\n");
		break;
	case QQ_DEFER:
		printf("outcome         defer (exit 71)\n");
		break;
	case QQ_HOLD:
		printf("outcome         %s\n", c.hold_defer ? "defer (exit 71)" : "queue, logged");
		break;
	case QQ_DISCARD:
		printf("outcome         discard (exit 0, nothing queued)\n");
		break;
	}
	return 0;
}

/* Descriptor 2 must be open: a socket landing on it would get our log. */
static void
qq_stderr(void)
{
	int fd;

	if (fcntl(2, F_GETFD) >= 0 || errno != EBADF)
		return;
	fd = open("/dev/null", O_WRONLY);
	if (fd >= 0 && fd != 2)
		close(fd);	/* 0 or 1 was closed too: leave them be */
}

int
main(int argc, char **argv)
{
	struct qq_conf c;
	struct qq_run r;

	if (argc > 1) {
		if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			fputs(qq_usage, stdout);
			return 0;
		}
		if (argc == 2 && strcmp(argv[1], "--check") == 0)
			return qq_check();
		fputs(qq_usage, stderr);
		return 2;
	}
	qq_stderr();
	qq_conf_load(&c);
	memset(&r, 0, sizeof(r));
	r.account = qq_account(&c, &r.from);
	if (r.account == NULL && !c.ask_always)
		qq_exec(&c);
	if (qq_query(&c, &r) < 0)
		qq_failure(&c, r.who, r.err);
	qq_act(&c, &r);
	return QQ_EXIT_NOEXEC;	/* not reached: qq_act execs or exits */
}
