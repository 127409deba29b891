/* msg.c - diagnostics in four classes (see msg.h) */
#include "util/msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

static const char *msg_progname = "mailsentry";
static bool msg_error_seen;
static bool msg_quiet;
static bool msg_syslog;

void
msg_set_syslog(bool on)
{
	if (on && !msg_syslog)
		openlog(msg_progname, LOG_PID, LOG_MAIL);
	msg_syslog = on;
}

void
msg_set_progname(const char *name)
{
	msg_progname = name;
}

void
msg_set_quiet(bool quiet)
{
	msg_quiet = quiet;
}

bool
msg_had_error(void)
{
	return msg_error_seen;
}

static void msg_vprint(const char *level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void
msg_vprint(const char *level, const char *fmt, va_list ap)
{
	if (msg_syslog) {
		char text[2048];
		int pri = level == NULL			 ? LOG_INFO
			  : level[0] == 'w'		 ? LOG_WARNING
			  : level[0] == 'e'		 ? LOG_ERR
						 : LOG_CRIT;

		vsnprintf(text, sizeof(text), fmt, ap);
		syslog(pri, "%s%s%s", level ? level : "", level ? ": " : "", text);
		return;
	}
	fflush(stdout);
	if (level != NULL)
		fprintf(stderr, "%s: %s: ", msg_progname, level);
	else
		fprintf(stderr, "%s: ", msg_progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
msg_info(const char *fmt, ...)
{
	va_list ap;

	if (msg_quiet)
		return;
	va_start(ap, fmt);
	msg_vprint(NULL, fmt, ap);
	va_end(ap);
}

void
msg_warn(const char *fmt, ...)
{
	va_list ap;

	if (msg_quiet)
		return;
	va_start(ap, fmt);
	msg_vprint("warning", fmt, ap);
	va_end(ap);
}

void
msg_error(const char *fmt, ...)
{
	va_list ap;

	msg_error_seen = true;
	va_start(ap, fmt);
	msg_vprint("error", fmt, ap);
	va_end(ap);
}

void
msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vprint("fatal", fmt, ap);
	va_end(ap);
	exit(2);
}

void
msg_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vprint("panic", fmt, ap);
	va_end(ap);
	abort();
}
