/* act_notify.c - the notification mail, piped to sendmail -t -i
 * SUMMARY  Plain text, UTF-8. With -t sendmail takes the recipients from
 *          To:, Cc: and Bcc:, so a header line smuggled in through an
 *          account name ("a@example.com\r\nBcc: x@example.net") would
 *          send the report elsewhere: header values are written byte by
 *          byte from printable ASCII only, anything else becomes '?'.
 *          The body shows every value, escaped (\xNN) where it is not
 *          printable UTF-8. The mail never refuses to go out because of
 *          what an attacker chose as a name: the alert is the point.
 *          Auto-Submitted: auto-generated keeps vacation responders quiet
 *          (RFC 3834). -i: a line with a single '.' does not end the mail. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "act/act_int.h"
#include "util/mem.h"
#include "util/timeconv.h"
#include "util/utf8.h"

#define MAIL_LINE_MAX 900	/* body lines are wrapped (RFC 5322: 998) */
#define SUBJECT_MAX 200		/* characters of a header value taken from data */

struct mailw {
	struct buf *b;
	size_t limit;	/* b->len at which the mail is full */
	size_t col;
	bool cut;
};

static void
put(struct mailw *w, const char *s, size_t n)
{
	if (w->cut)
		return;
	if (w->b->len + n > w->limit || buf_append(w->b, s, n) != 0) {
		w->cut = true;
		return;
	}
	for (; n > 0; n--, s++)
		w->col = *s == '\n' ? 0 : w->col + 1;
}

static void
puts_(struct mailw *w, const char *s)
{
	put(w, s, strlen(s));
}

/* A header value from data: printable ASCII kept, the rest '?'. */
static void
put_header_value(struct mailw *w, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < SUBJECT_MAX; i++) {
		char c = s[i];

		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
			c = '?';
		put(w, &c, 1);
	}
	if (s[i] != '\0')
		puts_(w, "...");
}

/* Body text: valid UTF-8 kept, control bytes and invalid bytes as \xNN;
 * multiline: '\n' kept (and '\t'), CR dropped; lines wrapped. */
static void
put_text(struct mailw *w, const char *s, bool multiline, const char *indent)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(s), i = 0, n;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (w->col >= MAIL_LINE_MAX) {
			puts_(w, "\n");
			puts_(w, indent);
		}
		if (multiline && c == '\n') {
			puts_(w, "\n");
			if (i + 1 < len)
				puts_(w, indent);
			i++;
			continue;
		}
		if (multiline && c == '\r' && i + 1 < len && s[i + 1] == '\n') {
			i++;
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			put(w, s + i, 1);
			i++;
			continue;
		}
		if (c == '\t' && multiline) {
			put(w, "\t", 1);
			i++;
			continue;
		}
		/* UTF-8 outside the C1 controls (U+0080..U+009F: C2 80..C2 9F). */
		n = c >= 0x80 ? utf8_valid_len(s + i, len - i) : 0;
		if (n > 0 && !(c == 0xc2 && (unsigned char)s[i + 1] < 0xa0)) {
			put(w, s + i, n);
			i += n;
			continue;
		}
		{
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

			put(w, e, 4);
			i++;
		}
	}
}

static void
put_field(struct mailw *w, const char *label, const char *value)
{
	puts_(w, label);
	put_text(w, value, false, "  ");
	puts_(w, "\n");
}

static void
put_time(struct mailw *w, const char *label, int64_t t)
{
	char buf[TIMECONV_RFC3339_LEN];

	if (t <= 0)
		return;
	timeconv_format_utc(t, buf);
	put_field(w, label, buf);
}

/* "Sun, 23 Nov 2026 12:00:00 +0000" (RFC 5322 date-time, in UTC) */
static void
put_date(struct mailw *w, int64_t t)
{
	static const char days[7][4] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t d = t >= 0 ? t / 86400 : (t - 86399) / 86400, s = t - d * 86400;
	char buf[64];
	unsigned m, day;
	int y;

	timeconv_civil_from_days(d, &y, &m, &day);
	snprintf(buf, sizeof(buf), "Date: %s, %02u %s %04d %02u:%02u:%02u +0000\n",
		 days[((d % 7) + 7) % 7], day, months[(m - 1) % 12], y, (unsigned)(s / 3600),
		 (unsigned)(s / 60 % 60), (unsigned)(s % 60));
	puts_(w, buf);
}

int
act_notify_format(const struct act *a, const struct act_incident *inc, int64_t now,
		  struct buf *mail, char *err, size_t errlen)
{
	char kind[ACT_KIND_MAX + 1], line[128];
	struct mailw w = { mail, mail->len + ACT_MAIL_MAX - 64, 0, false };
	bool acc = inc->account != NULL && inc->account[0] != '\0';
	bool ip = inc->ip != NULL && inc->ip[0] != '\0';
	unsigned i;

	if (a->notify_to == NULL || a->notify_from == NULL) {
		snprintf(err, errlen, "notify_to or notify_from is not set");
		return -1;
	}
	/* The kind is ours, not the log's: a bad one is a bug upstream. */
	if (inc->kind == NULL || act_check_kind(inc->kind, kind, sizeof(kind), err, errlen) != 0) {
		if (inc->kind == NULL)
			snprintf(err, errlen, "notify: no kind");
		return -1;
	}

	puts_(&w, "From: ");
	puts_(&w, a->notify_from);	/* checked printable at act_new */
	puts_(&w, "\nTo: ");
	puts_(&w, a->notify_to);
	puts_(&w, "\nSubject: [mailsentry] ");
	puts_(&w, kind);
	if (acc || ip) {
		puts_(&w, ": ");
		put_header_value(&w, acc ? inc->account : inc->ip);
	}
	puts_(&w, "\n");
	put_date(&w, now);
	if (inc->incident != NULL && inc->incident[0] != '\0') {
		puts_(&w, "X-Mailsentry-Incident: ");
		put_header_value(&w, inc->incident);
		puts_(&w, "\n");
	}
	puts_(&w, "Auto-Submitted: auto-generated\n"
		  "MIME-Version: 1.0\n"
		  "Content-Type: text/plain; charset=UTF-8\n"
		  "Content-Transfer-Encoding: 8bit\n"
		  "\n");

	puts_(&w, "mailsentry detected ");
	puts_(&w, kind);
	puts_(&w, ".\n\n");
	if (acc)
		put_field(&w, "Account:         ", inc->account);
	if (ip)
		put_field(&w, "Client IP:       ", inc->ip);
	if (inc->incident != NULL && inc->incident[0] != '\0')
		put_field(&w, "Incident:        ", inc->incident);
	put_time(&w, "First evidence:  ", inc->first_evidence);
	put_time(&w, "Detected at:     ", inc->detected_at);
	if (inc->ncounts > 0) {
		puts_(&w, "\nCounts:\n");
		for (i = 0; i < inc->ncounts && i < ACT_COUNTS_MAX; i++) {
			if (inc->counts[i].name == NULL)
				continue;
			puts_(&w, "  ");
			put_text(&w, inc->counts[i].name, false, "  ");
			snprintf(line, sizeof(line), ": %" PRIu64 "\n", inc->counts[i].value);
			puts_(&w, line);
		}
	}
	if (inc->signals != NULL && inc->signals[0] != '\0') {
		puts_(&w, "\nSignals:\n  ");
		put_text(&w, inc->signals, true, "  ");
		if (w.col != 0)
			puts_(&w, "\n");
	}
	if (inc->actions != NULL && inc->actions[0] != '\0') {
		puts_(&w, "\nActions:\n  ");
		put_text(&w, inc->actions, true, "  ");
		if (w.col != 0)
			puts_(&w, "\n");
	}
	puts_(&w, "\n-- \nmailsentry\n");
	if (w.cut) {
		w.cut = false;
		w.limit += 64;
		puts_(&w, "\n[cut: a notification is at most 64 KiB]\n");
	}
	return 0;
}

int
act_notify(const struct act *a, const struct act_incident *inc, bool dry_run,
	   struct act_result *r)
{
	struct act_exec_result *x;
	const char *argv[4];
	struct act_cmd cmd;
	struct buf mail;
	char e[sizeof(r->err)];
	int rc;

	act_res_init(r, dry_run);
	if (a->sendmail == NULL)
		return act_res_fail(r, "sendmail_path is not set: no notification");
	buf_init(&mail, ACT_MAIL_MAX);
	if (act_notify_format(a, inc, (int64_t)time(NULL), &mail, e, sizeof(e)) != 0) {
		buf_release(&mail);
		return act_res_fail(r, "%s", e);
	}
	argv[0] = a->sendmail;
	argv[1] = "-t";
	argv[2] = "-i";
	argv[3] = NULL;
	act_res_cmd(r, argv);
	if (dry_run) {
		r->ok = true;
		act_res_out(r, mail.data, mail.len);
		buf_release(&mail);
		return 0;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.in = mail.data;
	cmd.in_len = mail.len;
	cmd.timeout_ms = a->timeout_ms;
	x = mem_alloc(sizeof(*x));
	rc = act_res_run(r, &cmd, NULL, 0, x);
	if (rc == 0 && x->in_written < mail.len) {
		rc = act_res_fail(r, "sendmail read %zu of the %zu bytes of the mail",
				  x->in_written, mail.len);
	}
	mem_free(x);
	buf_release(&mail);
	return rc;
}
