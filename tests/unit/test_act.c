/* test_act.c - act/: value checks, templates, exec, and each action
 * The programs run are small sh scripts written to a scratch folder at
 * start: one records its argv (one "[arg]" line each), fake postqueue,
 * postsuper and sendmail record what they get. Paths are baked into the
 * scripts because children get a clean environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act/act.h"
#include "testdir.h"
#include "util/buf.h"
#include "util/msg.h"

static char tmpdir[] = "/tmp/ms_act_XXXXXX";

/* ------------------------------------------------------------- helpers */

static const char *
path(const char *name)
{
	static char bufs[8][512];
	static unsigned k;
	char *b = bufs[k++ % 8];

	snprintf(b, 512, "%s/%s", tmpdir, name);
	return b;
}

static void
write_file(const char *name, const char *text, size_t len, mode_t mode)
{
	FILE *fp = fopen(path(name), "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path(name), mode), 0);
}

/* A script: "#!/bin/sh\n" + body, with every "@D@" replaced by tmpdir. */
static void
script(const char *name, const char *body)
{
	struct buf b;
	const char *p;

	buf_init(&b, 0);
	buf_append_str(&b, "#!/bin/sh\n");
	for (p = body; *p != '\0'; p++) {
		if (strncmp(p, "@D@", 3) == 0) {
			buf_append_str(&b, tmpdir);
			p += 2;
		} else {
			buf_append_char(&b, *p);
		}
	}
	write_file(name, b.data, b.len, 0755);
	buf_release(&b);
}

/* Contents of a scratch file, or NULL when absent (caller frees). */
static char *
slurp(const char *name)
{
	FILE *fp = fopen(path(name), "r");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (fp == NULL)
		return NULL;
	buf_init(&b, 0);
	buf_append(&b, "", 0);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	return b.data;
}

static bool
exists(const char *name)
{
	return access(path(name), F_OK) == 0;
}

static void
rm(const char *name)
{
	unlink(path(name));
}

static void
assert_file(const char *name, const char *want)
{
	char *got = slurp(name);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Settings from the defaults plus "name=value" lines ("@D@" = tmpdir). */
static struct act *
make_act(struct act_conf *c, ...)
{
	char err[256];
	struct act *a;
	const char *o;
	va_list ap;

	assert_int_equal(conf_defaults(act_conf_defs, act_conf_ndefs, c), 0);
	va_start(ap, c);
	while ((o = va_arg(ap, const char *)) != NULL) {
		char line[1024], *at;

		snprintf(line, sizeof(line), "%s", o);
		while ((at = strstr(line, "@D@")) != NULL) {
			char rest[1024];

			snprintf(rest, sizeof(rest), "%s", at + 3);
			snprintf(at, sizeof(line) - (size_t)(at - line), "%s%s", tmpdir, rest);
		}
		if (conf_set(act_conf_defs, act_conf_ndefs, c, line, err, sizeof(err)) != 0)
			fail_msg("conf_set %s: %s", line, err);
	}
	va_end(ap);
	a = act_new(c, err, sizeof(err));
	if (a == NULL)
		fail_msg("act_new: %s", err);
	return a;
}

static void
drop_act(struct act **a, struct act_conf *c)
{
	act_free(a);
	conf_free(act_conf_defs, act_conf_ndefs, c);
}

/* ------------------------------------------------------------- values */

typedef int checker(const char *, char *, size_t, char *, size_t);

static void
check_row(checker *f, const char *in, bool ok, const char *want, const char *err_has)
{
	char out[512], err[256];

	memcpy(out, "UNTOUCHED", 10);
	err[0] = '\0';
	if (f(in, out, sizeof(out), err, sizeof(err)) != (ok ? 0 : -1))
		fail_msg("\"%s\": want %s, got %s (%s)", in, ok ? "ok" : "refused",
			 ok ? "refused" : "ok", err);
	if (ok) {
		assert_string_equal(out, want ? want : in);
	} else {
		assert_string_equal(out, "UNTOUCHED");
		assert_non_null(strstr(err, "refused"));
		if (err_has != NULL && strstr(err, err_has) == NULL)
			fail_msg("\"%s\": error \"%s\" lacks \"%s\"", in, err, err_has);
	}
}

static void
test_check_account(void **state)
{
	char s255[256], s256[257];

	(void)state;
	memset(s255, 'a', 255);
	s255[255] = '\0';
	memset(s256, 'a', 256);
	s256[256] = '\0';
	check_row(act_check_account, "hello@example.com", true, NULL, NULL);
	check_row(act_check_account, "Hello.World+tag@example.com", true, NULL, NULL);
	check_row(act_check_account, "user", true, NULL, NULL);
	check_row(act_check_account, "j\xc3\xbcrgen@example.de", true, NULL, NULL);
	/* atext: harmless without a shell, and a real address can hold it */
	check_row(act_check_account, "`id`$(x)@example.com", false, NULL, "'('");
	check_row(act_check_account, "`id`${IFS}@example.com", true, NULL, NULL);
	check_row(act_check_account, s255, true, NULL, NULL);
	check_row(act_check_account, s256, false, NULL, "longer than 255");
	check_row(act_check_account, "", false, NULL, "empty");
	check_row(act_check_account, "-rf", false, NULL, "begins with '-'");
	check_row(act_check_account, "a;rm -rf /", false, NULL, "';'");
	check_row(act_check_account, "a b@example.com", false, NULL, "space");
	check_row(act_check_account, "a@example.com\nBcc: x@example.net", false, NULL,
		  "\\x0a");
	check_row(act_check_account, "a\r@example.com", false, NULL, "control byte");
	check_row(act_check_account, "a\x01@example.com", false, NULL, "control byte");
	check_row(act_check_account, "a\x7f@example.com", false, NULL, "control byte");
	check_row(act_check_account, "a\tb@example.com", false, NULL, "control byte");
	check_row(act_check_account, "a\xc2\x85@example.com", false, NULL, "control character");
	check_row(act_check_account, "a\xff@example.com", false, NULL, "UTF-8");
	check_row(act_check_account, "a\xc0\xaf@example.com", false, NULL, "UTF-8");
	check_row(act_check_account, "<a@example.com>", false, NULL, "'<'");
	check_row(act_check_account, "a\"b@example.com", false, NULL, NULL);
	check_row(act_check_account, "a\\b@example.com", false, NULL, NULL);
	check_row(act_check_account, "a|b@example.com", true, NULL, NULL);
}

static void
test_check_values(void **state)
{
	char r250[251], r199[202], q32[33], q33[34];

	(void)state;
	check_row(act_check_ip, "192.0.2.1", true, NULL, NULL);
	check_row(act_check_ip, "::ffff:192.0.2.1", true, "192.0.2.1", NULL);
	check_row(act_check_ip, "2001:db8:0:0::1", true, "2001:db8::1", NULL);
	check_row(act_check_ip, "192.0.2.256", false, NULL, "not an IPv4 or IPv6");
	check_row(act_check_ip, "192.0.2.1; rm -rf /", false, NULL, NULL);
	check_row(act_check_ip, "192.0.2.1 ", false, NULL, NULL);
	check_row(act_check_ip, "-1", false, NULL, NULL);
	check_row(act_check_ip, "", false, NULL, NULL);
	check_row(act_check_ip, "fe80::1%eth0", false, NULL, NULL);
	check_row(act_check_ip, "192.0.2.0/24", false, NULL, NULL);

	memset(q32, 'A', 32);
	q32[32] = '\0';
	memset(q33, 'A', 33);
	q33[33] = '\0';
	check_row(act_check_queue_id, "4PbCZy4PWKz3tBr", true, NULL, NULL);
	check_row(act_check_queue_id, "C2C99C0B2", true, NULL, NULL);
	check_row(act_check_queue_id, q32, true, NULL, NULL);
	check_row(act_check_queue_id, q33, false, NULL, "longer than 32");
	check_row(act_check_queue_id, "", false, NULL, "empty");
	check_row(act_check_queue_id, "ABC-1", false, NULL, "'-'");
	check_row(act_check_queue_id, "ABC\n", false, NULL, "0x0a");
	check_row(act_check_queue_id, "../x", false, NULL, NULL);
	check_row(act_check_queue_id, "ABC!", false, NULL, NULL);

	check_row(act_check_kind, "account_compromise", true, NULL, NULL);
	check_row(act_check_kind, "Account", false, NULL, NULL);
	check_row(act_check_kind, "_x", false, NULL, NULL);
	check_row(act_check_kind, "a-b", false, NULL, NULL);
	check_row(act_check_incident, "42", true, NULL, NULL);
	check_row(act_check_incident, "2013-07-22T18:52:46Z.1", true, NULL, NULL);
	check_row(act_check_incident, "-1", false, NULL, NULL);
	check_row(act_check_incident, "1 2", false, NULL, NULL);

	/* reason: printable, cut at 200 bytes on a character boundary */
	memset(r250, 'r', 250);
	r250[250] = '\0';
	memset(r199, 'r', 199);
	memcpy(r199 + 199, "\xc3\xa9", 3);	/* 199 + a 2-byte character */
	check_row(act_check_reason, "account_compromise: 880 IPs; a;rm -rf / $(x)", true, NULL,
		  NULL);
	check_row(act_check_reason, "", true, NULL, NULL);
	{
		char out[256], err[128];

		assert_int_equal(act_check_reason(r250, out, sizeof(out), err, sizeof(err)), 0);
		assert_int_equal(strlen(out), ACT_REASON_MAX);
		assert_int_equal(act_check_reason(r199, out, sizeof(out), err, sizeof(err)), 0);
		assert_int_equal(strlen(out), 199);
	}
	check_row(act_check_reason, "two\nlines", false, NULL, "control byte");
	check_row(act_check_reason, "tab\there", false, NULL, "control byte");
	check_row(act_check_reason, "bad \xff", false, NULL, "UTF-8");
	/* A long hostile value is quoted cut in the message. */
	{
		char out[600], err[256], big[600];

		memset(big, '\n', 599);
		big[599] = '\0';
		assert_int_equal(act_check_account(big, out, sizeof(out), err, sizeof(err)), -1);
		assert_non_null(strstr(err, "\\x0a\\x0a"));
		assert_non_null(strstr(err, "...\""));
		assert_true(strlen(err) < 200);
	}
}

/* ------------------------------------------------------------- templates */

static void
tmpl_err(const char *text, const char *has)
{
	struct act_tmpl *t = (struct act_tmpl *)0x1;
	char err[256] = "";

	if (act_tmpl_parse(text, &t, err, sizeof(err)) == 0)
		fail_msg("template \"%s\" was accepted", text);
	assert_true(t == (struct act_tmpl *)0x1);	/* untouched */
	if (strstr(err, has) == NULL)
		fail_msg("template \"%s\": error \"%s\" lacks \"%s\"", text, err, has);
}

static void
test_tmpl_parse(void **state)
{
	struct act_tmpl *t;
	struct buf many;
	char err[256];
	int i;

	(void)state;
	assert_int_equal(act_tmpl_parse("/usr/local/bin/lock-user --account {account} "
					 "--reason {reason}",
					 &t, err, sizeof(err)),
			 0);
	assert_int_equal(act_tmpl_uses(t), (1u << ACT_VAR_ACCOUNT) | (1u << ACT_VAR_REASON));
	act_tmpl_free(&t);
	assert_null(t);
	act_tmpl_free(&t);	/* NULL is fine */
	assert_int_equal(act_tmpl_parse("\t /bin/x \t {ip}:{kind}/{incident}/{queue_id}  ", &t,
					 err, sizeof(err)),
			 0);
	assert_int_equal(act_tmpl_uses(t), (1u << ACT_VAR_IP) | (1u << ACT_VAR_KIND) |
						   (1u << ACT_VAR_INCIDENT) |
						   (1u << ACT_VAR_QUEUE_ID));
	act_tmpl_free(&t);

	tmpl_err("", "empty");
	tmpl_err(" \t ", "empty");
	tmpl_err("vmoduser -s {account}", "not an absolute path");
	tmpl_err("{account} x", "may not come from a placeholder");
	tmpl_err("/bin/{account}", "may not come from a placeholder");
	tmpl_err("/bin/x \"{account}\"", "quotes");
	tmpl_err("/bin/x '{account}'", "quotes");
	tmpl_err("/bin/x a\\ b", "backslash");
	tmpl_err("/bin/x {acount}", "unknown placeholder at \"{acount}\"");
	tmpl_err("/bin/x {account", "unknown placeholder");
	tmpl_err("/bin/x {}", "unknown placeholder");
	tmpl_err("/bin/x a}", "'}' without '{'");
	tmpl_err("/bin/x {{account}}", "unknown placeholder");
	tmpl_err("/bin/x\x01", "control byte");
	buf_init(&many, 0);
	buf_append_str(&many, "/bin/x");
	for (i = 0; i < ACT_ARGS_MAX; i++)
		buf_append_str(&many, " a");
	tmpl_err(many.data, "more than 64 words");
	buf_release(&many);
}

static void
expand_ok(const char *text, const struct act_vars *v, const char *const *want)
{
	struct act_tmpl *t;
	struct act_argv av;
	char err[256];
	size_t i;

	if (act_tmpl_parse(text, &t, err, sizeof(err)) != 0)
		fail_msg("%s: %s", text, err);
	if (act_tmpl_expand(t, v, &av, err, sizeof(err)) != 0)
		fail_msg("%s: %s", text, err);
	for (i = 0; want[i] != NULL; i++) {
		assert_non_null(av.argv[i]);
		assert_string_equal(av.argv[i], want[i]);
	}
	assert_int_equal(av.argc, i);
	assert_null(av.argv[i]);
	act_argv_free(&av);
	act_tmpl_free(&t);
}

static void
expand_err(const char *text, const struct act_vars *v, const char *has)
{
	struct act_tmpl *t;
	struct act_argv av;
	char err[256];

	assert_int_equal(act_tmpl_parse(text, &t, err, sizeof(err)), 0);
	if (act_tmpl_expand(t, v, &av, err, sizeof(err)) == 0)
		fail_msg("%s: expanded", text);
	assert_int_equal(av.argc, 0);
	assert_null(av.argv[0]);
	if (strstr(err, has) == NULL)
		fail_msg("%s: error \"%s\" lacks \"%s\"", text, err, has);
	act_tmpl_free(&t);
}

static void
test_tmpl_expand(void **state)
{
	struct act_vars v = {
		.account = "hello@example.com",
		.ip = "::ffff:192.0.2.7",
		.kind = "account_compromise",
		.incident = "17",
		.reason = "880 IPs in 24h",
		.queue_id = "4PbCZy4PWKz3tBr",
	};
	char longword[1100];

	(void)state;
	expand_ok("/usr/local/bin/lock-user --account {account} --reason {reason}", &v,
		  (const char *const[]){ "/usr/local/bin/lock-user", "--account",
					 "hello@example.com", "--reason", "880 IPs in 24h",
					 NULL });
	expand_ok("/bin/x --who={account} {ip}/32 {kind}:{incident}:{queue_id} {account}{ip}",
		  &v,
		  (const char *const[]){ "/bin/x", "--who=hello@example.com", "192.0.2.7/32",
					 "account_compromise:17:4PbCZy4PWKz3tBr",
					 "hello@example.com192.0.2.7", NULL });
	/* a value that is not used is not checked */
	{
		struct act_vars w = v;

		w.ip = "not an address";
		w.reason = NULL;
		expand_ok("/usr/bin/vmoduser -s {account}", &w,
			  (const char *const[]){ "/usr/bin/vmoduser", "-s", "hello@example.com",
						 NULL });
	}
	/* hostile values */
	{
		struct act_vars w = v;

		w.account = "-rf";
		expand_err("/usr/bin/vmoduser -s {account}", &w, "begins with '-'");
		w.account = "a;rm -rf /";
		expand_err("/usr/bin/vmoduser -s {account}", &w, "refused");
		w.account = "a@example.com\nb";
		expand_err("/usr/bin/vmoduser -s {account}", &w, "control byte");
		w = v;
		w.ip = "192.0.2.1 -j ACCEPT";
		expand_err("/bin/x {ip}", &w, "not an IPv4 or IPv6");
		w = v;
		w.queue_id = "A B";
		expand_err("/bin/x {queue_id}", &w, "queue id");
		w = v;
		w.reason = "--force";	/* only as a whole argument */
		expand_err("/bin/x {reason}", &w, "would begin argument 1 with '-'");
		expand_ok("/bin/x --reason={reason}", &w,
			  (const char *const[]){ "/bin/x", "--reason=--force", NULL });
		expand_ok("/bin/x --reason {reason}", &v,
			  (const char *const[]){ "/bin/x", "--reason", "880 IPs in 24h", NULL });
		w = v;
		w.ip = NULL;
		expand_err("/bin/x {ip}", &w, "{ip} has no value for this action");
	}
	/* argument length */
	memset(longword, 'x', 1022);	/* a 1024-byte word: 1015 bytes and {account} */
	memcpy(longword, "/bin/x ", 7);
	memcpy(longword + 1022, "{account}", 10);
	expand_err(longword, &v, "longer than 1024 bytes");
}

static void
test_argv_render(void **state)
{
	char buf[64];

	(void)state;
	act_argv_render((const char *const[]){ "/usr/sbin/postsuper", "-d", "-", NULL }, buf,
			sizeof(buf));
	assert_string_equal(buf, "'/usr/sbin/postsuper' '-d' '-'");
	act_argv_render((const char *const[]){ "/bin/x", "it's", "a\nb", "", NULL }, buf,
			sizeof(buf));
	assert_string_equal(buf, "'/bin/x' 'it'\\''s' 'a\\x0ab' ''");
	act_argv_render((const char *const[]){ "/bin/x", "0123456789012345678901234567890123456789"
						     "0123456789012345678901234567890123456789",
					       NULL },
			buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_string_equal(buf + strlen(buf) - 3, "...");
	act_argv_render((const char *const[]){ "/bin/x", NULL }, buf, 3);
	assert_string_equal(buf, "");
}

/* ------------------------------------------------------------- exec */

static void
run(const char *const *argv, const char *in, size_t in_len, int64_t timeout_ms,
    struct act_exec_result *res)
{
	struct act_cmd cmd = { .argv = argv, .in = in, .in_len = in_len,
			       .timeout_ms = timeout_ms };
	char err[256];

	if (act_exec(&cmd, res, err, sizeof(err)) != 0)
		fail_msg("act_exec %s: %s", argv[0], err);
}

static void
test_no_shell(void **state)
{
	struct act_conf c;
	struct act *a;
	struct act_result r;
	struct act_vars v = {
		.account = "`touch${IFS}/tmp/ms_act_pwned1`@example.com",
		.reason = "$(touch /tmp/ms_act_pwned) a;rm -rf / `touch pwned2` | x > y",
	};
	char acc[256];

	(void)state;
	a = make_act(&c, "lock_hook = @D@/argv.sh --account {account} --reason {reason}",
		     NULL);
	rm("argv.out");
	assert_int_equal(act_lock(a, &v, false, &r), 0);
	assert_true(r.ok);
	assert_false(r.dry_run);
	assert_int_equal(r.exit_status, 0);
	assert_string_equal(r.err, "");
	snprintf(acc, sizeof(acc), "[--account]\n[%s]\n[--reason]\n[%s]\n", v.account, v.reason);
	assert_file("argv.out", acc);
	assert_int_equal(access("/tmp/ms_act_pwned1", F_OK), -1);
	assert_int_equal(access("/tmp/ms_act_pwned", F_OK), -1);
	assert_int_equal(access("/pwned2", F_OK), -1);
	assert_non_null(strstr(r.cmd, "'--account' '`touch${IFS}/tmp/ms_act_pwned1`@example.com'"));
	drop_act(&a, &c);
}

static void
test_exec_env(void **state)
{
	struct act_exec_result res;
	char *got, want[128];
	int fd;

	(void)state;
	/* An fd the daemon left without close-on-exec must not reach the child. */
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 3);
	snprintf(want, sizeof(want), "%d", fd);
	setenv("MS_ACT_SECRET", "leak", 1);
	{
		char body[1024];

		snprintf(body, sizeof(body),
			 "env | sort > @D@/env.out\n"
			 "pwd > @D@/pwd.out\n"
			 "if [ -e /proc/$$/fd/%d ]; then echo open; else echo closed; fi > "
			 "@D@/fd.out\n"
			 "if [ \"$(cut -d' ' -f5 /proc/$$/stat)\" = \"$$\" ]; then echo leader; "
			 "else echo member; fi > @D@/pgid.out\n"
			 "read line; echo \"stdin:[$line]\" > @D@/stdin.out\n",
			 fd);
		script("env.sh", body);
	}
	run((const char *const[]){ path("env.sh"), NULL }, NULL, 0, 5000, &res);
	assert_int_equal(res.exit_status, 0);
	got = slurp("env.out");
	assert_non_null(got);
	/* sh may add PWD, SHLVL, OLDPWD, _; nothing of ours but PATH and LANG. */
	assert_non_null(strstr(got, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"));
	assert_non_null(strstr(got, "LANG=C\n"));
	assert_null(strstr(got, "MS_ACT_SECRET"));
	assert_null(strstr(got, "HOME="));
	free(got);
	assert_file("pwd.out", "/\n");
	assert_file("fd.out", "closed\n");
	assert_file("pgid.out", "leader\n");
	assert_file("stdin.out", "stdin:[]\n");	/* /dev/null */
	close(fd);
	unsetenv("MS_ACT_SECRET");
}

static void
test_exec_timeout(void **state)
{
	struct act_exec_result res;
	int64_t t0;
	char *pid;

	(void)state;
	script("sleep.sh", "sleep 30 & echo $! > @D@/child.pid\nwait\n");
	t0 = now_ms();
	run((const char *const[]){ path("sleep.sh"), NULL }, NULL, 0, 300, &res);
	assert_true(res.timed_out);
	assert_int_equal(res.signal, SIGTERM);
	assert_int_equal(res.exit_status, 128 + SIGTERM);
	assert_true(now_ms() - t0 >= 300);
	assert_true(now_ms() - t0 < 5000);
	/* the grandchild went with the group */
	pid = slurp("child.pid");
	assert_non_null(pid);
	{
		char proc[64], *stat;
		int tries;
		bool gone = false;

		pid[strcspn(pid, "\n")] = '\0';
		snprintf(proc, sizeof(proc), "/proc/%s/stat", pid);
		for (tries = 0; tries < 200 && !gone; tries++) {
			FILE *fp = fopen(proc, "r");
			char line[512] = "";

			if (fp == NULL) {
				gone = true;
				break;
			}
			if (fgets(line, sizeof(line), fp) != NULL && (stat = strrchr(line, ')')) &&
			    stat[2] == 'Z')
				gone = true;	/* dead, not yet reaped by init */
			fclose(fp);
			if (!gone)
				usleep(10000);
		}
		assert_true(gone);
	}
	free(pid);

	/* SIGTERM ignored: SIGKILL after the grace period */
	script("stubborn.sh", "trap '' TERM\nsleep 30\n");
	t0 = now_ms();
	run((const char *const[]){ path("stubborn.sh"), NULL }, NULL, 0, 200, &res);
	assert_true(res.timed_out);
	assert_int_equal(res.signal, SIGKILL);
	assert_true(now_ms() - t0 >= 200 + ACT_KILL_GRACE_MS);
	assert_true(now_ms() - t0 < 8000);

	/* Exited in time, but left a process holding stdout: killed at the
	 * deadline, the exit status stands. */
	script("orphan.sh", "sleep 30 &\necho started\nexit 0\n");
	t0 = now_ms();
	run((const char *const[]){ path("orphan.sh"), NULL }, NULL, 0, 300, &res);
	assert_false(res.timed_out);
	assert_true(res.orphans_killed);
	assert_int_equal(res.exit_status, 0);
	assert_string_equal(res.out, "started\n");
	assert_true(now_ms() - t0 < 5000);
}

static void
test_exec_stdin(void **state)
{
	struct act_exec_result res;
	size_t n = 300 * 1024, i;
	char *data = malloc(n), *got;

	(void)state;
	for (i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	data[n - 1] = '\n';
	script("cat.sh", "cat > @D@/cat.out\necho done\n");
	run((const char *const[]){ path("cat.sh"), NULL }, data, n, 10000, &res);
	assert_int_equal(res.exit_status, 0);
	assert_int_equal(res.in_written, n);
	assert_string_equal(res.out, "done\n");
	got = slurp("cat.out");
	assert_non_null(got);
	assert_int_equal(strlen(got), n);
	assert_memory_equal(got, data, n);
	free(got);

	/* A child that reads none of it: no SIGPIPE for us, no hang. */
	script("deaf.sh", "exit 0\n");
	run((const char *const[]){ path("deaf.sh"), NULL }, data, n, 10000, &res);
	assert_int_equal(res.exit_status, 0);
	assert_false(res.timed_out);
	assert_true(res.in_written < n);

	/* Empty data: EOF at once. */
	run((const char *const[]){ path("cat.sh"), NULL }, "", 0, 10000, &res);
	assert_int_equal(res.exit_status, 0);
	assert_file("cat.out", "");
	free(data);
}

static void
test_exec_capture(void **state)
{
	struct act_exec_result res;
	char err[256];
	struct act_cmd cmd = { 0 };

	(void)state;
	script("big.sh", "i=0\nwhile [ $i -lt 2000 ]; do\n"
			 "  echo 'oooooooooooooooooooooooooooooooooooooooooooooooooooooooooo'\n"
			 "  echo 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee' >&2\n"
			 "  i=$((i+1))\ndone\nexit 4\n");
	run((const char *const[]){ path("big.sh"), NULL }, NULL, 0, 20000, &res);
	assert_int_equal(res.exit_status, 4);
	assert_int_equal(res.out_len, ACT_CAPTURE_MAX);
	assert_int_equal(strlen(res.out), ACT_CAPTURE_MAX);
	assert_true(res.out_cut);
	assert_int_equal(res.err_len, ACT_CAPTURE_MAX);
	assert_true(res.err_cut);
	assert_int_equal(res.out[0], 'o');
	assert_int_equal(res.err[0], 'e');

	script("small.sh", "echo out; echo err >&2; exit 3\n");
	run((const char *const[]){ path("small.sh"), NULL }, NULL, 0, 5000, &res);
	assert_int_equal(res.exit_status, 3);
	assert_string_equal(res.out, "out\n");
	assert_string_equal(res.err, "err\n");
	assert_false(res.out_cut);
	assert_false(res.timed_out);

	/* not started */
	cmd.argv = (const char *const[]){ path("no-such-program"), NULL };
	assert_int_equal(act_exec(&cmd, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot execute"));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(res.exit_status, -1);
	cmd.argv = (const char *const[]){ "sh", "-c", "true", NULL };
	assert_int_equal(act_exec(&cmd, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an absolute path"));
	write_file("noexec.sh", "#!/bin/sh\nexit 0\n", 17, 0644);
	cmd.argv = (const char *const[]){ path("noexec.sh"), NULL };
	assert_int_equal(act_exec(&cmd, &res, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Permission denied"));
}

struct lines {
	char got[1024];
};

static void
collect(void *arg, const char *line, size_t len, bool cut)
{
	struct lines *l = arg;
	size_t o = strlen(l->got);

	snprintf(l->got + o, sizeof(l->got) - o, "<%.*s>%s", (int)len, line, cut ? "cut" : "");
}

static void
test_exec_lines(void **state)
{
	struct lines l = { "" };
	struct act_cmd cmd = { 0 };
	struct act_exec_result res;
	char err[256];

	(void)state;
	script("lines.sh", "printf 'a\\n\\nbb\\n0123456789abcdef\\nccc\\nlast'\n");
	cmd.argv = (const char *const[]){ path("lines.sh"), NULL };
	cmd.on_line = collect;
	cmd.line_arg = &l;
	cmd.line_max = 8;
	cmd.timeout_ms = 5000;
	assert_int_equal(act_exec(&cmd, &res, err, sizeof(err)), 0);
	assert_string_equal(l.got, "<a><><bb><01234567>cut<ccc><last>");
}

static void
test_spawn_reap_early(void **state)
{
	struct act_cmd cmd = { 0 };
	struct act_exec_result res;
	struct act_proc *p;
	struct pollfd fds[4];
	char err[256];
	int64_t t0 = now_ms();

	(void)state;
	script("slow.sh", "echo hi\nsleep 30\n");
	cmd.argv = (const char *const[]){ path("slow.sh"), NULL };
	cmd.timeout_ms = 60000;
	assert_int_equal(act_spawn(&cmd, &p, err, sizeof(err)), 0);
	assert_true(act_proc_pid(p) > 0);
	assert_true(act_proc_pollfds(p, fds) >= 2);
	assert_true(act_proc_timeout_ms(p) > 1000);
	while (!act_proc_step(p)) {
		size_t n = act_proc_pollfds(p, fds);

		poll(fds, (nfds_t)n, 100);
		if (now_ms() - t0 > 300)
			break;
	}
	act_reap(&p, &res);	/* still running: killed */
	assert_null(p);
	assert_int_equal(res.signal, SIGKILL);
	assert_string_equal(res.out, "hi\n");
	assert_true(now_ms() - t0 < 5000);
}

/* ------------------------------------------------------------- actions */

static void
test_lock_results(void **state)
{
	struct act_conf c;
	struct act *a;
	struct act_result r;
	struct act_vars v = { .account = "hello@example.com", .reason = "test" };

	(void)state;
	script("fail.sh", "echo 'vmoduser: no such user \033[31m' >&2\necho partial\nexit 3\n");
	a = make_act(&c, "lock_hook = @D@/fail.sh -s {account}",
		     "unlock_hook = @D@/argv.sh -x {account}", NULL);
	assert_int_equal(act_lock(a, &v, false, &r), -1);
	assert_false(r.ok);
	assert_int_equal(r.exit_status, 3);
	assert_string_equal(r.err, "exited with status 3: vmoduser: no such user \\x1b[31m");
	assert_string_equal(r.out, "partial\n[stderr] vmoduser: no such user \\x1b[31m\n");
	rm("argv.out");
	assert_int_equal(act_unlock(a, &v, false, &r), 0);
	assert_true(r.ok);
	assert_file("argv.out", "[-x]\n[hello@example.com]\n");
	/* refused: nothing runs */
	rm("argv.out");
	v.account = "-x";
	assert_int_equal(act_unlock(a, &v, false, &r), -1);
	assert_false(r.ok);
	assert_int_equal(r.exit_status, -1);
	assert_non_null(strstr(r.err, "begins with '-'"));
	assert_string_equal(r.cmd, "");
	assert_false(exists("argv.out"));
	drop_act(&a, &c);

	/* not configured */
	a = make_act(&c, NULL);
	assert_false(act_configured(a, ACT_LOCK));
	assert_true(act_configured(a, ACT_NOTIFY));
	assert_false(act_configured(a, ACT_BAN));
	assert_int_equal(act_lock(a, &v, false, &r), -1);
	assert_string_equal(r.err, "lock_hook is not set: nothing to run");
	drop_act(&a, &c);
}

static void
test_dry_run(void **state)
{
	struct act_conf c;
	struct act *a;
	struct act_result r;
	struct act_vars v = { .account = "hello@example.com", .ip = "192.0.2.7" };
	struct act_purge_req q = { .account = "hello@example.com", .backscatter = true,
				   .since = 1374486777 };
	struct act_incident inc = { .kind = "account_compromise", .account = "hello@example.com" };
	struct act_purge_list l;
	char want[512];

	(void)state;
	a = make_act(&c, "lock_hook = @D@/argv.sh -s {account}",
		     "unlock_hook = @D@/argv.sh -x {account}", "nft_path = @D@/argv.sh",
		     "doveadm_path = @D@/argv.sh", "postqueue_path = @D@/argv.sh",
		     "postsuper_path = @D@/argv.sh", "sendmail_path = @D@/argv.sh", NULL);
	rm("argv.out");
	assert_int_equal(act_lock(a, &v, true, &r), 0);
	assert_true(r.ok && r.dry_run);
	assert_int_equal(r.exit_status, -1);
	snprintf(want, sizeof(want), "'%s' '-s' 'hello@example.com'", path("argv.sh"));
	assert_string_equal(r.cmd, want);
	assert_string_equal(r.out, "dry run: nothing was run");
	assert_int_equal(act_unlock(a, &v, true, &r), 0);
	assert_int_equal(act_kick(a, "hello@example.com", true, &r), 0);
	snprintf(want, sizeof(want), "'%s' 'kick' 'hello@example.com'", path("argv.sh"));
	assert_string_equal(r.cmd, want);
	assert_int_equal(act_ban(a, "192.0.2.7", 0, true, &r), 0);
	snprintf(want, sizeof(want),
		 "'%s' 'add' 'element' 'inet' 'mailsentry' 'banned' '{' '192.0.2.7' 'timeout' "
		 "'3600s' '}'",
		 path("argv.sh"));
	assert_string_equal(r.cmd, want);
	assert_int_equal(act_unban(a, "192.0.2.7", true, &r), 0);
	assert_int_equal(act_purge(a, &q, true, &r, &l), 0);
	assert_true(r.ok && r.dry_run);
	assert_int_equal(l.n, 0);
	snprintf(want, sizeof(want), "'%s' '-j' | '%s' '-d' '-'", path("argv.sh"),
		 path("argv.sh"));
	assert_string_equal(r.cmd, want);
	assert_string_equal(r.out, "dry run: nothing was run; would delete queued mail from "
				   "hello@example.com, and bounces to it arrived since "
				   "2013-07-22T09:52:57Z");
	act_purge_list_free(&l);
	assert_int_equal(act_notify(a, &inc, true, &r), 0);
	assert_true(r.ok && r.dry_run);
	assert_non_null(strstr(r.out, "Subject: [mailsentry] account_compromise: "
				      "hello@example.com\n"));
	assert_false(exists("argv.out"));
	drop_act(&a, &c);
}

static void
test_ban_kick(void **state)
{
	struct act_conf c;
	struct act *a;
	struct act_result r;

	(void)state;
	script("doveadm68.sh", "echo 'no users kicked'\nexit 68\n");
	a = make_act(&c, "nft_path = @D@/argv.sh", "nft_table = ms", "nft_set_ipv4 = bad4",
		     "doveadm_path = @D@/argv.sh", NULL);
	rm("argv.out");
	assert_int_equal(act_ban(a, "192.0.2.7", 600, false, &r), 0);
	assert_true(r.ok);
	assert_file("argv.out", "[add]\n[element]\n[inet]\n[ms]\n[bad4]\n[{]\n[192.0.2.7]\n"
				"[timeout]\n[600s]\n[}]\n");
	assert_int_equal(act_ban(a, "2001:DB8:0::1", 0, false, &r), 0);
	assert_file("argv.out", "[add]\n[element]\n[inet]\n[ms]\n[banned6]\n[{]\n[2001:db8::1]\n"
				"[timeout]\n[3600s]\n[}]\n");
	assert_int_equal(act_unban(a, "::ffff:192.0.2.7", false, &r), 0);
	assert_file("argv.out", "[delete]\n[element]\n[inet]\n[ms]\n[bad4]\n[{]\n[192.0.2.7]\n[}]\n");
	rm("argv.out");
	assert_int_equal(act_ban(a, "192.0.2.7 }; flush ruleset; {", 0, false, &r), -1);
	assert_non_null(strstr(r.err, "not an IPv4 or IPv6"));
	assert_int_equal(act_ban(a, "192.0.2.7", 400 * 86400, false, &r), -1);
	assert_int_equal(act_unban(a, "", false, &r), -1);
	assert_false(exists("argv.out"));

	assert_int_equal(act_kick(a, "hello@example.com", false, &r), 0);
	assert_file("argv.out", "[kick]\n[hello@example.com]\n");
	rm("argv.out");
	assert_int_equal(act_kick(a, "*", false, &r), -1);
	assert_non_null(strstr(r.err, "mask or a network"));
	assert_int_equal(act_kick(a, "hello*", false, &r), -1);
	assert_int_equal(act_kick(a, "192.0.2.7", false, &r), -1);
	assert_int_equal(act_kick(a, "10.0.0.0/8", false, &r), -1);
	assert_int_equal(act_kick(a, "-a", false, &r), -1);
	assert_false(exists("argv.out"));
	drop_act(&a, &c);

	/* permanent bans, no IPv6 set, "no users kicked" */
	a = make_act(&c, "nft_path = @D@/argv.sh", "ban_time = 0", "nft_set_ipv6 =",
		     "doveadm_path = @D@/doveadm68.sh", NULL);
	assert_int_equal(act_ban(a, "192.0.2.7", 0, false, &r), 0);
	assert_file("argv.out", "[add]\n[element]\n[inet]\n[mailsentry]\n[banned]\n[{]\n"
				"[192.0.2.7]\n[}]\n");
	assert_int_equal(act_ban(a, "2001:db8::1", 0, false, &r), -1);
	assert_string_equal(r.err, "nft_set_ipv6 is empty: IPv6 addresses are not banned");
	assert_int_equal(act_kick(a, "hello@example.com", false, &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.exit_status, 68);
	assert_string_equal(r.out, "no users kicked\n");
	drop_act(&a, &c);
}

static void
test_conf(void **state)
{
	static const struct {
		const char *set, *err;
	} bad[] = {
		{ "lock_hook = /usr/bin/vmoduser -s \"{account}\"", "lock_hook: \": quotes" },
		{ "unlock_hook = vmoduser -x {account}", "unlock_hook: the program" },
		{ "lock_hook = /bin/x {queue_id}", "{queue_id} has no value" },
		{ "sendmail_path = sendmail", "sendmail_path: \"sendmail\" is not an absolute" },
		{ "postfix_config_dir = /etc/postfix two", "holds a blank" },
		{ "postqueue_path = /x", NULL },
		{ "nft_path = /usr/sbin/nft", NULL },
		{ "notify_to =", "notify_to: \"\" is empty" },
	};
	struct act_conf c;
	struct act *a;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(conf_defaults(act_conf_defs, act_conf_ndefs, &c), 0);
		assert_int_equal(conf_set(act_conf_defs, act_conf_ndefs, &c, bad[i].set, err,
					  sizeof(err)),
				 0);
		a = act_new(&c, err, sizeof(err));
		if (bad[i].err == NULL) {
			assert_non_null(a);
			act_free(&a);
		} else {
			if (a != NULL)
				fail_msg("%s: accepted", bad[i].set);
			if (strstr(err, bad[i].err) == NULL)
				fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].set, err, bad[i].err);
		}
		conf_free(act_conf_defs, act_conf_ndefs, &c);
	}
	/* with nft: family and names checked */
	assert_int_equal(conf_defaults(act_conf_defs, act_conf_ndefs, &c), 0);
	assert_int_equal(conf_set(act_conf_defs, act_conf_ndefs, &c, "nft_path=/usr/sbin/nft",
				  err, sizeof(err)),
			 0);
	assert_int_equal(conf_set(act_conf_defs, act_conf_ndefs, &c, "nft_family=inet6", err,
				  sizeof(err)),
			 0);
	assert_null(act_new(&c, err, sizeof(err)));
	assert_non_null(strstr(err, "nft_family"));
	assert_int_equal(conf_set(act_conf_defs, act_conf_ndefs, &c, "nft_family=ip", err,
				  sizeof(err)),
			 0);
	assert_int_equal(conf_set(act_conf_defs, act_conf_ndefs, &c, "nft_set_ipv4=ban;ned",
				  err, sizeof(err)),
			 0);
	assert_null(act_new(&c, err, sizeof(err)));
	assert_non_null(strstr(err, "nft_set_ipv4"));
	conf_free(act_conf_defs, act_conf_ndefs, &c);
	assert_string_equal(act_kind_name(ACT_PURGE), "purge");
	assert_string_equal(act_kind_name(ACT_KIND_COUNT), "unknown");
}

/* ------------------------------------------------------------- purge */

static void
test_pq_parse(void **state)
{
	static const struct {
		const char *line;
		int rc;
		const char *qid, *sender;
		bool match;
		size_t nrcpt;
	} rows[] = {
		{ "{\"queue_name\": \"deferred\", \"queue_id\": \"95497A72193\", \"arrival_time\": "
		  "1795421800, \"message_size\": 444, \"forced_expire\": false, \"sender\": "
		  "\"alice@example.com\", \"recipients\": [{\"address\": \"x@example.org\", "
		  "\"delay_reason\": \"connect to example.org[192.0.2.9]:25: Connection "
		  "refused\"}]}",
		  0, "95497A72193", "alice@example.com", false, 1 },
		{ "{\"queue_id\":\"4PbCZy4PWKz3tBr\",\"sender\":\"\",\"recipients\":[{\"address\":"
		  "\"Hello@Example.COM\"},{\"address\":\"b@example.org\",\"orig_address\":\"c\"}]}",
		  0, "4PbCZy4PWKz3tBr", "", true, 2 },
		/* escapes decode: \u0040 is '@', surrogate pairs make 4-byte UTF-8 */
		{ "{\"queue_id\":\"A1\",\"sender\":\"hello\\u0040example.com\",\"recipients\":[],"
		  "\"x\":[1,-2.5e3,true,null,{\"y\":[[]]}, \"\\ud83d\\ude00\\/\\\"\"]}",
		  0, "A1", "hello@example.com", false, 0 },
		{ " {\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[]} \r", 0, "A1", "s", false,
		  0 },
		/* malformed */
		{ "", -1, NULL, NULL, false, 0 },
		{ "{}", -1, NULL, NULL, false, 0 },
		{ "[]", -1, NULL, NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\"}", -1, NULL, NULL, false, 0 },
		{ "{\"sender\":\"s\",\"recipients\":[]}", -1, NULL, NULL, false, 0 },
		{ "{\"queue_id\":\"A;rm -rf /\",\"sender\":\"s\",\"recipients\":[]}", -1, NULL, NULL,
		  false, 0 },
		{ "{\"queue_id\":\"../../x\",\"sender\":\"s\",\"recipients\":[]}", -1, NULL, NULL,
		  false, 0 },
		{ "{\"queue_id\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"sender\":\"s\","
		  "\"recipients\":[]}",
		  -1, NULL, NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[]", -1, NULL, NULL, false,
		  0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[]}x", -1, NULL, NULL, false,
		  0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[]}{}", -1, NULL, NULL,
		  false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"sender\":\"t\",\"recipients\":[]}", -1,
		  NULL, NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"queue_id\":\"B2\",\"sender\":\"s\",\"recipients\":[]}", -1,
		  NULL, NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"a\nb\",\"recipients\":[]}", -1, NULL, NULL,
		  false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"a\\u0000b\",\"recipients\":[]}", -1, NULL,
		  NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"a\\ud800b\",\"recipients\":[]}", -1, NULL, NULL,
		  false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"a\\udc00\",\"recipients\":[]}", -1, NULL, NULL,
		  false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"a\\x41\",\"recipients\":[]}", -1, NULL, NULL,
		  false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"\xff\",\"recipients\":[]}", -1, NULL, NULL,
		  false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[\"a@example.com\"]}", -1,
		  NULL, NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[{\"orig_address\":\"a\"}]}",
		  -1, NULL, NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":{}}", -1, NULL, NULL, false,
		  0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[],\"arrival_time\":1.5}",
		  -1, NULL, NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[],\"arrival_time\":-1}", -1,
		  NULL, NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[],\"message_size\":"
		  "99999999999999999999}",
		  -1, NULL, NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[],\"x\":01}", -1, NULL,
		  NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[],\"x\":tru}", -1, NULL,
		  NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[],}", -1, NULL, NULL, false,
		  0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[],\"x\":"
		  "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}",
		  -1, NULL, NULL, false, 0 },
		{ "{\"queue_id\":\"A1\",\"sender\":\"s\",\"recipients\":[],\"queue_name\":\"Hold\"}",
		  -1, NULL, NULL, false, 0 },
		{ "{'queue_id':'A1','sender':'s','recipients':[]}", -1, NULL, NULL, false, 0 },
	};
	struct act_pq_msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = act_pq_parse(rows[i].line, strlen(rows[i].line), "hello@example.com",
				      &m);

		if (rc != rows[i].rc)
			fail_msg("row %zu: rc %d, want %d", i, rc, rows[i].rc);
		if (rc != 0)
			continue;
		assert_string_equal(m.queue_id, rows[i].qid);
		assert_string_equal(m.sender, rows[i].sender);
		assert_int_equal(m.rcpt_match, rows[i].match);
		assert_int_equal(m.nrcpt, rows[i].nrcpt);
	}
	/* fields */
	assert_int_equal(act_pq_parse(rows[0].line, strlen(rows[0].line), NULL, &m), 0);
	assert_string_equal(m.queue_name, "deferred");
	assert_int_equal(m.arrival_time, 1795421800);
	assert_int_equal(m.message_size, 444);
	assert_false(m.sender_cut);
	/* a NUL inside the line is malformed, not the end of it */
	assert_int_equal(act_pq_parse("{\"queue_id\":\"A1\",\"sender\":\"s\0\",\"recipients\":[]}",
				      46, NULL, &m),
			 -1);
	/* a sender longer than any account is kept cut and flagged */
	{
		struct buf b;
		int k;

		buf_init(&b, 0);
		buf_append_str(&b, "{\"queue_id\":\"A1\",\"sender\":\"");
		for (k = 0; k < 300; k++)
			buf_append_char(&b, 'a');
		buf_append_str(&b, "\",\"recipients\":[{\"address\":\"");
		for (k = 0; k < 300; k++)
			buf_append_char(&b, 'a');
		buf_append_str(&b, "\"}]}");
		assert_int_equal(act_pq_parse(b.data, b.len, NULL, &m), 0);
		assert_true(m.sender_cut);
		assert_int_equal(strlen(m.sender), ACT_ACCOUNT_MAX);
		assert_int_equal(m.nrcpt, 1);
		buf_release(&b);
	}
}

/* One listing line. */
static void
qline(struct buf *b, const char *qid, const char *sender, long arrival, const char *rcpt)
{
	buf_printf(b,
		   "{\"queue_name\": \"deferred\", \"queue_id\": \"%s\", \"arrival_time\": %ld, "
		   "\"message_size\": 1000, \"forced_expire\": false, \"sender\": \"%s\", "
		   "\"recipients\": [{\"address\": \"%s\", \"delay_reason\": \"x\"}]}\n",
		   qid, arrival, sender, rcpt);
}

static const char *
why_of(const struct act_purge_list *l, const char *qid)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->msgs[i].queue_id, qid) == 0)
			return act_purge_why_name(l->msgs[i].why);
	return NULL;
}

static void
test_purge(void **state)
{
	const long since = 1374486777;
	const char *ids[] = { "FORGED1", "NOTQUEUED", "bad id", NULL };
	struct act_purge_req q = { .account = "hello@example.com", .backscatter = true,
				   .since = since, .ids = ids, .nids = 3 };
	struct act_purge_list l;
	struct act_conf c;
	struct act *a;
	struct act_result r;
	struct buf b;

	(void)state;
	script("postqueue", "printf '%s\\n' \"$@\" > @D@/pq.args\ncat @D@/queue.jsonl\n");
	script("postsuper", "printf '%s\\n' \"$@\" > @D@/ps.args\ncat > @D@/ps.stdin\n"
			    "n=$(wc -l < @D@/ps.stdin)\n"
			    "echo \"postsuper: Deleted: $((n)) messages\" >&2\n");
	buf_init(&b, 0);
	qline(&b, "SPAM1", "hello@example.com", since + 10, "v1@example.net");
	qline(&b, "SPAM2", "HELLO@EXAMPLE.COM", since - 99999, "v2@example.net");
	qline(&b, "OTHER", "other@example.com", since + 10, "hello@example.com");
	qline(&b, "NDR1", "", since + 20, "Hello@example.com");
	qline(&b, "NDROLD", "", since - 20, "hello@example.com");
	qline(&b, "NDROTHER", "", since + 20, "other@example.com");
	qline(&b, "FORGED1", "ceo@example.org", since + 5, "v3@example.net");
	qline(&b, "SPAM1", "hello@example.com", since + 10, "v1@example.net");	/* listed twice */
	qline(&b, "LOOKALIKE", "hello@example.com.evil.example", since + 10, "x@example.net");
	/* hostile and malformed lines: skipped and counted */
	buf_append_str(&b, "{\"queue_id\": \"X;rm -rf /\", \"sender\": \"hello@example.com\", "
			   "\"recipients\": []}\n");
	buf_append_str(&b, "{\"queue_id\": \"EVIL\", \"sender\": \"hello@example.com\\n"
			   "\", \"recipients\": [], \"sender\": \"x\"}\n");
	buf_append_str(&b, "postqueue: warning: something\n");
	buf_append_str(&b, "{\"queue_id\": \"TRUNC\", \"sender\": \"hello@exa\n");
	buf_append_str(&b, "\n");
	buf_append_str(&b, "{\"queue_id\": \"LAST\", \"sender\": \"hello@example.com\", "
			   "\"recipients\": []}");	/* no final newline */
	write_file("queue.jsonl", b.data, b.len, 0644);
	buf_release(&b);

	a = make_act(&c, "postqueue_path = @D@/postqueue", "postsuper_path = @D@/postsuper",
		     "postfix_config_dir = /etc/postfix-out", NULL);
	rm("ps.stdin");
	assert_int_equal(act_purge(a, &q, false, &r, &l), 0);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_int_equal(l.scanned, 10);
	assert_int_equal(l.malformed, 4);
	assert_int_equal(l.n, 5);
	assert_int_equal(l.deleted, 5);
	assert_string_equal(why_of(&l, "SPAM1"), "sender");
	assert_string_equal(why_of(&l, "SPAM2"), "sender");
	assert_string_equal(why_of(&l, "NDR1"), "backscatter");
	assert_string_equal(why_of(&l, "FORGED1"), "known_id");
	assert_string_equal(why_of(&l, "LAST"), "sender");
	assert_null(why_of(&l, "OTHER"));
	assert_null(why_of(&l, "NDROLD"));
	assert_null(why_of(&l, "NDROTHER"));
	assert_null(why_of(&l, "LOOKALIKE"));
	assert_null(why_of(&l, "EVIL"));
	assert_string_equal(why_of(&l, "SPAM1"), "sender");
	assert_string_equal(l.msgs[0].queue_name, "deferred");
	assert_file("pq.args", "-c\n/etc/postfix-out\n-j\n");
	assert_file("ps.args", "-c\n/etc/postfix-out\n-d\n-\n");
	assert_file("ps.stdin", "SPAM1\nSPAM2\nNDR1\nFORGED1\nLAST\n");
	assert_string_equal(r.out, "selected 5 of 10 listed (4 malformed lines skipped); "
				   "deleted 5: SPAM1 sender SPAM2 sender NDR1 backscatter "
				   "FORGED1 known_id LAST sender\n[stderr] postsuper: Deleted: 5 "
				   "messages\n");
	act_purge_list_free(&l);
	drop_act(&a, &c);
}

/* Bounces as a real Postfix (3.7) lists them: showq shows the null sender
 * as "MAILER-DAEMON" (empty_address_recipient), never as "". Lines copied
 * from `postqueue -j` of the e2e harness, ids renamed. */
static void
test_purge_postfix_bounces(void **state)
{
	const long since = 1795447228;
	struct act_purge_req q = { .account = "carol@harness.test", .backscatter = true,
				   .since = since };
	static const char listing[] =
		"{\"queue_name\": \"deferred\", \"queue_id\": \"SPAM1\", \"arrival_time\": "
		"1795447228, \"message_size\": 668, \"forced_expire\": false, \"sender\": "
		"\"carol@harness.test\", \"recipients\": [{\"address\": \"gone0-0@dead.example\", "
		"\"delay_reason\": \"host 127.0.0.1[127.0.0.1] said: 450 4.3.0 Error: command "
		"failed (in reply to RCPT TO command)\"}, {\"address\": \"gone0-1@dead.example\", "
		"\"delay_reason\": \"host 127.0.0.1[127.0.0.1] said: 450 4.3.0 Error: command "
		"failed (in reply to RCPT TO command)\"}]}\n"
		"{\"queue_name\": \"deferred\", \"queue_id\": \"NDR1\", \"arrival_time\": "
		"1795447228, \"message_size\": 2633, \"forced_expire\": false, \"sender\": "
		"\"MAILER-DAEMON\", \"recipients\": [{\"address\": \"carol@harness.test\", "
		"\"delay_reason\": \"host 127.0.0.1[127.0.0.1] said: 450 4.3.0 Error: command "
		"failed (in reply to RCPT TO command)\"}]}\n"
		"{\"queue_name\": \"active\", \"queue_id\": \"NDR2\", \"arrival_time\": "
		"1795447229, \"message_size\": 2631, \"forced_expire\": false, \"sender\": "
		"\"MAILER-DAEMON\", \"recipients\": [{\"address\": \"Carol@Harness.Test\"}]}\n"
		/* the user's own bounce, from before the incident: kept */
		"{\"queue_name\": \"deferred\", \"queue_id\": \"NDROLD\", \"arrival_time\": "
		"1795447227, \"message_size\": 2487, \"forced_expire\": false, \"sender\": "
		"\"MAILER-DAEMON\", \"recipients\": [{\"address\": \"carol@harness.test\"}]}\n"
		/* a bounce to someone else, and a real (qualified) sender: kept */
		"{\"queue_name\": \"deferred\", \"queue_id\": \"NDRALICE\", \"arrival_time\": "
		"1795447229, \"message_size\": 2600, \"forced_expire\": false, \"sender\": "
		"\"MAILER-DAEMON\", \"recipients\": [{\"address\": \"alice@harness.test\"}]}\n"
		"{\"queue_name\": \"deferred\", \"queue_id\": \"QUALIFIED\", \"arrival_time\": "
		"1795447229, \"message_size\": 2600, \"forced_expire\": false, \"sender\": "
		"\"MAILER-DAEMON@harness.test\", \"recipients\": [{\"address\": "
		"\"carol@harness.test\"}]}\n"
		"{\"queue_name\": \"deferred\", \"queue_id\": \"ALICE\", \"arrival_time\": "
		"1795447229, \"message_size\": 520, \"forced_expire\": false, \"sender\": "
		"\"alice@harness.test\", \"recipients\": [{\"address\": \"late@dead.example\"}]}\n";
	struct act_purge_list l;
	struct act_conf c;
	struct act *a;
	struct act_result r;

	(void)state;
	script("postqueue", "cat @D@/queue.jsonl\n");
	script("postsuper", "cat > @D@/ps.stdin\nn=$(wc -l < @D@/ps.stdin)\n"
			    "echo \"postsuper: Deleted: $((n)) messages\" >&2\n");
	write_file("queue.jsonl", listing, sizeof(listing) - 1, 0644);
	a = make_act(&c, "postqueue_path = @D@/postqueue", "postsuper_path = @D@/postsuper", NULL);
	rm("ps.stdin");
	assert_int_equal(act_purge(a, &q, false, &r, &l), 0);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_int_equal(l.scanned, 7);
	assert_int_equal(l.malformed, 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.deleted, 3);
	assert_string_equal(why_of(&l, "SPAM1"), "sender");
	assert_string_equal(why_of(&l, "NDR1"), "backscatter");
	assert_string_equal(why_of(&l, "NDR2"), "backscatter");
	assert_null(why_of(&l, "NDROLD"));
	assert_null(why_of(&l, "NDRALICE"));
	assert_null(why_of(&l, "QUALIFIED"));
	assert_null(why_of(&l, "ALICE"));
	assert_file("ps.stdin", "SPAM1\nNDR1\nNDR2\n");
	act_purge_list_free(&l);
	drop_act(&a, &c);

	/* without backscatter, bounces are not the account's */
	q.backscatter = false;
	a = make_act(&c, "postqueue_path = @D@/postqueue", "postsuper_path = @D@/postsuper", NULL);
	assert_int_equal(act_purge(a, &q, false, &r, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(why_of(&l, "SPAM1"), "sender");
	act_purge_list_free(&l);
	drop_act(&a, &c);
}

static void
test_purge_failures(void **state)
{
	struct act_purge_req q = { .account = "hello@example.com" };
	struct act_purge_list l;
	struct act_conf c;
	struct act *a;
	struct act_result r;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	qline(&b, "SPAM1", "hello@example.com", 1, "v1@example.net");
	write_file("queue.jsonl", b.data, b.len, 0644);
	buf_release(&b);
	script("pq_fail", "cat @D@/queue.jsonl\necho 'postqueue: fatal: Queue report unavailable "
			  "- mail system is down' >&2\nexit 75\n");
	a = make_act(&c, "postqueue_path = @D@/pq_fail", "postsuper_path = @D@/postsuper",
		     NULL);
	rm("ps.stdin");
	assert_int_equal(act_purge(a, &q, false, &r, &l), -1);
	assert_false(r.ok);
	assert_int_equal(r.exit_status, 75);
	assert_string_equal(r.err, "postqueue exited with status 75: postqueue: fatal: Queue "
				   "report unavailable - mail system is down: nothing deleted");
	assert_int_equal(l.n, 0);
	assert_false(exists("ps.stdin"));
	act_purge_list_free(&l);
	drop_act(&a, &c);

	/* list only; nothing selected; hostile account refused */
	a = make_act(&c, "postqueue_path = @D@/postqueue", "postsuper_path = @D@/postsuper",
		     NULL);
	q.list_only = true;
	assert_int_equal(act_purge(a, &q, false, &r, &l), 0);
	assert_true(r.ok);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.deleted, 0);
	assert_false(exists("ps.stdin"));
	assert_non_null(strstr(r.out, "list only, nothing deleted: SPAM1 sender"));
	act_purge_list_free(&l);
	q.list_only = false;
	q.account = "nobody@example.com";
	assert_int_equal(act_purge(a, &q, false, &r, &l), 0);
	assert_int_equal(l.n, 0);
	assert_false(exists("ps.stdin"));
	assert_non_null(strstr(r.out, "selected 0 of 1 listed (0 malformed lines skipped); "
				      "nothing to delete"));
	act_purge_list_free(&l);
	q.account = "-hello@example.com";
	rm("pq.args");
	assert_int_equal(act_purge(a, &q, false, &r, NULL), -1);
	assert_non_null(strstr(r.err, "begins with '-'"));
	assert_false(exists("pq.args"));
	drop_act(&a, &c);
}

/* ------------------------------------------------------------- notify */

static void
test_notify(void **state)
{
	struct act_incident inc = {
		.kind = "account_compromise",
		.account = "hello@example.com\r\nBcc: evil@example.net",
		.ip = "192.0.2.7",
		.incident = "17\nX-Evil: 1",
		.first_evidence = 1374486777,
		.detected_at = 1374490377,
		.counts = { { "distinct_ips", 880 }, { "messages", 1234 } },
		.ncounts = 2,
		.signals = "login_networks 14 (threshold 10)\r\nunfamiliar_messages 40\n\033[2J",
		.actions = "locked; queue purged\n",
	};
	struct act_conf c;
	struct act *a;
	struct act_result r;
	struct buf mail;
	char err[256], *got, *body;
	const char *p;

	(void)state;
	script("sendmail", "printf '%s\\n' \"$@\" > @D@/sm.args\ncat > @D@/sm.stdin\n");
	a = make_act(&c, "sendmail_path = @D@/sendmail", "notify_to = admin@example.com",
		     NULL);
	buf_init(&mail, 0);
	assert_int_equal(act_notify_format(a, &inc, 1374486777, &mail, err, sizeof(err)), 0);
	body = strstr(mail.data, "\n\n");
	assert_non_null(body);
	/* headers: one per line, no smuggled ones */
	*body = '\0';
	assert_string_equal(mail.data,
			    "From: mailsentry\n"
			    "To: admin@example.com\n"
			    "Subject: [mailsentry] account_compromise: hello@example.com??Bcc: "
			    "evil@example.net\n"
			    "Date: Mon, 22 Jul 2013 09:52:57 +0000\n"
			    "X-Mailsentry-Incident: 17?X-Evil: 1\n"
			    "Auto-Submitted: auto-generated\n"
			    "MIME-Version: 1.0\n"
			    "Content-Type: text/plain; charset=UTF-8\n"
			    "Content-Transfer-Encoding: 8bit");
	body += 2;
	assert_string_equal(body,
			    "mailsentry detected account_compromise.\n\n"
			    "Account:         hello@example.com\\x0d\\x0aBcc: evil@example.net\n"
			    "Client IP:       192.0.2.7\n"
			    "Incident:        17\\x0aX-Evil: 1\n"
			    "First evidence:  2013-07-22T09:52:57Z\n"
			    "Detected at:     2013-07-22T10:52:57Z\n"
			    "\nCounts:\n  distinct_ips: 880\n  messages: 1234\n"
			    "\nSignals:\n  login_networks 14 (threshold 10)\n"
			    "  unfamiliar_messages 40\n  \\x1b[2J\n"
			    "\nActions:\n  locked; queue purged\n"
			    "\n-- \nmailsentry\n");
	buf_release(&mail);

	/* through the fake sendmail */
	rm("sm.stdin");
	assert_int_equal(act_notify(a, &inc, false, &r), 0);
	if (!r.ok)
		fail_msg("%s", r.err);
	assert_file("sm.args", "-t\n-i\n");
	got = slurp("sm.stdin");
	assert_non_null(got);
	for (p = got; p != NULL; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		assert_false(strncmp(p, "Bcc:", 4) == 0);
		assert_false(strncmp(p, "X-Evil:", 7) == 0);
		if (strncmp(p, "\n", 1) == 0)
			break;	/* end of headers */
	}
	assert_null(strchr(got, '\r'));
	assert_non_null(strstr(got, "Subject: [mailsentry] account_compromise: hello@example.com"
				    "??Bcc"));
	free(got);

	/* about an IP only; non-ASCII account in headers */
	{
		struct act_incident ipinc = { .kind = "brute_force", .ip = "192.0.2.9" };
		struct act_incident u = { .kind = "backscatter",
					  .account = "j\xc3\xbcrgen@example.de" };

		buf_init(&mail, 0);
		assert_int_equal(act_notify_format(a, &ipinc, 0, &mail, err, sizeof(err)), 0);
		assert_non_null(strstr(mail.data, "Subject: [mailsentry] brute_force: 192.0.2.9\n"));
		assert_non_null(strstr(mail.data, "Date: Thu, 01 Jan 1970 00:00:00 +0000\n"));
		assert_null(strstr(mail.data, "First evidence"));
		buf_reset(&mail);
		assert_int_equal(act_notify_format(a, &u, 0, &mail, err, sizeof(err)), 0);
		assert_non_null(strstr(mail.data, "Subject: [mailsentry] backscatter: "
						  "j??rgen@example.de\n"));
		assert_non_null(strstr(mail.data, "Account:         j\xc3\xbcrgen@example.de\n"));
		buf_reset(&mail);
		u.kind = "Bad\nKind";
		assert_int_equal(act_notify_format(a, &u, 0, &mail, err, sizeof(err)), -1);
		buf_release(&mail);
	}
	/* a huge signals text is cut, the mail stays bounded */
	{
		struct act_incident big = { .kind = "outbound_burst", .account = "a@example.com" };
		char *sig = malloc(200000);

		memset(sig, 'x', 199999);
		sig[199999] = '\0';
		big.signals = sig;
		buf_init(&mail, 0);
		assert_int_equal(act_notify_format(a, &big, 0, &mail, err, sizeof(err)), 0);
		assert_true(mail.len <= ACT_MAIL_MAX);
		assert_non_null(strstr(mail.data, "[cut: a notification is at most 64 KiB]"));
		for (p = mail.data; (body = strchr(p, '\n')) != NULL; p = body + 1)
			assert_true(body - p <= 902);
		buf_release(&mail);
		free(sig);
	}
	drop_act(&a, &c);
}

/* ------------------------------------------------------------- main */

static int
setup(void **state)
{
	(void)state;
	msg_set_quiet(true);
	if (testdir_create(tmpdir) != 0)
		return -1;
	script("argv.sh", "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done > @D@/argv.out\n");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return testdir_remove(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_account),
		cmocka_unit_test(test_check_values),
		cmocka_unit_test(test_tmpl_parse),
		cmocka_unit_test(test_tmpl_expand),
		cmocka_unit_test(test_argv_render),
		cmocka_unit_test(test_no_shell),
		cmocka_unit_test(test_exec_env),
		cmocka_unit_test(test_exec_timeout),
		cmocka_unit_test(test_exec_stdin),
		cmocka_unit_test(test_exec_capture),
		cmocka_unit_test(test_exec_lines),
		cmocka_unit_test(test_spawn_reap_early),
		cmocka_unit_test(test_lock_results),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_ban_kick),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_pq_parse),
		cmocka_unit_test(test_purge),
		cmocka_unit_test(test_purge_postfix_bounces),
		cmocka_unit_test(test_purge_failures),
		cmocka_unit_test(test_notify),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
